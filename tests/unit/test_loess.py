"""loess_2d: robust 2-D LOESS, checked against exact polynomials and Cappellari's package.

Independent references:

- a local fit of degree 1 (2) reproduces any plane (quadric) exactly, whatever the
  neighbourhood and the weights, so the smoothed surface must equal it;
- Cappellari's ``loess_2d`` (``loess`` package, the smoother of Boardman et al. 2022, test
  extra only) on the cases the paper uses: ``frac = 0.2`` over ~2000 galaxies scattered on
  the mass-size plane, and ``frac = 0.02`` over ~2000 occupied centres of a regular
  0.05 dex grid (many tied neighbour distances), with ``rescale`` on and off and degree 1
  and 2. Smoothed values and output weights must agree to 1e-8.
"""


import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from independent_references import cappellari_loess_2d
from metgrad.stats.loess import loess_2d


def mass_size_plane(n, seed):
    """Galaxies on the mass-size plane (log M*, log R_e) with an offset and 2 % outliers."""
    rng = np.random.default_rng(seed)
    log_mass = rng.normal(10.3, 0.5, n)
    log_re = 0.25 * (log_mass - 10.0) + 0.4 + rng.normal(0.0, 0.18, n)
    offset = 0.03 * (log_mass - 10.0) - 0.1 * (log_re - 0.4) + rng.normal(0.0, 0.03, n)
    wild = rng.random(n) < 0.02
    offset[wild] += rng.normal(0.0, 0.3, wild.sum())
    return log_mass, log_re, offset


def binned_map(n, seed, width=0.05):
    """The ``n`` occupied centres of a regular (log M*, log Sigma_*) grid, 0.05 dex bins."""
    rng = np.random.default_rng(seed)
    centres_x = np.arange(8.0, 12.0, width) + width / 2
    centres_y = np.arange(5.5, 10.0, width) + width / 2
    grid_x, grid_y = (c.ravel() for c in np.meshgrid(centres_x, centres_y, indexing="ij"))
    distance = np.abs(grid_y - 7.6 - 0.75 * (grid_x - 10.0)) + 0.3 * rng.random(grid_x.size)
    keep = np.sort(np.argsort(distance, kind="stable")[:n])
    x, y = grid_x[keep], grid_y[keep]
    z = 8.5 + 0.1 * (x - 10.0) - 0.05 * (y - 7.6) ** 2 + rng.normal(0.0, 0.02, n)
    return x, y, z


# ------------------------------------------------------------------------------------------
# exact polynomials, robustness, options (no reference package needed)


class TestExactSurfaces:
    @pytest.mark.parametrize("frac", [0.02, 0.2, 1.0])
    @pytest.mark.parametrize("rescale", [False, True])
    def test_plane_is_reproduced_by_degree_1(self, frac, rescale):
        # z = 1 + 2x - 3y is a plane: every weighted local plane fit recovers it exactly,
        # so the smooth equals z to rounding at every data point.
        x, y, _ = mass_size_plane(400, seed=3)
        z = 1.0 + 2.0 * x - 3.0 * y
        zout, wout = loess_2d(x, y, z, frac=frac, rescale=rescale)
        assert_allclose(zout, z, rtol=0, atol=1e-9)
        assert zout.shape == wout.shape == (400,)

    @pytest.mark.parametrize("frac", [0.05, 0.3, 1.0])
    @pytest.mark.parametrize("rescale", [False, True])
    def test_quadric_is_reproduced_by_degree_2(self, frac, rescale):
        # z = 1 + x - 2y + 0.5xy + 0.3x^2 - 0.7y^2 is in the span of a local quadric fit.
        x, y, _ = binned_map(300, seed=4)
        z = 1.0 + x - 2.0 * y + 0.5 * x * y + 0.3 * x**2 - 0.7 * y**2
        zout, _ = loess_2d(x, y, z, frac=frac, degree=2, rescale=rescale)
        assert_allclose(zout, z, rtol=0, atol=1e-8)

    def test_degree_1_does_not_reproduce_a_quadric(self):
        # Sanity check that ``degree`` is honoured: a plane fit to a curved surface over
        # 30 % of the points is biased by much more than rounding.
        x, y, _ = binned_map(300, seed=4)
        z = 0.3 * (x - 10.0) ** 2 + 0.7 * (y - 7.6) ** 2
        zout, _ = loess_2d(x, y, z, frac=0.3, degree=1)
        assert np.max(np.abs(zout - z)) > 1e-3

    def test_plane_at_new_points(self):
        # Evaluated away from the data, the local plane is still the plane; the weights are
        # documented to be 1 there.
        x, y, _ = mass_size_plane(300, seed=5)
        xnew = np.array([9.8, 10.3, 10.9, 10.1])
        ynew = np.array([0.2, 0.45, 0.6, 0.3])
        zout, wout = loess_2d(x, y, 4.0 - x + 0.5 * y, frac=0.2, xnew=xnew, ynew=ynew)
        assert_allclose(zout, 4.0 - xnew + 0.5 * ynew, rtol=0, atol=1e-9)
        assert_array_equal(wout, np.ones(4))

    def test_npoints_overrides_frac(self):
        x, y, z = mass_size_plane(200, seed=6)
        by_count = loess_2d(x, y, z, frac=0.9, npoints=40)
        by_frac = loess_2d(x, y, z, frac=0.2)  # ceil(0.2 * 200) = 40
        assert_array_equal(by_count[0], by_frac[0])
        assert_array_equal(by_count[1], by_frac[1])


