"""Time ``metgrad mock --galaxies N`` (the synthetic survey writer) end to end.

Usage::

    python benchmarks/bench_mock.py [--galaxies 100] [--workers 2] [--out /tmp/mock300]

Runs the command line once in a subprocess (so start-up is included), then
reports wall time, per-galaxy time and the size of what was written, and
appends a Markdown summary to ``benchmarks/out/mock.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path


def folder_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galaxies", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="/tmp/mock300")
    args = parser.parse_args()
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "metgrad.cli", "mock", "--galaxies", str(args.galaxies)]
    cmd += ["--out", str(out), "--seed", str(args.seed), "--workers", str(args.workers)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - start
    n_files, n_bytes = folder_size(out)
    lines = [
        f"## metgrad mock --galaxies {args.galaxies} --workers {args.workers}",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}",
        f"- wall time: {wall:.1f} s ({wall / args.galaxies:.3f} s per galaxy)",
        f"- written: {n_files} files, {n_bytes / 1e6:.0f} MB",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    target = Path(__file__).resolve().parent / "out" / "mock.md"
    target.parent.mkdir(exist_ok=True)
    with open(target, "a") as handle:
        handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
