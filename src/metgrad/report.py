"""One self-contained ``report.html`` for a run: inputs, sample, tables, figures, headline numbers.

The report reads only the files that ingest and analyse wrote (and the
figures drawn from them by :mod:`metgrad.figures`); figures are embedded as
base64 PNG, the page has no external links or scripts and opens offline.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterable
from os import PathLike
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .atomic import write_bytes_atomic
from .calibration import CALIBRATORS, REFERENCE
from .layout import AnalysisLayout, RunLayout
from .models import MODEL_SETS
from .paper_values import (
    MODEL_NAMES,
    PAPER_CITATION,
    PAPER_HEADLINES,
    PAPER_TABLE1,
    PAPER_TABLEA1,
    SOFTWARE_CITATION,
    TABLE_ORDER,
)
from .results import check_analysis

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
        return _scientific(v)
    if v == int(v) and abs(v) >= 10:
        return f"{int(v):d}"
    if abs(v) < 1:
        return f"{v:.{digits}f}"
    return f"{v:.{digits}g}"


def _scientific(value: float) -> Markup:
    """A large number as the paper prints it: ``1.14 × 10<sup>7</sup>`` (3 significant digits).

    The spaces are non-breaking, so a table cell never splits the number.
    """
    mantissa, exponent = f"{value:.2e}".split("e")
    return Markup(f"{mantissa}\u00a0×\u00a010<sup>{int(exponent)}</sup>")  # one unbroken number


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
    """A JSON file of the run ({} if absent); a ValueError naming it if unreadable."""
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: not readable JSON ({exc})") from None


def _table_rows(frame: pd.DataFrame, paper: dict | None, order: tuple[str, ...]) -> list[dict]:
    """Rows of Table 1 or A1 in the paper's order (others after), lowest BIC marked."""
    rank = {name: i for i, name in enumerate(order)}
    frame = frame.assign(_rank=frame["model"].map(rank).fillna(len(order)))
    frame = frame.sort_values("_rank", kind="stable")
    best = frame.loc[frame["bic"].idxmin(), "model"] if frame["bic"].notna().any() else None
    rows = []
    for rec in frame.to_dict(orient="records"):
        name = rec["model"]
        rows.append(
            {
                "model": MODEL_NAMES.get(name, name),
                "parameters": _pretty(", ".join(MODEL_SETS[name].parameters))
                if name in MODEL_SETS
                else "",
                "median_residual": _fmt(rec["median_residual"]),
                "residual_dispersion": _fmt(rec["residual_dispersion"]),
                "chi2": _fmt(rec["chi2"]),
                "k": _fmt(int(rec["k"])),
                "bic": _fmt(rec["bic"]),
                "best": name == best,
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
                    "rows": _table_rows(frame, paper, TABLE_ORDER.get(name, ())),
                    "paper": paper is not None,
                }
            )
    repeats = pd.read_csv(folder.repeats) if folder.repeats.is_file() else pd.DataFrame()
    summary = _read_json(folder.summary)
    return {
        "key": key,
        "label": CALIBRATORS[key].label if key in CALIBRATORS else key,
        "steps": steps,
        "repeats": {
            "galaxies": int(repeats["mangaid"].nunique()) if len(repeats) else 0,
            "dropped": int(summary.get("n_repeat_observations_dropped", 0)),
            "rule": str(repeats["rule"].iloc[0]) if len(repeats) else "",
        },
        "tables": tables,
        "summary": summary,
    }


def _quiet(message: str) -> None:
    """The default ``say``: the report says nothing."""


