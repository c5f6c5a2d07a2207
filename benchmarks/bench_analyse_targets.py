"""The analysis targets of issues #14 and #15 on a paper-scale run: wall, CPU, peak memory.

Usage::

    python benchmarks/bench_analyse_targets.py RUN [--repeats 3] [--all-calibrators]
                                                   [--workers 2]

``RUN`` is an ingested run at the paper's scale: ``benchmarks/bench_analysis.py``
builds one (``benchmarks/out/replicated-<base>-<galaxies>-<fraction>-<seed>``, copies
of a mock survey's galaxies keeping the paper's spaxels per galaxy); for
``--all-calibrators`` its base survey must come from a mock that writes every
calibrator's lines (``metgrad mock`` since issue #15).

Timed, each as a subprocess (wall, CPU of it and its threads, peak RSS from
``os.wait4``), with the selected-spaxel cache already built (the first analysis of
a run builds it):

1. ``metgrad analyse RUN --workers W`` (the paper's two calibrators), ``--repeats``
   times back to back: each run, and the median (issue #14: at most 30 s, under
   1.5 GB);
2. with ``--all-calibrators``, ``metgrad analyse RUN --calibrator all --workers W``
   once (issue #15: under 5 minutes).

The machine (CPU model, cores, BLAS kernel, OpenBLAS pins) and the load average
before each run are printed beside the numbers: a run on a busy machine is slower
than the code. Writes ``benchmarks/out/analyse_targets.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _inputs
from bench_analysis import run_measured

OUT_MD = _inputs.OUT / "analyse_targets.md"
#: Issue #14: paper-scale analyse (both calibrators) wall and memory; issue #15: all 19.
TARGET_WALL_S = 30.0
TARGET_PEAK_MIB = 1536.0
TARGET_ALL_WALL_S = 300.0


def _measured(cmd: list[str]) -> dict[str, float]:
    load = os.getloadavg()[0]
    result = run_measured(cmd)
    result["load_before"] = load
    print(f"  wall {result['wall_s']:.1f} s, CPU {result['cpu_s']:.1f} s, peak "
          f"{result['peak_rss_mb']:.0f} MiB (load average before {load:.2f})", flush=True)
    return result


def _row(what: str, r: dict[str, float]) -> str:
    return (f"| {what} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} "
            f"| {r['load_before']:.2f} |")  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="an ingested run at the paper's scale")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--all-calibrators", action="store_true",
                        help="also time `--calibrator all` once")  # fmt: skip
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    metgrad = str(Path(sys.executable).with_name("metgrad"))
    # the cache the first analysis of a run writes, built in a child process: a child forked
    # from a process that held the table would report that process's memory as its own peak
    subprocess.run([sys.executable, "-c", "import sys; from metgrad.analysis.load import "
                    "load_selected_spaxels as f; f(sys.argv[1])", str(args.run)], check=True)
    base_cmd = [metgrad, "analyse", str(args.run), "--workers", str(args.workers)]
    runs = [_measured(base_cmd) for _ in range(args.repeats)]
    wall = statistics.median(r["wall_s"] for r in runs)
    peak = max(r["peak_rss_mb"] for r in runs)
    lines = [
        "## metgrad analyse at the paper's scale: the targets of issues #14 and #15",
        "",
        f"- run: `{args.run}`; `--workers {args.workers}`",
        f"- machine: {_inputs.machine_description()}",
        "",
        "| command | wall s | CPU s | peak RSS MiB | load average before |",
        "|---|---|---|---|---|",
        *[_row(f"`metgrad analyse RUN` (M13, PG16), run {i + 1}", r) for i, r in enumerate(runs)],
    ]
    targets = [
        (f"issue #14: `metgrad analyse RUN --workers {args.workers}` at the paper's scale, "
         f"median of {args.repeats}", f"{wall:.1f} s", f"<= {TARGET_WALL_S:.0f} s",
         wall <= TARGET_WALL_S),
        ("issue #14: the same runs, peak resident memory", f"{peak:.0f} MiB",
         f"< {TARGET_PEAK_MIB:.0f} MiB (1.5 GiB)", peak < TARGET_PEAK_MIB),
    ]  # fmt: skip
    if args.all_calibrators:
        every = _measured([*base_cmd, "--calibrator", "all"])
        lines.append(_row("`metgrad analyse RUN --calibrator all` (19 calibrators)", every))
        targets.append((
            f"issue #15: `metgrad analyse RUN --calibrator all --workers {args.workers}` "
            "(one run)", f"{every['wall_s']:.0f} s ({every['cpu_s']:.0f} s CPU, "
            f"{every['peak_rss_mb'] / 1024:.1f} GB)", f"< {TARGET_ALL_WALL_S:.0f} s",
            every["wall_s"] < TARGET_ALL_WALL_S,
        ))  # fmt: skip
    lines += ["", *[f"- {what}: {got} (target {want}): {'met' if ok else 'NOT met'}"
                    for what, got, want, ok in targets]]  # fmt: skip
    _inputs.publish(OUT_MD, "\n".join(lines) + "\n")
    _inputs.write_targets("analyse_targets", targets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
