"""After every calibrator: do the paper's conclusions hold whichever calibrator is used?

Appendix B of Boardman et al. (2022) repeats the analysis with PG16 because strong-line
calibrators disagree. With every calibrator analysed on the same final galaxies and
spaxels (the reference calibrator's sample), this step compares them:

- the gradients of the same galaxies: per calibrator, the median and robust
  dispersion of its gradient minus the reference calibrator's (dex/R_e);
- Table 1 of every calibrator in one table;
- the paper's two conclusions, per calibrator: does the SFH model have the lowest BIC
  of Table 1, and are the SFH gradient offsets size-dependent at fixed mass (the
  coefficient of log R_e in a least-squares plane of the offsets over log M* and
  log R_e, with its standard error; "size-dependent" when negative by more than 3
  standard errors, as extended galaxies have steeper observed gradients than
  predicted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg

from .. import columns as C
from ..stats.robust import robust_sigma
from .metrics import TABLE1_MODELS

__all__ = ["CalibratorComparison", "compare_calibrators", "size_coefficient"]

#: A coefficient this many standard errors below zero counts as size-dependent.
SIZE_SIGNIFICANCE = 3.0


@dataclass(frozen=True)
class CalibratorComparison:
    """The calibrators side by side.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per calibrator (``calibrator``, ``label``, ``scale``,
        ``n_galaxies``, ``median_gradient``, ``gradient_difference_median``,
        ``gradient_difference_dispersion``, ``best_model_bic``, ``sfh_lowest_bic``,
        ``size_coefficient``, ``size_coefficient_err``, ``offsets_size_dependent``).
    table1 : pandas.DataFrame
        Table 1 of every calibrator, with a ``calibrator`` column.
    gradients : pandas.DataFrame
        Observed gradient of every galaxy (rows) under every calibrator (columns).
    """

    summary: pd.DataFrame
    table1: pd.DataFrame
    gradients: pd.DataFrame


def size_coefficient(galaxies: pd.DataFrame, column: str = "offset_sfh") -> tuple[float, float]:
    """Least-squares coefficient of log R_e in ``column ~ a + b log M* + c log R_e``.

    Returns
    -------
    c, c_err : float
        Coefficient (dex/R_e per dex of R_e) and its standard error; NaN with
        fewer than 10 galaxies.
    """
    frame = galaxies[[C.LOG_MSTAR, C.LOG_RE, column]].dropna()
    if len(frame) < 10:
        return float("nan"), float("nan")
    design = np.column_stack([np.ones(len(frame)), frame[C.LOG_MSTAR], frame[C.LOG_RE]])
    y = frame[column].to_numpy()
    # scipy's cut-off for small singular values is the same under numpy 1.x and 2.x
    # (numpy.linalg.lstsq's default rcond changed in numpy 2.0, which pyproject allows)
    coef, *_ = scipy.linalg.lstsq(design, y)
    resid = y - design @ coef
    dof = len(y) - 3
    cov = np.linalg.inv(design.T @ design) * (resid @ resid / dof)
    return float(coef[2]), float(np.sqrt(cov[2, 2]))


def _row(key, label, scale, gal, table1, reference_grad) -> dict:
    diff = (gal[C.grad("obs")] - reference_grad).dropna()  # galaxies in both
    table1 = table1.set_index("model")
    best = str(table1["bic"].idxmin()) if len(table1) else ""
    c, c_err = size_coefficient(gal)
    return {
        "calibrator": key,
        "label": label,
        "scale": scale,
        "n_galaxies": len(gal),
        "median_gradient": float(gal[C.grad("obs")].median()),
        "gradient_difference_median": float(diff.median()),  # NaN: no galaxy in common
        "gradient_difference_dispersion": float(robust_sigma(diff.to_numpy()))
        if len(diff) > 2
        else float("nan"),
        "best_model_bic": best,
        "sfh_lowest_bic": best == "SFH",
        "size_coefficient": c,
        "size_coefficient_err": c_err,
        "offsets_size_dependent": bool(c < -SIZE_SIGNIFICANCE * c_err),
    }


def compare_calibrators(results: dict[str, dict]) -> CalibratorComparison:
    """Compare the analysed calibrators, the first one being the reference.

    Parameters
    ----------
    results : dict
        Calibrator key -> ``{"calibrator": Calibrator, "galaxies": DataFrame (the
        final galaxy table), "table1": DataFrame (Table 1, a ``model`` column)}``,
        the reference first.
    """
    keys = list(results)
    reference_grad = results[keys[0]]["galaxies"][C.grad("obs")]
    rows, tables, grads = [], [], {}
    for key, r in results.items():
        cal, gal, table1 = r["calibrator"], r["galaxies"], r["table1"]
        rows.append(_row(key, cal.label, cal.scale, gal, table1, reference_grad))
        t = table1[table1["model"].isin(TABLE1_MODELS)].copy()
        t.insert(0, "calibrator", key)
        tables.append(t)
        grads[key] = gal[C.grad("obs")]
    gradients = pd.DataFrame(grads).rename_axis(C.PLATEIFU)
    return CalibratorComparison(
        pd.DataFrame(rows), pd.concat(tables, ignore_index=True), gradients
    )
