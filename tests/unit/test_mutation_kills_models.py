"""Behavioural tests of metgrad.models written against surviving mutants (issue #19).

Small tables worked by hand; the LOESS reference is Cappellari's ``loess_2d`` (test
extra) and R^2 is written out from its definition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor

from independent_references import cappellari_loess_2d
from metgrad.models import (
    BinnedMeanModel,
    BinnedResidualCorrection,
    CorrectedModel,
    MedianResidualCorrection,
)
from metgrad.models._estimator import NotFittedError
from metgrad.models._inputs import feature_matrix, target_vector
from metgrad.models.metrics import common_spaxels, evaluate_models, model_metrics

# Four (log M*, log Sigma*) bins of width 0.05 with two spaxels each (bin means by hand):
#   (10.025, 8.025): 8.5, 8.6 -> 8.55   (10.075, 8.025): 8.7, 8.8 -> 8.75
#   (10.025, 8.075): 8.9, 9.1 -> 9.00   (10.075, 8.075): 9.2, 9.0 -> 9.10
TABLE = pd.DataFrame(
    {
        "log_mstar": [10.01, 10.02, 10.06, 10.07, 10.01, 10.02, 10.06, 10.07],
        "log_sigma_star": [8.01, 8.02, 8.01, 8.02, 8.06, 8.07, 8.06, 8.07],
    }
)
OH = np.array([8.5, 8.6, 8.7, 8.8, 8.9, 9.1, 9.2, 9.0])
BIN_MEANS = np.array([8.55, 8.55, 8.75, 8.75, 9.0, 9.0, 9.1, 9.1])


def _r2(y, p, w=None):
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    mean = np.sum(w * y) / np.sum(w)
    return 1.0 - np.sum(w * (y - p) ** 2) / np.sum(w * (y - mean) ** 2)


def _unsmoothed():
    return BinnedMeanModel(min_count=2, loess_frac=None).fit(TABLE, OH)


# ---------------------------------------------------------------------------- score


def test_score_is_r2_over_the_predicted_spaxels_with_missing_values_as_none():
    model = _unsmoothed()
    table = pd.concat([TABLE, pd.DataFrame({"log_mstar": [11.0], "log_sigma_star": [8.0]})])
    y = [*OH.tolist(), 9.5]  # the last spaxel has no bin: no prediction
    assert model.score(table, y) == pytest.approx(_r2(OH, BIN_MEANS), rel=1e-12)
    y_none = [*OH[:7].tolist(), None, 9.5]  # a missing value given as None is left out
    assert model.score(table, y_none) == pytest.approx(_r2(OH[:7], BIN_MEANS[:7]), rel=1e-12)


def test_score_with_sample_weights_is_the_weighted_r2():
    weights = np.array([1.0, 2.0, 3.0, 1.0, 0.5, 4.0, 1.0, 2.0])
    score = _unsmoothed().score(TABLE, OH, sample_weight=weights)
    assert score == pytest.approx(_r2(OH, BIN_MEANS, weights), rel=1e-12)
    assert score != pytest.approx(_r2(OH, BIN_MEANS), rel=1e-6)


def test_score_needs_two_predicted_spaxels():
    model = _unsmoothed()
    two = TABLE.iloc[[0, 2]]
    assert model.score(two, OH[[0, 2]]) == pytest.approx(
        _r2(OH[[0, 2]], BIN_MEANS[[0, 2]]), rel=1e-12
    )
    assert np.isnan(model.score(TABLE.iloc[[0]], OH[[0]]))
    assert np.isnan(model.score(TABLE.iloc[[0, 2]], [OH[0], np.nan]))


# ---------------------------------------------------------------------------- inputs


def test_feature_matrix_and_target_vector_messages_and_missing_values():
    with pytest.raises(ValueError, match=r"^column 'b' must be 1-D, got shape \(2, 2\)$"):
        feature_matrix({"a": [1.0, 2.0], "b": np.zeros((2, 2))}, ("a", "b"))
    with pytest.raises(ValueError, match=r"^column 'b' has 3 rows, expected 2$"):
        feature_matrix({"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]}, ("a", "b"))
    with pytest.raises(ValueError, match=r"^y must be 1-D, got shape \(2, 2\)$"):
        target_vector(np.zeros((2, 2)), 4)
    np.testing.assert_array_equal(
        feature_matrix({"a": [1.0, None]}, ("a",)), np.array([[1.0], [np.nan]])
    )
    np.testing.assert_array_equal(target_vector([None, 2], 2), [np.nan, 2.0])


# ---------------------------------------------------------------------------- binned mean


def test_binned_mean_messages():
    with pytest.raises(ValueError, match=r"^loess_frac must be in \(0, 1\] or None, got 1.5$"):
        BinnedMeanModel(min_count=2, loess_frac=1.5).fit(TABLE, OH)
    with pytest.raises(
        ValueError,
        match=r"^BinnedMeanModel: no \(log_mstar, log_sigma_star\) bin of widths "
        r"\(0.05, 0.05\) has >= 3 spaxels with finite values$",
    ):
        BinnedMeanModel(min_count=3, loess_frac=None).fit(TABLE, OH)
    with pytest.raises(
        ValueError,
        match=r"^BinnedMeanModel: only 2 bin\(s\) have >= 2 spaxels; LOESS needs at least 4 "
        r"\(use loess_frac=None to skip the smoothing\)$",
    ):
        BinnedMeanModel(min_count=2, loess_frac=0.5).fit(TABLE.iloc[:4], OH[:4])
    with pytest.raises(
        ValueError, match=r"^residual has 3 values but the spaxel table has 8 rows$"
    ):
        BinnedResidualCorrection(("log_mstar", "log_sigma_star"), (0.05, 0.05)).fit(
            TABLE, [0.1, 0.2, 0.3]
        )


def test_binned_mean_smooths_four_bins_as_the_reference_loess():
    model = BinnedMeanModel(min_count=2, loess_frac=0.02).fit(TABLE, OH)
    centres = np.array([[10.025, 10.075, 10.025, 10.075], [8.025, 8.025, 8.075, 8.075]])
    means = np.array([8.55, 8.75, 9.0, 9.1])
    reference = cappellari_loess_2d(*centres, means, npoints=4, degree=1, rescale=True)[0]
    assert model.loess_npoints_ == 4
    np.testing.assert_allclose(np.sort(model.bin_smoothed_), np.sort(reference), atol=1e-9)


# ---------------------------------------------------------------------------- corrections

D4000 = pd.DataFrame({"d4000": [1.01, 1.02, 1.03, 1.11, 1.12, 1.13]})
RESIDUAL = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]  # bin medians 0.1 (1.025) and 0.4 (1.125)


def test_median_correction_edges_are_the_centres_with_1e9_widths_of_slack():
    correction = MedianResidualCorrection("d4000", 0.05, min_count=3).fit(D4000, RESIDUAL)
    low, high = correction.bin_centres_  # 1.025 and 1.125 up to rounding
    slack = 1e-9 * 0.05
    x = [low - slack, high + slack, high + 1e-9, low - 1e-9]
    prediction = correction.predict(pd.DataFrame({"d4000": x}))
    np.testing.assert_allclose(prediction[:2], [0.1, 0.4], atol=1e-12)
    assert np.isnan(prediction[2:]).all()


def test_median_correction_of_a_single_bin():
    correction = MedianResidualCorrection("d4000", 0.05, min_count=3).fit(
        D4000.iloc[:4], RESIDUAL[:4]
    )
    prediction = correction.predict(pd.DataFrame({"d4000": [1.025, 1.0, 1.2]}))
    assert prediction[0] == pytest.approx(0.1, abs=1e-12)
    assert np.isnan(prediction[1:]).all()


def test_median_correction_messages():
    with pytest.raises(
        ValueError, match=r"^residual has 2 values but the spaxel table has 6 rows$"
    ):
        MedianResidualCorrection("d4000", 0.05, min_count=3).fit(D4000, [0.1, 0.2])
    with pytest.raises(
        ValueError,
        match=r"^MedianResidualCorrection: no 'd4000' bin of width 0.05 has >= 4 spaxels "
        r"with finite residuals$",
    ):
        MedianResidualCorrection("d4000", 0.05, min_count=4).fit(D4000, RESIDUAL)


# ---------------------------------------------------------------------------- fitted checks


def _fitted_without_n_params():
    return DummyRegressor().fit(TABLE, OH)  # fitted (constant_), but no n_params_


def test_prefit_base_and_evaluated_models_need_n_params():
    correction = MedianResidualCorrection("log_mstar", 0.05, min_count=2)
    with pytest.raises(NotFittedError):
        CorrectedModel(_fitted_without_n_params(), correction, prefit_base=True).fit(TABLE, OH)
    with pytest.raises(NotFittedError):
        evaluate_models({"dummy": _fitted_without_n_params()}, TABLE, OH, np.full(8, 0.1))


# ---------------------------------------------------------------------------- metrics


def test_model_metrics_missing_values_given_as_none():
    table = model_metrics(
        [8.0, None, 10.0, 9.0],
        [0.5, 0.5, None, 0.5],
        {"flat": [9.0, 9.0, 9.0, None]},
        {"flat": 1},
    )
    # only the first spaxel is complete: residual -1, chi2 = 4
    assert table.loc["flat", "n"] == 1
    assert table.loc["flat", "chi2"] == pytest.approx(4.0)
    mask = common_spaxels([8.0, 9.0], [0.5, 0.5], {"a": ([9.0, None], [0.1, 0.1])})
    assert mask.tolist() == [True, False]
    with pytest.raises(ValueError, match=r"^model_metrics: no model predictions given$"):
        model_metrics([8.0], [0.1], {}, {})
