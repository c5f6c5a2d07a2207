"""Time the per-galaxy gradient loop against the batched fits (``galaxy_gradients``).

Usage::

    python benchmarks/bench_gradients.py [--galaxies 2100] [--refits 100] [--seed 1]

A synthetic sample at the paper's scale: ``--galaxies`` galaxies whose spaxel counts follow a
log-normal distribution with a mean of about 406 per galaxy (the paper's final sample: 861,134
spaxels in 2,123 galaxies), clipped to 20-2,000. Each galaxy's spaxels are the points of a
0.5 arcsec grid, centred on the galaxy, whose elliptical radius is 0.5-2 R_e (random axis
ratio and position angle), less a random 20 %: so radii repeat exactly in point-symmetric
pairs, as in MaNGA maps centred on a spaxel. 12+log(O/H) = 8.6 - 0.1 R/R_e + N(0, 0.05) with
5 % outliers; model errors |N(0.03, 0.01)| dex.

Both gradient kinds of the analysis are timed, three ways, in turn:

- loop: the loop the analysis used before batching, one galaxy at a time through
  ``observed_gradient`` (residual bootstrap) / ``model_gradient`` (Gaussian-noise refits);
- batched: ``metgrad.analysis.galaxy_gradients`` (``metgrad.gradients.batch_gradients`` with
  its default: galaxies of at most ``STACK_MAX_VALUES / refits`` spaxels stacked, larger ones
  singly);
- all stacked: ``batch_gradients(..., stack_max_spaxels=inf)``, every galaxy in padded
  weighted fits.

All draw every galaxy's resamples from the same ``galaxy_rng`` streams; the table reports how
many numbers agree with the loop to the bit and the largest difference. A second table times
the loop and full stacking on samples of equal-size galaxies (cost per spaxel and refit), which
sets ``STACK_MAX_VALUES``. ``metgrad analyse`` computes 8 such passes (2 calibrators x
observed before the error cut, observed, base and SFH); the last line extrapolates. Peak
memory of the stacked fits is numpy's (tracemalloc), on the 300 largest galaxies.
Prints Markdown tables and writes them to ``benchmarks/out/gradients.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from metgrad.analysis import galaxy_gradients
from metgrad.gradients import (
    STACK_MAX_VALUES,
    batch_gradients,
    galaxy_rng,
    model_gradient,
    observed_gradient,
)

#: Mean spaxels per galaxy of the paper's final M13 sample (861,134 / 2,123).
PAPER_MEAN_SPAXELS = 406
SIZE_LIMITS = (20, 2000)
SIZE_SIGMA = 0.75  # log-normal width of the spaxel counts


def per_galaxy_loop(plateifu, r_re, values, errors=None, *, seed, stream, n_refits):
    """The analysis's gradient loop before batching: one galaxy at a time."""
    keys, starts = np.unique(plateifu, return_index=True)
    order = np.argsort(starts)
    keys, starts = keys[order], starts[order]
    ends = np.append(starts[1:], len(plateifu))
    rows = {}
    for key, a, b in zip(keys, starts, ends, strict=True):
        rng = galaxy_rng(seed, str(key), stream)
        try:
            if errors is None:
                g = observed_gradient(r_re[a:b], values[a:b], n_bootstrap=n_refits, rng=rng)
            else:
                g = model_gradient(r_re[a:b], values[a:b], errors[a:b], n_noise=n_refits, rng=rng)
        except ValueError:
            continue
        rows[key] = (g.slope, g.slope_err, g.intercept, g.n_spaxels)
    frame = pd.DataFrame.from_dict(
        rows, orient="index", columns=["slope", "slope_err", "intercept", "n_spaxels"]
    )
    frame.index.name = "plateifu"
    return frame


def galaxy_radii(rng, target):
    """R/R_e of about ``target`` spaxels of a 0.5" grid centred on a galaxy (0.5-2 R_e)."""
    axis_ratio = rng.uniform(0.6, 1.0)
    angle = rng.uniform(0.0, np.pi)
    # grid points inside the elliptical annulus: area pi (2^2 - 0.5^2) q Re^2; keep 80 %
    re_spaxels = np.sqrt(target / 0.8 / (3.75 * np.pi * axis_ratio))
    half = int(np.ceil(2.0 * re_spaxels / axis_ratio)) + 1
    i, j = np.meshgrid(np.arange(-half, half + 1.0), np.arange(-half, half + 1.0))
    along = i * np.cos(angle) + j * np.sin(angle)
    across = (j * np.cos(angle) - i * np.sin(angle)) / axis_ratio
    r = np.sqrt(along**2 + across**2).ravel() / re_spaxels
    r = r[(r >= 0.5) & (r <= 2.0)]
    return r[rng.random(r.size) < 0.8]


