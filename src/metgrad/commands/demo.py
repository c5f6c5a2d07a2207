"""``metgrad demo [--galaxies N] [--out DIR]``: the whole pipeline on a synthetic MaNGA survey."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..parallel import add_workers_option
from ..pipeline import DEMO_GALAXIES, demo

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument(
        "--galaxies",
        type=int,
        default=DEMO_GALAXIES,
        help=f"synthetic galaxies (default {DEMO_GALAXIES}; 5000 gives a paper-scale sample)",
    )
    parser.add_argument("--out", type=Path, default=Path("demo"), help="folder (default ./demo)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic survey")
    add_workers_option(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit status."""
    path = demo(
        galaxies=args.galaxies,
        out=args.out,
        seed=args.seed,
        workers=args.workers or None,
        progress=not args.no_progress,
    )
    print(f"report: {path.resolve()}")
    print("open it in a browser; every table and figure is embedded (works offline)")
    return 0
