"""One small HTML page per final galaxy, and the clickable mass-size plane that links to them.

Each page (``RUN/report/galaxies/<plateifu>.html``) holds the quick look that
``metgrad galaxy`` draws (:func:`metgrad.figures.galaxy.draw_galaxy`: the O/H map
of the selected spaxels and the radial profile with the observed, base-model and
SFH-model gradients of every calibrator) as an embedded PNG, and the galaxy's
numbers from ``RUN/analysis/<calibrator>/galaxies.parquet``.

:func:`massize_plane_svg` draws the final galaxies in the mass-size plane as
inline SVG: one ``<circle>`` per galaxy with a ``<title>`` tooltip (plate-ifu,
mass, size, gradient) inside an ``<a>`` to its page. Pages and plane need no
script, network or server.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import CenteredNorm, to_hex

from . import columns as col
from .atomic import write_bytes_atomic
from .calibration import CALIBRATORS, PAPER_CALIBRATORS, REFERENCE
from .layout import RunLayout
from .parallel import open_executor, resolve_workers

__all__ = ["PAGE_DPI", "GalaxyPages", "massize_plane_svg", "page_name", "write_galaxy_pages"]

#: Resolution of the PNG on each page (dots per inch of a 9 x 4.6 inch figure).
PAGE_DPI = 80
#: Gradients drawn on each page and listed in its table: tag -> name.
TAGS = {"obs": "observed", "base": "base model", "sfh": "SFH model"}


def page_name(plateifu: str) -> str:
    """Address of a galaxy's page relative to ``report.html`` (:meth:`RunLayout.galaxy_page`)."""
    layout = RunLayout("run")
    return layout.galaxy_page(plateifu).relative_to(layout.report_dir).as_posix()


@dataclass(frozen=True)
class GalaxyPages:
    """The galaxy pages written for a report.

    Attributes
    ----------
    galaxies : pandas.DataFrame
        The reference calibrator's final galaxies (one row per page).
    paths : list of Path
        Pages written.
    errors : list of str
        One line per galaxy whose page could not be written.
    """

    galaxies: pd.DataFrame
    paths: list[Path]
    errors: list[str]


def _gradients(rows: dict[str, pd.Series]) -> tuple[dict, dict]:
    """Observed and model gradients of one galaxy per calibrator, for ``draw_galaxy``."""
    observed, models = {}, {}
    for key, row in rows.items():
        observed[key] = {"slope": float(row[col.grad("obs")]),
                         "slope_err": float(row[col.grad_err("obs")]),
                         "intercept": float(row[col.intercept("obs")])}  # fmt: skip
        models[key] = {
            tag: {"slope": float(row[col.grad(tag)]), "intercept": float(row[col.intercept(tag)])}
            for tag in TAGS
            if tag != "obs" and col.grad(tag) in row.index
        }
    return observed, models


def _png(table: pd.DataFrame, rows: dict[str, pd.Series], plateifu: str) -> str:
    from .figures.galaxy import draw_galaxy

    observed, models = _gradients(rows)
    shape = (int(table["y"].max()) + 1, int(table["x"].max()) + 1)
    buffer = io.BytesIO()
    # matplotlib's default style, as `metgrad galaxy` draws it (screen-sized text)
    fig = draw_galaxy(table, observed, shape=shape, plateifu=plateifu, models=models,
                      figsize=(9, 4.6), constrained=False)  # fmt: skip
    fig.savefig(buffer, format="png", dpi=PAGE_DPI, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode()


def _fmt(value, digits: int = 3) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return escape(str(value)) if value not in (None, "") else "—"
    return f"{v:+.{digits}f}" if math.isfinite(v) else "—"


def _page(plateifu: str, rows: dict[str, pd.Series], png: str, neighbours) -> str:
    ref = rows[next(iter(rows))]
    facts = [("log M* (Msun)", f"{ref[col.LOG_MSTAR]:.2f}"),
             ("log R_e (kpc)", f"{ref[col.LOG_RE]:.2f}"),
             ("b/a", f"{ref[col.BA]:.2f}"), ("mass-size bin", escape(str(ref["massize_bin"]))),
             ("subsample", escape(str(ref["subsample"]) or "—")),
             ("spaxels in the fit", f"{int(ref[col.N_SPAXELS])}")]  # fmt: skip
    head = "".join(f"<th>{escape(CALIBRATORS[k].label)}</th>" for k in rows)
    lines = []
    for tag, name in TAGS.items():
        cells = "".join(
            f"<td>{_fmt(r.get(col.grad(tag)))} ± {_fmt(r.get(col.grad_err(tag)))[1:]}</td>"
            for r in rows.values()
        )
        lines.append(f"<tr><td class='l'>{name} gradient</td>{cells}</tr>")
    for tag in ("base", "sfh"):
        cells = "".join(f"<td>{_fmt(r.get(col.offset(tag)))}</td>" for r in rows.values())
        lines.append(f"<tr><td class='l'>offset, observed − {TAGS[tag]}</td>{cells}</tr>")
    prev, nxt = neighbours
    nav = " · ".join(
        [f'<a href="{escape(p)}.html">← {escape(p)}</a>' for p in [prev] if p]
        + ['<a href="../report.html#galaxies">back to the report</a>']
        + [f'<a href="{escape(n)}.html">{escape(n)} →</a>' for n in [nxt] if n]
    )
    fact_rows = "".join(f"<tr><td class='l'>{k}</td><td>{v}</td></tr>" for k, v in facts)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(plateifu)}: metgrad</title>