def synthetic_sample(n_galaxies, seed):
    """Spaxel arrays (plate-ifu, R/R_e, 12+log(O/H), model error) of a synthetic sample."""
    rng = np.random.default_rng(seed)
    median = PAPER_MEAN_SPAXELS / np.exp(SIZE_SIGMA**2 / 2)
    targets = np.clip(rng.lognormal(np.log(median), SIZE_SIGMA, n_galaxies), *SIZE_LIMITS)
    radii = [galaxy_radii(rng, t) for t in targets]
    radii = [r if r.size >= SIZE_LIMITS[0] else rng.choice(r, SIZE_LIMITS[0]) for r in radii]
    sizes = np.array([r.size for r in radii])
    r_re = np.concatenate(radii)
    oh = 8.6 - 0.1 * r_re + rng.normal(0.0, 0.05, r_re.size)
    outliers = rng.random(r_re.size) < 0.05
    oh[outliers] += rng.normal(0.0, 0.5, outliers.sum())
    errors = np.abs(rng.normal(0.03, 0.01, r_re.size))
    names = np.array([f"{8000 + k // 100}-{12700 + k % 100}" for k in range(n_galaxies)])
    return np.repeat(names, sizes), r_re, oh, errors, sizes


def all_stacked(plateifu, r_re, values, errors=None, *, seed, stream, n_refits):
    """``galaxy_gradients`` with every galaxy stacked (``stack_max_spaxels=None``)."""
    keys, starts = np.unique(plateifu, return_index=True)
    order = np.argsort(starts)
    keys, starts = keys[order], starts[order]
    lengths = np.diff(np.append(starts, len(plateifu)))
    rngs = [galaxy_rng(seed, str(key), stream) for key in keys]
    fits = batch_gradients(
        r_re, values, errors, lengths=lengths, rngs=rngs, n_refits=n_refits,
        stack_max_spaxels=np.inf,
    )  # fmt: skip
    frame = pd.DataFrame(
        {"slope": fits.slope, "slope_err": fits.slope_err, "intercept": fits.intercept,
         "n_spaxels": fits.n_spaxels},
        index=pd.Index(keys, name="plateifu"),
    )[fits.fitted]  # fmt: skip
    return frame


