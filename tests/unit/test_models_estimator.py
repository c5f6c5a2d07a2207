"""Estimator plumbing of metgrad.models (scikit-learn's): parameters, cloning, repr,
fitted checks, and the models inside scikit-learn's own tools."""

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


def test_get_params_lists_the_init_keywords():
    params = BinnedMeanModel(widths=(0.1, 0.2)).get_params()
    assert params == {
        "features": ("log_mstar", "log_sigma_star"),
        "widths": (0.1, 0.2),
        "min_count": 10,
        "loess_frac": 0.02,
        "loess_rescale": True,
    }
    # scikit-learn lists them by name
    assert list(params) == sorted(params)


def test_nested_get_params_and_set_params_round_trip():
    model = _sfh()
    deep = model.get_params(deep=True)
    assert deep["base__min_count"] == 5
    assert deep["correction__widths"] == (0.01, 0.025)
    assert set(model.get_params(deep=False)) == {"base", "correction", "prefit_base"}

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
        ({"bogus": 1}, "(?i)invalid parameter 'bogus'"),
        ({"base__bogus": 1}, "(?i)invalid parameter 'bogus' for estimator BinnedMeanModel"),
    ],
)
def test_set_params_rejects_unknown_names(params, message):
    with pytest.raises(ValueError, match=message):
        _sfh().set_params(**params)


def test_set_params_rejects_nested_keys_into_a_plain_value():
    with pytest.raises((AttributeError, ValueError)):
        BinnedMeanModel().set_params(widths__x=1)


def test_repr_shows_the_parameters_that_differ_from_the_defaults():
    # scikit-learn's convention (print_changed_only)
    assert repr(MedianResidualCorrection("log_ew_ha", 0.1)) == (
        "MedianResidualCorrection(feature='log_ew_ha', width=0.1)"
    )
    assert repr(MedianResidualCorrection("d4000", 0.05, min_count=7)) == (
        "MedianResidualCorrection(feature='d4000', min_count=7, width=0.05)"
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
    ids=lambda model: type(model).__name__,
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
    with pytest.raises(TypeError, match="Cannot clone object"):
        clone(np.zeros(3))


def test_models_are_scikit_learn_regressors():
    """GridSearchCV over a model parameter, with group-aware folds, runs as for any regressor."""
    from sklearn.base import is_regressor
    from sklearn.model_selection import GridSearchCV, GroupKFold

    rng = np.random.default_rng(2)
    n = 3000
    X = pd.DataFrame({"log_mstar": rng.uniform(9.0, 11.0, n),
                      "log_sigma_star": rng.uniform(7.0, 9.0, n)})  # fmt: skip
    y = 8.2 + 0.2 * (X["log_mstar"] - 9) + rng.normal(0, 0.01, n)
    model = BinnedMeanModel(widths=(0.5, 0.5), loess_frac=None)
    assert is_regressor(model)
    search = GridSearchCV(model, {"min_count": [5, 50]}, cv=GroupKFold(3))
    search.fit(X, y, groups=np.arange(n) % 30)
    assert search.best_score_ > 0.9  # R^2 of a relation with 0.01 dex scatter
    assert not hasattr(model, "bins_")  # the search fitted clones
    assert search.best_estimator_.score(X, y) > 0.9
