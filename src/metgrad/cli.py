"""The ``metgrad`` command line.

Each subcommand lives in its own module and registers itself here through
:data:`SUBCOMMANDS`; ``metgrad`` with no arguments lists what exists.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .malloc import limit_malloc_arenas

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: name -> (module path, one-line help). Each module provides
#: ``add_arguments(parser)`` and ``run(args) -> int``.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": (".commands.demo", "synthetic survey -> ingest -> analyse -> report"),
    "run": (".commands.run", "ingest + analyse + report from a survey TOML"),
    "mock": (".mock.cli", "write a synthetic MaNGA survey with known truth"),
    "galaxy": (".commands.galaxy", "quick look at one galaxy: cuts, gradients, O/H map"),
    "ingest": (".commands.ingest", "MaNGA files to per-galaxy spaxel tables (resumable)"),
    "analyse": (".commands.analyse", "gradients, models, metrics and the mass-size plane"),
    "learn": (".commands.learn", "score learned and binned models on held-out galaxies"),
    "report": (".commands.report", "draw every figure and write report.html"),
    "fetch": (".commands.fetch", "download DR17 MAPS files and Pipe3D cubes (resumable)"),
}
#: Other spellings a subcommand answers to.
ALIASES: dict[str, str] = {"analyze": "analyse"}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """Return the top-level argument parser with every registered subcommand.

    Parameters
    ----------
    argv : list of str, optional
        The arguments about to be parsed. When given, only the subcommand they
        name is imported and gets its full options (the others keep their name
        and help line), so ``metgrad analyse`` does not pay for importing the
        ingest or plotting code. Without it every subcommand is imported.
    """
    names = {**{n: n for n in SUBCOMMANDS}, **ALIASES}
    chosen = None if argv is None else names.get(next((a for a in argv if a in names), ""), "")
    parser = argparse.ArgumentParser(
        prog="metgrad",
        description=(
            "Gas-phase metallicity gradients of MaNGA galaxies, predicted from local "
            "relations (Boardman et al. 2022)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"metgrad {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks instead of one-line errors"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show full tracebacks instead of one-line errors",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_path, help_text) in SUBCOMMANDS.items():
        aliases = [a for a, target in ALIASES.items() if target == name]
        sp = sub.add_parser(
            name, aliases=aliases, help=help_text, description=help_text, parents=[common]
        )
        if chosen is None or name == chosen:
            module = importlib.import_module(module_path, package=__package__)
            module.add_arguments(sp)
            sp.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    limit_malloc_arenas()  # before any thread starts: one heap keeps the peak memory down
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        if not SUBCOMMANDS:
            print("\nNo subcommands are available yet in this version.")
        return 0
    try:
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:  # Ctrl-C: finished tables stay, a re-run resumes from them
        if args.debug:
            raise
        print(f"metgrad {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    except (ValueError, OSError, KeyError) as exc:
        if args.debug:
            raise
        print(f"metgrad {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
