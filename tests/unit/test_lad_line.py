"""lad_line: exact least-absolute-deviation lines, checked against an exact LP solver.

The reference is the LAD linear program solved by scipy.optimize.linprog (HiGHS),
``independent_references.highs_lad_line``: minimise sum(u + v) subject to
a + b x_i + u_i - v_i = y_i, u, v >= 0. Objectives
sum|y - a - b x| must agree to 1e-9 relative; where the LAD line is unique (continuous random
data: ties have probability zero) the coefficients must agree too.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from independent_references import highs_lad_line
from metgrad.stats.lad import LADLine, lad_line, lad_slopes_trusted


def objective(x, y, slope, intercept):
    return np.abs(y - intercept - slope * x).sum()


def assert_optimal(x, y, line, unique=False):
    lp_intercept, lp_slope, lp_objective = highs_lad_line(x, y)
    ours = objective(x, y, line.slope, line.intercept)
    assert ours <= lp_objective * (1 + 1e-9) + 1e-12, (ours, lp_objective)
    if unique:
        assert_allclose(line.slope, lp_slope, rtol=1e-7, atol=1e-9)
        assert_allclose(line.intercept, lp_intercept, rtol=1e-7, atol=1e-9)


class TestHandCases:
    def test_collinear_points_with_one_outlier(self):
        # four points on y = 1 + 2x and one far above: the line through the four has
        # objective |100 - 9| = 91; any other line misses at least two of the four collinear
        # points, and LAD is not moved by a single outlier out of five.
        line = lad_line([0.0, 1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 5.0, 7.0, 100.0])
        assert isinstance(line, LADLine)
        assert isinstance(line.slope, float) and isinstance(line.intercept, float)
        assert line == (2.0, 1.0)

    def test_duplicate_x_goes_through_the_group_medians(self):
        # Two x values: with x = 1 and x = 2 only, a line is any pair of values (c1, c2) at
        # x = 1, 2, and the objective separates: sum|y - c1| over x = 1 plus sum|y - c2| over
        # x = 2. Each is minimised only by the group median (odd groups): c1 = median(0, 1, 5)
        # = 1, c2 = median(3, 4, 10) = 4 -> slope 3, intercept 1 - 3 = -2 (unique).
        x = [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]
        y = [0.0, 3.0, 1.0, 4.0, 5.0, 10.0]
        line = lad_line(x, y)
        assert_allclose(line, (3.0, -2.0), rtol=0, atol=1e-15)

    def test_degenerate_vertex_needs_the_rotation_check(self):
        # Points (1, 2) twice, (0, 3), (3, 3) twice, (3, 0). The line y = 3 passes through
        # three of them and no rotation about (0, 3) or one (3, 3) lowers its objective
        # |2-3| + |2-3| + |0-3| = 5, but rotating about (3, 3) does: y = 1.5 + x/2 passes
        # through (1, 2) twice and (3, 3) twice, residuals +1.5 at (0, 3) and -3 at (3, 0):
        # objective 4.5. Dual certificate d = [-1, 1, 0.5, 1, -1, -0.5] (|d| <= 1,
        # sum d = 0, sum d x = -1 + 0 + 1.5 + 3 - 3 - 0.5 = 0): for ANY line
        # sum|r| >= sum d r = sum d y = -2 + 3 + 1.5 + 3 + 0 - 1 = 4.5, so 4.5 is optimal.
        x = np.array([1.0, 0.0, 3.0, 3.0, 3.0, 1.0])
        y = np.array([2.0, 3.0, 3.0, 3.0, 0.0, 2.0])
        d = np.array([-1.0, 1.0, 0.5, 1.0, -1.0, -0.5])
        assert d.sum() == 0 and d @ x == 0 and d @ y == 4.5
        line = lad_line(x, y)
        assert objective(x, y, *line) == 4.5
        assert_optimal(x, y, line)

    def test_even_n_intercept_is_the_midpoint_of_the_optimal_interval(self):
        # Points (0, 0), (0, 2), (1, 0), (1, 2): at x = 0, |0 - a| + |2 - a| >= 2 with equality
        # for a in [0, 2]; at x = 1 the same for a + b in [0, 2]. Every such line has
        # objective 4 (optimal). For the returned slope b, the intercept is the midpoint of the
        # two middle residuals y - b x = [0, 2, -b, 2 - b].
        x = np.array([0.0, 0.0, 1.0, 1.0])
        y = np.array([0.0, 2.0, 0.0, 2.0])
        line = lad_line(x, y)
        assert objective(x, y, *line) == 4.0
        middle = np.sort(y - line.slope * x)[1:3]
        assert line.intercept == middle.mean()

    def test_two_points(self):
        # the line through both points: slope (5 - 1)/(3 - 1) = 2, intercept 1 - 2 = -1
        assert_allclose(lad_line([1.0, 3.0], [1.0, 5.0]), (2.0, -1.0), rtol=0, atol=1e-15)


class TestAgainstLinearProgram:
    def test_random_gaussian_scatter_unique(self):
        rng = np.random.default_rng(1)
        for n in [3, 10, 57, 400]:
            for _ in range(4):
                x = rng.uniform(0.5, 2.0, n)
                y = 8.6 - 0.08 * x + rng.normal(0.0, 0.05, n)
                assert_optimal(x, y, lad_line(x, y), unique=True)

    def test_outlier_heavy_data(self):
        rng = np.random.default_rng(2)
        for n in [7, 40, 300]:
            for _ in range(4):
                x = rng.uniform(0.0, 3.0, n)
                y = 1.0 - 0.3 * x + 0.05 * rng.standard_cauchy(n)
                far = rng.random(n) < 0.3
                y[far] += rng.normal(0.0, 5.0, far.sum())
                assert_optimal(x, y, lad_line(x, y), unique=True)

    def test_tied_integer_data(self):
        # small integer grids: many ties in x and y, collinear triples, non-unique optima
        rng = np.random.default_rng(3)
        for _ in range(60):
            n = int(rng.integers(3, 40))
            x = rng.integers(0, 5, n).astype(float)
            y = rng.integers(0, 4, n).astype(float)
            if np.ptp(x) == 0:
                continue
            assert_optimal(x, y, lad_line(x, y))

    def test_rounded_data(self):
        # measurements rounded to a grid, as in catalogues (x to 0.1, y to 0.01)
        rng = np.random.default_rng(4)
        for n in [20, 150]:
            for _ in range(5):
                x = np.round(rng.uniform(0.5, 2.0, n), 1)
                y = np.round(8.5 - 0.1 * x + rng.normal(0.0, 0.05, n), 2)
                assert_optimal(x, y, lad_line(x, y))

    def test_residual_bootstrap_resamples(self):
        # the paper's use: y* = fit + resampled residuals; the zero residuals of the fit are
        # drawn repeatedly, so many points of a resample are exactly collinear
        rng = np.random.default_rng(5)
        n = 120
        x = rng.uniform(0.5, 2.0, n)
        y = 8.6 - 0.1 * x + rng.normal(0.0, 0.04, n)
        best = lad_line(x, y)
        fitted = best.intercept + best.slope * x
        resamples = fitted + rng.choice(y - fitted, (12, n))
        lines = lad_line(x, resamples)
        assert lines.slope.shape == (12,) and lines.intercept.shape == (12,)
        for row, slope, intercept in zip(resamples, *lines, strict=True):
            assert_optimal(x, row, LADLine(slope, intercept))


class TestBatches:
    def test_shared_x_rows_equal_single_fits(self):
        rng = np.random.default_rng(6)
        x = rng.uniform(0.0, 2.0, 50)
        y = 0.5 * x + rng.laplace(0.0, 0.3, (9, 50))
        y[3] = np.round(y[3], 1)  # one row with ties
        batch = lad_line(x, y)
        for i in range(9):
            single = lad_line(x, y[i])
            assert (batch.slope[i], batch.intercept[i]) == single

    def test_two_dimensional_x(self):
        rng = np.random.default_rng(7)
        x = rng.uniform(0.0, 2.0, (5, 30))
        x[2] = np.repeat([0.0, 1.0, 2.0], 10)  # heavy duplicates in one row
        y = 2.0 - x + rng.normal(0.0, 0.2, (5, 30))
        batch = lad_line(x, y)
        for i in range(5):
            assert_optimal(x[i], y[i], LADLine(batch.slope[i], batch.intercept[i]))
            assert (batch.slope[i], batch.intercept[i]) == lad_line(x[i], y[i])

    def test_empty_batch(self):
        lines = lad_line(np.arange(4.0), np.zeros((0, 4)))
        assert lines.slope.shape == (0,) and lines.intercept.shape == (0,)

    def test_deterministic(self):
        rng = np.random.default_rng(8)
        x = rng.integers(0, 6, (20, 25)).astype(float)
        x[:, 0], x[:, 1] = 0.0, 1.0  # at least two distinct x per row
        y = rng.integers(0, 5, (20, 25)).astype(float)
        first, second = lad_line(x, y), lad_line(x.copy(), y.copy())
        assert np.array_equal(first.slope, second.slope)
        assert np.array_equal(first.intercept, second.intercept)


def best_objective_for_slope(x, y, slope):
    """min over intercepts of sum|y - a - slope x| (the intercept is a median of y - slope x)."""
    r = y - slope * x
    return np.abs(r - np.median(r)).sum()


def assert_warm_slopes_optimal(x, rows, start):
    """Warm-started slopes of every row reach the LP optimum (HiGHS) of that row.

    The reference is the objective of HiGHS's line evaluated exactly (its reported
    objective can lie below that by its feasibility tolerance, ~1e-7 absolute).
    """
    slopes = lad_slopes_trusted(x, np.ascontiguousarray(rows, dtype=float), start=start)
    for row, slope in zip(rows, slopes, strict=True):
        _, lp_slope, lp_objective = highs_lad_line(x, row)
        optimum = max(lp_objective, best_objective_for_slope(x, row, lp_slope))
        ours = best_objective_for_slope(x, row, slope)
        assert ours <= optimum * (1 + 1e-9) + 1e-12, (start, ours, optimum)
    return slopes


class TestWarmStarts:
    """Refits that start from the full fit's slope (``start=``) end on an optimal line."""

    def test_residual_bootstrap_from_the_full_fit(self):
        # resamples repeat the fit's zero residuals: many collinear points, ties
        rng = np.random.default_rng(31)
        x = rng.uniform(0.5, 2.0, 150)
        y = 8.6 - 0.1 * x + rng.normal(0.0, 0.04, 150)
        best = lad_line(x, y)
        fitted = best.intercept + best.slope * x
        resamples = fitted + (y - fitted)[rng.integers(0, 150, (15, 150))]
        assert_warm_slopes_optimal(x, resamples, best.slope)

    def test_noise_refits_equal_the_cold_start(self):
        # continuous noise: the optimum is unique, so warm and cold slopes are the same line
        rng = np.random.default_rng(32)
        x = rng.uniform(0.5, 2.0, 200)
        y = 8.5 - 0.05 * x + rng.normal(0.0, 0.03, 200)
        noisy = np.ascontiguousarray(y + 0.05 * rng.standard_normal((12, 200)))
        warm = assert_warm_slopes_optimal(x, noisy, lad_line(x, y).slope)
        assert_allclose(warm, lad_slopes_trusted(x, noisy), rtol=0, atol=1e-12)

    @pytest.mark.parametrize("start", [-100.0, 0.0, 1e-12, 3.0, 1e6])
    def test_any_start_reaches_the_optimum(self, start):
        rng = np.random.default_rng(33)
        x = rng.uniform(0.0, 3.0, 80)
        y = 1.0 - 0.3 * x + 0.05 * rng.standard_cauchy((6, 80))
        assert_warm_slopes_optimal(x, y, start)

    def test_tied_integer_data(self):
        rng = np.random.default_rng(34)
        for _ in range(30):
            n = int(rng.integers(3, 40))
            x = rng.integers(0, 5, n).astype(float)
            if np.ptp(x) == 0:
                continue
            rows = rng.integers(0, 4, (3, n)).astype(float)
            assert_warm_slopes_optimal(x, rows, float(rng.normal(0.0, 1.0)))

    def test_duplicate_radii(self):
        # spaxels at a handful of radii only (each radius repeated many times)
        rng = np.random.default_rng(35)
        x = np.repeat([0.5, 0.8, 1.1, 1.4, 2.0], 24)
        y = 8.4 - 0.07 * x + rng.normal(0.0, 0.05, (8, x.size))
        assert_warm_slopes_optimal(x, y, -0.07)

    def test_all_equal_y(self):
        x = np.random.default_rng(36).uniform(0.5, 2.0, 60)
        rows = np.full((3, 60), 8.7)
        slopes = assert_warm_slopes_optimal(x, rows, -0.2)
        assert_array_equal(slopes, 0.0)


