"""The analysis against the injected truth of a synthetic survey (Boardman et al. 2022, §2.3-4).

One survey (``analysed_truth_survey``, see ``conftest.py`` for its parameters and
why they differ from the defaults) is generated, ingested and analysed with the
paper's configuration. Every check compares the analysis outputs with the truth
tables the mock wrote (``truth/spaxels/*.parquet``, ``truth/galaxies.parquet``,
``truth/relations.json``), never with the analysis code itself:

- observed gradients against exact LAD fits of the injected metallicity over the
  same spaxels (a linear program solved with HiGHS, ``independent_references.highs_lad_line``);
- the base model against the injected M*-Sigma_*-O/H relation, evaluated here from
  the parameters recorded in ``relations.json``;
- the SFH correction against the injected t_LW term;

The relations are injected on the Te scale (true O/H) and the mock makes its lines
from them; the analysis runs on M13 O3N2. Every injected quantity is therefore put on
the M13 scale through the noise-free lines: ``true_oh_m13`` is what M13 returns on the
spaxel's noise-free, dust-free lines, and a term's M13 contribution is the change of
that value when the term is removed (``metgrad.mock.scales.oh_on_scale``, at the
spaxel's own ionisation parameter).
- BIC(SFH) < BIC(base);
- the injected size term as steeper-than-modelled gradients of extended galaxies.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy.stats import median_abs_deviation

from independent_references import highs_lad_line
from metgrad.mock.scales import oh_on_scale

pytestmark = pytest.mark.slow

#: Bin widths of the paper's base model (log M*, log Sigma_*) and SFH correction
#: (D4000, log t_LW), as in design.md §5.
BASE_WIDTHS = (0.05, 0.05)
SFH_WIDTHS = (0.01, 0.025)
#: Truth columns read per spaxel.
TRUTH_COLUMNS = [
    "spaxel_row", "spaxel_col", "log_sigma_star", "oh_m13", "oh_te", "log_u_offset",
    "oh_base", "oh_d4000", "oh_tlw", "oh_size", "oh_scatter",
]  # fmt: skip


# --- independent references -----------------------------------------------------------------


def injected_relation(log_mstar, log_sigma_star, rel: dict) -> np.ndarray:
    """The injected M*-Sigma_*-O/H relation (Te scale), from relations.json's formula.

    oh = centre + amplitude tanh((c_m (log M* - 10) + c_s (log Sigma_* - 8.5)) / width).
    """
    u = rel["c_m"] * (np.asarray(log_mstar) - 10.0) + rel["c_s"] * (
        np.asarray(log_sigma_star) - 8.5
    )
    return rel["centre"] + rel["amplitude"] * np.tanh(u / rel["width"])


def bin_keys(frame: pd.DataFrame, columns, widths) -> pd.DataFrame:
    """Bin numbers on the grid with edges at multiples of each width (design §5)."""
    return pd.DataFrame(
        {f"k{i}": np.floor(frame[c].to_numpy(float) / w + 1e-9).astype(np.int64)
         for i, (c, w) in enumerate(zip(columns, widths, strict=True))},
        index=frame.index,
    )  # fmt: skip


def weighted_slope(x, y, w) -> tuple[float, float]:
    """Weighted least-squares line y = a + b x; returns (b, a)."""
    x, y, w = (np.asarray(v, dtype=float) for v in (x, y, w))
    xm, ym = np.average(x, weights=w), np.average(y, weights=w)
    b = np.sum(w * (x - xm) * (y - ym)) / np.sum(w * (x - xm) ** 2)
    return float(b), float(ym - b * xm)


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def survey(analysed_truth_survey):
    return analysed_truth_survey


@pytest.fixture(scope="module")
def relations(survey) -> dict:
    return json.loads((survey.root / "truth" / "relations.json").read_text())


def injected_relation_m13(log_mstar, log_sigma_star, rel: dict, config) -> np.ndarray:
    """The injected relation on the M13 scale: M13 on the noise-free lines it makes."""
    return oh_on_scale("m13", injected_relation(log_mstar, log_sigma_star, rel), 0.0, config)


@pytest.fixture(scope="module")
def spaxels(survey) -> pd.DataFrame:
    """The analysis' model-fitting spaxels with their truth (``true_*`` columns).

    ``spaxels.parquet`` has no pixel coordinates, so each row is matched to the run's
    selected spaxel with the same plate-ifu, R/R_e and 12+log(O/H) (exact floats, one
    to one), whose (x, y) then match the truth table's (spaxel_col, spaxel_row).
    """
    fit = pd.read_parquet(survey.analysis / "spaxels.parquet")
    parts = []
    for plateifu, rows in fit.groupby("plateifu", sort=False):
        run = pd.read_parquet(
            survey.run / "spaxels" / f"{plateifu}.parquet",
            columns=["x", "y", "r_re", "oh_m13", "selected"],
        )
        run = run[run["selected"]].drop(columns="selected")
        matched = rows.merge(run, on=["r_re", "oh_m13"], how="left", validate="one_to_one")
        truth = pq.read_table(
            survey.root / "truth" / "spaxels" / f"{plateifu}.parquet", columns=TRUTH_COLUMNS
        ).to_pandas()
        truth = truth.rename(columns={"spaxel_col": "x", "spaxel_row": "y"})
        truth = truth.rename(columns={c: f"true_{c}" for c in TRUTH_COLUMNS[2:]})
        matched = matched.merge(truth, on=["x", "y"], how="left", validate="one_to_one")
        parts.append(matched)
    out = pd.concat(parts, ignore_index=True)
    assert len(out) == len(fit)
    assert out["true_oh_m13"].notna().all(), "some analysis spaxels have no truth row"
    # the injected base relation and t_LW term on the M13 scale (see the module docstring)
    config = survey.config
    out["true_oh_base_m13"] = oh_on_scale("m13", out["true_oh_base"], 0.0, config)
    out["true_oh_tlw_m13"] = out["true_oh_m13"] - oh_on_scale(
        "m13", out["true_oh_te"] - out["true_oh_tlw"], out["true_log_u_offset"], config
    )
    return out


@pytest.fixture(scope="module")
def galaxies(survey) -> pd.DataFrame:
    """Final galaxies of the analysis, with the injected galaxy-level truth."""
    gal = pd.read_parquet(survey.analysis / "galaxies.parquet").set_index("plateifu")
    truth = pd.read_parquet(survey.root / "truth" / "galaxies.parquet").set_index("plateifu")
    return gal.join(truth[["logm_kroupa", "log_re_kpc", "size_residual_dex"]], how="left")


# --- tests -----------------------------------------------------------------------------------


def test_survey_reaches_the_analysis_in_numbers(survey, spaxels, galaxies):
    steps = pd.read_csv(survey.analysis / "sample_steps.csv").set_index("step")
    # enough galaxies for the statistics below (123 of the 153 plate-ifus, 150 galaxies and
    # 3 repeat observations, survive every cut with seed 1)
    assert steps.loc["final", "n_galaxies"] == len(galaxies) >= 100
    assert steps.loc["final", "n_spaxels"] == int(spaxels["final"].sum()) >= 50_000
    # galaxy values came through the catalogues unchanged (GSWLC Chabrier -> Kroupa, NSA R_e)
    np.testing.assert_allclose(galaxies["log_mstar"], galaxies["logm_kroupa"], atol=2e-3)
    np.testing.assert_allclose(galaxies["log_re"], galaxies["log_re_kpc"], atol=2e-3)


def test_observed_gradients_match_the_noise_free_truth(spaxels, galaxies):
    # truth: exact LAD slope of the injected 12+log(O/H) against R/R_e over the same final
    # spaxels the observed gradient used
    final = spaxels[spaxels["final"]]
    true = pd.Series(
        {
            p: highs_lad_line(g["r_re"].to_numpy(float), g["true_oh_m13"].to_numpy(float))[1]
            for p, g in final.groupby("plateifu")
        }
    )
    gal = galaxies.join(true.rename("grad_true"))
    assert gal["grad_true"].notna().all()
    # the gradients differ from galaxy to galaxy far more than the tolerance below
    assert np.std(gal["grad_true"]) > 0.03
    offset = gal["grad_obs"] - gal["grad_true"]
    # Tolerances of issue #5. Measured (seed 1): median -0.00001 dex/R_e, pull width 1.01
    # (conftest: line_noise 0.045; with the default 0.05, 1.27, and 1.21 for seed 7).
    # A small negative offset comes from the S/N > 3 cut: faint outer spaxels pass it when
    # their [OIII] noise is positive, which lowers their O/H.
    assert abs(np.median(offset)) < 0.003
    pull = offset / gal["grad_obs_err"]
    width = median_abs_deviation(pull, scale="normal")
    assert 0.75 <= width <= 1.25, f"pull width {width:.2f}"


def test_base_model_recovers_the_injected_relation(spaxels, relations, survey):
    rel = relations["metallicity"]
    truth_gal = pd.read_parquet(survey.root / "truth" / "galaxies.parquet")
    logm_true = spaxels["plateifu"].map(truth_gal.set_index("plateifu")["logm_kroupa"])
    # our reading of the recorded formula reproduces the injected base term (float32 tables)
    np.testing.assert_allclose(
        injected_relation(logm_true, spaxels["true_log_sigma_star"], rel),
        spaxels["true_oh_base"],
        atol=2e-5,
    )

    # the base model bins the observed (log M*, log Sigma_*) of the fitted spaxels; each
    # bin's mean O/H holds the relation plus the bin's mean of every other injected term
    # (D4000, t_LW, size, scatter), which the base model cannot separate
    fit = spaxels[np.isfinite(spaxels["log_sigma_star"])].copy()
    fit[["k0", "k1"]] = bin_keys(fit, ["log_mstar", "log_sigma_star"], BASE_WIDTHS)
    fit["other_terms"] = fit["true_oh_m13"] - fit["true_oh_base_m13"]
    per_bin = fit.groupby(["k0", "k1"]).agg(n=("other_terms", "size"),
                                           other_terms=("other_terms", "mean"))  # fmt: skip
    base = pd.read_csv(survey.analysis / "map_base.csv")
    base[["k0", "k1"]] = bin_keys(base, ["x", "y"], BASE_WIDTHS)
    base = base.join(per_bin, on=["k0", "k1"])
    np.testing.assert_array_equal(base["count"], base["n"])  # same spaxels in every bin
    base["relation"] = injected_relation_m13(base["x"], base["y"], rel, survey.config)
    w = base["count"].to_numpy(float)

    # 1) unsmoothed bin means: within a bin of 0.05 x 0.05 dex the relation changes by at most
    # 0.05 (0.165 x 0.5 / 0.6) + 0.05 (0.165 x 0.4 / 0.6) = 0.012 dex on the Te scale
    # (|d tanh| <= 1), at most 0.014 dex on the M13 scale (dM13/dO/H <= 1.15 over the range),
    # so about +-0.004 dex rms about its value at the centre; the measurement noise of a bin
    # mean is <= 0.013 / sqrt(10) = 0.004 dex. Tolerances: 0.003 dex in the mean, 0.008 dex
    # scatter. Measured (seed 1): -0.0015 and 0.0030; smoothed slope 0.983, offset -0.0023.
    diff = base["mean"] - base["other_terms"] - base["relation"]
    assert abs(np.average(diff, weights=w)) < 0.003
    assert median_abs_deviation(diff, scale="normal") < 0.008

    # 2) the smoothed map (what the model predicts): LOESS averages each bin with ~2 % of the
    # bins around it, whose other terms belong to other galaxies, so bin by bin it scatters
    # more; but minus the bins' own other terms it must follow the relation (which spans
    # 0.33 dex here) with unit slope and no offset. A slope error of 5 % is 0.016 dex across
    # the relation; an error of log10(0.62) = 0.21 dex in Sigma_* would offset it by ~0.02 dex.
    y = base["smoothed"] - base["other_terms"]
    slope, _ = weighted_slope(base["relation"], y, w)
    assert base["relation"].max() - base["relation"].min() > 0.25
    assert 0.95 < slope < 1.05, slope
    assert abs(np.average(y - base["relation"], weights=w)) < 0.005


def test_sfh_correction_tracks_the_injected_tlw_term(spaxels, relations, survey):
    rel = relations["metallicity"]
    # the SFH correction is the smoothed mean base residual in bins of (D4000, log t_LW) of the
    # spaxels with a base prediction; the injected t_LW term is
    # tlw_coeff (log t_LW - expected(D4000)) w(D4000), w = 1 below D4000 = 1.3, 0 above 1.5
    fit = spaxels[np.isfinite(spaxels["pred_base"])].copy()
    fit[["k0", "k1"]] = bin_keys(fit, ["d4000", "log_age_lw"], SFH_WIDTHS)
    per_bin = fit.groupby(["k0", "k1"]).agg(n=("true_oh_tlw_m13", "size"),
                                           tlw_term=("true_oh_tlw_m13", "mean"))  # fmt: skip
    corr = pd.read_csv(survey.analysis / "map_sfh_correction.csv")
    corr[["k0", "k1"]] = bin_keys(corr, ["x", "y"], SFH_WIDTHS)
    corr = corr.join(per_bin, on=["k0", "k1"])
    np.testing.assert_array_equal(corr["count"], corr["n"])

    # compare within each D4000 column (remove each column's count-weighted mean from both):
    # what depends on D4000 alone (the D4000 term, and the part of every term the base model
    # already took) drops out, and the t_LW dependence at fixed D4000 remains
    w = corr["count"].to_numpy(float)

    def within_column(col):
        v = corr[col] * w
        return corr[col] - v.groupby(corr["k0"]).transform("sum") / corr.groupby("k0")[
            "count"
        ].transform("sum")

    fitted, injected = within_column("smoothed"), within_column("tlw_term")
    assert np.sqrt(np.average(injected**2, weights=w)) > 0.01  # a real signal to track
    slope, _ = weighted_slope(injected, fitted, w)
    r = np.corrcoef(injected, fitted)[0, 1]
    # Expected slope below 1: with ~2-3 galaxies per 0.05-dex mass bin the base model takes
    # part of each galaxy's own t_LW term into its bins (it approaches 1 as the survey grows).
    # Measured: slope 0.75, corr 0.965 (seed 1, Te-scale lines); before, 0.73 and 0.965
    # (seed 1), 0.82 and 0.974 (seed 7).
    assert 0.6 < slope < 1.1, slope
    assert r > 0.9, r

    # the correction's t_LW slope at fixed D4000 follows the injected weight: the full
    # tlw_coeff = -0.15 dex/dex below D4000 = 1.3 (the binned truth: ~-0.13), none above 1.5.
    # Measured below 1.3: -0.086 vs truth -0.115 (seed 1); above 1.5: -0.012.
    age = within_column("y")
    low = (corr["x"] < rel["d4000_full"]).to_numpy()
    high = (corr["x"] >= rel["d4000_zero"]).to_numpy()
    slope_low, _ = weighted_slope(age[low], fitted[low], w[low])
    truth_low, _ = weighted_slope(age[low], injected[low], w[low])
    slope_high, _ = weighted_slope(age[high], fitted[high], w[high])
    assert truth_low < 0.6 * rel["tlw_coeff"] < 0
    assert 0.5 < slope_low / truth_low < 1.1, (slope_low, truth_low)
    assert abs(slope_high) < 0.2 * abs(rel["tlw_coeff"]), slope_high


def test_bic_prefers_sfh_over_base(survey):
    metrics = pd.read_csv(survey.analysis / "model_metrics.csv").set_index("model")
    summary = json.loads((survey.analysis / "summary.json").read_text())
    for name in ("base", "SFH"):
        row = metrics.loc[name]
        # BIC = chi2 + k ln n, on the spaxels every model predicts
        assert row["bic"] == pytest.approx(row["chi2"] + row["k"] * np.log(row["n"]), rel=1e-12)
        assert summary["models"][name]["bic"] == pytest.approx(row["bic"], rel=1e-12)
    assert metrics.loc["SFH", "k"] > metrics.loc["base", "k"]  # more parameters ...
    assert metrics.loc["SFH", "bic"] < metrics.loc["base", "bic"]  # ... and still preferred
    assert metrics.loc["SFH", "residual_dispersion"] < metrics.loc["base", "residual_dispersion"]


def test_injected_size_term_appears_in_the_gradient_offsets(galaxies, relations):
    # injected: oh += size_coeff max(dlogRe, 0) (R/R_e - pivot), i.e. a gradient change of
    # size_coeff x dlogRe dex/R_e for galaxies above the mass-size median, which no local
    # relation can predict. Regress each offset (observed - model gradient) on log M* and the
    # injected mass-size residual, separately above and below the median.
    coeff = relations["metallicity"]["size_coeff"]
    assert coeff < 0
    above = galaxies[galaxies["size_residual_dex"] > 0]
    below = galaxies[galaxies["size_residual_dex"] <= 0]
    assert len(above) >= 40 and len(below) >= 40
    for column in ("offset_base", "offset_sfh"):
        b_above, se_above = _size_coefficient(above, column)
        b_below, _ = _size_coefficient(below, column)
        # steeper observed than predicted, growing with size, with the injected sign and
        # roughly its size: the base model's bins (2-3 galaxies per 0.05 dex of mass) take in
        # part of it. Measured -0.17 +- 0.02-0.03 (seed 1; the injected -0.3 is on the Te
        # scale, ~0.9-1.1 times that on the M13 scale); before, -0.19 +- 0.02 (seed 1) and
        # -0.23 to -0.25 +- 0.035 (seed 7).
        assert b_above + 3 * se_above < 0, (column, b_above, se_above)
        assert 1.5 * coeff < b_above < 0.4 * coeff, (column, b_above)
        # nothing was injected below the median
        assert abs(b_below) < abs(b_above) / 3, (column, b_below, b_above)


def _size_coefficient(frame: pd.DataFrame, column: str) -> tuple[float, float]:
    """OLS coefficient of the size residual (and its standard error) in offset ~ M* + dlogRe."""
    x = np.column_stack(
        [np.ones(len(frame)), frame["log_mstar"] - 10.0, frame["size_residual_dex"]]
    )
    y = frame[column].to_numpy(float)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    cov = np.sum(resid**2) / (len(y) - 3) * np.linalg.inv(x.T @ x)
    return float(beta[2]), float(np.sqrt(cov[2, 2]))


def test_offsets_are_more_negative_for_extended_galaxies_at_fixed_mass(galaxies):
    # the paper's Fig 11 reading: in each mass third, galaxies above the (measured) median
    # mass-size relation have more negative SFH offsets than those below it. Injected
    # difference ~ -0.3 x 0.14 dex (mean positive residual) = -0.04 dex/R_e; the noise of a
    # median of ~19 offsets (scatter ~0.012) is ~0.003.
    medians = galaxies.groupby(["mass_third", "extended"])["offset_sfh"].median().unstack()
    assert list(medians.index) == ["high", "low", "mid"]
    assert (medians[True] < medians[False] - 0.005).all(), medians
