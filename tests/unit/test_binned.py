"""Binned statistics on regular grids: hand-made tables and scipy.stats as a reference.

Bin i covers [origin + i w, origin + (i + 1) w). Per bin: count, mean, median (even count:
mean of the two middle values), std with ddof = 1 (NaN for fewer than 2 points).
"""

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import binned_statistic, binned_statistic_2d

from metgrad.stats.binned import (
    BinnedStatistics,
    bin_index,
    binned_statistics_1d,
    binned_statistics_2d,
)


class TestBinIndex:
    def test_decimal_edges(self):
        # width 0.05 from origin 0: 10.00 and 10.049 -> floor(200.0), floor(200.98) = 200;
        # 10.05 starts bin 201 although 10.05/0.05 rounds to 200.99999999999997 in binary;
        # 0.15/0.05 = 2.9999999999999996 -> bin 3 = [0.15, 0.20); -0.01 -> floor(-0.2) = -1
        assert_array_equal(
            bin_index([10.0, 10.049, 10.05, 0.15, -0.01, -0.05], 0.05), [200, 200, 201, 3, -1, -1]
        )

    def test_origin(self):
        # origin 0.025, width 0.05: edges ..., -0.025, 0.025, 0.075, ...
        # 0.03 -> (0.005)/0.05 = 0.1 -> 0; 0.02 -> -0.1 -> -1; 0.075 -> 1.0 -> 1
        assert_array_equal(bin_index([0.03, 0.02, 0.075], 0.05, origin=0.025), [0, -1, 1])

    def test_errors(self):
        with pytest.raises(ValueError, match="positive"):
            bin_index([1.0], 0.0)
        with pytest.raises(ValueError, match="positive"):
            bin_index([1.0], np.nan)
        with pytest.raises(ValueError, match="origin must be finite"):
            bin_index([1.0], 0.1, origin=np.inf)
        with pytest.raises(ValueError, match="NaN or infinite"):
            bin_index([np.nan], 0.1)
        with pytest.raises(ValueError, match="too large"):
            bin_index([1e300], 1e-10)