class TestDegenerateGeometry:
    def test_collinear_points_use_the_minimum_norm_fit(self):
        # Points exactly on y = 2x make every local plane fit rank-deficient (v = 2u in the
        # local coordinates); the minimum-norm solution still fits the values along the line,
        # so z = 3 + x - 0.5 y (linear along it) is reproduced.
        x = np.random.default_rng(15).uniform(0.0, 1.0, 80)
        y = 2.0 * x
        z = 3.0 + x - 0.5 * y
        zout, _ = loess_2d(x, y, z, frac=0.3)
        assert_allclose(zout, z, rtol=0, atol=1e-9)

    def test_rescale_of_points_on_an_axis_is_refused(self):
        # All y equal: after the best rotation (0 degrees) the second axis has zero spread,
        # so it cannot be scaled to unit biweight dispersion.
        x = np.random.default_rng(16).uniform(0.0, 1.0, 50)
        with pytest.raises(ValueError, match="rescale=True"):
            loess_2d(x, np.zeros(50), x, frac=0.5, rescale=True)


class TestRobustness:
    def test_outlier_gets_zero_weight_and_does_not_pull_the_smooth(self):
        # A plane with 0.01 scatter and one point raised by 5: its residual is hundreds of
        # MADs, so its biweight is 0 and the smooth there stays on the plane.
        rng = np.random.default_rng(7)
        x, y = rng.uniform(0.0, 1.0, (2, 500))
        plane = 0.5 + x - y
        z = plane + rng.normal(0.0, 0.01, 500)
        z[123] += 5.0
        zout, wout = loess_2d(x, y, z, frac=0.2)
        assert wout[123] == 0.0
        assert abs(zout[123] - plane[123]) < 0.02
        others = np.delete(np.arange(500), 123)
        assert np.median(wout[others]) > 0.8
        assert np.max(np.abs(zout[others] - plane[others])) < 0.02

    def test_known_errors_set_the_clipping_scale(self):
        # With sigz = 0.01 a residual of ~0.05 is ~5 sigma > 4 sigma: biweight 0. With
        # sigz = 1 the same residual gives u = 0.05 / 4 = 0.0125 and a biweight
        # (1 - 0.0125^2)^2 = 0.99969 > 0.999 (the fit moves by less than 0.05 / 90 points).
        rng = np.random.default_rng(8)
        x, y = rng.uniform(0.0, 1.0, (2, 300))
        z = 0.5 + x - y + rng.normal(0.0, 0.002, 300)
        z[40] += 0.05
        _, w_tight = loess_2d(x, y, z, frac=0.3, sigz=np.full(300, 0.01))
        _, w_loose = loess_2d(x, y, z, frac=0.3, sigz=np.full(300, 1.0))
        assert w_tight[40] == 0.0
        assert w_loose[40] > 0.999
        assert np.all((w_loose >= 0) & (w_loose <= 1))

    def test_exact_data_do_not_divide_by_zero(self):
        # A constant surface: residuals exactly 0, MAD 0; points with zero residual keep
        # full weight (documented), and the smooth is the constant.
        x, y, _ = mass_size_plane(100, seed=9)
        zout, wout = loess_2d(x, y, np.full(100, 2.5), frac=0.3)
        assert_allclose(zout, 2.5, rtol=0, atol=1e-12)
        assert np.all(np.isfinite(wout))


