"""Two-dimensional LOESS: robust locally weighted regression (Cleveland & Devlin 1988).

Every output point gets its own weighted least-squares plane (or quadric) fitted to its
``k`` nearest data points, with tricube weights in distance and biweight robustness
weights refined by a few iterations. The options and results follow the ``loess_2d``
smoother of Cappellari et al. (2013), which Boardman et al. (2022) use for their maps.

This is an independent, vectorised implementation. The output points are visited in
spatially compact blocks (Hilbert order). The neighbours of a block are found by a partial
sort of the distances to the few data points that can provably be among them. The
local fits of a block are solved together, one robustness iteration at a time, as a
stack of small normal-equation systems in centred, scaled local coordinates; points
whose outliers have stopped changing leave the stack. All work arrays are reused from
block to block. The per-neighbour arithmetic (local coordinates and weights, residuals,
biweights and the weighted sums of the normal equations) runs in loops compiled with
numba (:mod:`metgrad.stats._loess_kernel`), which fuse what would be a few dozen numpy
passes over a block into a few.
"""

import numpy as np
from scipy.spatial import KDTree

from ._loess_kernel import biweights_and_sums, fill_rows, residuals

__all__ = ["loess_2d"]

_UNUSED = np.empty(0)

#: Most robustness iterations per output point (Cleveland 1979 recommends two; the
#: reference implementation allows up to ten and stops once the outliers stop changing).
_MAX_ROBUST_ITERATIONS = 10
#: A neighbour is an outlier when its biweight is below this: |r| > 3.87 MAD, about
#: 2.6 sigma for Gaussian residuals (99 % two-sided).
_OUTLIER_BIWEIGHT = 0.34
#: Residual scale of the biweight: 6 MAD of the local residuals (Cleveland 1979) ...
_MAD_MULTIPLE = 6.0
#: ... or 4 sigma when the errors of z are given.
_SIGMA_MULTIPLE = 4.0
#: ``rescale`` tries the rotation angles 0, 1, ..., 179 degrees.
_ROTATION_ANGLES_DEG = np.arange(180)
#: Biweight tuning constants: scale (Hoaglin et al. 1983, c = 9) and location (c = 6).
_SCALE_TUNING = 9.0
_LOCATION_TUNING = 6.0
_LOCATION_MAX_ITERATIONS = 10
#: Squared distances this close (relative) to the k-th one are treated as ties.
_TIE_RELATIVE = 1e-12
#: Working-set size (array elements) of one block of output points.
_BLOCK_ELEMENTS = 2**16
#: Rows still iterating are copied out of the work arrays once fewer than this fraction.
_COMPACT_BELOW = 0.5
#: Output points per group of the neighbour search.
_GROUP_SIZE = 32


