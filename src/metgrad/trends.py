"""Correlations and binned residual trends (Boardman et al. 2022, Figs 2, 4-9, B1-B3).

Pure functions of spaxel arrays: Spearman rank correlations of metallicity and
of model residuals with each local or galaxy parameter, and medians with
robust dispersions of residuals in 1-D bins.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from .stats.binned import bin_index
from .stats.robust import robust_sigma

__all__ = ["PARAMETERS", "ColumnOrders", "average_ranks", "binned_trend", "spearman_table"]

#: Parameters of the correlation figures: label -> column of the sample table.
#: Logarithmic columns give the same rank correlations as the linear quantities.
PARAMETERS: dict[str, str] = {
    "M*": "log_mstar",
    "R_e": "log_re",
    "Sigma_*": "log_sigma_star",
    "Sigma_SFR": "log_sigma_sfr",
    "sSFR_local": "log_ssfr",
    "EW(Halpha)": "log_ew_ha",
    "D4000": "d4000",
    "t_LW": "log_age_lw",
    "A_V": "a_v",
    "A_V/Sigma_*": "log_av_over_sigma_star",
    "Sigma_SFR/A_V": "log_sigma_sfr_over_av",
}


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``values``, tied values sharing the mean of their ranks.

    Parameters
    ----------
    values : ndarray, shape (n,)
        Finite values.

    Returns
    -------
    ndarray, shape (n,)
        float64 ranks (the "average" method of `scipy.stats.rankdata`).
    """
    v = np.asarray(values)
    order = np.argsort(v)  # ties are averaged below, so the sort need not be stable
    ranks = np.empty(v.size)
    ranks[order] = _tied_ranks(v[order])
    return ranks


def _tied_ranks(ordered: np.ndarray) -> np.ndarray:
    """Average ranks of sorted values (or of their tie-group numbers), in sorted order."""
    n = ordered.size
    new_value = np.empty(n, dtype=bool)
    new_value[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new_value[1:])
    starts = np.flatnonzero(new_value)
    counts = np.diff(np.append(starts, n))
    return np.repeat(starts + (counts + 1) / 2.0, counts)


