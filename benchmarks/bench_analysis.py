"""Time the whole pipeline at the paper's scale: mock, ingest, and above all ``metgrad analyse``.

Usage::

    python benchmarks/bench_analysis.py [--galaxies 4000] [--seed 1] [--workers 2]
                                        [--survey /tmp/metgrad-bench-analysis]
                                        [--no-profile]

1. ``metgrad mock --galaxies N`` (reused when ``--survey`` already holds a survey
   of that size and seed: about 13 min and 4 GB for 4000 galaxies on 2 cores).
2. ``metgrad ingest SURVEY/survey.toml --workers W`` (reused when the run is
   complete).
3. ``metgrad analyse SURVEY/run`` (both calibrators), always run.

Each stage runs as a subprocess of this script; its wall time, CPU time and
peak resident memory come from ``os.wait4`` (``ru_maxrss``: the largest single
process, the stage's command or one of its workers). Then the sample counts
after the cuts (the paper: 871346 spaxels after every cut, a final 2123 galaxies
with 861134 spaxels) and, unless ``--no-profile``, a cProfile of
:func:`metgrad.analysis.analyse_run` in this process showing where its time goes.

Writes ``benchmarks/out/analysis.md`` (git-ignored). The survey stays in
``--survey`` (outside the repository) for the next run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

OUT_MD = Path(__file__).resolve().parent / "out" / "analysis.md"
#: The paper's counts (Boardman et al. 2022, §2.2 and §3.3).
PAPER = {"after_cuts_spaxels": 871346, "final_galaxies": 2123, "final_spaxels": 861134}
#: Functions whose cumulative time the profile table lists (module file, function name).
KEY_FUNCTIONS = (
    ("sample.py", "load_selected_spaxels"),
    ("analysis.py", "galaxy_gradients"),
    ("gradients.py", "observed_gradient"),
    ("gradients.py", "model_gradient"),
    ("lad.py", "lad_line"),
    ("binned_mean.py", "fit"),
    ("composite.py", "fit"),
    ("corrections.py", "fit"),
    ("loess.py", "loess_2d"),
    ("massize.py", "loess_map"),
    ("metrics.py", "model_metrics"),
    ("trends.py", "spearman_table"),
    ("trends.py", "binned_trend"),
    ("massize.py", "radial_profile"),
    ("atomic.py", "write_parquet_atomic"),
    ("atomic.py", "write_csv_atomic"),
)


def run_measured(cmd: list[str]) -> dict[str, float]:
    """Run ``cmd``; return wall s, CPU s (it and its waited-for workers) and peak RSS MB."""
    print("$", " ".join(cmd), flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024.0,  # Linux: kilobytes
    }


def folder_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def survey_matches(folder: Path, n_galaxies: int, seed: int) -> bool:
    toml = folder / "survey.toml"
    if not (toml.is_file() and (folder / "truth" / "galaxies.parquet").is_file()):
        return False
    mock = tomllib.loads(toml.read_text()).get("mock", {})
    return mock.get("galaxies") == n_galaxies and mock.get("seed") == seed


def run_complete(run_dir: Path, n_galaxies: int) -> bool:
    """Every galaxy of the survey is either ingested or listed in failures.csv."""
    if not (run_dir / "manifest.json").is_file() or not (run_dir / "galaxies.parquet").is_file():
        return False
    done = len(pd.read_parquet(run_dir / "galaxies.parquet", columns=["plateifu"]))
    failures = run_dir / "failures.csv"
    failed = len(pd.read_csv(failures)) if failures.is_file() else 0
    return done + failed == n_galaxies


def profile_analysis(run_dir: Path) -> tuple[float, list[tuple[str, float, int]], str]:
    """cProfile of analyse_run (both calibrators): total s, key-function rows, top listing."""
    from metgrad.analysis import analyse_run

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    analyse_run(run_dir)
    profiler.disable()
    total = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    rows = []
    for file_name, func in KEY_FUNCTIONS:
        cum, calls = 0.0, 0
        for (path, _, name), entry in stats.stats.items():  # (cc, ncalls, tt, ct, callers)
            if name == func and Path(path).name == file_name and "metgrad" in path:
                calls += entry[1]
                cum += entry[3]
        rows.append((f"{file_name}:{func}", cum, calls))
    text = io.StringIO()
    listing = pstats.Stats(profiler, stream=text).strip_dirs()
    listing.sort_stats("cumulative").print_stats(30)
    listing.sort_stats("tottime").print_stats(20)
    lines = [ln for ln in text.getvalue().splitlines() if ln.strip()]
    return total, rows, "\n".join(lines)


def count(value) -> str:
    """An integer count for a table cell ('' where a step does not apply)."""
    return "" if pd.isna(value) else str(int(value))


def sample_table(run_dir: Path) -> pd.DataFrame:
    frames = []
    for key in ("m13", "pg16"):
        path = run_dir / "analysis" / key / "sample_steps.csv"
        if path.is_file():
            steps = pd.read_csv(path)[["step", "n_spaxels", "n_galaxies"]]
            frames.append(steps.set_index("step").add_prefix(f"{key}_"))
    table = pd.concat(frames, axis=1)
    order = max((list(f.index) for f in frames), key=len)  # PG16 adds a step to M13's
    return table.reindex(order + [s for s in table.index if s not in order])


def report(args, stages, survey_bytes, run_dir, profile) -> str:
    load = os.getloadavg()
    steps = sample_table(run_dir)
    summary = json.loads((run_dir / "analysis" / "m13" / "summary.json").read_text())
    n_ingested = len(pd.read_parquet(run_dir / "galaxies.parquet", columns=["plateifu"]))
    after = steps.loc["min_spaxels"]
    lines = [
        f"## metgrad at the paper's scale: mock --galaxies {args.galaxies}, "
        f"ingest and analyse ({args.workers} workers)",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(1 / 5 / 15 min; other jobs shared the machine)",
        f"- survey: {args.survey} (seed {args.seed}), {survey_bytes / 1e9:.2f} GB on disk; "
        f"{n_ingested} galaxies ingested",
        "",
        "| stage | command | wall s | CPU s | peak RSS MB |",
        "|---|---|---:|---:|---:|",
    ]
    for name, cmd, result in stages:
        if result is None:
            lines.append(f"| {name} | `{cmd}` | reused | | |")
        else:
            lines.append(
                f"| {name} | `{cmd}` | {result['wall_s']:.1f} | {result['cpu_s']:.1f} "
                f"| {result['peak_rss_mb']:.0f} |"
            )
    lines += [
        "",
        "Peak RSS is the largest single process of the stage (the command or one of its "
        "workers), from `os.wait4`.",
        "",
        "### Sample after each step (M13 and PG16) against the paper",
        "",
        "| step | M13 spaxels | M13 galaxies | PG16 spaxels | PG16 galaxies |",
        "|---|---:|---:|---:|---:|",
    ]
    for step, row in steps.iterrows():
        cells = [
            count(row.get(f"{k}_n_{n}")) for k in ("m13", "pg16") for n in ("spaxels", "galaxies")
        ]
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"- after the cuts (M13): {count(after['m13_n_galaxies'])} galaxies, "
        f"{count(after['m13_n_spaxels'])} spaxels (paper: {PAPER['after_cuts_spaxels']}); "
        f"final: {summary['n_galaxies_final']} galaxies, {summary['n_spaxels_final']} spaxels "
        f"(paper: {PAPER['final_galaxies']}, {PAPER['final_spaxels']}); "
        f"{summary['n_spaxels_final'] / summary['n_galaxies_final']:.0f} spaxels per final "
        f"galaxy (paper: {PAPER['final_spaxels'] / PAPER['final_galaxies']:.0f})",
    ]
    if profile is not None:
        total, rows, listing = profile
        lines += [
            "",
            f"### Where `analyse_run` spends its time (cProfile, both calibrators, "
            f"{total:.1f} s with profiling)",
            "",
            "| function | cumulative s | % | calls |",
            "|---|---:|---:|---:|",
        ]
        for name, cum, calls in rows:
            lines.append(f"| {name} | {cum:.1f} | {100 * cum / total:.0f} | {calls} |")
        lines += [
            "",
            "Cumulative times overlap (e.g. `lad_line` runs inside the gradient functions).",
            "",
            "<details><summary>cProfile listing</summary>",
            "",
            "```",
            listing,
            "```",
            "",
            "</details>",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galaxies", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--survey", type=Path, default=Path("/tmp/metgrad-bench-analysis"))
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    args = parser.parse_args()
    survey, run_dir = args.survey, args.survey / "run"
    metgrad = [sys.executable, "-m", "metgrad.cli"]
    stages = []

    mock_cmd = ["mock", "--galaxies", str(args.galaxies), "--seed", str(args.seed),
                "--workers", str(args.workers), "--out", str(survey)]  # fmt: skip
    if survey_matches(survey, args.galaxies, args.seed):
        stages.append(("mock", "metgrad " + " ".join(mock_cmd), None))
    else:
        if (survey / "survey.toml").exists():
            raise SystemExit(f"{survey} holds another survey; remove it or choose --survey")
        stages.append(("mock", "metgrad " + " ".join(mock_cmd), run_measured(metgrad + mock_cmd)))

    ingest_cmd = ["ingest", str(survey / "survey.toml"), "--workers", str(args.workers),
                  "--no-progress"]  # fmt: skip
    if run_complete(run_dir, args.galaxies):
        stages.append(("ingest", "metgrad " + " ".join(ingest_cmd), None))
    else:
        stages.append(
            ("ingest", "metgrad " + " ".join(ingest_cmd), run_measured(metgrad + ingest_cmd))
        )

    analyse_cmd = ["analyse", str(run_dir)]
    stages.append(
        ("analyse", "metgrad " + " ".join(analyse_cmd), run_measured(metgrad + analyse_cmd))
    )

    profile = None if args.no_profile else profile_analysis(run_dir)
    _, survey_bytes = folder_size(survey)
    text = report(args, stages, survey_bytes, run_dir, profile)
    print(text)
    OUT_MD.parent.mkdir(exist_ok=True)
    OUT_MD.write_text(text)
    print(f"wrote {OUT_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
