"""``metgrad learn RUN [--calibrator NAME|all] [--folds N] [--workers N]``: held-out scores."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from ..config import load_config
from ..parallel import add_workers_option

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument("run_dir", type=Path, help="folder analysed by `metgrad analyse`")
    parser.add_argument(
        "--calibrator",
        default="all",
        help="an analysed calibrator's key (e.g. m13, pg16) or all (default: every analysed)",
    )
    parser.add_argument("--folds", type=int, help="galaxy folds (default: [learn] folds, 5)")
    parser.add_argument(
        "--config",
        type=Path,
        help="TOML with a [learn] section (default: the configuration the analysis recorded)",
    )
    add_workers_option(parser)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; return the exit status."""
    from ..learn import learn_run
    from ..learn.run import recorded_config

    calibrators = None if args.calibrator == "all" else (args.calibrator,)
    config = load_config(args.config) if args.config else recorded_config(args.run_dir)
    if args.folds is not None:
        config = dataclasses.replace(
            config, learn=dataclasses.replace(config.learn, folds=args.folds)
        )
    summaries = learn_run(
        args.run_dir, calibrators=calibrators, config=config, workers=args.workers
    )
    for key, summary in summaries.items():
        print(f"{key.upper()}: {summary['folds']} galaxy folds, seed {summary['seed']}")
        for row in summary["scores"]:
            print(
                f"  {row['model']:<18} dispersion {row['oof_residual_dispersion']:.4f} dex, "
                f"gradient offset {row['gradient_offset_median']:+.4f} +/- "
                f"{row['gradient_offset_dispersion']:.4f} dex/Re "
                f"({row['n_galaxies']} galaxies, coverage {row['coverage']:.3f})"
            )
        if not all(row["common_spaxels"] for row in summary["scores"]):
            print(
                "  note: no held-out spaxel is predicted by every model (the binned models "
                "predict nothing in bins their training folds lacked: too few galaxies); the "
                "learned models are scored on every held-out spaxel, base and SFH on those "
                "they predict, so their rows are not comparable"
            )
        print(f"  wrote {args.run_dir / 'learn' / key}/ (scores, importance, galaxies)")
    return 0