class ColumnOrders:
    """Sort orders of a table's columns, sorted once and shared by every subset of its rows.

    The Spearman tables of the analysis rank the same parameter columns on many
    subsets of one spaxel table (each calibrator's sample, the rows with a finite
    residual). Sorting a column of the whole table once and keeping, for each
    subset, the sorted positions that belong to it gives the subset's ranks in
    linear time instead of a new sort.

    Parameters
    ----------
    frame : pandas.DataFrame
        The whole table, with a unique index; the subsets passed to :meth:`ranks`
        are rows of it (by index label) with the same column values.
    """

    def __init__(self, frame: pd.DataFrame):
        if not frame.index.is_unique:
            raise ValueError("ColumnOrders: the table's index must be unique")
        self._frame = frame
        self._sorted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def _sorted_column(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Row positions in value order, and where each new value starts in that order."""
        with self._lock:
            cached = self._sorted.get(column)
        if cached is None:
            values = self._frame[column].to_numpy(dtype=float)
            index_type = np.int32 if values.size < 2**31 else np.intp
            order = np.argsort(values).astype(index_type)  # non-finite values last
            ordered = values[order]
            new_value = np.empty(values.size, dtype=bool)  # a byte per row: the tie groups
            new_value[:1] = True
            np.not_equal(ordered[1:], ordered[:-1], out=new_value[1:])
            cached = (order, new_value)
            with self._lock:
                self._sorted[column] = cached
        return cached

    def ranks(self, column: str, rows: pd.Index) -> np.ndarray:
        """Average ranks (1..n) of ``column`` over ``rows``, in the order of ``rows``.

        Parameters
        ----------
        column : str
            A column of the table.
        rows : pandas.Index
            Index labels of the table (unique), where ``column`` is finite.

        Returns
        -------
        ndarray, shape (len(rows),)
            The same as ``average_ranks(frame.loc[rows, column])``.
        """
        order, new_value = self._sorted_column(column)
        positions = self._frame.index.get_indexer(rows)
        if (positions < 0).any():
            raise ValueError("ColumnOrders.ranks: rows that are not in the table")
        member = np.zeros(order.size, dtype=bool)
        member[positions] = True
        if int(member.sum()) != positions.size:
            raise ValueError("ColumnOrders.ranks: repeated rows")
        in_subset = member[order]
        local = np.empty(order.size, dtype=np.intp)
        local[positions] = np.arange(positions.size)
        ranks = np.empty(positions.size)
        group = np.cumsum(new_value, dtype=np.int32 if order.size < 2**31 else np.intp)
        ranks[local[order[in_subset]]] = _tied_ranks(group[in_subset])
        return ranks


def _spearman(x_ranks: np.ndarray, t_ranks: np.ndarray) -> tuple[float, float]:
    """Spearman rho (Pearson r of the ranks) and its two-sided p-value (t approximation)."""
    n = x_ranks.size
    xc = x_ranks - x_ranks.mean()
    tc = t_ranks - t_ranks.mean()
    denominator = np.sqrt((xc @ xc) * (tc @ tc))
    if denominator == 0:  # a constant column: undefined, as in scipy
        return np.nan, np.nan
    rho = float(np.clip((xc @ tc) / denominator, -1.0, 1.0))
    dof = n - 2
    with np.errstate(divide="ignore"):
        t = rho * np.sqrt(max(dof / ((rho + 1.0) * (1.0 - rho)), 0.0))
    return rho, float(2.0 * scipy_stats.t.sf(abs(t), dof))


def spearman_table(
    frame: pd.DataFrame, target, parameters: dict[str, str], *, pool=None, orders=None
) -> pd.DataFrame:
    """Spearman rho and p-value of ``target`` against each parameter column.

    Parameters
    ----------
    frame : pandas.DataFrame
        Spaxel table.
    target : array_like
        Values to correlate (one per row of ``frame``), e.g. 12+log(O/H) or residuals.
    parameters : dict of str to str
        Label -> column.
    pool : object with a ``map`` method, optional
        Ranks the parameters on its threads (sorting releases the GIL), e.g.
        :func:`metgrad.parallel.thread_pool`; default: this thread.
    orders : ColumnOrders, optional
        Sort orders of a table that ``frame`` is a subset of (by index label):
        the parameters' ranks are taken from them instead of sorting again.

    Returns
    -------
    pandas.DataFrame
        ``parameter``, ``column``, ``n`` (finite pairs), ``rho``, ``p_value``,
        ``abs_rho``, ``sign``.

    Notes
    -----
    The same numbers as `scipy.stats.spearmanr` (average ranks for ties, the
    t-distribution p-value with n - 2 degrees of freedom), with the ranks of
    ``target`` computed once for every parameter finite wherever the target
    is, instead of once per parameter.
    """
    t = np.asarray(target, dtype=float)
    t_finite = np.isfinite(t)
    t_ranks = average_ranks(t[t_finite]) if t_finite.sum() >= 3 else None

    def one(item):
        label, column = item
        x = frame[column].to_numpy(dtype=float)
        good = np.isfinite(x) & t_finite
        n = int(good.sum())
        rho = p = np.nan
        if n >= 3:
            x_ranks = (average_ranks(x[good]) if orders is None
                       else orders.ranks(column, frame.index[good]))  # fmt: skip
            if n == t_ranks.size:  # x finite wherever the target is: reuse its ranks
                rho, p = _spearman(x_ranks, t_ranks)
            else:
                rho, p = _spearman(x_ranks, average_ranks(t[good]))
        return (label, column, n, rho, p, abs(rho), np.sign(rho))

    items = list(parameters.items())
    rows = list((map if pool is None else pool.map)(one, items))
    return pd.DataFrame(
        rows, columns=["parameter", "column", "n", "rho", "p_value", "abs_rho", "sign"]
    )


def binned_trend(x, values, *, width: float, min_count: int = 100) -> pd.DataFrame:
    """Median and robust dispersion of ``values`` in bins of ``x`` (edges at multiples of width).

    Returns
    -------
    pandas.DataFrame
        ``x_lo``, ``x_hi``, ``x_mid``, ``n``, ``median``, ``dispersion``
        (:func:`~metgrad.stats.robust_sigma` about the median) for bins with at
        least ``min_count`` finite pairs.
    """
    x = np.asarray(x, dtype=float)
    v = np.asarray(values, dtype=float)
    good = np.isfinite(x) & np.isfinite(v)
    columns = ["x_lo", "x_hi", "x_mid", "n", "median", "dispersion"]
    if not good.any():
        return pd.DataFrame(columns=columns)
    idx = bin_index(x[good], width)
    vg = v[good]
    order = np.argsort(idx, kind="stable")
    idx, vg = idx[order], vg[order]
    keys, starts, counts = np.unique(idx, return_index=True, return_counts=True)
    rows = []
    for key, start, count in zip(keys, starts, counts, strict=True):
        if count < min_count:
            continue
        chunk = vg[start : start + count]
        lo = key * width
        rows.append(
            (lo, lo + width, lo + 0.5 * width, int(count), float(np.median(chunk)),
             float(robust_sigma(chunk)))
        )  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
