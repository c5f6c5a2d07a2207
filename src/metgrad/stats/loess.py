"""Two-dimensional LOESS: robust locally weighted regression (Cleveland & Devlin 1988).

Every output point gets its own weighted least-squares plane (or quadric) fitted to its
``k`` nearest data points, with tricube weights in distance and biweight robustness
weights refined by a few iterations. The options and results follow the ``loess_2d``
smoother of Cappellari et al. (2013), which Boardman et al. (2022) use for their maps.

This is an independent implementation. The output points are visited in spatially
compact groups (Hilbert order); a group looks only at the data points that can provably
be among its members' neighbours. Each output point's whole local fit runs in one compiled
loop (numba, :mod:`metgrad.stats._loess_kernel`): its neighbours are selected, not sorted,
from those candidates, and its robustness iterations (residuals, their median by
selection, biweights, the normal equations of the plane or quadric in centred, scaled
local coordinates, and their solution) reuse the same neighbours in a few cache-resident
arrays. Disjoint ranges of groups can run on several threads (``workers``).
"""

from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
from scipy.spatial import KDTree

from ._loess_kernel import OK, biweight_scales, smooth_given, smooth_groups

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
#: Output points per group of the neighbour search.
_GROUP_SIZE = 32
#: The first 1/_PROBE_SHARE of the groups is searched first; if more than _MOSTLY_TIED of
#: its points have tied neighbour distances, the KD-tree serves all other points.
_PROBE_SHARE = 10
_MOSTLY_TIED = 0.5
#: Neighbour indices (array elements) asked of the KD-tree at once, for tied points.
_TREE_CHUNK_ELEMENTS = 2**18
#: Coefficients of the local polynomial of each degree: (1, u, v), and u v, u**2, v**2.
_N_COEFF = {1: 3, 2: 6}


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
    workers=1,
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
    workers : int, optional
        Threads sharing the output points (keyword only). Default 1: callers that
        already run several smoothings at once (the analysis) should keep it; use the
        number of free cores for one large smoothing. The result does not depend on it.

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
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    n_data = x.size
    n_coeff = _N_COEFF[_checked_degree(degree)]
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

    return _smooth(x, y, z, qx, qy, n_neighbours, degree, sigz, at_data, int(workers))


# --------------------------------------------------------------------------------------
# input checks


def _as_vectors(*named, size=None):
    """Convert ``(name, array_like)`` pairs to finite 1-D float arrays of one length.

    The arrays are C-contiguous and writable (read-only or strided input is copied), so
    that the compiled kernels see one array type and are compiled once, not per layout.
    """
    out = []
    for name, values in named:
        arr = np.require(values, dtype=np.float64, requirements=("C", "W"))
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
    biweight_scales(x, y, cos, sin, _SCALE_TUNING, approx)  # every angle, compiled
    if not np.isfinite(approx.max()):
        raise ValueError("rescale=True needs points spread along some direction")
    # Confirm the maximum with the 1-D estimator among angles that tie to rounding,
    # so that the choice does not depend on the summation order of the compiled version.
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
# neighbours and local fits (the compiled kernel does both, point by point)


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


def _group_starts(n_out):
    """Boundaries of the groups of `_GROUP_SIZE` consecutive output points (spatial order)."""
    return np.append(np.arange(0, n_out, _GROUP_SIZE), n_out).astype(np.intp)


def _in_threads(function, parts, workers):
    """``[function(part) for part in parts]`` on ``workers`` threads (the kernel is nogil)."""
    if workers <= 1 or len(parts) <= 1:
        return [function(part) for part in parts]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, parts))


def _checked_status(statuses):
    if any(status != OK for status in statuses):
        raise ValueError("all neighbours of a point coincide with it: increase frac or npoints")


def _smooth(x, y, z, qx, qy, k, degree, sigz, at_data, workers):
    """Neighbours and robust local fits of all output points, in groups, on threads.

    Points whose ``k``-th neighbour distance ties, and data points that share their
    position with another, get their neighbours from `scipy.spatial.KDTree` (as the
    reference does), so that the same one of several equidistant points is chosen.
    """
    n_out = qx.size
    use_sigma = sigz is not None
    sig = sigz if use_sigma else _UNUSED
    settings = np.array([1.0 / _SIGMA_MULTIPLE, _MAD_MULTIPLE, _OUTLIER_BIWEIGHT,
                         _MAX_ROBUST_ITERATIONS])  # fmt: skip
    order = _spatial_order(qx, qy).astype(np.intp)
    skip = _coincident(x, y) if at_data else np.zeros(n_out, dtype=bool)
    zout = np.empty(n_out)
    wout = np.ones(n_out)
    own = np.empty(n_out)
    needs_tree = np.zeros(n_out, dtype=bool)
    starts = _group_starts(n_out)

    def run_groups(cut):
        return smooth_groups(x, y, z, sig, use_sigma, qx, qy, order, starts[cut[0] : cut[1] + 1],
                             k, degree, settings, _TIE_RELATIVE, skip, zout, own,
                             needs_tree)  # fmt: skip

    # A first share of the groups shows whether ties are the rule (points on a regular
    # grid): then the KD-tree, which the tied points need anyway, takes all the others.
    probe = max(1, (starts.size - 1) // _PROBE_SHARE)
    _checked_status([run_groups((0, probe))])
    if needs_tree[order[: starts[probe]]].mean() > _MOSTLY_TIED:
        needs_tree[order[starts[probe] :]] = True
    elif probe < starts.size - 1:
        n_parts = min(starts.size - 1 - probe, 4 * workers if workers > 1 else 1)
        cuts = np.linspace(probe, starts.size - 1, n_parts + 1).round().astype(int)
        _checked_status(_in_threads(run_groups, list(pairwise(cuts)), workers))
    hard = np.flatnonzero(needs_tree)
    if hard.size:
        tree = KDTree(np.column_stack((x, y)))
        chunk = max(1, _TREE_CHUNK_ELEMENTS // k)

        def run_given(first):
            rows = hard[first : first + chunk]
            idx = tree.query(np.column_stack((qx[rows], qy[rows])), k=k)[1]
            return smooth_given(x, y, z, sig, use_sigma, qx, qy, rows,
                                np.ascontiguousarray(idx, dtype=np.intp), degree, settings,
                                zout, own)  # fmt: skip

        _checked_status(_in_threads(run_given, range(0, hard.size, chunk), workers))
    if at_data:
        wout = own
    return zout, wout
