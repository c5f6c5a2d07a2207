"""BinnedMeanModel and BinnedResidualCorrection on small tables worked by hand."""

import numpy as np
import pandas as pd
import pytest
from loess.loess_2d import loess_2d as cappellari_loess_2d  # test reference only
from numpy.testing import assert_allclose, assert_array_equal

from metgrad.models import BinnedMeanModel, BinnedResidualCorrection

# Six kept bins of width 0.05 dex, 3 spaxels each (min_count = 3):
#
#   bin (log M*, log S*)          centre            mean  d (spread)
#   [10.00,10.05) x [8.00,8.05)   (10.025, 8.025)   8.50  0.01
#   [10.05,10.10) x [8.00,8.05)   (10.075, 8.025)   8.55  0.02
#   [10.10,10.15) x [8.00,8.05)   (10.125, 8.025)   8.60  0.03
#   [10.00,10.05) x [8.05,8.10)   (10.025, 8.075)   8.60  0.04
#   [10.05,10.10) x [8.05,8.10)   (10.075, 8.075)   8.65  0.05
#   [10.10,10.15) x [8.05,8.10)   (10.125, 8.075)   8.70  0.06
#
# The means lie on the plane 8.50 + 1 (M - 10.025) + 2 (S - 8.025), which a degree-1
# LOESS reproduces exactly, so the smoothed value of each bin is its mean. The spaxels
# of a bin have y = mean - d, mean, mean + d, so their standard deviation (ddof = 1) is
# sqrt((d^2 + 0 + d^2) / 2) = d.
CENTRES = np.array(
    [
        [10.025, 8.025],
        [10.075, 8.025],
        [10.125, 8.025],
        [10.025, 8.075],
        [10.075, 8.075],
        [10.125, 8.075],
    ]
)
MEANS = np.array([8.50, 8.55, 8.60, 8.60, 8.65, 8.70])
SPREADS = np.array([0.01, 0.02, 0.03, 0.04, 0.05, 0.06])
OFFSETS = np.array([[-0.012, -0.020], [0.0, 0.005], [0.011, 0.020]])  # within a bin
# A seventh bin, [10.15,10.20) x [8.00,8.05), has only 2 spaxels (< min_count).
THIN_BIN = [(10.16, 8.01, 9.0), (10.17, 8.02, 9.2)]


def _table(columns=("log_mstar", "log_sigma_star")):
    points = (CENTRES[:, None, :] + OFFSETS[None, :, :]).reshape(-1, 2)
    y = (MEANS[:, None] + SPREADS[:, None] * np.array([-1.0, 0.0, 1.0])).ravel()
    points = np.vstack([points, [p[:2] for p in THIN_BIN]])
    y = np.concatenate([y, [p[2] for p in THIN_BIN]])
    return pd.DataFrame({columns[0]: points[:, 0], columns[1]: points[:, 1]}), y


@pytest.mark.parametrize("loess_rescale", [True, False])
@pytest.mark.parametrize("loess_frac", [None, 0.5, 1.0])
def test_base_fit_and_predict_by_hand(loess_frac, loess_rescale):
    X, y = _table()
    model = BinnedMeanModel(min_count=3, loess_frac=loess_frac, loess_rescale=loess_rescale)
    assert model.fit(X, y) is model

    # kept bins, sorted by log M* bin then log Sigma_* bin
    order = np.lexsort((CENTRES[:, 1], CENTRES[:, 0]))
    assert_allclose(model.bin_centres_, CENTRES[order], atol=1e-12)
    assert_array_equal(model.bin_count_, [3] * 6)
    assert_allclose(model.bin_mean_, MEANS[order], atol=1e-12)
    assert_allclose(model.bin_std_, SPREADS[order], atol=1e-12)
    assert_allclose(model.bin_smoothed_, MEANS[order], atol=1e-12)
    assert model.n_params_ == 6
    # frac 0.5 of 6 bins is 3 neighbours, raised to the minimum of 4
    assert model.loess_npoints_ == {None: None, 0.5: 4, 1.0: 6}[loess_frac]

    prediction, error = model.predict(X, return_error=True)
    assert_allclose(prediction[:18], np.repeat(MEANS, 3), atol=1e-12)
    assert_allclose(error[:18], np.repeat(SPREADS, 3), atol=1e-12)
    # the thin bin is not used
    assert np.isnan(prediction[18:]).all() and np.isnan(error[18:]).all()
    assert_array_equal(model.predict(X), prediction)


