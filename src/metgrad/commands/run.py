"""``metgrad run CONFIG.toml``: ingest + analyse + report in one command."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import load_config
from ..parallel import add_workers_option
from ..pipeline import run_pipeline

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument("config", type=Path, help="survey TOML (inputs, output, options)")
    add_workers_option(parser)
    parser.add_argument("--scheduler", help="Dask scheduler address or 'local'")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit status."""
    path = run_pipeline(
        load_config(args.config),
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.no_progress,
    )
    print(f"report: {path}")
    return 0
