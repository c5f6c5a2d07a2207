"""The demo report checks itself: recovered against injected, and a known bias makes it FAIL.

The checks (``metgrad.recovery``) read the analysis tables and the mock's truth files; here
they run on the shared demo run, then on the same tables with a bias added where the
analysis would have put it (gradients offset by 0.02 dex/R_e, a base model stretched by
30 %, a lost t_LW correction), and must turn to FAIL. The size-term check runs on a table
built by hand, because the small demo has too few extended galaxies for it.
"""

from __future__ import annotations

import dataclasses
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from metgrad.analysis import analyse_run
from metgrad.calibration import CALIBRATORS
from metgrad.recovery import (
    MIN_MODEL_GALAXIES,
    MIN_SIZE_GALAXIES,
    check_base_relation,
    check_gradients,
    check_sfh_correction,
    check_size_term,
    load_inputs,
    recovery_checks,
    tolerance,
)
from metgrad.report import build_report

BIAS = 0.02  # dex/R_e


@pytest.fixture(scope="module")
def inputs(demo_run):
    return load_inputs(demo_run.run, calibrator="m13")


def test_every_analysis_spaxel_found_its_truth(inputs):
    spx = inputs.spaxels
    assert len(spx) > 1000
    assert spx["true_oh"].notna().all()
    # the truth of a spaxel differs from its measurement by the noise only (M13 errors are
    # a few 0.01 dex; a wrong match would be off by the gradient across the disc or more)
    assert np.median(np.abs(spx["oh_m13"] - spx["true_oh"])) < 0.05


def test_the_demo_run_recovers_what_was_injected(demo_run, inputs):
    checks = {(c.calibrator, c.key): c for c in recovery_checks(demo_run.run)}
    assert {k for _, k in checks} >= {"gradients", "gradient_scatter", "base_relation",
                                       "sfh_correction", "size_term", "bic"}  # fmt: skip
    for key in ("gradients", "gradient_scatter", "base_relation", "bic"):
        check = checks[("m13", key)]
        assert check.status == "PASS", (key, check.value, check.tolerance)
    assert checks[("pg16", "gradients")].status == "PASS"
    # a small demo has too few galaxies for the SFH correction and the size term: it says so
    n_final = len(inputs.galaxies)
    sfh = checks[("m13", "sfh_correction")]
    assert sfh.status == ("N/A" if n_final < MIN_MODEL_GALAXIES else "PASS"), sfh
    size = checks[("m13", "size_term")]
    assert size.status in ("PASS", "N/A")
    assert size.status == "PASS" or size.n < MIN_SIZE_GALAXIES


@pytest.mark.parametrize("sign", [1, -1])
def test_a_gradient_bias_of_002_fails(inputs, sign):
    assert check_gradients(inputs)[0].status == "PASS"
    gal = inputs.galaxies.assign(grad_obs=inputs.galaxies["grad_obs"] + sign * BIAS)
    biased = check_gradients(dataclasses.replace(inputs, galaxies=gal))[0]
    assert biased.status == "FAIL", biased.value


def test_a_stretched_base_model_fails(inputs):
    base = inputs.map_base
    mean = np.average(base["smoothed"], weights=base["count"])
    stretched = base.assign(smoothed=mean + 1.3 * (base["smoothed"] - mean))
    check = check_base_relation(dataclasses.replace(inputs, map_base=stretched))
    assert check.status == "FAIL" and check.value > 1.1


def test_a_lost_tlw_correction_fails(inputs):
    # on any run size (the small demo's own slope is below the range: see MIN_MODEL_GALAXIES)
    ours = check_sfh_correction(inputs, min_galaxies=0)
    assert ours.value > 0.1, ours  # the correction follows the injected term ...
    flat = inputs.map_sfh.assign(smoothed=0.0)
    check = check_sfh_correction(dataclasses.replace(inputs, map_sfh=flat), min_galaxies=0)
    assert check.status == "FAIL" and abs(check.value) < 1e-9  # ... and without it, FAIL


def test_size_term_check_on_a_table_built_by_hand(inputs):
    # 60 galaxies above the median relation: offsets made exactly of the injected term
    # (coefficient c = size_coeff x dlogRe), then of nothing; the check returns the fitted
    # coefficient over the injected one: 1 and 0
    rng = np.random.default_rng(5)
    coeff = inputs.relation["size_coeff"]
    resid = rng.uniform(0.01, 0.4, 60)
    gal = pd.DataFrame({"log_mstar": rng.uniform(9, 11, 60), "true_size_residual": resid,
                        "offset_sfh": coeff * resid})  # fmt: skip
    check = check_size_term(dataclasses.replace(inputs, galaxies=gal))
    assert check.value == pytest.approx(1.0) and check.status == "PASS"
    lost = check_size_term(dataclasses.replace(inputs, galaxies=gal.assign(offset_sfh=0.0)))
    assert lost.value == pytest.approx(0.0, abs=1e-12) and lost.status == "FAIL"


def test_tolerances_are_known_for_every_check():
    for key in ("gradients", "gradient_scatter", "base_relation", "sfh_correction",
                "size_term", "bic"):  # fmt: skip
        for cal in CALIBRATORS:
            tol = tolerance(key, cal)
            assert tol.low < tol.high and tol.basis
    with pytest.raises(ValueError, match="no tolerance"):
        tolerance("unknown", "m13")


