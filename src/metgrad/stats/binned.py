"""Statistics of values in bins of a regular 1-D or 2-D grid.

The metallicity models of Boardman et al. (2022) average metallicities (or
take medians of residuals) in bins of local quantities, e.g. 0.05 dex in
log M* and log Sigma_*, and predict for a spaxel from its bin. The grid
edges here are multiples of the bin width from a fixed origin, so a bin
(e.g. [10.00, 10.05) in log M*) is the same bin whatever the sample.
"""

from dataclasses import dataclass, field

import numpy as np

__all__ = ["BinnedStatistics", "bin_index", "binned_statistics_1d", "binned_statistics_2d"]

# A value this many bin widths (or less) below an edge counts as on the edge:
# decimal edges are not exact in binary (0.15 / 0.05 = 2.9999999999999996).
_EDGE_TOLERANCE = 1.0e-9
_MAX_BIN_NUMBER = 2.0**62
#: Bins are found by counting over the whole grid (linear time) when it has at most
#: this many cells per point plus ``_DENSE_GRID_MIN``; otherwise by sorting the keys.
_DENSE_GRID_FACTOR = 4
_DENSE_GRID_MIN = 1 << 16


def bin_index(x, width, *, origin=0.0):
    """Bin number of each value on a regular grid.

    Bin ``i`` is the half-open interval ``[origin + i * width, origin + (i + 1)
    * width)``.

    Parameters
    ----------
    x : array_like
        Values to bin (units of ``width``); must be finite.
    width : float
        Bin width, > 0 (e.g. 0.05 dex).
    origin : float, optional
        Keyword only. An edge of the grid; all edges are ``origin + i *
        width``. Default 0.0.

    Returns
    -------
    index : `~numpy.ndarray` of int64
        Bin number of each value, shape of ``x``.

    Raises
    ------
    ValueError
        If ``width`` is not positive and finite, ``origin`` is not finite,
        ``x`` has non-finite values, or a bin number would not fit in 62 bits.

    Notes
    -----
    The bin number is :math:`\\lfloor (x - \\mathrm{origin}) / \\mathrm{width}
    + 10^{-9} \\rfloor`: a value within :math:`10^{-9}` bin widths below an
    edge is put in the bin that starts at that edge. Without this, decimal
    edges would fail through binary rounding (0.15 / 0.05 =
    2.9999999999999996 would put 0.15 into [0.10, 0.15)).

    Examples
    --------
    >>> from metgrad.stats import bin_index
    >>> bin_index([10.0, 10.049, 10.05, 0.15, -0.01], 0.05)
    array([200, 200, 201,   3,  -1])
    """
    width, origin = _checked_width_origin(width, origin)
    values = np.asarray(x, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError("bin_index: x contains NaN or infinite values")
    with np.errstate(over="ignore"):  # overflow to inf is caught just below
        scaled = np.floor((values - origin) / width + _EDGE_TOLERANCE)
    if not np.all(np.abs(scaled) < _MAX_BIN_NUMBER):
        raise ValueError("bin_index: |x - origin| / width is too large for integer bin numbers")
    return scaled.astype(np.int64)


@dataclass(frozen=True, eq=False)
class BinnedStatistics:
    """Per-bin statistics on a regular grid, for the occupied bins only.

    Made by `binned_statistics_1d` and `binned_statistics_2d`. Rows are the
    occupied bins (with at least ``min_count`` points), sorted by bin number
    (lexicographically: first axis, then second). All arrays are read-only.

    Attributes
    ----------
    width : tuple of float
        Bin width along each axis.
    origin : tuple of float
        Grid origin along each axis (an edge of the grid).
    index : tuple of `~numpy.ndarray`
        Bin number along each axis, one int64 array of shape ``(n_bins,)``
        per axis; bin ``i`` covers ``[origin + i * width, origin + (i + 1) *
        width)``.
    count : `~numpy.ndarray`
        Number of (finite) points per bin, int64, shape ``(n_bins,)``.
    mean : `~numpy.ndarray`
        Mean of the values per bin.
    median : `~numpy.ndarray`
        Median of the values per bin (for an even count, the mean of the two
        middle values).
    std : `~numpy.ndarray`
        Sample standard deviation per bin with ``ddof=1`` (like IDL
        ``STDDEV``); NaN for bins with fewer than 2 points.
    point_row : `~numpy.ndarray`
        For each input point, the row of its bin, or -1 if the point was
        ignored (non-finite) or its bin has fewer than ``min_count`` points.
        int64, shape ``(n_points,)``. ``stat[point_row]`` (where
        ``point_row >= 0``) gives each point its bin's statistic.
    """

    width: tuple
    origin: tuple
    index: tuple
    count: np.ndarray
    mean: np.ndarray
    median: np.ndarray
    std: np.ndarray
    point_row: np.ndarray
    _keys: np.ndarray = field(repr=False)
    _low: tuple = field(repr=False)
    _span: tuple = field(repr=False)
    _lookup: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_bins(self):
        """Number of rows (occupied bins)."""
        return self.count.size

    @property
    def centres(self):
        """Bin centres, one float array of shape ``(n_bins,)`` per axis."""
        return tuple(
            o + (i + 0.5) * w for o, i, w in zip(self.origin, self.index, self.width, strict=True)
        )

    def rows_of(self, *coords):
        """Row of the bin holding each of some (new) points, or -1.

        Parameters
        ----------
        *coords : array_like
            One array per axis (x, or x and y), same shapes; same units as
            the binned coordinates.

        Returns
        -------
        rows : `~numpy.ndarray` of int64
            Row of each point's bin; -1 where the bin is not a row (empty,
            fewer than ``min_count`` points) or a coordinate is not finite.
        """
        if len(coords) != len(self.width):
            raise ValueError(
                f"rows_of: expected {len(self.width)} coordinate array(s), got {len(coords)}"
            )
        arrays = np.broadcast_arrays(*[np.asarray(c, dtype=np.float64) for c in coords])
        inside = np.ones(arrays[0].shape, dtype=bool)
        key = np.zeros(arrays[0].shape, dtype=np.int64)
        for a, w, o, low, span in zip(
            arrays, self.width, self.origin, self._low, self._span, strict=True
        ):
            # as bin_index, but far or non-finite points are simply outside the grid
            with np.errstate(over="ignore", invalid="ignore"):
                i = np.floor((a - o) / w + _EDGE_TOLERANCE) - low
            inside &= (i >= 0) & (i < span)  # False for NaN
            key = key * span + np.where(inside, i, 0).astype(np.int64)
        if self._lookup is not None:  # a table over the whole grid: no search
            return np.where(inside, self._lookup[key], -1).astype(np.int64)
        position = np.searchsorted(self._keys, key)
        position = np.minimum(position, max(self._keys.size - 1, 0))
        found = inside & (self._keys.size > 0)
        if self._keys.size:
            found &= self._keys[position] == key
        return np.where(found, position, -1).astype(np.int64)


def binned_statistics_1d(x, values, width, *, origin=0.0, min_count=1):
    """Count, mean, median and standard deviation of values in bins of x.

    Parameters
    ----------
    x : array_like, shape (n,)
        Coordinate to bin (e.g. D4000, or log EW(Halpha) in dex).
    values : array_like, shape (n,)
        Values whose statistics are taken (e.g. metallicity residuals, dex).
    width : float
        Bin width, > 0, in units of ``x``.
    origin : float, optional
        Keyword only. Grid origin: edges are ``origin + i * width``.
        Default 0.0.
    min_count : int, optional
        Keyword only. Keep only bins with at least this many points
        (default 1: every occupied bin).

    Returns
    -------
    stats : `BinnedStatistics`
        One row per kept bin.

    Notes
    -----
    Points where ``x`` or ``values`` is NaN or infinite are ignored (they
    get ``point_row = -1`` and count nowhere). See `bin_index` for how values
    on an edge are assigned. Everything is vectorised (``np.bincount`` and
    sorting); no loop over bins.

    Examples
    --------
    >>> from metgrad.stats import binned_statistics_1d
    >>> b = binned_statistics_1d([0.01, 0.02, 0.06, 0.07, 0.09], [1.0, 3.0, 2.0, 4.0, 9.0], 0.05)
    >>> b.centres[0], b.count, b.mean, b.median
    (array([0.025, 0.075]), array([2, 3]), array([2., 5.]), array([2., 4.]))
    >>> b.point_row
    array([0, 0, 1, 1, 1])
    """
    return _binned([x], values, [width], [origin], min_count, "binned_statistics_1d")


def binned_statistics_2d(x, y, values, width, *, origin=(0.0, 0.0), min_count=1, with_median=True):
    """Count, mean, median and standard deviation of values in 2-D bins of (x, y).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Coordinates to bin (e.g. log M* and log Sigma_*).
    values : array_like, shape (n,)
        Values whose statistics are taken (e.g. 12+log(O/H), dex).
    width : float or (float, float)
        Bin width along x and y (one number: the same for both), > 0.
    origin : float or (float, float), optional
        Keyword only. Grid origin along x and y: edges are ``origin + i *
        width``. Default (0.0, 0.0).
    min_count : int, optional
        Keyword only. Keep only bins with at least this many points
        (default 1).
    with_median : bool, optional
        Keyword only. Compute the medians (two sorts of all values); if
        False, ``median`` is NaN and the call is about twice as fast.

    Returns
    -------
    stats : `BinnedStatistics`
        One row per kept bin, sorted by x bin, then y bin.

    Notes
    -----
    Points where ``x``, ``y`` or ``values`` is NaN or infinite are ignored.
    See `binned_statistics_1d` and `bin_index`.

    Examples
    --------
    >>> from metgrad.stats import binned_statistics_2d
    >>> b = binned_statistics_2d([10.01, 10.02, 10.07], [8.0, 8.01, 8.0], [8.5, 8.7, 8.6], 0.05)
    >>> b.index, b.count, b.mean
    ((array([200, 201]), array([160, 160])), array([2, 1]), array([8.6, 8.6]))
    """
    widths = np.broadcast_to(np.asarray(width, dtype=np.float64), (2,))
    origins = np.broadcast_to(np.asarray(origin, dtype=np.float64), (2,))
    return _binned([x, y], values, widths, origins, min_count, "binned_statistics_2d", with_median)


def _checked_width_origin(width, origin):
    """Validate one axis's width and origin; return them as floats."""
    width = float(width)
    origin = float(origin)
    if not (np.isfinite(width) and width > 0):
        raise ValueError(f"bin width must be positive and finite, got {width}")
    if not np.isfinite(origin):
        raise ValueError(f"bin origin must be finite, got {origin}")
    return width, origin


def _occupied_bins(key: np.ndarray, n_grid: int | None):
    """Sorted occupied bin keys, each point's row among them and the counts.

    With ``n_grid`` (the number of grid cells, small enough) by counting over
    the whole grid in linear time; otherwise by sorting (`numpy.unique`).
    """
    if n_grid is None:
        keys, row, count = np.unique(key, return_inverse=True, return_counts=True)
        return keys, row.reshape(-1), count
    on_grid = np.bincount(key, minlength=n_grid)
    keys = np.flatnonzero(on_grid)
    row_of_key = np.cumsum(on_grid > 0) - 1
    return keys.astype(np.int64), row_of_key[key], on_grid[keys]


def _grid_lookup(keys: np.ndarray, n_grid: int) -> np.ndarray:
    """Row of every grid cell (-1 where no kept bin), for `BinnedStatistics.rows_of`."""
    lookup = np.full(n_grid, -1, dtype=np.int64)
    lookup[keys] = np.arange(keys.size)
    lookup.setflags(write=False)
    return lookup


def _binned(coords, values, widths, origins, min_count, name, with_median=True):
    """Statistics of ``values`` in bins of any number of coordinates."""
    coords = [np.asarray(c, dtype=np.float64) for c in coords]
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or any(c.shape != values.shape for c in coords):
        shapes = ", ".join(str(c.shape) for c in [*coords, values])
        raise ValueError(f"{name}: coordinates and values must be 1-D of one length, got {shapes}")
    if int(min_count) != min_count or min_count < 1:
        raise ValueError(f"{name}: min_count must be an integer >= 1, got {min_count}")
    axes = [_checked_width_origin(w, o) for w, o in zip(widths, origins, strict=True)]
    width = tuple(w for w, _ in axes)
    origin = tuple(o for _, o in axes)

    good = np.isfinite(values)
    for c in coords:
        good &= np.isfinite(c)
    good_points = np.flatnonzero(good)
    bins = [bin_index(c[good], w, origin=o) for c, w, o in zip(coords, width, origin, strict=True)]
    low = tuple(int(b.min()) if b.size else 0 for b in bins)
    span = tuple(int(b.max()) - lo + 1 if b.size else 1 for b, lo in zip(bins, low, strict=True))
    if np.prod([float(s) for s in span]) >= _MAX_BIN_NUMBER:
        raise ValueError(f"{name}: the data span too many bins ({span}) for integer bin keys")
    key = np.zeros(good_points.size, dtype=np.int64)
    for b, lo, s in zip(bins, low, span, strict=True):
        key = key * s + (b - lo)

    n_grid = int(np.prod(span))
    dense = n_grid <= _DENSE_GRID_FACTOR * key.size + _DENSE_GRID_MIN
    keys, row, count = _occupied_bins(key, n_grid if dense else None)
    v = values[good]
    n_rows = keys.size
    total = np.bincount(row, weights=v, minlength=n_rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        deviation = v - mean[row]
        variance = np.bincount(row, weights=deviation * deviation, minlength=n_rows) / (count - 1)
    std = np.where(count >= 2, np.sqrt(np.where(count >= 2, variance, 0.0)), np.nan)

    if with_median:
        by_value = np.argsort(v)
        # a stable sort of small integers is a radix sort in numpy: linear time
        row_type = np.uint16 if n_rows <= np.iinfo(np.uint16).max else np.int64
        by_bin = np.argsort(row[by_value].astype(row_type), kind="stable")
        sorted_values = v[by_value[by_bin]]  # by bin, then value
        start = np.cumsum(count) - count
        median = (sorted_values[start + (count - 1) // 2] + sorted_values[start + count // 2]) / 2
    else:  # two sorts of every value saved when only means are needed
        median = np.full(n_rows, np.nan)

    keep = count >= min_count
    new_row = np.where(keep, np.cumsum(keep) - 1, -1)
    point_row = np.full(values.size, -1, dtype=np.int64)
    point_row[good_points] = new_row[row]
    keys = keys[keep]

    index = []
    remainder = keys.copy()
    for lo, s in zip(reversed(low), reversed(span), strict=True):
        index.append(remainder % s + lo)
        remainder //= s
    index = tuple(reversed(index))

    arrays = [*index, count[keep], mean[keep], median[keep], std[keep], point_row, keys]
    for a in arrays:
        a.setflags(write=False)
    return BinnedStatistics(
        width=width,
        origin=origin,
        index=index,
        count=arrays[len(index)],
        mean=arrays[len(index) + 1],
        median=arrays[len(index) + 2],
        std=arrays[len(index) + 3],
        point_row=point_row,
        _keys=keys,
        _low=low,
        _span=span,
        _lookup=_grid_lookup(keys, n_grid) if dense else None,
    )
