"""model_metrics / common_spaxels / evaluate_models on tables worked by hand."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from independent_references import idl_robust_sigma
from metgrad.models import (
    METRIC_COLUMNS,
    BinnedMeanModel,
    NotFittedError,
    common_spaxels,
    evaluate_models,
    model_metrics,
)

# Seven spaxels; model A predicts all of them, model B not spaxel 2.
#   spaxel        0     1     2     3     4     5     6
#   y           8.5   8.6   8.7   8.8   8.9   8.6   nan
#   y_err       0.1   0.1   0.2   0.1   nan   0.0   0.1
#   A           8.5   8.5   8.5   8.5   8.5   8.5   8.5
#   B           8.6   8.6   nan   8.8   8.8   8.6   8.6
# Common spaxels (finite y, finite y_err > 0, both predict): 0, 1, 3 -> n = 3.
#   A residuals 0, 0.1, 0.3 -> chi2 = 0 + 1 + 9 = 10, median 0.1
#   B residuals -0.1, 0, 0  -> chi2 = 1 + 0 + 0 = 1, median 0
Y = np.array([8.5, 8.6, 8.7, 8.8, 8.9, 8.6, np.nan])
Y_ERR = np.array([0.1, 0.1, 0.2, 0.1, np.nan, 0.0, 0.1])
PRED_A = np.full(7, 8.5)
PRED_B = np.array([8.6, 8.6, np.nan, 8.8, 8.8, 8.6, 8.6])


def test_common_spaxels():
    mask = common_spaxels(Y, Y_ERR, {"A": PRED_A, "B": (PRED_B, np.zeros(7))})
    assert_array_equal(mask, [True, True, False, True, False, False, False])


def test_metrics_by_hand():
    table = model_metrics(Y, Y_ERR, {"A": PRED_A, "B": (PRED_B, np.ones(7))}, {"A": 2, "B": 5})
    assert list(table.index) == ["A", "B"]
    assert table.index.name == "model"
    assert list(table.columns) == list(METRIC_COLUMNS)
    ln3 = 1.0986122886681098
    assert_array_equal(table["n"], [3, 3])
    assert_array_equal(table["k"], [2, 5])
    assert_allclose(table["ln_n"], [ln3, ln3], rtol=1e-15)
    assert_allclose(table["median_residual"], [0.1, 0.0], atol=1e-12)
    assert_allclose(table["chi2"], [10.0, 1.0], rtol=1e-12)
    assert_allclose(table["bic"], [10.0 + 2 * ln3, 1.0 + 5 * ln3], rtol=1e-12)
    # ROBUST_SIGMA of the residuals about their median (robust_sigma.pro transcribed in
    # tests/independent_references.py), here through the two branches of its scale:
    # A: y0 = 0.1, |dev| = 0.1 0 0.2, MAD = 0.1 / 0.6745; B: y0 = 0, |dev| = 0.1 0 0 ->
    # MAD = 0 -> mean |dev| / 0.8 = 0.1 / 3 / 0.8, all three in the window.
    assert_allclose(table.loc["A", "residual_dispersion"], idl_robust_sigma([0, 0.1, 0.3]))
    assert_allclose(table.loc["B", "residual_dispersion"], idl_robust_sigma([-0.1, 0, 0]))


def test_metrics_of_one_model_use_its_own_spaxels():
    # A alone: spaxels 0, 1, 2, 3 (2 is back): residuals 0 0.1 0.2 0.3,
    # chi2 = 0 + 1 + (0.2/0.2)^2 + 9 = 11, n = 4, median 0.15
    table = model_metrics(Y, Y_ERR, {"A": PRED_A}, {"A": 2})
    assert table.loc["A", "n"] == 4
    assert_allclose(table.loc["A", "chi2"], 11.0, rtol=1e-12)
    assert_allclose(table.loc["A", "median_residual"], 0.15, atol=1e-12)
    assert_allclose(table.loc["A", "bic"], 11.0 + 2 * np.log(4), rtol=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((Y, Y_ERR, {}, {}), "no model predictions"),
        ((Y, Y_ERR, {"A": PRED_A}, {"B": 1}), r"no n_params for model\(s\) \['A'\]"),
        ((Y, Y_ERR[:3], {"A": PRED_A}, {"A": 1}), "y and y_err must be 1-D of one length"),
        ((Y, Y_ERR, {"A": PRED_A[:3]}, {"A": 1}), r"predictions\['A'\] has shape \(3,\)"),
        ((Y, Y_ERR, {"A": (PRED_A, PRED_A, PRED_A)}, {"A": 1}), "a \\(prediction, error\\) pair"),
        ((Y, Y_ERR, {"A": np.full(7, np.nan)}, {"A": 1}), "no spaxel has a measurement"),
    ],
    ids=["no-model", "no-n-params", "lengths", "shape", "not-a-pair", "no-common-spaxel"],
)
def test_metrics_reject_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        model_metrics(*args)


def test_evaluate_models_uses_each_models_predictions_and_bins():
    # two base models on a 6-spaxel table: one bin of width 1 (k = 1) and bins of width
    # 0.05 with min_count 2 (k = 2: spaxels 0-1 and 2-3; spaxels 4-5 are alone in theirs)
    X = pd.DataFrame(
        {
            "log_mstar": [10.01, 10.02, 10.06, 10.07, 10.11, 10.16],
            "log_sigma_star": [8.01] * 6,
        }
    )
    y = np.array([8.4, 8.6, 8.8, 9.0, 8.7, 8.7])
    y_err = np.full(6, 0.1)
    coarse = BinnedMeanModel(widths=(1.0, 1.0), min_count=1, loess_frac=None).fit(X, y)
    fine = BinnedMeanModel(min_count=2, loess_frac=None).fit(X, y)
    table, predictions = evaluate_models({"coarse": coarse, "fine": fine}, X, y, y_err)
    # common spaxels 0-3; coarse mean 8.7 -> residuals -0.3 -0.1 0.1 0.3 -> chi2 20;
    # fine means 8.5, 8.9 -> residuals -0.1 0.1 -0.1 0.1 -> chi2 4
    assert_array_equal(table["n"], [4, 4])
    assert_array_equal(table["k"], [1, 2])
    assert_allclose(table["chi2"], [20.0, 4.0], rtol=1e-12)
    assert_allclose(predictions["coarse"][0], [8.7] * 6, atol=1e-12)
    assert np.isnan(predictions["fine"][0][4:]).all()
    with pytest.raises(NotFittedError):
        evaluate_models({"unfitted": BinnedMeanModel()}, X, y, y_err)