def loess_2d(
    x,
    y,
    z,
    *,
    frac=0.5,
    degree=1,
    rescale=False,
    xnew=None,
    ynew=None,
    npoints=None,
    sigz=None,
):
    """
    Smooth scattered values z(x, y) by robust locally weighted regression (2-D LOESS).

    For every output point, the ``npoints`` data points nearest to it (Euclidean distance
    in the, possibly rescaled, ``(x, y)`` plane) are fitted with a plane (``degree=1``) or
    a quadric (``degree=2``) by weighted least squares, and the fit is evaluated at the
    output point. The weights are the tricube function of distance times biweight
    robustness weights of the residuals, which are refined for up to ten iterations.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Coordinates of the data points, in any units (e.g. ``log M*`` in dex and
        ``log R_e`` in dex). Distances are Euclidean in these units unless
        ``rescale=True``.
    z : array_like, shape (n,)
        Values to smooth, in any units; the output has the same units.
    frac : float, optional
        Fraction of the data points in each local fit, ``0 < frac <= 1``; the number of
        neighbours is ``ceil(frac * n)``. Default 0.5. Boardman et al. (2022) use 0.2
        for their mass-size maps and 0.02 for maps of binned values.
    degree : {1, 2}, optional
        Degree of the local polynomial: 1 fits ``a + b x + c y``, 2 adds ``x y``,
        ``x**2`` and ``y**2``. Default 1.
    rescale : bool, optional
        If True, first rotate the ``(x, y)`` plane by the whole number of degrees in
        0-179 that maximises the biweight dispersion of the rotated ``x`` (the axis of
        maximum robust variance), then subtract the biweight location and divide by the
        biweight dispersion along each rotated axis, so that both axes have unit spread.
        The same transform is applied to ``(xnew, ynew)``. Recommended when the cloud of
        points is elongated or the two axes have different units. Default False.
    xnew, ynew : array_like, shape (m,), optional
        Coordinates (units of ``x`` and ``y``) where the smooth surface is wanted. Both
        or neither; by default the data points themselves.
    npoints : int, optional
        Number of neighbours in each local fit; overrides ``frac``. Must be at least one
        more than the number of polynomial coefficients (3 or 6), since the farthest
        neighbour has zero weight, and at most ``n``.
    sigz : array_like, shape (n,), optional
        Strictly positive 1-sigma errors of ``z`` (units of ``z``). When given, each
        local fit also weights the points by ``1 / sigz**2`` and a residual counts as
        ``|r| / (4 sigz)`` in the robustness weights; otherwise the residual scale is six
        times the median absolute residual of the neighbourhood.

    Returns
    -------
    zout : `~numpy.ndarray`, shape (n,) or (m,)
        Smoothed values at the data points, or at ``(xnew, ynew)`` when given.
    wout : `~numpy.ndarray`, shape (n,) or (m,)
        Final robustness (biweight) weight, in [0, 1], of each data point in its own
        local fit: 0 flags an outlier (residual beyond the cut-off, about 4 sigma),
        values below 0.34 flag ~99 % outliers. When ``(xnew, ynew)`` are given the
        weights are meaningless and are all 1.

    Raises
    ------
    ValueError
        If the arrays are not 1-D, their lengths differ, any value is not finite,
        ``frac`` is outside (0, 1], ``degree`` is not 1 or 2, there are too few points
        (or neighbours) for the degree, ``sigz`` is not strictly positive, or
        ``rescale=True`` meets coordinates without spread.

    Notes
    -----
    For an output point with neighbours at distances ``d_i`` (the farthest at
    ``d_max``), the distance weights are ``(1 - (d_i / d_max)**3)**3`` (Cleveland &
    Devlin 1988), so the farthest neighbour has weight 0. After a first weighted fit the
    robustness iterations (Cleveland 1979, section 2) compute the residuals ``r_i`` of the
    neighbours, the biweights ``B_i = (1 - u_i**2)**2`` with ``u_i = r_i / (6 MAD)`` (MAD
    the median of ``|r_i|`` over the neighbourhood, or ``u_i = r_i / (4 sigz_i)``) and
    ``B_i = 0`` for ``|u_i| >= 1``, and refit with weights ``tricube * B``. The
    iterations stop when the set of neighbours with ``B_i < 0.34`` is the same as in the
    previous iteration (never before the second) or after ten. When a median absolute
    residual is exactly zero, points with zero residual keep weight 1 and the others get 0.
    With the fewest neighbours allowed (one more than the coefficients) each fit
    interpolates, and its residuals, hence ``wout``, are rounding noise.

    The neighbourhoods and weights are the same as in Cappellari's ``loess_2d``, including
    which of several equidistant points fills the last neighbour slot: such ties (common
    for the centres of a regular grid) are resolved by `scipy.spatial.KDTree` with its
    default leaf size, like the reference, and so is the order of exactly coincident
    points, which decides whose weight is ``wout``. The local coordinates are centred on
    the output point and divided by ``d_max``, so the fitted value there is the constant
    term; a rank-deficient neighbourhood (e.g. collinear points) gets the minimum-norm
    solution in these coordinates. Unlike the reference, ``frac=0`` is an error rather
    than a request to return ``z`` unchanged.

    References
    ----------
    .. [1] Cleveland, W. S. 1979, JASA, 74, 829, "Robust Locally Weighted Regression and
       Smoothing Scatterplots"
    .. [2] Cleveland, W. S. & Devlin, S. J. 1988, JASA, 83, 596, "Locally Weighted
       Regression: An Approach to Regression Analysis by Local Fitting"
    .. [3] Cappellari, M. et al. 2013, MNRAS, 432, 1862 (``loess`` package)
    .. [4] Hoaglin, D. C., Mosteller, F. & Tukey, J. W. 1983, "Understanding Robust and
       Exploratory Data Analysis", Wiley, ch. 12 (biweight location and scale)

    Examples
    --------
    A plane is reproduced exactly, whatever the neighbourhood size:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(2, 200))
    >>> zout, wout = loess_2d(x, y, 1.0 + 2.0 * x - 3.0 * y, frac=0.2)
    >>> bool(np.allclose(zout, 1.0 + 2.0 * x - 3.0 * y))
    True
    """
    x, y, z = _as_vectors(("x", x), ("y", y), ("z", z))
    n_data = x.size
    n_coeff = _LAYOUTS[_checked_degree(degree)].n_coeff
    n_neighbours = _neighbour_count(frac, npoints, n_data, n_coeff)
    if sigz is not None:
        (sigz,) = _as_vectors(("sigz", sigz), size=n_data)
        if np.any(sigz <= 0):
            raise ValueError("sigz must be strictly positive")
    at_data = xnew is None and ynew is None
    if at_data:
        qx, qy = x, y
    elif xnew is None or ynew is None:
        raise ValueError("give both xnew and ynew, or neither")
    else:
        qx, qy = _as_vectors(("xnew", xnew), ("ynew", ynew))

    if rescale:
        transform = _robust_frame(x, y)
        x, y = transform(x, y)
        qx, qy = transform(qx, qy)

    return _smooth(x, y, z, qx, qy, n_neighbours, degree, sigz, at_data)


