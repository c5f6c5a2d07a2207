"""``metgrad fetch --plateifu ... --dest DIR``: download DR17 MAPS files and Pipe3D cubes."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..io.sas import DEFAULT_BASE_URL, dr17_items, fetch

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


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; exit status 1 if any file failed."""
    names = list(args.plateifu)
    if args.plateifu_file:
        lines = args.plateifu_file.read_text().split()
        names += [s for s in lines if s and not s.startswith("#")]
    if not names and not args.drpall:
        raise ValueError("nothing to fetch: give --plateifu, --plateifu-file or --drpall")
    items = dr17_items(
        names,
        args.dest,
        daptype=args.daptype,
        maps=not args.no_maps,
        pipe3d=not args.no_pipe3d,
        drpall=args.drpall,
    )
    result = fetch(items, base_url=args.base_url, timeout=args.timeout, retries=args.retries)
    print(
        f"fetch: {len(result['downloaded'])} downloaded, {len(result['present'])} already "
        f"present, {len(result['failed'])} failed, under {args.dest}"
    )
    for path, reason in result["failed"]:
        print(f"  failed {path.name}: {reason}")
    return 1 if result["failed"] else 0
