"""``metgrad mock``: write a synthetic MaNGA survey with known truth."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..parallel import add_workers_option, open_executor
from .config import MockConfig
from .survey import generate_survey, survey_toml

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``mock`` options on ``parser``."""
    parser.add_argument("--galaxies", type=int, default=MockConfig.n_galaxies,
                        help="number of galaxies (default: %(default)s)")  # fmt: skip
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=MockConfig.seed,
                        help="master random seed (default: %(default)s)")  # fmt: skip
    add_workers_option(parser)
    parser.add_argument("--plots", action="store_true",
                        help="also draw the population figures into OUT/plots")  # fmt: skip


def _check_out_folder(out: Path, config: MockConfig) -> None:
    """Refuse to write into a non-empty folder unless it holds this very mock survey.

    Writing another survey over one would replace some galaxies' files and leave the
    others: a folder of two surveys. The same survey (same ``survey.toml``) is
    written again byte for byte, so it may be completed or refreshed.
    """
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: exists and is not a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return
    toml = out / "survey.toml"
    try:
        same = toml.read_text(encoding="utf-8") == survey_toml(config)
    except (OSError, UnicodeDecodeError):
        same = False
    if not same:
        raise ValueError(
            f"--out {out}: not empty, and not the mock survey of {config.n_galaxies} galaxies "
            f"with seed {config.seed}; give an empty or new folder"
        )


def run(args: argparse.Namespace) -> int:
    """Write the survey described by ``args``; print a summary; return 0."""
    if args.galaxies < 1:
        raise ValueError(f"--galaxies must be >= 1, got {args.galaxies}")
    config = MockConfig(n_galaxies=args.galaxies, seed=args.seed)
    _check_out_folder(Path(args.out), config)
    start = time.perf_counter()
    with open_executor(workers=args.workers) as executor:
        result = generate_survey(config, args.out, executor=executor)
    elapsed = time.perf_counter() - start
    out = Path(result.out_dir)
    print(f"metgrad mock: {config.n_galaxies} galaxies (seed {config.seed}) in {elapsed:.1f} s")
    print(f"  survey:  {result.toml_path}")
    print(f"  truth:   {out / 'truth'}")
    if args.plots:
        from .plots import plot_survey  # matplotlib only when asked for

        for path in plot_survey(out):
            print(f"  figure:  {path}")
    return 0