# --------------------------------------------------------------------------------------
# input checks


def _as_vectors(*named, size=None):
    """Convert ``(name, array_like)`` pairs to finite 1-D float arrays of one length."""
    out = []
    for name, values in named:
        arr = np.asarray(values, dtype=float)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains non-finite values")
        if size is None:
            size = arr.size
        elif arr.size != size:
            raise ValueError(f"{name} has {arr.size} values, expected {size} like the others")
        out.append(arr)
    return out


def _checked_degree(degree):
    if isinstance(degree, bool) or degree not in (1, 2):
        raise ValueError(f"degree must be 1 or 2, got {degree!r}")
    return int(degree)


def _neighbour_count(frac, npoints, n_data, n_coeff):
    """Neighbours per local fit: ``ceil(frac * n)`` or ``npoints``, checked."""
    if not np.isscalar(frac) or not 0.0 < float(frac) <= 1.0:
        raise ValueError(f"frac must be in (0, 1], got {frac!r}")
    if npoints is None:
        count = int(np.ceil(float(frac) * n_data))
        origin = f"frac * n = {frac} * {n_data} gives {count} neighbours"
    else:
        if isinstance(npoints, bool) or not isinstance(npoints, int | np.integer):
            raise ValueError(f"npoints must be an integer, got {npoints!r}")
        count = int(npoints)
        if count > n_data:
            raise ValueError(f"npoints = {count} exceeds the number of data points {n_data}")
        origin = f"npoints = {count}"
    if count < n_coeff + 1:
        raise ValueError(
            f"too few points for the degree: {origin}, but a fit with {n_coeff} "
            f"coefficients needs at least {n_coeff + 1} (the farthest has zero weight)"
        )
    return count