class TestInputs:
    def test_call_as_written_in_the_design(self):
        x, y, z = mass_size_plane(50, seed=10)
        zout, wout = loess_2d(x, y, z, frac=0.5, degree=1, rescale=False, xnew=None, ynew=None)
        assert zout.shape == wout.shape == (50,)

    def test_lists_are_accepted(self):
        x, y, z = mass_size_plane(20, seed=11)
        zout, _ = loess_2d(list(x), list(y), list(z), frac=1.0)
        assert zout.dtype == np.float64

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"frac": 0.0}, "frac must be in"),
            ({"frac": 1.5}, "frac must be in"),
            ({"frac": -0.1}, "frac must be in"),
            ({"degree": 3}, "degree must be 1 or 2"),
            ({"degree": 0}, "degree must be 1 or 2"),
            ({"frac": 0.05}, "too few points for the degree"),  # ceil(0.05 * 40) = 2
            ({"npoints": 3}, "too few points"),  # a plane needs 3 + 1
            ({"npoints": 6, "degree": 2}, "too few points"),  # a quadric needs 6 + 1
            ({"npoints": 41}, "exceeds the number of data points"),
            ({"npoints": 10.5}, "npoints must be an integer"),
            ({"xnew": [10.0]}, "both xnew and ynew"),
            ({"xnew": [10.0], "ynew": [0.1, 0.2]}, "ynew has 2 values"),
            ({"xnew": [np.nan], "ynew": [0.1]}, "xnew contains non-finite"),
            ({"sigz": np.zeros(40)}, "sigz must be strictly positive"),
            ({"sigz": np.ones(39)}, "sigz has 39 values"),
            ({"workers": 0}, "workers must be a positive integer"),
            ({"workers": 1.5}, "workers must be a positive integer"),
        ],
    )
    def test_bad_options(self, kwargs, match):
        x, y, z = mass_size_plane(40, seed=12)
        with pytest.raises(ValueError, match=match):
            loess_2d(x, y, z, **kwargs)

    def test_bad_arrays(self):
        x, y, z = mass_size_plane(40, seed=13)
        with pytest.raises(ValueError, match="y has 39 values"):
            loess_2d(x, y[:-1], z)
        with pytest.raises(ValueError, match="z contains non-finite"):
            loess_2d(x, y, np.where(np.arange(40) == 5, np.inf, z))
        with pytest.raises(ValueError, match="x contains non-finite"):
            loess_2d(np.where(np.arange(40) == 5, np.nan, x), y, z)
        with pytest.raises(ValueError, match="must be 1-D"):
            loess_2d(x.reshape(4, 10), y.reshape(4, 10), z.reshape(4, 10))
        with pytest.raises(ValueError, match="too few points"):
            loess_2d(x[:3], y[:3], z[:3], frac=1.0)

    def test_rescale_needs_spread(self):
        x = np.full(30, 10.0)
        y = np.full(30, 0.4)
        y[:5] += np.arange(5)  # fewer than half the points move: zero MAD on both axes
        with pytest.raises(ValueError, match="rescale=True"):
            loess_2d(x, y, np.arange(30.0), frac=0.5, rescale=True)

    def test_inputs_are_not_modified(self):
        x, y, z = mass_size_plane(60, seed=14)
        copies = [a.copy() for a in (x, y, z)]
        loess_2d(x, y, z, frac=0.3, rescale=True)
        for before, after in zip(copies, (x, y, z), strict=True):
            assert_array_equal(before, after)


# ------------------------------------------------------------------------------------------
# agreement with Cappellari's loess_2d (skipped where the ``loess`` package is absent)

PAPER_DATA = {
    "mass-size plane": lambda n: mass_size_plane(n, seed=21),
    "binned map": lambda n: binned_map(n, seed=22),
}


