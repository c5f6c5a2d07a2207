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
are timed in turn (the machine may be shared).

Second table: ``metgrad.gradients.galaxy_gradients`` at the paper's scale (2,100 galaxies
of about 400 spaxels, 100 refits each; per run two observed passes, residual bootstrap,
and two model gradients, Gaussian-noise refits) on 1 and 2 threads, with the refits'
warm start (each descent starts from the galaxy's full fit) and without it (the same
code with ``start`` dropped), timed back to back in each round. With ``--compare-src
DIR`` the same runs of the package in ``DIR/src`` (e.g. an earlier checkout, ``git
worktree add``) are timed too, in a child process, in the same rounds. For every fit the objective
sum|y - a - b x| of lad_line is compared with the LP optimum; the table reports the largest
relative excess. Prints a Markdown table and writes it to ``benchmarks/out/lad.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
from scipy.optimize import linprog

import metgrad.gradients as gradients_module
from metgrad.gradients import galaxy_gradients
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


#: The paper's scale: galaxies, mean spaxels per galaxy (861,134 / 2,123), refits.
PAPER_GALAXIES, PAPER_SPAXELS, REFITS = 2100, 405, 100


def paper_sample(seed, n_galaxies=PAPER_GALAXIES):
    """Spaxels of 2,100 metallicity-like galaxies (150-660 spaxels each, mean ~405)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(150, 661, n_galaxies)
    names, radii, values, errors = [], [], [], []
    for g, n in enumerate(sizes):
        x, y = galaxy(rng, int(n))
        names.append(np.full(n, f"{8000 + g // 100}-{g % 100}"))
        radii.append(x)
        values.append(y)
        errors.append(rng.uniform(0.01, 0.06, n))
    return tuple(np.concatenate(a) for a in (names, radii, values, errors))


def gradient_passes(sample, threads):
    """(Wall, CPU) time (s) of the paper's gradient work: two observed passes, two model ones.

    The CPU time is this process's (all threads): robust to other jobs on a shared
    machine for one thread.
    """
    names, radii, values, errors = sample
    start, start_cpu = time.perf_counter(), time.process_time()
    for stream in ("observed-a", "observed-b"):
        galaxy_gradients(names, radii, values, seed=1, stream=stream, n_refits=REFITS,
                         workers=threads)  # fmt: skip
    for stream in ("model-a", "model-b"):
        galaxy_gradients(names, radii, values, errors, seed=1, stream=stream, n_refits=REFITS,
                         workers=threads)  # fmt: skip
    return time.perf_counter() - start, time.process_time() - start_cpu


def cold_start(function):
    """``function`` (lad_slopes_trusted) with its ``start`` argument dropped: cold starts."""

    def cold(x, y, *, start=None):
        return function(x, y)

    return cold


def gradients_server(seed, n_galaxies) -> int:
    """Child of ``--compare-src``: time `gradient_passes` per request line (threads)."""
    sample = paper_sample(seed, n_galaxies)
    gradient_passes(sample, 1)  # compile or load the kernel before timing
    print(json.dumps({"source": gradients_module.__file__}), flush=True)
    for line in sys.stdin:
        print(json.dumps(gradient_passes(sample, int(line))), flush=True)
    return 0


def time_gradients(args):
    """Rounds of `gradient_passes`: warm and cold starts (and ``--compare-src``), 1-2 threads."""
    sample = paper_sample(args.seed, args.galaxies)
    warm_fit = gradients_module.lad_slopes_trusted
    child = None
    if args.compare_src:
        env = {**os.environ, "PYTHONPATH": str(Path(args.compare_src).resolve() / "src"),
               "NUMBA_CACHE_DIR": tempfile.mkdtemp(prefix="bench-lad-numba-")}  # fmt: skip
        child = subprocess.Popen(
            [sys.executable, __file__, "--gradients-server", "--seed", str(args.seed),
             "--galaxies", str(args.galaxies)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        source = json.loads(child.stdout.readline())["source"]
    gradient_passes(sample, 1)
    sides = ["warm", "cold"] + (["compared"] if child else [])
    times = {(side, t): [] for side in sides for t in (1, 2)}
    try:
        for _ in range(args.gradient_repeats):
            for threads in (1, 2):
                times["warm", threads].append(gradient_passes(sample, threads))
                gradients_module.lad_slopes_trusted = cold_start(warm_fit)
                try:
                    times["cold", threads].append(gradient_passes(sample, threads))
                finally:
                    gradients_module.lad_slopes_trusted = warm_fit
                if child:
                    child.stdin.write(f"{threads}\n")
                    child.stdin.flush()
                    times["compared", threads].append(json.loads(child.stdout.readline()))
    finally:
        if child:
            child.stdin.close()
            child.wait()
    times = {key: np.array(value).reshape(-1, 2) for key, value in times.items()}
    return times, (f"`{args.compare_src}` ({source})" if child else None)


def gradient_lines(times, compared, repeats, n_galaxies):
    """Markdown table of `time_gradients` (``times[side, threads]``: rows of wall, CPU)."""
    machine = _inputs.machine_description()
    fits = 4 * n_galaxies * REFITS
    lines = [
        "",
        "## galaxy_gradients: warm-started refits",
        "",
        f"- {n_galaxies} galaxies x ~{PAPER_SPAXELS} spaxels x {REFITS} refits, two observed "
        f"(bootstrap) and two model (noise) passes per run: {fits:,} LAD fits; median (min-max) "
        f"of {repeats} back-to-back rounds; wall-clock times, and the CPU time of one thread "
        f"(the figure least disturbed by other jobs)",
        "- warm: each refit's descent starts from the galaxy's full-fit slope (the default); "
        "cold: the same code with the start dropped (least-squares start)"
        + (f"; compared: the package of {compared}" if compared else ""),
        f"- machine: {machine}",
        "",
        "| threads | time | warm | cold | x faster (warm vs cold) "
        + ("| compared | x faster (warm vs compared) " if compared else "")
        + "| per fit, warm | CPU; BLAS |",
        "|---:|---|---:|---:|---:|" + ("---:|---:|" if compared else "") + "---:|---|",
    ]
    for threads, column, what in ((1, 1, "CPU"), (1, 0, "wall"), (2, 0, "wall")):
        warm, cold = times["warm", threads][:, column], times["cold", threads][:, column]
        row = (f"| {threads} | {what} | {cell_s(warm)} | {cell_s(cold)} "
               f"| {np.median(cold) / np.median(warm):.2f} ")  # fmt: skip
        if compared:
            other = times["compared", threads][:, column]
            row += f"| {cell_s(other)} | {np.median(other) / np.median(warm):.2f} "
        row += f"| {np.median(warm) / fits * 1e6:.1f} us | {machine} |"
        lines.append(row)
    return lines


def cell_s(times) -> str:
    """Median (min-max) in s."""
    return f"{np.median(times):.2f} ({times.min():.2f}-{times.max():.2f}) s"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gradient-repeats", type=int, default=3)
    parser.add_argument("--compare-src", help="also time the package of this checkout")
    parser.add_argument("--galaxies", type=int, default=PAPER_GALAXIES,
                        help="galaxies of the gradient runs (default: the paper's)")  # fmt: skip
    parser.add_argument("--gradients-only", action="store_true", help="skip the HiGHS table")
    parser.add_argument("--gradients-server", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def _gradient_targets(args, gradient_times, compared) -> list[tuple]:
    """Summary rows of the gradient runs: warm against cold start, and the compared checkout."""
    cpu1 = {key: float(np.median(value[:, 1])) for key, value in gradient_times.items()}
    n_fits = 4 * args.galaxies * REFITS
    machine = _inputs.machine_description()
    targets = [
        (f"galaxy_gradients, {n_fits:,} fits, 1 thread, CPU time, warm vs cold start",
         f"{cpu1['cold', 1] / cpu1['warm', 1]:.2f}x ({cpu1['warm', 1]:.1f} s; {machine})",
         "reported", None)
    ]  # fmt: skip
    if compared:
        targets.append((f"galaxy_gradients, {n_fits:,} fits, 1 thread, CPU time, vs "
                        f"{compared}", f"{cpu1['compared', 1] / cpu1['warm', 1]:.2f}x "
                        f"({machine})", "reported", None))  # fmt: skip
    return targets


def _highs_rows(args) -> list[tuple]:
    """lad_line and HiGHS (primal, dual) timed on single fits and on bootstrap resamples."""
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
    return rows


def _highs_lines(args, rows) -> list[str]:
    """The Markdown table of :func:`_highs_rows`."""
    lines = [
        "## lad_line vs scipy.optimize.linprog (HiGHS)",
        "",
        f"- machine: {_inputs.machine_description()}; {platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}",
        f"- median (min-max) of {args.repeats} interleaved runs ({max(3, args.repeats // 2)}"
        f" for the bootstrap case); ratios of medians; seed {args.seed}; load average at the"
        f" end {os.getloadavg()[0]:.2f}",
        "- target (issue #7): lad_line at least 100x faster per fit than HiGHS (primal, the "
        "usual LAD linear program), equal objective",
        "",
        "| case | lad_line | HiGHS primal | HiGHS dual | x primal | x dual | objective excess "
        "| CPU; BLAS |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, ours, primal, dual, worst in rows:
        ratio_p = np.median(primal) / np.median(ours)
        ratio_d = np.median(dual) / np.median(ours)
        lines.append(
            f"| {label} | {cell(ours)} | {cell(primal)} | {cell(dual)} "
            f"| {ratio_p:.0f} | {ratio_d:.0f} | {worst:.1e} | {_inputs.machine_description()} |"
        )
    lines.append("")
    lines.append(
        "x = HiGHS time / lad_line time per fit. Objective excess = max over fits of "
        "(sum|r| of lad_line - LP optimum) / LP optimum (<= 0: equal or below HiGHS's own "
        "tolerance)."
    )
    return lines


def _highs_targets(rows) -> list[tuple]:
    targets = []
    for label, ours, primal, _, worst in rows:
        ratio = np.median(primal) / np.median(ours)
        targets.append((f"lad_line vs HiGHS primal, {label}", f"{ratio:.0f}x (objective "
                        f"excess {worst:.0e})", ">= 100x, equal objective",
                        bool(ratio >= 100 and worst <= 1e-9)))  # fmt: skip
    return targets


def _write(text: str, targets: list[tuple]) -> None:
    print(text)
    _inputs.write_targets("lad", targets)
    target = Path(__file__).resolve().parent / "out" / "lad.md"
    target.parent.mkdir(exist_ok=True)
    target.write_text(text + "\n")


def main() -> int:
    args = _arguments()
    if args.gradients_server:
        return gradients_server(args.seed, args.galaxies)
    gradient_times, compared = time_gradients(args)
    extra = gradient_lines(gradient_times, compared, args.gradient_repeats, args.galaxies)
    gradient_targets = _gradient_targets(args, gradient_times, compared)
    if args.gradients_only:
        _write("\n".join(extra[1:]), gradient_targets)
        return 0
    rows = _highs_rows(args)
    text = "\n".join(_highs_lines(args, rows) + extra)
    _write(text, _highs_targets(rows) + gradient_targets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