def _figures(
    run_dir: Path, fig_dir: Path, *, draw: bool, say, calibrators=(), ids=None
) -> list[dict]:
    """Draw (or reuse) every registered figure (those of ``ids`` only, if given), and the
    Appendix B figures of every other calibrator of ``calibrators``; one warning line for
    each not drawn."""
    from .figures import FIGURES, draw_figures, figure_specs

    specs = figure_specs(calibrators)
    status = {}
    if draw:
        ids = None if ids is None else list(ids)
        say(f"      drawing {len(specs) if ids is None else len(ids)} figures -> {fig_dir}")
        drawn = draw_figures(run_dir, out_dir=fig_dir, calibrators=calibrators, ids=ids)
        status = {d.spec.id: d for d in drawn}
    figures = []
    for spec in specs:
        png = fig_dir / f"{spec.id}.png"
        pdf = fig_dir / f"{spec.id}.pdf"
        error = status[spec.id].error if spec.id in status else None
        data = base64.b64encode(png.read_bytes()).decode() if png.is_file() and not error else ""
        if not data and not error:
            error = "no PNG found (draw the figures first)"
        if error:
            say(f"warning: Figure {spec.number} ({spec.id}) not drawn: {error}")
        figures.append(
            {
                "id": spec.id,
                "number": spec.number,
                "title": spec.title,
                "caption": spec.caption,
                "calibrator": spec.calibrator,
                "other_calibrator": spec not in FIGURES,
                "massize": spec.draw.__module__.endswith(".massize"),
                "data": data,
                "error": error,
                "pdf": str(pdf.relative_to(run_dir)) if pdf.is_file() else "",
            }
        )
    return figures


def _appendix_b(figures: list[dict]) -> list[dict]:
    """The Appendix B figures of the calibrators after M13 and PG16, one block each."""
    blocks: dict[str, dict] = {}
    for fig in figures:
        if fig["other_calibrator"]:
            key = fig["calibrator"]
            label = CALIBRATORS[key].label if key in CALIBRATORS else key
            blocks.setdefault(key, {"key": key, "label": label, "figures": []})
            blocks[key]["figures"].append(fig)
    return list(blocks.values())


def _recovery(run_dir: Path, say) -> list[dict] | None:
    """The recovered-versus-injected checks of a synthetic run, as template rows."""
    from .recovery import recovery_checks, truth_dir

    if truth_dir(run_dir) is None:  # real data: nothing injected to check against
        return None
    say("      checking the analysis against the injected truth")
    rows = []
    try:
        checks = recovery_checks(run_dir)
    except (ValueError, OSError, KeyError) as exc:  # the report is drawn all the same
        say(f"warning: the recovered-versus-injected checks could not run: {exc}")
        return None
    for check in checks:
        tol = check.tolerance
        low = "−∞" if not math.isfinite(tol.low) else f"{tol.low:g}"
        high = "+∞" if not math.isfinite(tol.high) else f"{tol.high:g}"
        rows.append(
            {
                "calibrator": CALIBRATORS[check.calibrator].label,
                "title": _pretty(check.title),
                "quantity": check.quantity,
                "value": _fmt(check.value) if math.isfinite(check.value) else "—",
                "tolerance": f"[{low}, {high}]",
                "status": check.status,
                "n": check.n,
                "basis": check.note or tol.basis,
            }
        )
        if check.status == "FAIL":
            say(f"warning: recovery check failed: {check.calibrator} {check.key} = "
                f"{check.value:.4g} outside [{low}, {high}]")  # fmt: skip
    return rows


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"


def _section_figure(
    layout: RunLayout, stem: str, draw_fig: Callable, source: Path, *, draw: bool, say
) -> dict:
    """Draw one figure of a report section from ``source`` (or reuse its PNG), for embedding.

    Written as ``RUN/report/figures/<stem>.png`` and ``.pdf`` like the registered
    figures; a figure that cannot be drawn gives a one-line ``error`` (and a warning)
    instead.
    """
    from .figures import save_figure

    root, fig_dir = layout.root, layout.figures_dir
    fig_dir.mkdir(parents=True, exist_ok=True)
    png = fig_dir / f"{stem}.png"
    error = None
    if draw:
        try:
            save_figure(draw_fig(source), fig_dir / stem, ("png", "pdf"))
        except Exception as exc:  # one figure must not stop the report
            for suffix in (".png", ".pdf"):  # no stale file may pass for this run's figure
                (fig_dir / f"{stem}{suffix}").unlink(missing_ok=True)
            error = _one_line(exc)
    data = base64.b64encode(png.read_bytes()).decode() if png.is_file() and not error else ""
    if not data and not error:
        error = "no PNG found (draw the figures first)"
    if error:
        say(f"warning: figure {stem} not drawn: {error}")
    pdf = fig_dir / f"{stem}.pdf"
    shown = str(pdf.relative_to(root)) if pdf.is_file() else ""
    return {"id": stem, "data": data, "error": error, "pdf": shown}


