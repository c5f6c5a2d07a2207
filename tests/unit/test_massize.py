"""Mass-size bins, subsamples and profiles on hand-made samples."""

from __future__ import annotations

import numpy as np
import pytest

from metgrad.massize import (
    extended_flags,
    loess_map,
    mass_thirds,
    massize_bins,
    offset_subsamples,
    radial_profile,
)


def test_mass_thirds_by_hand():
    # log M* = 1..9: tertiles (numpy linear interpolation) at 1 + 8/3 = 3.667 and 6.333.
    labels, edges = mass_thirds(np.arange(1.0, 10.0))
    np.testing.assert_allclose(edges, [11 / 3, 19 / 3])
    assert list(labels) == ["low"] * 3 + ["mid"] * 3 + ["high"] * 3
    # "M* <= edge" is the lower region: a value exactly at the edge stays low.
    labels, _ = mass_thirds(np.array([1.0, 2.0, 3.0, 4.0]))  # tertiles 2.0, 3.0
    assert list(labels) == ["low", "low", "mid", "high"]


def test_extended_against_the_median_of_each_mass_bin():
    # bin width 0.5: masses 10.1-10.4 share bin [10.0, 10.5) with log Re 0.1..0.4
    # (median 0.25); masses 10.6, 10.7, 10.8 share [10.5, 11.0) with 0.5, 0.9, 0.7
    # (median 0.7: 0.9 is extended, 0.7 "at" the median is compact).
    m = np.array([10.1, 10.2, 10.3, 10.4, 10.6, 10.7, 10.8])
    r = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.9, 0.7])
    ext, relation = extended_flags(m, r, bin_width=0.5)
    assert list(ext) == [False, False, True, True, False, True, False]
    np.testing.assert_allclose(relation["median_log_re"], [0.25, 0.7])
    np.testing.assert_allclose(relation["log_mstar_lo"], [10.0, 10.5])
    assert list(relation["n"]) == [4, 3]
    bins = massize_bins(m, r, bin_width=0.5)
    assert bins[0] == "low-compact" and bins[6] == "high-compact" and bins[5] == "high-extended"


def test_subsamples_by_percentile_within_each_bin():
    # Bin A: offsets -0.100, -0.075, ..., 0.100 (9 values, step 0.025). The 10th percentile
    # (linear interpolation) sits at position 0.1 * 8 = 0.8: -0.100 + 0.8 * 0.025 = -0.080,
    # so only -0.100 is steep; the 90th is +0.080, so only +0.100 is shallow; |off| <= 0.02
    # holds for 0.000 alone.
    off_a = np.linspace(-0.10, 0.10, 9)
    off_b = np.array([0.3, 0.3, 0.3])  # a constant bin: every galaxy at both percentiles
    offsets = np.concatenate([off_a, off_b])
    bins = np.array(["a"] * 9 + ["b"] * 3, dtype=object)
    labels = offset_subsamples(offsets, bins)
    assert list(labels[:9]) == ["steep", "", "", "", "small", "", "", "", "shallow"]
    assert set(labels[9:]) == {"shallow"}


def test_radial_profile_by_hand():
    r = np.array([0.5, 0.6, 0.69, 0.7, 1.0, 1.9, 2.0, 0.4])
    v = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 5.0, 99.0, 99.0])
    prof = radial_profile(r, v)
    assert list(prof["r_lo"].round(6)) == [0.5, 0.7, 0.9, 1.1, 1.3, 1.5, 1.7]
    assert list(prof["n"]) == [3, 1, 1, 0, 0, 0, 1]  # 1.9 falls in the last bin; 2.0, 0.4 out
    assert prof.loc[0, "median"] == 2.0
    # 16th/84th percentiles of (1, 2, 3) by linear interpolation: 1 + 0.32 = 1.32, 2.68
    assert prof.loc[0, "p16"] == pytest.approx(1.32) and prof.loc[0, "p84"] == pytest.approx(2.68)
    assert np.isnan(prof.loc[3, "median"])


def test_loess_map_reproduces_a_plane_and_skips_nan():
    rng = np.random.default_rng(4)
    m = rng.uniform(9, 11.5, 300)
    r = 0.3 * (m - 10) + rng.normal(0, 0.15, 300)
    z = -0.02 - 0.03 * (m - 10) - 0.05 * r  # a plane: degree-1 LOESS returns it exactly
    z[5] = np.nan
    out = loess_map(m, r, z, frac=0.2)
    assert np.isnan(out[5])
    good = np.isfinite(z)
    np.testing.assert_allclose(out[good], z[good], atol=1e-10)
