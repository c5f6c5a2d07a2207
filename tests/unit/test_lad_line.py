"""lad_line: exact least-absolute-deviation lines, checked against an exact LP solver.

The reference is the LAD linear program solved by scipy.optimize.linprog (HiGHS):
minimise sum(u + v) subject to a + b x_i + u_i - v_i = y_i, u, v >= 0. Objectives
sum|y - a - b x| must agree to 1e-9 relative; where the LAD line is unique (continuous random
data: ties have probability zero) the coefficients must agree too.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import linprog

from metgrad.stats import lad as lad_module
from metgrad.stats.lad import LADLine, lad_line


def lp_lad(x, y):
    """Exact LAD line by linear programming (HiGHS): (slope, intercept, objective)."""
    n = len(x)
    identity = sp.identity(n, format="csr")
    a_eq = sp.hstack([sp.csr_matrix(np.c_[np.ones(n), x]), identity, -identity], format="csr")
    cost = np.r_[0.0, 0.0, np.ones(2 * n)]
    bounds = [(None, None)] * 2 + [(0, None)] * (2 * n)
    result = linprog(cost, A_eq=a_eq, b_eq=y, bounds=bounds, method="highs")
    assert result.status == 0
    return result.x[1], result.x[0], result.fun


def objective(x, y, slope, intercept):
    return np.abs(y - intercept - slope * x).sum()


def assert_optimal(x, y, line, unique=False):
    lp_slope, lp_intercept, lp_objective = lp_lad(x, y)
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

    def test_chunked_batches_equal_one_pass(self, monkeypatch):
        # large batches are fitted in chunks of rows; force small chunks (3 rows of 20)
        rng = np.random.default_rng(12)
        x = rng.uniform(0.0, 2.0, (10, 20))
        y = x + rng.laplace(0.0, 0.3, (10, 20))
        one_pass = lad_line(x, y)
        shared = lad_line(x[0], y)
        monkeypatch.setattr(lad_module, "_CHUNK_ELEMENTS", 60)
        for got, want in [(lad_line(x, y), one_pass), (lad_line(x[0], y), shared)]:
            assert np.array_equal(got.slope, want.slope)
            assert np.array_equal(got.intercept, want.intercept)

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


# --- weights ------------------------------------------------------------------------------


def lp_weighted_lad(x, y, w):
    """Exact weighted LAD line by linear programming (HiGHS): (slope, intercept, objective).

    minimise sum w_i (u_i + v_i) subject to a + b x_i + u_i - v_i = y_i, u, v >= 0.
    """
    n = len(x)
    identity = sp.identity(n, format="csr")
    a_eq = sp.hstack([sp.csr_matrix(np.c_[np.ones(n), x]), identity, -identity], format="csr")
    cost = np.r_[0.0, 0.0, w, w]
    bounds = [(None, None)] * 2 + [(0, None)] * (2 * n)
    result = linprog(cost, A_eq=a_eq, b_eq=y, bounds=bounds, method="highs")
    assert result.status == 0
    return result.x[1], result.x[0], result.fun


def weighted_objective(x, y, w, slope, intercept):
    return np.sum(w * np.abs(y - intercept - slope * x))


def assert_weighted_optimal(x, y, w, line, unique=False):
    lp_slope, lp_intercept, lp_objective = lp_weighted_lad(x, y, w)
    ours = weighted_objective(x, y, w, line.slope, line.intercept)
    assert ours <= lp_objective * (1 + 1e-9) + 1e-12, (ours, lp_objective)
    if unique:
        assert_allclose(line.slope, lp_slope, rtol=1e-7, atol=1e-9)
        assert_allclose(line.intercept, lp_intercept, rtol=1e-7, atol=1e-9)


def bootstrap_rows(rng, x, m):
    """Residual-bootstrap resamples about the LAD line (many exactly collinear points)."""
    y = 8.6 - 0.1 * x + rng.normal(0.0, 0.05, x.size)
    best = lad_line(x, y)
    fitted = best.intercept + best.slope * x
    return fitted + (y - fitted)[rng.integers(0, x.size, (m, x.size))]


def test_sequential_row_sums_are_left_to_right():
    # zero-weight padding changes no bit only if sums over points are added left to right;
    # _running_sum must equal the last column of cumsum (a left-to-right running sum)
    rng = np.random.default_rng(20)
    for m, n in [(1, 3), (7, 130), (300, 1001)]:
        values = rng.standard_normal((m, n)) * rng.lognormal(0.0, 3.0, (m, n))
        assert np.array_equal(lad_module._running_sum(values), values.cumsum(axis=1)[:, -1])


def test_equal_values_are_summed_in_index_order():
    # running sums of weights in sorted order round differently if equal values come in a
    # different order; the weighted path sorts them in index order (as a stable sort would),
    # so the sums do not depend on other entries of the row
    rng = np.random.default_rng(31)
    values = rng.integers(0, 5, (3, 300)).astype(float)
    weights = rng.uniform(0.1, 1.0, (3, 300))
    values[2, 250:], weights[2, 250:] = np.inf, 0.0  # padding sorts last
    ordered, ordered_weights = lad_module._canonical_order(values, weights)
    stable = np.argsort(values, axis=1, kind="stable")
    assert np.array_equal(ordered, np.take_along_axis(values, stable, axis=1))
    assert np.array_equal(ordered_weights[:2], np.take_along_axis(weights, stable, axis=1)[:2])
    assert np.array_equal(ordered_weights[2, :250], weights[2, stable[2, :250]])


class TestWeightedHandCases:
    def test_two_radii_go_through_the_weighted_group_medians(self):
        # With x = 0 and x = 1 only, a line is any pair of values (c0, c1) at x = 0, 1 and the
        # objective separates into sum w |y - c0| over x = 0 plus sum w |y - c1| over x = 1.
        # x = 0: y = 0, 1, 5 with w = 1, 1, 3 (total 5, half 2.5): cumulative weights 1, 2, 5
        #   reach 2.5 only at y = 5, so c0 = 5 (unique: y = 5 carries more than half).
        # x = 1: y = 2, 4, 10 with w = 3, 1, 1: cumulative 3 >= 2.5 at y = 2, so c1 = 2.
        # Line: intercept 5, slope 2 - 5 = -3; objective 1*5 + 1*4 + 0 + 0 + 1*2 + 1*8 = 19.
        x = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
        y = np.array([0.0, 1.0, 5.0, 2.0, 4.0, 10.0])
        w = np.array([1.0, 1.0, 3.0, 3.0, 1.0, 1.0])
        line = lad_line(x, y, weights=w)
        assert line == (-3.0, 5.0)
        assert weighted_objective(x, y, w, *line) == 19.0
        assert_weighted_optimal(x, y, w, line, unique=True)

    def test_zero_weight_outliers_are_ignored(self):
        # y = 1 + 2x on four points; two wild points of weight 0 must not move the line
        x = np.array([0.0, 1.0, 5.0, 2.0, 3.0, -4.0])
        y = np.array([1.0, 3.0, -50.0, 5.0, 7.0, 80.0])
        line = lad_line(x, y, weights=[1.0, 1.0, 0.0, 1.0, 1.0, 0.0])
        assert line == (2.0, 1.0)

    def test_even_weights_intercept_is_the_midpoint(self):
        # (0, 0) and (0, 2) with weights 2, 2; (1, 0) and (1, 2) with weights 1, 1: every line
        # with a in [0, 2] and a + b in [0, 2] is optimal (objective 2*2 + 1*2 = 6). For the
        # returned slope b the intercept is the midpoint of the interval of weighted medians of
        # y - b x = [0, 2, -b, 2 - b] with weights [2, 2, 1, 1].
        x = np.array([0.0, 0.0, 1.0, 1.0])
        y = np.array([0.0, 2.0, 0.0, 2.0])
        w = np.array([2.0, 2.0, 1.0, 1.0])
        line = lad_line(x, y, weights=w)
        assert weighted_objective(x, y, w, *line) == 6.0
        residual = y - line.slope * x
        order = np.argsort(residual)
        cumulative = np.cumsum(w[order])  # total 6, half 3
        low = residual[order][np.argmax(cumulative >= 3.0)]
        high = residual[order][np.argmax(cumulative > 3.0)]
        assert line.intercept == (low + high) / 2


class TestWeightedAgainstLinearProgram:
    def test_random_data_and_weights_unique(self):
        rng = np.random.default_rng(21)
        for n in [3, 12, 60, 300]:
            for _ in range(4):
                x = rng.uniform(0.5, 2.0, n)
                y = 8.6 - 0.08 * x + rng.normal(0.0, 0.05, n)
                w = rng.uniform(0.1, 3.0, n)
                assert_weighted_optimal(x, y, w, lad_line(x, y, weights=w), unique=True)

    def test_outlier_heavy_data_with_some_zero_weights(self):
        rng = np.random.default_rng(22)
        for n in [8, 50, 200]:
            for _ in range(4):
                x = rng.uniform(0.0, 3.0, n)
                y = 1.0 - 0.3 * x + 0.05 * rng.standard_cauchy(n)
                far = rng.random(n) < 0.3
                y[far] += rng.normal(0.0, 5.0, far.sum())
                w = rng.exponential(1.0, n)
                w[rng.random(n) < 0.25] = 0.0
                w[:2], x[:2] = 1.0, [0.0, 3.0]  # at least two distinct x with weight
                assert_weighted_optimal(x, y, w, lad_line(x, y, weights=w), unique=True)

    def test_tied_integer_data_and_weights(self):
        # integer grids and integer weights (zeros included): ties, collinear triples,
        # non-unique optima; only the objective is checked
        rng = np.random.default_rng(23)
        checked = 0
        for _ in range(80):
            n = int(rng.integers(3, 40))
            x = rng.integers(0, 5, n).astype(float)
            y = rng.integers(0, 4, n).astype(float)
            w = rng.integers(0, 4, n).astype(float)
            if np.unique(x[w > 0]).size < 2:
                continue
            assert_weighted_optimal(x, y, w, lad_line(x, y, weights=w))
            checked += 1
        assert checked > 50

    def test_integer_weights_equal_duplicated_points(self):
        # weight k is the same as k copies of the point: equal optimal objective, and the same
        # line where the optimum is unique (continuous y)
        rng = np.random.default_rng(24)
        for n in [5, 30, 120]:
            for tied in (False, True):
                x = rng.uniform(0.5, 2.0, n)
                y = 8.5 - 0.1 * x + rng.normal(0.0, 0.05, n)
                if tied:
                    x, y = np.round(x, 1), np.round(y, 1)
                counts = rng.integers(0, 4, n)
                counts[:2], x[:2] = 1, [0.5, 2.0]
                weighted = lad_line(x, y, weights=counts)
                x_rep, y_rep = np.repeat(x, counts), np.repeat(y, counts)
                repeated = lad_line(x_rep, y_rep)
                ours = weighted_objective(x, y, counts, *weighted)
                theirs = objective(x_rep, y_rep, *repeated)
                assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
                assert_weighted_optimal(x, y, counts, weighted)
                if not tied:
                    assert_allclose(weighted, repeated, rtol=1e-12, atol=1e-13)


class TestZeroWeightPadding:
    """A zero-weight point changes no bit of the line, wherever it is in the row."""

    @staticmethod
    def padded(rng, x, y, w, extra, anywhere):
        n = x.size
        size = n + extra
        if anywhere:  # real points keep their order, zero-weight points fill the gaps
            slots = np.sort(rng.choice(size, n, replace=False))
        else:  # trailing padding, as in stacked galaxies
            slots = np.arange(n)
        px = rng.uniform(-10.0, 10.0, size)
        py = rng.normal(0.0, 100.0, size)
        pw = np.zeros(size)
        px[slots], py[slots], pw[slots] = x, y, w
        return px, py, pw

    def rows(self, rng):
        """Continuous, tied, duplicated-radius and bootstrap rows with their weights."""
        cases = []
        for n in [2, 3, 7, 40, 250]:
            x = rng.uniform(0.5, 2.0, n)
            cases.append((x, 8.6 - 0.1 * x + rng.laplace(0.0, 0.05, n), np.ones(n)))
            cases.append((x, 8.6 - 0.1 * x + rng.laplace(0.0, 0.05, n), rng.uniform(0, 2, n)))
        for _ in range(20):
            n = int(rng.integers(4, 30))
            x = rng.integers(0, 4, n).astype(float)
            x[:2] = [0.0, 3.0]
            cases.append((x, rng.integers(0, 3, n).astype(float), rng.integers(1, 3, n) * 0.5))
        pool = np.round(rng.uniform(0.5, 2.0, 40), 3)  # duplicated radii
        x = rng.choice(pool, 150)
        for row in bootstrap_rows(rng, x, 15):
            cases.append((x, row, np.ones(x.size)))
        return cases

    @pytest.mark.parametrize("anywhere", [False, True])
    def test_padded_rows_give_the_same_bits(self, anywhere):
        rng = np.random.default_rng(25)
        for x, y, w in self.rows(rng):
            alone = lad_line(x, y, weights=w)
            px, py, pw = self.padded(rng, x, y, w, int(rng.integers(1, 60)), anywhere)
            assert lad_line(px, py, weights=pw) == alone

    def test_stacked_rows_of_different_lengths(self):
        # rows of different lengths padded to one width and fitted in one call, as the
        # gradient batches do: each equals its fit alone, bit for bit
        rng = np.random.default_rng(26)
        cases = self.rows(rng)
        width = max(x.size for x, _, _ in cases) + 3
        xs, ys, ws = (np.zeros((len(cases), width)) for _ in range(3))
        for i, (x, y, w) in enumerate(cases):
            xs[i, : x.size], ys[i, : x.size], ws[i, : x.size] = x, y, w
            xs[i, x.size :] = x[-1]  # padding may repeat a real point
            ys[i, x.size :] = y[-1]
        stacked = lad_line(xs, ys, weights=ws)
        for i, (x, y, w) in enumerate(cases):
            assert (stacked.slope[i], stacked.intercept[i]) == lad_line(x, y, weights=w)

    def test_padding_keeps_the_weighted_optimum(self):
        rng = np.random.default_rng(27)
        for x, y, w in self.rows(rng)[::4]:
            px, py, pw = self.padded(rng, x, y, w, 10, True)
            assert_weighted_optimal(px, py, pw, lad_line(px, py, weights=pw))


class TestWeightedBatches:
    def test_unit_weights_give_the_unweighted_line_where_unique(self):
        # continuous data: the optimum is unique, so both paths end on the same two points
        rng = np.random.default_rng(28)
        x = rng.uniform(0.5, 2.0, 80)
        y = 8.6 - 0.1 * x + rng.normal(0.0, 0.05, (12, 80))
        unweighted, weighted = lad_line(x, y), lad_line(x, y, weights=np.ones(80))
        assert np.array_equal(unweighted.slope, weighted.slope)
        assert np.array_equal(unweighted.intercept, weighted.intercept)

    def test_broadcast_weights_equal_full_weights(self):
        rng = np.random.default_rng(29)
        x = rng.uniform(0.0, 2.0, 30)
        y = x + rng.laplace(0.0, 0.3, (6, 30))
        w = rng.uniform(0.0, 2.0, 30)
        w[:2], x[:2] = 1.0, [0.0, 2.0]
        shared = lad_line(x, y, weights=w)
        full = lad_line(np.tile(x, (6, 1)), y, weights=np.tile(w, (6, 1)))
        assert np.array_equal(shared.slope, full.slope)
        assert np.array_equal(shared.intercept, full.intercept)
        for i in range(6):
            assert (shared.slope[i], shared.intercept[i]) == lad_line(x, y[i], weights=w)

    def test_chunked_weighted_batches_equal_one_pass(self, monkeypatch):
        rng = np.random.default_rng(30)
        x = rng.uniform(0.0, 2.0, (10, 20))
        y = x + rng.laplace(0.0, 0.3, (10, 20))
        w = rng.integers(0, 3, (10, 20)).astype(float)
        w[:, :2], x[:, :2] = 1.0, [0.0, 2.0]
        one_pass = lad_line(x, y, weights=w)
        monkeypatch.setattr(lad_module, "_CHUNK_ELEMENTS", 60)
        chunked = lad_line(x, y, weights=w)
        assert np.array_equal(chunked.slope, one_pass.slope)
        assert np.array_equal(chunked.intercept, one_pass.intercept)


class TestWeightErrors:
    @pytest.mark.parametrize("bad", [np.nan, np.inf, -1.0])
    def test_bad_values(self, bad):
        with pytest.raises(ValueError, match=r"weights (contain NaN|must be non-negative)"):
            lad_line([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], weights=[1.0, bad, 1.0])

    def test_shape(self):
        with pytest.raises(ValueError, match=r"weights of shape \(2,\) do not broadcast"):
            lad_line([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], weights=[1.0, 1.0])

    def test_one_distinct_x_with_weight(self):
        # three distinct x, but only x = 1 carries weight
        with pytest.raises(ValueError, match="fewer than 2 distinct x values among the points"):
            lad_line([0.0, 1.0, 1.0, 2.0], [1.0, 2.0, 3.0, 4.0], weights=[0.0, 1.0, 2.0, 0.0])
        with pytest.raises(ValueError, match=r"positive weight \(rows \[1\]\)"):
            lad_line([0.0, 1.0, 2.0], np.ones((2, 3)), weights=[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
