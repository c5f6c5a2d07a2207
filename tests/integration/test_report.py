"""`metgrad demo`'s pipeline writes a report that a browser renders completely, offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from metgrad.figures import FIGURES

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--allow-file-access-from-files",
]  # fmt: skip

# Appended to a copy of the report: after every image has loaded, record what the browser
# rendered (natural image sizes, table sizes) in an attribute that --dump-dom prints.
PROBE = """
<script>
window.addEventListener("load", function () {
  var imgs = Array.from(document.images).map(function (i) {
    return {alt: i.alt, w: i.naturalWidth, h: i.naturalHeight, complete: i.complete}; });
  var tables = Array.from(document.querySelectorAll("table")).map(function (t) {
    return {rows: t.rows.length, h: t.getBoundingClientRect().height}; });
  var external = Array.from(document.querySelectorAll("[src],[href]")).map(function (e) {
    return e.getAttribute("src") || e.getAttribute("href"); }).filter(function (u) {
    return !(u.startsWith("#") || u.startsWith("data:") || u.startsWith("galaxies/")); });
  document.body.setAttribute("data-probe", JSON.stringify(
    {images: imgs, tables: tables, external: external}));
});
</script>
"""


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium not installed (make test installs Debian's chromium)")


def test_pipeline_said_every_stage(demo_run):
    said = "\n".join(demo_run.messages)
    for stage in ("[0/3] synthetic MaNGA survey", "[1/3] ingest", "[2/3] analyse", "[3/3] report"):
        assert stage in said
    assert demo_run.report == demo_run.run / "report" / "report.html"


def test_report_is_self_contained(demo_run):
    html = demo_run.report.read_text()
    # no scripts, stylesheets, images or links that leave the page, but the galaxy pages
    # in the folder beside it (each of which exists)
    assert "<script" not in html
    assert not re.search(r'(src|href)="(?!#|data:|galaxies/[0-9]+-[0-9]+\.html")', html)
    pages = re.findall(r'href="(galaxies/[0-9]+-[0-9]+\.html)"', html)
    assert pages and all((demo_run.report.parent / p).is_file() for p in pages)
    for spec in FIGURES:
        assert f'id="{spec.id}"' in html
    for heading in ("Table 1", "Table A1", "Headline numbers", "Sample", "Inputs and configuration"):
        assert heading in html
    assert "Synthetic survey" in html  # labelled as such, paper values are context


def test_headless_chromium_renders_every_image_and_table(demo_run, tmp_path):
    chromium = _chromium()
    page = tmp_path / "probe.html"
    page.write_text(demo_run.report.read_text().replace("</body>", PROBE + "</body>"))
    profile = tmp_path / "profile"
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000"]
    dom = subprocess.run(
        [*cmd, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180
    ).stdout
    match = re.search(r'data-probe="([^"]*)"', dom)
    assert match, "the page's load handler did not run"
    probe = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert len(probe["images"]) >= len(FIGURES) - 1  # Fig 13 may be missing in a small run
    for image in probe["images"]:
        assert image["complete"] and image["w"] > 0 and image["h"] > 0, image["alt"]
    assert len(probe["tables"]) >= 10
    for table in probe["tables"]:
        assert table["rows"] >= 2 and table["h"] > 0
    assert probe["external"] == []

    shot = tmp_path / "report.png"
    subprocess.run(
        [*cmd, "--window-size=1280,2400", f"--screenshot={shot}", demo_run.report.as_uri()],
        capture_output=True,
        timeout=180,
    )
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] >= 2000 and pixels.shape[1] >= 1200
    assert float(pixels[..., :3].var()) > 1e-3  # not a blank page


def test_analysis_is_byte_for_byte_reproducible_with_provenance(demo_run, tmp_path):
    """Analysing the same ingested run again gives identical tables; seed and versions recorded."""
    import pyarrow.parquet as pq

    from metgrad.analysis import analyse_run

    copy = tmp_path / "run"
    copy.mkdir()
    for name in ("galaxies.parquet", "manifest.json", "failures.csv"):
        shutil.copy2(demo_run.run / name, copy / name)
    shutil.copytree(demo_run.run / "spaxels", copy / "spaxels")
    analyse_run(copy)
    first = demo_run.run / "analysis"
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    compared = [f for f in files if f.name != "manifest.json"]  # manifest holds the run time
    assert len(compared) > 30
    for rel in compared:
        assert (copy / "analysis" / rel).read_bytes() == (first / rel).read_bytes(), rel
    meta = pq.read_schema(first / "m13" / "galaxies.parquet").metadata
    assert meta[b"metgrad.seed"] == b"20220525"
    assert b"numpy" in meta[b"metgrad.versions"]
    summary = json.loads((first / "m13" / "summary.json").read_text())
    assert summary["seed"] == 20220525 and "metgrad" in summary["versions"]


# Appended to a copy of the report beside the real one: find the centre of one galaxy's point
# in the rendered plane, hit-test that position as a mouse would, and click what is there.
CLICK = """
<script>
window.addEventListener("load", function () {
  var target = document.getElementById("pt-%s");
  target.scrollIntoView();
  var box = target.getBoundingClientRect();
  var hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  hit.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true, view: window}));
});
</script>
"""


def _galaxies_with_pages(demo_run):
    import pandas as pd

    final = pd.read_parquet(demo_run.run / "analysis" / "m13" / "galaxies.parquet")
    return list(final["plateifu"])


def test_every_final_galaxy_has_a_page_with_its_quick_look(demo_run):
    import base64
    import io

    from matplotlib.image import imread

    html = demo_run.report.read_text()
    for plateifu in _galaxies_with_pages(demo_run):
        page = demo_run.report.parent / "galaxies" / f"{plateifu}.html"
        text = page.read_text()
        assert f'<h1 id="plateifu">{plateifu}</h1>' in text
        assert "<script" not in text and not re.search(r'src="(?!data:)', text)
        assert f'href="galaxies/{plateifu}.html"' in html  # linked from the plane
        assert f'<circle id="pt-{plateifu}"' in html
    png = re.search(r'src="data:image/png;base64,([^"]+)"', text).group(1)
    pixels = imread(io.BytesIO(base64.b64decode(png)))
    assert pixels.shape[1] >= 600 and float(pixels[..., :3].var()) > 1e-3


def test_a_click_on_a_point_opens_that_galaxys_page(demo_run, tmp_path):
    chromium = _chromium()
    names = _galaxies_with_pages(demo_run)
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
           "--virtual-time-budget=10000"]  # fmt: skip
    for plateifu in (names[0], names[-1]):
        page = demo_run.report.parent / f"click-{plateifu}.html"
        page.write_text(demo_run.report.read_text().replace("</body>", CLICK % plateifu + "</body>"))
        try:
            dom = subprocess.run(
                [*cmd, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180
            ).stdout
        finally:
            page.unlink()
        # the DOM printed is the page the click opened: that galaxy's, not the report
        assert f'<h1 id="plateifu">{plateifu}</h1>' in dom, dom[:300]
        assert 'id="recovery"' not in dom


def test_screenshots_of_the_plane_and_a_galaxy_page(demo_run, tmp_path):
    """Screenshots a person looks at (copied to RUN/report/screenshots/); blank pages fail."""
    from matplotlib.image import imread

    chromium = _chromium()
    out = demo_run.report.parent / "screenshots"
    out.mkdir(exist_ok=True)
    html = demo_run.report.read_text()
    plane = html[html.index('<h2 id="galaxies">'):html.index('<h2 id="failures">')]
    head = html[:html.index("<body>") + len("<body>")]
    view = demo_run.report.parent / "plane-only.html"
    view.write_text(head + plane + "</body></html>")
    name = _galaxies_with_pages(demo_run)[0]
    shots = {"plane": (view, "900,700"),
             "galaxy": (demo_run.report.parent / "galaxies" / f"{name}.html", "1000,900")}
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    try:
        for key, (page, size) in shots.items():
            shot = out / f"{key}.png"
            subprocess.run([*cmd, f"--window-size={size}", f"--screenshot={shot}",
                            page.as_uri()], capture_output=True, timeout=180)  # fmt: skip
            pixels = imread(shot)
            assert float(pixels[..., :3].var()) > 1e-3, key
    finally:
        view.unlink()
