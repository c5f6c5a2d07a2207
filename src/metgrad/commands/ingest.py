"""``metgrad ingest``: MaNGA files -> per-galaxy spaxel tables (resumable, parallel).

Either a TOML configuration (``metgrad ingest survey.toml``) or flags
(``--drpall F --gswlc F --maps DIR --pipe3d DIR --out DIR``); flags given
together with a file override its values.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from ..config import RunConfig, load_config
from ..parallel import add_workers_option
from ..survey import DEFAULT_TIME_LIMIT_S, run_ingest

__all__ = ["add_arguments", "config_from_args", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument("config", nargs="?", type=Path, help="survey TOML (e.g. survey.toml)")
    parser.add_argument("--drpall", type=Path, help="drpall FITS table")
    parser.add_argument("--gswlc", type=Path, help="GSWLC-2X ASCII table")
    parser.add_argument("--maps", type=Path, help="folder with DAP MAPS files (recursive)")
    parser.add_argument("--pipe3d", type=Path, help="folder with Pipe3D cubes (recursive)")
    parser.add_argument("--daptype", help="DAP type of the MAPS files to use")
    parser.add_argument("--out", type=Path, help="run folder to write")
    add_workers_option(parser)
    parser.add_argument("--scheduler", help="Dask scheduler address (tcp://host:port) or 'local'")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT_S,
        metavar="SECONDS",
        help="seconds one galaxy may take before it is recorded as failed "
        "(default: %(default)g; 0 = no limit)",
    )


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The run configuration: the TOML file (if any) with flags overriding it."""
    config = load_config(args.config) if args.config else RunConfig()
    overrides = {
        k: getattr(args, k)
        for k in ("drpall", "gswlc", "maps", "pipe3d", "daptype")
        if getattr(args, k) is not None
    }
    inputs = dataclasses.replace(config.inputs, **overrides)
    output = (
        config.output if args.out is None else dataclasses.replace(config.output, dir=args.out)
    )
    return dataclasses.replace(config, inputs=inputs, output=output)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit status."""
    config = config_from_args(args)
    if not args.time_limit >= 0:  # also refuses nan
        raise ValueError(f"--time-limit must be >= 0 seconds, got {args.time_limit}")
    result = run_ingest(
        config,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.no_progress,
        time_limit=args.time_limit if 0 < args.time_limit < float("inf") else None,
    )
    n_sel = int(result.galaxies["n_selected"].sum()) if len(result.galaxies) else 0
    redone = f", {result.n_changed} redone: inputs changed" if result.n_changed else ""
    print(
        f"ingest: {len(result.galaxies)} galaxies ({result.n_resumed} already done{redone}), "
        f"{n_sel} selected spaxels, {len(result.failures)} failed, "
        f"{result.elapsed_s:.1f} s"
    )
    print(f"  wrote {result.out_dir / 'spaxels'}/, galaxies.parquet, failures.csv, manifest.json")
    if len(result.failures):
        shown = result.failures.head(5)
        for row in shown.itertuples():
            print(f"  failed {row.plateifu} ({row.stage}): {row.reason}")
        if len(result.failures) > len(shown):
            print(f"  ... see {result.out_dir / 'failures.csv'}")
    return 0