@pytest.mark.parametrize(
    ("data", "n", "frac"),
    [
        ("mass-size plane", 2000, 0.2),  # the paper's mass-size maps
        ("binned map", 2000, 0.02),  # the paper's smoothed maps of binned values
        ("mass-size plane", 800, 0.02),
        ("binned map", 800, 0.2),
    ],
)
@pytest.mark.parametrize("rescale", [False, True])
@pytest.mark.parametrize("degree", [1, 2])
def test_matches_cappellari(data, n, frac, rescale, degree):
    x, y, z = PAPER_DATA[data](n)
    ref_z, ref_w = cappellari_loess_2d(x, y, z, frac=frac, degree=degree, rescale=rescale)
    zout, wout = loess_2d(x, y, z, frac=frac, degree=degree, rescale=rescale)
    assert_allclose(zout, ref_z, rtol=0, atol=1e-8)
    assert_allclose(wout, ref_w, rtol=0, atol=1e-8)
    assert np.any(wout < 0.34)  # the data have outliers: the robust step is exercised


@pytest.mark.parametrize("data", ["mass-size plane", "binned map"])
def test_matches_cappellari_on_two_threads(data):
    # the output points are shared by two threads; ties (binned map) take the KD-tree path
    x, y, z = PAPER_DATA[data](1500)
    frac = 0.2 if data == "mass-size plane" else 0.02
    ref_z, ref_w = cappellari_loess_2d(x, y, z, frac=frac, rescale=True)
    zout, wout = loess_2d(x, y, z, frac=frac, rescale=True, workers=2)
    assert_allclose(zout, ref_z, rtol=0, atol=1e-8)
    assert_allclose(wout, ref_w, rtol=0, atol=1e-8)


@pytest.mark.parametrize("rescale", [False, True])
def test_matches_cappellari_at_new_points(rescale):
    x, y, z = mass_size_plane(600, seed=23)
    rng = np.random.default_rng(24)
    xnew = rng.uniform(9.5, 11.0, 50)
    ynew = rng.uniform(0.0, 0.8, 50)
    ref_z, ref_w = cappellari_loess_2d(x, y, z, xnew=xnew, ynew=ynew, frac=0.2, rescale=rescale)
    zout, wout = loess_2d(x, y, z, xnew=xnew, ynew=ynew, frac=0.2, rescale=rescale)
    assert_allclose(zout, ref_z, rtol=0, atol=1e-8)
    assert_array_equal(wout, ref_w)


@pytest.mark.parametrize("degree", [1, 2])
def test_matches_cappellari_with_errors(degree):
    x, y, z = mass_size_plane(600, seed=25)
    sigz = np.random.default_rng(26).uniform(0.01, 0.05, 600)
    ref_z, ref_w = cappellari_loess_2d(x, y, z, sigz=sigz, frac=0.2, degree=degree, rescale=True)
    zout, wout = loess_2d(x, y, z, sigz=sigz, frac=0.2, degree=degree, rescale=True)
    assert_allclose(zout, ref_z, rtol=0, atol=1e-8)
    assert_allclose(wout, ref_w, rtol=0, atol=1e-8)


def test_matches_cappellari_on_collinear_points():
    x = np.random.default_rng(29).uniform(9.0, 11.0, 200)
    y = 2.0 * x
    z = 0.1 * x + np.random.default_rng(30).normal(0.0, 0.02, 200)
    ref_z, ref_w = cappellari_loess_2d(x, y, z, frac=0.2)
    zout, wout = loess_2d(x, y, z, frac=0.2)
    assert_allclose(zout, ref_z, rtol=0, atol=1e-8)
    assert_allclose(wout, ref_w, rtol=0, atol=1e-8)


def test_matches_cappellari_with_npoints_and_coincident_points():
    # Repeated positions: which copy comes first among the neighbours decides ``wout``.
    x, y, z = binned_map(500, seed=27)
    x, y = np.r_[x, x[:60]], np.r_[y, y[:60]]
    z = np.r_[z, z[:60] + np.random.default_rng(28).normal(0.0, 0.05, 60)]
    ref_z, ref_w = cappellari_loess_2d(x, y, z, npoints=25, rescale=True)
    zout, wout = loess_2d(x, y, z, npoints=25, rescale=True)
    assert_allclose(zout, ref_z, rtol=0, atol=1e-8)
    assert_allclose(wout, ref_w, rtol=0, atol=1e-8)