def _calibrators_section(layout: RunLayout, *, draw: bool, say) -> dict | None:
    """Every analysed calibrator side by side (``analysis/calibrators.csv`` and friends)."""
    from .figures.calibrators import (
        MASS_BIN_DEX,
        MIN_GALAXIES_PER_BIN,
        draw_gradient_against_mass,
    )

    if not layout.calibrator_comparison.is_file():
        return None
    summary = pd.read_csv(layout.calibrator_comparison)
    rows = []
    for rec in summary.to_dict(orient="records"):
        err = rec["size_coefficient_err"]
        rows.append(
            {
                "key": rec["calibrator"],
                "label": rec["label"],
                "scale": rec["scale"],
                "n": _fmt(int(rec["n_galaxies"])),
                "median_gradient": _fmt(rec["median_gradient"]),
                "difference_median": _fmt(rec["gradient_difference_median"]),
                "difference_dispersion": _fmt(rec["gradient_difference_dispersion"]),
                "best": MODEL_NAMES.get(rec["best_model_bic"], rec["best_model_bic"]),
                "sfh_lowest": _yes_no(rec["sfh_lowest_bic"]),
                "size": f"{_fmt(rec['size_coefficient'])} ± {_fmt(err)}",
                "size_dependent": _yes_no(rec["offsets_size_dependent"]),
            }
        )
    labels = dict(zip(summary["calibrator"], summary["label"], strict=True))
    table1 = []
    if layout.table1_by_calibrator.is_file():
        frame = pd.read_csv(layout.table1_by_calibrator)
        order = TABLE_ORDER.get("table1", ())
        for key, t in frame.groupby("calibrator", sort=False):
            rows1 = _table_rows(t.reset_index(drop=True), None, order)
            table1.append({"label": labels.get(key, key), "rows": rows1})
    figure = None
    if layout.gradients_by_calibrator.is_file():
        figure = _section_figure(
            layout, "calibrators_gradient_mass", draw_gradient_against_mass, layout.root,
            draw=draw, say=say,
        )  # fmt: skip
    reference = rows[0]["label"] if rows else ""
    caption = (
        f"Median observed gradient (0.5-2 R_e) of the reference calibrator's final galaxies in "
        f"{MASS_BIN_DEX:g} dex bins of log M* (bins of at least {MIN_GALAXIES_PER_BIN} "
        "galaxies), one line per calibrator; photoionisation-scale calibrators dashed, "
        "Te-scale solid."
    )
    return {"rows": rows, "reference": reference, "table1": table1, "figure": figure,
            "caption": caption}  # fmt: skip


def _yes_no(value) -> str:
    if isinstance(value, str):
        value = value.strip().lower() == "true"
    return "yes" if bool(value) else "no"


#: The learn figures of the report: file-stem suffix, title, draw function name, caption.
_LEARN_FIGURES = (
    (
        "importance",
        "Permutation importance of the best learned model",
        "draw_importance",
        "Held-out residual dispersion lost (dex) when a feature (blue) or a group of correlated "
        "features (orange) is permuted, mean and spread over the folds.",
    ),
    (
        "gradient_maps",
        "Fig 10 redrawn for held-out galaxies",
        "draw_gradient_maps",
        "LOESS-smoothed observed gradients and those predicted by the base, SFH and best "
        "learned models, each galaxy predicted by models that never saw it.",
    ),
    (
        "offset_maps",
        "Fig 11 redrawn for held-out galaxies",
        "draw_offset_maps",
        "LOESS-smoothed gradient offsets (observed minus predicted) of the same models, "
        "divided by the ROBUST_SIGMA of the base-model offsets.",
    ),
    (
        "offset_size",
        "Gradient offsets against the mass-size offset",
        "draw_offset_against_size",
        "Median gradient offset of every model in sextiles of the offset from the median "
        "mass-size relation: a flat line means the model leaves no size-dependent offset.",
    ),
    (
        "partial_dependence",
        "Partial dependence on the top features",
        "draw_partial_dependence",
        "Mean predicted 12+log(O/H) of the best learned model against each of its four most "
        "important features (5th-95th percentiles), grey: spread over the folds.",
    ),
)

