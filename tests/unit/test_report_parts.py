"""Parts of the report checked by hand: number format, Table 1 rows, the clickable plane."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from metgrad.galaxy_pages import PLANE_MARGINS, PLANE_SIZE, massize_plane_svg
from metgrad.paper_values import PAPER_TABLE1
from metgrad.report import _fmt, _table_rows

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.14e7, "1.14 × 10<sup>7</sup>"), (5.85e6, "5.85 × 10<sup>6</sup>"),
     (-2.5e5, "-2.50 × 10<sup>5</sup>"), (847025.0, "8.47 × 10<sup>5</sup>"),
     (2061, "2061"), (0.0523, "0.0523")],
)  # fmt: skip
def test_numbers_are_formatted_like_the_paper(value, text):
    # non-breaking spaces around the times sign: a table cell never splits the number
    assert str(_fmt(value)).replace("\u00a0", " ") == text


def test_table1_rows_in_the_papers_order_with_the_lowest_bic_marked():
    # the paper's own Table 1, shuffled: rows come back as Base, D4000, Halpha, SFH-Halpha,
    # SFH, and SFH (BIC 5.16e6) is the lowest
    frame = pd.DataFrame(
        [{"model": m, "median_residual": 0.0, "residual_dispersion": v[0], "chi2": v[1],
          "k": v[2], "bic": v[3]} for m, v in PAPER_TABLE1.items()]
    ).sample(frac=1.0, random_state=3)  # fmt: skip
    rows = _table_rows(frame, PAPER_TABLE1, ("base", "D4000", "EW_Ha", "SFH_Ha", "SFH"))
    assert [r["model"] for r in rows] == ["Base", "D4000", "Hα", "SFH-Hα", "SFH"]
    assert [r["best"] for r in rows] == [False, False, False, False, True]
    assert str(rows[0]["bic"]) == "1.14\u00a0×\u00a010<sup>7</sup>"


def _galaxies(n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    return pd.DataFrame({
        "plateifu": [f"8440-{1901 + i}" for i in range(n)],
        "log_mstar": np.linspace(9.0, 11.0, n),
        "log_re": rng.uniform(0.1, 0.9, n),
        "grad_obs": rng.uniform(-0.15, 0.05, n),
        "grad_base": rng.uniform(-0.1, 0.0, n),
        "grad_sfh": rng.uniform(-0.1, 0.0, n),
    })  # fmt: skip


def test_plane_has_one_linked_point_per_galaxy_with_its_tooltip():
    gal = _galaxies()
    root = ET.fromstring(massize_plane_svg(gal))
    links = root.findall(f"{SVG}a")
    assert len(links) == len(gal)
    for link, row in zip(links, gal.itertuples(), strict=True):
        assert link.get("href") == f"galaxies/{row.plateifu}.html"
        circle = link.find(f"{SVG}circle")
        assert circle.get("id") == f"pt-{row.plateifu}"
        tip = circle.find(f"{SVG}title").text
        assert row.plateifu in tip
        assert f"log M* = {row.log_mstar:.2f}" in tip
        assert f"log R_e = {row.log_re:.2f} kpc" in tip
        assert f"observed gradient = {row.grad_obs:+.3f}" in tip


def test_plane_places_points_on_linear_axes_inside_the_frame():
    gal = _galaxies()
    root = ET.fromstring(massize_plane_svg(gal))
    circles = [a.find(f"{SVG}circle") for a in root.findall(f"{SVG}a")]
    cx = np.array([float(c.get("cx")) for c in circles])
    cy = np.array([float(c.get("cy")) for c in circles])
    width, height = PLANE_SIZE
    left, right, top, bottom = PLANE_MARGINS
    assert np.all((cx > left) & (cx < width - right) & (cy > top) & (cy < height - bottom))
    # x linear in log M* (evenly spaced masses give evenly spaced points); y falls as R_e grows
    np.testing.assert_allclose(np.diff(cx), np.diff(cx)[0], atol=0.11)
    order = np.argsort(gal["log_re"].to_numpy())
    assert np.all(np.diff(cy[order]) < 0)
    # steepest gradient is the bluest, most positive the reddest (diverging scale about 0)
    fills = [c.get("fill") for c in circles]

    def rgb(i):
        return [int(fills[i][k : k + 2], 16) for k in (1, 3, 5)]

    steep, shallow = rgb(int(np.argmin(gal["grad_obs"]))), rgb(int(np.argmax(gal["grad_obs"])))
    assert gal["grad_obs"].min() < 0 < gal["grad_obs"].max()
    assert steep[2] > steep[0] and shallow[0] > shallow[2]


def test_plane_refuses_an_empty_sample():
    with pytest.raises(ValueError, match="no final galaxies"):
        massize_plane_svg(_galaxies().iloc[:0])
