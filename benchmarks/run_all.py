"""Run every benchmark script in this folder and collect their tables into RESULTS.md.

Usage::

    python benchmarks/run_all.py [--only lad loess ...]

Each ``bench_<name>.py`` writes a Markdown table to ``benchmarks/out/<name>.md``;
this script runs them one after the other (never in parallel: they time the
machine), then writes ``benchmarks/RESULTS.md`` with the machine, the package
versions and every table. ``make bench`` calls it.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ("lad", "loess", "calibrators", "mock", "ingest", "naive", "analysis", "scaling", "learn",
         "compile")


def _machine() -> list[str]:
    from metgrad.survey import package_versions

    lines = [
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        f"- python {platform.python_version()}; "
        + ", ".join(f"{k} {v}" for k, v in package_versions().items() if k != "python"),
    ]
    try:
        from threadpoolctl import threadpool_info

        blas = {i.get("internal_api"): i.get("num_threads") for i in threadpool_info()}
        lines.append(f"- BLAS threads: {blas}")
    except ImportError:
        pass
    return lines


def _targets(out: Path, names) -> list[str]:
    """Summary table of every benchmark's headline figures against the issue #7 targets."""
    import json

    lines = [
        "## Targets (issue #7)",
        "",
        "| benchmark | what | measured | target | met |",
        "|---|---|---|---|---|",
    ]
    for name in names:
        path = out / f"{name}.targets.json"
        if not path.is_file():
            continue
        for what, measured, target, met in json.loads(path.read_text()):
            verdict = "" if met is None else ("yes" if met else "**no**")
            lines.append(f"| {name} | {what} | {measured} | {target} | {verdict} |")
    return [*lines, ""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="benchmark names (default: all present)")
    args = parser.parse_args()
    names = [n for n in ORDER if (HERE / f"bench_{n}.py").is_file()]
    if args.only:
        names = [n for n in names if n in args.only]
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    timings = []
    for name in names:
        (out / f"{name}.targets.json").unlink(missing_ok=True)  # no stale figures
        start = time.perf_counter()
        print(f"== bench_{name}.py", flush=True)
        code = subprocess.call([sys.executable, str(HERE / f"bench_{name}.py")])
        timings.append((name, time.perf_counter() - start, code))
    # benchmarks not run this time keep their last results (e.g. after `--only ingest`)
    ran = {name: (seconds, code) for name, seconds, code in timings}
    shown = [n for n in ORDER if n in ran or (out / f"{n}.md").is_file()]
    total = sum(seconds for seconds, _ in ran.values())
    parts = [
        "# metgrad benchmarks",
        "",
        *_machine(),
        f"- run this time: {', '.join(ran)} in {total:.0f} s (`make bench` runs them all)",
        "",
    ]
    parts += _targets(out, shown)
    for name in shown:
        if name in ran:
            seconds, code = ran[name]
            parts.append(f"## {name} ({seconds:.0f} s{'' if code == 0 else f', exit {code}'})")
        else:
            parts.append(f"## {name} (from an earlier run)")
        parts.append("")
        table = out / f"{name}.md"
        parts.append(table.read_text().strip() if table.is_file() else "(no output)")
        parts.append("")
    (HERE / "RESULTS.md").write_text("\n".join(parts) + "\n")
    print(f"wrote {HERE / 'RESULTS.md'}")
    return max((c for _, _, c in timings), default=0)


if __name__ == "__main__":
    sys.exit(main())
