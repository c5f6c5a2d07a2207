"""Behavioural tests of metgrad.stats written against surviving mutants (issue #19).

Every reference here is independent of the code under test: the line-by-line IDL
transcription of ``robust_sigma.pro`` and Cappellari's ``loess_2d`` (test extra), HiGHS
(`scipy.optimize.linprog`) for least absolute deviations, and numpy for bin statistics.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from independent_references import cappellari_loess_2d, highs_lad_line, idl_robust_sigma
from metgrad.stats import robust_sigma
from metgrad.stats.binned import bin_index, binned_statistics_1d, binned_statistics_2d
from metgrad.stats.lad import lad_line, lad_slopes_trusted
from metgrad.stats.loess import _robust_frame, loess_2d

# ---------------------------------------------------------------------------- robust_sigma


def test_robust_sigma_of_rows_about_zero_matches_idl_row_by_row():
    rng = np.random.default_rng(3)
    rows = rng.normal(0.4, 1.0, size=(3, 7))
    expected = [idl_robust_sigma(row, zero=True) for row in rows]
    np.testing.assert_allclose(robust_sigma(rows, zero=True, axis=1), expected, rtol=1e-12)
    np.testing.assert_allclose(robust_sigma(rows.T, zero=True, axis=0), expected, rtol=1e-12)


def test_robust_sigma_point_exactly_on_the_biweight_window_edge_is_inside():
    # median 0, MAD 1 -> scaled MAD 1/0.6745; the third point has u**2 = 1 exactly, so
    # IDL's WHERE(UU LE 1) keeps three points and returns a dispersion, not -1.
    y = [-1.0, 0.0, 6.0 * (1.0 / 0.6745)]
    sigma = robust_sigma(y)
    assert np.isfinite(sigma)
    assert sigma == pytest.approx(idl_robust_sigma(y), rel=1e-12)


def test_robust_sigma_scaled_mad_exactly_at_the_fallback_threshold_keeps_the_mad():
    # MAD / 0.6745 == 1e-20 exactly: IDL's "IF MAD LT 1E-20" does not take the fallback.
    d = np.nextafter(0.6745e-20, 0.0)
    assert d / 0.6745 == 1e-20
    sigma = robust_sigma([-d, 0.0, d])
    assert sigma > 0.0
    assert sigma == pytest.approx(idl_robust_sigma([-d, 0.0, d]), rel=1e-12)


def test_robust_sigma_of_even_count_long_rows_uses_the_mean_of_the_two_middle_values():
    # 1000 integer values with many ties (long rows take the selection path): the two
    # middle order statistics are 24 and 25 (median 24.5)
    row = np.random.default_rng(86).integers(0, 50, size=1000).astype(float)
    assert np.sort(row)[499:501].tolist() == [24.0, 25.0]
    assert robust_sigma(row) == pytest.approx(idl_robust_sigma(row), rel=1e-12)
    rows = np.vstack([row, row[::-1] * 2.0])
    expected = [idl_robust_sigma(rows[0]), idl_robust_sigma(rows[1])]
    np.testing.assert_allclose(robust_sigma(rows, axis=1), expected, rtol=1e-12)


def test_robust_sigma_of_a_deviation_whose_mean_underflows_is_zero_without_warnings():
    # median 0, MAD 0, and the mean absolute deviation 5e-324 / 3 rounds to 0: IDL's
    # second "IF MAD LT 1E-20" returns 0. The one non-zero deviation is then divided
    # by a zero MAD on the way, which must not warn (pytest turns warnings into errors).
    y = [0.0, 0.0, 5e-324]
    assert idl_robust_sigma(y) == 0.0
    assert robust_sigma(y) == 0.0
    np.testing.assert_array_equal(robust_sigma([y, [1.0, 2.0, 4.0]], axis=1)[:1], [0.0])


def test_robust_sigma_works_in_float64_whatever_the_input_type():
    rng = np.random.default_rng(5)
    single = rng.normal(size=31).astype(np.float32)
    assert robust_sigma(single) == idl_robust_sigma(single.astype(np.float64))
    rows = single.reshape(1, -1)
    assert robust_sigma(rows, axis=1)[0] == idl_robust_sigma(single.astype(np.float64))


def test_robust_sigma_axis_on_a_scalar_message():
    with pytest.raises(ValueError, match=r"^robust_sigma: axis was given but y is a scalar$"):
        robust_sigma(2.0, axis=0)


# ---------------------------------------------------------------------------- lad_line


def test_lad_line_of_float32_data_is_the_float64_fit_of_those_values():
    rng = np.random.default_rng(6)
    x = rng.uniform(0.1, 1.3, 9).astype(np.float32)
    y = (0.37 - 0.713 * x + rng.normal(0, 0.05, 9)).astype(np.float32)
    fit = lad_line(x, y)
    cost = highs_lad_line(x, y)[2]
    exact = lad_line(x.astype(float), y.astype(float))
    assert (fit.slope, fit.intercept) == (exact.slope, exact.intercept)
    loss = np.abs(y.astype(float) - fit.intercept - fit.slope * x.astype(float)).sum()
    assert loss == pytest.approx(cost, rel=1e-9, abs=1e-12)


def test_lad_line_of_integer_data():
    x = np.array([0, 1, 2, 3, 4, 5])
    y = np.array([1, 3, 5, 8, 9, 11])
    fit = lad_line(x, y)
    cost = highs_lad_line(x, y)[2]
    loss = np.abs(y - fit.intercept - fit.slope * x).sum()
    assert loss == pytest.approx(cost, abs=1e-9)
    assert isinstance(fit.slope, float)


def test_lad_line_messages():
    good = np.arange(4.0)
    with pytest.raises(ValueError, match=r"^lad_line: x and y must be 1-D or 2-D, got x.ndim=3"):
        lad_line(np.zeros((2, 2, 4)), good)
    with pytest.raises(ValueError, match=r"^lad_line: x and y must be 1-D or 2-D, got x.ndim=1"):
        lad_line(good, np.zeros((2, 2, 4)))
    with pytest.raises(ValueError, match=r"^lad_line: x contains NaN or infinite values; mask"):
        lad_line([0.0, np.nan, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^lad_line: y contains NaN or infinite values; mask"):
        lad_line([0.0, 1.0, 2.0], [1.0, np.inf, 3.0])
    with pytest.raises(
        ValueError, match=r"^lad_line: fewer than 2 distinct x values; the line is undefined$"
    ):
        lad_line([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])


def test_lad_line_names_the_first_five_degenerate_rows():
    x = np.tile(np.arange(4.0), (8, 1))
    x[[1, 2, 3, 5, 6, 7]] = 2.0  # six rows with a single x value; row 0 and 4 are fine
    with pytest.raises(
        ValueError,
        match=r"^lad_line: fewer than 2 distinct x values \(rows \[1, 2, 3, 5, 6\]\); the line",
    ):
        lad_line(x, np.ones((8, 4)))


def test_lad_slopes_trusted_gives_one_slope_per_row_for_any_row_count():
    # fewer rows than points, then more: one HiGHS slope per row, in row order
    rng = np.random.default_rng(12)
    for n_rows, n_points in ((3, 9), (14, 5)):
        x = rng.uniform(0.0, 2.0, n_points)
        rows = np.ascontiguousarray(1.0 - 0.4 * x + rng.normal(0.0, 0.2, (n_rows, n_points)))
        slopes = lad_slopes_trusted(x, rows)
        assert slopes.shape == (n_rows,)
        expected = [highs_lad_line(x, row)[1] for row in rows]
        np.testing.assert_allclose(slopes, expected, rtol=0, atol=1e-9)


# ---------------------------------------------------------------------------- binned statistics


def test_binned_statistics_read_float32_coordinates_as_their_float64_values():
    # 0.35 in float32 is 0.34999999: bin 6 in float64 (bin 7 if divided in float32)
    x = np.array([0.35, 0.26, 0.27], dtype=np.float32)
    assert np.array_equal(bin_index(x, 0.05), bin_index(x.astype(np.float64), 0.05))
    stats = binned_statistics_1d(x, np.array([1, 2, 4], dtype=np.int32), 0.05)
    expected = np.floor(x.astype(np.float64) / 0.05)
    assert stats.mean.dtype == np.float64
    np.testing.assert_allclose(sorted(stats.mean), [1.0, 3.0])
    assert stats.n_bins == np.unique(expected).size


def test_binned_statistics_messages_name_the_function():
    with pytest.raises(ValueError, match=r"^bin_index: x contains NaN or infinite values$"):
        bin_index([0.0, np.nan], 0.1)
    with pytest.raises(
        ValueError,
        match=r"^bin_index: \|x - origin\| / width is too large for integer bin numbers$",
    ):
        bin_index([0.0, 1e300], 1e-10)
    with pytest.raises(
        ValueError,
        match=r"^binned_statistics_1d: coordinates and values must be 1-D of one length, "
        r"got \(3,\), \(2,\)$",
    ):
        binned_statistics_1d([0.0, 1.0, 2.0], [1.0, 2.0], 0.5)
    with pytest.raises(
        ValueError,
        match=r"^binned_statistics_2d: coordinates and values must be 1-D of one length, "
        r"got \(2,\), \(2,\), \(3,\)$",
    ):
        binned_statistics_2d([0.0, 1.0], [0.0, 1.0], [1.0, 2.0, 3.0], 0.5)
    with pytest.raises(ValueError, match=r"^binned_statistics_2d: the data span too many bins"):
        binned_statistics_2d([0.0, 1e9], [0.0, 1e9], [1.0, 2.0], 1e-3)


def test_binned_statistics_2d_float32_and_integer_widths_and_origins():
    x = np.array([0.2, 0.7, 1.2, 1.7])
    y = np.array([0.1, 0.1, 0.1, 0.1])
    stats = binned_statistics_2d(x, y, [1.0, 2.0, 3.0, 4.0], np.array([1, 1]), origin=(0, 0))
    np.testing.assert_allclose(stats.mean, [1.5, 3.5])
    shifted = binned_statistics_2d(x, y, [1.0, 2.0, 3.0, 4.0], 1, origin=np.array([0.5, 0]))
    np.testing.assert_allclose(shifted.mean, [1.0, 2.5, 4.0])
    assert shifted.rows_of([0.6, 1.4, 2.2], [0.0, 0.0, 0.0]).tolist() == [1, 1, 2]


def test_binned_statistics_missing_values_given_as_none_are_left_out():
    stats = binned_statistics_1d([0.12, None, 0.13, 0.31], [1.0, 5.0, 2.0, None], 0.1)
    np.testing.assert_allclose(stats.mean, [1.5])
    assert stats.point_row.dtype == np.int64
    assert stats.point_row.tolist() == [0, -1, 0, -1]


def test_binned_statistics_span_limit_is_2_to_the_62_grid_cells():
    # 2**31 x 2**31 bins of width 1 reach the limit (refused); one bin fewer along y fits
    top = 2.0**31 - 1.0
    with pytest.raises(ValueError, match=r"^binned_statistics_2d: the data span too many bins"):
        binned_statistics_2d([0.0, top], [0.0, top], [1.0, 2.0], 1.0)
    stats = binned_statistics_2d([0.0, top], [0.0, top - 1.0], [1.0, 2.0], 1.0)
    assert stats.count.tolist() == [1, 1]
    with pytest.raises(ValueError, match=r"^bin_index: \|x - origin\| / width is too large"):
        bin_index([2.0**62], 1.0)
    assert bin_index([2.0**62 - 1024.0], 1.0).tolist() == [2**62 - 1024]


def test_rows_of_on_a_sparse_grid():
    # bins 10**6 widths apart: the grid is too sparse for a lookup table
    x = [0.5, 0.5, 5e5 + 0.5, 5e5 + 0.5, 1e6 + 0.5, 1e6 + 0.5, 2e6 + 0.5]
    stats = binned_statistics_1d(x, np.arange(7.0), 1.0, min_count=2)
    rows = stats.rows_of(np.array([1e6 + 0.2, 0.7, 5e5 + 0.1, 2e6 + 0.5, 3.0], dtype=np.float32))
    assert rows.dtype == np.int64
    assert rows.tolist() == [2, 0, 1, -1, -1]
    single = binned_statistics_1d([0.5, 0.5, 1e6 + 0.5], [1.0, 2.0, 3.0], 1.0, min_count=2)
    assert single.rows_of([0.2, 1e6 + 0.5, 7.0]).tolist() == [0, -1, -1]
    empty = binned_statistics_1d([0.5, 1e6 + 0.5], [1.0, 2.0], 1.0, min_count=2)
    assert empty.n_bins == 0
    assert empty.rows_of([0.5, 1e6 + 0.5]).tolist() == [-1, -1]


def test_rows_of_far_points_are_outside_without_warnings():
    stats = binned_statistics_1d([0.05, 0.15], [1.0, 2.0], 1e-10)
    assert stats.rows_of([1e300, -1e300, np.nan]).tolist() == [-1, -1, -1]


def test_rows_of_float32_points_as_their_float64_values():
    stats = binned_statistics_1d(np.arange(0.0, 0.5, 0.01), np.arange(50.0), 0.05)
    points = np.array([0.15, 0.35, 0.2], dtype=np.float32)
    assert np.array_equal(stats.rows_of(points), stats.rows_of(points.astype(np.float64)))


# ---------------------------------------------------------------------------- loess_2d


def _cloud(seed, n=40):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 100.0, n)
    y = rng.uniform(0.0, 1.0, n)
    z = np.sin(x / 10.0) + y**2 + rng.normal(0.0, 0.05, n)
    return x, y, z


def test_loess_2d_does_not_rescale_by_default():
    x, y, z = _cloud(7)
    smoothed, _ = loess_2d(x, y, z, frac=0.3)
    reference = cappellari_loess_2d(x, y, z, frac=0.3, rescale=False)[0]
    np.testing.assert_allclose(smoothed, reference, rtol=0, atol=1e-9)


def test_loess_2d_rescale_with_outlying_coordinates_matches_the_reference():
    # a tilted cloud with three points far outside it: the biweight spread of the
    # rotated axes must ignore them (|u| >= 1), as in the reference.
    rng = np.random.default_rng(8)
    x = np.r_[rng.normal(0.0, 1.0, 36), [30.0, -25.0, 40.0]]
    y = np.r_[rng.normal(0.0, 0.3, 36) + 0.5 * x[:36], [1.0, -2.0, 30.0]]
    z = np.sin(x) + 2.0 * y + rng.normal(0.0, 0.1, 39)
    smoothed, _ = loess_2d(x, y, z, frac=0.4, rescale=True)
    reference = cappellari_loess_2d(x, y, z, frac=0.4, rescale=True)[0]
    np.testing.assert_allclose(smoothed, reference, rtol=0, atol=1e-9)


def test_loess_2d_rescale_with_coordinates_9_to_12_mads_out_matches_the_reference():
    # a round cloud and a ring of 8 points at 7 sigma: along any rotated axis some of
    # them lie 9 to 12.7 MADs from the median (1 <= u**2 < 2), outside the biweight
    # window, which the reference's dispersion leaves out.
    rng = np.random.default_rng(11)
    phi = np.radians(np.arange(0.0, 360.0, 45.0) + 10.0)
    x = np.r_[rng.normal(0.0, 1.0, 40), 7.0 * np.cos(phi)]
    y = np.r_[rng.normal(0.0, 1.0, 40), 7.0 * np.sin(phi)]
    z = np.sin(x) + 0.5 * y + rng.normal(0.0, 0.1, x.size)
    smoothed, _ = loess_2d(x, y, z, frac=0.5, rescale=True)
    reference = cappellari_loess_2d(x, y, z, frac=0.5, rescale=True)[0]
    np.testing.assert_allclose(smoothed, reference, rtol=0, atol=1e-9)


def test_rescale_frame_among_tied_angles_is_the_reference_frame():
    # points with a four-fold rotational symmetry: the dispersion along angle a and
    # a + 90 degrees is the same but for rounding. The frame is the one of largest 1-D
    # biweight dispersion, Cappellari's first maximum over the 180 angles (here the
    # second angle of the tie: 128, not 38), not the first angle of the tie.
    reference = pytest.importorskip("loess.loess_2d")
    a, b = np.array([-2.0, 2.0, 1.0, -6.0]), np.array([18.0, -5.0, 6.0, -5.0])
    x, y = np.r_[a, -b, -a, b], np.r_[b, a, -b, -a]
    sigma = [reference.biweight_sigma(reference.rotate_points(x, y, t)[0]) for t in range(180)]
    angle = int(np.argmax(sigma))
    assert angle == 128 and 0.0 < sigma[128] - sigma[38] < 1e-13
    rx, ry = reference.rotate_points(x, y, angle)
    expected_x = (rx - reference.biweight_mean(rx)) / reference.biweight_sigma(rx)
    expected_y = (ry - reference.biweight_mean(ry)) / reference.biweight_sigma(ry)
    got_x, got_y = _robust_frame(x, y)(x, y)
    np.testing.assert_allclose(got_x, expected_x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_y, expected_y, rtol=0, atol=1e-12)


def test_loess_2d_rescale_of_a_dispersion_that_underflows_to_zero_is_refused():
    # coordinates of order 1e-200: squared deviations underflow, so the biweight
    # dispersion is exactly 0 (as the reference's), and nothing may be divided by it.
    reference = pytest.importorskip("loess.loess_2d")
    rng = np.random.default_rng(1)
    x, y = rng.normal(0.0, 1e-200, (2, 30))
    assert reference.biweight_sigma(x) == 0.0
    with pytest.raises(
        ValueError,
        match=r"^rescale=True needs a non-zero biweight dispersion along both rotated axes$",
    ):
        loess_2d(x, y, np.arange(30.0), frac=0.5, rescale=True)


def test_loess_2d_with_errors_on_a_grid_matches_the_reference():
    # points on a grid have tied neighbour distances: they take the KD-tree path,
    # which must use the errors of z as the direct path does.
    rng = np.random.default_rng(9)
    x, y = (a.ravel() for a in np.meshgrid(np.arange(6.0), np.arange(6.0)))
    z = np.sin(x) + 0.1 * y + rng.normal(0.0, 0.1, x.size)
    sigz = rng.uniform(0.05, 0.3, x.size)
    smoothed, _ = loess_2d(x, y, z, npoints=12, sigz=sigz)
    reference = cappellari_loess_2d(x, y, z, npoints=12, sigz=sigz)[0]
    np.testing.assert_allclose(smoothed, reference, rtol=0, atol=1e-9)


def test_loess_2d_messages():
    x, y, z = _cloud(10, n=20)
    with pytest.raises(
        ValueError,
        match=r"^too few points for the degree: frac \* n = 0.1 \* 20 gives 2 neighbours, but "
        r"a fit with 3 coefficients needs at least 4 \(the farthest has zero weight\)$",
    ):
        loess_2d(x, y, z, frac=0.1)
    with pytest.raises(
        ValueError,
        match=r"^too few points for the degree: npoints = 6, but a "
        r"fit with 6 coefficients needs at least 7 ",
    ):
        loess_2d(x, y, z, npoints=6, degree=2)
    with pytest.raises(ValueError, match=r"^sigz must be strictly positive$"):
        loess_2d(x, y, z, sigz=np.zeros(20))
    with pytest.raises(ValueError, match=r"^give both xnew and ynew, or neither$"):
        loess_2d(x, y, z, xnew=x)
    with pytest.raises(
        ValueError, match=r"^rescale=True needs points spread along some direction$"
    ):
        loess_2d(np.ones(20), np.ones(20), z, rescale=True)


def test_loess_2d_all_neighbours_coincident_message():
    x = np.r_[np.zeros(6), np.arange(1.0, 7.0)]
    y = np.r_[np.zeros(6), np.arange(1.0, 7.0) ** 2]
    z = np.arange(12.0)
    with pytest.raises(
        ValueError,
        match=r"^all neighbours of a point coincide with it: increase frac or npoints$",
    ):
        loess_2d(x, y, z, npoints=5)


def test_loess_2d_rescale_of_points_on_a_line_is_refused_without_warnings():
    # all but two points on y = 0: the rotated axis across the line has zero MAD, so
    # its biweight dispersion is undefined; the error says so (no division warning).
    x = np.r_[np.arange(20.0), [3.0, 7.0]]
    y = np.r_[np.zeros(20), [1.0, -1.0]]
    with pytest.raises(
        ValueError,
        match=r"^rescale=True needs a non-zero biweight dispersion along both rotated axes$",
    ):
        loess_2d(x, y, np.arange(22.0), frac=0.5, rescale=True)


def test_lad_line_takes_x_as_any_real_numbers_numpy_converts():
    """x given as exact fractions (an object array until converted) is fitted as floats:
    kills ``lad._validated`` 5 (x kept as given, so ``isfinite`` refuses the object array)."""
    y = [1.0, 3.0, 5.5, 7.0, 9.25]
    exact = lad_line([Fraction(k, 4) for k in range(5)], y)
    floats = lad_line([k / 4 for k in range(5)], y)
    assert (exact.slope, exact.intercept) == (floats.slope, floats.intercept)
