"""CorrectedModel (base + correction) on a small table worked by hand."""

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose, assert_array_equal

from metgrad.models import (
    BinnedMeanModel,
    BinnedResidualCorrection,
    CorrectedModel,
    MedianResidualCorrection,
)
from metgrad.stats.robust import robust_sigma

# Base: two (log M*, log Sigma_*) bins of 6 spaxels (min_count 6, no smoothing).
#   P = [10.00,10.05) x [8.00,8.05): y = 8.40 8.45 8.50 8.50 8.55 8.60 -> mean 8.50
#   Q = [10.05,10.10) x [8.00,8.05): y = 8.70 8.75 8.80 8.80 8.85 8.90 -> mean 8.80
#   deviations -0.10 -0.05 0 0 0.05 0.10: sum of squares 0.025, std = sqrt(0.025 / 5)
# Residuals y - base: -0.10 -0.05 0.00 0.00 0.05 0.10 in both bins.
# Correction: D4000 bins of 0.05 (min_count 6); the first three spaxels of each base bin
# have D4000 1.01 1.02 1.03, the last three 1.11 1.12 1.13:
#   [1.00,1.05): residuals -0.10 -0.05 0.00 (x2) -> median -0.05, centre 1.025
#   [1.10,1.15): residuals  0.00  0.05 0.10 (x2) -> median  0.05, centre 1.125
# Interpolated correction (slope 0.1 / 0.1 = 1 per unit D4000):
#   1.01, 1.02 -> none (below 1.025); 1.03 -> -0.05 + 0.005 = -0.045;
#   1.11 -> 0.05 - 0.015 = 0.035; 1.12 -> 0.045; 1.13 -> none (above 1.125).
# Both correction bins hold the same spread of values, so both scatters are
# s = robust_sigma(-0.10 -0.05 0.00 -0.10 -0.05 0.00), and so is every interpolated one.
BASE_STD = np.sqrt(0.025 / 5)
SCATTER = robust_sigma([-0.10, -0.05, 0.00, -0.10, -0.05, 0.00])


def _table():
    X = pd.DataFrame(
        {
            "log_mstar": [10.01] * 6 + [10.06] * 6,
            "log_sigma_star": [8.01, 8.02, 8.03, 8.04, 8.02, 8.03] * 2,
            "d4000": [1.01, 1.02, 1.03, 1.11, 1.12, 1.13] * 2,
        }
    )
    pattern = np.array([-0.10, -0.05, 0.00, 0.00, 0.05, 0.10])
    y = np.concatenate([8.50 + pattern, 8.80 + pattern])
    return X, y


def _model():
    return CorrectedModel(
        BinnedMeanModel(min_count=6, loess_frac=None),
        MedianResidualCorrection("d4000", 0.05, min_count=6),
    )


def test_corrected_prediction_and_error_by_hand():
    X, y = _table()
    model = _model()
    assert model.fit(X, y) is model
    assert_allclose(model.correction_.bin_median_, [-0.05, 0.05], atol=1e-12)
    assert model.n_params_ == 2 + 2

    correction = np.array([np.nan, np.nan, -0.045, 0.035, 0.045, np.nan])
    expected = np.concatenate([8.50 + correction, 8.80 + correction])
    prediction, error = model.predict(X, return_error=True)
    assert_allclose(prediction, expected, atol=1e-12)
    assert_array_equal(np.isnan(error), np.isnan(expected))
    expected_error = np.sqrt(BASE_STD**2 + SCATTER**2)
    assert_allclose(error[~np.isnan(expected)], expected_error, rtol=1e-12)
    assert_array_equal(model.predict(X), prediction)