class TestOneDimensionalByHand:
    # x:      0.01 0.02 | 0.06 0.07 0.09 | 0.30 | NaN | 0.04
    # value:  1    3    | 2    4    9    | 5    | 7   | NaN
    # bins (width 0.05): [0, 0.05) -> {1, 3}; [0.05, 0.10) -> {2, 4, 9}; [0.30, 0.35) -> {5};
    # the points with NaN x or NaN value are ignored.
    x = (0.01, 0.02, 0.06, 0.07, 0.09, 0.30, np.nan, 0.04)
    v = (1.0, 3.0, 2.0, 4.0, 9.0, 5.0, 7.0, np.nan)

    def test_statistics(self):
        b = binned_statistics_1d(self.x, self.v, 0.05)
        assert_array_equal(b.index[0], [0, 1, 6])
        assert_allclose(b.centres[0], [0.025, 0.075, 0.325])
        assert_array_equal(b.count, [2, 3, 1])
        # means: (1 + 3)/2 = 2; (2 + 4 + 9)/3 = 5; 5
        assert_allclose(b.mean, [2.0, 5.0, 5.0])
        # medians: (1 + 3)/2 = 2 (even count); 4; 5
        assert_allclose(b.median, [2.0, 4.0, 5.0])
        # std (ddof = 1): sqrt(((1-2)^2 + (3-2)^2)/1) = sqrt(2);
        # sqrt(((2-5)^2 + (4-5)^2 + (9-5)^2)/2) = sqrt(26/2) = sqrt(13); one point -> NaN
        assert_allclose(b.std, [np.sqrt(2.0), np.sqrt(13.0), np.nan])
        assert_array_equal(b.point_row, [0, 0, 1, 1, 1, 2, -1, -1])
        assert b.n_bins == 3

    def test_even_count_median(self):
        # one bin [1, 2) holding 20, 1, 10, 2: sorted 1, 2, 10, 20 -> median (2 + 10)/2 = 6
        b = binned_statistics_1d([1.1, 1.2, 1.3, 1.4], [20.0, 1.0, 10.0, 2.0], 1.0)
        assert_allclose(b.median, [6.0])
        # mean 33/4 = 8.25; std: deviations 11.75, -7.25, 1.75, -6.25, squares
        # 138.0625 + 52.5625 + 3.0625 + 39.0625 = 232.75 -> sqrt(232.75/3) = 8.80814...
        assert_allclose(b.mean, [8.25])
        assert_allclose(b.std, [np.sqrt(232.75 / 3)])

    def test_min_count_drops_sparse_bins(self):
        b = binned_statistics_1d(self.x, self.v, 0.05, min_count=2)
        assert_array_equal(b.index[0], [0, 1])
        assert_array_equal(b.count, [2, 3])
        # the point at 0.30 is in a dropped bin: row -1; rows renumbered
        assert_array_equal(b.point_row, [0, 0, 1, 1, 1, -1, -1, -1])

    def test_rows_of_new_points(self):
        b = binned_statistics_1d(self.x, self.v, 0.05)
        rows = b.rows_of([0.0, 0.049, 0.05, 0.31, 0.2, -1.0, np.nan, 0.35, 1e300, -np.inf])
        # 0.0, 0.049 -> bin 0 (row 0); 0.05 -> bin 1 (row 1); 0.31 -> bin 6 (row 2);
        # 0.2 (bin 4, empty), -1 (outside), NaN, 0.35 (bin 7, empty), 1e300, -inf -> -1
        assert_array_equal(rows, [0, 0, 1, 2, -1, -1, -1, -1, -1, -1])
        assert_array_equal(b.rows_of([[0.01, 0.3], [0.5, 0.06]]), [[0, 2], [-1, 1]])

    def test_origin_shifts_the_grid(self):
        # origin 0.03: edges -0.02, 0.03, 0.08, ...: 0.01, 0.02 -> bin -1; 0.06, 0.07 -> 0;
        # 0.09 -> 1; 0.30 -> floor(5.4) = 5
        b = binned_statistics_1d(self.x, self.v, 0.05, origin=0.03)
        assert_array_equal(b.index[0], [-1, 0, 1, 5])
        assert_array_equal(b.count, [2, 2, 1, 1])
        assert_allclose(b.mean, [2.0, 3.0, 9.0, 5.0])
        assert_allclose(b.centres[0], [0.005, 0.055, 0.105, 0.305])


class TestTwoDimensionalByHand:
    def test_statistics_and_row_order(self):
        # width (0.05 in x, 0.1 in y), origin 0:
        # point  x      y     value  bin (ix, iy)
        # 0      10.01  8.01  8.5    (200, 80)
        # 1      10.02  8.09  8.7    (200, 80)
        # 2      10.07  8.01  8.6    (201, 80)
        # 3      10.01  8.12  8.2    (200, 81)
        # 4      10.03  8.15  8.4    (200, 81)
        # 5      10.04  8.18  9.0    (200, 81)
        # 6      10.04  NaN   8.0    ignored
        # rows sorted by ix then iy: (200, 80), (200, 81), (201, 80)
        x = [10.01, 10.02, 10.07, 10.01, 10.03, 10.04, 10.04]
        y = [8.01, 8.09, 8.01, 8.12, 8.15, 8.18, np.nan]
        v = [8.5, 8.7, 8.6, 8.2, 8.4, 9.0, 8.0]
        b = binned_statistics_2d(x, y, v, (0.05, 0.1))
        assert_array_equal(b.index[0], [200, 200, 201])
        assert_array_equal(b.index[1], [80, 81, 80])
        assert_allclose(b.centres[0], [10.025, 10.025, 10.075])
        assert_allclose(b.centres[1], [8.05, 8.15, 8.05])
        assert_array_equal(b.count, [2, 3, 1])
        # (200, 80): mean 8.6, median 8.6, std sqrt(2 * 0.1^2 / 1) = 0.141421...
        # (200, 81): 8.2, 8.4, 9.0 -> mean 25.6/3 = 8.5333..., median 8.4,
        #   deviations -0.3333, -0.1333, 0.4667 -> sum of squares 0.1111 + 0.0178 + 0.2178
        #   = 0.3467 -> std sqrt(0.3467/2) = 0.41633...
        assert_allclose(b.mean, [8.6, 25.6 / 3, 8.6])
        assert_allclose(b.median, [8.6, 8.4, 8.6])
        assert_allclose(b.std, [np.sqrt(0.02), np.sqrt((0.52 / 1.5) / 2), np.nan])
        assert_array_equal(b.point_row, [0, 0, 2, 1, 1, 1, -1])
        assert_array_equal(b.rows_of([10.0, 10.09, 10.09], [8.19, 8.0, 8.1]), [1, 2, -1])

    def test_scalar_width_and_origin_apply_to_both_axes(self):
        b = binned_statistics_2d([0.26, 0.74], [0.26, 0.74], [1.0, 2.0], 0.5, origin=0.25)
        # origin 0.25, width 0.5: 0.26 -> 0, 0.74 -> floor(0.98) = 0: one bin (0, 0)
        assert_array_equal(b.count, [2])
        assert b.width == (0.5, 0.5) and b.origin == (0.25, 0.25)


