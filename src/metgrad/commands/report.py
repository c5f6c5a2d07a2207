"""``metgrad report RUN_DIR``: draw every figure and write the self-contained report.html."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..parallel import add_workers_option
from ..report import build_report

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument("run_dir", type=Path, help="folder written by ingest and analyse")
    parser.add_argument("--out", type=Path, help="report path (default RUN/report/report.html)")
    parser.add_argument("--no-draw", action="store_true", help="reuse the figures already drawn")
    add_workers_option(parser)
    parser.add_argument(
        "--no-pages", action="store_true", help="no galaxy pages and no clickable mass-size plane"
    )
    parser.add_argument(
        "--no-appendix-b", action="store_true",
        help="no Figs B1-B7 for the calibrators besides M13 and PG16 (7 figures each)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit status."""
    path = build_report(
        args.run_dir,
        out_path=args.out,
        draw=not args.no_draw,
        pages=not args.no_pages,
        appendix_b=not args.no_appendix_b,
        workers=args.workers,
        say=lambda message: print(message, file=sys.stderr, flush=True),
    )
    print(f"report: {path}")
    return 0
