"""Exact per-spaxel inversion of a polynomial on an interval where it is monotonic.

For ``P(x) = target`` on ``[a, b]`` with P monotonic there (a and b arrays, one per
spaxel), the root is found by Newton's method safeguarded by bisection: each step is
Newton's unless it leaves the current bracket, in which case the bracket is halved.
The bracket always contains the root, so the iteration converges for every spaxel,
quadratically once Newton takes over; it stops when every step is below
:data:`ROOT_TOLERANCE` (1e-12 in x), i.e. the root to machine precision. A target
outside ``[P(a), P(b)]`` has no root on the interval and gives NaN.
"""

import numpy as np
from numpy.polynomial import polynomial as npoly

__all__ = ["MAX_ITERATIONS", "ROOT_TOLERANCE", "critical_points", "invert_monotonic"]

#: Stopping tolerance on the root (in the polynomial's variable).
ROOT_TOLERANCE = 1e-12
#: Safety limit of iterations (bisection alone needs ~45 on an interval of width 2).
MAX_ITERATIONS = 100


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
    Solve ``P(x) = target`` for x in ``[a, b]`` where P is monotonic.

    Parameters
    ----------
    coeffs : sequence of float
        Coefficients c0, c1, ... of P.
    target, a, b : array_like
        Right-hand side and interval ends, broadcast together.

    Returns
    -------
    x : `~numpy.ndarray`
        The root; NaN where ``target`` is not finite or outside ``[P(a), P(b)]``.
    """
    derivative = npoly.polyder(coeffs)
    target, a, b = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (target, a, b)))
    p_a, p_b = npoly.polyval(a, coeffs), npoly.polyval(b, coeffs)
    rising = p_b > p_a
    with np.errstate(invalid="ignore"):
        inside = (np.minimum(p_a, p_b) <= target) & (target <= np.maximum(p_a, p_b))
    # the bracket: P(low) <= target <= P(high) (low > high in x where P falls)
    low = np.where(rising, a, b).copy()
    high = np.where(rising, b, a).copy()
    with np.errstate(all="ignore"):
        x = np.where(inside, a + (b - a) * (target - p_a) / (p_b - p_a), np.nan)
        for _ in range(MAX_ITERATIONS):
            residual = npoly.polyval(x, coeffs) - target
            below = residual < 0
            low = np.where(below, x, low)
            high = np.where(below, high, x)
            step = residual / npoly.polyval(x, derivative)
            x_new = x - step
            outside = ~((x_new - low) * (x_new - high) <= 0)  # not within the bracket
            x_new = np.where(outside, 0.5 * (low + high), x_new)
            change = np.abs(x_new - x)
            x = x_new
            if not np.any(change > ROOT_TOLERANCE):
                break
    return np.where(inside, x, np.nan)
