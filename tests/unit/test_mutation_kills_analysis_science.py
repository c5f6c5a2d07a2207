"""Behavioural unit tests of the science steps of the analysis (issue #19, mutation testing).

Every step of :mod:`metgrad.analysis` that computes a number (azimuthal gradients, the
calibrator comparison, the model sets and their tables, the mass-size plane, the final
gradients, the relation tables, the summary) is run here on a tiny hand-made or synthetic
input whose answer is worked independently in the test: by hand, with numpy/pandas/scipy
doing the same thing another way, or from the truth injected into the input. All tests are
fast (tiny inputs, no survey build) because ``make mutation`` runs them for every mutant of
the function they call.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from analysis_synthetic import build

from independent_references import cappellari_loess_2d, highs_lad_line, idl_robust_sigma
from metgrad import columns as C
from metgrad.analysis.azimuthal import azimuthal_gradients
from metgrad.analysis.compare import compare_calibrators, size_coefficient
from metgrad.analysis.massize_plane import SUBSAMPLES, _profiles, massize_plane
from metgrad.calibration import get
from metgrad.config import MassSizeConfig, RunConfig
from metgrad.parallel import SerialPool


def robust_sigma_ref(x):
    """robust_sigma.pro transcribed by hand (tests/independent_references.py)."""
    return idl_robust_sigma(np.asarray(x, dtype=float))


# --------------------------------------------------------------------------- azimuthal


def test_azimuthal_boundaries_nan_oh_and_object_inputs():
    # annuli of 0.1 R_e from 0.5: a spaxel exactly at 0.6 or 0.7 belongs to the annulus it
    # opens (0.6 and 0.7 are not exactly representable; the 1e-9 guard puts them there).
    # Annuli: [0.5,0.6): 0.55 -> (0.55, 8.60); [0.6,0.7): 0.6, 0.6 -> (0.6, 8.50);
    # [0.7,0.8): 0.7 and 0.78 -> (0.74, 8.46). A spaxel with NaN O/H at 0.52 is dropped
    # (kept, it would move the first annulus' mean radius to 0.535).
    r = np.array([0.55, 0.6, 0.6, 0.7, 0.78, 0.52], dtype=object)
    oh = np.array([8.60, 8.49, 8.51, 8.45, 8.47, np.nan], dtype=object)
    out = azimuthal_gradients(["g"] * 6, r, oh)
    # LAD through (0.55, 8.60), (0.60, 8.50), (0.74, 8.46): the line through two points
    # with the smallest deviation of the third. 1-2: slope -2.0, at 0.74 -> 8.22 (0.24);
    # 1-3: slope -0.14/0.19, at 0.60 -> 8.5632 (0.0632); 2-3: slope -0.04/0.14, at 0.55
    # -> 8.5143 (0.0857). So through points 1 and 3.
    assert out.loc["g"] == pytest.approx(-0.14 / 0.19, abs=1e-9)
    assert out.name == "slope" and out.index.name == "plateifu" and out.dtype == float


def test_azimuthal_annuli_start_at_r_min_for_any_width():
    # width 0.3 with the default r_min 0.5: annuli [0.5,0.8), [0.8,1.1), [1.1,1.4).
    # (Counted from 1.5 or from -0.5 they would be [0.2,0.5),[0.5,0.8)... shifted by
    # 1.0 = 3.33 widths: other groupings.)
    r = [0.5, 0.79, 0.8, 1.09, 1.1, 1.39]
    oh = [8.7, 8.6, 8.5, 8.48, 8.3, 8.28]
    out = azimuthal_gradients(["g"] * 6, r, oh, width=0.3)
    # means: (0.645, 8.65), (0.945, 8.49), (1.245, 8.29): 8.65 -> 8.29 over 0.6, the middle
    # point at 8.47 on that line, 0.02 below; the other pairs miss by more (0.04).
    assert out.loc["g"] == pytest.approx(-0.36 / 0.6, abs=1e-9)


def test_azimuthal_defaults_are_the_papers_annuli():
    # without width / r_min: 0.1 R_e annuli from 0.5 (the same answer as given explicitly)
    r = [0.52, 0.58, 0.61, 0.69, 0.71, 0.79]
    oh = [8.58, 8.62, 8.49, 8.51, 8.45, 8.47]
    assert azimuthal_gradients(["g"] * 6, r, oh).loc["g"] == pytest.approx(-0.7, abs=1e-9)


def test_azimuthal_gradient_does_not_depend_on_the_spaxel_order():
    # annuli (0.55, 8.0), (0.65, 8.1), (0.75, 8.1), (0.85, 8.0): the LAD line is not unique
    # (every line through the middle of both pairs' ranges is optimal); whatever line is
    # returned, listing the spaxels in another order must not change it
    r = np.array([0.55, 0.65, 0.75, 0.85])
    oh = np.array([8.0, 8.1, 8.1, 8.0])
    slopes = {azimuthal_gradients(["g"] * 4, r[o], oh[o]).loc["g"]
              for o in ([0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2])}  # fmt: skip
    assert len(slopes) == 1
    # and it is a LAD line: its total absolute deviation is HiGHS's optimum
    a, b, _ = highs_lad_line(r, oh)
    (slope,) = slopes
    best = np.abs(oh - a - b * r).sum()
    dev = np.abs(oh - slope * r - np.median(oh - slope * r)).sum()
    assert dev == pytest.approx(best, abs=1e-9)


def test_azimuthal_bad_width_and_empty_input():
    with pytest.raises(ValueError, match="width must be positive, got 0"):
        azimuthal_gradients(["g"], [1.0], [8.5], width=0)
    empty = azimuthal_gradients(["g"], [np.nan], [8.5])
    assert empty.empty and empty.dtype == float and empty.name == "slope"
    assert empty.index.name == "plateifu"


# --------------------------------------------------------------------------- compare


def _frisch_waugh_se(m, lr, y):
    """Coefficient of log R_e and its standard error, by partialling out [1, log M*]."""
    design = np.column_stack([np.ones_like(m), m])
    proj = design @ np.linalg.pinv(design)
    e_r = lr - proj @ lr
    e_y = y - proj @ y
    c = (e_r @ e_y) / (e_r @ e_r)
    resid = e_y - c * e_r
    s2 = (resid @ resid) / (len(y) - 3)
    return c, np.sqrt(s2 / (e_r @ e_r))


def test_size_coefficient_standard_error_and_the_ten_galaxy_limit():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"log_mstar": rng.uniform(9, 11, 10), "log_re": rng.uniform(0, 1, 10)})
    frame["offset_sfh"] = 0.1 - 0.02 * frame["log_re"] + rng.normal(0, 0.01, 10)
    c, err = size_coefficient(frame)  # exactly 10 galaxies: measured
    c_ref, err_ref = _frisch_waugh_se(*(frame[k].to_numpy() for k in frame))
    assert c == pytest.approx(c_ref, rel=1e-9) and err == pytest.approx(err_ref, rel=1e-9)
    assert np.isnan(size_coefficient(frame.iloc[:9])).all()


def _cal_inputs(grad_a, grad_b, names_a, names_b, *, offset=None):
    def gal(grad, names):
        n = len(names)
        return pd.DataFrame(
            {"log_mstar": np.linspace(9, 11, n), "log_re": np.linspace(0, 1, n) ** 2,
             "grad_obs": grad,
             "offset_sfh": np.zeros(n) if offset is None else offset},
            index=pd.Index(names, name="plateifu"),
        )  # fmt: skip

    empty = pd.DataFrame({"model": [], "bic": []})
    return {
        "m13": {"calibrator": get("m13"), "galaxies": gal(grad_a, names_a),
                "table1": pd.DataFrame({"model": ["SFH", "base", "other"],
                                        "bic": [1.0, 2.0, 0.5]})},
        "pg16": {"calibrator": get("pg16"), "galaxies": gal(grad_b, names_b), "table1": empty},
    }  # fmt: skip


def test_comparison_columns_labels_and_small_overlaps():
    names = [f"{i}-1" for i in range(12)]
    # pg16 shares 3 galaxies with m13: differences 0.01, 0.02, 0.06 -> median 0.02
    res = compare_calibrators(_cal_inputs(
        np.full(12, -0.1), [-0.09, -0.08, -0.04], names, ["0-1", "1-1", "2-1"]))  # fmt: skip
    s = res.summary
    assert list(s.columns) == [
        "calibrator", "label", "scale", "n_galaxies", "median_gradient",
        "gradient_difference_median", "gradient_difference_dispersion", "best_model_bic",
        "sfh_lowest_bic", "size_coefficient", "size_coefficient_err", "offsets_size_dependent",
    ]  # fmt: skip
    s = s.set_index("calibrator")
    for key in ("m13", "pg16"):
        assert s.loc[key, "label"] == get(key).label and s.loc[key, "scale"] == get(key).scale
    assert s.loc["pg16", "n_galaxies"] == 3
    assert s.loc["pg16", "median_gradient"] == pytest.approx(-0.08)
    assert s.loc["pg16", "gradient_difference_median"] == pytest.approx(0.02)
    d = np.array([0.01, 0.02, 0.06])
    assert s.loc["pg16", "gradient_difference_dispersion"] == pytest.approx(
        robust_sigma_ref(d), rel=1e-9)  # fmt: skip
    # the table without rows has no best model; only the Table 1 models are kept
    assert s.loc["pg16", "best_model_bic"] == "" and not s.loc["pg16", "sfh_lowest_bic"]
    assert s.loc["m13", "best_model_bic"] == "other" and not s.loc["m13", "sfh_lowest_bic"]
    # offsets all exactly zero: coefficient 0 with error 0 is not size-dependent
    assert s.loc["m13", "size_coefficient"] == 0.0 and s.loc["m13", "size_coefficient_err"] == 0
    assert not s.loc["m13", "offsets_size_dependent"]
    assert np.isnan(s.loc["pg16", "size_coefficient"])  # 3 galaxies: no coefficient
    assert list(res.table1.columns) == ["calibrator", "model", "bic"]
    assert list(res.table1["model"]) == ["SFH", "base"]
    assert list(res.table1.index) == [0, 1]
    assert res.gradients.index.name == "plateifu"
    assert list(res.gradients.columns) == ["m13", "pg16"]
    # two galaxies in common: no dispersion; none in common: no median either
    two = compare_calibrators(_cal_inputs(np.zeros(12), [0.1, 0.2], names, ["0-1", "1-1"]))
    assert np.isnan(two.summary.set_index("calibrator").loc["pg16",
                                                          "gradient_difference_dispersion"])
    one = compare_calibrators(_cal_inputs(np.zeros(12), [0.1], names, ["0-1"]))
    assert np.isnan(one.summary.set_index("calibrator").loc["pg16",
                                                          "gradient_difference_dispersion"])
    none = compare_calibrators(_cal_inputs(np.zeros(12), [0.1, 0.2], names, ["a", "b"]))
    row = none.summary.set_index("calibrator").loc["pg16"]
    assert np.isnan(row["gradient_difference_median"])
    assert np.isnan(row["gradient_difference_dispersion"])


def test_table1_of_two_calibrators_has_a_fresh_index():
    names = [f"{i}-1" for i in range(3)]
    inputs = _cal_inputs(np.zeros(3), np.zeros(3), names, names)
    inputs["pg16"]["table1"] = pd.DataFrame({"model": ["base", "SFH"], "bic": [3.0, 1.0]})
    res = compare_calibrators(inputs)
    assert list(res.table1.index) == [0, 1, 2, 3]
    assert list(res.table1["calibrator"]) == ["m13", "m13", "pg16", "pg16"]


# --------------------------------------------------------------------------- mass-size plane


def _plane_inputs(n=40, seed=7):
    rng = np.random.default_rng(seed)
    names = [f"{9000 + i}-1901" for i in range(n)]
    m = rng.uniform(9.0, 11.0, n)
    lr = 0.5 + 0.2 * (m - 10) + rng.normal(0, 0.1, n)
    gal = pd.DataFrame(
        {C.LOG_MSTAR: m, C.LOG_RE: lr, "grad_obs": rng.normal(-0.05, 0.03, n),
         "grad_base": rng.normal(-0.04, 0.01, n), "grad_sfh": rng.normal(-0.045, 0.01, n)},
        index=pd.Index(names, name=C.PLATEIFU),
    )  # fmt: skip
    gal[C.offset("base")] = gal["grad_obs"] - gal["grad_base"]
    gal[C.offset("SFH")] = gal["grad_obs"] - gal["grad_sfh"]
    gal["offset_base_norm"] = gal[C.offset("base")] / 0.02
    gal["offset_sfh_norm"] = gal[C.offset("SFH")] / 0.02
    r = np.tile([0.55, 0.8, 1.2, 1.6, 1.95], n)
    spax = pd.DataFrame({
        C.PLATEIFU: np.repeat(names, 5), C.R_RE: r,
        "oh_x": 8.6 - 0.05 * r + rng.normal(0, 0.02, 5 * n),
        C.pred("SFH"): 8.55 - 0.04 * r,
    })  # fmt: skip
    return gal, spax


def test_massize_plane_follows_its_configuration():
    gal, spax = _plane_inputs()
    ms = MassSizeConfig(loess_frac=0.5, relation_bin=0.5, steep_percentile=25.0,
                        shallow_percentile=75.0, small_offset=0.01, profile_bin=0.35,
                        profile_r_max=1.9)  # fmt: skip
    config = dataclasses.replace(RunConfig(), massize=ms)
    plane = massize_plane(gal, spax, "oh_x", config, pool=SerialPool())
    g = plane.galaxies
    m, lr = gal[C.LOG_MSTAR].to_numpy(), gal[C.LOG_RE].to_numpy()
    ref = cappellari_loess_2d(m, lr, gal["grad_obs"].to_numpy(), frac=0.5, degree=1,
                              rescale=True)[0]  # fmt: skip
    np.testing.assert_allclose(g[C.loess("grad_obs")], ref, rtol=0, atol=1e-8)
    # mass thirds: the tertiles of log M*, "low" at or below the first
    edges = np.percentile(m, [100 / 3, 200 / 3])
    np.testing.assert_allclose(plane.third_edges, edges)
    third = np.where(m <= edges[0], "low", np.where(m <= edges[1], "mid", "high"))
    assert list(g["mass_third"]) == list(third)
    # extended: above the median log R_e of its 0.5-dex mass bin
    k = np.floor(m / 0.5)
    med = pd.Series(lr).groupby(k).median()
    ext = lr > med.reindex(k).to_numpy()
    assert list(g["extended"]) == list(ext)
    np.testing.assert_allclose(plane.relation["median_log_re"], med.to_numpy())
    bins = [f"{a}-{'extended' if e else 'compact'}" for a, e in zip(third, ext, strict=True)]
    assert list(g["massize_bin"]) == bins
    # subsamples: 25th / 75th percentiles of the SFH offset in each bin, |offset| <= 0.01
    off = gal[C.offset("SFH")].to_numpy()
    want = np.full(len(off), "", dtype=object)
    for b in set(bins):
        mem = np.array(bins) == b
        lo, hi = np.percentile(off[mem], [25, 75])
        want[mem & (np.abs(off) <= 0.01)] = "small"
        want[mem & (off <= lo)] = "steep"
        want[mem & (off >= hi)] = "shallow"
    assert list(g["subsample"]) == list(want)
    # profiles on the configured edges 0.5, 0.85, 1.2, 1.55, 1.9
    p = plane.profiles
    assert sorted(set(p["r_lo"])) == pytest.approx([0.5, 0.85, 1.2, 1.55])


def _profile_inputs():
    gal = pd.DataFrame(
        {"massize_bin": ["low-compact", "low-compact", "high-extended", ""],
         "subsample": ["steep", "small", "steep", "steep"]},
        index=pd.Index(["a", "b", "c", "d"], name=C.PLATEIFU),
    )  # fmt: skip
    f = pd.DataFrame({
        C.PLATEIFU: ["a", "a", "a", "b", "b", "c", "d"],
        C.R_RE: [0.6, 0.7, 1.0, 0.65, 1.1, 0.9, 0.6],
        "oh_x": [8.5, 8.7, 8.4, 8.6, 8.3, 8.2, 9.0],
        C.pred("SFH"): [8.4, 8.4, 8.3, 8.5, 8.35, 8.0, 8.0],
    })  # fmt: skip
    config = dataclasses.replace(RunConfig(), massize=MassSizeConfig(
        profile_r_min=0.5, profile_r_max=1.3, profile_bin=0.4))  # fmt: skip
    return gal, f, config


def test_profiles_by_hand():
    gal, f, config = _profile_inputs()
    p = _profiles(gal, f, "oh_x", config)
    assert list(p.columns) == ["massize_bin", "subsample", "quantity", "n_galaxies", "r_lo",
                               "r_hi", "r_mid", "n", "median", "p16", "p84"]  # fmt: skip
    assert list(p.index) == list(range(len(p)))
    # bins sorted, the galaxy without a bin ("") has no profile; 3 subsamples x 2 quantities
    # x 2 radial bins [0.5, 0.9), [0.9, 1.3] per mass-size bin
    assert list(dict.fromkeys(p["massize_bin"])) == ["high-extended", "low-compact"]
    assert len(p) == 2 * len(SUBSAMPLES) * 2 * 2
    key = ["massize_bin", "subsample", "quantity", "r_lo"]
    t = p.set_index(key).sort_index()
    # low-compact steep = galaxy a: O/H 8.5, 8.7 inside 0.9; 8.4 outside
    row = t.loc[("low-compact", "steep", "oh", 0.5)]
    assert row["n"] == 2 and row["median"] == pytest.approx(8.6) and row["n_galaxies"] == 1
    assert row["p16"] == pytest.approx(8.5 + 0.16 * 0.2)
    row = t.loc[("low-compact", "steep", "residual_sfh", 0.5)]
    assert row["median"] == pytest.approx(0.2)  # residuals 0.1 and 0.3
    row = t.loc[("low-compact", "small", "residual_sfh", 0.9)]
    assert row["median"] == pytest.approx(-0.05) and row["n_galaxies"] == 1
    # high-extended steep = galaxy c (the first pair code 0 is galaxy a's; c has its own)
    row = t.loc[("high-extended", "steep", "oh", 0.9)]
    assert row["n"] == 1 and row["median"] == pytest.approx(8.2)
    # a pair without galaxies: an empty profile with 0 galaxies
    row = t.loc[("high-extended", "shallow", "oh", 0.5)]
    assert row["n"] == 0 and row["n_galaxies"] == 0 and np.isnan(row["median"])
    assert (t.loc[("low-compact", "shallow"), "n"] == 0).all()


# --------------------------------------------------------------------------- model sets


def _model_frame(n=450, seed=8):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "log_mstar": rng.choice([9.55, 10.05, 10.55], n),
        "log_sigma_star": rng.choice([7.55, 8.05, 8.55], n),
        "d4000": rng.choice([1.205, 1.305, 1.405], n),
        "log_age_lw": rng.choice([8.61, 9.01, 9.41], n),
        "log_ew_ha": rng.choice([1.05, 1.45, 1.85], n),
    }, index=pd.RangeIndex(100, 100 + n))  # fmt: skip
    frame["oh"] = (8.5 + 0.1 * (frame["log_mstar"] - 10) + 0.05 * (frame["d4000"] - 1.3)
                   + rng.normal(0, 0.02, n))  # fmt: skip
    return frame


def _model_config(**kw):
    models = dataclasses.replace(RunConfig().models, base_bin_mstar=0.2, corr1d_min_count=40,
                                 **kw)  # fmt: skip
    return dataclasses.replace(RunConfig(), models=models)


def test_model_sets_equal_each_set_fitted_on_its_own():
    from metgrad.analysis.fit_models import fit_model_sets
    from metgrad.analysis.metrics import TABLEA1_MODELS, model_tables
    from metgrad.models import clone, model_sets_from_config

    frame = _model_frame()
    frame["log_ew_ha"] = 0.5 + 0.2 * np.arange(len(frame))  # no EW bin: the EW sets fail
    config = _model_config()
    fitted = fit_model_sets(frame, "oh", config, pool=SerialPool())
    assert fitted.predictions.index.equals(frame.index)
    y = frame["oh"].to_numpy()
    for name, model in model_sets_from_config(config.models).items():
        if name in ("EW_Ha", "SFH_Ha"):
            with pytest.raises(ValueError) as why:
                clone(model).fit(frame, y)
            assert fitted.failed[name] == " ".join(str(why.value).split())
            assert np.isnan(fitted.pair(name)[0]).all() and name not in fitted.n_params
            continue
        ref = clone(model).fit(frame, y)
        pred, err = ref.predict(frame, return_error=True)
        np.testing.assert_allclose(fitted.pair(name)[0], pred, rtol=0, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(fitted.pair(name)[1], err, rtol=0, atol=1e-12, err_msg=name)
        assert fitted.n_params[name] == ref.n_params_
    tables = model_tables(y, np.full(len(y), 0.02), fitted)
    assert list(tables.tableA1.index) == list(TABLEA1_MODELS)
    assert list(tables.table1.index) == ["base", "D4000", "SFH"]


def test_model_sets_stop_without_base_or_sfh():
    from metgrad.analysis.fit_models import fit_model_sets

    frame = _model_frame(n=300)
    frame["log_age_lw"] = 8.5 + 0.1 * np.arange(300)  # no SFH bin is occupied enough
    with pytest.raises(ValueError, match=r"^the SFH model cannot be fitted: \S"):
        fit_model_sets(frame, "oh", _model_config(), pool=SerialPool())
    frame["log_mstar"] = 9.0 + 0.3 * np.arange(300)  # nor a base bin
    with pytest.raises(ValueError, match=r"^the base model cannot be fitted: \S"):
        fit_model_sets(frame, "oh", _model_config(), pool=SerialPool())


# --------------------------------------------------------------------------- final gradients


class _Predictions:
    """Stands for FittedModels: ``pair(name)`` over the model-fitting sample."""

    def __init__(self, pairs):
        self.pairs = pairs

    def pair(self, name):
        return self.pairs[name]


CHANGED, NOISY, AT_LIMIT, NO_D4000 = "8000-1901", "8001-3701", "8000-6101", "8000-12701"


def _final_setup(*, recheck=True, models=("base", "D4000", "SFH")):
    from metgrad.analysis.final_sample import FinalSample
    from metgrad.analysis.sample import SampleSteps

    run = build(10)
    # galaxies in reverse plate-ifu order (each contiguous) and a subset's index
    order = run.spaxels[C.PLATEIFU].rank(method="dense", ascending=False)
    s = run.spaxels.iloc[np.argsort(order.to_numpy(), kind="stable")]
    s = s.set_index(1000 + 2 * np.arange(len(s)))
    t = run.truth.reindex(s[C.PLATEIFU])
    a, b, r = t["intercept"].to_numpy(), t["slope"].to_numpy(), s[C.R_RE].to_numpy()
    err = np.full(len(s), 0.01)
    d4000, d4000_err = a + (b - 0.02) * r, err.copy()
    d4000[(s[C.PLATEIFU] == NO_D4000).to_numpy()] = np.nan
    odd = np.flatnonzero((s[C.PLATEIFU] == CHANGED).to_numpy())[7]
    d4000[odd], d4000_err[odd] = 99.0, np.nan  # no error: left out (kept, a huge outlier)
    fitted = _Predictions({"base": (a + b * r, err), "SFH": (a + (b + 0.01) * r, err),
                           "D4000": (d4000, d4000_err)})  # fmt: skip
    drop = s.index[(s[C.PLATEIFU] == CHANGED).to_numpy()][:5]
    rows = s.index.difference(drop)
    final = FinalSample(rows, SampleSteps().add("final", "final", s.loc[rows, C.PLATEIFU]))
    names = sorted(set(s[C.PLATEIFU]))
    first = pd.DataFrame({
        "slope": 0.5 + 0.01 * np.arange(10), "slope_err": 0.001 * np.arange(10),
        "intercept": 9.0 + np.arange(10), "n_spaxels": s.groupby(C.PLATEIFU).size()[names],
    }, index=pd.Index(names, name=C.PLATEIFU))  # fmt: skip
    first.loc[NOISY, "slope_err"] = 0.2
    first.loc["7999-1901"] = [0.1, 0.01, 8.0, 50]  # measured, then left the sample
    first = first.sort_index().astype({"n_spaxels": np.int64})
    first.loc[AT_LIMIT, "slope_err"] = 0.1
    base = RunConfig()
    config = dataclasses.replace(
        base,
        gradients=dataclasses.replace(base.gradients, n_bootstrap=10, n_noise=12, seed=7,
                                      models=models),
        analysis=dataclasses.replace(base.analysis, azimuthal_bin=0.2,
                                     recheck_final_error=recheck),
        selection=dataclasses.replace(base.selection, r_re_min=0.6),
    )  # fmt: skip
    return s, final, first, fitted, config


def _measure(s, final, first, fitted, config, from_reference=False):
    from metgrad.analysis.final_gradients import measure_final_gradients

    return measure_final_gradients(s, final, first, fitted=fitted, calibrator=get("m13"),
                                   from_reference=from_reference, config=config,
                                   pool=SerialPool())  # fmt: skip


def test_final_gradients_against_independent_fits():
    from metgrad.analysis.final_gradients import model_stream
    from metgrad.gradients import galaxy_gradients

    s, final, first, fitted, config = _final_setup()
    res = _measure(s, final, first, fitted, config)
    g = res.galaxies
    kept = [n for n in first.index if n not in (NOISY, "7999-1901")]
    assert list(g.index) == kept and g.index.name == C.PLATEIFU  # sorted
    assert g["n_spaxels"].dtype == np.int64 and g["grad_obs"].dtype == np.float64
    assert list(g.columns) == [
        "grad_obs", "grad_obs_err", "intercept_obs", "grad_base", "grad_base_err",
        "intercept_base", "grad_d4000", "grad_d4000_err", "intercept_d4000",
        "n_spaxels_d4000", "grad_sfh", "grad_sfh_err", "intercept_sfh", "n_spaxels",
        "log_mstar", "log_re", "ba", "offset_base", "offset_d4000", "offset_sfh",
        "offset_base_norm", "offset_sfh_norm", "err_obs_base", "grad_obs_azimuthal",
    ]  # fmt: skip
    # galaxies that kept every spaxel reuse the first pass; the changed one is refitted
    same = [n for n in kept if n != CHANGED]
    np.testing.assert_array_equal(g.loc[same, "grad_obs"], first.loc[same, "slope"])
    np.testing.assert_array_equal(g.loc[same, "grad_obs_err"], first.loc[same, "slope_err"])
    np.testing.assert_array_equal(g.loc[same, "intercept_obs"], first.loc[same, "intercept"])
    fc = s.loc[final.rows][s.loc[final.rows, C.PLATEIFU] == CHANGED]
    a, b, _ = highs_lad_line(fc[C.R_RE].to_numpy(), fc["oh_m13"].to_numpy())
    assert g.loc[CHANGED, "grad_obs"] == pytest.approx(b, abs=1e-9)
    assert g.loc[CHANGED, "intercept_obs"] == pytest.approx(a, abs=1e-9)
    assert g.loc[CHANGED, "n_spaxels"] == len(fc)
    assert (g.loc[same, "n_spaxels"] == first.loc[same, "n_spaxels"]).all()
    # the errors come from the calibrator's streams, the run seed and the refit counts
    one = [CHANGED] * len(fc)
    ref = galaxy_gradients(one, fc[C.R_RE].to_numpy(), fc["oh_m13"].to_numpy(), seed=7,
                           stream="observed-m13", n_refits=10)  # fmt: skip
    assert g.loc[CHANGED, "grad_obs_err"] == ref.loc[CHANGED, "slope_err"]
    assert model_stream("SFH", "m13") == "SFH-m13"
    pb = fitted.pair("SFH")[0][s.index.get_indexer(fc.index)]
    ref = galaxy_gradients(one, fc[C.R_RE].to_numpy(), pb, np.full(len(fc), 0.01), seed=7,
                           stream="SFH-m13", n_refits=12)  # fmt: skip
    assert g.loc[CHANGED, "grad_sfh_err"] == ref.loc[CHANGED, "slope_err"] > 0
    # model gradients: the injected lines
    truth = build(10).truth.loc[kept]
    np.testing.assert_allclose(g["grad_base"], truth["slope"], atol=1e-9)
    np.testing.assert_allclose(g["intercept_base"], truth["intercept"], atol=1e-9)
    np.testing.assert_allclose(g["grad_sfh"], truth["slope"] + 0.01, atol=1e-9)
    d = [n for n in kept if n != NO_D4000]
    np.testing.assert_allclose(g.loc[d, "grad_d4000"], truth.loc[d, "slope"] - 0.02, atol=1e-9)
    assert np.isnan(g.loc[NO_D4000, "grad_d4000"]) and g.loc[NO_D4000, "n_spaxels_d4000"] == 0
    assert g.loc[CHANGED, "n_spaxels_d4000"] == len(fc) - 1  # the spaxel without error
    assert g["n_spaxels_d4000"].dtype == np.int64
    # galaxy values, offsets and their normalisation
    galaxies = build(10).galaxies.loc[kept]
    for col in (C.LOG_MSTAR, C.LOG_RE, C.BA):
        np.testing.assert_allclose(g[col], galaxies[col])
    np.testing.assert_allclose(g["offset_base"], g["grad_obs"] - truth["slope"], atol=1e-9)
    np.testing.assert_allclose(g["offset_sfh"], g["grad_obs"] - truth["slope"] - 0.01,
                               atol=1e-9)  # fmt: skip
    norm = idl_robust_sigma(g["offset_base"].to_numpy())
    assert res.offset_normalisation == pytest.approx(norm, rel=1e-9)
    np.testing.assert_allclose(g["offset_base_norm"], g["offset_base"] / norm)
    np.testing.assert_allclose(g["offset_sfh_norm"], g["offset_sfh"] / norm)
    np.testing.assert_allclose(g["err_obs_base"],
                               np.sqrt(g["grad_obs_err"] ** 2 + g["grad_base_err"] ** 2))
    # the azimuthal check on 0.2 R_e annuli from r_re_min = 0.6
    f = res.spaxels
    for name in (CHANGED, same[0]):
        rows = f[f[C.PLATEIFU] == name]
        az = azimuthal_gradients(rows[C.PLATEIFU], rows[C.R_RE], rows["oh_m13"], width=0.2,
                                 r_min=0.6)  # fmt: skip
        assert g.loc[name, "grad_obs_azimuthal"] == pytest.approx(az.loc[name], abs=1e-12)
    # the final spaxels: the later steps' columns, the values at the final rows
    assert list(f.columns) == [C.PLATEIFU, C.R_RE, "oh_m13", C.LOG_MSTAR, C.LOG_RE, C.BA,
                               "pred_base", "err_base", "pred_SFH", "err_SFH",
                               "pred_D4000", "err_D4000"]  # fmt: skip
    at = s.index.get_indexer(f.index)
    np.testing.assert_array_equal(f["pred_SFH"], fitted.pair("SFH")[0][at])
    np.testing.assert_array_equal(f["err_D4000"], fitted.pair("D4000")[1][at])
    assert set(f[C.PLATEIFU]) == set(kept)


def test_final_gradient_error_recheck():
    s, final, first, fitted, config = _final_setup(models=("base", "SFH"))
    res = _measure(s, final, first, fitted, config)
    f = s.loc[final.rows]
    left = f[f[C.PLATEIFU] != NOISY]  # 0.2 > 0.1 leaves; exactly 0.1 stays
    assert NOISY not in res.galaxies.index and AT_LIMIT in res.galaxies.index
    assert res.final.rows.equals(left.index) and res.spaxels.index.equals(left.index)
    assert res.final.steps.rows[-1] == {
        "step": "final_gradient_error",
        "description": "final observed gradient error <= 0.1 dex/Re",
        "n_spaxels": len(left), "n_galaxies": 9,
    }  # fmt: skip
    # the reference calibrator's sample, or the option off: nobody leaves (a first-pass
    # gradient without an error is kept too)
    first.loc[AT_LIMIT, "slope_err"] = np.nan
    for res in (_measure(s, final, first, fitted, config, from_reference=True),
                _measure(*_final_setup(recheck=False, models=("base", "SFH")))):  # fmt: skip
        assert NOISY in res.galaxies.index and res.final.steps == final.steps
        assert AT_LIMIT in res.galaxies.index
        assert res.final.rows.equals(final.rows)
        assert len(res.spaxels) == len(final.rows)
    strict = dataclasses.replace(config, selection=dataclasses.replace(
        config.selection, gradient_err_max=0.0))  # fmt: skip
    first["slope_err"] = 0.05
    with pytest.raises(ValueError, match=r"^m13: no galaxy left after the final gradient-error"):
        _measure(s, final, first, fitted, strict)
    # every galaxy changed, and none has two distinct radii: no gradient, no galaxy
    first["n_spaxels"] += 1
    s = s.assign(**{C.R_RE: 1.0})
    with pytest.raises(ValueError, match=r"^m13: no galaxy left after the final gradient-error"):
        _measure(s, final, first, fitted, config)


# --------------------------------------------------------------------------- relations


class _Fitted(_Predictions):
    """Stands for FittedModels: predictions and the fitted models' bins."""

    def __init__(self, pairs, models):
        super().__init__(pairs)
        self.models = models


