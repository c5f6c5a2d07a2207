"""One self-contained ``report.html`` for a run: inputs, sample, tables, figures, headline numbers.

The report reads only the files that ingest and analyse wrote (and the
figures drawn from them by :mod:`metgrad.figures`); figures are embedded as
base64 PNG, the page has no external links or scripts and opens offline.
"""

from __future__ import annotations

import base64
import json
import math
from os import PathLike
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .atomic import write_bytes_atomic
from .calibration import CALIBRATORS, REFERENCE
from .layout import AnalysisLayout, RunLayout
from .models import MODEL_SETS
from .paper_values import PAPER_HEADLINES, PAPER_TABLE1, PAPER_TABLEA1

__all__ = ["build_report"]


def _fmt(value, digits: int = 4) -> str:
    """Numbers as a reader wants them: integers plain, dex to 4 decimals, large in e-notation."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:d}"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "—"
    if abs(v) >= 1e5:
        return f"{v:.3g}"
    if v == int(v) and abs(v) >= 10:
        return f"{int(v):d}"
    if abs(v) < 1:
        return f"{v:.{digits}f}"
    return f"{v:.{digits}g}"


_PRETTY = (("Sigma_*", "Σ*"), ("EW(Halpha)", "EW(Hα)"), ("t_LW", "t_LW"))


def _pretty(text: str) -> str:
    for plain, nice in _PRETTY:
        text = text.replace(plain, nice)
    return text


def _lookup(summary: dict, path: str):
    value = summary
    for part in path.split("."):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
        if value is None:
            return None
    return value


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def _table_rows(frame: pd.DataFrame, paper: dict | None) -> list[dict]:
    rows = []
    for rec in frame.to_dict(orient="records"):
        name = rec["model"]
        rows.append(
            {
                "model": name,
                "parameters": _pretty(", ".join(MODEL_SETS[name].parameters))
                if name in MODEL_SETS
                else "",
                "median_residual": _fmt(rec["median_residual"]),
                "residual_dispersion": _fmt(rec["residual_dispersion"]),
                "chi2": _fmt(rec["chi2"]),
                "k": _fmt(int(rec["k"])),
                "bic": _fmt(rec["bic"]),
                "paper": [_fmt(v) for v in paper[name]] if paper and name in paper else ["—"] * 4,
            }
        )
    return rows


def _calibrator_context(layout: RunLayout, key: str) -> dict | None:
    folder: AnalysisLayout = layout.analysis(key)
    if not folder.summary.is_file():
        return None
    steps = pd.read_csv(folder.sample_steps).to_dict(orient="records")
    tables = []
    for name, title, paper in (
        ("table1", "Table 1", PAPER_TABLE1 if key == REFERENCE else None),
        ("tableA1", "Table A1", PAPER_TABLEA1 if key == REFERENCE else None),
    ):
        path = getattr(folder, name)
        if path.is_file():
            frame = pd.read_csv(path)
            tables.append(
                {
                    "title": title,
                    "n": _fmt(int(frame["n"].iloc[0])),
                    "ln_n": _fmt(float(frame["ln_n"].iloc[0])),
                    "rows": _table_rows(frame, paper),
                    "paper": paper is not None,
                }
            )
    return {
        "key": key,
        "label": CALIBRATORS[key].label if key in CALIBRATORS else key,
        "steps": steps,
        "tables": tables,
        "summary": _read_json(folder.summary),
    }


def build_report(
    run_dir: str | PathLike[str],
    *,
    out_path: str | PathLike[str] | None = None,
    draw: bool = True,
) -> Path:
    """Write ``report.html`` for an analysed run.

    Parameters
    ----------
    run_dir : str or path-like
        A run folder with ``manifest.json`` (ingest) and ``analysis/`` (analyse).
    out_path : str or path-like, optional
        Where to write (default ``RUN/report/report.html``).
    draw : bool, optional
        Draw the figures (PNG and PDF under ``RUN/report/figures/``); if False,
        embed the PNGs already there.

    Returns
    -------
    Path
        The report written.
    """
    from .figures import FIGURES, draw_figures

    run_dir = Path(run_dir)
    layout = RunLayout(run_dir)
    analysis_dir = layout.analysis_dir
    if not analysis_dir.is_dir():
        raise FileNotFoundError(f"{run_dir}: no analysis/ folder (run `metgrad analyse` first)")
    out_path = Path(out_path) if out_path is not None else layout.report_html
    fig_dir = layout.figures_dir

    ingest = _read_json(layout.manifest)
    analysis = _read_json(layout.analysis_manifest)
    keys = [k for k in CALIBRATORS if k in layout.analysed_calibrators()]
    calibrators = [c for c in (_calibrator_context(layout, k) for k in keys) if c]
    if not calibrators:
        raise FileNotFoundError(f"{analysis_dir}: no calibrator results (summary.json) found")

    if draw:
        drawn = draw_figures(run_dir, out_dir=fig_dir)
        status = {d.spec.id: d for d in drawn}
    else:
        status = {}
    figures = []
    for spec in FIGURES:
        png = fig_dir / f"{spec.id}.png"
        pdf = fig_dir / f"{spec.id}.pdf"
        error = status[spec.id].error if spec.id in status else None
        data = base64.b64encode(png.read_bytes()).decode() if png.is_file() and not error else ""
        if not data and not error:
            error = "no PNG found (draw the figures first)"
        figures.append(
            {
                "id": spec.id,
                "number": spec.number,
                "title": spec.title,
                "caption": spec.caption,
                "calibrator": spec.calibrator,
                "data": data,
                "error": error,
                "pdf": str(pdf.relative_to(run_dir)) if pdf.is_file() else "",
            }
        )

    headlines = []
    for path, description, paper, where in PAPER_HEADLINES:
        values = [_fmt(_lookup(c["summary"], path)) for c in calibrators]
        headlines.append(
            {"description": description, "cells": values, "paper": _fmt(paper), "where": where}
        )
    inputs = ingest.get("inputs", {})
    catalog_inputs = [
        (k, inputs[k]) for k in ("drpall", "gswlc") if isinstance(inputs.get(k), dict)
    ]
    counts = dict(ingest.get("counts", {}))
    counts.update({k: inputs[k] for k in ("n_maps_files", "n_pipe3d_files") if k in inputs})
    config = dict(analysis.get("config") or ingest.get("config") or {})
    for section in ("inputs", "output"):  # analyse does not record where the files were
        if section in ingest.get("config", {}):
            config[section] = ingest["config"][section]
    config_sections = [
        (section, [(k, v) for k, v in values.items()]) for section, values in config.items()
    ]
    failures_path = layout.failures
    failures = pd.read_csv(failures_path).fillna("") if failures_path.is_file() else pd.DataFrame()
    synthetic = (run_dir.parent / "truth" / "relations.json").is_file()

    env = Environment(
        loader=PackageLoader("metgrad", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = env.get_template("report.html.j2").render(
        run_name=run_dir.resolve().name
        if run_dir.name != "run"
        else run_dir.resolve().parent.name,
        run_dir=str(run_dir),
        synthetic=synthetic,
        versions=analysis.get("versions") or ingest.get("versions") or {},
        catalog_inputs=catalog_inputs,
        ingest_counts=list(counts.items()),
        config_sections=config_sections,
        calibrators=calibrators,
        headlines=headlines,
        figures=figures,
        failures=failures.head(50).to_dict(orient="records"),
        n_failures=len(failures),
    )
    write_bytes_atomic(out_path, html.encode("utf-8"))
    return out_path
