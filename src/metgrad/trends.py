"""Correlations and binned residual trends (Boardman et al. 2022, Figs 2, 4-9, B1-B3).

Pure functions of spaxel arrays: Spearman rank correlations of metallicity and
of model residuals with each local or galaxy parameter, and medians with
robust dispersions of residuals in 1-D bins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from .stats.binned import bin_index
from .stats.robust import robust_sigma

__all__ = ["PARAMETERS", "binned_trend", "spearman_table"]

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


def spearman_table(frame: pd.DataFrame, target, parameters: dict[str, str]) -> pd.DataFrame:
    """Spearman rho and p-value of ``target`` against each parameter column.

    Parameters
    ----------
    frame : pandas.DataFrame
        Spaxel table.
    target : array_like
        Values to correlate (one per row of ``frame``), e.g. 12+log(O/H) or residuals.
    parameters : dict of str to str
        Label -> column.

    Returns
    -------
    pandas.DataFrame
        ``parameter``, ``column``, ``n`` (finite pairs), ``rho``, ``p_value``,
        ``abs_rho``, ``sign``.
    """
    t = np.asarray(target, dtype=float)
    rows = []
    for label, column in parameters.items():
        x = frame[column].to_numpy(dtype=float)
        good = np.isfinite(x) & np.isfinite(t)
        if good.sum() >= 3:
            result = scipy_stats.spearmanr(x[good], t[good])
            rho, p = float(result.statistic), float(result.pvalue)
        else:
            rho = p = np.nan
        rows.append((label, column, int(good.sum()), rho, p, abs(rho), np.sign(rho)))
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
