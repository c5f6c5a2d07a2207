"""``metgrad analyse`` at the paper's scale: wall time, CPU, peak memory and a profile.

Usage::

    python benchmarks/bench_analysis.py [--repeats 3] [--profile-galaxies 1000]
                                        [--no-profile] [--all-models]
    python benchmarks/bench_analysis.py --survey DIR --galaxies 5000 [--workers 2]

Default input (``benchmarks/_inputs.py``): the shared benchmark survey (600 distinct
mock galaxies, mocked and ingested once) copied to the number of galaxies and the
spaxels per galaxy that give the paper's final sample (2,123 galaxies, 861,134
spaxels). With ``--survey`` a distinct mock survey of ``--galaxies`` galaxies is
mocked and ingested there instead (about 25 minutes for 5000 galaxies on 2 cores;
both stages timed; reused while its size and seed match).

Timed (``metgrad analyse`` as a subprocess: wall, CPU and peak RSS from ``os.wait4``):

1. the run's selected-spaxel cache, which the first analysis of a run writes
   (built here in this process);
2. with ``--all-models``, ``metgrad analyse RUN`` once with model gradients for all
   seven model sets (``[gradients] models = ["all"]``);
3. ``metgrad analyse RUN`` ``--repeats`` times (the re-analysis an astronomer
   runs after changing a cut): median, min and max;

then the sample counts against the paper and, unless ``--no-profile``, a cProfile
of :func:`metgrad.analysis.analyse_run` on one thread (``workers=1``: cProfile sees
only the main thread) on a run of ``--profile-galaxies`` galaxies, to show what
dominates.

Writes ``benchmarks/out/analysis.md`` (git-ignored).
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
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _inputs
from metgrad.analysis.load import load_selected_spaxels

OUT_MD = Path(__file__).resolve().parent / "out" / "analysis.md"
#: The paper's counts (Boardman et al. 2022, §2.2 and §3.3).
PAPER = {"after_cuts_spaxels": 871346, "final_galaxies": 2123, "final_spaxels": 861134}
#: Functions whose cumulative time the profile table lists (module file, function name).
KEY_FUNCTIONS = (
    ("sample.py", "load_selected_spaxels"),
    ("gradients.py", "galaxy_gradients"),
    ("gradients.py", "_bootstrap_refits"),
    ("gradients.py", "_noise_refits"),
    ("lad.py", "lad_line"),
    ("lad.py", "lad_slopes_trusted"),
    ("_lad_kernel.py", "lad_rows"),
    ("robust.py", "robust_sigma"),
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
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
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


def profile_analysis(run_dir: Path) -> tuple[float, list[tuple[str, float, int]], str]:
    """cProfile of analyse_run on one thread: total s, key-function rows, top listing."""
    from metgrad.analysis import analyse_run

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    analyse_run(run_dir, workers=1)
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


def report(source, stages, run_bytes, run_dir, profile, summary) -> str:
    load = os.getloadavg()
    steps = sample_table(run_dir)
    n_ingested = len(pd.read_parquet(run_dir / "galaxies.parquet", columns=["plateifu"]))
    after = steps.loc["min_spaxels"]
    lines = [
        "## metgrad analyse at the paper's scale",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min)",
        f"- input: {source}; {n_ingested} galaxies ingested, {run_bytes / 1e9:.2f} GB on disk",
        "- settings: both calibrators, all seven model sets fitted, 100 bootstrap refits per "
        "observed gradient and 100 noise refits per model gradient, a thread per core",
        "- targets (issue #7): under 60 s and under 2 GB",
        "",
        "| stage | command | wall s | min | max | CPU s | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, cmd, result in stages:
        if result is None:
            lines.append(f"| {name} | `{cmd}` | reused | | | | |")
            continue
        if "cpu_s" not in result:  # timed in this process: wall time only
            lines.append(f"| {name} | `{cmd}` | {result['wall_s']:.1f} | | | | |")
            continue
        lo = f"{result['wall_min']:.1f}" if "wall_min" in result else ""
        hi = f"{result['wall_max']:.1f}" if "wall_max" in result else ""
        lines.append(
            f"| {name} | `{cmd}` | {result['wall_s']:.1f} | {lo} | {hi} | {result['cpu_s']:.1f} "
            f"| {result['peak_rss_mb']:.0f} |"
        )
    lines += [
        "",
        "Peak RSS is that of the largest single process of the stage, from `os.wait4`.",
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
        f"(paper: {PAPER['final_galaxies']}, {PAPER['final_spaxels']})",
    ]
    if profile is not None:
        target, total, rows, listing = profile
        n_prof = len(pd.read_parquet(target / "galaxies.parquet", columns=["plateifu"]))
        lines += [
            "",
            f"### What dominates: cProfile of `analyse_run` on one thread, {n_prof} galaxies "
            f"({total:.1f} s with profiling)",
            "",
            "| function | cumulative s | % | calls |",
            "|---|---:|---:|---:|",
        ]
        for name, cum, calls in rows:
            lines.append(f"| {name} | {cum:.1f} | {100 * cum / total:.0f} | {calls} |")
        lines += [
            "",
            "Cumulative times overlap (e.g. `lad_line` runs inside the gradient functions). "
            "With a thread per core the gradient fits (the compiled LAD kernel releases the "
            "GIL) run on both cores; the rest runs on one.",
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


def distinct_survey(args) -> tuple[Path, list]:
    """Mock and ingest a distinct survey in ``args.survey`` (reused when complete)."""
    survey, run_dir = args.survey, args.survey / "run"
    metgrad = [sys.executable, "-m", "metgrad.cli"]
    stages = []
    mock_cmd = ["mock", "--galaxies", str(args.galaxies), "--seed", str(args.seed),
                "--workers", str(args.workers), "--out", str(survey)]  # fmt: skip
    if _inputs.survey_matches(survey, args.galaxies, args.seed):
        stages.append(("mock", "metgrad " + " ".join(mock_cmd), None))
    else:
        if (survey / "survey.toml").exists():
            raise SystemExit(f"{survey} holds another survey; remove it or choose --survey")
        stages.append(("mock", "metgrad " + " ".join(mock_cmd), run_measured(metgrad + mock_cmd)))
    ingest_cmd = ["ingest", str(survey / "survey.toml"), "--workers", str(args.workers),
                  "--no-progress"]  # fmt: skip
    if _inputs.run_complete(run_dir, args.galaxies):
        stages.append(("ingest", "metgrad " + " ".join(ingest_cmd), None))
    else:
        stages.append(
            ("ingest", "metgrad " + " ".join(ingest_cmd), run_measured(metgrad + ingest_cmd))
        )
    return run_dir, stages


def summarise(results: list[dict[str, float]]) -> dict[str, float]:
    """Median of each measure over repeated runs, with the wall time's min and max."""
    out = {k: float(np.median([r[k] for r in results])) for k in results[0]}
    out["wall_min"] = min(r["wall_s"] for r in results)
    out["wall_max"] = max(r["wall_s"] for r in results)
    out["runs"] = len(results)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed re-analyses (median)")
    parser.add_argument("--survey", type=Path, help="mock a distinct survey here instead")
    parser.add_argument("--galaxies", type=int, default=5000, help="with --survey")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="mock/ingest processes")
    parser.add_argument("--profile-galaxies", type=int, default=1000)
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    parser.add_argument(
        "--all-models",
        action="store_true",
        help="also time one run with the gradients of all seven model sets (about 95 s)",
    )
    args = parser.parse_args()
    metgrad = [sys.executable, "-m", "metgrad.cli"]
    if args.survey is None:
        base = _inputs.base_run(seed=args.seed, workers=args.workers)
        n_copies, fraction = _inputs.paper_scale(base)
        run_dir = _inputs.replicated_run(base, n_copies, spaxel_fraction=fraction)
        source = (
            f"{n_copies} copies of the {base.parent.name} galaxies (mock seed {args.seed}), "
            f"each keeping {fraction:.3f} of its selected spaxels (`benchmarks/_inputs.py`)"
        )
        stages = []
    else:
        run_dir, stages = distinct_survey(args)
        source = f"distinct mock survey {args.survey} ({args.galaxies} galaxies, seed {args.seed})"

    analyse_cmd = ["analyse", str(run_dir)]
    shown = "metgrad " + " ".join(analyse_cmd)
    start = time.perf_counter()
    load_selected_spaxels(run_dir)  # the first analysis of a run writes this cache
    cache_s = time.perf_counter() - start
    stages.append(("selected-spaxel cache, built once per run (in-process)",
                   "load_selected_spaxels(RUN)", {"wall_s": cache_s}))  # fmt: skip
    if args.all_models:
        toml = OUT_MD.parent / "all-models.toml"
        toml.write_text('[gradients]\nmodels = ["all"]\n')
        cmd = [*analyse_cmd, "--config", str(toml)]
        all_models = run_measured(metgrad + cmd)
    # the timed re-analyses come last, so the run's tables are left at the default settings
    warm = summarise([run_measured(metgrad + analyse_cmd) for _ in range(args.repeats)])
    stages.append((f"analyse (median of {args.repeats})", shown, warm))
    if args.all_models:
        stages.append(("analyse, gradients of all seven model sets (one run)",
                       "metgrad " + " ".join(cmd), all_models))  # fmt: skip
    summary_default = json.loads((run_dir / "analysis" / "m13" / "summary.json").read_text())
    targets = [
        ("analyse at the paper's scale, wall (median of "
         f"{warm['runs']}, min-max {warm['wall_min']:.1f}-{warm['wall_max']:.1f})",
         f"{warm['wall_s']:.1f} s", "< 60 s", bool(warm["wall_s"] < 60)),
        ("analyse at the paper's scale, peak memory", f"{warm['peak_rss_mb']:.0f} MB",
         "< 2048 MB", bool(warm["peak_rss_mb"] < 2048)),
    ]  # fmt: skip
    if args.all_models:
        every = stages[-1][2]
        measured = f"{every['wall_s']:.1f} s, {every['peak_rss_mb']:.0f} MB"
        targets.append(("the same with gradients of all seven model sets (one run)",
                        measured, "", None))  # fmt: skip
    _inputs.write_targets("analysis", targets)

    profile = None
    if not args.no_profile:
        target = run_dir
        if args.survey is None and args.profile_galaxies < n_copies:
            target = _inputs.replicated_run(base, args.profile_galaxies, spaxel_fraction=fraction)
            load_selected_spaxels(target)  # profile a re-analysis, as timed above
        profile = (target, *profile_analysis(target))
    _, run_bytes = folder_size(run_dir)
    text = report(source, stages, run_bytes, run_dir, profile, summary_default)
    _inputs.publish(OUT_MD, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
