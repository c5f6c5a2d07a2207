"""The seven named model sets and their configuration."""

import pytest

from metgrad.config import ModelConfig
from metgrad.models import (
    MODEL_SETS,
    BinnedMeanModel,
    BinnedResidualCorrection,
    CorrectedModel,
    MedianResidualCorrection,
    model_set,
    model_sets_from_config,
)

M, S, D, T, EW = "log_mstar", "log_sigma_star", "d4000", "log_age_lw", "log_ew_ha"

# name: (base features, base widths, correction class, correction features, widths)
# with the paper's defaults (§3.1, §3.2; SFH-a/b widths are our choice, see sets.py)
EXPECTED = {
    "base": ((M, S), (0.05, 0.05), None, None, None),
    "D4000": ((M, S), (0.05, 0.05), MedianResidualCorrection, D, 0.05),
    "EW_Ha": ((M, S), (0.05, 0.05), MedianResidualCorrection, EW, 0.1),
    "SFH": ((M, S), (0.05, 0.05), BinnedResidualCorrection, (D, T), (0.01, 0.025)),
    "SFH_Ha": ((M, S), (0.05, 0.05), BinnedResidualCorrection, (EW, T), (0.02, 0.025)),
    "SFH_a": ((S, D), (0.05, 0.01), BinnedResidualCorrection, (M, T), (0.05, 0.025)),
    "SFH_b": ((M, D), (0.05, 0.01), BinnedResidualCorrection, (S, T), (0.05, 0.025)),
}


def test_the_seven_names():
    assert list(MODEL_SETS) == ["base", "D4000", "EW_Ha", "SFH", "SFH_Ha", "SFH_a", "SFH_b"]
    assert MODEL_SETS["SFH"].parameters == ("M*", "Sigma_*", "D4000", "t_LW")


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_set_has_the_papers_features_and_widths(name):
    base_features, base_widths, kind, features, widths = EXPECTED[name]
    model = model_set(name)
    base = model if kind is None else model.base
    assert isinstance(base, BinnedMeanModel)
    assert (base.features, base.widths) == (base_features, base_widths)
    assert (base.min_count, base.loess_frac, base.loess_rescale) == (10, 0.02, True)
    if kind is None:
        return
    assert isinstance(model, CorrectedModel)
    correction = model.correction
    assert type(correction) is kind
    if kind is MedianResidualCorrection:
        assert (correction.feature, correction.width, correction.min_count) == (
            features,
            widths,
            100,
        )
    else:
        assert (correction.features, correction.widths, correction.min_count) == (
            features,
            widths,
            10,
        )
        assert (correction.loess_frac, correction.loess_rescale) == (0.02, True)


def test_options_override_the_defaults():
    model = model_set(
        "SFH_a",
        base_bin_mstar=0.1,
        base_bin_sigma=0.2,
        sfh_bin_d4000=0.03,
        sfh_bin_log_age=0.05,
        base_min_count=7,
        corr2d_min_count=4,
        base_loess_frac=0.1,
    )
    assert model.base.widths == (0.2, 0.03)
    assert model.correction.widths == (0.1, 0.05)
    assert (model.base.min_count, model.correction.min_count) == (7, 4)
    assert (model.base.loess_frac, model.correction.loess_frac) == (0.1, 0.1)
    ew = model_set("EW_Ha", log_ew_bin=0.2, corr1d_min_count=50)
    assert (ew.correction.width, ew.correction.min_count) == (0.2, 50)


def test_model_sets_from_config():
    config = ModelConfig(sfh_bin_log_ew=0.04, d4000_bin=0.1, base_min_count=3)
    models = model_sets_from_config(config)
    assert list(models) == list(MODEL_SETS)
    assert models["SFH_Ha"].correction.widths == (0.04, 0.025)
    assert models["D4000"].correction.width == 0.1
    assert all((m if n == "base" else m.base).min_count == 3 for n, m in models.items())
    # default: the paper's
    assert repr(model_sets_from_config()["SFH"]) == repr(model_set("SFH"))
    # every call builds new estimators
    assert model_sets_from_config()["base"] is not model_sets_from_config()["base"]


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("SFH-b", {}, "unknown model set 'SFH-b'"),
        ("SFH", {"sfh_bin_age": 0.1}, r"unknown model option\(s\) \['sfh_bin_age'\]"),
        ("SFH", {"sfh_bin_d4000": -1.0}, "models.sfh_bin_d4000 = -1.0 is outside"),
    ],
    ids=["unknown-set", "unknown-option", "option-out-of-range"],
)
def test_bad_names_and_options(name, options, message):
    with pytest.raises(ValueError, match=message):
        model_set(name, **options)
