"""``metgrad learn`` at the paper's scale: wall time and peak memory on this machine.

Usage::

    python benchmarks/bench_learn.py [--base-galaxies 600] [--scales 0.25 0.5 1] [--workers 2]

The input is the replicated paper-scale run of ``benchmarks/_inputs.py`` (copies of
a base mock survey, each keeping a share of its selected spaxels, ~2,100 final
galaxies and ~860,000 final spaxels), analysed for M13 once (not timed), then
``metgrad learn RUN --calibrator m13 --workers N`` (5 folds, all five models,
permutation importances) is timed in a subprocess at each ``--scales`` fraction
of the paper's galaxy count, and a power law ``t = a n^b`` is fitted to the
times. Target: under 10 minutes and 4 GB at the paper's scale on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _inputs
from bench_analysis import run_measured

OUT_MD = Path(__file__).resolve().parent / "out" / "learn.md"
TARGET_S, TARGET_MB = 600.0, 4096.0


def analysed(run_dir: Path) -> Path:
    """The run with its M13 analysis (made once, untimed)."""
    if not (run_dir / "analysis" / "m13" / "spaxels.parquet").is_file():
        _inputs.metgrad("analyse", str(run_dir), "--calibrator", "m13")
    return run_dir


def measure(run_dir: Path, workers: int) -> dict[str, float]:
    """Time one ``metgrad learn`` and read what it scored."""
    cmd = [sys.executable, "-m", "metgrad.cli", "learn", str(run_dir), "--calibrator", "m13",
           "--workers", str(workers)]  # fmt: skip
    result = run_measured(cmd)
    summary = json.loads((run_dir / "learn" / "m13" / "summary.json").read_text())
    spaxels = json.loads((run_dir / "analysis" / "m13" / "summary.json").read_text())
    result["final_galaxies"] = spaxels["n_galaxies_final"]
    result["final_spaxels"] = spaxels["n_spaxels_final"]
    result["fitting_spaxels"] = sum(summary["fold_spaxels"])
    result["scores"] = summary["scores"]
    return result


def report(rows: list[dict], fit: tuple[float, float] | None, source: str, workers: int) -> str:
    lines = [
        "## learn (held-out scores of the binned and learned models)",
        "",
        f"- input: {source}",
        f"- `metgrad learn RUN --calibrator m13 --workers {workers}`: 5 galaxy folds, base, SFH "
        "and three boosted-tree models, permutation importances; one run per scale",
        f"- machine: {_inputs.cpu_count()} CPUs usable; load average at the end "
        + " / ".join(f"{v:.1f}" for v in os.getloadavg()),
        "",
        "| galaxies (final) | spaxels (final) | fitting spaxels | wall (s) | CPU (s) "
        "| peak RSS (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['final_galaxies']} | {r['final_spaxels']} | {r['fitting_spaxels']} | "
            f"{r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} |"
        )
    if fit is not None:
        a, b = fit
        lines += ["", f"Power-law fit of wall time on final spaxels: t = {a:.3g} n^{b:.2f} s."]
    best = rows[-1]
    lines += ["", "Held-out scores at the largest scale (for the record only: the input is made "
              "of "
              "copies of the same few hundred mock galaxies, so copies of a held-out galaxy sit "
              "in the training folds and these scores flatter the learned models; the honest "
              "scores are those of distinct galaxies, `tests/integration/test_learn.py`):", "",
              "| model | dispersion (dex) | coverage | offset median | offset dispersion "
              "| offset-size slope |", "|---|---|---|---|---|---|"]  # fmt: skip
    for s in best["scores"]:
        lines.append(
            f"| {s['model']} | {s['oof_residual_dispersion']:.4f} | {s['coverage']:.3f} | "
            f"{s['gradient_offset_median']:+.4f} | {s['gradient_offset_dispersion']:.4f} | "
            f"{s['gradient_offset_size_slope']:+.3f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-galaxies", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0])
    args = parser.parse_args()
    base = _inputs.base_run(args.base_galaxies, seed=args.seed, workers=args.workers)
    n_copies, fraction = _inputs.paper_scale(base)
    rows = []
    for scale in sorted(args.scales):
        run_dir = analysed(
            _inputs.replicated_run(base, round(n_copies * scale), spaxel_fraction=fraction)
        )
        start = time.perf_counter()
        rows.append(measure(run_dir, args.workers))
        print(f"scale {scale}: {time.perf_counter() - start:.1f} s", flush=True)
    fit = None
    if len(rows) > 1:
        n = np.log([r["final_spaxels"] for r in rows])
        b, log_a = np.polyfit(n, np.log([r["wall_s"] for r in rows]), 1)
        fit = (float(np.exp(log_a)), float(b))
    source = (
        f"copies of the {base.parent.name} galaxies, each keeping {fraction:.3f} of its "
        f"selected spaxels; {n_copies} copies at scale 1"
    )
    _inputs.publish(OUT_MD, report(rows, fit, source, args.workers))
    top = rows[-1]
    at_paper = top["wall_s"]
    if fit is not None and max(args.scales) < 1.0:  # extrapolated to the paper's spaxels
        at_paper = fit[0] * _inputs.PAPER_SPAXELS ** fit[1]
    _inputs.write_targets("learn", [
        ("learn at the paper's scale, wall", f"{at_paper:.0f} s", "< 600 s", at_paper < TARGET_S),
        ("learn at the paper's scale, peak memory", f"{top['peak_rss_mb']:.0f} MB", "< 4096 MB",
         top["peak_rss_mb"] < TARGET_MB),
    ])  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
