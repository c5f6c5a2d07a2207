"""Compiled kernel of :func:`metgrad.stats.loess.loess_2d`: every local fit, point by point.

One output point at a time, in one compiled loop, with everything in a few arrays of
length ``k`` that stay in the processor's cache:

1. its ``k`` nearest data points, selected (not sorted) from the candidates of its
   group of output points (see `smooth_groups`);
2. local coordinates, tricube weights and the design columns of the local polynomial;
3. the robustness iterations: residuals, their median absolute value (by selection),
   biweights, the weighted sums of the normal equations and their solution (Gaussian
   elimination with partial pivoting on the 3 x 3 or 6 x 6 system; the minimum-norm
   solution where the system is singular to rounding). The neighbours do not change
   from one iteration to the next.

The functions release the GIL (``nogil``), so that :mod:`metgrad.stats.loess` can run
disjoint ranges of groups on several threads. Compiled on first use and cached on disk
(``cache=True``), like the LAD kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._selection import select as _select

__all__ = ["biweight_scales", "smooth_given", "smooth_groups"]

_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}
_SUMS = {**_OPTIONS, "fastmath": {"reassoc", "contract"}}
#: A pivot below this fraction of the largest diagonal element marks a singular system.
_SINGULAR = 1e-12
#: Selections among more values than this start from a sorted sample of `_SAMPLE` of them,
#: which brackets the answer within +- `_BRACKET` sample ranks.
_SAMPLED_ABOVE = 256
_SAMPLE = 32
_BRACKET = 3
#: Status codes of the kernels.
OK, COINCIDENT = 0, 1


@njit(**_OPTIONS)
def _sample_bracket(values, count, kth):
    """Two values that bracket the ``kth`` smallest of ``values[:count]``, probably.

    Sorted, an evenly spaced sample of `_SAMPLE` values puts it between the sample
    values `_BRACKET` ranks either side of its expected rank.
    """
    stride = count // _SAMPLE
    sample = np.empty(_SAMPLE)
    for j in range(_SAMPLE):
        sample[j] = values[j * stride]
    sample.sort()
    rank = (kth * _SAMPLE) // count
    low = sample[rank - _BRACKET] if rank >= _BRACKET else -np.inf
    high = sample[rank + _BRACKET] if rank + _BRACKET < _SAMPLE else np.inf
    return low, high


@njit(**_OPTIONS)
def _bracket_select(values, count, kth, low, high, inner):
    """``kth`` smallest of ``values[:count]``, selected among those in ``[low, high]``.

    One branch-free pass counts the values below ``low`` and copies those inside to
    ``inner``; when the ``kth`` rank falls inside, the selection runs on those few.
    Otherwise (the bracket missed) all values are copied to ``inner`` and selected
    there. ``values`` is left untouched. Returns the value and the count ``below`` of
    values left out below the bracket (0 after a miss): ``inner[:kth - below]`` then
    hold the selected values below the answer.
    """
    below, inside = 0, 0
    for i in range(count):
        v = values[i]
        inner[inside] = v
        below += v < low
        inside += (v >= low) & (v <= high)
    if below <= kth < below + inside:
        return _select(inner, inside, kth - below), below
    inner[:count] = values[:count]
    return _select(inner, count, kth), 0


@njit(**_OPTIONS)
def _median(values, count, inner, guess):
    """Median of ``values[:count]`` (mean of the two middle values for even count).

    May reorder ``values``; ``inner`` is scratch of the same length. A positive ``guess``
    (e.g. the median of similar values) narrows the selection to values within a factor
    1.25 of it; otherwise large counts are narrowed by `_sample_bracket`. The result does
    not depend on the guess.
    """
    half = count // 2
    if guess > 0.0:
        low, high = guess / 1.25, guess * 1.25
    elif count > _SAMPLED_ABOVE:
        low, high = _sample_bracket(values, count, half)
    else:
        upper = _select(values, count, half)
        return upper if count % 2 else (_largest(values, half) + upper) / 2.0
    upper, below = _bracket_select(values, count, half, low, high, inner)
    if count % 2:
        return upper
    if half == below:  # the lower middle value is below the bracket
        return (_largest_below(values, count, low) + upper) / 2.0
    return (_largest(inner, half - below) + upper) / 2.0


@njit(**_OPTIONS)
def _largest(values, count):
    """Largest of ``values[:count]``."""
    top = values[0]
    for i in range(1, count):
        top = max(top, values[i])
    return top


@njit(**_OPTIONS)
def _largest_below(values, count, limit):
    """Largest of ``values[:count]`` that is below ``limit``."""
    top = -np.inf
    for i in range(count):
        v = values[i]
        top = max(top, v if v < limit else -np.inf)
    return top


@njit(**_OPTIONS)
def _solve(normal, rhs, p, coeff):
    """Solve the symmetric ``p x p`` system in place; minimum-norm if singular to rounding."""
    size = 0.0
    for a in range(p):
        size = max(size, abs(normal[a, a]))
    a_copy = normal[:p, :p].copy()
    b_copy = rhs[:p].copy()
    for col in range(p):
        best, pivot_row = abs(normal[col, col]), col
        for row in range(col + 1, p):
            if abs(normal[row, col]) > best:
                best, pivot_row = abs(normal[row, col]), row
        if not best > _SINGULAR * size:
            coeff[:p] = np.linalg.pinv(a_copy) @ b_copy
            return
        if pivot_row != col:
            for c in range(p):
                normal[col, c], normal[pivot_row, c] = normal[pivot_row, c], normal[col, c]
            rhs[col], rhs[pivot_row] = rhs[pivot_row], rhs[col]
        for row in range(col + 1, p):
            factor = normal[row, col] / normal[col, col]
            for c in range(col, p):
                normal[row, c] -= factor * normal[col, c]
            rhs[row] -= factor * rhs[col]
    for row in range(p - 1, -1, -1):
        total = rhs[row]
        for c in range(row + 1, p):
            total -= normal[row, c] * coeff[c]
        coeff[row] = total / normal[row, row]


@njit(**_SUMS)
def _weighted_fit(design, values, weight, k, p, normal, rhs, coeff):
    """Weighted least-squares coefficients of ``values`` on the ``p`` design columns."""
    for a in range(p):
        for b in range(a, p):
            total = 0.0
            for j in range(k):
                total += weight[j] * design[a, j] * design[b, j]
            normal[a, b] = total
            normal[b, a] = total
        total = 0.0
        for j in range(k):
            total += weight[j] * design[a, j] * values[j]
        rhs[a] = total
    _solve(normal, rhs, p, coeff)


@njit(**_SUMS)
def _local_design(use_sigma, k, degree, design, vec):
    """Design columns, tricube weights of one point's ``k`` neighbours, in place.

    On entry ``design[1:3, :k]`` hold the offsets of the neighbours from the point,
    ``vec[3, :k]`` their squared distances and ``vec[2, :k]`` their errors (if
    ``use_sigma``). Returns the column of the nearest neighbour (the first of equal
    ones), or -1 when every neighbour coincides with the point.
    """
    tricube, sigma, dist2 = vec[1], vec[2], vec[3]
    dmax2, best, best2 = -1.0, 0, np.inf
    for j in range(k):
        dmax2 = max(dmax2, dist2[j])
    for j in range(k):
        if dist2[j] < best2:
            best2, best = dist2[j], j
    if not dmax2 > 0.0:
        return -1
    inverse = 1.0 / np.sqrt(dmax2)
    for j in range(k):
        t = dist2[j] / dmax2
        c = 1.0 - np.sqrt(t) * t
        tricube[j] = c * (c * c)
        design[0, j] = 1.0
        design[1, j] *= inverse
        design[2, j] *= inverse
    if use_sigma:
        for j in range(k):
            tricube[j] /= sigma[j] * sigma[j]
    if degree == 2:
        for j in range(k):
            u, v = design[1, j], design[2, j]
            design[3, j], design[4, j], design[5, j] = u * v, u * u, v * v
    return best


@njit(**_OPTIONS)
def _gather(x, y, z, sigz, use_sigma, px, py, nb, k, design, vec):
    """Offsets, squared distances, values and errors of the neighbours ``nb[:k]``."""
    for j in range(k):
        i = nb[j]
        du, dv = x[i] - px, y[i] - py
        design[1, j], design[2, j] = du, dv
        vec[3, j] = du * du + dv * dv
        vec[0, j] = z[i]
        if use_sigma:
            vec[2, j] = sigz[i]


@njit(**_SUMS)
def _residuals(design, values, coeff, k, p, residual, magnitude):
    """``values - design @ coeff`` and its absolute value."""
    if p == 3:  # the plane: one vectorised pass
        c0, c1, c2 = coeff[0], coeff[1], coeff[2]
        for j in range(k):
            r = values[j] - c0 - c1 * design[1, j] - c2 * design[2, j]
            residual[j] = r
            magnitude[j] = abs(r)
        return
    residual[:k] = values[:k]
    for a in range(p):
        c = coeff[a]
        for j in range(k):
            residual[j] -= c * design[a, j]
    for j in range(k):
        magnitude[j] = abs(residual[j])


@njit(**_SUMS)
def _biweights(residual, sigma, use_sigma, sigma_factor, row_factor, tricube, k, work, weight):
    """Biweights ``(1 - u**2)**2`` (0 for ``|u| >= 1``) into ``work``, times tricube into
    ``weight``; ``u = residual * row_factor`` or ``residual / sigma * sigma_factor``."""
    for j in range(k):
        if use_sigma:
            u = residual[j] / sigma[j] * sigma_factor
        else:
            res = residual[j]
            u = res * row_factor if res != 0.0 else 0.0  # 0 * inf would be NaN
        b = 1.0 - min(u * u, 1.0)
        b *= b
        work[j] = b
        weight[j] = tricube[j] * b


@njit(**_OPTIONS)
def _outliers_changed(biweight, k, outlier_biweight, flags):
    """Count of neighbours whose outlier flag (biweight below the cut) changed; updates."""
    changed = 0
    for j in range(k):
        flag = np.uint8(biweight[j] < outlier_biweight)
        changed += flag != flags[j]
        flags[j] = flag
    return changed


@njit(**_OPTIONS)
def _robust_fit(k, p, use_sigma, sigma_factor, mad_multiple, outlier_biweight, max_iter,
                nearest, design, vec, flags, normal, rhs, coeff):  # fmt: skip
    """Robustness iterations of one local fit: (value at the point, biweight of ``nearest``).

    Each iteration takes the biweights of the current fit's residuals and refits; the
    iterations stop when the set of outliers (biweight below ``outlier_biweight``) is the
    one of the previous iteration, never before the second, or after ``max_iter``.
    """
    values, tricube, sigma, inner = vec[0], vec[1], vec[2], vec[3]
    residual, work, weight = vec[4], vec[5], vec[6]
    _weighted_fit(design, values, tricube, k, p, normal, rhs, coeff)
    value, own, mad = coeff[0], 1.0, -1.0
    for iteration in range(max_iter):
        _residuals(design, values, coeff, k, p, residual, work)
        factor = 0.0
        if not use_sigma:
            mad = _median(work, k, inner, mad)
            factor = 1.0 / (mad_multiple * mad)  # inf for zero MAD
        _biweights(residual, sigma, use_sigma, sigma_factor, factor, tricube, k, work, weight)
        changed = _outliers_changed(work, k, outlier_biweight, flags)
        own = work[nearest]
        _weighted_fit(design, values, weight, k, p, normal, rhs, coeff)
        value = coeff[0]
        if iteration > 0 and changed == 0:
            break
    return value, own


@njit(**_OPTIONS)
def _fit_point(use_sigma, k, degree, settings, work):
    """Value and own biweight of one output point from its neighbours in ``work``.

    ``work`` is from `_work_arrays`, filled by `_gather` or `_member_neighbours`;
    ``settings``: (sigma factor, MAD multiple, outlier biweight, iterations). Returns
    ``(nan, nan)`` when every neighbour coincides with the point.
    """
    design, vec, flags, normal, rhs, coeff = work
    nearest = _local_design(use_sigma, k, degree, design, vec)
    if nearest < 0:
        return np.nan, np.nan
    p = 3 if degree == 1 else 6
    return _robust_fit(k, p, use_sigma, settings[0], settings[1], settings[2],
                       int(settings[3]), nearest, design, vec, flags, normal, rhs,
                       coeff)  # fmt: skip


@njit(**_OPTIONS)
def _work_arrays(k):
    """Work arrays of one local fit: design (6, k + 1), vectors (7, k + 1), flags, solve.

    (One spare column: the branch-free copies of `_member_neighbours` write one past.)
    """
    return (np.empty((6, k + 1)), np.empty((7, k + 1)), np.zeros(k, dtype=np.uint8),
            np.empty((6, 6)), np.empty(6), np.empty(6))  # fmt: skip


@njit(**_OPTIONS)
def _group_candidates(x, y, gx, gy, k, centre_d2, select, scratch, cand, bracket):
    """Data points that can be among the ``k`` nearest of some member of a group.

    With ``r_c`` the ``k``-th neighbour distance of the group's centre and ``b`` the
    group's radius about it, every member has its ``k`` neighbours within ``r_c + 2 b`` of
    the centre (triangle inequality). Returns their count, indices in ``cand``;
    ``bracket`` receives the centre and ``r_c``.
    """
    n = x.shape[0]
    cx = 0.5 * (gx.min() + gx.max())
    cy = 0.5 * (gy.min() + gy.max())
    radius2 = 0.0
    for q in range(gx.shape[0]):
        radius2 = max(radius2, (gx[q] - cx) ** 2 + (gy[q] - cy) ** 2)
    for i in range(n):
        d2 = (x[i] - cx) ** 2 + (y[i] - cy) ** 2
        centre_d2[i] = d2
        select[i] = d2
    if n > _SAMPLED_ABOVE:
        low, high = _sample_bracket(select, n, k - 1)
        kth = np.sqrt(_bracket_select(select, n, k - 1, low, high, scratch)[0])
    else:
        kth = np.sqrt(_select(select, n, k - 1))
    bracket[0], bracket[1], bracket[2] = cx, cy, kth
    reach = (kth + 2.0 * np.sqrt(radius2)) * (1.0 + 1e-9)
    reach2 = reach * reach
    count = 0
    for i in range(n):
        cand[count] = i
        count += centre_d2[i] <= reach2
    return count


@njit(**_OPTIONS)
def _member_neighbours(cands, count, px, py, k, tie_relative, bracket, dist2, ring, work):
    """Copy the ``k`` candidates nearest ``(px, py)`` to ``work`` (see `_gather`).

    ``cands`` holds the candidates' x, y, z and errors in rows 0-3. ``bracket`` = (x, y,
    k-th neighbour distance) of a nearby reference point: by the triangle inequality the
    ``k``-th distance of ``(px, py)`` differs from it by at most their separation, so the
    selection runs only on the candidates in that ring (one pass sorts them out); it
    falls back to all candidates if rounding defeats the bracket. ``bracket`` is updated
    to this point. Returns True, leaving ``work`` undefined, when the ``k``-th and
    ``(k+1)``-th squared distances tie to a relative ``tie_relative``.
    """
    cx, cy = cands[0], cands[1]
    for c in range(count):
        dist2[c] = (cx[c] - px) ** 2 + (cy[c] - py) ** 2
    sep = np.sqrt((px - bracket[0]) ** 2 + (py - bracket[1]) ** 2)
    low = max(bracket[2] - sep, 0.0) * (1.0 - 1e-9)
    high = (bracket[2] + sep) * (1.0 + 1e-9)
    kth = _bracket_select(dist2, count, k - 1, low * low, high * high, ring)[0]
    bracket[0], bracket[1], bracket[2] = px, py, np.sqrt(kth)
    limit = kth * (1.0 + tie_relative)
    within = 0
    for c in range(count):
        within += dist2[c] <= limit
    if within > k:
        return True
    _copy_nearest(cands, count, px, py, dist2, kth, work)
    return False


@njit(**_OPTIONS)
def _copy_nearest(cands, count, px, py, dist2, kth, work):
    """Copy the candidates with squared distance <= ``kth`` (exactly ``k``) to ``work``."""
    design, vec = work[0], work[1]
    taken = 0
    for c in range(count):  # branch-free: write, then advance if taken
        design[1, taken] = cands[0, c] - px
        design[2, taken] = cands[1, c] - py
        vec[3, taken] = dist2[c]
        vec[0, taken] = cands[2, c]
        vec[2, taken] = cands[3, c]
        taken += dist2[c] <= kth


@njit(**_OPTIONS)
def smooth_groups(x, y, z, sigz, use_sigma, qx, qy, order, starts, k, degree, settings,
                  tie_relative, skip, zout, wout, needs_tree):  # fmt: skip
    """Neighbours and robust local fits of the output points of some groups.

    Group ``g`` is the output points ``order[starts[g]:starts[g + 1]]`` (spatially
    compact). A point flagged in ``skip``, or whose ``k``-th neighbour distance ties
    (`_member_neighbours`), is not fitted: ``needs_tree`` is set for it. Otherwise its
    value goes to ``zout`` and its nearest neighbour's biweight to ``wout``.

    Returns
    -------
    int
        ``OK``, or ``COINCIDENT`` if every neighbour of some point coincides with it.
    """
    n = x.shape[0]
    centre_d2, select, dist2 = np.empty(n), np.empty(n), np.empty(n)
    cand = np.empty(n, dtype=np.intp)
    cands = np.zeros((4, n))
    work = _work_arrays(k)
    bracket = np.empty(3)
    for g in range(starts.shape[0] - 1):
        members = order[starts[g] : starts[g + 1]]
        count = _group_candidates(x, y, qx[members], qy[members], k, centre_d2, select, dist2,
                                  cand, bracket)  # fmt: skip
        for c in range(count):
            i = cand[c]
            cands[0, c], cands[1, c], cands[2, c] = x[i], y[i], z[i]
            if use_sigma:
                cands[3, c] = sigz[i]
        for q in members:
            if skip[q] or _member_neighbours(cands, count, qx[q], qy[q], k, tie_relative,
                                             bracket, dist2, select, work):  # fmt: skip
                needs_tree[q] = True
                continue
            value, own = _fit_point(use_sigma, k, degree, settings, work)
            if np.isnan(value):
                return COINCIDENT
            zout[q], wout[q] = value, own
    return OK


@njit(**_OPTIONS)
def smooth_given(x, y, z, sigz, use_sigma, qx, qy, rows, idx, degree, settings, zout, wout):
    """Robust local fits of the output points ``rows`` with given neighbours ``idx``.

    ``idx[i]`` holds the ``k`` neighbours of output point ``rows[i]``. Returns ``OK`` or
    ``COINCIDENT`` (see `smooth_groups`).
    """
    k = idx.shape[1]
    work = _work_arrays(k)
    for i in range(rows.shape[0]):
        q = rows[i]
        _gather(x, y, z, sigz, use_sigma, qx[q], qy[q], idx[i], k, work[0], work[1])
        value, own = _fit_point(use_sigma, k, degree, settings, work)
        if np.isnan(value):
            return COINCIDENT
        zout[q], wout[q] = value, own
    return OK


@njit(**_SUMS)
def biweight_scales(x, y, cos, sin, tuning, out):
    """Biweight dispersion about the median of ``x cos - y sin`` for each angle.

    ``sqrt(n sum(d**2 (1 - u**2)**4) / (D (D - 1)))`` with ``D = sum((1 - u**2)(1 - 5
    u**2))``, ``d`` the deviations from the median, ``u = d / (tuning MAD)``, sums over
    ``|u| < 1`` (Hoaglin et al. 1983). ``-inf`` where the dispersion is not finite (no
    spread).
    """
    n = x.shape[0]
    rotated, work, inner = np.empty(n), np.empty(n), np.empty(n)
    for a in range(cos.shape[0]):
        for i in range(n):
            rotated[i] = x[i] * cos[a] - y[i] * sin[a]
            work[i] = rotated[i]
        centre = _median(work, n, inner, -1.0)
        for i in range(n):
            rotated[i] -= centre
            work[i] = abs(rotated[i])
        scale = 1.0 / (tuning * _median(work, n, inner, -1.0))
        numerator, denominator = 0.0, 0.0
        for i in range(n):
            u = rotated[i] * scale
            w = 1.0 - u * u
            if w > 0.0:
                numerator += (rotated[i] * w * w) ** 2
                denominator += w * (1.0 - 5.0 * u * u)
        value = np.sqrt(n * numerator / (denominator * (denominator - 1.0)))
        out[a] = value if np.isfinite(value) else -np.inf
