"""Galaxy folds: every spaxel of a galaxy on one side, stratified over the mass-size plane.

Neighbouring spaxels of one galaxy share the PSF and the galaxy's properties, so
a random split of spaxels puts near-copies of each test spaxel in the training
set and flatters every model (:func:`random_spaxel_folds` exists only to show
that; ``learn`` never uses it). :func:`galaxy_folds` assigns whole galaxies to
folds, dealt round-robin in a seeded order within cells of log M* and of the
offset from the median mass-size relation, so every fold spans the plane.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["galaxy_folds", "random_spaxel_folds", "size_offset", "spaxel_folds"]


def size_offset(log_mstar, log_re, *, bin_width: float = 0.2) -> np.ndarray:
    """Offset (dex) of each galaxy's log R_e from the median of its log M* bin.

    Parameters
    ----------
    log_mstar, log_re : array_like, shape (n_galaxies,)
        log10(M*/Msun) and log10(R_e/kpc).
    bin_width : float, optional
        Width (dex) of the mass bins, edges at multiples of it (as
        :func:`metgrad.massize.extended_flags`).

    Returns
    -------
    ndarray
        ``log_re - median(log_re in the bin)`` (dex); positive for extended galaxies.
    """
    m, r = np.asarray(log_mstar, dtype=float), np.asarray(log_re, dtype=float)
    if m.shape != r.shape or m.ndim != 1:
        raise ValueError("log_mstar and log_re must be 1-D arrays of one length")
    if not bin_width > 0:
        raise ValueError(f"bin_width must be positive, got {bin_width!r}")
    bins = np.floor(m / bin_width)
    return r - pd.Series(r).groupby(bins).transform("median").to_numpy()


def _quantile_bins(values: np.ndarray, n: int) -> np.ndarray:
    ranks = pd.Series(values).rank(method="first").to_numpy() - 1
    return np.minimum((ranks * n / len(values)).astype(int), n - 1)


def galaxy_folds(
    log_mstar, log_re, *, n_folds: int = 5, seed: int = 0, strata_mass: int = 3,
    strata_size: int = 3,
) -> np.ndarray:  # fmt: skip
    """Fold of each galaxy, stratified over log M* and the mass-size offset.

    Parameters
    ----------
    log_mstar, log_re : array_like, shape (n_galaxies,)
        log10(M*/Msun) and log10(R_e/kpc) of each galaxy.
    n_folds : int, optional
        Number of folds (at least 2, at most the number of galaxies).
    seed : int, optional
        Seed of the order in which galaxies are dealt.
    strata_mass, strata_size : int, optional
        Quantile bins of log M* and, within each, of :func:`size_offset`.

    Returns
    -------
    ndarray of int, shape (n_galaxies,)
        Fold index (0 .. n_folds - 1). Within each cell the galaxies are shuffled and
        dealt to the folds in turn, the turn carried on from one cell to the next, so
        fold sizes differ by at most one and each cell is split as evenly as it can be.
    """
    m, r = np.asarray(log_mstar, dtype=float), np.asarray(log_re, dtype=float)
    n = m.size
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(r))):
        raise ValueError("galaxy_folds: log M* and log R_e must be finite for every galaxy")
    if not 2 <= n_folds <= n:
        raise ValueError(f"galaxy_folds: n_folds must be in [2, {n}] (galaxies), got {n_folds}")
    mass_bin = _quantile_bins(m, strata_mass)
    offset = size_offset(m, r)
    size_bin = np.zeros(n, dtype=int)
    for b in range(strata_mass):
        member = mass_bin == b
        if member.any():
            size_bin[member] = _quantile_bins(offset[member], strata_size)
    cell = mass_bin * strata_size + size_bin
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    order = order[np.argsort(cell[order], kind="stable")]  # shuffled within each cell
    folds = np.empty(n, dtype=int)
    folds[order] = np.arange(n) % n_folds
    return folds


def spaxel_folds(plateifu, galaxy_fold: pd.Series) -> np.ndarray:
    """Fold of each spaxel: its galaxy's.

    Parameters
    ----------
    plateifu : array_like of str, shape (n_spaxels,)
        Galaxy of each spaxel.
    galaxy_fold : pandas.Series
        Fold of each galaxy, indexed by plate-ifu.
    """
    folds = galaxy_fold.reindex(np.asarray(plateifu, dtype=object)).to_numpy()
    if pd.isna(folds).any():
        raise ValueError("spaxel_folds: a spaxel's galaxy has no fold")
    return folds.astype(int)


def random_spaxel_folds(n_spaxels: int, *, n_folds: int = 5, seed: int = 0) -> np.ndarray:
    """Folds of a random split of spaxels, ignoring galaxies: the leaky split.

    Kept to measure how much a spaxel split flatters a model (the leakage test);
    the ``learn`` stage never uses it.
    """
    if not 2 <= n_folds <= n_spaxels:
        raise ValueError(f"random_spaxel_folds: n_folds must be in [2, {n_spaxels}]")
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(n_spaxels) % n_folds)
