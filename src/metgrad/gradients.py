"""Radial metallicity gradients and their errors (Boardman et al. 2022, §2.3 and §4.1).

A gradient is the exact least-absolute-deviation (LAD) line of 12+log(O/H)
against R/R_e over a galaxy's selected spaxels (0.5-2 R_e), in dex/R_e, with
the intercept at R = 0.

- Observed gradients: the residuals about the best line are resampled with
  replacement ``n_bootstrap`` times, added back to the line, and refitted;
  the error is :func:`~metgrad.stats.robust_sigma` of the refitted slopes.
- Model gradients: Gaussian noise with sigma = each spaxel's model error is
  added to the model metallicities ``n_noise`` times and refitted; the error
  is again ``robust_sigma`` of the slopes.

:func:`observed_gradient` and :func:`model_gradient` fit one galaxy, all its
resamples in one vectorised :func:`~metgrad.stats.lad_line` call.
:func:`batch_gradients` fits a whole sample and gives the same numbers: small
galaxies, for which the cost of a call dominates, are stacked into arrays
padded with zero-weight points (which change no bit of a weighted LAD line)
and fitted together. Random streams are derived from a run seed and the
galaxy's plate-ifu (:func:`galaxy_rng`), so every galaxy's errors are
reproducible and independent of processing order.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from .stats.lad import lad_line
from .stats.robust import robust_sigma

__all__ = [
    "Gradient",
    "GradientBatch",
    "batch_gradients",
    "galaxy_rng",
    "model_gradient",
    "observed_gradient",
    "size_chunks",
]

#: Galaxies with at most this many spaxels are stacked by :func:`batch_gradients`; larger
#: ones are fitted one at a time, as their 100 refits already fill a call (measured in
#: benchmarks/bench_gradients.py: stacking is faster below about 60 spaxels and slower
#: above, because the padded weighted fit of 2-D arrays costs more per value than the
#: unweighted fit of one galaxy's refits, which share their x).
STACK_MAX_SPAXELS = 64
#: Stacked galaxies are fitted in chunks of at most about this many values per array
#: (8 bytes each), small enough to stay in cache.
CHUNK_ELEMENTS = 2**17
#: Galaxies stacked together differ in size by at most this factor, so padding is at most
#: 1 - 1/SIZE_RATIO (20 %) of a chunk.
SIZE_RATIO = 1.25


@dataclass(frozen=True)
class Gradient:
    """A fitted gradient.

    Attributes
    ----------
    slope : float
        Gradient, dex/R_e.
    intercept : float
        12+log(O/H) at R = 0, dex.
    slope_err : float
        robust_sigma of the refitted slopes, dex/R_e.
    n_spaxels : int
        Spaxels in the fit.
    """

    slope: float
    intercept: float
    slope_err: float
    n_spaxels: int

    def to_dict(self) -> dict[str, float | int]:
        """Plain dictionary (for JSON and tables)."""
        return asdict(self)


def galaxy_rng(seed: int, plateifu: str, stream: str) -> np.random.Generator:
    """Random generator for one galaxy and one use, reproducible across runs and machines.

    Parameters
    ----------
    seed : int
        The run seed (``gradients.seed`` of the configuration).
    plateifu : str
        The galaxy.
    stream : str
        What the numbers are for (e.g. ``'observed-m13'``, ``'base-m13'``), so
        different uses never share draws.
    """
    key = zlib.crc32(f"{plateifu}|{stream}".encode())
    return np.random.default_rng([int(seed), key])


def _checked(r_re, oh, name):
    r = np.asarray(r_re, dtype=float)
    y = np.asarray(oh, dtype=float)
    if r.ndim != 1 or r.shape != y.shape:
        raise ValueError(f"R/Re and {name} must be 1-D arrays of one length")
    if not (np.isfinite(r).all() and np.isfinite(y).all()):
        raise ValueError(f"R/Re and {name} must be finite (select the spaxels first)")
    return r, y


def observed_gradient(r_re, oh, *, n_bootstrap: int = 100, rng=None) -> Gradient:
    """LAD gradient of observed metallicities with a residual-bootstrap error.

    Parameters
    ----------
    r_re : array_like, shape (n,)
        Radii in units of R_e of the selected spaxels.
    oh : array_like, shape (n,)
        Their 12+log(O/H), dex.
    n_bootstrap : int, optional
        Number of residual resamples (the paper: 100).
    rng : numpy.random.Generator, optional
        Source of the resamples (see :func:`galaxy_rng`); a fresh default
        generator if None (not reproducible).

    Returns
    -------
    Gradient

    Raises
    ------
    ValueError
        For non-finite input, fewer than 2 distinct radii, or ``n_bootstrap < 2``.
    """
    r, y = _checked(r_re, oh, "12+log(O/H)")
    if n_bootstrap < 2:
        raise ValueError(f"n_bootstrap must be at least 2, got {n_bootstrap}")
    rng = np.random.default_rng() if rng is None else rng
    best = lad_line(r, y)
    model = best.intercept + best.slope * r
    residuals = y - model
    picks = rng.integers(0, r.size, size=(n_bootstrap, r.size))
    refits = lad_line(r, model + residuals[picks])
    return Gradient(
        slope=float(best.slope),
        intercept=float(best.intercept),
        slope_err=float(robust_sigma(refits.slope)),
        n_spaxels=int(r.size),
    )


def model_gradient(r_re, oh_model, oh_model_err, *, n_noise: int = 100, rng=None) -> Gradient:
    """LAD gradient of model metallicities with a Gaussian-noise refit error.

    Parameters
    ----------
    r_re : array_like, shape (n,)
        Radii in units of R_e.
    oh_model : array_like, shape (n,)
        Model 12+log(O/H), dex.
    oh_model_err : array_like, shape (n,)
        Model errors (1 sigma, dex), >= 0.
    n_noise : int, optional
        Number of noisy refits (the paper: 100).
    rng : numpy.random.Generator, optional
        Source of the noise (see :func:`galaxy_rng`).

    Returns
    -------
    Gradient
    """
    r, y = _checked(r_re, oh_model, "model 12+log(O/H)")
    _, err = _checked(r_re, oh_model_err, "model errors")
    if (err < 0).any():
        raise ValueError("model errors must be non-negative")
    if n_noise < 2:
        raise ValueError(f"n_noise must be at least 2, got {n_noise}")
    rng = np.random.default_rng() if rng is None else rng
    best = lad_line(r, y)
    noisy = y + err * rng.standard_normal((n_noise, r.size))
    refits = lad_line(r, noisy)
    return Gradient(
        slope=float(best.slope),
        intercept=float(best.intercept),
        slope_err=float(robust_sigma(refits.slope)),
        n_spaxels=int(r.size),
    )


class GradientBatch(NamedTuple):
    """Gradients of many galaxies (:func:`batch_gradients`), one entry per galaxy.

    Attributes
    ----------
    slope : ndarray, shape (g,)
        Gradient, dex/R_e; NaN where not fitted.
    intercept : ndarray, shape (g,)
        12+log(O/H) at R = 0, dex; NaN where not fitted.
    slope_err : ndarray, shape (g,)
        robust_sigma of the refitted slopes, dex/R_e; NaN where not fitted.
    n_spaxels : ndarray of int, shape (g,)
        Spaxels of the galaxy.
    fitted : ndarray of bool, shape (g,)
        False where the single-galaxy functions raise ValueError: fewer
        than 2 distinct radii, a non-finite value, or a negative model error.
    """

    slope: np.ndarray
    intercept: np.ndarray
    slope_err: np.ndarray
    n_spaxels: np.ndarray
    fitted: np.ndarray


def size_chunks(sizes, *, rows_per_item: int = 1, ratio: float = SIZE_RATIO,
                max_elements: int = CHUNK_ELEMENTS) -> list[np.ndarray]:  # fmt: skip
    """Group items of varied sizes into chunks to be padded to a common size.

    Items are taken in increasing size (ties in index order); a chunk grows
    while its largest size stays within ``ratio`` times its smallest and its
    padded array (items x ``rows_per_item`` rows x largest size) within
    ``max_elements`` values. A single item larger than that is a chunk alone.

    Parameters
    ----------
    sizes : array_like of int, shape (g,)
        Size of each item (e.g. spaxels per galaxy), >= 1.
    rows_per_item : int, optional
        Rows each item takes in the padded array (e.g. the refits per galaxy).
    ratio : float, optional
        Largest allowed size ratio within a chunk (> 1): padding wastes at
        most ``1 - 1/ratio`` of a chunk.
    max_elements : int, optional
        Largest padded array of a chunk with more than one item.

    Returns
    -------
    list of ndarray of int
        Indices of the items of each chunk, in increasing size; together
        every index exactly once.

    Examples
    --------
    >>> [c.tolist() for c in size_chunks([5, 100, 6, 7, 120], ratio=1.25)]
    [[0, 2], [3], [1, 4]]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    if sizes.ndim != 1 or (sizes < 1).any():
        raise ValueError("size_chunks: sizes must be a 1-D array of positive integers")
    if not ratio > 1.0:
        raise ValueError(f"size_chunks: ratio must be > 1, got {ratio}")
    if rows_per_item < 1 or max_elements < 1:
        raise ValueError("size_chunks: rows_per_item and max_elements must be positive")
    order = np.argsort(sizes, kind="stable")
    chunks, start = [], 0
    while start < order.size:
        smallest = sizes[order[start]]
        stop = start + 1
        while (
            stop < order.size
            and sizes[order[stop]] <= ratio * smallest
            and (stop - start + 1) * rows_per_item * sizes[order[stop]] <= max_elements
        ):
            stop += 1
        chunks.append(order[start:stop])
        start = stop
    return chunks


