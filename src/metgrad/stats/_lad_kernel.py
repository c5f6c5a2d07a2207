"""Compiled kernel of :func:`metgrad.stats.lad.lad_line`: the exact LAD descent, row by row.

The algorithm and its tolerances are documented in :func:`~metgrad.stats.lad.lad_line`
(Notes). This module holds only the numba-compiled loops: every step of the
descent is O(n) (the weighted median is found by selection, not by sorting),
so a fit of a few hundred points costs microseconds and batches of resamples
need no temporary arrays beyond a few of length n.

Compiled functions are cached on disk (``cache=True``): the first call in a
fresh installation compiles them (a few seconds), later processes load them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._selection import median_of_three, select

__all__ = ["lad_rows"]

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
MAX_STEPS = 1000
# The weighted median through a new pivot is first looked for within a width of the
# current slope: the width shrinks by _WIDTH_DECAY at each step and grows to
# _WIDTH_MARGIN times any distance found between that slope and the answer.
_WIDTH_DECAY = 0.7
_WIDTH_MARGIN = 3.0
# Otherwise it is bracketed by this many sample values, +- _BRACKET ranks.
_SAMPLE = 64
_BRACKET = 6


@njit(cache=True, nogil=True, error_model="numpy")
def _weighted_select(slopes, weights, count, half):
    """Smallest slope whose cumulative weight (slopes ascending) reaches ``half``.

    Works in place on ``slopes[:count]`` and ``weights[:count]`` (reordered):
    a weighted quickselect, O(count) on average. The partition is branch-free
    (Lomuto's scheme with an unconditional swap and a conditional advance),
    which matters for random slopes, where a branch is mispredicted half the
    time.
    """
    lo, hi = 0, count - 1
    below = 0.0  # weight of the values known to lie below slopes[lo:hi+1]
    while hi > lo:
        pivot = median_of_three(slopes[lo], slopes[(lo + hi) // 2], slopes[hi])
        # slopes[lo:store] < pivot <= slopes[store:i]
        store = lo
        w_less, w_equal = 0.0, 0.0
        for i in range(lo, hi + 1):
            v, w = slopes[i], weights[i]
            less = v < pivot
            w_less += w * less
            w_equal += w * (v == pivot)
            slopes[i], weights[i] = slopes[store], weights[store]
            slopes[store], weights[store] = v, w
            store += less
        if below + w_less >= half:
            hi = store - 1
        elif below + w_less + w_equal >= half:
            return pivot
        elif store > lo:
            below += w_less
            lo = store
        else:  # the pivot is the smallest value left and not the answer: drop its copies
            below += w_equal
            for i in range(lo, hi + 1):
                v, w = slopes[i], weights[i]
                equal = v == pivot
                slopes[i], weights[i] = slopes[store], weights[store]
                slopes[store], weights[store] = v, w
                store += equal
            lo = store
    return slopes[lo]


@njit(cache=True, nogil=True, error_model="numpy")
def _weighted_median(slopes, weights, count, total, inner_s, inner_w):
    """Weighted median (`_weighted_select` of half the ``total`` weight), narrowed by a sample.

    The weighted median of an evenly spaced sample of ``_SAMPLE`` values
    brackets the answer between two sample values; one branch-free pass adds
    up the weight below the bracket and copies the values inside it to
    ``inner_s``/``inner_w``, and the selection then runs on those few. If the
    bracket misses (the answer is outside it), the full selection runs on the
    untouched ``slopes``/``weights``. The result is the same either way.
    """
    half = 0.5 * total
    if count <= 2 * _SAMPLE:
        return _weighted_select(slopes, weights, count, half)
    stride = count // _SAMPLE
    sample_s = np.empty(_SAMPLE)
    sample_w = np.empty(_SAMPLE)
    sample_total = 0.0
    for j in range(_SAMPLE):
        sample_s[j] = slopes[j * stride]
        sample_w[j] = weights[j * stride]
        sample_total += sample_w[j]
    order = np.argsort(sample_s)
    cumulative, centre = 0.0, _SAMPLE - 1
    for j in range(_SAMPLE):
        cumulative += sample_w[order[j]]
        if cumulative >= 0.5 * sample_total:
            centre = j
            break
    low = sample_s[order[centre - _BRACKET]] if centre >= _BRACKET else -np.inf
    high = sample_s[order[centre + _BRACKET]] if centre + _BRACKET < _SAMPLE else np.inf
    w_below, w_inside, inside = 0.0, 0.0, 0
    for i in range(count):
        v, w = slopes[i], weights[i]
        is_inside = (v >= low) & (v <= high)
        w_below += w * (v < low)
        w_inside += w * is_inside
        inner_s[inside] = v
        inner_w[inside] = w
        inside += is_inside
    if w_below < half <= w_below + w_inside:
        return _weighted_select(inner_s, inner_w, inside, half - w_below)
    return _weighted_select(slopes, weights, count, half)


@njit(cache=True, nogil=True, error_model="numpy")
def _best_line_through(x, y, k, guess, width, slopes, scratch_s, scratch_w, inner_s, inner_w):
    """Best line through point k: (slope, intercept, partner index).

    The slope is the weighted median of the slopes to the points with another
    x (weights |x_i - x_k|); the partner is the lowest-index point with exactly
    that slope. ``guess`` is a slope expected near the answer (the current line's):
    the same pass that computes the slopes copies those within ``width[0]`` of it,
    and when the weighted median is among them it is selected there; otherwise
    `_weighted_median` runs on all. The result does not depend on the guess.
    ``width[0]`` is then adapted to the distance between guess and answer.
    """
    n = x.shape[0]
    xk, yk = x[k], y[k]
    low, high = guess - width[0], guess + width[0]
    count, inside = 0, 0
    total, w_below, w_inside = 0.0, 0.0, 0.0
    for i in range(n):  # branch-free: points with x = x_k get slope +-inf or NaN, weight 0
        dx = x[i] - xk
        s = (y[i] - yk) / dx
        w = abs(dx)
        slopes[i] = s
        scratch_s[count] = s
        scratch_w[count] = w
        inner_s[inside] = s
        inner_w[inside] = w
        valid = dx != 0.0
        is_inside = valid & (s >= low) & (s <= high)
        total += w
        w_below += w * (valid & (s < low))
        w_inside += w * is_inside
        count += valid
        inside += is_inside
    half = 0.5 * total
    if w_below < half <= w_below + w_inside:
        slope = _weighted_select(inner_s, inner_w, inside, half - w_below)
    else:
        slope = _weighted_median(scratch_s, scratch_w, count, total, inner_s, inner_w)
    width[0] = max(_WIDTH_DECAY * width[0], _WIDTH_MARGIN * abs(slope - guess))
    partner = 0
    for i in range(n):
        if slopes[i] == slope and x[i] != xk:
            partner = i
            break
    return slope, yk - slope * xk, partner


@njit(cache=True, nogil=True, error_model="numpy")
def _worst_rotation(x, sign, sum_sign, sum_sign_x, on_x, on_index):
    """Smallest rotation margin over the points on the line, and that point.

    Margin of point p: sum_{i on line} |x_i - x_p| - |sum_{i off} s_i (x_i - x_p)|.
    """
    n = x.shape[0]
    n_on = 0
    for i in range(n):
        if sign[i] == 0.0:
            on_x[n_on] = x[i]
            on_index[n_on] = i
            n_on += 1
    order = np.argsort(on_x[:n_on], kind="mergesort")
    total = 0.0
    for j in range(n_on):
        total += on_x[order[j]]
    before = 0.0
    best, best_index = np.inf, -1
    for j in range(n_on):
        xp = on_x[order[j]]
        after = total - before - xp
        spread = (xp * j - before) + (after - xp * (n_on - j - 1))
        margin = spread - abs(sum_sign_x - xp * sum_sign)
        if margin < best:
            best, best_index = margin, on_index[order[j]]
        before += xp
    return best, best_index


@njit(cache=True, nogil=True, error_model="numpy")
def _fit_row(x, y, start, width, slopes, scratch_s, scratch_w, inner_s, inner_w, sign,
             on_index):  # fmt: skip
    """Exact LAD slope of one data set (see ``lad_line``, Notes).

    The descent starts on the best line of slope ``start`` (a warm start, e.g. the
    slope of the full data for a resample of it), or of the least-squares slope if
    ``start`` is NaN. Any start reaches an optimal line. ``width`` holds the state
    of `_best_line_through`'s bracket (carried from row to row).
    """
    n = x.shape[0]
    y_size, x_low, x_high, x_mean = 0.0, x[0], x[0], 0.0
    for i in range(n):
        y_size = max(y_size, abs(y[i]))
        x_low = min(x_low, x[i])
        x_high = max(x_high, x[i])
        x_mean += x[i]
    x_mean /= n
    x_size = max(abs(x_low), abs(x_high))
    rounding = (_OBJECTIVE_ROUNDING * _EPS * n) * y_size
    margin_tol = (_MARGIN_RELATIVE * n) * (x_high - x_low)

    # start: the median-residual point about the starting slope (by default the
    # least-squares one) lies on the best line of that slope
    trial = start
    if np.isnan(trial):
        sxy, sxx = 0.0, 0.0
        for i in range(n):
            d = x[i] - x_mean
            sxy += y[i] * d
            sxx += d * d
        trial = sxy / sxx
    for i in range(n):
        slopes[i] = y[i] - trial * x[i]
        scratch_s[i] = slopes[i]
    target = select(scratch_s, n, n // 2)
    pivot = 0
    for i in range(n):
        if slopes[i] == target:
            pivot = i
            break

    slope, objective = trial, np.inf
    for _ in range(MAX_STEPS):
        new_slope, new_intercept, partner = _best_line_through(
            x, y, pivot, slope, width, slopes, scratch_s, scratch_w, inner_s, inner_w
        )
        on_line_tol = (_ON_LINE_ROUNDING * _EPS) * (
            y_size + abs(new_intercept) + abs(new_slope) * x_size
        )
        new_objective, margin, worst = _vertex_test(
            x, y, new_slope, new_intercept, pivot, partner, on_line_tol, sign, scratch_w, on_index
        )
        # objective is +inf before the first step, so the first line is always taken; a step
        # that does not lower the objective by more than rounding ends the descent
        if not new_objective < objective * (1.0 - _OBJECTIVE_RELATIVE) - rounding:
            break
        slope, objective = new_slope, new_objective
        if not margin < -margin_tol:
            break
        pivot = worst
    else:  # pragma: no cover - the objective falls at every step, so this cannot happen
        raise RuntimeError("lad_line: descent did not converge in MAX_STEPS steps")

    return slope


@njit(cache=True, nogil=True, error_model="numpy")
def _vertex_test(x, y, slope, intercept, pivot, partner, on_line_tol, sign, on_x, on_index):
    """Objective of the line through pivot and partner, and its optimality test.

    Returns ``(objective, margin, worst)``: the smallest rotation margin over the
    points on the line (negative: rotating about ``worst`` lowers the objective).
    """
    n = x.shape[0]
    objective, sum_sign, sum_sign_x, n_off = 0.0, 0.0, 0.0, 0
    for i in range(n):  # branch-free: the signs of noisy residuals are random
        r = y[i] - intercept - slope * x[i]
        objective += abs(r)
        s = (r > on_line_tol) * 1.0 - (r < -on_line_tol) * 1.0
        sign[i] = s
        sum_sign += s
        sum_sign_x += s * x[i]
        n_off += s != 0.0
    for i in (pivot, partner):  # on the line by construction
        n_off -= sign[i] != 0.0
        sum_sign -= sign[i]
        sum_sign_x -= sign[i] * x[i]
        sign[i] = 0.0
    if n_off == n - 2:
        # only pivot and partner on the line: the line is the best through the pivot,
        # so only the rotation about the partner needs checking
        margin = abs(x[partner] - x[pivot]) - abs(sum_sign_x - x[partner] * sum_sign)
        return objective, margin, partner
    margin, worst = _worst_rotation(x, sign, sum_sign, sum_sign_x, on_x, on_index)
    return objective, margin, worst


@njit(cache=True, nogil=True, error_model="numpy")
def _intercept(x, y, slope, work):
    """Median of y - slope x (numba's median: mean of the two middle values for even n)."""
    for i in range(x.shape[0]):
        work[i] = y[i] - slope * x[i]
    return np.median(work)


@njit(cache=True, nogil=True, error_model="numpy")
def lad_rows(x, y, slope_out, intercept_out, with_intercept, start):
    """Fit every row of ``y`` (shape (m, n)); ``x`` has shape (1, n) (shared) or (m, n).

    Results go to ``slope_out`` and ``intercept_out`` (shape (m,)); the
    intercepts are left untouched if ``with_intercept`` is False (refits whose
    slopes alone are used). Every descent starts from the slope ``start``
    (least squares if NaN; see `_fit_row`). ``start`` has no default: numba's
    on-disk cache keys an omitted argument by its default, and a NaN default
    never equals itself, so every process would compile the kernel again.
    """
    m, n = y.shape
    shared = x.shape[0] == 1
    slopes = np.empty(n)
    scratch_s = np.empty(n)
    scratch_w = np.empty(n)
    inner_s = np.empty(n)
    inner_w = np.empty(n)
    sign = np.empty(n)
    on_index = np.empty(n, dtype=np.int64)
    width = np.zeros(1)
    for row in range(m):
        xr = x[0] if shared else x[row]
        slope_out[row] = _fit_row(
            xr,
            y[row],
            start,
            width,
            slopes,
            scratch_s,
            scratch_w,
            inner_s,
            inner_w,
            sign,
            on_index,
        )
        if with_intercept:
            intercept_out[row] = _intercept(xr, y[row], slope_out[row], slopes)
