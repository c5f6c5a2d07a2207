"""The method choices of the analysis on synthetic surveys: Appendix B's common sample,
§2.3's azimuthal check, and the results API."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.stats import median_abs_deviation

from independent_references import highs_lad_line
from metgrad import open_run
from metgrad.analysis import analyse_run
from metgrad.config import RunConfig


def test_pg16_uses_exactly_the_m13_final_sample(demo_run):
    """Appendix B: PG16 on "the same final galaxy sample", no cut applied a second time."""
    run = open_run(demo_run.run)
    assert run.calibrators == ["m13", "pg16"]
    m13 = run.spaxels("m13", final_only=True)
    pg16 = run.spaxels("pg16")
    assert pg16["final"].all()  # every PG16 spaxel is final: nothing cut again
    key = ["plateifu", "r_re", "log_sigma_star"]
    pd.testing.assert_frame_equal(
        m13[key].sort_values(key).reset_index(drop=True),
        pg16[key].sort_values(key).reset_index(drop=True),
    )
    assert list(run.galaxies("m13").index) == list(run.galaxies("pg16").index)
    steps = run.sample_steps("pg16")["step"].tolist()
    assert "reference_sample" in steps and "gradient_error" not in steps and "mass" not in steps


def test_recut_option_cuts_pg16_again(demo_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(demo_run.run, copy)
    base = RunConfig()
    config = dataclasses.replace(
        base, analysis=dataclasses.replace(base.analysis, recut_secondary=True)
    )
    summaries = analyse_run(copy, config=config)
    steps = [s["step"] for s in summaries["pg16"]["sample_steps"]]
    assert "gradient_error" in steps and "models" in steps
    m13 = set(open_run(copy).galaxies("m13").index)
    assert set(open_run(copy).galaxies("pg16").index) <= m13


def test_azimuthal_gradients_are_exact_and_agree_with_spaxel_gradients(analysed_truth_survey):
    """§2.3: "similar gradient results if we azimuthally average ... before calculating"."""
    a = analysed_truth_survey.analysis
    gal = pd.read_parquet(a / "galaxies.parquet").set_index("plateifu")
    spx = pd.read_parquet(a / "spaxels.parquet")
    spx = spx[spx["final"]]
    # the pipeline's column against our own annuli and an LP fit, for 15 galaxies
    for name in gal.index[:15]:
        g = spx[spx["plateifu"] == name]
        k = np.floor((g["r_re"].to_numpy() - 0.5) / 0.1 + 1e-9)
        annuli = g.assign(k=k).groupby("k")[["r_re", "oh_m13"]].mean()
        # exact LAD slope by linear programming (independent of metgrad's solver)
        _, expected, _ = highs_lad_line(annuli["r_re"].to_numpy(), annuli["oh_m13"].to_numpy())
        assert gal.loc[name, "grad_obs_azimuthal"] == pytest.approx(expected, abs=1e-7)
    diff = (gal["grad_obs_azimuthal"] - gal["grad_obs"]).dropna()
    assert len(diff) >= 100
    # measured on this survey (123 galaxies): median 0.0000, robust width 0.0066 dex/R_e
    assert abs(np.median(diff)) < 0.005
    width = median_abs_deviation(diff, scale="normal")
    assert width < 0.02


def test_analyse_refuses_spaxel_cuts_the_run_was_not_ingested_with(demo_run, tmp_path):
    """Stricter spaxel cuts at analysis time would be recorded but not applied: refused."""
    base = RunConfig()
    stricter = dataclasses.replace(
        base, selection=dataclasses.replace(base.selection, snr_min=20.0, ew_ha_min=50.0)
    )
    before = {p: p.stat().st_mtime_ns for p in (demo_run.run / "analysis").rglob("*.json")}
    with pytest.raises(ValueError, match=r"selection.snr_min = 3.0 -> 20.0.*re-ingest"):
        analyse_run(demo_run.run, config=stricter)
    after = {p: p.stat().st_mtime_ns for p in (demo_run.run / "analysis").rglob("*.json")}
    assert before == after  # nothing written
    # galaxy-level options may change at analysis time
    looser = dataclasses.replace(
        base, selection=dataclasses.replace(base.selection, gradient_err_max=0.2)
    )
    copy = tmp_path / "run"
    shutil.copytree(demo_run.run, copy)
    assert analyse_run(copy, config=looser, calibrators=("m13",))["m13"]["n_galaxies_final"] > 0


def _documented(column: str, text: str) -> bool:
    import re

    if f"`{column}`" in text:
        return True
    for pattern in set(re.findall(r"`([a-z_]*<[a-z]+>[a-z_<>]*)`", text)):
        if re.fullmatch(r"<[a-z]+>", pattern):
            continue  # a bare placeholder names a family, it documents no column
        regex = re.sub(r"<[a-z]+>", r"[A-Za-z0-9_]+", pattern)
        if re.fullmatch(regex, column):
            return True
    return False


def test_every_column_of_a_run_is_documented(demo_run):
    """docs/outputs.md lists every column of every table the pipeline writes."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "outputs.md").read_text()
    run = demo_run.run
    tables = [run / "galaxies.parquet", next((run / "spaxels").glob("*.parquet"))]
    for key in ("m13", "pg16"):
        folder = run / "analysis" / key
        tables += sorted(folder.glob("*.csv")) + sorted(folder.glob("*.parquet"))
    missing = set()
    for path in tables:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        missing |= {f"{path.name}:{c}" for c in frame.columns if not _documented(c, text)}
    assert not missing, sorted(missing)


def test_repeat_observations_are_counted_once(demo_run):
    """DR17 observes some galaxies twice (one mangaid, two plate-ifus): one is analysed."""
    run = open_run(demo_run.run)
    ingested = run.ingested()
    repeats = ingested[ingested["mangaid"].duplicated(keep=False)]
    assert len(repeats) >= 2, "the demo survey should hold a repeat observation"
    table = pd.read_csv(run.layout.analysis("m13").repeats)
    assert set(table["plateifu"]) == set(repeats.index)
    kept = table[table["kept"]]
    assert kept["mangaid"].is_unique and set(kept["mangaid"]) == set(repeats["mangaid"])
    # the rule: the observation with the most selected spaxels of each galaxy
    for mangaid, rows in table.groupby("mangaid"):
        best = rows.sort_values(["n_selected", "plateifu"], ascending=[False, True]).iloc[0]
        assert bool(best["kept"]), mangaid
    # no galaxy counted twice in any step of the analysis
    for key in run.calibrators:
        final = run.galaxies(key).join(ingested["mangaid"])
        assert final["mangaid"].is_unique
    dropped = set(table.loc[~table["kept"], "plateifu"])
    assert dropped and not dropped & set(run.spaxels("m13")["plateifu"])