#: Columns of ``learn/<calibrator>/scores.csv`` shown in the report, with their headings.
_SCORE_COLUMNS = (
    ("n_galaxies", "galaxies"),
    ("n_spaxels", "spaxels"),
    ("coverage", "coverage"),
    ("oof_median_residual", "median residual (dex)"),
    ("oof_residual_dispersion", "residual dispersion (dex)"),
    ("oof_chi2_per_spaxel", "χ² per spaxel"),
    ("gradient_offset_median", "median gradient offset (dex/R<sub>e</sub>)"),
    ("gradient_offset_dispersion", "gradient offset dispersion (dex/R<sub>e</sub>)"),
    ("gradient_offset_size_slope", "offset vs size slope (dex/R<sub>e</sub> per dex)"),
)


def _learn_section(layout: RunLayout, *, draw: bool, say) -> dict:
    """The learned local relations of every calibrator with a ``learn/<calibrator>/``."""
    from .learn import figures as learn_figures

    folders = [layout.learn_dir(k) for k in CALIBRATORS]
    folders = [f for f in folders if (f / "scores.csv").is_file()]
    learned = []
    for folder in folders:
        scores = pd.read_csv(folder / "scores.csv")
        has_learned = (scores["kind"] == "learned").any()
        best = learn_figures.best_learned_model(folder) if has_learned else ""
        rows = [
            {
                "model": rec["model"],
                "kind": rec["kind"],
                "features": _pretty(", ".join(str(rec["features"]).split(";"))),
                "cells": [_fmt(rec.get(col)) for col, _ in _SCORE_COLUMNS],
                "best": rec["model"] == best,
            }
            for rec in scores.to_dict(orient="records")
        ]
        figures = [
            {"title": title, "caption": caption,
             **_section_figure(layout, f"learn_{folder.name}_{stem}",
                               getattr(learn_figures, name), folder, draw=draw, say=say)}
            for stem, title, name, caption in _LEARN_FIGURES
        ]  # fmt: skip
        key = folder.name
        learned.append({"label": CALIBRATORS[key].label, "key": key, "best": best,
                        "rows": rows, "figures": figures,
                        "summary": _read_json(folder / "summary.json")})  # fmt: skip
    return {"calibrators": learned, "columns": [Markup(h) for _, h in _SCORE_COLUMNS]}


def _galaxy_plane(run_dir: Path, *, pages: bool, workers: int | None, say) -> dict | None:
    """Write the galaxy pages; return the clickable mass-size plane (inline SVG)."""
    from .galaxy_pages import massize_plane_svg, write_galaxy_pages

    if not pages:
        return None
    layout = RunLayout(run_dir)
    say(f"      galaxy pages -> {layout.galaxy_pages_dir}")
    written = write_galaxy_pages(run_dir, workers=workers, say=say)
    for error in written.errors:
        say(f"warning: {error}")
    reference = layout.analysis(REFERENCE)
    relation = (
        pd.read_csv(reference.massize_relation) if reference.massize_relation.is_file() else None
    )
    ok = {p.stem for p in written.paths}
    shown = written.galaxies[written.galaxies["plateifu"].isin(ok)]
    svg = massize_plane_svg(shown, relation=relation) if len(shown) else ""
    return {"svg": Markup(svg), "n": len(shown), "errors": written.errors}


