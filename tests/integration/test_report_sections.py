"""The report's "Every calibrator" and "Learned local relations" sections (issues #15, #16).

On a copy of ``metgrad demo``'s run: ``metgrad analyse RUN --calibrator all``, then
``metgrad.learn`` (cheap settings) for the reference calibrator, then the report. The
section's numbers are checked against the tables the pipeline wrote, recomputed here with
pandas (median gradient per calibrator, galaxy counts), not against the report code.
"""

from __future__ import annotations

import base64
import dataclasses
import html as html_lib
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from metgrad.calibration import CALIBRATORS
from metgrad.cli import main
from metgrad.config import LearnConfig, RunConfig
from metgrad.figures import FIGURES
from metgrad.figures.calibrators import running_median
from metgrad.layout import RunLayout
from metgrad.learn import learn_run
from metgrad.report import build_report

#: Cheap learn settings (as tests/integration/test_learn.py, fewer trees), fitted to the demo's
#: 13 final galaxies: two folds, and base-model mass bins of 0.5 dex with 3 spaxels at least
#: (with the paper's 0.05 dex bins every held-out galaxy's mass bin is empty, so the binned
#: models predict no held-out spaxel and learn stops with an error).
CHEAP_LEARN = LearnConfig(max_iter=30, importance_repeats=1, min_samples_leaf=50, seed=1, folds=2)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _section(html: str, anchor: str) -> str:
    """The HTML of one ``<h2 id=anchor>`` section, up to the next ``<h2``."""
    start = html.index(f'<h2 id="{anchor}">')
    end = html.find("<h2", start + 1)
    return html[start : end if end > 0 else len(html)]