class TestAgainstScipy:
    def test_one_dimensional(self):
        rng = np.random.default_rng(10)
        x = rng.normal(1.2, 0.3, 3000)
        v = rng.normal(-0.01, 0.05, 3000)
        width = 0.05
        b = binned_statistics_1d(x, v, width)
        low, high = int(np.floor(x.min() / width)), int(np.floor(x.max() / width)) + 1
        edges = np.arange(low, high + 1) * width
        for name, ours in [("count", b.count), ("mean", b.mean), ("median", b.median)]:
            ref = binned_statistic(x, v, statistic=name, bins=edges).statistic
            assert_allclose(ours, ref[b.index[0] - low], rtol=1e-12)
        # every occupied scipy bin is a row of ours
        counts = binned_statistic(x, v, statistic="count", bins=edges).statistic
        assert (counts > 0).sum() == b.n_bins
        # std with ddof = 1, bin by bin
        for row, i in enumerate(b.index[0]):
            in_bin = (x >= edges[i - low]) & (x < edges[i - low + 1])
            if in_bin.sum() >= 2:
                assert_allclose(b.std[row], np.std(v[in_bin], ddof=1), rtol=1e-10)
            else:
                assert np.isnan(b.std[row])

    def test_two_dimensional_with_nan(self):
        rng = np.random.default_rng(11)
        n = 5000
        x = rng.normal(10.0, 0.4, n)
        y = rng.normal(8.0, 0.3, n)
        v = 8.5 + 0.1 * (x - 10) + rng.normal(0.0, 0.05, n)
        v[rng.random(n) < 0.05] = np.nan
        width = (0.1, 0.05)
        b = binned_statistics_2d(x, y, v, width)
        good = np.isfinite(v)
        lows = [int(np.floor(c[good].min() / w)) for c, w in zip((x, y), width, strict=True)]
        highs = [int(np.floor(c[good].max() / w)) + 1 for c, w in zip((x, y), width, strict=True)]
        edges = [np.arange(lo, hi + 1) * w for lo, hi, w in zip(lows, highs, width, strict=True)]
        for name, ours in [("count", b.count), ("mean", b.mean), ("median", b.median)]:
            ref = binned_statistic_2d(x[good], y[good], v[good], statistic=name, bins=edges)
            grid = ref.statistic
            assert_allclose(
                ours, grid[b.index[0] - lows[0], b.index[1] - lows[1]], rtol=1e-12, atol=1e-12
            )
        ref_count = binned_statistic_2d(x[good], y[good], v[good], "count", bins=edges).statistic
        assert (ref_count > 0).sum() == b.n_bins
        # each point maps to its own bin's row
        rows = b.point_row[good]
        assert_array_equal(b.index[0][rows], np.floor(x[good] / width[0]).astype(int))
        assert_array_equal(b.index[1][rows], np.floor(y[good] / width[1]).astype(int))
        assert_array_equal(b.point_row[~good], -1)
        assert_array_equal(b.rows_of(x[good], y[good]), rows)