class TestScaleInvariance:
    def test_large_offset_and_tiny_slope(self):
        # metallicities near 8.5 with gradients of 1e-3: rounding-level tolerances must not
        # stop the descent early or accept a worse line
        rng = np.random.default_rng(9)
        x = rng.uniform(0.5, 2.0, 200)
        y = 1.0e4 + 1.0e-3 * x + rng.normal(0.0, 1.0e-4, 200)
        assert_optimal(x, y, lad_line(x, y), unique=True)

    def test_exact_line(self):
        x = np.linspace(0.0, 1.0, 11)
        line = lad_line(x, 3.0 - 0.25 * x)
        assert_allclose(line, (-0.25, 3.0), rtol=1e-14)


class TestInputErrors:
    def test_single_distinct_x(self):
        with pytest.raises(ValueError, match="fewer than 2 distinct x"):
            lad_line([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])

    def test_single_distinct_x_in_one_row(self):
        x = np.array([[0.0, 1.0, 2.0], [5.0, 5.0, 5.0]])
        with pytest.raises(ValueError, match=r"fewer than 2 distinct x values \(rows \[1\]\)"):
            lad_line(x, np.ones((2, 3)))

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_non_finite(self, bad):
        with pytest.raises(ValueError, match="x contains NaN or infinite"):
            lad_line([0.0, bad, 2.0], [1.0, 2.0, 3.0])
        with pytest.raises(ValueError, match="y contains NaN or infinite"):
            lad_line([0.0, 1.0, 2.0], [[1.0, 2.0, 3.0], [1.0, bad, 3.0]])

    def test_shapes(self):
        with pytest.raises(ValueError, match="different numbers of points"):
            lad_line([0.0, 1.0, 2.0], [1.0, 2.0])
        with pytest.raises(ValueError, match="2-D x must have the shape of y"):
            lad_line(np.zeros((2, 3)), np.zeros((3, 3)))
        with pytest.raises(ValueError, match="1-D or 2-D"):
            lad_line(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
        with pytest.raises(ValueError, match="at least 2 points"):
            lad_line([1.0], [1.0])
