"""``metgrad galaxy MAPS [--pipe3d CUBE] [--json]``: a quick look at one galaxy.

Reads one DAP MAPS file (and optionally its Pipe3D cube), applies the
selection cuts, fits the observed gradient for each calibrator (exact LAD
with a residual bootstrap, as the survey analysis does) and prints the cut
counts and gradients, as text or as one JSON object. Without ``--json`` it
also draws a PNG with the O/H map and the radial profile.

Galaxy-level values come from the MAPS primary header unless given: the
redshift from ``SCINPVEL / c`` and b/a from ``1 - ECOOELL`` (the DAP takes
both ellipse parameters from the NSA, as the paper does).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..calibration import CALIBRATORS, PAPER_CALIBRATORS, get
from ..config import RunConfig, load_config
from ..galaxy import calibrator_rows, galaxy_gradient, galaxy_spaxels, read_galaxy_files
from ..io.errors import InputFileError
from ..safepaths import figure_path
from ..spaxels import CUTS, GalaxyInfo, SpaxelTable

__all__ = ["add_arguments", "galaxy_summary", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument("maps", type=Path, help="DAP MAPS file (.fits or .fits.gz)")
    parser.add_argument("--pipe3d", type=Path, help="Pipe3D cube of the same galaxy")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    parser.add_argument(
        "--png",
        type=Path,
        help="file (or existing folder) to draw the map and profile in (default: PLATEIFU.png)",
    )
    parser.add_argument("--z", type=float, help="redshift (default: SCINPVEL / c from MAPS)")
    parser.add_argument("--ba", type=float, help="axis ratio b/a (default: 1 - ECOOELL)")
    parser.add_argument(
        "--config",
        type=Path,
        help="TOML with [selection], [physics], [gradients] options and [analysis] oh_range "
        "(the M13 range for every calibrator, or each one's own)",
    )
    parser.add_argument(
        "--calibrator",
        action="append",
        metavar="NAME",
        help="calibrator whose gradient to fit (repeatable; a registry name such as "
        "C20_O3N2, or a key such as m13); 'all' (default) for every one the file's lines "
        "allow. The PNG shows M13 and PG16 unless calibrators are named.",
    )


def _chosen(st: SpaxelTable, names) -> list:
    """The calibrators asked for (default: every one the table holds), as Calibrator entries."""
    present = [c for c in CALIBRATORS.values() if c.oh_column in st.columns]
    if not names or "all" in names:
        return present
    chosen = [get(name) for name in names]
    missing = [c.name for c in chosen if c not in present]
    if missing:
        raise ValueError(
            f"{', '.join(missing)}: the MAPS file lacks lines these calibrators need; "
            f"available: {', '.join(c.name for c in present)}"
        )
    return chosen


def galaxy_summary(
    st: SpaxelTable, *, config: RunConfig, plateifu: str, calibrators=None
) -> dict[str, object]:
    """Cut counts and one observed gradient per calibrator, as a JSON-ready dict.

    Each calibrator is keyed by its registry name (``"M13_O3N2"``, ``"C20_N2"``,
    ...) with ``n_spaxels``, ``slope``, ``slope_err`` (dex/R_e), ``intercept``
    (dex), its ``key``, abundance ``scale`` and, if double-valued, the spaxels on
    each ``branches``. A calibrator's sample is the selected spaxels (the M13 range
    defines it for every calibrator, or with ``[analysis] oh_range = "own"`` its own
    validity range) with a finite metallicity; with fewer than
    ``selection.min_spaxels`` of them its gradient is null.

    Parameters
    ----------
    calibrators : iterable of str, optional
        Names or keys (default: every calibrator the table holds).
    """
    out: dict[str, object] = {
        "plateifu": plateifu,
        "mode": st.mode,
        "skipped_cuts": list(st.skipped_cuts),
        "cuts": st.cut_counts(),
        "seed": config.gradients.seed,
        "n_bootstrap": config.gradients.n_bootstrap,
        "oh_range": config.analysis.oh_range,
        "units": {"slope": "dex/Re", "intercept": "dex (12+log(O/H) at R=0)"},
    }
    for cal in _chosen(st, calibrators):
        n, g = galaxy_gradient(
            st, cal.oh_column, stream=f"observed-{cal.key}", seed=config.gradients.seed,
            n_bootstrap=config.gradients.n_bootstrap, min_spaxels=config.selection.min_spaxels,
            oh_range=config.analysis.oh_range,
        )  # fmt: skip
        entry: dict[str, object] = {"key": cal.key, "scale": cal.scale, "n_spaxels": n}
        if g is not None:
            entry.update(slope=g.slope, slope_err=g.slope_err, intercept=g.intercept)
        else:
            entry.update(slope=None, slope_err=None, intercept=None)
            entry["note"] = f"fewer than {config.selection.min_spaxels} selected spaxels"
        if cal.branched:
            used = calibrator_rows(st.table, cal.oh_column, oh_range=config.analysis.oh_range)
            codes = st.table.loc[used, cal.branch_column]
            entry["branches"] = {"upper": int((codes == 1).sum()),
                                 "lower": int((codes == -1).sum())}  # fmt: skip
        out[cal.name] = entry
    return out


def _text(summary: dict) -> str:
    cuts = summary["cuts"]
    skipped = summary["skipped_cuts"]
    lines = [
        f"{summary['plateifu']}  mode: {summary['mode']}"
        + (f"  (skipped cuts: {', '.join(skipped)})" if skipped else ""),
        f"  covered spaxels: {cuts['covered']}   selected: {cuts['selected']}",
        "  cut        fails   first to reject",
    ]
    for cut in CUTS:
        lines.append(f"  {cut:<9} {cuts[f'fail_{cut}']:>6}   {cuts[f'first_{cut}']:>6}")
    if summary["oh_range"] == "own":
        lines.append("  O/H range: each calibrator's own (the oh_m13 cut is not applied)")
    for name in (c.name for c in CALIBRATORS.values() if c.name in summary):
        e = summary[name]
        if e["slope"] is None:
            lines.append(f"  {name:<13} n={e['n_spaxels']}: {e['note']}")
        else:
            lines.append(
                f"  {name:<13} n={e['n_spaxels']}: gradient {e['slope']:+.4f} "
                f"+/- {e['slope_err']:.4f} dex/Re, 12+log(O/H)(0) = {e['intercept']:.3f}"
                f"  [{e['scale']}]"
            )
    return "\n".join(lines)


def _plot(st: SpaxelTable, summary: dict, shape: tuple[int, int], path: Path) -> None:
    from ..figures._style import save_figure
    from ..figures.galaxy import draw_galaxy

    shown = [c for c in CALIBRATORS.values() if c.name in summary]
    if len(shown) > 2:  # every calibrator: the profile shows the paper's two
        shown = [c for c in shown if c.key in PAPER_CALIBRATORS] or shown[:2]
    gradients = {c.key: summary[c.name] for c in shown}
    fig = draw_galaxy(st.table, gradients, shape=shape, plateifu=summary["plateifu"],
                      oh_range=summary["oh_range"])  # fmt: skip
    save_figure(fig, path.with_suffix(""), [path.suffix.lstrip(".") or "png"])


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit status."""
    config = load_config(args.config) if args.config else RunConfig()
    if args.maps.suffix.lower() == ".toml":
        raise ValueError(
            f"{args.maps.name}: a TOML configuration, not a MAPS file: `metgrad galaxy` takes one "
            f"DAP MAPS file; for a survey run `metgrad run {args.maps.name}`"
        )
    files = read_galaxy_files(args.maps, args.pipe3d)  # the cube is checked to be the galaxy's
    dap = files.dap
    z = args.z if args.z is not None else dap.redshift
    ba = args.ba if args.ba is not None else dap.axis_ratio
    if not np.isfinite(z):
        raise ValueError(f"{args.maps.name}: no SCINPVEL in the header; give --z")
    if args.z is None and not z > 0:  # header values: the message names the file
        raise InputFileError(args.maps, f"SCINPVEL gives redshift {z:.6g} <= 0; give --z")
    if args.ba is None and not 0 < ba <= 1:
        raise InputFileError(args.maps, f"ECOOELL gives b/a = {ba:.6g}, not in (0, 1]; give --ba")
    info = GalaxyInfo(dap.plateifu, z=z, ba=ba, re_arcsec=dap.reff_arcsec)
    st = galaxy_spaxels(files, info, selection=config.selection, physics=config.physics)
    summary = galaxy_summary(
        st, config=config, plateifu=dap.plateifu, calibrators=args.calibrator
    )
    summary["z"], summary["ba"] = float(z), float(ba)
    if args.json:  # the JSON alone on stdout; a PNG only when --png asks for one
        json.dump(summary, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
        if args.png is not None:
            _plot(st, summary, dap.shape, figure_path(args.png, dap.plateifu,
                                                      source=args.maps.name))  # fmt: skip
        return 0
    print(_text(summary))
    png = figure_path(args.png, dap.plateifu, source=args.maps.name)  # never from raw header text
    _plot(st, summary, dap.shape, png)
    print(f"  wrote {png}")
    return 0