def _bins(k):
    """A fitted 2-D binned estimator's bins, made up (``k`` tells the estimators apart)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        bin_centres_=[(1.0 + k, 2.0), (1.5 + k, 2.5)], bin_count_=np.array([10, 20 + k]),
        bin_mean_=np.array([0.1, 0.2 + k]), bin_smoothed_=np.array([0.3, 0.4 + k]),
        bin_std_=np.array([0.5, 0.6 + k]),
    )  # fmt: skip


def _relation_inputs(*, sfh_ha=True):
    s = build(10).spaxels
    n = len(s)
    base = 8.4 + 0.1 * (s[C.LOG_MSTAR] - 10).to_numpy()
    base[::37] = np.nan  # no base prediction: left out of the residual tables
    sfh = base + 0.3 * (s["d4000"] - 1.4).to_numpy()
    models = {"base": _bins(0), "SFH": _bins(1)}
    models["SFH"].correction_ = _bins(2)
    if sfh_ha:
        models["SFH_Ha"] = _bins(0)
        models["SFH_Ha"].correction_ = _bins(3)
    fitted = _Fitted({"base": (base, np.full(n, 0.01)), "SFH": (sfh, np.full(n, 0.01))}, models)
    cfg = RunConfig()
    config = dataclasses.replace(
        cfg,
        trends=dataclasses.replace(cfg.trends, bin_log_ssfr=0.4, bin_d4000=0.2, bin_log_ew_ha=0.3,
                                   bin_log_mstar=0.5, min_count=15, sfr_map_bin=0.4,
                                   sfr_map_min_count=6),
        models=dataclasses.replace(cfg.models, base_loess_frac=0.5),
    )  # fmt: skip
    return s, fitted, config


def _trend_ref(x, v, width, min_count):
    x, v = np.asarray(x, dtype=float), np.asarray(v, dtype=float)
    good = np.isfinite(x) & np.isfinite(v)
    k = np.floor(x[good] / width)
    rows = [(key * width, len(g), np.median(g), idl_robust_sigma(g))
            for key, g in pd.Series(v[good]).groupby(k) if len(g) >= min_count]  # fmt: skip
    return np.array(rows)


def test_relation_tables_against_scipy_and_pandas():
    from scipy.stats import spearmanr

    from metgrad.analysis.relations import relation_tables
    from metgrad.models import BinnedResidualCorrection
    from metgrad.trends import PARAMETERS, ColumnOrders

    s, fitted, config = _relation_inputs()
    oh = s["oh_m13"].to_numpy()
    resid = oh - fitted.pair("base")[0]
    for orders in (None, ColumnOrders(s)):
        rel = relation_tables(s.iloc[5:], "oh_m13", _Fitted(
            {k: (p[5:], e[5:]) for k, (p, e) in fitted.pairs.items()}, fitted.models),
            config, orders=orders)  # fmt: skip
        c = rel.correlations.set_index("parameter")
        assert list(c.index) == list(PARAMETERS)
        assert list(c.columns) == ["column", "n", "rho", "p_value", "abs_rho", "sign",
                                   "n_residual", "rho_residual", "p_value_residual"]  # fmt: skip
        for label, column in PARAMETERS.items():
            x = s[column].to_numpy()[5:]
            rho, p = spearmanr(x, oh[5:])
            assert c.loc[label, "rho"] == pytest.approx(rho, abs=1e-12)
            assert c.loc[label, "p_value"] == pytest.approx(p, rel=1e-9)
            if label in ("M*", "Sigma_*"):  # galaxy / base-model axes: no residual row
                assert np.isnan(c.loc[label, ["n_residual", "rho_residual"]].astype(float)).all()
                continue
            ok = np.isfinite(resid[5:])
            rho, p = spearmanr(x[ok], resid[5:][ok])
            assert c.loc[label, "n_residual"] == ok.sum()
            assert c.loc[label, "rho_residual"] == pytest.approx(rho, abs=1e-12)
            assert c.loc[label, "p_value_residual"] == pytest.approx(p, rel=1e-9)
    rel = relation_tables(s, "oh_m13", fitted, config)
    # residual trends: base residuals against sSFR, D4000, EW; base and SFH against M*
    t = config.trends
    assert list(rel.trends) == ["log_ssfr", "d4000", "log_ew_ha", "log_mstar_base",
                                "log_mstar_sfh"]  # fmt: skip
    sfh_resid = oh - fitted.pair("SFH")[0]
    for key, col, width, values in (
        ("log_ssfr", "log_ssfr", t.bin_log_ssfr, resid), ("d4000", "d4000", t.bin_d4000, resid),
        ("log_ew_ha", "log_ew_ha", t.bin_log_ew_ha, resid),
        ("log_mstar_base", C.LOG_MSTAR, t.bin_log_mstar, resid),
        ("log_mstar_sfh", C.LOG_MSTAR, t.bin_log_mstar, sfh_resid),
    ):  # fmt: skip
        ref = _trend_ref(s[col], values, width, t.min_count)
        got = rel.trends[key][["x_lo", "n", "median", "dispersion"]].to_numpy()
        assert len(ref) >= 2, key
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12, err_msg=key)
    # maps: the fitted bins as tables, and the base residual over Sigma_* x Sigma_SFR
    assert list(rel.maps) == ["base", "sfh_correction", "sfh_ha_correction",
                              "sigma_sfr_residual"]  # fmt: skip
    for key, k in (("base", 0), ("sfh_correction", 2), ("sfh_ha_correction", 3)):
        m = rel.maps[key]
        assert list(m.columns) == ["x", "y", "count", "mean", "smoothed", "std"]
        np.testing.assert_array_equal(m.to_numpy(), [[1.0 + k, 2.0, 10, 0.1, 0.3, 0.5],
                                                     [1.5 + k, 2.5, 20 + k, 0.2 + k, 0.4 + k,
                                                      0.6 + k]])  # fmt: skip
    m = rel.maps["sigma_sfr_residual"]
    ok = np.isfinite(resid)
    x, y = s.loc[ok, C.LOG_SIGMA_STAR].to_numpy(), s.loc[ok, C.LOG_SIGMA_SFR].to_numpy()
    cells = pd.Series(resid[ok]).groupby([np.floor(x / 0.4), np.floor(y / 0.4)])
    ref = cells.agg(["size", "mean"])
    ref = ref[ref["size"] >= 6]
    assert len(ref) >= 3
    got = m.set_index([np.floor(m["x"] / 0.4), np.floor(m["y"] / 0.4)]).sort_index()
    np.testing.assert_array_equal(got["count"], ref["size"])
    np.testing.assert_allclose(got["mean"], ref["mean"], rtol=1e-12)
    direct = BinnedResidualCorrection(features=(C.LOG_SIGMA_STAR, C.LOG_SIGMA_SFR),
                                      widths=(0.4, 0.4), min_count=6, loess_frac=0.5
                                      ).fit(s.loc[ok, [C.LOG_SIGMA_STAR, C.LOG_SIGMA_SFR]],
                                            resid[ok])  # fmt: skip
    np.testing.assert_allclose(m["smoothed"], direct.bin_smoothed_, rtol=1e-12)


def test_relation_maps_of_a_small_sample():
    from metgrad.analysis.relations import relation_tables

    s, fitted, config = _relation_inputs(sfh_ha=False)
    few = dataclasses.replace(config, trends=dataclasses.replace(config.trends,
                                                                 sfr_map_min_count=10000))
    rel = relation_tables(s, "oh_m13", fitted, few)
    assert list(rel.maps) == ["base", "sfh_correction"]  # SFH_Ha not fitted, no map bin


# --------------------------------------------------------------------------- summary


def _metrics(names, n0):
    rows = {m: {"n": n0 + i, "median_residual": 0.01 * i, "residual_dispersion": 0.1 + i,
                "chi2": 50.0 + i, "k": 3 + i, "ln_n": float(np.log(n0 + i)), "bic": 60.0 + i}
            for i, m in enumerate(names)}  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def _summary_result(*, steps, repeats):
    from types import SimpleNamespace

    from metgrad.analysis.sample import SampleSteps

    rng = np.random.default_rng(11)
    n = 9
    gal = pd.DataFrame({
        "massize_bin": ["low-compact"] * 4 + ["high-extended"] * 3 + ["", ""],
        "grad_obs": rng.normal(-0.05, 0.03, n),
        "grad_obs_err": [0.01, 0.03, 0.019, 0.02, 0.05, np.nan, 0.001, 0.04, 0.015],
        "err_obs_base": rng.uniform(0.01, 0.05, n),
        "offset_base": rng.normal(0, 0.02, n), "offset_sfh": rng.normal(0.01, 0.02, n),
        "offset_d4000": np.full(n, np.nan),
    })  # fmt: skip
    gal["grad_obs_azimuthal"] = gal["grad_obs"] + rng.normal(0, 0.01, n)
    gal.loc[2, "grad_obs_azimuthal"] = np.nan
    f = pd.DataFrame({"oh_m13": rng.normal(8.5, 0.1, 40), "pred_base": rng.normal(8.5, 0.1, 40),
                      "pred_SFH": rng.normal(8.5, 0.1, 40)})  # fmt: skip
    f.loc[3, "pred_SFH"] = np.nan
    s = SampleSteps()
    for i, name in enumerate(steps):
        s = s.add(name, name, np.repeat([f"g{k}" for k in range(20 - 2 * i)], 10 - i))
    table1 = _metrics(["base", "D4000", "SFH"], 1000)
    return SimpleNamespace(
        calibrator=get("m13"), final_spaxels=f,
        plane=SimpleNamespace(galaxies=gal, third_edges=np.array([9.8, 10.6])),
        gradients=SimpleNamespace(final=SimpleNamespace(steps=s), offset_normalisation=0.0234),
        repeats=SimpleNamespace(table=repeats),
        tables=SimpleNamespace(table1=table1, tableA1=_metrics(["SFH", "SFH_a"], 900),
                               all_models=_metrics(["base", "SFH", "SFH_a"], 800)),
        fitted=SimpleNamespace(failed={"EW_Ha": "no bin"}),
    )  # fmt: skip


def _stats_ref(values):
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return v.size, np.median(v), idl_robust_sigma(v)


def test_summary_numbers_from_the_result_tables():
    import json

    from metgrad.analysis.summary import summarise

    steps = ["ingest", "gradient_error", "mass", "min_spaxels", "final"]
    repeats = pd.DataFrame({"plateifu": ["a", "b", "c"], "kept": [True, False, False]})
    result = _summary_result(steps=steps, repeats=repeats)
    gm = dataclasses.replace(RunConfig().gradients, models=("base", "D4000", "SFH"),
                             n_bootstrap=11, n_noise=13, seed=5)  # fmt: skip
    ms = MassSizeConfig(steep_percentile=20.0, shallow_percentile=70.0, small_offset=0.03)
    cfg = RunConfig()
    config = dataclasses.replace(cfg, gradients=gm, massize=ms, trends=dataclasses.replace(
        cfg.trends, sfr_map_bin=0.3), models=dataclasses.replace(
        cfg.models, base_bin_mstar=0.11, base_bin_sigma=0.12, sfh_bin_d4000=0.013,
        sfh_bin_log_age=0.014, sfh_bin_log_ew=0.015))  # fmt: skip
    out = summarise(result, config, {"config_hash": "abc", "versions": {"metgrad": "1"}})
    json.loads(json.dumps(out))  # plain Python numbers only
    assert list(out) == [
        "calibrator", "calibrator_name", "seed", "n_bootstrap", "n_noise", "config_hash",
        "versions", "subsample_percentiles", "subsample_small_offset", "map_widths",
        "sample_steps", "n_spaxels_after_cuts", "n_galaxies_removed_low_mass",
        "n_spaxels_final", "n_galaxies_final", "n_repeat_observations_dropped",
        "models_common_n", "models_common_ln_n", "residual_base", "residual_sfh",
        "gradient_obs", "gradient_obs_error_median", "gradient_obs_error_below_0p02_fraction",
        "gradient_obs_base_error_median", "gradient_azimuthal_minus_spaxel", "offset_base",
        "offset_sfh", "offset_by_model", "offset_normalisation", "mass_third_edges_log_mstar",
        "massize_bin_counts", "models", "models_not_fitted", "table1", "tableA1",
    ]  # fmt: skip
    cal = get("m13")
    assert (out["calibrator"], out["calibrator_name"]) == (cal.key, cal.name)
    assert (out["seed"], out["n_bootstrap"], out["n_noise"]) == (5, 11, 13)
    assert out["config_hash"] == "abc" and out["versions"] == {"metgrad": "1"}
    assert out["subsample_percentiles"] == [20.0, 70.0] and out["subsample_small_offset"] == 0.03
    assert out["map_widths"] == {"base": [0.11, 0.12], "sfh_correction": [0.013, 0.014],
                                 "sfh_ha_correction": [0.015, 0.014],
                                 "sigma_sfr_residual": [0.3, 0.3]}  # fmt: skip
    # steps: step i kept 20 - 2i galaxies of 10 - i spaxels each
    assert out["sample_steps"] == [
        {"step": s, "description": s, "n_spaxels": (20 - 2 * i) * (10 - i),
         "n_galaxies": 20 - 2 * i} for i, s in enumerate(steps)]  # fmt: skip
    assert out["n_spaxels_after_cuts"] == 14 * 7  # after min_spaxels
    assert out["n_galaxies_removed_low_mass"] == 18 - 16
    gal, f = result.plane.galaxies, result.final_spaxels
    assert out["n_spaxels_final"] == 40 and out["n_galaxies_final"] == 9
    assert out["n_repeat_observations_dropped"] == 2
    assert out["models_common_n"] == 1000 and out["models_common_ln_n"] == np.log(1000)
    for key, values in (
        ("residual_base", f["oh_m13"] - f["pred_base"]),
        ("residual_sfh", f["oh_m13"] - f["pred_SFH"]), ("gradient_obs", gal["grad_obs"]),
        ("gradient_azimuthal_minus_spaxel", gal["grad_obs_azimuthal"] - gal["grad_obs"]),
        ("offset_base", gal["offset_base"]), ("offset_sfh", gal["offset_sfh"]),
    ):  # fmt: skip
        n, med, disp = _stats_ref(values)
        assert out[key]["n"] == n and type(out[key]["n"]) is int, key
        assert out[key]["median"] == pytest.approx(med, abs=1e-15), key
        assert out[key]["dispersion"] == pytest.approx(disp, rel=1e-12), key
    assert out["residual_sfh"]["n"] == 39 and out["gradient_azimuthal_minus_spaxel"]["n"] == 8
    errs = [0.01, 0.03, 0.019, 0.02, 0.05, 0.001, 0.04, 0.015]
    assert out["gradient_obs_error_median"] == pytest.approx(np.median(errs))
    assert out["gradient_obs_error_below_0p02_fraction"] == pytest.approx(4 / 9)
    assert out["gradient_obs_base_error_median"] == pytest.approx(np.median(gal["err_obs_base"]))
    assert list(out["offset_by_model"]) == ["base", "D4000", "SFH"]
    assert out["offset_by_model"]["SFH"] == out["offset_sfh"]
    empty = out["offset_by_model"]["D4000"]
    assert empty["n"] == 0 and np.isnan(empty["median"]) and np.isnan(empty["dispersion"])
    assert out["offset_normalisation"] == 0.0234
    assert out["mass_third_edges_log_mstar"] == [9.8, 10.6]
    assert out["massize_bin_counts"] == {"high-extended": 3, "low-compact": 4}
    assert list(out["models"]) == ["base", "SFH", "SFH_a"]
    assert out["models"]["SFH"] == {"n": 801, "median_residual": 0.01, "residual_dispersion": 1.1,
                                    "chi2": 51.0, "k": 4, "ln_n": float(np.log(801)),
                                    "bic": 61.0}  # fmt: skip
    row = out["models"]["SFH"]
    assert type(row["k"]) is int and type(row["n"]) is int and type(row["bic"]) is float
    assert out["models_not_fitted"] == {"EW_Ha": "no bin"}
    assert [r["model"] for r in out["table1"]] == ["base", "D4000", "SFH"]
    assert out["tableA1"][1] == {"model": "SFH_a", "n": 901, "median_residual": 0.01,
                                 "residual_dispersion": 1.1, "chi2": 51.0, "k": 4,
                                 "ln_n": float(np.log(901)), "bic": 61.0}  # fmt: skip


def test_summary_statistics_treat_missing_values_as_missing():
    from metgrad.analysis.summary import _stats

    # an object column (e.g. read back from JSON) with None: None is left out like NaN
    out = _stats(pd.Series([0.1, None, 0.3, np.nan, 0.2], dtype=object))
    assert out["n"] == 3 and out["median"] == pytest.approx(0.2)


def test_summary_counts_without_mass_cut_or_repeats():
    from metgrad.analysis.summary import summarise

    result = _summary_result(steps=["ingest", "gradient_error", "final"],
                             repeats=pd.DataFrame({"plateifu": [], "kept": []}))  # fmt: skip
    out = summarise(result, RunConfig(), {})
    assert out["n_spaxels_after_cuts"] == 16 * 8  # no min_spaxels step: the last one
    assert out["n_galaxies_removed_low_mass"] == 0 and out["n_repeat_observations_dropped"] == 0
