"""Step 7 (§3.1-3.3, Figs 2-9): correlations, residual trends and 2-D maps.

These tables need no gradient, so the driver makes them on one thread of the
pool while the gradients are fitted on the others:

- Spearman correlations of 12+log(O/H), and of the base residuals, with every
  local and galaxy parameter (Figs 2 and 4);
- median base residuals in 1-D bins of sSFR_local, D4000 and log EW(Halpha)
  (Figs 5-6), and base and SFH residuals against log M* for the model-fitting
  sample, before the M* >= 10^8.9 cut that the figure motivates (Fig 9);
- the 2-D maps of the base model (Fig 3), the SFH and SFH-Halpha corrections
  (Figs 7-8) and the mean base residual over Sigma_* x Sigma_SFR (Fig 5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import columns as C
from ..config import RunConfig
from ..models import BinnedResidualCorrection
from ..trends import PARAMETERS, ColumnOrders, binned_trend, spearman_table
from .fit_models import FittedModels

__all__ = ["RelationTables", "relation_tables"]


@dataclass(frozen=True)
class RelationTables:
    """Tables of the correlation, trend and map figures.

    Attributes
    ----------
    correlations : pandas.DataFrame
        One row per parameter: ``rho``, ``p_value`` of O/H and ``rho_residual``,
        ``p_value_residual`` of the base residuals.
    trends : dict of str to pandas.DataFrame
        Name -> binned trend (``trend_<name>.csv``).
    maps : dict of str to pandas.DataFrame
        Name -> fitted 2-D bins (``map_<name>.csv``).
    """

    correlations: pd.DataFrame
    trends: dict[str, pd.DataFrame]
    maps: dict[str, pd.DataFrame]


def _map_table(model) -> pd.DataFrame:
    """Fitted bins of a 2-D binned estimator as a table."""
    c = np.asarray(model.bin_centres_)
    return pd.DataFrame(
        {
            "x": c[:, 0],
            "y": c[:, 1],
            "count": model.bin_count_,
            "mean": model.bin_mean_,
            "smoothed": model.bin_smoothed_,
            "std": model.bin_std_,
        }
    )


def _correlations(s: pd.DataFrame, oh: np.ndarray, resid: np.ndarray, orders) -> pd.DataFrame:
    table = spearman_table(s, oh, PARAMETERS, orders=orders)
    local = {k: v for k, v in PARAMETERS.items() if k not in ("M*", "Sigma_*")}
    # the rows without a base prediction (NaN residual) are left out by the table itself,
    # so the sample is not copied for them
    resid_corr = spearman_table(s, resid, local, orders=orders)
    renamed = resid_corr[["parameter", "n", "rho", "p_value"]].rename(
        columns={"n": "n_residual", "rho": "rho_residual", "p_value": "p_value_residual"}
    )
    return table.merge(renamed, on="parameter", how="left")


def _trends(s, oh, fitted, config) -> dict[str, pd.DataFrame]:
    t = config.trends
    resid = oh - fitted.pair("base")[0]
    trends = {
        col: binned_trend(s[col], resid, width=w, min_count=t.min_count)
        for col, w in t.widths.items()
        if col != C.LOG_MSTAR
    }
    # Fig 9: the model-fitting sample, below the mass cut too
    for name in ("base", "SFH"):
        r = oh - fitted.pair(name)[0]
        trends[f"log_mstar_{name.lower()}"] = binned_trend(
            s[C.LOG_MSTAR], r, width=t.bin_log_mstar, min_count=t.min_count
        )
    return trends


def _maps(s, resid, fitted, config) -> dict[str, pd.DataFrame]:
    maps = {
        "base": _map_table(fitted.models["base"]),
        "sfh_correction": _map_table(fitted.models["SFH"].correction_),
    }
    if "SFH_Ha" in fitted.models:  # not fitted in a very small sample
        maps["sfh_ha_correction"] = _map_table(fitted.models["SFH_Ha"].correction_)
    ok = np.isfinite(resid)
    t = config.trends
    features = (C.LOG_SIGMA_STAR, C.LOG_SIGMA_SFR)
    try:
        sfr_map = BinnedResidualCorrection(
            features=features, widths=(t.sfr_map_bin,) * 2,
            min_count=t.sfr_map_min_count, loess_frac=config.models.base_loess_frac,
        ).fit(s.loc[ok, list(features)], resid[ok])  # the two columns, not the whole sample
        maps["sigma_sfr_residual"] = _map_table(sfr_map)
    except ValueError:  # too few occupied bins in a small sample
        pass
    return maps


def relation_tables(
    spaxels: pd.DataFrame, oh_column: str, fitted: FittedModels, config: RunConfig, *,
    orders: ColumnOrders | None = None,
) -> RelationTables:
    """Correlations, trends and maps of the model-fitting sample.

    Parameters
    ----------
    spaxels : pandas.DataFrame
        The model-fitting sample.
    oh_column : str
        Its observed 12+log(O/H).
    fitted : FittedModels
        The fitted model sets and their predictions.
    config : RunConfig
        ``[trends]`` bins and ``[models] base_loess_frac``.
    orders : ColumnOrders, optional
        Sort orders of the run's spaxel table that ``spaxels`` is a subset of:
        the parameters are then ranked without sorting them again (one sort per
        column for every calibrator of the run).
    """
    oh = spaxels[oh_column].to_numpy()
    resid = oh - fitted.pair("base")[0]
    return RelationTables(
        _correlations(spaxels, oh, resid, orders),
        _trends(spaxels, oh, fitted, config),
        _maps(spaxels, resid, fitted, config),
    )
