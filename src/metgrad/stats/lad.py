"""Exact least-absolute-deviation (LAD, L1) straight lines, batched over resamples.

Metallicity gradients are LAD lines of 12+log(O/H) against R/R_e, and their
errors come from 100 refits of resampled data per galaxy, so this fit runs
10^5-10^6 times per analysis: :func:`lad_line` fits many rows at once.
"""

from typing import NamedTuple

import numpy as np

from ._lad_kernel import lad_rows

__all__ = ["LADLine", "lad_line"]


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

    The descent is compiled (numba, in ``metgrad.stats._lad_kernel``) and
    runs row by row: each step costs O(n), the weighted median being found
    by a weighted quickselect rather than a sort (first among the slopes
    near the current line's, which usually hold it), and a fit typically
    takes two or three steps. Memory is a few arrays of length n whatever the
    number of rows.

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
    slope = np.empty(ys.shape[0])
    intercept = np.empty(ys.shape[0])
    lad_rows(xs.reshape(-1, xs.shape[-1]), ys, slope, intercept, True, np.nan)
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
    # C-contiguous and writable (read-only input copied): one array type for the compiled
    # kernel, which is then compiled once instead of once per layout
    xs = np.require(xs, requirements=("C", "W"))
    ys = np.require(ys.reshape(-1, ys.shape[-1]), requirements=("C", "W"))
    degenerate = ~(xs.max(axis=-1) > xs.min(axis=-1))
    if degenerate.any():
        where = "" if xs.ndim == 1 else f" (rows {np.flatnonzero(degenerate)[:5].tolist()})"
        raise ValueError(f"lad_line: fewer than 2 distinct x values{where}; the line is undefined")
    return xs, ys, single


def lad_slopes_trusted(x: np.ndarray, y: np.ndarray, *, start: float | None = None) -> np.ndarray:
    """Slopes of :func:`lad_line` for rows ``y`` at shared ``x``, without the input checks.

    For callers that have already checked their data (the gradient refits:
    100 calls per galaxy, where the checks would cost about a fifth of the
    fit). ``x`` must be a finite array of shape (n,) with at least two distinct
    values (it is passed on as a C-contiguous writable float64 array, the type
    ``lad_line`` passes, so the kernel is compiled once) and ``y`` a finite
    C-contiguous float64 array of shape (m, n); anything else gives undefined
    results.

    ``start`` (keyword only) is a warm start: a slope near the rows' optimal ones,
    such as the best-fit slope of the data that the rows resample. Every descent then
    starts on the best line of that slope instead of the least-squares one, which
    saves steps; the result is an optimal line all the same (the same one where the
    optimum is unique; where it is not, as for some resamples with repeated points,
    possibly another with the same objective).
    """
    slope = np.empty(y.shape[0])
    first = np.nan if start is None else float(start)
    x = np.require(x, np.float64, ("C", "W"))  # the array type of lad_line's x: one compile
    lad_rows(x.reshape(1, -1), y, slope, slope, False, first)  # no intercepts: slopes only
    return slope
