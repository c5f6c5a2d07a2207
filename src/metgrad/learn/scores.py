"""Held-out scores: spaxel residuals and gradient offsets of every model on common spaxels.

As in the paper's Table 1, every model is scored on the same spaxels: the
held-out spaxels of the final sample that every model predicts (a binned model
predicts nothing in the bins its training fold lacked). Gradients are exact LAD
lines of 12+log(O/H) against R/R_e, observed and predicted, on those spaxels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models import model_metrics
from ..stats.lad import lad_line
from ..stats.robust import robust_sigma

__all__ = ["held_out_gradients", "offset_statistics", "spaxel_scores"]


def spaxel_scores(y, y_err, predictions: dict, folds, common) -> pd.DataFrame:
    """Residual dispersion and chi2 of each model's held-out predictions.

    Parameters
    ----------
    y, y_err : ndarray, shape (n,)
        Observed 12+log(O/H) and its measurement error (dex).
    predictions : dict of str to ndarray, shape (n,)
        Out-of-fold prediction of each model (NaN where none).
    folds : ndarray of int, shape (n,)
        Fold of each spaxel.
    common : ndarray of bool, shape (n,)
        The spaxels scored (held out, final, predicted by every model).

    Returns
    -------
    pandas.DataFrame
        Indexed by model: ``n_spaxels``, ``oof_median_residual``,
        ``oof_residual_dispersion`` (ROBUST_SIGMA of observed minus predicted, dex),
        ``oof_residual_dispersion_fold_std`` (standard deviation of that
        dispersion over the folds, dex), ``oof_chi2`` (sum of squared residuals
        over the measurement errors, as Table 1) and ``oof_chi2_per_spaxel``.
    """
    mask = np.asarray(common, dtype=bool)
    preds = {name: np.where(mask, p, np.nan) for name, p in predictions.items()}
    table = model_metrics(y, y_err, preds, dict.fromkeys(preds, 0))
    folds = np.asarray(folds)
    fold_std = {}
    for name, p in preds.items():
        per_fold = [robust_sigma((y - p)[mask & (folds == k)]) for k in np.unique(folds[mask])]
        fold_std[name] = float(np.std(per_fold, ddof=1)) if len(per_fold) > 1 else np.nan
    out = pd.DataFrame(
        {
            "n_spaxels": table["n"],
            "oof_median_residual": table["median_residual"],
            "oof_residual_dispersion": table["residual_dispersion"],
            "oof_residual_dispersion_fold_std": pd.Series(fold_std),
            "oof_chi2": table["chi2"],
            "oof_chi2_per_spaxel": table["chi2"] / table["n"],
        }
    )
    out.index.name = "model"
    return out


def held_out_gradients(
    plateifu, r_re, observed, predictions: dict, *, min_spaxels: int
) -> pd.DataFrame:
    """Observed and predicted gradient of every galaxy with enough spaxels.

    Parameters
    ----------
    plateifu, r_re, observed : ndarray, shape (n,)
        The scored spaxels, each galaxy's contiguous: galaxy, R/R_e, observed O/H.
    predictions : dict of str to ndarray, shape (n,)
        Each model's predicted O/H on the same spaxels (finite).
    min_spaxels : int
        Galaxies with fewer spaxels are left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by plate-ifu: ``n_spaxels``, ``grad_obs`` and ``grad_<model>``
        (exact LAD slopes, dex/R_e), one LAD fit per row of a galaxy's
        (1 + models) x spaxels array.
    """
    pif = np.asarray(plateifu, dtype=object)
    r = np.asarray(r_re, dtype=float)
    stack = np.vstack([np.asarray(observed, dtype=float)]
                      + [np.asarray(p, dtype=float) for p in predictions.values()])  # fmt: skip
    codes, names = pd.factorize(pif)
    if codes.size and np.any(np.diff(codes) < 0):
        raise ValueError("held_out_gradients: each galaxy's spaxels must be contiguous")
    counts = np.bincount(codes, minlength=len(names))
    starts = np.concatenate([[0], np.cumsum(counts)])
    rows = []
    for g, name in enumerate(names):
        a, b = starts[g], starts[g + 1]
        if b - a < min_spaxels or np.unique(r[a:b]).size < 2:
            continue
        slopes = np.atleast_1d(lad_line(r[a:b], stack[:, a:b]).slope)
        rows.append((name, b - a, *slopes))
    columns = ["plateifu", "n_spaxels", "grad_obs", *(f"grad_{m}" for m in predictions)]
    return pd.DataFrame(rows, columns=columns).set_index("plateifu")


def offset_statistics(offset, size_offset) -> dict[str, float]:
    """Median, ROBUST_SIGMA and size dependence of gradient offsets.

    Parameters
    ----------
    offset : ndarray
        Observed minus predicted gradient per galaxy (dex/R_e).
    size_offset : ndarray
        The galaxy's offset from the median mass-size relation (dex).

    Returns
    -------
    dict
        ``gradient_offset_median``, ``gradient_offset_dispersion`` (dex/R_e),
        ``gradient_offset_size_slope`` (least-squares slope of the offset against
        the size offset, dex/R_e per dex: how far extended galaxies stay steeper
        than predicted) and ``gradient_offset_size_rho`` (their Spearman rho).
    """
    off, size = np.asarray(offset, dtype=float), np.asarray(size_offset, dtype=float)
    ok = np.isfinite(off) & np.isfinite(size)
    off, size = off[ok], size[ok]
    if off.size < 3:
        keys = ("median", "dispersion", "size_slope", "size_rho")
        return {f"gradient_offset_{k}": float("nan") for k in keys}
    return {
        "gradient_offset_median": float(np.median(off)),
        "gradient_offset_dispersion": float(robust_sigma(off)),
        "gradient_offset_size_slope": float(np.polyfit(size, off, 1)[0]),
        "gradient_offset_size_rho": float(pd.Series(off).corr(pd.Series(size), "spearman")),
    }
