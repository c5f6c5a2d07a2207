"""The galaxy mass-size plane: LOESS maps, mass thirds, the median relation, six bins,
gradient-offset subsamples and stacked radial profiles (Boardman et al. 2022, §4).

All functions are pure: arrays (one entry per galaxy or per spaxel) in, arrays
or tables out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .stats.loess import loess_2d

__all__ = [
    "MASS_LABELS",
    "PROFILE_EDGES",
    "SIZE_LABELS",
    "extended_flags",
    "loess_map",
    "mass_thirds",
    "massize_bins",
    "offset_subsamples",
    "radial_profile",
]

#: Names of the three mass regions, low to high.
MASS_LABELS: tuple[str, ...] = ("low", "mid", "high")
#: Names of the two size classes relative to the median mass-size relation.
SIZE_LABELS: tuple[str, ...] = ("compact", "extended")
#: Edges (R/R_e) of the radial-profile bins: 0.2 R_e wide from 0.5 to 1.9 R_e (paper §4.2).
PROFILE_EDGES = np.round(np.arange(0.5, 1.9 + 1e-9, 0.2), 10)


def loess_map(log_mstar, log_re, values, *, frac: float = 0.2, degree: int = 1) -> np.ndarray:
    """LOESS-smoothed values over the mass-size plane (the paper's Figs 1, 10, 11).

    Parameters
    ----------
    log_mstar : array_like, shape (n,)
        log10(M*/Msun) of each galaxy.
    log_re : array_like, shape (n,)
        log10(R_e/kpc) of each galaxy.
    values : array_like, shape (n,)
        The quantity to smooth (e.g. gradients, dex/R_e).
    frac : float, optional
        Fraction of galaxies in each local fit (the paper: 0.2).
    degree : int, optional
        1 (plane) or 2 (quadric).

    Returns
    -------
    ndarray, shape (n,)
        Smoothed value at each galaxy (NaN for all if fewer than 4 galaxies, 7
        for degree 2). Small samples use at least that many neighbours
        whatever ``frac``. Axes are rotated and rescaled
        (``rescale=True``), and no input errors are given, so the robust weights
        come from the scatter of neighbouring points, as in the paper.
        Non-finite inputs give NaN and are left out of the fit.
    """
    x, y, z = (np.asarray(a, dtype=float) for a in (log_mstar, log_re, values))
    if not (x.shape == y.shape == z.shape and x.ndim == 1):
        raise ValueError("log_mstar, log_re and values must be 1-D arrays of one length")
    good = np.isfinite(x) & np.isfinite(y) & np.isfinite(z)
    out = np.full(x.shape, np.nan)
    n = int(good.sum())
    fewest = 4 if degree == 1 else 7  # a local fit needs more points than coefficients
    if n >= fewest:
        npoints = min(n, max(int(np.ceil(frac * n)), fewest))
        out[good] = loess_2d(
            x[good], y[good], z[good], degree=degree, rescale=True, npoints=npoints
        )[0]
    return out


def mass_thirds(log_mstar) -> tuple[np.ndarray, np.ndarray]:
    """Split galaxies into three mass regions holding a third of the sample each.

    Returns
    -------
    labels : ndarray of str
        ``'low'`` (M* <= first tertile), ``'mid'`` (<= second), ``'high'``
        (above), as in the paper (edges 10^9.85 and 10^10.60 for MPL-10).
    edges : ndarray, shape (2,)
        The two tertiles of log M*.
    """
    m = np.asarray(log_mstar, dtype=float)
    edges = np.nanpercentile(m, [100 / 3, 200 / 3])
    idx = np.searchsorted(edges, m, side="left")  # m <= edge -> lower region
    labels = np.asarray(MASS_LABELS, dtype=object)[np.clip(idx, 0, 2)]
    labels[~np.isfinite(m)] = ""
    return labels, edges


def extended_flags(
    log_mstar, log_re, *, bin_width: float = 0.2
) -> tuple[np.ndarray, pd.DataFrame]:
    """Whether each galaxy lies above the median mass-size relation.

    The median relation is the median log R_e in bins of log M* of width
    ``bin_width`` (edges at multiples of the width); a galaxy is "extended" if
    its log R_e is above the median of its own mass bin and "compact" if at or
    below it, so each mass bin splits in two nearly equal halves.

    Returns
    -------
    extended : ndarray of bool
    relation : pandas.DataFrame
        ``log_mstar_lo``, ``log_mstar_hi``, ``n``, ``median_log_re`` per bin.
    """
    m = np.asarray(log_mstar, dtype=float)
    r = np.asarray(log_re, dtype=float)
    if not bin_width > 0:
        raise ValueError(f"bin_width must be positive, got {bin_width}")
    good = np.isfinite(m) & np.isfinite(r)
    k = np.floor(m[good] / bin_width).astype(np.int64)
    frame = pd.DataFrame({"k": k, "r": r[good]})
    med = frame.groupby("k")["r"].agg(["median", "size"])
    median_of = med["median"].reindex(k).to_numpy()
    extended = np.zeros(m.shape, dtype=bool)
    extended[good] = r[good] > median_of
    relation = pd.DataFrame(
        {
            "log_mstar_lo": med.index.to_numpy() * bin_width,
            "log_mstar_hi": (med.index.to_numpy() + 1) * bin_width,
            "n": med["size"].to_numpy(),
            "median_log_re": med["median"].to_numpy(),
        }
    )
    return extended, relation


def massize_bins(log_mstar, log_re, *, bin_width: float = 0.2) -> np.ndarray:
    """The six mass-size bins: ``'<mass>-<size>'``, e.g. ``'low-compact'``, per galaxy."""
    mass, _ = mass_thirds(log_mstar)
    ext, _ = extended_flags(log_mstar, log_re, bin_width=bin_width)
    size = np.where(ext, SIZE_LABELS[1], SIZE_LABELS[0])
    out = np.array(
        [f"{a}-{b}" if a else "" for a, b in zip(mass, size, strict=True)], dtype=object
    )
    return out


def offset_subsamples(
    offset, bins, *, low_percentile: float = 10.0, high_percentile: float = 90.0,
    small: float = 0.02,
) -> np.ndarray:  # fmt: skip
    """Steep / shallow / small-residual galaxies within each mass-size bin (paper §4.2).

    Parameters
    ----------
    offset : array_like, shape (n,)
        Observed minus model gradient of each galaxy, dex/R_e.
    bins : array_like of str, shape (n,)
        Mass-size bin of each galaxy (from :func:`massize_bins`).
    low_percentile, high_percentile : float, optional
        Galaxies at or below the low percentile of their bin's offsets are
        ``'steep'``; at or above the high percentile, ``'shallow'``.
    small : float, optional
        ``|offset| <= small`` (dex/R_e) is ``'small'`` (the paper: 0.02).

    Returns
    -------
    ndarray of str
        ``'steep'``, ``'shallow'``, ``'small'`` or ``''`` per galaxy.
    """
    off = np.asarray(offset, dtype=float)
    labels = np.asarray(bins, dtype=object)
    out = np.full(off.shape, "", dtype=object)
    for name in pd.unique(labels[labels != ""]):
        member = (labels == name) & np.isfinite(off)
        if not member.any():
            continue
        lo, hi = np.percentile(off[member], [low_percentile, high_percentile])
        out[member & (np.abs(off) <= small)] = "small"
        out[member & (off <= lo)] = "steep"
        out[member & (off >= hi)] = "shallow"
    return out


def radial_profile(r_re, values, *, edges=PROFILE_EDGES) -> pd.DataFrame:
    """Median and central 68 % of ``values`` in radial bins (paper Figs 14-15).

    Parameters
    ----------
    r_re : array_like
        Radii (R/R_e) of the spaxels pooled over a subsample of galaxies.
    values : array_like
        Their metallicities or residuals (dex).
    edges : array_like, optional
        Bin edges in R/R_e (default :data:`PROFILE_EDGES`); a bin holds
        ``lo <= r < hi`` (the last also ``r == hi``).

    Returns
    -------
    pandas.DataFrame
        ``r_lo``, ``r_hi``, ``r_mid``, ``n``, ``median``, ``p16``, ``p84``
        (NaN where a bin is empty).
    """
    r = np.asarray(r_re, dtype=float)
    v = np.asarray(values, dtype=float)
    e = np.asarray(edges, dtype=float)
    good = np.isfinite(r) & np.isfinite(v) & (r >= e[0]) & (r <= e[-1])
    idx = np.clip(np.searchsorted(e, r[good], side="right") - 1, 0, e.size - 2)
    rows = []
    for i in range(e.size - 1):
        sel = v[good][idx == i]
        if sel.size:
            p16, med, p84 = np.percentile(sel, [16, 50, 84])
        else:
            p16 = med = p84 = np.nan
        rows.append((e[i], e[i + 1], 0.5 * (e[i] + e[i + 1]), sel.size, med, p16, p84))
    return pd.DataFrame(rows, columns=["r_lo", "r_hi", "r_mid", "n", "median", "p16", "p84"])
