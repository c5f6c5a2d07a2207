"""IFU footprints, the spaxel grid, elliptical coordinates and continuum bins."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from metgrad.mock.geometry import (
    IFU_DESIGNS,
    PLATE_SLOTS,
    continuum_segmentation,
    elliptical_coordinates,
    hexagon_mask,
    sky_grid,
)


def test_plate_has_the_manga_bundle_mix():
    # 2 x 19, 4 x 37, 4 x 61, 2 x 91, 5 x 127 fibres = 17 galaxy IFUs per plate
    sizes = [d // 100 for d in PLATE_SLOTS]
    assert sorted(sizes) == [19] * 2 + [37] * 4 + [61] * 4 + [91] * 2 + [127] * 5


@pytest.mark.parametrize("fibres", [19, 37, 61, 91, 127])
def test_hexagon_area_and_fit_in_grid(fibres):
    ifu = IFU_DESIGNS[fibres]
    x, y = sky_grid(ifu.grid)
    inside = hexagon_mask(x, y, ifu.circumradius_arcsec)
    # regular hexagon area (3 sqrt(3) / 2) R^2 in units of 0.25 arcsec^2 spaxels
    expected = 1.5 * np.sqrt(3.0) * ifu.circumradius_arcsec**2 / 0.25
    assert inside.sum() == pytest.approx(expected, rel=0.03)
    # the footprint never touches the grid edge
    assert not inside[0].any() and not inside[-1].any()
    assert not inside[:, 0].any() and not inside[:, -1].any()


def test_sky_grid_orientation_like_the_real_file():
    # real 7815-3702 (42 x 42): SPX_SKYCOO at [0, 0] is (+10.49, -10.50): East left, North up
    x, y = sky_grid(42)
    assert x[0, 0] == pytest.approx(10.5)
    assert y[0, 0] == pytest.approx(-10.5)
    assert x[21, 21] == 0.0 and y[21, 21] == 0.0


def test_elliptical_coordinates_by_hand():
    # PA = 90 deg: the major axis points East (+x). A point 2" North lies on the minor axis:
    # in-plane radius 2 / (b/a) = 4 for b/a = 0.5; azimuth 90 deg.
    r, az = elliptical_coordinates(np.array([0.0, 3.0]), np.array([2.0, 0.0]), 90.0, 0.5)
    assert_allclose(r, [4.0, 3.0], atol=1e-12)
    assert_allclose(az, [90.0, 0.0], atol=1e-9)
    with pytest.raises(ValueError, match="ba"):
        elliptical_coordinates(np.zeros(1), np.zeros(1), 0.0, 0.0)


def test_continuum_segmentation_partitions_the_footprint():
    ifu = IFU_DESIGNS[61]
    x, y = sky_grid(ifu.grid)
    covered = hexagon_mask(x, y, ifu.circumradius_arcsec)
    r, az = elliptical_coordinates(x, y, 30.0, 0.7)
    binid = continuum_segmentation(r, az, covered, spaxels_per_bin=(1.0, 8.0))
    assert (binid[~covered] == -1).all()
    ids = np.unique(binid[covered])
    assert_allclose(ids, np.arange(ids.size))  # contiguous ids 0..n-1
    counts = np.bincount(binid[covered])
    centre_bin = binid[ifu.grid // 2, ifu.grid // 2]
    assert counts[centre_bin] <= 4  # small bins at the centre
    outer = np.unique(binid[covered & (r > 0.5 * r[covered].max())])
    assert np.median(counts[outer]) >= 4  # larger outside
