"""``metgrad analyse RUN_DIR [--calibrator m13|pg16|all]``: the paper's numbers, as tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..analysis import analyse_run
from ..calibration import CALIBRATORS
from ..config import load_config
from ..parallel import add_workers_option

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument("run_dir", type=Path, help="folder written by `metgrad ingest`")
    parser.add_argument(
        "--calibrator",
        action="append",
        metavar="NAME",
        help="calibrator to analyse (repeatable): "
        f"{', '.join(CALIBRATORS)}, or 'all' for every one the run holds "
        "(default: [analysis] calibrators, the paper's m13 and pg16)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="TOML with [selection] / [gradients] / [models] options "
        "(default: the configuration recorded by ingest)",
    )
    add_workers_option(parser)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit status."""
    calibrators = None
    if args.calibrator:
        calibrators = "all" if "all" in args.calibrator else tuple(args.calibrator)
    config = load_config(args.config) if args.config else None
    summaries = analyse_run(
        args.run_dir, calibrators=calibrators, config=config, workers=args.workers,
        say=lambda line: print(line, file=sys.stderr, flush=True),
    )  # fmt: skip
    for key, s in summaries.items():
        ob, ob_s = s["offset_base"], s["offset_sfh"]
        print(
            f"{key.upper()}: {s['n_galaxies_final']} galaxies, {s['n_spaxels_final']} spaxels; "
            f"residual dispersion base {s['residual_base']['dispersion']:.4f}, "
            f"SFH {s['residual_sfh']['dispersion']:.4f} dex; gradient offsets "
            f"base {ob['median']:+.4f} +/- {ob['dispersion']:.4f}, "
            f"SFH {ob_s['median']:+.4f} +/- {ob_s['dispersion']:.4f} dex/Re"
        )
    print(f"  wrote {args.run_dir / 'analysis'}/<calibrator>/ (tables, summary.json)")
    return 0
