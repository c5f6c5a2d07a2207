"""robust_sigma: IDL astrolib ROBUST_SIGMA, step by step.

The steps of robust_sigma.pro (reference-notes §2.6), with y0 = MEDIAN(y, /EVEN) (or 0 with
/ZERO), /EVEN = mean of the two middle values for even n:
  MAD = MEDIAN(|y - y0|, /EVEN) / 0.6745; if MAD < 1e-20: MAD = MEAN(|y - y0|) / 0.80;
  if still < 1e-20: return 0.0.
  u = (y - y0) / (6 MAD), Q = {u^2 <= 1}; fewer than 3 in Q: IDL returns -1 (here NaN).
  N = number of finite points; NUM = sum_Q (y - y0)^2 (1 - u^2)^4;
  DEN = sum_Q (1 - u^2)(1 - 5 u^2); sigma = sqrt(N NUM / (DEN (DEN - 1))) if > 0 else 0.0.

The expected numbers below are worked by hand from these steps (exact fractions where possible;
the decimal values were evaluated to 16 digits and are written out in the comments).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from independent_references import idl_robust_sigma
from metgrad.stats.robust import robust_sigma


class TestHandWorkedCases:
    def test_odd_n_with_an_outlier(self):
        # y = [1, 2, 3, 4, 100], n = 5 (odd): y0 = 3 (middle value).
        # |y - y0| = [2, 1, 0, 1, 97] -> sorted [0, 1, 1, 2, 97] -> median 1 -> MAD = 1/0.6745.
        # u = (y - 3) * 0.6745/6, u^2 = (y - 3)^2 c with c = 0.6745^2/36 = 0.0126375069444...
        # outlier: u^2 = 97^2 c = 118.906 > 1 -> left out; Q = {1, 2, 3, 4} (4 >= 3 points).
        # 1 - 4c = 0.9494499722, (1 - 4c)^4 = 0.8126215673; 1 - c = 0.9873624931,
        # (1 - c)^4 = 0.9504001640
        # NUM = 4 (1-4c)^4 + 1 (1-c)^4 + 0 + 1 (1-c)^4 = 3.2504862692 + 1.9008003281
        #     = 5.1512865973
        # DEN = (1-4c)(1-20c) + 2 (1-c)(1-5c) + 1 = 0.7094763599 + 1.8499469825 + 1
        #     = 3.5594233424
        # N = 5: sigma^2 = 5 * 5.1512865973 / (3.5594233424 * 2.5594233424) = 2.8272482680
        # sigma = 1.6814423178
        assert_allclose(robust_sigma([1.0, 2.0, 3.0, 4.0, 100.0]), 1.681442317761131, rtol=1e-12)

    def test_even_n_uses_mean_of_middle_values(self):
        # y = [1, 2, 4, 7, 8, 40], n = 6 (even): y0 = (4 + 7)/2 = 5.5 (/EVEN; a plain IDL
        # MEDIAN would give 7).
        # |y - y0| = [4.5, 3.5, 1.5, 1.5, 2.5, 34.5] -> sorted [1.5, 1.5, 2.5, 3.5, 4.5, 34.5]
        # -> median (2.5 + 3.5)/2 = 3 -> MAD = 3/0.6745, 6 MAD = 18/0.6745.
        # u^2 = d^2 c with c = 0.6745^2/324 = 0.00140416743827...
        # outlier d = 34.5: u^2 = 1.6713 > 1 -> left out; Q has the other 5 points.
        #   d     u^2            (1-u^2)^4      (1-u^2)(1-5u^2)
        #  -4.5  0.0284343906   0.8910222201   0.8334362291
        #  -3.5  0.0172010511   0.9329507825   0.8982730741
        #  -1.5  0.0031593767   0.9874222570   0.9810936479
        #   1.5  0.0031593767   0.9874222570   0.9810936479
        #   2.5  0.0087760465   0.9653552302   0.9477288160
        # NUM = 20.25*0.8910222201 + 12.25*0.9329507825 + 2*2.25*0.9874222570
        #       + 6.25*0.9653552302 = 39.9487173889
        # DEN = 4.6416254150; N = 6:
        # sigma^2 = 6 * 39.9487173889 / (4.6416254150 * 3.6416254150) = 14.1804
        # sigma = 3.7656882646
        assert_allclose(
            robust_sigma([1.0, 2.0, 4.0, 7.0, 8.0, 40.0]), 3.765688264621504, rtol=1e-12
        )

    def test_mad_zero_falls_back_to_mean_absolute_deviation(self):
        # y = [1, 1, 1, 1, 5]: y0 = 1; |y - y0| = [0, 0, 0, 0, 4] -> median 0 -> MAD = 0 < 1e-20
        # fallback: MAD = mean(|y - y0|)/0.80 = (4/5)/0.8 = 1.
        # u = [0, 0, 0, 0, 4/6], u^2 = [0, 0, 0, 0, 4/9]: all 5 in Q.
        # NUM = 16 (1 - 4/9)^4 = 16 * 625/6561 = 10000/6561
        # DEN = 4 + (5/9)(1 - 20/9) = 4 - 55/81 = 269/81;  DEN - 1 = 188/81
        # sigma^2 = 5 (10000/6561) / (269*188/6561) = 50000/50572 = 0.98868939334
        # sigma = 0.99432861436 (astropy's biweight_scale gives 0.0 here)
        assert_allclose(
            robust_sigma([1.0, 1.0, 1.0, 1.0, 5.0]), np.sqrt(50000 / 50572), rtol=1e-14
        )

    def test_zero_keyword_measures_about_zero(self):
        # /ZERO: y0 = 0. y = [-3, -1, 0.5, 2, 4]; |y| sorted [0.5, 1, 2, 3, 4] -> median 2
        # -> MAD = 2/0.6745; u^2 = y^2 c with c = 0.6745^2/144 = 0.00315937673611...
        # all u^2 <= 16c = 0.0506 -> Q = all 5 points.
        #   y     u^2            (1-u^2)^4      (1-u^2)(1-5u^2)
        #  -3    0.0284343906   0.8910222201   0.8334362291
        #  -1    0.0031593767   0.9874222570   0.9810936479
        #   0.5  0.0007898442   0.9968443644   0.9952640542
        #   2    0.0126375069   0.9504001640   0.9249734912
        #   4    0.0505500278   0.8126215673   0.7094763599
        # NUM = 9*0.8910222201 + 0.9874222570 + 0.25*0.9968443644 + 4*0.9504001640
        #       + 16*0.8126215673 = 26.0593790624
        # DEN = 4.4442437823; N = 5:
        # sigma^2 = 5 * 26.0593790624 / (4.4442437823 * 3.4442437823) = 8.5122
        # sigma = 2.9175691321
        y = [-3.0, -1.0, 0.5, 2.0, 4.0]
        assert_allclose(robust_sigma(y, zero=True), 2.9175691321478494, rtol=1e-12)
        # about the median (0.5) the answer differs
        assert abs(robust_sigma(y) - 2.9175691321478494) > 1e-3

    def test_constant_input_is_zero(self):
        # y0 = 3, |y - y0| = 0: MAD = 0, mean deviation = 0 -> return 0.0
        assert robust_sigma([3.0, 3.0, 3.0, 3.0]) == 0.0
        assert robust_sigma([7.5]) == 0.0  # one point: no spread either
        assert robust_sigma([0.0, 0.0, 0.0], zero=True) == 0.0

    def test_too_few_points_in_window_is_nan(self):
        # y = [1, 2]: y0 = 1.5, |y - y0| = [0.5, 0.5], MAD = 0.5/0.6745; both in Q, but
        # COUNT = 2 < 3 -> IDL returns -1 ("TOO WEIRD") -> NaN here
        assert np.isnan(robust_sigma([1.0, 2.0]))
        # zero=True, y = [5, 6]: MAD = 5.5/0.6745, both in Q: again 2 < 3 points
        assert np.isnan(robust_sigma([5.0, 6.0], zero=True))

    def test_empty_and_all_nan_are_nan(self):
        assert np.isnan(robust_sigma([]))
        assert np.isnan(robust_sigma([np.nan, np.nan]))
        assert np.isnan(robust_sigma([np.nan, np.inf], zero=True))


class TestMissingValues:
    def test_nan_points_are_left_out_and_not_counted(self):
        # As the odd-n case: the NaN enters neither median nor Q, and N = 5 finite points
        with_nan = [1.0, np.nan, 2.0, 3.0, 4.0, 100.0, np.nan]
        assert_allclose(robust_sigma(with_nan), 1.681442317761131, rtol=1e-12)

    def test_infinite_points_are_left_out(self):
        # documented rule: the result is ROBUST_SIGMA of the finite values only
        assert_allclose(robust_sigma([1.0, 2.0, np.inf, 3.0, 4.0, 100.0]), 1.681442317761131)
        assert_allclose(robust_sigma([-np.inf, 1.0, 1.0, 1.0, 1.0, 5.0]), np.sqrt(50000 / 50572))

    def test_mean_fallback_uses_finite_points(self):
        # [1, 1, 1, 1, 5] plus a NaN: the fallback mean is over the 5 finite points
        # (documented difference: IDL's MEAN would propagate the NaN and return -1)
        assert_allclose(robust_sigma([1.0, 1.0, np.nan, 1.0, 1.0, 5.0]), np.sqrt(50000 / 50572))


class TestAgainstTranscription:
    @pytest.mark.parametrize("zero", [False, True])
    def test_random_samples(self, zero):
        rng = np.random.default_rng(20220501)
        for n in [3, 4, 5, 8, 11, 30, 101]:
            for _ in range(5):
                y = rng.standard_t(2, n) * 0.1 + 8.5 * (not zero)
                y[rng.random(n) < 0.1] = np.nan
                expected = idl_robust_sigma(y, zero)
                assert_allclose(robust_sigma(y, zero), expected, rtol=1e-12, equal_nan=True)

    @pytest.mark.parametrize("n", [1000, 1001, 4000])
    def test_long_samples_and_rows(self, n):
        # long rows take the selection path (same finite count in every row) or the sorting
        # one (counts differ); both must give the transcription's value
        rng = np.random.default_rng(n)
        rows = rng.standard_t(3, (3, n)) * 0.05 + 8.6
        rows[:, :7] = np.nan  # the same count in every row: selection
        for row in rows:
            assert_allclose(robust_sigma(row), idl_robust_sigma(row), rtol=1e-12)
        expected = [idl_robust_sigma(row) for row in rows]
        assert_allclose(robust_sigma(rows, axis=1), expected, rtol=1e-12)
        rows[1, 7:20] = np.nan  # counts differ: sorting
        expected = [idl_robust_sigma(row) for row in rows]
        assert_allclose(robust_sigma(rows, axis=1), expected, rtol=1e-12)

    def test_rounded_samples_hit_mad_zero(self):
        # many repeated values: the MAD = 0 fallback and constant rows occur
        rng = np.random.default_rng(7)
        for n in [3, 6, 9]:
            for _ in range(20):
                y = rng.choice([1.0, 1.0, 1.0, 2.0, 9.0], n)
                assert_allclose(robust_sigma(y), idl_robust_sigma(y), rtol=1e-12, equal_nan=True)


class TestAxis:
    def test_rows_equal_scalar_results(self):
        rows = np.array(
            [
                [1.0, 2.0, 3.0, 4.0, 100.0],  # 1.6814423178 (odd-n case above)
                [1.0, 1.0, 1.0, 1.0, 5.0],  # sqrt(50000/50572) (MAD fallback)
                [3.0, 3.0, 3.0, 3.0, 3.0],  # 0.0 (constant)
                [1.0, 2.0, np.nan, np.nan, np.nan],  # NaN (2 points in the window)
                [np.nan] * 5,  # NaN (no data)
            ]
        )
        expected = [1.681442317761131, np.sqrt(50000 / 50572), 0.0, np.nan, np.nan]
        assert_allclose(robust_sigma(rows, axis=1), expected, rtol=1e-12, equal_nan=True)
        assert_allclose(robust_sigma(rows.T, axis=0), expected, rtol=1e-12, equal_nan=True)
        assert_allclose(robust_sigma(rows, axis=-1), expected, rtol=1e-12, equal_nan=True)

    def test_axis_matches_scalar_calls_on_many_rows(self):
        rng = np.random.default_rng(3)
        slopes = rng.normal(-0.1, 0.02, (40, 100))
        slopes[:, :3] += 1.0  # a few outliers per row
        by_row = robust_sigma(slopes, axis=1)
        assert by_row.shape == (40,)
        assert_allclose(by_row, [robust_sigma(s) for s in slopes], rtol=1e-13)

    def test_three_dimensional_input(self):
        rng = np.random.default_rng(4)
        cube = rng.normal(size=(3, 7, 4))
        out = robust_sigma(cube, axis=1)
        assert out.shape == (3, 4)
        assert_allclose(out[1, 2], robust_sigma(cube[1, :, 2]), rtol=1e-13)

    def test_axis_none_pools_everything(self):
        # like IDL, a 2-D array is one sample when no axis is given
        assert_allclose(robust_sigma([[1.0, 2.0], [3.0, 4.0], [100.0, np.nan]]), 1.681442317761131)

    def test_scalar_with_axis_is_an_error(self):
        with pytest.raises(ValueError, match="scalar"):
            robust_sigma(3.0, axis=0)


def test_returns_python_float_and_gaussian_sigma():
    rng = np.random.default_rng(11)
    value = robust_sigma(rng.normal(0.0, 2.0, 20000))
    assert isinstance(value, float)
    # for a large Gaussian sample the biweight estimates the standard deviation
    assert abs(value - 2.0) < 0.05
