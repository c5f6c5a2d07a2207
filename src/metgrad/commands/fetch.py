"""``metgrad fetch --plateifu ... --dest DIR``: download DR17 MAPS files and Pipe3D cubes."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..io.sas import DEFAULT_BASE_URL, DEFAULT_DEADLINE_S, dr17_items, fetch
from ..safepaths import check_daptype, check_plateifu

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this subcommand's options to ``parser``."""
    parser.add_argument("--plateifu", nargs="*", default=[], help="galaxies, e.g. 8485-1901")
    parser.add_argument("--plateifu-file", type=Path, help="text file with one plate-ifu per line")
    parser.add_argument("--dest", type=Path, required=True, help="local root folder")
    parser.add_argument("--daptype", default="HYB10-MILESHC-MASTARSSP", help="DAP type")
    parser.add_argument("--drpall", action="store_true", help="also fetch drpall-v3_1_1.fits")
    parser.add_argument("--no-maps", action="store_true", help="skip DAP MAPS files")
    parser.add_argument("--no-pipe3d", action="store_true", help="skip Pipe3D cubes")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL, help="archive root URL")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    parser.add_argument("--retries", type=int, default=3, help="attempts per file")
    parser.add_argument(
        "--deadline",
        type=float,
        default=DEFAULT_DEADLINE_S,
        metavar="SECONDS",
        help="seconds one file may take, all attempts included (default: %(default)g)",
    )


def _names(args: argparse.Namespace) -> tuple[list[str], list[tuple[str, str]]]:
    """The plate-ifus asked for: valid ones, and (name, problem) for the others."""
    names = list(args.plateifu)
    if args.plateifu_file:
        try:
            lines = args.plateifu_file.read_text(encoding="utf-8").split()
        except UnicodeDecodeError:
            raise ValueError(f"{args.plateifu_file}: not a text file of plate-ifus") from None
        names += [s for s in lines if s and not s.startswith("#")]
    good, bad = [], []
    for name in names:
        try:
            good.append(check_plateifu(name, source="plate-ifu"))
        except ValueError as exc:
            bad.append((name[:40], str(exc)))
    return good, bad


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; exit status 1 if any file failed."""
    check_daptype(args.daptype, source="--daptype")  # it becomes two folders under --dest
    if not (args.timeout > 0 and args.deadline > 0) or args.retries < 1:
        raise ValueError("--timeout and --deadline must be > 0 seconds and --retries >= 1")
    names, bad = _names(args)
    if not names and not bad and not args.drpall:
        raise ValueError("nothing to fetch: give --plateifu, --plateifu-file or --drpall")
    items = dr17_items(
        names,
        args.dest,
        daptype=args.daptype,
        maps=not args.no_maps,
        pipe3d=not args.no_pipe3d,
        drpall=args.drpall,
    )
    result = fetch(
        items,
        base_url=args.base_url,
        timeout=args.timeout,
        retries=args.retries,
        deadline=args.deadline,
    )
    failed = [(name, reason) for name, reason in bad]
    failed += [(path.name, reason) for path, reason in result["failed"]]
    print(
        f"fetch: {len(result['downloaded'])} downloaded, {len(result['present'])} already "
        f"present, {len(failed)} failed, under {args.dest}"
    )
    for name, reason in failed:
        print(f"  failed {name}: {reason}")
    return 1 if failed else 0