def test_report_section_says_fail_for_biased_gradients(demo_run, tmp_path):
    # a copy of the run whose analysis wrote gradients 0.02 dex/R_e too steep, next to the
    # same truth: the report's recovered-versus-injected section must say FAIL
    survey = tmp_path / "survey"
    run = survey / "run"
    run.mkdir(parents=True)
    (survey / "truth").symlink_to(demo_run.root / "truth")
    for name in ("manifest.json", "galaxies.parquet", "failures.csv"):
        shutil.copy2(demo_run.run / name, run / name)
    (run / "spaxels").symlink_to(demo_run.run / "spaxels")
    shutil.copytree(demo_run.run / "analysis", run / "analysis")
    path = run / "analysis" / "m13" / "galaxies.parquet"
    gal = pd.read_parquet(path)
    gal["grad_obs"] -= BIAS
    gal.to_parquet(path)
    said: list[str] = []
    html = build_report(run, draw=False, pages=False, say=said.append).read_text()
    section = html[html.index('id="recovery"') : html.index('id="inputs"')]
    rows = re.findall(r"<tr>(.*?)</tr>", section, flags=re.S)
    gradient_rows = [r for r in rows if "median(observed - true)" in r]
    assert len(gradient_rows) == 2  # M13 and PG16
    assert ">FAIL<" in gradient_rows[0] and "M13" in gradient_rows[0]
    assert ">PASS<" in gradient_rows[1] and "PG16" in gradient_rows[1]
    assert any(m.startswith("warning: recovery check failed: m13 gradients") for m in said)
    # and the unbiased report of the same run passes that row
    clean = demo_run.report.read_text()
    clean_rows = re.findall(r"<tr>(.*?)</tr>", clean[clean.index('id="recovery"') :], flags=re.S)
    assert any("median(observed - true)" in r and ">PASS<" in r for r in clean_rows)


def _copy_of_run(demo_run, folder):
    """A run folder sharing the demo's spaxel tables, with its own analysis (and truth)."""
    run = folder / "run"
    run.mkdir(parents=True)
    for name in ("manifest.json", "galaxies.parquet", "failures.csv"):
        shutil.copy2(demo_run.run / name, run / name)
    (run / "spaxels").symlink_to(demo_run.run / "spaxels")
    shutil.copytree(demo_run.run / "analysis", run / "analysis")
    return run


@pytest.fixture(scope="module")
def run_with_c20(demo_run, tmp_path_factory):
    """The demo run with C20 O3N2 analysed too (Appendix B: on M13's final sample)."""
    folder = tmp_path_factory.mktemp("c20")
    (folder / "truth").symlink_to(demo_run.root / "truth")
    run = _copy_of_run(demo_run, folder)
    analyse_run(run, calibrators=("c20_o3n2",))  # on the demo's M13 analysis
    return run


def test_every_analysed_calibrator_is_checked_against_its_own_truth(run_with_c20, demo_run):
    checks = {(c.calibrator, c.key): c for c in recovery_checks(run_with_c20)}
    c20 = checks[("c20_o3n2", "gradients")]
    final = pd.read_parquet(run_with_c20 / "analysis" / "c20_o3n2" / "galaxies.parquet")
    assert c20.n == len(final) >= 5 and np.isfinite(c20.value)
    assert ("c20_o3n2", "gradient_scatter") in checks
    assert ("c20_o3n2", "base_relation") not in checks  # the model checks: M13 only
    # the joined truth is the mock's own record for that calibrator: each analysed spaxel
    # lies within its measurement noise of it (C20 O3N2 errors are a few 0.01 dex)
    # (NaN where the noise-free lines fall outside C20 O3N2's validity range: a few spaxels
    # whose noisy measurement is inside it)
    spx = load_inputs(run_with_c20, calibrator="c20_o3n2").spaxels
    assert spx["true_oh"].notna().mean() > 0.95
    assert np.nanmedian(np.abs(spx["oh_c20_o3n2"] - spx["true_oh"])) < 0.05
    # a gradient bias of 0.02 dex/R_e in that calibrator's table alone turns it to FAIL
    path = run_with_c20 / "analysis" / "c20_o3n2" / "galaxies.parquet"
    final.assign(grad_obs=final["grad_obs"] - BIAS).to_parquet(path)
    try:
        biased = {(c.calibrator, c.key): c for c in recovery_checks(run_with_c20)}
    finally:
        final.to_parquet(path)
    assert biased[("c20_o3n2", "gradients")].value == pytest.approx(c20.value - BIAS)
    assert biased[("c20_o3n2", "gradients")].status == "FAIL"
    assert biased[("m13", "gradients")].value == checks[("m13", "gradients")].value


def test_a_survey_without_a_calibrators_truth_says_so(run_with_c20, demo_run, tmp_path):
    """Truth tables written before the mock recorded C20: its check is N/A, M13 still runs.

    The columns recorded are read from the first galaxy's truth table (sorted by name):
    that one is rewritten without C20 O3N2, the others are links to the demo's.
    """
    truth = tmp_path / "truth"
    (truth / "spaxels").mkdir(parents=True)
    for path in (demo_run.root / "truth").iterdir():
        if path.is_file():
            shutil.copy2(path, truth / path.name)
    first, *others = sorted((demo_run.root / "truth" / "spaxels").glob("*.parquet"))
    pd.read_parquet(first).drop(columns="oh_c20_o3n2").to_parquet(truth / "spaxels" / first.name)
    for path in others:
        (truth / "spaxels" / path.name).symlink_to(path)
    run = _copy_of_run(demo_run, tmp_path)
    shutil.rmtree(run / "analysis")
    shutil.copytree(run_with_c20 / "analysis", run / "analysis")
    checks = {(c.calibrator, c.key): c for c in recovery_checks(run)}
    c20 = checks[("c20_o3n2", "gradients")]
    assert c20.status == "N/A" and "no oh_c20_o3n2 column" in c20.note
    assert checks[("m13", "gradients")].status == "PASS"