# --------------------------------------------------------------------------------------
# rescale: rotation to the axis of maximum robust dispersion, unit biweight spread


def _rotate(x, y, angle_deg):
    """Rotate points counter-clockwise by ``angle_deg`` degrees."""
    theta = np.radians(angle_deg)
    cos, sin = np.cos(theta), np.sin(theta)
    return x * cos - y * sin, x * sin + y * cos


def _biweight_scale(values):
    """Biweight dispersion about the median (Hoaglin et al. 1983; c = 9).

    ``sqrt(n sum(d**2 (1 - u**2)**4) / (D (D - 1)))`` with ``D = sum((1 - u**2)(1 - 5 u**2))``,
    ``d`` the deviations from the median, ``u = d / (9 MAD)``, sums over ``|u| < 1``.
    """
    dev = values - np.median(values)
    mad = np.median(np.abs(dev))
    u2 = (dev / (_SCALE_TUNING * mad)) ** 2
    kept = u2 < 1.0
    one_minus = 1.0 - u2[kept]
    numerator = values.size * np.sum((dev[kept] * one_minus**2) ** 2)
    denominator = np.sum(one_minus * (1.0 - 5.0 * u2[kept]))
    return np.sqrt(numerator / (denominator * (denominator - 1.0)))


def _biweight_scale_rows(rows):
    """`_biweight_scale` of every row of a 2-D array, to rounding; overwrites ``rows``.

    Rows without spread (zero MAD) get ``-inf``.
    """
    n = rows.shape[1]
    work = rows.copy()
    rows -= _row_median(work)[:, None]  # deviations d
    mad = _row_median(np.abs(rows, out=work))
    with np.errstate(divide="ignore", invalid="ignore"):
        np.multiply(rows, (1.0 / (_SCALE_TUNING * mad))[:, None], out=work)
        work *= work
        np.subtract(1.0, work, out=work)
        np.maximum(work, 0.0, out=work)  # 1 - u**2 where |u| < 1, else 0
        terms = work * 5.0  # (1 - u**2)(1 - 5 u**2) = w (5 w - 4) with w = 1 - u**2
        terms -= 4.0
        terms *= work
        denominator = terms.sum(axis=1)
        np.multiply(work, work, out=terms)
        terms *= rows
        terms *= terms
        scale = np.sqrt(n * terms.sum(axis=1) / (denominator * (denominator - 1.0)))
    return np.where(np.isfinite(scale), scale, -np.inf)


def _biweight_location(values):
    """Iterated biweight location (Hoaglin et al. 1983; c = 6).

    Starts from the median; each step moves the centre by the biweight-weighted mean
    deviation and stops when the MAD about the centre changes by a relative amount below
    ``0.03 sqrt(0.5 / (n - 1))``, or after ten steps.
    """
    centre = np.median(values)
    spread = np.median(np.abs(values - centre))
    tolerance = 0.03 * np.sqrt(0.5 / (values.size - 1.0))
    for _ in range(_LOCATION_MAX_ITERATIONS):
        u2 = np.minimum(((values - centre) / (_LOCATION_TUNING * spread)) ** 2, 1.0)
        weight = (1.0 - u2) ** 2
        weight /= np.sum(weight)
        centre += np.sum(weight * (values - centre))
        previous, spread = spread, np.median(np.abs(values - centre))
        if abs(previous - spread) / spread < tolerance:
            break
    return centre