def timed(function, *args, **kwargs):
    """(result, wall seconds, CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def agreement(old, new):
    """(fraction of numbers equal to the bit, largest absolute difference) of two tables."""
    if not old.index.equals(new.index):
        raise RuntimeError("the two methods fitted different galaxies")
    a = old[["slope", "slope_err", "intercept"]].to_numpy()
    b = new[["slope", "slope_err", "intercept"]].to_numpy()
    return float(np.mean(a == b)), float(np.max(np.abs(a - b)))


def peak_stacked_mb(plateifu, r_re, oh, errors, sizes, n_refits):
    """Peak numpy memory (MB) of fully stacked fits of the 300 largest galaxies."""
    keep = np.isin(plateifu, np.unique(plateifu)[np.argsort(sizes)[-300:]])
    tracemalloc.start()
    all_stacked(plateifu[keep], r_re[keep], oh[keep], errors[keep], seed=1, stream="m",
                n_refits=n_refits)  # fmt: skip
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def cost_by_size(seed, n_refits, repeats=2):
    """Loop and full stacking on equal-size galaxies: ns per spaxel and refit, per size."""
    rng = np.random.default_rng(seed)
    rows = []
    for target in (20, 30, 45, 65, 100, 200, 400, 800):
        n_galaxies = max(8, 12_000 // target)
        radii = [galaxy_radii(rng, target) for _ in range(n_galaxies)]
        radii = [r if r.size >= 2 else np.array([0.6, 1.8]) for r in radii]
        sizes = np.array([r.size for r in radii])
        r_re = np.concatenate(radii)
        oh = 8.6 - 0.1 * r_re + rng.normal(0.0, 0.05, r_re.size)
        names = np.repeat(np.array([f"{k}-1" for k in range(n_galaxies)]), sizes)
        best = {}
        for _ in range(repeats):
            for label, function in (("loop", per_galaxy_loop), ("stacked", all_stacked)):
                _, wall, _ = timed(function, names, r_re, oh, seed=seed, stream="o",
                                   n_refits=n_refits)  # fmt: skip
                best[label] = min(best.get(label, np.inf), wall)
        per_value = {k: v / (r_re.size * n_refits) * 1e9 for k, v in best.items()}
        rows.append((sizes.mean(), n_galaxies, per_value["loop"], per_value["stacked"]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galaxies", type=int, default=2100)
    parser.add_argument("--refits", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    plateifu, r_re, oh, errors, sizes = synthetic_sample(args.galaxies, args.seed)
    options = {"seed": args.seed, "n_refits": args.refits}
    stack_max = STACK_MAX_VALUES / args.refits

    rows, totals = [], {"loop": 0.0, "batched": 0.0, "stacked": 0.0}
    for label, errs, stream in (
        ("observed (residual bootstrap)", None, "observed-m13"),
        ("model (Gaussian-noise refits)", errors, "base-m13"),
    ):
        results = {}
        for method, function in (
            ("loop", per_galaxy_loop), ("batched", galaxy_gradients), ("stacked", all_stacked),
        ):  # fmt: skip
            results[method] = timed(function, plateifu, r_re, oh, errs, stream=stream, **options)
            totals[method] += results[method][1]
        for method in ("batched", "stacked"):
            same, worst = agreement(results["loop"][0], results[method][0])
            _, wall, cpu = results[method]
            rows.append((label, method, wall, cpu, results["loop"][1] / wall, same, worst))
        rows.append((label, "loop", *results["loop"][1:], 1.0, 1.0, 0.0))
    by_size = cost_by_size(args.seed, args.refits)
    peak = peak_stacked_mb(plateifu, r_re, oh, errors, sizes, args.refits)

    lines = [
        "## Gradient fits: per-galaxy loop vs batched (`galaxy_gradients`)",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, numpy {np.__version__}; load average at the end "
        f"{os.getloadavg()[0]:.2f} (other jobs may share the machine)",
        f"- sample: {args.galaxies} synthetic galaxies, {r_re.size} spaxels (mean "
        f"{sizes.mean():.0f}, median {np.median(sizes):.0f}, min {sizes.min()}, max "
        f"{sizes.max()} per galaxy; {np.mean(sizes <= stack_max):.1%} of galaxies, "
        f"{np.sum(sizes[sizes <= stack_max]) / r_re.size:.1%} of spaxels stacked by default "
        f"(<= {stack_max:.0f} spaxels)); {args.refits} refits per galaxy; "
        f"seed {args.seed}; one run each, in turn",
        "",
        "| gradients | method | wall s | CPU s | speed-up vs loop | numbers equal to the loop's "
        "to the bit | largest difference |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    order = {"loop": 0, "batched": 1, "stacked": 2}
    for label, method, wall, cpu, speedup, same, worst in sorted(
        rows, key=lambda row: (row[0], order[row[1]])
    ):
        lines.append(
            f"| {label} | {method} | {wall:.1f} | {cpu:.1f} | {speedup:.2f} | {same:.2%} "
            f"| {worst:.1e} |"
        )
    lines += [
        "",
        f"Peak numpy memory of the stacked fits (300 largest galaxies): {peak:.0f} MB.",
        "",
        "### Cost per spaxel and refit, by galaxy size (best of 2)",
        "",
        "| spaxels per galaxy | galaxies | loop ns | all stacked ns | stacked / loop |",
        "|---:|---:|---:|---:|---:|",
    ]
    for mean_size, n_galaxies, loop_ns, stacked_ns in by_size:
        lines.append(
            f"| {mean_size:.0f} | {n_galaxies} | {loop_ns:.0f} | {stacked_ns:.0f} "
            f"| {stacked_ns / loop_ns:.2f} |"
        )
    lines += [
        "",
        f"`metgrad analyse` fits 8 such passes (4 per calibrator): about "
        f"{4 * totals['loop']:.0f} s one galaxy at a time, {4 * totals['batched']:.0f} s "
        f"batched, {4 * totals['stacked']:.0f} s all stacked (extrapolated from the two passes "
        "above, one core).",
    ]
    text = "\n".join(lines)
    print(text)
    target = Path(__file__).resolve().parent / "out" / "gradients.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
