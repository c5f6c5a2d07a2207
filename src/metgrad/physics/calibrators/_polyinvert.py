"""Exact per-spaxel inversion of a polynomial on an interval where it is monotonic.

``P(x) = target`` is solved on ``[a, b]``, where P must be strictly monotonic, for
every element of ``target``:

1. P is tabulated on :data:`GRID_POINTS` equally spaced points of ``[a, b]``; each
   target falls between two neighbouring table values, whose points bracket its
   unique root (a target outside ``[P(a), P(b)]`` has no root there: NaN).
2. Starting from linear interpolation inside that bracket, Newton steps are taken,
   each replaced by bisection of the current bracket when it would leave it, so the
   iteration cannot fail; only elements still moving are iterated. It stops when a
   step is below :data:`ROOT_TOLERANCE` (1e-12 in x): the root to machine precision,
   typically after 2-3 steps.
"""

import numpy as np
from numpy.polynomial import polynomial as npoly

__all__ = [
    "GRID_POINTS",
    "MAX_ITERATIONS",
    "ROOT_TOLERANCE",
    "critical_points",
    "invert_monotonic",
]

#: Stopping tolerance on the root (in the polynomial's variable).
ROOT_TOLERANCE = 1e-12
#: Safety limit of iterations (bisection alone would need ~40 inside a table cell).
MAX_ITERATIONS = 100
#: Points of the table that brackets the roots.
GRID_POINTS = 1025


def critical_points(coeffs, low, high):
    """
    Real zeros of P' strictly inside ``(low, high)``, sorted.

    Parameters
    ----------
    coeffs : sequence of float
        Coefficients c0, c1, ... of P(x) = sum c_i x^i.
    low, high : float
        The interval.

    Returns
    -------
    points : `~numpy.ndarray`
    """
    roots = npoly.polyroots(npoly.polyder(coeffs))
    real = np.sort(roots[np.abs(roots.imag) < 1e-12].real)
    return real[(real > low) & (real < high)]


def invert_monotonic(coeffs, target, a, b):
    """
    Solve ``P(x) = target`` for x in ``[a, b]`` where P is strictly monotonic.

    Parameters
    ----------
    coeffs : sequence of float
        Coefficients c0, c1, ... of P.
    target : array_like
        Right-hand sides.
    a, b : float
        The interval (a < b).

    Returns
    -------
    x : `~numpy.ndarray`
        The roots, in the shape of ``target``; NaN where ``target`` is not finite or
        outside ``[min(P(a), P(b)), max(P(a), P(b))]``.

    Raises
    ------
    ValueError
        If P is not strictly monotonic on ``[a, b]``.
    """
    grid = np.linspace(a, b, GRID_POINTS)
    table = npoly.polyval(grid, coeffs)
    if table[-1] < table[0]:  # make the table rise
        grid, table = grid[::-1], table[::-1]
    if not np.all(np.diff(table) > 0):
        raise ValueError(f"polynomial {tuple(coeffs)} is not monotonic on [{a}, {b}]")
    target = np.asarray(target, dtype=np.float64)
    flat = target.ravel()
    with np.errstate(invalid="ignore"):
        inside = (flat >= table[0]) & (flat <= table[-1])
    roots = np.full(flat.shape, np.nan)
    wanted = flat[inside]
    cell = np.clip(np.searchsorted(table, wanted), 1, GRID_POINTS - 1)
    low, high = grid[cell - 1], grid[cell]  # P(low) <= wanted <= P(high)
    p_low, p_high = table[cell - 1], table[cell]
    start = low + (high - low) * (wanted - p_low) / (p_high - p_low)
    roots[inside] = _bracketed_newton(coeffs, wanted, start, low, high)
    return roots.reshape(target.shape)


def _bracketed_newton(coeffs, target, x, low, high):
    """Newton's method on P(x) = target inside brackets with P(low) <= target <= P(high)."""
    derivative = npoly.polyder(coeffs)
    x, low, high = x.copy(), low.copy(), high.copy()
    active = np.arange(x.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(MAX_ITERATIONS):
            if active.size == 0:
                break
            xa, lo, hi = x[active], low[active], high[active]
            residual = npoly.polyval(xa, coeffs) - target[active]
            below = residual < 0
            lo = np.where(below, xa, lo)
            hi = np.where(below, hi, xa)
            x_new = xa - residual / npoly.polyval(xa, derivative)
            leaves = ~((x_new - lo) * (x_new - hi) <= 0)  # outside the bracket, or NaN
            x_new = np.where(leaves, 0.5 * (lo + hi), x_new)
            x[active], low[active], high[active] = x_new, lo, hi
            active = active[np.abs(x_new - xa) > ROOT_TOLERANCE]
    return x