def batch_gradients(
    r_re,
    values,
    errors=None,
    *,
    lengths,
    rngs: Sequence[np.random.Generator],
    n_refits: int = 100,
    stack_max_spaxels: int | None = STACK_MAX_SPAXELS,
) -> GradientBatch:
    """Gradients of many galaxies at once: the numbers of the single-galaxy functions.

    For galaxy ``k`` (spaxels ``sum(lengths[:k])`` to ``sum(lengths[:k+1])``)
    the result is that of ``observed_gradient(r, oh, n_bootstrap=n_refits,
    rng=rngs[k])`` if ``errors`` is None, else of ``model_gradient(r, oh,
    err, n_noise=n_refits, rng=rngs[k])``. Galaxies larger than
    ``stack_max_spaxels`` are fitted by those functions; smaller ones have
    their resamples or noise drawn from their own generators exactly as
    there, and are then stacked with galaxies of similar size into arrays
    padded with zero-weight points and fitted together (see Notes).

    Parameters
    ----------
    r_re : array_like, shape (n,)
        Radii (R/R_e) of the spaxels of every galaxy, galaxy after galaxy.
    values : array_like, shape (n,)
        Their 12+log(O/H) (observed or model), dex.
    errors : array_like, shape (n,), optional
        Model errors (1 sigma, dex): Gaussian-noise refits. Without them,
        residual bootstrap.
    lengths : array_like of int, shape (g,)
        Spaxels per galaxy (sum = n).
    rngs : sequence of numpy.random.Generator, length g
        Each galaxy's random stream (see :func:`galaxy_rng`); each is used
        once, only for a galaxy that is fitted.
    n_refits : int, optional
        Resamples (or noisy copies) per galaxy, >= 2.
    stack_max_spaxels : int or None, optional
        Galaxies with more spaxels are fitted one at a time; None stacks
        every galaxy.

    Returns
    -------
    GradientBatch
        One entry per galaxy; galaxies that cannot be fitted are marked
        ``fitted == False`` (NaN results) instead of raising.

    Raises
    ------
    ValueError
        If the array lengths do not match or ``n_refits < 2``.

    Notes
    -----
    Stacked galaxies are grouped by :func:`size_chunks` (sizes within a
    factor 1.25, at most ``CHUNK_ELEMENTS`` values per refit array); per
    chunk, one weighted :func:`~metgrad.stats.lad_line` call fits every best
    line and one fits every refit. A weighted LAD line is a function of the
    positive-weight points alone, bit for bit, so padding changes nothing;
    the resampled data are built with the same floating-point operations
    as the single-galaxy functions, and ``robust_sigma(..., axis=1)`` gives
    each row the scalar result. The only difference is that the single-galaxy
    functions use the unweighted solver: the two give the same line
    whenever the LAD optimum is unique (continuous data: always), and
    otherwise equally optimal lines that may differ (exact ties; at most
    rounding-level differences for the near-collinear points of residual
    resamples).
    """
    r = np.asarray(r_re, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    err = None if errors is None else np.asarray(errors, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.int64)
    if r.ndim != 1 or r.shape != y.shape or (err is not None and err.shape != r.shape):
        raise ValueError("batch_gradients: r_re, values (and errors) must be 1-D of one length")
    if lengths.ndim != 1 or (lengths < 0).any() or lengths.sum() != r.size:
        raise ValueError("batch_gradients: lengths must be >= 0 and sum to the number of spaxels")
    if len(rngs) != lengths.size:
        raise ValueError(f"batch_gradients: {lengths.size} galaxies but {len(rngs)} generators")
    if n_refits < 2:
        raise ValueError(f"batch_gradients: n_refits must be at least 2, got {n_refits}")

    g = lengths.size
    starts = np.cumsum(lengths) - lengths
    fitted = _fittable(r, y, err, starts, lengths)
    slope, intercept, slope_err = np.full(g, np.nan), np.full(g, np.nan), np.full(g, np.nan)
    stacked = fitted & (lengths <= (np.inf if stack_max_spaxels is None else stack_max_spaxels))
    for k in (fitted & ~stacked).nonzero()[0]:
        part = slice(starts[k], starts[k] + lengths[k])
        if err is None:
            one = observed_gradient(r[part], y[part], n_bootstrap=n_refits, rng=rngs[k])
        else:
            one = model_gradient(r[part], y[part], err[part], n_noise=n_refits, rng=rngs[k])
        slope[k], intercept[k], slope_err[k] = one.slope, one.intercept, one.slope_err
    candidates = stacked.nonzero()[0]
    for chunk in size_chunks(lengths[candidates], rows_per_item=n_refits):
        members = candidates[chunk]
        best, errs = _chunk_gradients(r, y, err, starts[members], lengths[members],
                                      [rngs[k] for k in members], n_refits)  # fmt: skip
        slope[members], intercept[members] = best
        slope_err[members] = errs
    return GradientBatch(slope, intercept, slope_err, lengths.copy(), fitted)


def _fittable(r, y, err, starts, lengths):
    """Galaxies the single-galaxy functions can fit (they raise ValueError for the others)."""
    ok = lengths >= 2
    nonempty = lengths > 0
    if not nonempty.any():
        return ok
    first = starts[nonempty]
    good = np.isfinite(r) & np.isfinite(y)
    if err is not None:
        good &= np.isfinite(err) & ~(err < 0)
    all_good = np.ones(lengths.size, dtype=bool)
    all_good[nonempty] = np.logical_and.reduceat(good, first)
    spread = np.zeros(lengths.size, dtype=bool)
    with np.errstate(invalid="ignore"):
        spread[nonempty] = np.maximum.reduceat(r, first) > np.minimum.reduceat(r, first)
    return ok & all_good & spread


def _chunk_gradients(r, y, err, starts, lengths, rngs, n_refits):
    """Best lines and refit errors of the galaxies of one chunk, padded to a common size."""
    g, width = lengths.size, int(lengths.max())
    columns = np.arange(width)
    inside = columns < lengths[:, None]
    # padded points repeat the galaxy's last point (finite) with weight 0
    source = starts[:, None] + np.minimum(columns, lengths[:, None] - 1)
    x_pad, y_pad = r[source], y[source]
    weights = inside.astype(np.float64)
    best = lad_line(x_pad, y_pad, weights=weights)

    draws = np.zeros((g, n_refits, width), dtype=np.int64 if err is None else np.float64)
    for k, (n, rng) in enumerate(zip(lengths, rngs, strict=True)):
        # the draws of observed_gradient / model_gradient, in the same calls
        if err is None:
            draws[k, :, :n] = rng.integers(0, n, size=(n_refits, n))
        else:
            draws[k, :, :n] = rng.standard_normal((n_refits, n))
    if err is None:
        model = best.intercept[:, None] + best.slope[:, None] * x_pad
        residuals = y_pad - model
        draws += (np.arange(g) * width)[:, None, None]  # flat indices into residuals
        refit_y = model[:, None, :] + np.take(residuals.ravel(), draws, mode="clip")
    else:
        refit_y = y_pad[:, None, :] + err[source][:, None, :] * draws
    rows = g * n_refits
    refits = lad_line(
        np.broadcast_to(x_pad[:, None, :], (g, n_refits, width)).reshape(rows, width),
        refit_y.reshape(rows, width),
        weights=np.broadcast_to(weights[:, None, :], (g, n_refits, width)).reshape(rows, width),
    )
    return (best.slope, best.intercept), robust_sigma(refits.slope.reshape(g, n_refits), axis=1)
