"""Reference implementations the tests compare the package with, written apart from it.

- :func:`idl_robust_sigma`: IDL astrolib ``robust_sigma.pro`` (Freudenreich 1990, revised by
  W. Landsman) transcribed literally, a scalar loop over the values;
- :func:`cappellari_loess_2d`: Cappellari's ``loess_2d`` from the ``loess`` package (the test
  extra: it may not be redistributed, so it is never a runtime dependency), silenced.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest


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

    Skips the calling test where the ``loess`` package (test extra) is not installed.
    """
    module = pytest.importorskip("loess.loess_2d")
    with (
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        return module.loess_2d(*[np.asarray(a, dtype=float) for a in args], **kwargs)


def highs_lad_line(x, y) -> tuple[float, float, float]:
    """The least-absolute-deviations line as a linear programme (scipy's HiGHS).

    Minimises sum(u + v) subject to a + b x + u - v = y, u, v >= 0: shares nothing with
    metgrad's LAD kernel. Returns the intercept a, the slope b and the least sum
    of |y - a - b x|.
    """
    from scipy.optimize import linprog

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = x.size
    cost = np.r_[0.0, 0.0, np.ones(2 * n)]
    a_eq = np.column_stack([np.ones(n), x, np.eye(n), -np.eye(n)])
    bounds = [(None, None)] * 2 + [(0, None)] * (2 * n)
    res = linprog(cost, A_eq=a_eq, b_eq=y, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"HiGHS did not solve the LAD programme: {res.message}")
    return float(res.x[0]), float(res.x[1]), float(res.fun)
