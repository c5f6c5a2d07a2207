"""Compiled per-spaxel loops of the iterative calibrators (numba).

Two calibrators iterate per spaxel: the exact inversion of the Curti et al. (2020)
polynomials (:mod:`._polyinvert`: bracketed Newton from a tabulated bracket) and the
Kobulnicky & Kewley (2004) R23-O32 iteration (:mod:`.kk04`). On a galaxy's 1-3
thousand spaxels, array code spends its time on the fixed cost of each numpy call
of each iteration; here every spaxel runs its own loop to its own convergence, with
the same arithmetic, in the same order, as the formulas in those modules.

Compiled on first use and cached on disk (``cache=True``); no function has a default
argument (numba's cache would key a NaN default that never equals itself).
"""

import numpy as np
from numba import njit

__all__ = ["bracketed_roots", "kk04_converged"]

_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_OPTIONS)
def _horner(coeffs, x):
    """P(x) = sum c_i x^i by Horner's rule, as `numpy.polynomial.polynomial.polyval`."""
    value = coeffs[-1] + x * 0.0
    for i in range(coeffs.size - 2, -1, -1):
        value = coeffs[i] + value * x
    return value


@njit(**_OPTIONS)
def _first_not_below(table, target):
    """The first index i with ``table[i] >= target`` (``numpy.searchsorted``, side left)."""
    low, high = 0, table.size
    while low < high:
        middle = (low + high) // 2
        if table[middle] < target:
            low = middle + 1
        else:
            high = middle
    return low


@njit(**_OPTIONS)
def _newton(coeffs, derivative, target, x, low, high, tolerance, max_iterations):
    """Newton on P(x) = target, bisecting when a step leaves the bracket [low, high]."""
    for _ in range(max_iterations):
        residual = _horner(coeffs, x) - target
        if residual < 0:
            low = x
        else:
            high = x
        x_new = x - residual / _horner(derivative, x)
        if not ((x_new - low) * (x_new - high) <= 0):  # outside the bracket, or NaN
            x_new = 0.5 * (low + high)
        step = abs(x_new - x)
        x = x_new
        if not (step > tolerance):
            break
    return x


@njit(**_OPTIONS)
def bracketed_roots(coeffs, derivative, grid, table, targets, tolerance, max_iterations):
    """
    Roots of P(x) = target, one per target, from a rising table of P.

    Parameters
    ----------
    coeffs, derivative : `~numpy.ndarray`
        Coefficients c0, c1, ... of P and of P'.
    grid, table : `~numpy.ndarray`
        Points x_k and P(x_k), with ``table`` strictly rising.
    targets : `~numpy.ndarray`
        Right-hand sides (1-d).
    tolerance : float
        Stop when a step is below this (in x).
    max_iterations : int
        Safety limit of Newton steps per target.

    Returns
    -------
    roots : `~numpy.ndarray`
        NaN where the target is not finite or outside ``[table[0], table[-1]]``.
    """
    roots = np.empty(targets.size)
    last = table.size - 1
    for i in range(targets.size):
        target = targets[i]
        if not (target >= table[0] and target <= table[last]):
            roots[i] = np.nan
            continue
        cell = min(max(_first_not_below(table, target), 1), last)
        low, high = grid[cell - 1], grid[cell]  # P(low) <= target <= P(high)
        p_low, p_high = table[cell - 1], table[cell]
        start = low + (high - low) * (target - p_low) / (p_high - p_low)
        roots[i] = _newton(coeffs, derivative, target, start, low, high, tolerance,
                           max_iterations)  # fmt: skip
    return roots


@njit(**_OPTIONS)
def kk04_log_q(z, y):
    """KK04 eq. 13: log10 of the ionisation parameter q (cm/s) at Z and y = log O32.

    Compiled, and as plain Python (``kk04_log_q.py_func``) for the derivatives of
    :mod:`.kk04`: the coefficients are written once.
    """
    y2 = y * y
    numerator = 32.81 - 1.153 * y2 + z * (-3.396 - 0.025 * y + 0.1444 * y2)
    denominator = 4.603 - 0.3119 * y - 0.163 * y2 + z * (-0.48 + 0.0271 * y + 0.02037 * y2)
    return numerator / denominator


@njit(**_OPTIONS)
def kk04_z_lower(x, log_q):
    """KK04 eq. 16 (lower branch), x = log R23 (compiled; plain Python as ``.py_func``)."""
    x2 = x * x
    return 9.40 + 4.65 * x - 3.17 * x2 - log_q * (0.272 + 0.547 * x - 0.513 * x2)


@njit(**_OPTIONS)
def kk04_z_upper(x, log_q):
    """KK04 eq. 17 (upper branch), x = log R23 (compiled; plain Python as ``.py_func``)."""
    x2 = x * x
    x3 = x2 * x
    x4 = x2 * x2
    polynomial = 9.72 - 0.777 * x - 0.951 * x2 - 0.072 * x3 - 0.811 * x4
    slope = 0.0737 - 0.0713 * x - 0.141 * x2 + 0.0373 * x3 - 0.058 * x4
    return polynomial - log_q * slope


@njit(**_OPTIONS)
def _kk04_step(z, x, y, upper):
    """One KK04 step Z -> Z(x, log q(Z, y)), as :func:`.kk04._step`."""
    log_q = kk04_log_q(z, y)
    return kk04_z_upper(x, log_q) if upper else kk04_z_lower(x, log_q)


@njit(**_OPTIONS)
def kk04_converged(x, y, upper, start_upper, start_lower, tolerance, max_iterations):
    """
    The KK04 iteration per spaxel (1-d arrays; see :func:`.kk04.kk04_iterate`).

    Returns
    -------
    z : `~numpy.ndarray`
        12+log(O/H); NaN where x or y is not finite, or the change of Z did not fall
        below ``tolerance`` within ``max_iterations`` steps.
    """
    out = np.full(x.size, np.nan)
    for i in range(x.size):
        if not (np.isfinite(x[i]) and np.isfinite(y[i])):
            continue
        z = start_upper if upper[i] else start_lower
        for _ in range(max_iterations):
            z_new = _kk04_step(z, x[i], y[i], upper[i])
            done = abs(z_new - z) < tolerance
            z = z_new
            if done:
                out[i] = z
                break
            if not np.isfinite(z_new):
                break
    return out