class TestContainer:
    def test_frozen_and_read_only(self):
        b = binned_statistics_1d([0.1, 0.2], [1.0, 2.0], 0.5)
        assert isinstance(b, BinnedStatistics)
        with pytest.raises(dataclasses.FrozenInstanceError):
            b.count = np.array([5])
        with pytest.raises(ValueError, match="read-only"):
            b.mean[0] = 0.0

    def test_no_finite_points(self):
        b = binned_statistics_1d([np.nan, 1.0], [1.0, np.nan], 0.5)
        assert b.n_bins == 0
        assert_array_equal(b.point_row, [-1, -1])
        assert_array_equal(b.rows_of([1.0]), [-1])

    def test_input_errors(self):
        with pytest.raises(ValueError, match="1-D of one length"):
            binned_statistics_1d([1.0, 2.0], [1.0], 0.5)
        with pytest.raises(ValueError, match="min_count"):
            binned_statistics_1d([1.0], [1.0], 0.5, min_count=0)
        with pytest.raises(ValueError, match="positive"):
            binned_statistics_2d([1.0], [1.0], [1.0], (0.1, -0.1))
        b = binned_statistics_2d([1.0], [1.0], [1.0], 0.1)
        with pytest.raises(ValueError, match="expected 2 coordinate"):
            b.rows_of([1.0])


def test_2d_without_median_keeps_every_other_statistic():
    from metgrad.stats.binned import binned_statistics_2d

    rng = np.random.default_rng(11)
    x, y, v = rng.uniform(0, 1, 500), rng.uniform(0, 1, 500), rng.normal(size=500)
    full = binned_statistics_2d(x, y, v, 0.25, min_count=3)
    lean = binned_statistics_2d(x, y, v, 0.25, min_count=3, with_median=False)
    for name in ("count", "mean", "std", "point_row"):
        assert np.array_equal(getattr(full, name), getattr(lean, name), equal_nan=True)
    assert np.isnan(lean.median).all() and np.isfinite(full.median).all()


def test_counting_and_sorting_paths_agree(monkeypatch):
    """Small grids are counted, large sparse ones sorted: the same bins either way."""
    from metgrad.stats import binned

    rng = np.random.default_rng(11)
    x, y = rng.normal(10, 0.5, 3000), rng.normal(8, 0.3, 3000)
    v = rng.normal(size=3000)
    x[:2] = [1e4, -1e4]  # two far points: a grid of ~4e5 x 60 cells, far more than 4n
    counted = binned_statistics_2d(x[2:], y[2:], v[2:], 0.1, min_count=3)
    sparse = binned_statistics_2d(x, y, v, 0.1, min_count=3)
    assert sparse._lookup is None and counted._lookup is not None
    monkeypatch.setattr(binned, "_DENSE_GRID_FACTOR", 0)
    monkeypatch.setattr(binned, "_DENSE_GRID_MIN", 0)
    sorted_small = binned_statistics_2d(x[2:], y[2:], v[2:], 0.1, min_count=3)
    assert sorted_small._lookup is None
    for name in ("count", "mean", "median", "std", "point_row"):
        assert_array_equal(getattr(counted, name), getattr(sorted_small, name))
    for a, b in zip(counted.index, sorted_small.index, strict=True):
        assert_array_equal(a, b)
    px, py = rng.normal(10, 0.7, 500), rng.normal(8, 0.4, 500)
    px[0] = np.nan
    assert_array_equal(counted.rows_of(px, py), sorted_small.rows_of(px, py))
    assert (counted.rows_of(px, py) >= 0).sum() > 100
