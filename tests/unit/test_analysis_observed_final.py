"""Steps 2 and 5 on the synthetic run: observed gradients against an exact LAD solver and the
injected truth, the gradient-error cut, and the final sample's mass, model and count cuts."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from analysis_synthetic import build

from independent_references import highs_lad_line
from metgrad import calibration
from metgrad.analysis.final_sample import FINAL_MODELS, select_final_sample
from metgrad.analysis.fit_models import FittedModels
from metgrad.analysis.observed import measure_observed_gradients, observed_stream
from metgrad.analysis.sample import Sample, SampleSteps
from metgrad.config import RunConfig
from metgrad.gradients import galaxy_gradients
from metgrad.parallel import SerialPool

M13 = calibration.get("m13")


def config_with(**sections):
    config = RunConfig()
    for section, values in sections.items():
        config = dataclasses.replace(
            config, **{section: dataclasses.replace(getattr(config, section), **values)}
        )
    return config


FAST = config_with(gradients={"n_bootstrap": 10})


@pytest.fixture(scope="module")
def run():
    return build()


def sample_of(run, calibrator=M13, *, from_reference=False):
    """The synthetic spaxels as a step-1 sample (every galaxy)."""
    steps = SampleSteps().add("spaxel_cuts", "all", run.spaxels["plateifu"])
    return Sample(calibrator, run.spaxels, steps, from_reference)


def test_observed_gradients_are_the_lad_lines_and_the_truth(run):
    out = measure_observed_gradients(sample_of(run), FAST, pool=SerialPool())
    s = run.spaxels
    grads = out.gradients
    assert list(grads.index) == sorted(set(s["plateifu"]))
    assert grads["n_spaxels"].to_dict() == s["plateifu"].value_counts().to_dict()
    for name in grads.index[[0, 9, 20]]:
        g = s[s["plateifu"] == name]
        intercept, slope, _ = highs_lad_line(g["r_re"].to_numpy(), g["oh_m13"].to_numpy())
        assert grads.loc[name, "slope"] == pytest.approx(slope, abs=1e-7)
        assert grads.loc[name, "intercept"] == pytest.approx(intercept, abs=1e-7)
    # the injected gradients, where the noise is 0.02 dex
    quiet = run.truth.index[run.truth["noise"] < 0.1]
    diff = grads.loc[quiet, "slope"] - run.truth.loc[quiet, "slope"]
    assert np.abs(diff).max() < 0.03
    # the gradient-error cut keeps exactly the galaxies with an error <= 0.1 dex/R_e;
    # the noisy galaxy spanning 0.5-0.6 R_e is the one that leaves
    noisy = run.truth.index[run.truth["noise"] > 0.1]
    kept = set(out.sample.spaxels["plateifu"])
    assert kept == set(grads.index[grads["slope_err"] <= 0.1])
    assert kept == set(grads.index) - set(noisy)
    assert out.sample.spaxels.equals(s[s["plateifu"].isin(kept)])
    last = out.sample.steps.rows[-1]
    assert last == {
        "step": "gradient_error",
        "description": "observed gradient error <= 0.1 dex/Re",
        "n_spaxels": int(s["plateifu"].isin(kept).sum()),
        "n_galaxies": len(kept),
    }
    assert len(out.sample.steps.rows) == 2 and out.sample.calibrator is M13


def test_observed_errors_use_the_configured_seed_refits_and_stream(run):
    s = run.spaxels[run.spaxels["plateifu"].isin(run.galaxies.index[:4])]
    sample = Sample(M13, s, SampleSteps(), False)
    config = config_with(gradients={"n_bootstrap": 12, "seed": 7})
    out = measure_observed_gradients(sample, config, pool=SerialPool())
    assert observed_stream("m13") == "observed-m13"
    same = galaxy_gradients(
        s["plateifu"].to_numpy(), s["r_re"].to_numpy(), s["oh_m13"].to_numpy(), seed=7,
        stream="observed-m13", n_refits=12,
    )  # fmt: skip
    pd.testing.assert_frame_equal(out.gradients, same)
    other = galaxy_gradients(
        s["plateifu"].to_numpy(), s["r_re"].to_numpy(), s["oh_m13"].to_numpy(), seed=7,
        stream="observed-pg16", n_refits=12,
    )  # fmt: skip
    assert not np.allclose(out.gradients["slope_err"], other["slope_err"])
    # a galaxy whose error equals the limit stays (<=)
    limit = float(out.gradients["slope_err"].iloc[1])
    at = measure_observed_gradients(
        sample, config_with(gradients={"n_bootstrap": 12, "seed": 7},
                            selection={"gradient_err_max": limit}), pool=SerialPool(),
    )  # fmt: skip
    assert out.gradients.index[1] in set(at.sample.spaxels["plateifu"])
    assert f"<= {limit} dex/Re" in at.sample.steps.rows[-1]["description"]


def test_a_reference_sample_is_kept_whole(run):
    sample = sample_of(run, from_reference=True)
    out = measure_observed_gradients(sample, FAST, pool=SerialPool())
    assert out.sample is sample
    assert (out.gradients["slope_err"] > 0.1).any()  # the noisy galaxy is not cut


def test_no_galaxy_left_after_the_error_cut_is_refused(run):
    config = config_with(gradients={"n_bootstrap": 10}, selection={"gradient_err_max": 0.0})
    with pytest.raises(ValueError, match=r"^m13: no galaxy left after the gradient-error cut$"):
        measure_observed_gradients(sample_of(run), config, pool=SerialPool())


def fitted_with_gaps(s, base_nan, sfh_err_nan):
    """Predictions of base and SFH (and a third set, ignored) with NaN where asked."""
    pred = pd.DataFrame(index=s.index)
    for name in ("base", "SFH", "D4000"):
        pred[f"pred_{name}"] = 8.5
        pred[f"err_{name}"] = 0.05
    pred.loc[base_nan, "pred_base"] = np.nan
    pred.loc[sfh_err_nan, "err_SFH"] = np.nan
    pred["pred_D4000"] = np.nan
    return FittedModels(models={}, predictions=pred, n_params={})


def test_final_sample_mass_models_and_count(run):
    s = run.spaxels
    sizes = s["plateifu"].value_counts()
    twenty = sizes.index[sizes == 20][0]
    heavy = run.galaxies.index[run.galaxies["log_mstar"] > 10.5][0]
    # one base prediction missing in the 20-spaxel galaxy (it falls below 20), one SFH
    # error missing in a heavy galaxy (one spaxel goes)
    base_nan = s.index[s["plateifu"] == twenty][:1]
    sfh_nan = s.index[s["plateifu"] == heavy][:1]
    fitted = fitted_with_gaps(s, base_nan, sfh_nan)
    steps = SampleSteps().add("gradient_error", "before", s["plateifu"])
    final = select_final_sample(Sample(M13, s, steps), fitted, RunConfig())
    p = s["plateifu"].to_numpy()
    mass = s["log_mstar"].to_numpy() >= 8.9
    models = mass & ~s.index.isin(base_nan.union(sfh_nan))
    per = pd.Series(p[models]).value_counts()
    last = models & np.isin(p, per.index[per >= 20])
    got = {
        r["step"]: (r["n_spaxels"], r["n_galaxies"], r["description"]) for r in final.steps.rows
    }
    n = lambda m: (int(m.sum()), len(set(p[m])))  # noqa: E731
    assert got["mass"] == (*n(mass), "galaxies with log M* >= 8.9")
    assert got["models"] == (*n(models), "spaxels with base and SFH predictions")
    assert got["final"] == (*n(last), "galaxies still with >= 20 spaxels")
    assert list(final.rows) == list(s.index[last])
    # the 8.9 galaxy is in, the 8.7 one out, the 20-spaxel one out after losing a spaxel
    names = set(p[last])
    assert run.galaxies.index[run.galaxies["log_mstar"] == 8.9][0] in names
    assert run.galaxies.index[run.galaxies["log_mstar"] < 8.8][0] not in names
    assert twenty not in names and heavy in names
    assert [r["step"] for r in final.steps.rows] == ["gradient_error", "mass", "models", "final"]
    assert FINAL_MODELS == ("base", "SFH")


def test_final_sample_thresholds_from_configuration(run):
    s = run.spaxels
    fitted = fitted_with_gaps(s, s.index[:0], s.index[:0])
    config = config_with(selection={"log_mstar_min": 10.0, "min_spaxels": 60})
    final = select_final_sample(Sample(M13, s, SampleSteps()), fitted, config)
    p = s["plateifu"].to_numpy()
    mass = s["log_mstar"].to_numpy() >= 10.0
    per = pd.Series(p[mass]).value_counts()
    assert list(final.rows) == list(s.index[mass & np.isin(p, per.index[per >= 60])])
    desc = [r["description"] for r in final.steps.rows]
    assert desc == ["galaxies with log M* >= 10.0", "spaxels with base and SFH predictions",
                    "galaxies still with >= 60 spaxels"]  # fmt: skip


def test_a_reference_sample_is_final_as_it_is(run):
    s = run.spaxels.iloc[:100]
    fitted = fitted_with_gaps(s, s.index[:5], s.index[5:10])
    final = select_final_sample(Sample(M13, s, SampleSteps(), True), fitted, RunConfig())
    assert list(final.rows) == list(s.index)
    assert final.steps.rows == (
        {"step": "final", "description": "final sample", "n_spaxels": 100,
         "n_galaxies": s["plateifu"].nunique()},
    )  # fmt: skip


def test_an_empty_final_sample_is_refused_naming_the_calibrator(run):
    s = run.spaxels
    fitted = fitted_with_gaps(s, s.index[:0], s.index[:0])
    config = config_with(selection={"log_mstar_min": 12.0})
    with pytest.raises(ValueError, match=r"^m13: no galaxy left in the final sample$"):
        select_final_sample(Sample(M13, s, SampleSteps()), fitted, config)
