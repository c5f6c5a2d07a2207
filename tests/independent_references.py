"""Reference implementations the tests compare the package with, written apart from it.

- :func:`idl_robust_sigma`: IDL astrolib ``robust_sigma.pro`` (Freudenreich 1990, revised by
  W. Landsman) transcribed literally, a scalar loop over the values;
- :func:`cappellari_loess_2d`: Cappellari's ``loess_2d`` from the ``loess`` package (the test
  extra: it may not be redistributed, so it is never a runtime dependency), silenced;
- :func:`highs_lad_line`: the least-absolute-deviations line as a linear programme solved by
  HiGHS, its optimality certified by strong duality.

One module for the unit and the integration tests: it sits in ``tests/``, beside the root
``conftest.py``, which pytest puts on ``sys.path`` for every test below it. Nothing here
imports from ``metgrad``: a reference must share no code with what it checks.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import io
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

from mutant_runs import mutmut_phase


def idl_robust_sigma(values, zero: bool = False) -> float:
    """ROBUST_SIGMA of the finite ``values``, line by line as robust_sigma.pro.

    numpy's median of an even count is the mean of the two middle values (IDL's
    MEDIAN(/EVEN)); the biweight sums are a Python loop. ``zero``: about 0, not the median.
    """
    y = [float(v) for v in np.ravel(values) if np.isfinite(v)]
    if not y:
        return np.nan
    y0 = 0.0 if zero else float(np.median(y))
    mad = float(np.median([abs(v - y0) for v in y])) / 0.6745
    if mad < 1e-20:
        mad = sum(abs(v - y0) for v in y) / len(y) / 0.80
    if mad < 1e-20:
        return 0.0
    num = den = 0.0
    count = 0
    for v in y:
        uu = ((v - y0) / (6.0 * mad)) ** 2
        if uu <= 1.0:
            count += 1
            num += (v - y0) ** 2 * (1 - uu) ** 4
            den += (1 - uu) * (1 - 5 * uu)
    if count < 3:
        return np.nan
    sig = len(y) * num / (den * (den - 1))
    return float(np.sqrt(sig)) if sig > 0 else 0.0


def cappellari_loess_2d(*args, **kwargs):
    """Cappellari's ``loess_2d(*args, **kwargs)``, anything it prints or warns swallowed.

    Skips the calling test where the ``loess`` package (test extra) is not installed. Under
    mutmut (``MUTANT_UNDER_TEST`` set) the outputs are kept on disk, keyed by the inputs
    (:func:`_mutation_cache`): mutmut runs the loess tests again for every mutant, each time
    in a new process, and this pure-Python reference was about 95 % of their time. A plain
    ``pytest`` run computes every reference afresh.
    """
    module = pytest.importorskip("loess.loess_2d")
    args = [np.asarray(a, dtype=float) for a in args]
    cache = _mutation_cache(args, kwargs)
    if cache is not None and cache.is_file():
        with np.load(cache) as saved:
            return saved["zout"], saved["wout"]
    with (
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        zout, wout = module.loess_2d(*args, **kwargs)
    if cache is not None:  # written whole, then renamed: a concurrent reader sees all or none
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(f"{cache.stem}.{os.getpid()}.partial.npz")
        np.savez(partial, zout=zout, wout=wout)
        os.replace(partial, cache)
    return zout, wout


def _mutation_cache(args, kwargs) -> Path | None:
    """Where a reference output is kept under mutmut, else None.

    In mutmut's temporary folder (``PYTEST_DEBUG_TEMPROOT``, emptied by ``make mutation``),
    named by a hash of the input arrays, the options and the ``loess`` version: the inputs
    are the test's own data, so the same inputs always give the same reference output.
    """
    if mutmut_phase() is None:
        return None
    digest = hashlib.sha256(importlib.metadata.version("loess").encode())
    for value in [*args, *(kwargs[k] for k in sorted(kwargs))]:
        array = np.asarray(value)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(repr(sorted(kwargs)).encode())
    root = Path(os.environ.get("PYTEST_DEBUG_TEMPROOT", tempfile.gettempdir()))
    return root / f"metgrad-loess-reference-{os.getuid()}" / f"{digest.hexdigest()}.npz"


def highs_lad_line(
    x, y, *, certify_rtol: float | None = None, certify_atol: float = 0.0
) -> tuple[float, float, float]:
    """The least-absolute-deviations line as a linear programme (scipy's HiGHS).

    Minimises sum(u + v) subject to a + b x + u - v = y, u, v >= 0 (a sparse programme, so
    thousands of points solve in about a second): shares nothing with metgrad's LAD kernel.

    Parameters
    ----------
    x, y : array_like
        The points (any units).
    certify_rtol, certify_atol : float, optional
        Certify the line as optimal by strong duality, to these relative and absolute
        tolerances (units of y): the multipliers d of the equalities are dual feasible
        (|d| <= 1, sum d = 0 and sum d x = 0, to 1e-9), so every line has
        sum|y - a - b x| >= d.(y - a - b x), and HiGHS's line must reach that bound.
        Not certified by default: HiGHS's line may miss its optimum by its feasibility
        tolerance (about 1e-7 of y), so only well-scaled programmes pass 1e-9.

    Returns
    -------
    tuple of float
        The intercept a (units of y), the slope b (units of y per unit of x) and HiGHS's
        least sum of |y - a - b x| (units of y).

    Raises
    ------
    RuntimeError
        HiGHS did not solve the programme, or the line asked for is not certified.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = x.size
    identity = sparse.identity(n, format="csr")
    a_eq = sparse.hstack([sparse.csr_matrix(np.column_stack([np.ones(n), x])), identity,
                          -identity], format="csr")  # fmt: skip
    cost = np.r_[0.0, 0.0, np.ones(2 * n)]
    bounds = [(None, None)] * 2 + [(0, None)] * (2 * n)
    res = linprog(cost, A_eq=a_eq, b_eq=y, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"HiGHS did not solve the LAD programme: {res.message}")
    a, b = float(res.x[0]), float(res.x[1])
    if certify_rtol is not None:
        d, residuals = res.eqlin.marginals, y - a - b * x
        feasible = np.abs(d).max() <= 1 + 1e-9 and abs(d.sum()) + abs(d @ x) <= 1e-9 * (
            n + np.abs(x).sum()
        )
        least, bound = float(np.abs(residuals).sum()), float(d @ residuals)
        if not (feasible and np.isclose(least, bound, rtol=certify_rtol, atol=certify_atol)):
            raise RuntimeError(f"HiGHS's LAD line is not certified: sum|r| {least}, bound {bound}")
    return a, b, float(res.fun)