<style>body{{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:1.5em auto;
max-width:60em;padding:0 1em;color:#1d1d1d}}table{{border-collapse:collapse;margin:.6em 1.5em
.6em 0;font-size:.9em}}th,td{{border:1px solid #ccc;padding:.2em .6em;text-align:right}}
th{{background:#f1f1f1}}td.l{{text-align:left}}img{{max-width:100%;border:1px solid #ddd}}
.grid{{display:flex;flex-wrap:wrap;align-items:flex-start}}</style></head>
<body><p>{nav}</p><h1 id="plateifu">{escape(plateifu)}</h1>
<img src="data:image/png;base64,{png}" alt="{escape(plateifu)}: O/H map and radial profile">
<p>Left: 12+log(O/H) of the selected spaxels ({escape(CALIBRATORS[REFERENCE].label)}). Right:
every calibrator's selected spaxels against R/R<sub>e</sub> with the LAD gradients over
0.5-2 R<sub>e</sub>: observed (solid), base model (dashed), SFH model (dotted).</p>
<div class="grid"><table>{fact_rows}</table>
<table><tr><th>dex/R<sub>e</sub></th>{head}</tr>{"".join(lines)}</table></div>
</body></html>
"""


def _up_to_date(page: Path, inputs: list[Path]) -> bool:
    """The page exists and is newer than every file it is made from and the drawing code."""
    from .figures import galaxy

    if not page.is_file():
        return False
    made = page.stat().st_mtime
    code = [Path(__file__), Path(galaxy.__file__)]
    return all(p.is_file() and p.stat().st_mtime < made for p in [*inputs, *code])


def _write_page(job: tuple) -> tuple[Path | None, str | None]:
    """Draw and write one galaxy's page; ``(path, None)`` or ``(None, one-line error)``."""
    run_dir, plateifu, rows, neighbours = job
    layout = RunLayout(run_dir)
    path = layout.galaxy_page(plateifu)
    try:
        png = _png(pd.read_parquet(layout.spaxel_table(plateifu)), rows, plateifu)
        write_bytes_atomic(path, _page(plateifu, rows, png, neighbours).encode("utf-8"))
    except (OSError, KeyError, ValueError) as exc:
        return None, f"galaxy page {plateifu}: {type(exc).__name__}: {exc}"
    return path, None


def write_galaxy_pages(
    run_dir, *, workers: int | None = 1, say: Callable[[str], None] | None = None
) -> GalaxyPages:
    """Write one page per final galaxy of the reference calibrator.

    Each page shows the paper's two calibrators when the run analysed more.

    A page newer than the galaxy tables, the galaxy's spaxel table and the code that
    draws it is kept as it is, so a second report of the same run draws no page again.

    Parameters
    ----------
    run_dir : str or path-like
        An analysed run.
    workers : int or None, optional
        Processes drawing pages (:func:`metgrad.parallel.open_executor`; None or 0:
        every core).
    say : callable, optional
        Receives a progress line every 50 pages.

    Returns
    -------
    GalaxyPages
    """
    layout = RunLayout(run_dir)
    keys = [k for k in CALIBRATORS if k in layout.analysed_calibrators()]
    if not keys:
        raise FileNotFoundError(f"{run_dir}: no analysed calibrator")
    if len(keys) > 2:  # every calibrator analysed: the pages show the paper's two, as
        keys = [k for k in keys if k in PAPER_CALIBRATORS] or keys[:2]  # `metgrad galaxy`
    tables = {
        k: pd.read_parquet(layout.analysis(k).galaxies).set_index(col.PLATEIFU) for k in keys
    }
    galaxies = tables[keys[0]].sort_index()
    layout.galaxy_pages_dir.mkdir(parents=True, exist_ok=True)
    names = list(galaxies.index)
    inputs = [layout.analysis(k).galaxies for k in keys]
    paths, errors, jobs = [], [], []
    for i, plateifu in enumerate(names):
        if _up_to_date(layout.galaxy_page(plateifu), [*inputs, layout.spaxel_table(plateifu)]):
            paths.append(layout.galaxy_page(plateifu))
            continue
        rows = {k: t.loc[plateifu] for k, t in tables.items() if plateifu in t.index}
        neighbours = (names[i - 1] if i else None, names[i + 1] if i + 1 < len(names) else None)
        jobs.append((plateifu, (str(run_dir), plateifu, rows, neighbours)))
    if say is not None and paths:
        say(f"      galaxy pages: {len(paths)} up to date, {len(jobs)} to draw")
    with open_executor(workers=min(len(jobs), resolve_workers(workers)) or 1) as executor:
        for done, (_, (path, error)) in enumerate(executor.imap_unordered(_write_page, jobs), 1):
            if error:
                errors.append(error)
            else:
                paths.append(path)
            if say is not None and done % 50 == 0:
                say(f"      galaxy pages: {done}/{len(jobs)}")
    return GalaxyPages(galaxies.reset_index(), sorted(paths), sorted(errors))


# --- the clickable mass-size plane -----------------------------------------------------------

#: Size of the plane (SVG user units = CSS pixels) and its margins (left, right, top, bottom).
PLANE_SIZE = (760, 470)
PLANE_MARGINS = (70, 120, 20, 55)


def _ticks(lo: float, hi: float) -> np.ndarray:
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(6, steps=[1, 2, 5, 10]).tick_values(lo, hi)  # 1 decimal suffices
    return ticks[(ticks >= lo) & (ticks <= hi)]


def _colour_scale(values: np.ndarray):
    """Diverging colours centred on 0 (as the paper's mass-size figures), 98 % of |values|."""
    finite = np.abs(values[np.isfinite(values)])
    half = float(np.percentile(finite, 98)) if finite.size else 0.1
    norm = CenteredNorm(0.0, halfrange=half or 0.1)
    cmap = colormaps["RdBu_r"]
    return norm, (lambda v: to_hex(cmap(norm(v))) if np.isfinite(v) else "#bbbbbb")


def _tooltip(row) -> str:
    parts = [str(row[col.PLATEIFU]), f"log M* = {row[col.LOG_MSTAR]:.2f}",
             f"log R_e = {row[col.LOG_RE]:.2f} kpc",
             f"observed gradient = {row[col.grad('obs')]:+.3f} dex/R_e"]  # fmt: skip
    for tag in ("base", "sfh"):
        if col.grad(tag) in row.index and np.isfinite(row[col.grad(tag)]):
            parts.append(f"{TAGS[tag]} gradient = {row[col.grad(tag)]:+.3f}")
    return escape("\n".join(parts))


def massize_plane_svg(galaxies: pd.DataFrame, *, relation: pd.DataFrame | None = None) -> str:
    """The final galaxies in the mass-size plane as inline SVG, each linked to its page.

    Parameters
    ----------
    galaxies : pandas.DataFrame
        ``galaxies.parquet`` of one calibrator (``plateifu``, ``log_mstar``, ``log_re``,
        ``grad_obs``, optionally ``grad_base``, ``grad_sfh``).
    relation : pandas.DataFrame, optional
        ``massize_relation.csv``: its median log R_e is drawn as a dashed step line.

    Returns
    -------
    str
        An ``<svg>`` element: one ``<a href="galaxies/PLATEIFU.html"><circle>`` per galaxy,
        coloured by the observed gradient, with a ``<title>`` tooltip.
    """
    if galaxies.empty:
        raise ValueError("no final galaxies to draw in the mass-size plane")
    width, height = PLANE_SIZE
    left, right, top, bottom = PLANE_MARGINS
    x, y = galaxies[col.LOG_MSTAR].to_numpy(float), galaxies[col.LOG_RE].to_numpy(float)
    pad_x, pad_y = 0.05 * np.ptp(x) + 0.05, 0.05 * np.ptp(y) + 0.05
    x0, x1, y0, y1 = x.min() - pad_x, x.max() + pad_x, y.min() - pad_y, y.max() + pad_y

    def px(v):
        return left + (v - x0) / (x1 - x0) * (width - left - right)

    def py(v):
        return height - bottom - (v - y0) / (y1 - y0) * (height - top - bottom)

    norm, colour = _colour_scale(galaxies[col.grad("obs")].to_numpy(float))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plane" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="final galaxies in the mass-size plane">',
           f'<rect x="{left}" y="{top}" width="{width - left - right}" '
           f'height="{height - top - bottom}" fill="none" stroke="#333"/>']  # fmt: skip
    for t in _ticks(x0, x1):
        out.append(f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{height - bottom}" '
                   f'y2="{height - bottom - 5}" stroke="#333"/><text x="{px(t):.1f}" '
                   f'y="{height - bottom + 16}" text-anchor="middle">{t:.1f}</text>')  # fmt: skip
    for t in _ticks(y0, y1):
        out.append(f'<line x1="{left}" x2="{left + 5}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
                   f'stroke="#333"/><text x="{left - 6}" y="{py(t) + 4:.1f}" '
                   f'text-anchor="end">{t:.1f}</text>')  # fmt: skip
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 12}" '
               f'text-anchor="middle">log M* (M☉)</text><text transform="translate(18 '
               f'{(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">'
               f"log R_e (kpc)</text>")  # fmt: skip
    if relation is not None and len(relation):
        steps = [(px(a), py(m)) for lo, hi, m in relation[["log_mstar_lo", "log_mstar_hi",
                 "median_log_re"]].itertuples(index=False) if np.isfinite(m)
                 for a in (lo, hi)]  # fmt: skip
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in steps)
        out.append(f'<polyline points="{points}" fill="none" stroke="#555" '
                   f'stroke-dasharray="5 3"><title>median log R_e in bins of log M*</title>'
                   f"</polyline>")  # fmt: skip
    for row in galaxies.to_dict(orient="records"):
        row = pd.Series(row)
        p = escape(str(row[col.PLATEIFU]))
        out.append(f'<a href="{page_name(p)}"><circle id="pt-{p}" '
                   f'cx="{px(row[col.LOG_MSTAR]):.1f}" '
                   f'cy="{py(row[col.LOG_RE]):.1f}" r="5" fill="{colour(row[col.grad("obs")])}">'
                   f"<title>{_tooltip(row)}</title></circle></a>")  # fmt: skip
    out.append(_colour_bar(norm, colour, width - right + 30, top, height - top - bottom))
    out.append("</svg>")
    return "\n".join(out)


def _colour_bar(norm, colour, x: float, top: float, height: float) -> str:
    """A vertical colour bar of the observed gradient at (x, top)."""
    lo, hi, n = norm.vmin, norm.vmax, 40
    parts = []
    for i in range(n):
        v = hi - (i + 0.5) * (hi - lo) / n
        parts.append(f'<rect x="{x}" y="{top + i * height / n:.1f}" width="14" '
                     f'height="{height / n + 0.5:.1f}" fill="{colour(v)}"/>')  # fmt: skip
    for t in _ticks(lo, hi):
        yy = top + (hi - t) / (hi - lo) * height
        parts.append(f'<text x="{x + 18}" y="{yy + 4:.1f}">{t:+.2f}</text>')
    parts.append(f'<text transform="translate({x + 72} {top + height / 2}) rotate(-90)" '
                 f'text-anchor="middle">observed gradient (dex/R_e)</text>')  # fmt: skip
    return "\n".join(parts)