def test_base_predicts_new_spaxels_from_their_bin_and_nan_elsewhere():
    X, y = _table()
    model = BinnedMeanModel(min_count=3, loess_frac=1.0).fit(X, y)
    new = pd.DataFrame(
        {
            # bin 2 (interior point), bin 6 (exactly on its lower-left corner), outside
            # the grid, the thin bin, right of every bin, NaN log M*, NaN log Sigma_*
            "log_mstar": [10.099, 10.10, 9.00, 10.19, 10.30, np.nan, 10.02],
            "log_sigma_star": [8.001, 8.05, 8.02, 8.03, 8.07, 8.02, np.nan],
        }
    )
    prediction, error = model.predict(new, return_error=True)
    assert_allclose(prediction[:2], [8.55, 8.70], atol=1e-12)
    assert_allclose(error[:2], [0.02, 0.06], atol=1e-12)
    assert np.isnan(prediction[2:]).all()
    assert np.isnan(error[2:]).all()


def test_base_ignores_spaxels_with_nan_target_or_feature():
    X, y = _table()
    # add spaxels to the first bin that must not count: NaN metallicity, NaN density
    extra = pd.DataFrame({"log_mstar": [10.01, 10.01], "log_sigma_star": [8.01, np.nan]})
    X = pd.concat([X, extra], ignore_index=True)
    y = np.concatenate([y, [np.nan, 20.0]])
    model = BinnedMeanModel(min_count=3, loess_frac=None).fit(X, y)
    assert_array_equal(model.bin_count_, [3] * 6)
    assert_allclose(np.sort(model.bin_mean_), np.sort(MEANS), atol=1e-12)


def test_base_min_count_decides_which_bins_are_kept():
    X, y = _table()
    # with min_count 2 the thin bin (y = 9.0, 9.2) joins: mean 9.1, std sqrt(0.02) = 0.1414
    model = BinnedMeanModel(min_count=2, loess_frac=None).fit(X, y)
    assert model.n_params_ == 7
    prediction, error = model.predict(X, return_error=True)
    assert_allclose(prediction[18:], [9.1, 9.1], atol=1e-12)
    assert_allclose(error[18:], [np.sqrt(0.02)] * 2, atol=1e-12)
    # with min_count 4 no bin is kept
    with pytest.raises(ValueError, match=r"no .* bin of widths .* has >= 4 spaxels"):
        BinnedMeanModel(min_count=4).fit(X, y)


def test_base_bin_widths_and_feature_names_are_parameters():
    X, y = _table(columns=("a", "b"))
    # one bin of width 1 x 1 holds every spaxel: min_count 20 keeps it
    model = BinnedMeanModel(features=("a", "b"), widths=(1.0, 1.0), min_count=20, loess_frac=None)
    model.fit(X, y)
    assert model.n_params_ == 1
    assert_allclose(model.bin_centres_, [[10.5, 8.5]])
    assert_allclose(model.bin_mean_, [y.mean()])
    assert_allclose(model.bin_std_, [np.std(y, ddof=1)])


def test_base_smoothing_matches_cappellari_loess_on_curved_means():
    # 5 x 4 kept bins (10 spaxels each) whose means are not a plane: the model's smoothed
    # bin means must be Cappellari's loess_2d of the bin means over the bin centres
    # (frac = 0.3 -> ceil(6) = 6 neighbours, rescale on).
    i, j = np.meshgrid(np.arange(5), np.arange(4), indexing="ij")
    centres = np.column_stack([10.025 + 0.05 * i.ravel(), 8.025 + 0.05 * j.ravel()])
    means = 8.5 + 0.3 * np.sin(3.0 * i.ravel()) + 0.1 * j.ravel() ** 2
    jitter = np.linspace(-0.02, 0.02, 10)
    X = pd.DataFrame(
        {
            "log_mstar": np.repeat(centres[:, 0], 10) + np.tile(jitter[::-1], 20),
            "log_sigma_star": np.repeat(centres[:, 1], 10) + np.tile(jitter, 20),
        }
    )
    y = np.repeat(means, 10) + np.tile(jitter, 20)  # symmetric jitter: bin means exact
    model = BinnedMeanModel(min_count=10, loess_frac=0.3, loess_rescale=True).fit(X, y)
    expected, _ = cappellari_loess_2d(centres[:, 0], centres[:, 1], means, frac=0.3, rescale=True)
    assert_allclose(model.bin_centres_, centres, atol=1e-12)  # same (lexicographic) order
    assert_allclose(model.bin_mean_, means, atol=1e-12)
    assert_allclose(model.bin_smoothed_, expected, atol=1e-10)
    assert np.abs(expected - means).max() > 0.01  # the smoothing does change these means
    assert_allclose(model.predict(X), np.repeat(expected, 10), atol=1e-10)


