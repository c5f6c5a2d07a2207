"""Time ``metgrad.stats.lad_line`` against exact linear programming (scipy HiGHS).

Usage::

    python benchmarks/bench_lad.py [--repeats 5] [--seed 1]

Cases: single fits of N = 500, 2000 and 5000 points (metallicity-like data, 12+log(O/H)
against R/R_e with Gaussian scatter and 5 % outliers), and the paper's use: 100
residual-bootstrap resamples of one galaxy of 400 spaxels, fitted in one batched call
(``lad_line(x, y)`` with ``y`` of shape (100, 400)), timed per fit.

The reference is ``scipy.optimize.linprog(method="highs")`` on two formulations of the same
LP, both exact:

- primal: minimise sum(u + v) s.t. a + b x_i + u_i - v_i = y_i, u, v >= 0 (2n + 2 variables,
  sparse constraint matrix; the usual LAD LP, as in scikit-learn's QuantileRegressor);
- dual: maximise sum(d_i y_i) s.t. sum d_i = 0, sum d_i x_i = 0, -1 <= d_i <= 1 (n bounded
  variables, 2 constraints; a, b are the constraint marginals). Much faster for HiGHS.

Each timing is the median (with min and max) of ``--repeats`` rounds in which all three
are timed in turn (the machine may be shared). For every fit the objective
sum|y - a - b x| of lad_line is compared with the LP optimum; the table reports the largest
relative excess. Prints a Markdown table and writes it to ``benchmarks/out/lad.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
from scipy.optimize import linprog

from metgrad.stats.lad import lad_line

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _inputs


def highs_primal(x, y):
    """LAD by the primal LP: returns the optimal objective."""
    n = len(x)
    identity = sp.identity(n, format="csr")
    a_eq = sp.hstack([sp.csr_matrix(np.c_[np.ones(n), x]), identity, -identity], format="csr")
    cost = np.r_[0.0, 0.0, np.ones(2 * n)]
    bounds = [(None, None)] * 2 + [(0, None)] * (2 * n)
    result = linprog(cost, A_eq=a_eq, b_eq=y, bounds=bounds, method="highs")
    if result.status != 0:
        raise RuntimeError(result.message)
    return result.fun


def highs_dual(x, y):
    """LAD by the dual LP: returns the optimal objective."""
    n = len(x)
    result = linprog(
        -y, A_eq=np.vstack([np.ones(n), x]), b_eq=[0.0, 0.0], bounds=(-1.0, 1.0), method="highs"
    )
    if result.status != 0:
        raise RuntimeError(result.message)
    return -result.fun


def galaxy(rng, n):
    """Metallicity-like data: 12+log(O/H) = 8.6 - 0.1 R/R_e + scatter, 5 % outliers."""
    x = rng.uniform(0.5, 2.0, n)
    y = 8.6 - 0.1 * x + rng.normal(0.0, 0.05, n)
    outliers = rng.random(n) < 0.05
    y[outliers] += rng.normal(0.0, 0.5, outliers.sum())
    return x, y


def round_times(functions, repeats):
    """Wall times per call (s) of each ``(function, calls)`` pair, one per round.

    The functions are timed in turn within each of ``repeats`` rounds, so that load from
    other processes affects all of them alike. Returns one array of times per function.
    """
    times = [[] for _ in functions]
    for _ in range(repeats):
        for k, (function, calls) in enumerate(functions):
            start = time.perf_counter()
            function()
            times[k].append((time.perf_counter() - start) / calls)
    return [np.array(t) for t in times]


def cell(times) -> str:
    """Median (min-max) of per-call times, in ms."""
    digits = 3 if np.median(times) < 0.01 else 1
    return (
        f"{np.median(times) * 1e3:.{digits}f} ({times.min() * 1e3:.{digits}f}-"
        f"{times.max() * 1e3:.{digits}f}) ms"
    )


def repeated(function, loops):
    """A callable that calls ``function`` ``loops`` times."""

    def run():
        for _ in range(loops):
            function()

    return run


def excess(x, rows, lines, optima):
    """Largest relative excess of lad_line's objective over the LP optimum."""
    slopes = np.atleast_1d(lines.slope)
    intercepts = np.atleast_1d(lines.intercept)
    ours = np.abs(np.atleast_2d(rows) - intercepts[:, None] - slopes[:, None] * x).sum(axis=1)
    return float(np.max((ours - optima) / np.maximum(np.abs(optima), 1e-300)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    lad_line(np.arange(3.0), np.arange(3.0))  # load the compiled kernel before timing
    rows = []

    for n in (500, 2000, 5000):
        x, y = galaxy(rng, n)
        ours = 20
        t_ours, t_primal, t_dual = round_times(
            [
                (repeated(lambda x=x, y=y: lad_line(x, y), ours), ours),
                (lambda x=x, y=y: highs_primal(x, y), 1),
                (lambda x=x, y=y: highs_dual(x, y), 1),
            ],
            args.repeats,
        )
        worst = excess(x, y, lad_line(x, y), np.array([highs_dual(x, y)]))
        rows.append((f"single fit, N = {n}", t_ours, t_primal, t_dual, worst))

    n, m = 400, 100
    x, y = galaxy(rng, n)
    best = lad_line(x, y)
    fitted = best.intercept + best.slope * x
    resamples = fitted + rng.choice(y - fitted, (m, n))
    t_ours, t_primal, t_dual = round_times(
        [
            (repeated(lambda: lad_line(x, resamples), 5), 5 * m),
            (lambda: [highs_primal(x, r) for r in resamples], m),
            (lambda: [highs_dual(x, r) for r in resamples], m),
        ],
        max(3, args.repeats // 2),
    )
    optima = np.array([highs_dual(x, r) for r in resamples])
    worst = excess(x, resamples, lad_line(x, resamples), optima)
    rows.append((f"{m} bootstrap resamples of N = {n}, per fit", t_ours, t_primal, t_dual, worst))

    lines = [
        "## lad_line vs scipy.optimize.linprog (HiGHS)",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}",
        f"- median (min-max) of {args.repeats} interleaved runs ({max(3, args.repeats // 2)}"
        f" for the bootstrap case); ratios of medians; seed {args.seed}; load average at the"
        f" end {os.getloadavg()[0]:.2f}",
        "- target (issue #7): lad_line at least 100x faster per fit than HiGHS (primal, the "
        "usual LAD linear program), equal objective",
        "",
        "| case | lad_line | HiGHS primal | HiGHS dual | x primal | x dual | objective excess |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, ours, primal, dual, worst in rows:
        ratio_p = np.median(primal) / np.median(ours)
        ratio_d = np.median(dual) / np.median(ours)
        lines.append(
            f"| {label} | {cell(ours)} | {cell(primal)} | {cell(dual)} "
            f"| {ratio_p:.0f} | {ratio_d:.0f} | {worst:.1e} |"
        )
    lines.append("")
    lines.append(
        "x = HiGHS time / lad_line time per fit. Objective excess = max over fits of "
        "(sum|r| of lad_line - LP optimum) / LP optimum (<= 0: equal or below HiGHS's own "
        "tolerance)."
    )
    text = "\n".join(lines)
    print(text)
    targets = []
    for label, ours, primal, _, worst in rows:
        ratio = np.median(primal) / np.median(ours)
        targets.append((f"lad_line vs HiGHS primal, {label}", f"{ratio:.0f}x (objective "
                        f"excess {worst:.0e})", ">= 100x, equal objective",
                        bool(ratio >= 100 and worst <= 1e-9)))  # fmt: skip
    _inputs.write_targets("lad", targets)
    target = Path(__file__).resolve().parent / "out" / "lad.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
