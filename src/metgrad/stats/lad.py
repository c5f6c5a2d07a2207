"""Exact least-absolute-deviation (LAD, L1) straight lines, batched over resamples.

Metallicity gradients are LAD lines of 12+log(O/H) against R/R_e, and their
errors come from 100 refits of resampled data per galaxy, so this fit runs
10^5-10^6 times per analysis: :func:`lad_line` fits many rows at once.
"""

from typing import NamedTuple

import numpy as np

__all__ = ["LADLine", "lad_line"]

_EPS = np.finfo(np.float64).eps
# An accepted step must lower the objective by more than this many rounding
# units of n max|y| (and 1e-13 relative): equal lines written through different
# pivot points differ only by rounding, so no step can cycle between them.
_OBJECTIVE_ROUNDING = 16.0
_OBJECTIVE_RELATIVE = 1.0e-13
# A point is on the line if its residual is within this many rounding units of
# |y| + |a| + |b x|.
_ON_LINE_ROUNDING = 64.0
# Rotation margins (sums of |x_i - x_p|) count as negative only below
# -_MARGIN_RELATIVE * n * (max(x) - min(x)).
_MARGIN_RELATIVE = 1.0e-11
_MAX_STEPS = 1000
# Rows are fitted in chunks of about this many values (x 8 bytes, per temporary array).
_CHUNK_ELEMENTS = 2**21


class LADLine(NamedTuple):
    """Coefficients of a straight line ``y = intercept + slope * x``.

    Attributes
    ----------
    slope : float or `~numpy.ndarray`
        Slope, in units of y per unit of x; shape ``(m,)`` for batched input.
    intercept : float or `~numpy.ndarray`
        Value at x = 0, in units of y; shape ``(m,)`` for batched input.
    """

    slope: float | np.ndarray
    intercept: float | np.ndarray