def _robust_frame(x, y):
    """Return the ``rescale`` transform ``(x, y) -> (x', y')`` fitted to the data."""
    theta = np.radians(_ROTATION_ANGLES_DEG)
    cos, sin = np.cos(theta), np.sin(theta)
    approx = np.empty(theta.size)
    step = max(1, _BLOCK_ELEMENTS // x.size)  # angles per chunk: keeps the work in cache
    for start in range(0, theta.size, step):
        part = slice(start, start + step)
        rotated_x = np.outer(cos[part], x)
        rotated_x -= np.outer(sin[part], y)
        approx[part] = _biweight_scale_rows(rotated_x)
    if not np.isfinite(approx.max()):
        raise ValueError("rescale=True needs points spread along some direction")
    # Confirm the maximum with the 1-D estimator among angles that tie to rounding,
    # so that the choice does not depend on the summation order of the row version.
    close = np.flatnonzero(approx >= approx.max() * (1.0 - 1e-9))
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = [_biweight_scale(_rotate(x, y, int(angle))[0]) for angle in close]
    if not np.any(np.isfinite(exact)):
        raise ValueError("rescale=True needs points spread along some direction")
    angle = int(close[int(np.nanargmax(exact))])

    rx, ry = _rotate(x, y, angle)
    with np.errstate(divide="ignore", invalid="ignore"):  # zero MAD: checked below
        centre = (_biweight_location(rx), _biweight_location(ry))
        scale = (_biweight_scale(rx), _biweight_scale(ry))
    if not all(np.isfinite(centre)) or not all(np.isfinite(s) and s > 0 for s in scale):
        raise ValueError(
            "rescale=True needs a non-zero biweight dispersion along both rotated axes"
        )

    def transform(px, py):
        qx, qy = _rotate(px, py, angle)
        return (qx - centre[0]) / scale[0], (qy - centre[1]) / scale[1]

    return transform


# --------------------------------------------------------------------------------------
# neighbours


def _spatial_order(x, y):
    """Permutation that sorts points along a Hilbert curve (consecutive points are close).

    The coordinates are quantised to a 65536 x 65536 grid over their bounding box; the
    Hilbert index is built two bits per level, from the coarsest level down.
    """
    side = 1 << 16
    cells = []
    for coord in (x, y):
        span = np.ptp(coord)
        level = np.zeros(coord.size) if span == 0 else (coord - coord.min()) / span
        cells.append(np.minimum((level * side).astype(np.int64), side - 1))
    cx, cy = cells
    index = np.zeros(x.size, dtype=np.int64)
    half = side >> 1
    while half:
        right = (cx & half) > 0
        top = (cy & half) > 0
        index += half * half * ((3 * right) ^ top)
        # rotate the quadrant so that the curve inside it has the standard orientation
        turn = ~top
        mirrored = turn & right
        cx = np.where(mirrored, half - 1 - cx, cx)
        cy = np.where(mirrored, half - 1 - cy, cy)
        cx, cy = np.where(turn, cy, cx), np.where(turn, cx, cy)
        half >>= 1
    return np.argsort(index, kind="stable")


def _coincident(x, y):
    """True for points that share their exact position with another point."""
    order = np.lexsort((y, x))
    same = (np.diff(x[order]) == 0) & (np.diff(y[order]) == 0)
    flag = np.zeros(x.size, dtype=bool)
    flag[order[1:][same]] = True
    flag[order[:-1][same]] = True
    return flag


def _nearest(x, y, qx, qy, k, out):
    """Write into ``out`` (m, k) the indices of the ``k`` data points nearest each query.

    The queries should be spatially compact (consecutive in `_spatial_order`); they are
    taken in groups, and a group only looks at the data within a radius that provably
    holds all neighbours of its members: with ``r_c`` the ``k``-th neighbour distance of
    the group's centre ``c`` and ``b`` the group's radius about ``c``, every member has
    its ``k`` neighbours within ``r_c + 2 b`` of ``c`` (triangle inequality).

    Returns a boolean mask of the queries whose ``k``-th and ``(k+1)``-th distances tie
    to a relative ``1e-12`` in squared distance, where the choice is left to the caller.
    """
    tied = np.zeros(qx.size, dtype=bool)
    for start in range(0, qx.size, _GROUP_SIZE):
        part = slice(start, start + _GROUP_SIZE)
        gx, gy = qx[part], qy[part]
        cx, cy = 0.5 * (gx.min() + gx.max()), 0.5 * (gy.min() + gy.max())
        radius = np.sqrt(np.max((gx - cx) ** 2 + (gy - cy) ** 2))
        centre_dist2 = (x - cx) ** 2 + (y - cy) ** 2
        kth_dist = np.sqrt(np.partition(centre_dist2, k - 1)[k - 1])
        reach = (kth_dist + 2.0 * radius) * (1.0 + 1e-9)
        cand = np.flatnonzero(centre_dist2 <= reach * reach)
        if cand.size == k:
            out[part] = cand
            continue
        dist2 = np.subtract.outer(gx, x[cand])
        dist2 *= dist2
        dy = np.subtract.outer(gy, y[cand])
        dy *= dy
        dist2 += dy
        sel = np.argpartition(dist2, k - 1, axis=1)[:, :k]
        kth_dist2 = np.take_along_axis(dist2, sel[:, -1:], axis=1)
        tied[part] = np.count_nonzero(dist2 <= kth_dist2 * (1.0 + _TIE_RELATIVE), axis=1) > k
        np.take(cand, sel, out=out[part], mode="clip")
    return tied


# --------------------------------------------------------------------------------------
# local fits
#
# (``np.take(..., out=..., mode="clip")`` writes straight into the work arrays; the default
# mode would buffer the output. The indices are always in range.)
#
# For a fit of degree 1 the local design columns are (1, u, v); for degree 2 also
# (u v, u**2, v**2). Each block of m output points keeps one stacked array ``stack``
# (q, m, k) of q layers with, in this order: the p design columns, z, the further
# monomials that products of two design columns need, and z times the non-constant design
# columns. The weighted sums ``stack @ w`` (per output point) then hold every entry of the
# normal equations (the normal matrix is a table lookup), and ``[-coeff, 1] @ stack[:p + 1]``
# is the residual ``z - fit``: one matrix product each. Layers first keeps every
# element-wise operation on contiguous memory.

_DESIGN = {
    1: ((0, 0), (1, 0), (0, 1)),
    2: ((0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (0, 2)),
}


class _Layout:
    """Layers of the local stack for one degree, and the normal-equation tables."""

    def __init__(self, degree):
        design = _DESIGN[degree]
        self.n_coeff = len(design)
        products = {(a + c, b + d) for a, b in design for c, d in design}
        higher = sorted(products - set(design), key=lambda e: (sum(e), -e[0]))
        self.monomials = [*design, None, *higher]  # None marks the z layer
        self.z_layer = self.n_coeff
        self.zprod_layers = range(len(self.monomials), len(self.monomials) + self.n_coeff - 1)
        self.n_layers = len(self.monomials) + self.n_coeff - 1
        layer_of = {e: i for i, e in enumerate(self.monomials) if e is not None}
        self.normal_layers = np.array(
            [[layer_of[(a + c, b + d)] for c, d in design] for a, b in design]
        )
        self.rhs_layers = np.array([self.z_layer, *self.zprod_layers])
        # each higher monomial as (its layer, layer of a lower factor, layer of u or of v)
        self.recipe = []
        for layer, exps in enumerate(self.monomials):
            if exps is None or layer < 3:
                continue
            a, b = exps
            lower, by = ((a - 1, b), 1) if a else ((a, b - 1), 2)
            self.recipe.append((layer, layer_of[lower], by))
        self.recipe_array = np.array(self.recipe, dtype=np.intp).reshape(-1, 3)
        factors = range(1, self.n_coeff)
        self.zprod_array = np.array(list(zip(self.zprod_layers, factors, strict=True)),
                                    dtype=np.intp).reshape(-1, 2)  # fmt: skip


_LAYOUTS = {1: _Layout(1), 2: _Layout(2)}


class _Workspace:
    """Reusable arrays for blocks of up to ``rows`` output points (no per-block allocation)."""

    def __init__(self, rows, k, layout, with_sigma):
        self.idx = np.empty((rows, k), dtype=np.intp)
        self.stack = [np.empty((layout.n_layers, rows, k)) for _ in range(2)]
        for stack in self.stack:
            stack[0] = 1.0  # the constant design column, never overwritten otherwise
        self.tricube = [np.empty((rows, k)) for _ in range(2)]
        self.sigma = [np.empty((rows, k)) for _ in range(2)] if with_sigma else None
        self.outliers_before = [np.empty((rows, k), dtype=bool) for _ in range(2)]
        self.outliers_now = np.empty((rows, k), dtype=bool)
        self.changed = np.empty((rows, k), dtype=bool)
        self.residual = np.empty((rows, k))
        self.scratch = np.empty((rows, k))
        self.own = np.empty(rows)
        self.sums = np.empty((rows, layout.n_layers, 1))


def _fit(stack, weight, layout, sums):
    """Weighted least-squares coefficients (m, p) of every row of a block."""
    np.matmul(stack.transpose(1, 0, 2), weight[:, :, None], out=sums)
    return _solve(sums[:, :, 0], layout)


def _solve(sums, layout):
    """Coefficients (m, p) from the weighted sums (m, layers) of every row."""
    normal = sums[:, layout.normal_layers]
    rhs = sums[:, layout.rhs_layers, None]
    try:
        coeff = np.linalg.solve(normal, rhs)
    except np.linalg.LinAlgError:  # a degenerate neighbourhood somewhere in the block
        coeff = np.linalg.pinv(normal, hermitian=True) @ rhs
    return coeff[:, :, 0]


def _row_median(values):
    """Median of each row (mean of the two middle values for an even count); reorders."""
    k = values.shape[1]
    half = k // 2
    values.partition(half, axis=1)
    upper = values[:, half]
    if k % 2:
        return upper.copy()
    return (values[:, :half].max(axis=1) + upper) / 2.0


def _fill_block(ws, x, y, z, sigz, qx, qy, idx, layout):
    """Local coordinates, monomials, values and tricube weights of a block, in ``ws[0]``.

    Returns the column of the nearest neighbour of each row: the output point itself
    when it is a data point, or, among exactly coincident points, the first in ``idx``.
    """
    m = idx.shape[0]
    nearest = np.empty(m, dtype=np.intp)
    ok = fill_rows(
        x, y, z, _UNUSED if sigz is None else sigz, sigz is not None, qx, qy, idx, m,
        layout.z_layer, layout.recipe_array, layout.zprod_array, ws.stack[0], ws.tricube[0],
        ws.sigma[0] if sigz is not None else ws.scratch, ws.scratch, nearest,
    )  # fmt: skip
    if not ok:
        raise ValueError("all neighbours of a point coincide with it: increase frac or npoints")
    return nearest


def _robust_block(ws, sigz, layout, m, nearest):
    """Robust iterations for the ``m`` rows filled by `_fill_block`.

    Returns the fitted value at each output point and the final biweight of its nearest
    neighbour (column ``nearest`` of each row).

    A row stops (its results freeze) once its outlier set is the same as in the previous
    iteration. Stopped rows are dropped from the work arrays, by copying the rows still
    going to the second set of buffers (``cur`` flips between 0 and 1), once they are
    fewer than `_COMPACT_BELOW` of the rows in the arrays.
    """
    cur = 0
    stack, tricube = ws.stack[cur][:, :m], ws.tricube[cur][:m]
    use_sigma = sigz is not None
    value = np.empty(m)
    own_weight = np.empty(m)
    rows = np.arange(m)  # output row of each work row
    going = np.ones(m, dtype=bool)
    coeff = np.ascontiguousarray(_fit(stack, tricube, layout, ws.sums[:m]))
    sums = ws.sums[:, :, 0]
    for iteration in range(_MAX_ROBUST_ITERATIONS):
        n = rows.size
        # the kernels take the whole C-contiguous work arrays and use their first n rows
        residuals(ws.stack[cur], coeff, n, layout.n_coeff, layout.z_layer,
                  ws.residual, ws.scratch)  # fmt: skip
        if use_sigma:
            row_scale = _UNUSED  # the errors set the scale
        else:
            with np.errstate(divide="ignore"):  # zero MAD -> inf (see biweights_and_sums)
                row_scale = 1.0 / (_MAD_MULTIPLE * _row_median(ws.scratch[:n]))
        biweights_and_sums(
            ws.stack[cur], ws.residual, row_scale, ws.sigma[cur] if use_sigma else ws.scratch,
            1.0 / _SIGMA_MULTIPLE, use_sigma, ws.tricube[cur], n, _OUTLIER_BIWEIGHT, nearest,
            ws.own, ws.outliers_now, sums,
        )  # fmt: skip
        coeff = np.ascontiguousarray(_solve(sums[:n], layout))
        value[rows[going]] = coeff[going, 0]
        own_weight[rows[going]] = ws.own[:n][going]
        outliers = ws.outliers_now[:n]
        before = ws.outliers_before[cur][:n]
        if iteration > 0:
            going &= np.not_equal(outliers, before, out=ws.changed[:n]).any(axis=1)
            n_going = np.count_nonzero(going)
            if n_going == 0:
                break
            if n_going < _COMPACT_BELOW * n:
                nxt, kept = 1 - cur, np.flatnonzero(going)
                for layer, target in zip(ws.stack[cur][:, :n], ws.stack[nxt], strict=True):
                    np.take(layer, kept, axis=0, out=target[:n_going], mode="clip")
                np.take(ws.tricube[cur][:n], kept, axis=0, out=ws.tricube[nxt][:n_going],
                        mode="clip")  # fmt: skip
                if use_sigma:
                    np.take(ws.sigma[cur][:n], kept, axis=0, out=ws.sigma[nxt][:n_going],
                            mode="clip")  # fmt: skip
                np.take(outliers, kept, axis=0, out=ws.outliers_before[nxt][:n_going], mode="clip")
                coeff, rows, nearest, cur = coeff[kept], rows[kept], nearest[kept], nxt
                going = np.ones(n_going, dtype=bool)
                continue
        np.copyto(before, outliers)
    return value, own_weight


def _smooth(x, y, z, qx, qy, k, degree, sigz, at_data):
    """Neighbours and robust local fits for all output points, block by block."""
    n_out = qx.size
    layout = _LAYOUTS[degree]
    order = _spatial_order(qx, qy)
    tie_rows = _coincident(x, y) if at_data else np.zeros(n_out, dtype=bool)
    rows = max(_GROUP_SIZE, _BLOCK_ELEMENTS // k // _GROUP_SIZE * _GROUP_SIZE)
    rows = min(rows, n_out)
    ws = _Workspace(rows, k, layout, sigz is not None)
    tree = None
    zout = np.empty(n_out)
    wout = np.ones(n_out)
    for start in range(0, n_out, rows):
        block = order[start : start + rows]
        m = block.size
        bx, by = qx[block], qy[block]
        idx = ws.idx[:m]
        by_tree = _nearest(x, y, bx, by, k, out=idx) | tie_rows[block]
        if np.any(by_tree):  # ties: break them the way scipy's KDTree does
            if tree is None:
                tree = KDTree(np.column_stack((x, y)))
            hard = np.flatnonzero(by_tree)
            idx[hard] = tree.query(np.column_stack((bx[hard], by[hard])), k=k)[1]
        nearest = _fill_block(ws, x, y, z, sigz, bx, by, idx, layout)
        value, own_weight = _robust_block(ws, sigz, layout, m, nearest)
        zout[block] = value
        if at_data:
            wout[block] = own_weight
    return zout, wout