def test_corrected_prediction_is_base_plus_correction_and_nan_where_either_is():
    X, y = _table()
    model = _model().fit(X, y)
    new = pd.DataFrame(
        {
            "log_mstar": [10.01, 10.06, 9.00, 10.06],
            "log_sigma_star": [8.01, 8.01, 8.01, 8.01],
            "d4000": [1.075, 1.10, 1.075, 1.30],
        }
    )
    base, base_error = model.base_.predict(new, return_error=True)
    correction, correction_error = model.correction_.predict(new, return_error=True)
    prediction, error = model.predict(new, return_error=True)
    # 1.075 is halfway between the centres: correction 0; 1.10: 0.05 - 0.025 = 0.025
    assert_allclose(prediction[:2], [8.50, 8.80 + 0.025], atol=1e-12)
    assert_allclose(prediction[:2], base[:2] + correction[:2], atol=1e-15)
    assert_allclose(error[:2], np.hypot(base_error[:2], correction_error[:2]), rtol=1e-15)
    # no base bin (log M* = 9) / no correction (D4000 beyond 1.125)
    assert np.isnan(base[2]) and np.isfinite(correction[2])
    assert np.isfinite(base[3]) and np.isnan(correction[3])
    assert np.isnan(prediction[2:]).all() and np.isnan(error[2:]).all()


def test_correction_is_fitted_only_where_the_base_predicts():
    X, y = _table()
    # a third base bin with 2 spaxels (< 6): no base prediction, so its huge residuals
    # (if they were used) would move the D4000 medians
    extra = pd.DataFrame(
        {"log_mstar": [10.11, 10.11], "log_sigma_star": [8.01, 8.01], "d4000": [1.02, 1.02]}
    )
    X = pd.concat([X, extra], ignore_index=True)
    y = np.concatenate([y, [20.0, 20.0]])
    model = CorrectedModel(
        BinnedMeanModel(min_count=6, loess_frac=None),
        MedianResidualCorrection("d4000", 0.05, min_count=1),
    ).fit(X, y)
    assert model.base_.n_params_ == 2
    assert_array_equal(model.correction_.bin_count_, [6, 6])
    assert_allclose(model.correction_.bin_median_, [-0.05, 0.05], atol=1e-12)


def test_two_dimensional_correction_counts_its_bins():
    # the same table with a 2-D (D4000, log Sigma_*) correction of bins 0.05 x 1.0:
    # two bins (D4000 [1.00,1.05) and [1.10,1.15)) of 6 residuals each, means -0.05, 0.05
    X, y = _table()
    model = CorrectedModel(
        BinnedMeanModel(min_count=6, loess_frac=None),
        BinnedResidualCorrection(
            ("d4000", "log_sigma_star"), (0.05, 1.0), min_count=6, loess_frac=None
        ),
    ).fit(X, y)
    assert model.n_params_ == 4
    expected = np.concatenate(
        [8.50 + np.repeat([-0.05, 0.05], 3), 8.80 + np.repeat([-0.05, 0.05], 3)]
    )
    assert_allclose(model.predict(X), expected, atol=1e-12)


def test_prefit_base_equals_a_fresh_fit():
    import numpy as np
    import pandas as pd
    import pytest

    from metgrad.models import BinnedMeanModel, CorrectedModel, MedianResidualCorrection

    rng = np.random.default_rng(21)
    n = 4000
    X = pd.DataFrame({"log_mstar": rng.uniform(9.0, 11.0, n),
                      "log_sigma_star": rng.uniform(7.0, 9.0, n),
                      "d4000": rng.uniform(1.1, 1.8, n)})  # fmt: skip
    y = 8.4 + 0.1 * (X["log_mstar"] - 10) - 0.2 * (X["d4000"] - 1.4) + rng.normal(0, 0.02, n)
    base = BinnedMeanModel(widths=(0.2, 0.2), loess_frac=0.3)
    fresh = CorrectedModel(base, MedianResidualCorrection("d4000", 0.05)).fit(X, y)
    fitted = BinnedMeanModel(widths=(0.2, 0.2), loess_frac=0.3).fit(X, y)
    shared = CorrectedModel(fitted, MedianResidualCorrection("d4000", 0.05), prefit_base=True)
    shared.fit(X, y)
    assert shared.base_ is fitted
    assert np.array_equal(shared.predict(X), fresh.predict(X), equal_nan=True)
    assert shared.n_params_ == fresh.n_params_
    with pytest.raises(ValueError, match="not fitted"):
        CorrectedModel(base, MedianResidualCorrection("d4000", 0.05), prefit_base=True).fit(X, y)
