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
   typically after 2-3 steps. The table is computed once per polynomial and
   interval, and each target iterates in a compiled loop (:mod:`._kernels`).
"""

import functools

import numpy as np
from numpy.polynomial import polynomial as npoly

from ._kernels import bracketed_roots

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
    coeffs, derivative, grid, table = _bracketing_table(
        tuple(float(c) for c in coeffs), float(a), float(b)
    )
    target = np.asarray(target, dtype=np.float64)
    flat = np.array(target, order="C").ravel()  # a writable C-contiguous copy: one compiled type
    roots = bracketed_roots(coeffs, derivative, grid, table, flat, ROOT_TOLERANCE,
                            MAX_ITERATIONS)  # fmt: skip
    return roots.reshape(target.shape)


@functools.lru_cache(maxsize=64)
def _bracketing_table(coeffs, a, b):
    """P's and P''s coefficients, and the rising table (points, P) that brackets roots.

    Cached per (coefficients, interval): the calibrators invert the same few pieces
    for every galaxy. The arrays are read-only.
    """
    grid = np.linspace(a, b, GRID_POINTS)
    table = npoly.polyval(grid, coeffs)
    if table[-1] < table[0]:  # make the table rise
        grid, table = grid[::-1], table[::-1]
    if not np.all(np.diff(table) > 0):
        raise ValueError(f"polynomial {coeffs} is not monotonic on [{a}, {b}]")
    arrays = (np.array(coeffs), npoly.polyder(coeffs), grid.copy(), table.copy())
    for array in arrays:
        array.flags.writeable = False
    return arrays