def _rows(section: str, prefix: str) -> dict[str, list[str]]:
    """Cells (text only) of the table rows whose id starts with ``prefix``, by id suffix."""
    rows = {}
    for key, body in re.findall(rf'<tr id="{prefix}([^"]+)">(.*?)</tr>', section, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
        rows[key] = [html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]
    return rows


def _images(section: str) -> list[bytes]:
    return [
        base64.b64decode(d) for d in re.findall(r'src="data:image/png;base64,([^"]+)"', section)
    ]


@pytest.fixture(scope="module")
def sections_run(demo_run, tmp_path_factory):
    """A copy of the demo run, every calibrator analysed, learned for m13, reported."""
    run = tmp_path_factory.mktemp("sections") / "run"
    shutil.copytree(demo_run.run, run)
    assert main(["analyse", str(run), "--calibrator", "all", "--workers", "2"]) == 0
    models = dataclasses.replace(
        RunConfig().models, base_bin_mstar=0.5, base_min_count=3, corr1d_min_count=20
    )
    config = dataclasses.replace(RunConfig(), learn=CHEAP_LEARN, models=models)
    learn_run(run, calibrators=("m13",), config=config, workers=2)
    warnings: list[str] = []
    # the Appendix B figures of the 17 other calibrators (119 figures) are checked, for one
    # calibrator, in test_appendix_b_figures.py; drawing them all here would add minutes.
    # The paper's figures are the demo's (copied with the run; test_figures_run.py checks
    # them): only the sections' own figures, the subject here, are drawn
    figures = RunLayout(run).figures_dir
    copied = {p.name: p.stat().st_mtime_ns for p in figures.glob("fig*.png")}
    report = build_report(run, pages=False, appendix_b=False, figure_ids=(), workers=1,
                          say=warnings.append)  # fmt: skip
    kept = {p.name: p.stat().st_mtime_ns for p in figures.glob("fig*.png")}
    return {"run": run, "html": report.read_text(), "said": warnings, "copied": copied,
            "kept": kept}  # fmt: skip


def test_running_median_by_hand():
    x = np.array([9.05, 9.1, 9.15, 9.25, 9.3, 9.35, 9.39, 9.7, np.nan])
    y = np.array([1.0, 3.0, 2.0, 10.0, 20.0, 30.0, 40.0, 5.0, 7.0])
    centre, median = running_median(x, y, width=0.2, min_count=3)
    # bins [9.0, 9.2): 1, 3, 2 -> 2; [9.2, 9.4): 10..40 -> 25; [9.6, 9.8): one point, dropped
    np.testing.assert_allclose(centre, [9.1, 9.3])
    np.testing.assert_allclose(median, [2.0, 25.0])
    with pytest.raises(ValueError, match="positive"):
        running_median(x, y, width=0.0)


def test_every_calibrator_table_matches_the_analysis(sections_run):
    run = sections_run["run"]
    layout = RunLayout(run)
    section = _section(sections_run["html"], "calibrators")
    summary = pd.read_csv(layout.calibrator_comparison)
    grads = pd.read_parquet(layout.gradients_by_calibrator)
    assert len(summary) == len(layout.analysed_calibrators()) >= 3  # every calibrator present
    rows = _rows(section, "calibrator-")
    assert list(rows) == list(summary["calibrator"])
    for key, cells in rows.items():
        assert cells[0] == CALIBRATORS[key].label
        assert cells[1] == CALIBRATORS[key].scale
        assert int(cells[2]) == grads[key].notna().sum()
        assert float(cells[3]) == pytest.approx(grads[key].median(), abs=1e-4)
        assert cells[7] in ("yes", "no") and cells[9] in ("yes", "no")
    reference = summary["calibrator"].iloc[0]
    diff = float(rows[reference][4])
    assert diff == pytest.approx(0.0, abs=1e-12)  # the reference against itself


def test_every_calibrator_table1_and_figure(sections_run):
    section = _section(sections_run["html"], "calibrators")
    assert "Table 1 of every calibrator" in section
    table1 = pd.read_csv(RunLayout(sections_run["run"]).table1_by_calibrator)
    assert section.count('title="lowest BIC"') == table1["calibrator"].nunique()
    images = _images(section)
    assert len(images) == 1 and images[0].startswith(PNG_MAGIC)
    assert not [s for s in sections_run["said"] if "calibrators_gradient_mass" in s]


def test_learn_section_shows_scores_and_figures(sections_run):
    section = _section(sections_run["html"], "learned")
    scores = pd.read_csv(RunLayout(sections_run["run"]).learn_dir("m13") / "scores.csv")
    for model in scores["model"]:
        assert f">{model}</td>" in section
    learned = scores[scores["kind"] == "learned"]
    best = learned.loc[learned["oof_residual_dispersion"].idxmin(), "model"]
    assert f'<td class="l best">{best}</td>' in section
    assert "v_esc</code> is the escape velocity of the stars alone" in section
    images = _images(section)
    assert len(images) == 5 and all(i.startswith(PNG_MAGIC) for i in images)
    assert "Not drawn" not in section


def test_figure_ids_draw_only_those_and_embed_the_others(sections_run):
    """``figure_ids=()``: no paper figure drawn again, each embedded from its PNG."""
    assert len(sections_run["copied"]) >= len(FIGURES) - 1  # the demo's (Fig 13 may lack)
    assert sections_run["kept"] == sections_run["copied"]
    html = sections_run["html"]
    for name in sections_run["copied"]:
        block = re.search(rf'<figure id="{name[:-4]}">(.*?)</figure>', html, re.S)
        assert block and 'src="data:image/png;base64,' in block.group(1), name
    assert not [s for s in sections_run["said"] if "not drawn" in s and "fig13" not in s]


def test_learn_section_says_how_to_make_it(demo_run):
    section = _section(demo_run.report.read_text(), "learned")
    assert "metgrad learn" in section and "<img" not in section


def test_calibrators_analysed_two_at_a_time_equal_those_analysed_in_turn(sections_run, demo_run,
                                                                         tmp_path):  # fmt: skip
    """``--calibrator all`` with two threads takes the calibrators after the reference two at
    a time; one thread takes them in turn: every table of each calibrator is the same file."""
    run = tmp_path / "run"
    shutil.copytree(demo_run.run, run, ignore=shutil.ignore_patterns("analysis", "report"))
    keys = ["pg16", "c20_n2", "kd02_n2o2"]
    args = [a for k in keys for a in ("--calibrator", k)]
    assert main(["analyse", str(run), *args, "--workers", "1"]) == 0
    for key in ["m13", *keys]:
        one, two = RunLayout(run).analysis(key).dir, RunLayout(sections_run["run"]).analysis(key).dir
        names = sorted(p.name for p in one.iterdir())
        assert names == sorted(p.name for p in two.iterdir()) and len(names) > 10
        for name in names:
            assert (one / name).read_bytes() == (two / name).read_bytes(), (key, name)
