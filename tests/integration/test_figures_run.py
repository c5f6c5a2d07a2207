"""Every paper figure drawn from a real (small) run: mock survey -> ingest -> analyse -> figures.

The shared demo run (``demo_run``) has drawn every registered figure already: its report
calls :func:`draw_figures` for all of them into ``RUN/report/figures`` and says one warning
line for each figure it could not draw. Those files and lines are checked here as they are;
three figures are drawn again (two that draw, one that cannot) for what only
:func:`draw_figures` returns and for byte-for-byte reproducibility, instead of all of them.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from matplotlib.image import imread

from metgrad.figures import FIGURES, draw_figures

pytestmark = pytest.mark.slow

#: Figures allowed to fail in a 36-galaxy survey: Fig 13 needs 5 galaxies in one of six bins.
SMALL_RUN_GAPS = {"fig13": "mid-extended"}
#: Drawn again, asked for out of order: two figures that draw and one that cannot.
AGAIN = ["fig13", "fig07", "fig02"]


@pytest.fixture(scope="module")
def run_dir(demo_run):
    """The shared 36-galaxy demo run (conftest), analysed for both calibrators."""
    return demo_run.run


@pytest.fixture(scope="module")
def again(run_dir):
    """The demo's files of :data:`AGAIN` (bytes, before), then those figures drawn again in
    place (``draw_figures``' default folder)."""
    fig_dir = run_dir / "report" / "figures"
    before = {p.name: p.read_bytes() for i in AGAIN for p in fig_dir.glob(f"{i}.*")}
    return before, draw_figures(run_dir, ids=AGAIN)


def _not_drawn(messages: list[str]) -> dict[str, str]:
    """Figure id -> error of each ``warning: Figure N (id) not drawn: error`` line."""
    said = "\n".join(messages)
    return dict(re.findall(r"^warning: Figure \S+ \((\w+)\) not drawn: (.*)$", said, re.M))


def test_every_figure_is_written_as_png_and_pdf(demo_run, run_dir):
    fig_dir = run_dir / "report" / "figures"
    not_drawn = _not_drawn(demo_run.messages)
    for fig_id, error in not_drawn.items():
        assert fig_id in SMALL_RUN_GAPS, f"{fig_id}: {error}"
        assert SMALL_RUN_GAPS[fig_id] in error
    for spec in FIGURES:
        png, pdf = fig_dir / f"{spec.id}.png", fig_dir / f"{spec.id}.pdf"
        if spec.id in not_drawn:
            assert not png.exists() and not pdf.exists(), spec.id
            continue
        image = imread(png)
        height, width = image.shape[:2]
        assert height >= 300 and width >= 500, spec.id
        assert float(np.var(image[..., :3])) > 1e-3, f"{spec.id} is blank"
        assert pdf.read_bytes()[:5] == b"%PDF-"
    assert len(FIGURES) - len(not_drawn) >= len(FIGURES) - len(SMALL_RUN_GAPS)


def test_draw_figures_returns_each_figure_in_order_with_its_paths_or_error(run_dir, again):
    _, drawn = again
    assert [d.spec.id for d in drawn] == [s.id for s in FIGURES if s.id in AGAIN]
    for d in drawn:
        if d.error is not None:
            assert d.spec.id in SMALL_RUN_GAPS, f"{d.spec.id}: {d.error}"
            assert SMALL_RUN_GAPS[d.spec.id] in d.error and "\n" not in d.error
            assert d.paths == {}
            continue
        assert set(d.paths) == {"png", "pdf"}
        assert d.paths["png"] == run_dir / "report" / "figures" / f"{d.spec.id}.png"
    assert sum(d.error is None for d in drawn) == len(AGAIN) - 1


def test_figures_are_byte_for_byte_reproducible(again):
    before, drawn = again
    compared = 0
    for d in drawn:
        for fmt, path in d.paths.items():
            assert path.read_bytes() == before[path.name], (d.spec.id, fmt)
            compared += 1
    assert compared == 4


def test_a_missing_table_fails_only_its_figures(run_dir, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_dir / "analysis", copy / "analysis")
    (copy / "analysis" / "m13" / "map_base.csv").unlink()
    result = {d.spec.id: d for d in draw_figures(copy, ids=["fig02", "fig03", "figB2"])}
    assert "map_base.csv" in result["fig03"].error and not result["fig03"].paths
    assert result["fig02"].error is None and result["figB2"].error is None
