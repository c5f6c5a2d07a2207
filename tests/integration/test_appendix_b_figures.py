"""Appendix B figures for every analysed calibrator, registered and shown in the report (#15).

The shared demo run (``demo_run``) is analysed for M13 and PG16 only; a copy of it
gets a third calibrator folder, ``analysis/c20_n2``, holding the PG16 tables (the
figures read nothing else), so that drawing and reporting another calibrator's
Figs B1-B7 can be checked without analysing again (about 5 s).
"""

from __future__ import annotations

import re
import shutil

import pytest

from metgrad.figures import FIGURES, appendix_b_figures, draw_figures, figure_specs
from metgrad.report import build_report

pytestmark = pytest.mark.slow

OTHER = "c20_n2"
IDS = [f"figB{i}_{OTHER}" for i in range(1, 8)]


def test_other_calibrators_get_the_paper_appendix_b_set():
    specs = figure_specs(["m13", "pg16", "C20_R23", "c20_r23", OTHER])
    assert specs[: len(FIGURES)] == FIGURES  # the paper's figures first, unchanged
    extra = specs[len(FIGURES) :]
    assert [s.id for s in extra] == [f"figB{i}_c20_r23" for i in range(1, 8)] + IDS
    paper_b = [s for s in FIGURES if s.id.startswith("figB")]
    for mine, paper in zip(extra[7:], paper_b, strict=True):
        assert (mine.number, mine.draw, mine.calibrator) == (paper.number, paper.draw, OTHER)
        assert "C20 N2" in mine.title + mine.caption and "PG16" not in mine.caption
    assert [s.id for s in appendix_b_figures("pg16")] == [s.id for s in paper_b]
    with pytest.raises(ValueError, match="unknown calibrator"):
        figure_specs(["c99"])


@pytest.fixture(scope="module")
def run_copy(demo_run, tmp_path_factory):
    copy = tmp_path_factory.mktemp("appendix_b") / "run"
    shutil.copytree(demo_run.run, copy)
    shutil.copytree(copy / "analysis" / "pg16", copy / "analysis" / OTHER)
    return copy


def test_drawn_and_shown_per_calibrator(run_copy):
    drawn = draw_figures(run_copy, ids=IDS, calibrators=[OTHER])
    assert [d.spec.id for d in drawn] == IDS
    assert all(d.error is None and d.paths["png"].is_file() for d in drawn)
    said = []
    html = build_report(run_copy, draw=False, pages=False, say=said.append).read_text()
    block = re.search(rf'<details id="appendix-b-{OTHER}">(.*?)</details>', html, re.S)
    assert block, "no Appendix B block for the other calibrator"
    assert "<summary>C20 N2 (7 figures)</summary>" in block.group(1)
    assert block.group(1).count('<img src="data:image/png;base64,') == 7
    for fig_id in IDS:
        assert f'<figure id="{fig_id}">' in block.group(1)
    # the paper's own Appendix B (PG16) stays in the figures section, not in a block
    assert 'id="appendix-b-pg16"' not in html and '<figure id="figB1">' in html
