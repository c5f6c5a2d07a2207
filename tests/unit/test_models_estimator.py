"""Estimator plumbing of metgrad.models: parameters, cloning, repr, fitted checks."""

import numpy as np
import pandas as pd
import pytest

from metgrad.models import (
    BinnedMeanModel,
    BinnedResidualCorrection,
    CorrectedModel,
    MedianResidualCorrection,
    NotFittedError,
    check_is_fitted,
    clone,
    model_set,
)


def _sfh():
    return CorrectedModel(
        BinnedMeanModel(min_count=5),
        BinnedResidualCorrection(("d4000", "log_age_lw"), (0.01, 0.025)),
    )


def test_get_params_lists_the_init_keywords_in_order():
    params = BinnedMeanModel(widths=(0.1, 0.2)).get_params()
    assert params == {
        "features": ("log_mstar", "log_sigma_star"),
        "widths": (0.1, 0.2),
        "min_count": 10,
        "loess_frac": 0.02,
        "loess_rescale": True,
    }
    assert list(params) == ["features", "widths", "min_count", "loess_frac", "loess_rescale"]


def test_nested_get_params_and_set_params_round_trip():
    model = _sfh()
    deep = model.get_params(deep=True)
    assert deep["base__min_count"] == 5
    assert deep["correction__widths"] == (0.01, 0.025)
    assert set(model.get_params(deep=False)) == {"base", "correction"}

    returned = model.set_params(base__min_count=20, correction__loess_frac=None)
    assert returned is model
    assert model.base.min_count == 20
    assert model.correction.loess_frac is None

    # round trip: the parameters of one model rebuild an equal one
    other = _sfh().set_params(**{k: v for k, v in model.get_params(deep=True).items()})
    assert repr(other) == repr(model)


def test_set_params_replaces_a_sub_estimator_before_its_nested_keys():
    model = _sfh().set_params(
        correction=MedianResidualCorrection("d4000", 0.05), correction__min_count=7
    )
    assert isinstance(model.correction, MedianResidualCorrection)
    assert model.correction.min_count == 7


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"bogus": 1}, "invalid parameter 'bogus'"),
        ({"base__bogus": 1}, "invalid parameter 'bogus' for BinnedMeanModel"),
    ],
)
def test_set_params_rejects_unknown_names(params, message):
    with pytest.raises(ValueError, match=message):
        _sfh().set_params(**params)


def test_set_params_rejects_nested_keys_into_a_plain_value():
    with pytest.raises(ValueError, match="'widths' of BinnedMeanModel is not an estimator"):
        BinnedMeanModel().set_params(widths__x=1)


def test_repr_shows_every_parameter():
    assert repr(MedianResidualCorrection("log_ew_ha", 0.1)) == (
        "MedianResidualCorrection(feature='log_ew_ha', width=0.1, min_count=100)"
    )


def test_clone_is_unfitted_equal_and_independent():
    X = pd.DataFrame({"log_mstar": [10.01] * 3, "log_sigma_star": [8.01] * 3})
    model = CorrectedModel(
        BinnedMeanModel(min_count=3, loess_frac=None),
        BinnedResidualCorrection(
            ("log_mstar", "log_sigma_star"), (1.0, 1.0), min_count=1, loess_frac=None
        ),
    ).fit(X, [8.5, 8.6, 8.7])
    copy = clone(model)
    assert repr(copy) == repr(model)
    assert copy.base is not model.base
    assert not hasattr(copy, "base_")
    copy.set_params(base__min_count=99)
    assert model.base.min_count == 3


def test_fit_does_not_modify_the_given_sub_estimators():
    X = pd.DataFrame({"log_mstar": [10.01] * 3, "log_sigma_star": [8.01] * 3})
    base = BinnedMeanModel(min_count=3, loess_frac=None)
    correction = BinnedResidualCorrection(
        ("log_mstar", "log_sigma_star"), (1.0, 1.0), min_count=1, loess_frac=None
    )
    model = CorrectedModel(base, correction).fit(X, [8.5, 8.6, 8.7])
    assert not hasattr(base, "bins_")
    assert model.base_ is not base


@pytest.mark.parametrize(
    "model",
    [
        BinnedMeanModel(),
        BinnedResidualCorrection(("d4000", "log_age_lw"), (0.01, 0.025)),
        MedianResidualCorrection("d4000", 0.05),
        model_set("SFH"),
    ],
    ids=repr,
)
def test_predict_before_fit_raises_not_fitted_error(model):
    X = pd.DataFrame({c: [1.0] for c in ("log_mstar", "log_sigma_star", "d4000", "log_age_lw")})
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.predict(X)
    with pytest.raises(ValueError):  # NotFittedError is a ValueError
        check_is_fitted(model)


def test_check_is_fitted_with_named_attributes():
    model = BinnedMeanModel()
    model.other_ = 1
    check_is_fitted(model)  # any trailing-underscore attribute counts ...
    with pytest.raises(NotFittedError):
        check_is_fitted(model, ["bins_"])  # ... unless names are given


def test_clone_rejects_other_objects():
    with pytest.raises(ValueError, match="not a metgrad estimator"):
        clone(np.zeros(3))