def lad_line(x, y):
    r"""Exact least-absolute-deviation straight line, for one sample or many.

    Finds the intercept :math:`a` and slope :math:`b` that minimise
    :math:`\sum_i |y_i - a - b x_i|` exactly (the same objective as a linear
    program solved to optimality), deterministically, for one data set or a
    batch of data sets at once.

    Parameters
    ----------
    x : array_like, shape (n,) or (m, n)
        Abscissae (e.g. R/R_e). A 1-D ``x`` is shared by every row of ``y``
        (the bootstrap case: resampled ``y`` at fixed positions).
    y : array_like, shape (n,) or (m, n)
        Ordinates (e.g. 12+log(O/H), dex); shape ``(n,)`` or ``(m, n)`` with
        ``m`` independent data sets of ``n`` points each. If ``x`` is 2-D,
        ``y`` must have the same shape.

    Returns
    -------
    line : `LADLine`
        ``(slope, intercept)``: floats for 1-D ``y``, arrays of shape ``(m,)``
        for 2-D ``y``. Units: y per unit x, and y.

    Raises
    ------
    ValueError
        If the shapes do not match, if any value is NaN or infinite (mask
        the data before fitting), or if a data set has fewer than 2 distinct
        x values (the line is then undefined).

    Notes
    -----
    The method is a weighted-median descent over lines through two data
    points (Wesolowsky 1981; see also Barrodale & Roberts 1973). Some optimal
    line passes through at least two points with distinct x. For a line
    forced through a pivot point :math:`k`, the objective is
    :math:`\sum_{i: x_i \ne x_k} |x_i - x_k|\,|s_i - b|` plus a constant,
    with :math:`s_i = (y_i - y_k)/(x_i - x_k)`, so the best slope through
    :math:`k` is the weighted median of the :math:`s_i` with weights
    :math:`|x_i - x_k|` (points with :math:`x_i = x_k` drop out, so tied x
    are fine). The descent:

    1. The first pivot is the point with the median residual about the
       least-squares slope; it lies on the best line of that slope.
    2. The line becomes the best line through the pivot; it also passes
       through the point that defines the weighted median (the partner).
    3. Optimality test. With :math:`P` the points on the line (within
       rounding) and :math:`\sigma_i` the residual signs of the others, the
       line is optimal if and only if no rotation about a point of
       :math:`P` lowers the objective, i.e.
       :math:`|\sum_{i \notin P} \sigma_i (x_i - x_p)| \le
       \sum_{i \in P} |x_i - x_p|` for every :math:`p \in P` (the
       objective is convex and piecewise linear, and these rotations are the
       edges through the vertex). Usually :math:`P` is just the pivot and
       the partner, and only the partner needs testing; when more points lie
       on the line (collinear or repeated points, common in bootstrap
       resamples) all of them are tested.
    4. If the test fails, the point where it fails most becomes the pivot
       and the descent returns to step 2. A step is accepted only if it
       lowers the objective by more than rounding, so the descent cannot
       cycle; if it does not, the line is kept (the failed test was
       rounding noise).

    Ties: the weighted median is the smallest slope at which the cumulative
    weight reaches half the total, so if an interval of slopes is optimal
    for that pivot its lower end is taken; the partner is the lowest-index
    point with exactly that slope. The returned slope is that of the final
    line; the intercept is then the median of :math:`y_i - b x_i` (for even
    n the mean of the two middle values, which lies inside the interval of
    optimal intercepts). When the optimum is unique this is the unique
    solution; otherwise it is one optimal line, always the same for the
    same input. Batched rows are fitted independently and give the same
    result as fitting them alone.

    Each step costs one sort of n slopes per row still descending (rows
    that have converged are frozen); a fit typically takes two or three
    steps. Large batches are processed in chunks of about 2^21 values to
    bound memory.

    References
    ----------
    .. [1] Wesolowsky, G. O. 1981, "A new descent algorithm for the least
       absolute value regression problem", Commun. Stat. Simul. Comput.,
       10, 479.
    .. [2] Barrodale, I., & Roberts, F. D. K. 1973, "An improved algorithm
       for discrete l1 linear approximation", SIAM J. Numer. Anal., 10, 839.

    Examples
    --------
    >>> import numpy as np
    >>> from metgrad.stats import lad_line
    >>> x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    >>> y = np.array([1.0, 3.0, 5.0, 7.0, 100.0])  # y = 1 + 2x, one outlier
    >>> lad_line(x, y)
    LADLine(slope=2.0, intercept=1.0)
    >>> rows = np.stack([y, 2.0 * y])  # two data sets sharing x
    >>> lad_line(x, rows).slope
    array([2., 4.])
    """
    xs, ys, single = _validated(x, y)
    rows_per_chunk = max(1, _CHUNK_ELEMENTS // ys.shape[1])
    if ys.shape[0] <= rows_per_chunk:
        slope, intercept = _lad_rows(xs, ys)
    else:  # bound the memory of the temporaries; rows are independent
        parts = [
            _lad_rows(xs if xs.ndim == 1 else xs[start : start + rows_per_chunk], ys[start:stop])
            for start, stop in _chunks(ys.shape[0], rows_per_chunk)
        ]
        slope = np.concatenate([part[0] for part in parts])
        intercept = np.concatenate([part[1] for part in parts])
    if single:
        return LADLine(float(slope[0]), float(intercept[0]))
    return LADLine(slope, intercept)


def _validated(x, y):
    """Check shapes and values; return float64 x, 2-D y and whether y was 1-D."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.ndim not in (1, 2) or ys.ndim not in (1, 2):
        raise ValueError(
            f"lad_line: x and y must be 1-D or 2-D, got x.ndim={xs.ndim}, y.ndim={ys.ndim}"
        )
    if xs.ndim == 2 and xs.shape != ys.shape:
        raise ValueError(
            f"lad_line: 2-D x must have the shape of y, got x {xs.shape} and y {ys.shape}"
        )
    if xs.shape[-1] != ys.shape[-1]:
        raise ValueError(
            f"lad_line: x and y have different numbers of points ({xs.shape[-1]} and "
            f"{ys.shape[-1]})"
        )
    if ys.shape[-1] < 2:
        raise ValueError(f"lad_line: need at least 2 points, got {ys.shape[-1]}")
    if not np.isfinite(xs).all():
        raise ValueError("lad_line: x contains NaN or infinite values; mask them before fitting")
    if not np.isfinite(ys).all():
        raise ValueError("lad_line: y contains NaN or infinite values; mask them before fitting")
    single = ys.ndim == 1
    xs = np.ascontiguousarray(xs)
    ys = np.ascontiguousarray(ys.reshape(-1, ys.shape[-1]))
    degenerate = ~(xs.max(axis=-1) > xs.min(axis=-1))
    if degenerate.any():
        where = "" if xs.ndim == 1 else f" (rows {np.flatnonzero(degenerate)[:5].tolist()})"
        raise ValueError(f"lad_line: fewer than 2 distinct x values{where}; the line is undefined")
    return xs, ys, single


def _chunks(total, size):
    """(start, stop) pairs covering range(total) in pieces of at most ``size``."""
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def _rows_view(x, rows):
    """x for the given rows: the shared 1-D x, or the selected rows of a 2-D x."""
    return x if x.ndim == 1 else x[rows]


def _median_last(values):
    """Median along the last axis (mean of the two middle values for even n)."""
    n = values.shape[-1]
    middle = values.copy()
    middle.partition([(n - 1) // 2, n // 2], axis=-1)
    return (middle[..., (n - 1) // 2] + middle[..., n // 2]) / 2


def _initial_pivot(x, y):
    """Start of the descent: the median-residual point about the least-squares slope.

    For a fixed slope the median-residual point lies on the best line of that
    slope (the median minimises the sum of absolute residuals), so the first
    step starts from a point near the LAD line. (A resistant trial slope
    saves steps for heavy-tailed data but costs more than it saves for
    bootstrap resamples, the common case.)
    """
    x_centred = x - x.mean(axis=-1, keepdims=True)
    if x.ndim == 1:
        slope = (y @ x_centred) / (x_centred @ x_centred)
    else:
        slope = np.einsum("ij,ij->i", y, x_centred) / np.einsum("ij,ij->i", x_centred, x_centred)
    half = y.shape[1] // 2
    return (y - slope[:, None] * x).argpartition(half, axis=1)[:, half]


def _best_line_through(x, y, pivot):
    """Best line through each row's pivot point: slope, intercept and defining point.

    The slope is the weighted median of the slopes to the other points
    (weights |x_i - x_pivot|): the smallest slope at which the cumulative
    weight reaches half the total. The defining point is the lowest-index
    point with exactly that slope, so the result does not depend on how the
    sort orders equal slopes.
    """
    m, n = y.shape
    rows = np.arange(m)
    x_pivot = x[pivot] if x.ndim == 1 else x[rows, pivot]
    y_pivot = y[rows, pivot]
    dx = x - x_pivot[:, None]
    # Points with the pivot's x get weight 0 and slope +inf (not NaN, which
    # slows the sort): they never define the median and never equal the
    # (finite) median slope.
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = (y - y_pivot[:, None]) / dx
    np.copyto(slopes, np.inf, where=dx == 0)
    sorted_flat = slopes.argsort(axis=1)
    sorted_flat += (rows * n)[:, None]  # flat indices, row by row in slope order
    cumulative = np.abs(dx).ravel()[sorted_flat].cumsum(axis=1)
    median_at = (cumulative >= 0.5 * cumulative[:, -1:]).argmax(axis=1)
    slope = slopes.ravel()[sorted_flat[rows, median_at]]
    partner = (slopes == slope[:, None]).argmax(axis=1)
    return slope, y_pivot - slope * x_pivot, partner


def _vertex_check(x, residual, pivot, partner, on_line_tol, margin_tol):
    """Is the line through pivot and partner optimal? If not, the point to pivot on.

    ``residual`` is y minus the line (overwritten); points within
    ``on_line_tol`` of the line are on it. The line is optimal iff rotating
    it about each point on it cannot lower the objective (see `lad_line`,
    Notes). Returns a boolean per row (True: not optimal) and the point
    whose rotation check fails most.
    """
    m, n = residual.shape
    rows = np.arange(m)
    residual[rows, pivot] = 0.0  # on the line by construction
    residual[rows, partner] = 0.0
    sign = (residual > on_line_tol[:, None]).astype(np.float64)
    sign -= residual < -on_line_tol[:, None]
    if x.ndim == 1:
        sum_sign, sum_sign_x = sign.sum(axis=1), sign @ x
        x_partner = x[partner]
    else:
        sum_sign, sum_sign_x = sign.sum(axis=1), np.einsum("ij,ij->i", sign, x)
        x_partner = x[rows, partner]
    n_off = np.einsum("ij,ij->i", sign, sign)

    # Usual case, two points on the line: the line is the best through the
    # pivot, so only the rotation about the partner needs checking.
    x_pivot = x[pivot] if x.ndim == 1 else x[rows, pivot]
    margin = np.abs(x_partner - x_pivot) - np.abs(sum_sign_x - x_partner * sum_sign)
    worst = partner
    many = (n_off < n - 2).nonzero()[0]
    if many.size:
        margin[many], worst[many] = _worst_rotation(
            _rows_view(x, many), sign[many] == 0, sum_sign[many], sum_sign_x[many]
        )
    return margin < -margin_tol, worst


def _worst_rotation(x, on_line, sum_sign, sum_sign_x):
    """Smallest rotation margin over all points on the line, and that point.

    Margin of point p: sum_{i on line} |x_i - x_p| - |sum_{i off} s_i (x_i - x_p)|
    with s_i the residual signs; computed from prefix sums of the on-line x
    sorted per row.
    """
    m, n = on_line.shape
    rows = np.arange(m)
    n_on = on_line.sum(axis=1)
    masked = np.where(on_line, x, np.inf)
    order = masked.argsort(axis=1, kind="stable")
    position = np.arange(n)
    valid = position < n_on[:, None]
    x_on = np.where(valid, masked[rows[:, None], order], 0.0)
    before = x_on.cumsum(axis=1) - x_on
    after = x_on.sum(axis=1)[:, None] - before - x_on
    spread = (x_on * position - before) + (after - x_on * (n_on[:, None] - position - 1))
    imbalance = np.abs(sum_sign_x[:, None] - x_on * sum_sign[:, None])
    margin = np.where(valid, spread - imbalance, np.inf)
    worst = margin.argmin(axis=1)
    return margin[rows, worst], order[rows, worst]


def _lad_rows(x, y):
    """Exact LAD slope and intercept of every row of y (see `lad_line`)."""
    m, n = y.shape
    slope = np.zeros(m)
    objective = np.full(m, np.inf)
    y_size = np.abs(y).max(axis=1)
    # an accepted step must lower the objective by more than rounding
    threshold_scale = 1.0 - _OBJECTIVE_RELATIVE
    rounding = (_OBJECTIVE_ROUNDING * _EPS * n) * y_size
    x_low, x_high = x.min(axis=-1), x.max(axis=-1)
    x_size = np.maximum(np.abs(x_low), np.abs(x_high))
    # rotation margins are sums of |x_i - x_p|, at most n (x_high - x_low)
    margin_tol = (_MARGIN_RELATIVE * n) * (x_high - x_low) + np.zeros(m)
    pivot = _initial_pivot(x, y)
    active = np.arange(m)

    for _ in range(_MAX_STEPS):
        if active.size == 0:
            break
        if active.size == m:  # no copies while every row is still descending
            x_act, y_act = x, y
        else:
            x_act, y_act = _rows_view(x, active), y[active]
        new_slope, new_intercept, partner = _best_line_through(x_act, y_act, pivot[active])
        residual = y_act - new_intercept[:, None] - new_slope[:, None] * x_act
        new_objective = np.abs(residual).sum(axis=1)
        # objective is +inf before the first step, so the first line is always
        # taken; a row whose step does not lower the objective has converged.
        improved = new_objective < objective[active] * threshold_scale - rounding[active]
        if not improved.all():
            active = active[improved]
            if active.size == 0:
                break
            new_slope, new_intercept = new_slope[improved], new_intercept[improved]
            new_objective, partner = new_objective[improved], partner[improved]
            residual = residual[improved]
            x_act = _rows_view(x, active)
        slope[active] = new_slope
        objective[active] = new_objective
        # |y| + |a + b x| bounds the numbers whose difference is the residual
        line_size = np.abs(new_intercept) + np.abs(new_slope) * (
            x_size if x.ndim == 1 else x_size[active]
        )
        on_line_tol = (_ON_LINE_ROUNDING * _EPS) * (y_size[active] + line_size)
        not_optimal, next_pivot = _vertex_check(
            x_act, residual, pivot[active], partner, on_line_tol, margin_tol[active]
        )
        pivot[active] = next_pivot
        active = active[not_optimal]
    else:  # pragma: no cover - the objective falls at every step, so this cannot happen
        raise RuntimeError(f"lad_line: descent did not converge in {_MAX_STEPS} steps")

    residual = y - slope[:, None] * x
    residual.partition([(n - 1) // 2, n // 2], axis=1)
    intercept = (residual[:, (n - 1) // 2] + residual[:, n // 2]) / 2  # median, even n: mean
    return slope, intercept