def test_base_needs_four_bins_for_loess():
    X, y = _table()
    X3, y3 = (
        X.iloc[[0, 1, 2, 3, 4, 5, 9, 10, 11]],
        y[[0, 1, 2, 3, 4, 5, 9, 10, 11]],
    )  # bins 1, 2, 4
    with pytest.raises(ValueError, match=r"only 3 bin.* LOESS needs at least 4"):
        BinnedMeanModel(min_count=3, loess_frac=1.0).fit(X3, y3)
    # without smoothing three bins are fine
    assert BinnedMeanModel(min_count=3, loess_frac=None).fit(X3, y3).n_params_ == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"features": ("log_mstar",)}, "features must be two column names"),
        ({"features": "ab"}, "features must be two column names"),
        ({"widths": None}, "widths must be two positive"),
        ({"widths": (0.05, 0.0)}, "widths must be two positive"),
        ({"widths": 0.05}, "widths must be two positive"),
        ({"min_count": 0}, "min_count must be an integer >= 1"),
        ({"min_count": 2.5}, "min_count must be an integer >= 1"),
        ({"loess_frac": 0.0}, r"loess_frac must be in \(0, 1\]"),
    ],
    ids=lambda value: None if isinstance(value, dict) else value.split(" must")[0],
)
def test_base_rejects_bad_parameters_at_fit(params, message):
    X, y = _table()
    with pytest.raises(ValueError, match=message):
        BinnedMeanModel(**params).fit(X, y)


def test_base_rejects_bad_inputs():
    X, y = _table()
    with pytest.raises(ValueError, match="no column 'log_sigma_star'"):
        BinnedMeanModel().fit(X[["log_mstar"]], y)
    with pytest.raises(ValueError, match="y has 20 values but the spaxel table has 21 rows"):
        BinnedMeanModel().fit(pd.concat([X, X.iloc[:1]]), y)


def test_residual_correction_by_hand():
    # Six bins of 0.01 (D4000) x 0.025 (log t_LW), 3 spaxels each:
    #   D4000 bins i = [1.00,1.01), [1.01,1.02), [1.02,1.03); log t_LW bins
    #   j = [9.000,9.025), [9.025,9.050); mean residuals on the plane
    #   0.1 i - 0.05 j - 0.02 (exact under LOESS), spread d -> std d as above.
    i = np.array([0, 1, 2, 0, 1, 2])
    j = np.array([0, 0, 0, 1, 1, 1])
    centres = np.column_stack([1.005 + 0.01 * i, 9.0125 + 0.025 * j])
    means = 0.1 * i - 0.05 * j - 0.02  # -0.02, 0.08, 0.18, -0.07, 0.03, 0.13
    spread = np.array([0.01, 0.01, 0.02, 0.02, 0.03, 0.03])
    X = pd.DataFrame(
        {
            "d4000": np.repeat(centres[:, 0], 3) + np.tile([-0.004, 0.0, 0.004], 6),
            "log_age_lw": np.repeat(centres[:, 1], 3) + np.tile([0.01, -0.01, 0.0], 6),
        }
    )
    residual = np.repeat(means, 3) + np.repeat(spread, 3) * np.tile([-1.0, 0.0, 1.0], 6)
    correction = BinnedResidualCorrection(
        ("d4000", "log_age_lw"), (0.01, 0.025), min_count=3, loess_frac=1.0
    ).fit(X, residual)
    assert correction.n_params_ == 6
    value, error = correction.predict(X, return_error=True)
    assert_allclose(value, np.repeat(means, 3), atol=1e-12)
    assert_allclose(error, np.repeat(spread, 3), atol=1e-12)
    outside = pd.DataFrame({"d4000": [0.99, 1.035, 1.015], "log_age_lw": [9.01, 9.01, 9.06]})
    assert np.isnan(correction.predict(outside)).all()


def test_residual_correction_has_the_papers_defaults():
    params = BinnedResidualCorrection(("d4000", "log_age_lw"), (0.01, 0.025)).get_params()
    assert params["min_count"] == 10
    assert params["loess_frac"] == 0.02
    assert params["loess_rescale"] is True
