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

All resamples of one galaxy are refitted in one vectorised
:func:`~metgrad.stats.lad_line` call. Random streams are derived from a run
seed and the galaxy's plate-ifu (:func:`galaxy_rng`), so every galaxy's
errors are reproducible and independent of processing order.
"""

from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .stats.lad import lad_line, lad_slopes_trusted
from .stats.robust import robust_sigma

__all__ = [
    "Gradient", "galaxy_gradients", "galaxy_rng", "model_gradient", "observed_gradient",
]  # fmt: skip


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
    r = np.ascontiguousarray(r_re, dtype=float)
    y = np.ascontiguousarray(oh, dtype=float)
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

    Notes
    -----
    Every refit's LAD descent starts from the slope of the fit to all spaxels (a warm
    start, :func:`metgrad.stats.lad.lad_slopes_trusted`): fewer steps, an optimal line
    all the same.
    """
    r, y = _checked(r_re, oh, "12+log(O/H)")
    if n_bootstrap < 2:
        raise ValueError(f"n_bootstrap must be at least 2, got {n_bootstrap}")
    best, slopes = _bootstrap_refits(r, y, n_bootstrap, rng)
    return Gradient(
        slope=float(best.slope),
        intercept=float(best.intercept),
        slope_err=float(robust_sigma(slopes)),
        n_spaxels=int(r.size),
    )


def _bootstrap_refits(r, y, n_bootstrap, rng):
    """Best LAD line of checked data and the slopes of its residual-bootstrap refits."""
    rng = np.random.default_rng() if rng is None else rng
    best = lad_line(r, y)
    model = best.intercept + best.slope * r
    residuals = y - model
    picks = rng.integers(0, r.size, size=(n_bootstrap, r.size))
    # checked data: finite r with 2+ distinct values, finite y (so finite resamples);
    # every refit's descent starts from the full fit's slope (warm start)
    return best, lad_slopes_trusted(r, model + residuals[picks], start=best.slope)


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

    Notes
    -----
    As in :func:`observed_gradient`, every refit starts from the slope of the fit to the
    model values themselves (warm start).
    """
    r, y = _checked(r_re, oh_model, "model 12+log(O/H)")
    _, err = _checked(r_re, oh_model_err, "model errors")
    if (err < 0).any():
        raise ValueError("model errors must be non-negative")
    if n_noise < 2:
        raise ValueError(f"n_noise must be at least 2, got {n_noise}")
    best, slopes = _noise_refits(r, y, err, n_noise, rng)
    return Gradient(
        slope=float(best.slope),
        intercept=float(best.intercept),
        slope_err=float(robust_sigma(slopes)),
        n_spaxels=int(r.size),
    )


def _noise_refits(r, y, err, n_noise, rng):
    """Best LAD line of checked data and the slopes of its Gaussian-noise refits."""
    rng = np.random.default_rng() if rng is None else rng
    best = lad_line(r, y)
    noisy = rng.standard_normal((n_noise, r.size))
    noisy *= err  # in place: the same numbers as y + err * z, without two temporaries
    noisy += y
    return best, lad_slopes_trusted(r, noisy, start=best.slope)  # warm start: full fit


def galaxy_gradients(
    plateifu: np.ndarray,
    r_re: np.ndarray,
    values: np.ndarray,
    errors: np.ndarray | None = None,
    *,
    seed: int,
    stream: str,
    n_refits: int = 100,
    workers: int = 1,
    pool=None,
) -> pd.DataFrame:
    """Gradient of every galaxy: observed (``errors`` None) or model (``errors`` given).

    Parameters
    ----------
    plateifu, r_re, values : ndarray, shape (n,)
        Spaxels grouped by plate-ifu (each galaxy's spaxels contiguous): galaxy,
        R/R_e, 12+log(O/H) (dex).
    errors : ndarray, optional
        Model errors (dex): Gaussian-noise refits; without them, residual bootstrap.
    seed : int
        Run seed.
    stream : str
        Name of the random stream (e.g. ``'observed-m13'``).
    n_refits : int, optional
        Refits per galaxy.
    workers : int, optional
        Threads fitting galaxies at the same time, when no ``pool`` is given. The
        LAD kernel and the random draws release the GIL, so threads use several
        cores without copying data; each galaxy has its own random stream, so the
        result does not depend on ``workers``.
    pool : executor with ``map``, optional
        A thread pool to fit on (the analysis's one pool,
        :func:`metgrad.parallel.thread_pool`); its size replaces ``workers``.

    Returns
    -------
    pandas.DataFrame
        Indexed by plate-ifu in the order of first appearance: ``slope``,
        ``slope_err`` (dex/R_e), ``intercept`` (dex), ``n_spaxels``. Galaxies
        whose fit is impossible (fewer than 2 distinct radii) are left out.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if pool is not None:
        workers = int(getattr(pool, "workers", 1))
    keys, starts, counts = np.unique(plateifu, return_index=True, return_counts=True)
    order = np.argsort(starts)
    keys, starts, counts = keys[order], starts[order], counts[order]
    ends = np.append(starts[1:], len(plateifu))
    if not np.array_equal(ends - starts, counts):
        raise ValueError("galaxy_gradients: each galaxy's spaxels must be contiguous")

    r_all, y_all = _checked(r_re, values, "12+log(O/H)")
    if errors is not None:
        _, e_all = _checked(r_re, errors, "model errors")
        if (e_all < 0).any():
            raise ValueError("model errors must be non-negative")
    if n_refits < 2:
        raise ValueError(f"n_refits must be at least 2, got {n_refits}")

    def fit(indices) -> list[tuple]:
        rows, slopes = [], []
        for i in indices:
            key, a, b = str(keys[i]), starts[i], ends[i]
            r = r_all[a:b]
            if not r.size >= 2 or r.min() == r.max():
                continue  # fewer than 2 distinct radii: no line
            rng = galaxy_rng(seed, key, stream)
            if errors is None:
                best, refits = _bootstrap_refits(r, y_all[a:b], n_refits, rng)
            else:
                best, refits = _noise_refits(r, y_all[a:b], e_all[a:b], n_refits, rng)
            rows.append((key, best.slope, best.intercept, b - a))
            slopes.append(refits)
        if not rows:
            return []
        errs = robust_sigma(np.stack(slopes), axis=1)  # every galaxy of the chunk at once
        return [
            (key, slope, float(err), intercept, n)
            for (key, slope, intercept, n), err in zip(rows, errs, strict=True)
        ]

    # a few chunks per thread keep both busy to the end; order of results is fixed
    chunks = np.array_split(np.arange(len(keys)), max(1, min(len(keys), 8 * workers)))
    if pool is not None:
        parts = list(pool.map(fit, chunks))
    elif workers == 1 or len(chunks) == 1:
        parts = [fit(chunk) for chunk in chunks]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(fit, chunks))
    frame = pd.DataFrame(
        [row for part in parts for row in part],
        columns=["plateifu", "slope", "slope_err", "intercept", "n_spaxels"],
    ).set_index("plateifu")
    return frame