def build_report(
    run_dir: str | PathLike[str],
    *,
    out_path: str | PathLike[str] | None = None,
    draw: bool = True,
    pages: bool = True,
    appendix_b: bool = True,
    figure_ids: Iterable[str] | None = None,
    workers: int | None = 1,
    say: Callable[[str], None] | None = None,
) -> Path:
    """Write ``report.html`` for an analysed run.

    Parameters
    ----------
    run_dir : str or path-like
        A run folder with ``manifest.json`` (ingest) and ``analysis/`` (analyse).
    out_path : str or path-like, optional
        Where to write (default ``RUN/report/report.html``). The galaxy pages go to
        ``RUN/report/galaxies/``, linked relative to the default place.
    draw : bool, optional
        Draw the figures (PNG and PDF under ``RUN/report/figures/``); if False,
        embed the PNGs already there.
    pages : bool, optional
        Write one page per final galaxy and the clickable mass-size plane.
    appendix_b : bool, optional
        Draw and show Figs B1-B7 of every analysed calibrator besides M13 (the
        main-text figures) and PG16 (the paper's Appendix B, always drawn): 7 figures
        per calibrator, about 0.5 s each on an idle core.
    figure_ids : iterable of str, optional
        With ``draw``: the registered figures (ids of :func:`metgrad.figures.figure_specs`)
        to draw; the others are embedded from the PNGs already in ``RUN/report/figures/``,
        as with ``draw=False`` (default: draw every one). The figures of the report's own
        sections are drawn whenever ``draw`` is True.
    workers : int or None, optional
        Processes drawing the galaxy pages (None or 0: every core).
    say : callable, optional
        Receives progress lines and one ``warning: ...`` line per figure that could
        not be drawn (default: silent).

    Returns
    -------
    Path
        The report written.
    """
    say = say or _quiet
    run_dir = Path(run_dir)
    layout = RunLayout(run_dir)
    analysis_dir = layout.analysis_dir
    if not analysis_dir.is_dir():
        raise FileNotFoundError(f"{run_dir}: no analysis/ folder (run `metgrad analyse` first)")
    out_path = Path(out_path) if out_path is not None else layout.report_html

    ingest = _read_json(layout.manifest)
    analysis = check_analysis(layout)  # every calibrator folder of this one analysis
    keys = [k for k in CALIBRATORS if k in layout.analysed_calibrators()]
    calibrators = [c for c in (_calibrator_context(layout, k) for k in keys) if c]
    if not calibrators:
        raise FileNotFoundError(f"{analysis_dir}: no calibrator results (summary.json) found")

    others = keys if appendix_b else ()
    figures = _figures(run_dir, layout.figures_dir, draw=draw, say=say, calibrators=others,
                       ids=figure_ids)  # fmt: skip
    appendix_b = _appendix_b(figures)
    figures = [f for f in figures if not f["other_calibrator"]]
    recovery = _recovery(run_dir, say)
    plane = _galaxy_plane(run_dir, pages=pages, workers=workers, say=say)
    every_calibrator = _calibrators_section(layout, draw=draw, say=say)
    learned = _learn_section(layout, draw=draw, say=say)
    headlines = []
    for path, description, paper, where in PAPER_HEADLINES:
        values = [_fmt(_lookup(c["summary"], path)) for c in calibrators]
        headlines.append(
            {"description": description, "cells": values, "paper": _fmt(paper), "where": where}
        )
    versions = analysis.get("versions") or ingest.get("versions") or {}
    html = (
        _environment()
        .get_template("report.html.j2")
        .render(
            run_name=run_dir.resolve().name
            if run_dir.name != "run"
            else run_dir.resolve().parent.name,
            run_dir=str(run_dir),
            synthetic=recovery is not None,
            versions=versions,
            calibrators=calibrators,
            headlines=headlines,
            figures=figures,
            recovery=recovery,
            plane=plane,
            every_calibrator=every_calibrator,
            appendix_b=appendix_b,
            learned=learned,
            paper_citation=PAPER_CITATION,
            software_citation=f"{SOFTWARE_CITATION}, version {versions.get('metgrad', '?')}",
            **_inputs_context(layout, ingest, analysis),
        )
    )
    write_bytes_atomic(out_path, html.encode("utf-8"))
    say(f"      report -> {out_path}")
    return out_path


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("metgrad", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _inputs_context(layout: RunLayout, ingest: dict, analysis: dict) -> dict:
    """Inputs, counts, configuration and failures of the run, for the template."""
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
    failures_path = layout.failures
    failures = pd.read_csv(failures_path).fillna("") if failures_path.is_file() else pd.DataFrame()
    return {
        "catalog_inputs": catalog_inputs,
        "ingest_counts": list(counts.items()),
        "config_sections": [(sec, list(values.items())) for sec, values in config.items()],
        "failures": failures.head(50).to_dict(orient="records"),
        "n_failures": len(failures),
    }
