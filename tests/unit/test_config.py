"""Run configuration: defaults are the paper's choices; every bad option is named on load."""

from __future__ import annotations

from pathlib import Path

import pytest

from metgrad.config import ConfigError, RunConfig, config_from_dict, load_config


def test_defaults_are_the_papers_choices():
    c = RunConfig()
    # Boardman et al. (2022) §2.1-2.3, §3: S/N > 3, EW > 10 A, Ha/Hb >= 2.86, 0.5-2 Re,
    # 0 < D4000 < 2, 8.17 <= M13 <= 8.77, >= 20 spaxels, b/a >= 0.6, M* >= 10^8.9,
    # gradient error <= 0.1 dex/Re, 100 refits, Calzetti R_V = 3.1, H0 = 71, Om0 = 0.27.
    s = c.selection
    assert (s.snr_min, s.ew_ha_min, s.balmer_min) == (3.0, 10.0, 2.86)
    assert (s.r_re_min, s.r_re_max, s.d4000_min, s.d4000_max) == (0.5, 2.0, 0.0, 2.0)
    assert (s.oh_m13_min, s.oh_m13_max, s.min_spaxels) == (8.17, 8.77, 20)
    assert (s.ba_min, s.log_mstar_min, s.gradient_err_max) == (0.6, 8.9, 0.1)
    assert (c.gradients.n_bootstrap, c.gradients.n_noise) == (100, 100)
    p = c.physics
    assert (p.r_v, p.h0, p.om0, p.salpeter_to_kroupa, p.chabrier_to_kroupa) == (
        3.1, 71.0, 0.27, 0.62, 1.06
    )  # fmt: skip
    assert c.models.base_bin_mstar == 0.05 and c.models.base_loess_frac == 0.02


def test_load_resolves_paths_against_the_file(tmp_path):
    (tmp_path / "survey.toml").write_text(
        '[inputs]\ndrpall = "drpall.fits"\nmaps = "/abs/maps"\n'
        "[selection]\nsnr_min = 5\n[mock]\nseed = 3\n"
    )
    c = load_config(tmp_path / "survey.toml")
    assert c.inputs.drpall == tmp_path / "drpall.fits"
    assert c.inputs.maps == Path("/abs/maps")
    assert c.selection.snr_min == 5.0 and isinstance(c.selection.snr_min, float)
    assert c.to_dict()["inputs"]["drpall"] == str(tmp_path / "drpall.fits")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"selectoin": {}}, r"unknown section \[selectoin\]; allowed sections: analysis, gradients, inputs"),
        ({"selection": {"snr": 3}}, r"unknown key selection.snr; allowed keys in \[selection\]: snr_min, ew_ha_min"),
        ({"selection": {"snr_min": "3"}}, r"selection.snr_min must be a number, got '3'"),
        ({"selection": {"min_spaxels": 20.5}}, r"selection.min_spaxels must be an integer, got 20.5"),
        ({"selection": {"ba_min": 1.5}}, r"selection.ba_min = 1.5 is outside the allowed range \[0.0, 1.0\]"),
        ({"selection": {"r_re_min": 2.5}}, r"selection.r_re_min = 2.5 must be below selection.r_re_max = 2.0"),
        ({"gradients": {"n_bootstrap": True}}, r"gradients.n_bootstrap must be an integer, got True"),
        ({"inputs": {"maps": 3}}, r"inputs.maps must be a path string, got 3"),
        ({"physics": {"r_v": -1}}, r"physics.r_v = -1.0 is outside the allowed range"),
        ({"inputs": 5}, r"\[inputs\] must be a table"),
    ],
)  # fmt: skip
def test_bad_options_are_named(data, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(data)


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[inputs\n")
    with pytest.raises(ConfigError, match=r"^bad.toml: not valid TOML"):
        load_config(bad)
    bad.write_text("[output]\ndirr = 'x'\n")
    with pytest.raises(ConfigError, match=r"^bad.toml: unknown key output.dirr"):
        load_config(bad)
    with pytest.raises(ConfigError, match=r"^absent.toml: file not found"):
        load_config(tmp_path / "absent.toml")


def test_model_set_names_are_the_model_sets():
    from metgrad.config import MODEL_SET_NAMES
    from metgrad.models.sets import MODEL_SETS

    assert MODEL_SET_NAMES == tuple(MODEL_SETS)


def test_gradient_models_option():
    from metgrad.config import ConfigError, config_from_dict

    assert config_from_dict({}).gradients.models == ("base", "SFH")
    every = config_from_dict({"gradients": {"models": ["all"]}}).gradients.models
    assert every == ("base", "D4000", "EW_Ha", "SFH", "SFH_Ha", "SFH_a", "SFH_b")
    # base and SFH are always measured, and the order is the tables' order
    chosen = config_from_dict({"gradients": {"models": ["SFH_b", "D4000"]}}).gradients.models
    assert chosen == ("base", "D4000", "SFH", "SFH_b")
    with pytest.raises(ConfigError, match=r"unknown model set\(s\) \['SFH_c'\]"):
        config_from_dict({"gradients": {"models": ["SFH_c"]}})
    with pytest.raises(ConfigError, match="must be a list of strings"):
        config_from_dict({"gradients": {"models": "base"}})
