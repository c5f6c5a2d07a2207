"""First-run cost of metgrad's compiled (numba) kernels: what a new user waits for once.

Usage::

    python benchmarks/bench_compile.py [--galaxies 36] [--seed 3]

numba compiles each kernel on its first call with a new combination of argument types and
keeps the machine code on disk (``cache=True``). A small mock survey is written once
(untimed); then, in a fresh process with an empty ``NUMBA_CACHE_DIR``, ingest (one worker)
and the analysis of M13 and PG16 run and are timed with every compilation of a metgrad
kernel recorded (numba's ``numba:compile`` events); the same process steps are then run
again in a second fresh process on the now-filled cache. The difference is the compilation.
The table lists each metgrad kernel compiled at the top level (not from another kernel),
how many versions of it were compiled (one per argument-type combination: more than one
means a caller passed read-only, strided or other-dtype arrays) and its compile time,
which includes the kernels it calls.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _inputs

OUT_MD = _inputs.OUT / "compile.md"

#: Run in a fresh interpreter: ingest and analyse RUN, recording numba compilations.
CHILD = r"""
import json, sys, time
from pathlib import Path
from numba.core import event

records, started = [], []

class Recorder(event.Listener):
    def on_start(self, ev):
        started.append(time.perf_counter())
    def on_end(self, ev):
        seconds = time.perf_counter() - started.pop()
        func = ev.data["dispatcher"].py_func
        if func.__module__.startswith("metgrad") and not started:  # top level only
            records.append([f"{func.__module__}.{func.__qualname__}", seconds])

event.register("numba:compile", Recorder())
from metgrad.analysis import analyse_run
from metgrad.config import load_config
from metgrad.survey import run_ingest

survey = Path(sys.argv[1])
seconds, cpu = {}, {}
for name, step in (
    ("ingest", lambda: run_ingest(load_config(survey / "survey.toml"), workers=1,
                                  progress=False)),
    ("analyse", lambda: analyse_run(survey / "run", calibrators=("m13", "pg16"))),
):
    wall, proc = time.perf_counter(), time.process_time()
    step()
    seconds[name], cpu[name] = time.perf_counter() - wall, time.process_time() - proc
print(json.dumps({"seconds": seconds, "cpu": cpu, "compiles": records}))
"""


def survey(galaxies: int, seed: int) -> Path:
    """A mock survey of ``galaxies`` (written once into benchmarks/out, then reused)."""
    folder = _inputs.OUT / f"compile-survey-{galaxies}-{seed}"
    if not _inputs.survey_matches(folder, galaxies, seed):
        _inputs.metgrad("mock", "--galaxies", str(galaxies), "--seed", str(seed),
                        "--out", str(folder))  # fmt: skip
    return folder


def run_child(folder: Path, cache: Path) -> dict:
    """Ingest and analyse ``folder`` in a fresh process whose numba cache is ``cache``."""
    shutil.rmtree(folder / "run", ignore_errors=True)  # ingest from scratch each time
    env = {**_inputs.unpinned_environment(), "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder)], env=env, check=True,
                          capture_output=True, text=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(cold: dict, warm: dict, galaxies: int) -> str:
    """The Markdown section: times cold and warm, then each kernel's compilation."""
    versions: dict[str, list[float]] = {}
    for name, seconds in cold["compiles"]:
        versions.setdefault(name, []).append(seconds)
    lines = [
        "## compile (first run of the numba kernels)",
        "",
        f"- machine: {_inputs.machine_description()}",
        f"- a {galaxies}-galaxy mock survey, ingested (1 worker) and analysed (M13, PG16) in "
        "a fresh process with an empty numba cache (cold), then again in another fresh "
        "process on the cache the first one wrote (warm)",
        "",
        "| step | cold wall (s) | cold CPU (s) | warm wall (s) | warm CPU (s) |",
        "|---|---|---|---|---|",
    ]
    for step in cold["seconds"]:
        lines.append(f"| {step} | {cold['seconds'][step]:.1f} | {cold['cpu'][step]:.1f} | "
                     f"{warm['seconds'][step]:.1f} | {warm['cpu'][step]:.1f} |")  # fmt: skip
    lines += ["", "| kernel (compiled at the top level) | versions compiled | compile (s) |",
              "|---|---|---|"]  # fmt: skip
    for name, times in sorted(versions.items(), key=lambda kv: -sum(kv[1])):
        lines.append(f"| `{name}` | {len(times)} | {sum(times):.2f} |")
    total = sum(sum(t) for t in versions.values())
    lines += ["", f"Compilation in all: {total:.1f} s; kernels compiled in more than one "
              f"version: {sum(len(t) > 1 for t in versions.values())}.", ""]  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galaxies", type=int, default=36)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    folder = survey(args.galaxies, args.seed)
    with tempfile.TemporaryDirectory(prefix="metgrad-numba-") as cache:
        cold = run_child(folder, Path(cache))
        warm = run_child(folder, Path(cache))
    _inputs.publish(OUT_MD, report(cold, warm, args.galaxies))
    compiled = sum(seconds for _, seconds in cold["compiles"])
    extra = sum(cold["cpu"].values()) - sum(warm["cpu"].values())
    _inputs.write_targets("compile", [
        ("first-run compilation of the kernels (ingest + analyse)", f"{compiled:.1f} s", "", None),
        ("extra CPU of a first run", f"{extra:.1f} s", "", None),
    ])  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
