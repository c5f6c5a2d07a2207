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


def lad_line(x, y, *, weights=None):
    r"""Exact least-absolute-deviation straight line, for one sample or many.

    Finds the intercept :math:`a` and slope :math:`b` that minimise
    :math:`\sum_i w_i |y_i - a - b x_i|` exactly (the same objective as a
    linear program solved to optimality), deterministically, for one data
    set or a batch of data sets at once; :math:`w_i = 1` unless ``weights``
    are given.

    Parameters
    ----------
    x : array_like, shape (n,) or (m, n)
        Abscissae (e.g. R/R_e). A 1-D ``x`` is shared by every row of ``y``
        (the bootstrap case: resampled ``y`` at fixed positions).
    y : array_like, shape (n,) or (m, n)
        Ordinates (e.g. 12+log(O/H), dex); shape ``(n,)`` or ``(m, n)`` with
        ``m`` independent data sets of ``n`` points each. If ``x`` is 2-D,
        ``y`` must have the same shape.
    weights : array_like, optional
        Keyword only. Non-negative finite weights of the points
        (dimensionless), of the shape of ``y`` or broadcastable to it (e.g.
        shape ``(n,)`` for weights shared by every row). A point of weight 0
        has no influence at all: padding a row with zero-weight points gives
        the same line, to the bit (see Notes). None (default): every weight
        is 1, by a faster path.

    Returns
    -------
    line : `LADLine`
        ``(slope, intercept)``: floats for 1-D ``y``, arrays of shape ``(m,)``
        for 2-D ``y``. Units: y per unit x, and y.

    Raises
    ------
    ValueError
        If the shapes do not match, if any value is NaN or infinite (mask
        the data before fitting), if a data set has fewer than 2 distinct
        x values (the line is then undefined), or if ``weights`` do not
        broadcast to ``y``, are negative or not finite, or leave a data set
        with fewer than 2 distinct x values among its positive-weight points.

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

    Weights. With weights the same descent minimises
    :math:`\sum_i w_i |y_i - a - b x_i|`: the first pivot is the
    upper weighted-median residual point about the weighted least-squares
    slope, the slopes through a pivot get weights :math:`w_i |x_i - x_k|`,
    the optimality test becomes :math:`|\sum_{i \notin P} w_i \sigma_i
    (x_i - x_p)| \le \sum_{i \in P} w_i |x_i - x_p|`, and the intercept is
    the midpoint of the interval of weighted medians of :math:`y_i - b x_i`
    (from the lowest value at which the cumulative weight reaches half the
    total to the lowest at which it exceeds half; for equal weights, the
    median as above). Points of zero weight are never a pivot, a partner,
    on the line, or in any sum, and every step depends only on the
    positive-weight points in their order: equal values of different weight
    are sorted in index order, sums over points are left-to-right running
    sums (to which a zero term adds exactly nothing), and tolerances scale
    with the number and total weight of the positive-weight points. So the
    line is a function of the positive-weight points alone, bit for bit,
    however many zero-weight points there are and wherever they sit: rows of
    different lengths can be fitted together in one padded array. Integer
    weights give an optimal line of the data with each point repeated that
    many times. Unit weights give the same line as ``weights=None`` wherever
    the optimum is unique; where it is not, an equally optimal line that is
    usually, but not always, the same one (the two paths round the
    least-squares start and the sums differently). The weighted path costs
    about 1.3-2 times as much per value.

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
    >>> padded_x = np.r_[x, 0.0, 0.0]  # two zero-weight points change nothing
    >>> lad_line(padded_x, np.r_[y, -5.0, 9.0], weights=[1, 1, 1, 1, 1, 0, 0])
    LADLine(slope=2.0, intercept=1.0)
    """
    xs, ys, single = _validated(x, y)
    if weights is None:
        fit, arrays = _lad_rows, (xs, ys)
    else:
        fit, arrays = _lad_rows_weighted, (xs, ys, _validated_weights(weights, xs, ys, single))
    rows_per_chunk = max(1, _CHUNK_ELEMENTS // ys.shape[1])
    if ys.shape[0] <= rows_per_chunk:
        slope, intercept = fit(*arrays)
    else:  # bound the memory of the temporaries; rows are independent
        parts = [
            fit(*[a if a.ndim == 1 else a[start:stop] for a in arrays])
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


# --- weighted fits -----------------------------------------------------------------------
# The weighted path follows the unweighted one step by step, but every quantity is a
# function of the positive-weight points in index order only (canonical sorts, running
# sums, tolerances from positive-weight counts), so zero-weight points change no bit.


def _validated_weights(weights, x, y, single):
    """Check the weights against the 2-D ``y``; return them as a C-contiguous (m, n) array."""
    w = np.asarray(weights, dtype=np.float64)
    shape = y.shape[1:] if single else y.shape
    try:
        w = np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(
            f"lad_line: weights of shape {w.shape} do not broadcast to y of shape {shape}"
        ) from None
    w = np.ascontiguousarray(w.reshape(y.shape))
    if not np.isfinite(w).all():
        raise ValueError("lad_line: weights contain NaN or infinite values")
    if (w < 0).any():
        raise ValueError("lad_line: weights must be non-negative")
    positive = w > 0
    x_low = np.where(positive, x, np.inf).min(axis=-1)
    x_high = np.where(positive, x, -np.inf).max(axis=-1)
    degenerate = ~(x_high > x_low)
    if degenerate.any():
        where = "" if single else f" (rows {np.flatnonzero(degenerate)[:5].tolist()})"
        raise ValueError(
            f"lad_line: fewer than 2 distinct x values among the points with positive "
            f"weight{where}; the line is undefined"
        )
    return w


def _transposed(values):
    """C-contiguous transpose (n, m) of a 2-D array, or a 1-D x as a column (n, 1)."""
    return values[:, None] if values.ndim == 1 else np.ascontiguousarray(values.T)


def _running_sum(values):
    """Sum of each row of a 2-D array, added left to right (exact zero terms change nothing).

    numpy adds one element after another along an axis that is not the
    contiguous one (pairwise summation is used only along the contiguous
    axis), so the rows are summed as the columns of the transposed copy:
    the last column of `numpy.cumsum`, at a third of its cost.
    """
    return _transposed(values).sum(axis=0)


def _gather(values, flat_order):
    """``values.ravel()[flat_order]``, faster (the indices are known to be in range)."""
    return np.take(values.ravel(), flat_order, mode="clip")


def _canonical_order(values, weights):
    """Each row of ``values`` sorted ascending, with ``weights`` in the same order.

    Equal values are put in index order wherever their order matters (equal
    values with different weights, whose running sums would round
    differently): such rows are sorted again, stably. So the sorted finite
    values and their weights never depend on other entries of the row
    (+inf entries, which must carry weight 0, come last in any order).
    """
    m, n = values.shape
    order = values.argsort(axis=1)
    order += (np.arange(m) * n)[:, None]
    ordered, ordered_weights = _gather(values, order), _gather(weights, order)
    tied = ordered[:, 1:] == ordered[:, :-1]
    tied &= ordered_weights[:, 1:] != ordered_weights[:, :-1]
    tied_rows = tied.any(axis=1).nonzero()[0]
    if tied_rows.size:
        stable = values[tied_rows].argsort(axis=1, kind="stable")
        stable += (tied_rows * n)[:, None]
        ordered[tied_rows] = _gather(values, stable)
        ordered_weights[tied_rows] = _gather(weights, stable)
    return ordered, ordered_weights


def _weighted_median_positions(values, weights, n_positive, equal_weights):
    """Ends of the interval of weighted medians of each row.

    ``values`` must be +inf where ``weights`` is 0. The lower end is the
    lowest value at which the cumulative weight reaches half the total, the
    upper end the lowest at which it exceeds half (for equal weights and an
    even number k of points, the two middle values; for odd k, the middle
    value twice); every value between them minimises sum w_i |values_i - c|
    over c. Rows whose positive weights are all equal take the positions
    (k - 1) // 2 and k // 2 directly (a sort of the values only, as
    `numpy.partition` at these positions in the unweighted path).

    Returns
    -------
    low, high : ndarray, shape (m,)
        The two values.
    """
    m = values.shape[0]
    low, high = np.empty(m), np.empty(m)
    for plain in (True, False):
        rows = (equal_weights == plain).nonzero()[0]
        if rows.size == 0:
            continue
        part = slice(None) if rows.size == m else rows  # no copy when every row is alike
        at = np.arange(rows.size)
        if plain:
            ordered, k = np.sort(values[part], axis=1), n_positive[part]
            low[part], high[part] = ordered[at, (k - 1) // 2], ordered[at, k // 2]
        else:
            ordered, ordered_weights = _canonical_order(values[part], weights[part])
            cumulative = ordered_weights.cumsum(axis=1)
            half = 0.5 * cumulative[:, -1:]
            low[part] = ordered[at, (cumulative >= half).argmax(axis=1)]
            high[part] = ordered[at, (cumulative > half).argmax(axis=1)]
    return low, high


def _initial_pivot_weighted(x, y, w, n_positive, equal_weights):
    """Weighted `_initial_pivot`: the upper-median residual point about the weighted LS slope.

    As in the unweighted path (``argpartition`` at n // 2 for unit
    weights); among points with that residual, the lowest index.
    """
    w_t, x_t, y_t = _transposed(w), _transposed(x), _transposed(y)
    x_mean = (w_t * x_t).sum(axis=0) / w_t.sum(axis=0)  # running sums: see _running_sum
    x_centred = x_t - x_mean
    w_x_centred = w_t * x_centred
    slope = (w_x_centred * y_t).sum(axis=0) / (w_x_centred * x_centred).sum(axis=0)
    residual = y - slope[:, None] * x
    np.copyto(residual, np.inf, where=w == 0)
    _, upper = _weighted_median_positions(residual, w, n_positive, equal_weights)
    return (residual == upper[:, None]).argmax(axis=1)


def _best_line_through_weighted(x, y, w, pivot):
    """Weighted `_best_line_through`: slope weights w_i |x_i - x_pivot|.

    Zero-weight points get slope +inf (as points with the pivot's x), so
    they never define the median and are never the partner.
    """
    rows = np.arange(y.shape[0])
    x_pivot = x[pivot] if x.ndim == 1 else x[rows, pivot]
    y_pivot = y[rows, pivot]
    dx = x - x_pivot[:, None]
    weighted_dx = w * dx
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = (y - y_pivot[:, None]) / dx
    np.copyto(slopes, np.inf, where=weighted_dx == 0)
    np.abs(weighted_dx, out=weighted_dx)
    ordered, ordered_weights = _canonical_order(slopes, weighted_dx)
    cumulative = ordered_weights.cumsum(axis=1)
    median_at = (cumulative >= 0.5 * cumulative[:, -1:]).argmax(axis=1)
    slope = ordered[rows, median_at]
    partner = (slopes == slope[:, None]).argmax(axis=1)
    return slope, y_pivot - slope * x_pivot, partner


def _vertex_check_weighted(x, w, n_positive, residual, pivot, partner, tolerances):
    """Weighted `_vertex_check`; ``tolerances`` = (on-line, margin), per row."""
    on_line_tol, margin_tol = tolerances
    rows = np.arange(residual.shape[0])
    residual[rows, pivot] = 0.0
    residual[rows, partner] = 0.0
    weighted_sign = np.sign(residual)
    np.copyto(weighted_sign, 0.0, where=np.abs(residual) <= on_line_tol[:, None])
    weighted_sign *= w
    sum_sign = _running_sum(weighted_sign)
    sum_sign_x = _running_sum(weighted_sign * x)
    n_off = np.count_nonzero(weighted_sign, axis=1)
    x_partner = x[partner] if x.ndim == 1 else x[rows, partner]
    x_pivot = x[pivot] if x.ndim == 1 else x[rows, pivot]
    # two points on the line: only the rotation about the partner can lower the objective
    margin = w[rows, pivot] * np.abs(x_partner - x_pivot)
    margin -= np.abs(sum_sign_x - x_partner * sum_sign)
    worst = partner
    many = (n_off < n_positive - 2).nonzero()[0]
    if many.size:
        on_line = (weighted_sign[many] == 0) & (w[many] > 0)
        margin[many], worst[many] = _worst_rotation_weighted(
            _rows_view(x, many), w[many], on_line, sum_sign[many], sum_sign_x[many]
        )
    return margin < -margin_tol, worst


def _worst_rotation_weighted(x, w, on_line, sum_sign, sum_sign_x):
    """Weighted `_worst_rotation`.

    Margin of point p: sum_{i on line} w_i |x_i - x_p| - |sum_{i off} w_i s_i (x_i - x_p)|,
    from running sums of the on-line weights and weighted x, sorted by x per row.
    """
    m, n = on_line.shape
    rows = np.arange(m)
    n_on = on_line.sum(axis=1)
    masked = np.where(on_line, x, np.inf)
    order = masked.argsort(axis=1, kind="stable")
    valid = np.arange(n) < n_on[:, None]
    x_on = np.where(valid, masked[rows[:, None], order], 0.0)
    w_on = np.where(valid, w[rows[:, None], order], 0.0)
    wx_on = w_on * x_on
    w_cumulative, wx_cumulative = w_on.cumsum(axis=1), wx_on.cumsum(axis=1)
    w_before, wx_before = w_cumulative - w_on, wx_cumulative - wx_on
    w_after = w_cumulative[:, -1:] - w_cumulative
    wx_after = wx_cumulative[:, -1:] - wx_cumulative
    spread = (x_on * w_before - wx_before) + (wx_after - x_on * w_after)
    imbalance = np.abs(sum_sign_x[:, None] - x_on * sum_sign[:, None])
    margin = np.where(valid, spread - imbalance, np.inf)
    worst = margin.argmin(axis=1)
    return margin[rows, worst], order[rows, worst]


def _lad_rows_weighted(x, y, w):
    """Exact weighted LAD slope and intercept of every row of y (see `lad_line`)."""
    m = y.shape[0]
    positive = w > 0
    n_positive = positive.sum(axis=1)
    total_weight = _running_sum(w)
    equal_weights = np.where(positive, w, np.inf).min(axis=1) == w.max(axis=1)
    slope = np.zeros(m)
    objective = np.full(m, np.inf)
    y_size = np.where(positive, np.abs(y), 0.0).max(axis=1)
    threshold_scale = 1.0 - _OBJECTIVE_RELATIVE
    rounding = (_OBJECTIVE_ROUNDING * _EPS) * total_weight * y_size
    x_low = np.where(positive, x, np.inf).min(axis=1)
    x_high = np.where(positive, x, -np.inf).max(axis=1)
    x_size = np.maximum(np.abs(x_low), np.abs(x_high))
    # rotation margins are weighted sums of |x_i - x_p|, at most W (x_high - x_low)
    margin_tol = _MARGIN_RELATIVE * total_weight * (x_high - x_low)
    pivot = _initial_pivot_weighted(x, y, w, n_positive, equal_weights)
    active = np.arange(m)

    for _ in range(_MAX_STEPS):
        if active.size == 0:
            break
        if active.size == m:
            x_act, y_act, w_act = x, y, w
        else:
            x_act, y_act, w_act = _rows_view(x, active), y[active], w[active]
        new_slope, new_intercept, partner = _best_line_through_weighted(
            x_act, y_act, w_act, pivot[active]
        )
        residual = y_act - new_intercept[:, None] - new_slope[:, None] * x_act
        new_objective = _running_sum(w_act * np.abs(residual))
        improved = new_objective < objective[active] * threshold_scale - rounding[active]
        if not improved.all():
            active = active[improved]
            if active.size == 0:
                break
            new_slope, new_intercept = new_slope[improved], new_intercept[improved]
            new_objective, partner = new_objective[improved], partner[improved]
            residual, w_act = residual[improved], w_act[improved]
            x_act = _rows_view(x, active)
        slope[active] = new_slope
        objective[active] = new_objective
        line_size = np.abs(new_intercept) + np.abs(new_slope) * x_size[active]
        on_line_tol = (_ON_LINE_ROUNDING * _EPS) * (y_size[active] + line_size)
        not_optimal, next_pivot = _vertex_check_weighted(
            x_act, w_act, n_positive[active], residual, pivot[active], partner,
            (on_line_tol, margin_tol[active]),
        )  # fmt: skip
        pivot[active] = next_pivot
        active = active[not_optimal]
    else:  # pragma: no cover - the objective falls at every step, so this cannot happen
        raise RuntimeError(f"lad_line: descent did not converge in {_MAX_STEPS} steps")

    # the intercept: midpoint of the interval of optimal intercepts for this slope
    residual = np.where(positive, y - slope[:, None] * x, np.inf)
    low, high = _weighted_median_positions(residual, w, n_positive, equal_weights)
    return slope, (low + high) / 2
