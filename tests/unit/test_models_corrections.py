"""MedianResidualCorrection on small tables worked by hand."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from metgrad.models import MedianResidualCorrection
from metgrad.stats.robust import robust_sigma

# D4000 bins of width 0.05, min_count = 3:
#
#   bin            centre  D4000 values              residuals (dex)           median
#   [1.00,1.05)    1.025   1.01 1.02 1.03            -0.10  0.00  0.20          0.00
#   [1.05,1.10)    1.075   1.06 1.07 1.08 1.09        0.10  0.30  0.20  5.00    (0.20+0.30)/2 = 0.25
#   [1.10,1.15)    1.125   1.11 1.12                  9.00  9.00                (2 < 3: dropped)
#   [1.15,1.20)    1.175   1.16 1.17 1.18             0.40  0.50  0.60          0.50
BIN_MEMBERS = {
    1.025: [-0.10, 0.00, 0.20],
    1.075: [0.10, 0.30, 0.20, 5.00],
    1.175: [0.40, 0.50, 0.60],
}
D4000 = [1.01, 1.02, 1.03, 1.06, 1.07, 1.08, 1.09, 1.11, 1.12, 1.16, 1.17, 1.18]
RESIDUAL = [-0.10, 0.00, 0.20, 0.10, 0.30, 0.20, 5.00, 9.00, 9.00, 0.40, 0.50, 0.60]


def _fitted(**params):
    params = {"min_count": 3, **params}
    return MedianResidualCorrection("d4000", 0.05, **params).fit(
        pd.DataFrame({"d4000": D4000}), RESIDUAL
    )


def test_kept_bins_medians_and_scatter_by_hand():
    correction = _fitted()
    assert_allclose(correction.bin_centres_, [1.025, 1.075, 1.175], atol=1e-12)
    assert_array_equal(correction.bin_count_, [3, 4, 3])
    assert_allclose(correction.bin_median_, [0.0, 0.25, 0.5], atol=1e-12)
    assert correction.n_params_ == 3
    # scatter of each bin: ROBUST_SIGMA (IDL semantics, about the median) of its members
    expected = [robust_sigma(BIN_MEMBERS[c]) for c in (1.025, 1.075, 1.175)]
    assert_allclose(correction.bin_scatter_, expected, rtol=1e-12)
    # the first bin worked through robust_sigma.pro by hand: y0 = 0, MAD = 0.1 / 0.6745,
    # u = y / (6 MAD), all |u| <= 1, N = 3,
    # sigma^2 = N sum y^2 (1-u^2)^4 / (D (D - 1)), D = sum (1-u^2)(1-5u^2)
    u2 = (np.array([-0.10, 0.0, 0.20]) / (6 * 0.1 / 0.6745)) ** 2
    den = np.sum((1 - u2) * (1 - 5 * u2))
    num = np.sum(np.array([0.01, 0.0, 0.04]) * (1 - u2) ** 4)
    assert_allclose(correction.bin_scatter_[0], np.sqrt(3 * num / (den * (den - 1))), rtol=1e-9)
    # the outlier 5.0 gets no weight: the second bin's scatter stays small
    assert correction.bin_scatter_[1] < 0.2


def test_linear_interpolation_between_kept_centres_by_hand():
    correction = _fitted()
    s1, s2, s3 = correction.bin_scatter_
    x = [1.025, 1.05, 1.075, 1.125, 1.15, 1.175]
    # 1.05: halfway 1.025 -> 1.075: (0 + 0.25) / 2 = 0.125
    # 1.125: halfway 1.075 -> 1.175 (across the dropped bin): (0.25 + 0.5) / 2 = 0.375
    # 1.15: three quarters of the way: 0.25 + 0.75 * 0.25 = 0.4375
    expected = [0.0, 0.125, 0.25, 0.375, 0.4375, 0.5]
    expected_error = [s1, (s1 + s2) / 2, s2, (s2 + s3) / 2, s2 + 0.75 * (s3 - s2), s3]
    value, error = correction.predict(pd.DataFrame({"d4000": x}), return_error=True)
    assert_allclose(value, expected, atol=1e-12)
    assert_allclose(error, expected_error, atol=1e-12)
    assert_array_equal(correction.predict(pd.DataFrame({"d4000": x})), value)


def test_no_correction_beyond_the_outer_centres_or_for_nan():
    correction = _fitted()
    x = [1.0, 1.0249, 1.1751, 1.3, np.nan]
    value, error = correction.predict(pd.DataFrame({"d4000": x}), return_error=True)
    assert np.isnan(value).all() and np.isnan(error).all()
    # the training spaxels 1.01, 1.02 (below 1.025) and 1.18 (above 1.175) get none
    training = correction.predict(pd.DataFrame({"d4000": D4000}))
    assert_array_equal(np.isnan(training), [x < 1.025 or x > 1.175 for x in D4000])


def test_nan_residuals_are_left_out():
    # a NaN residual (no base prediction) in the first bin leaves it with 2 < 3 spaxels
    residual = np.array(RESIDUAL)
    residual[0] = np.nan
    correction = MedianResidualCorrection("d4000", 0.05, min_count=3).fit(
        pd.DataFrame({"d4000": D4000}), residual
    )
    assert_allclose(correction.bin_centres_, [1.075, 1.175], atol=1e-12)


def test_min_count_and_width_are_parameters():
    # width 0.1: bins [1.0,1.1) (7 spaxels, median of the sorted
    # -0.1 0 0.1 0.2 0.2 0.3 5.0 = 0.2) and [1.1,1.2) (5: 0.4 0.5 0.6 9 9 -> median 0.6)
    correction = MedianResidualCorrection("d4000", 0.1, min_count=5).fit(
        pd.DataFrame({"d4000": D4000}), RESIDUAL
    )
    assert_allclose(correction.bin_centres_, [1.05, 1.15], atol=1e-12)
    assert_allclose(correction.bin_median_, [0.2, 0.6], atol=1e-12)
    # the default min_count is the paper's 100: no bin here
    with pytest.raises(ValueError, match=r"no 'd4000' bin of width 0\.05 has >= 100 spaxels"):
        MedianResidualCorrection("d4000", 0.05).fit(pd.DataFrame({"d4000": D4000}), RESIDUAL)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"feature": 3}, "feature must be a column name"),
        ({"min_count": 0}, "min_count must be an integer >= 1"),
        ({"width": -0.1}, "bin width must be positive"),
    ],
)
def test_bad_parameters(params, message):
    params = {"feature": "d4000", "width": 0.05, **params}
    with pytest.raises(ValueError, match=message):
        MedianResidualCorrection(**params).fit(pd.DataFrame({"d4000": D4000}), RESIDUAL)
