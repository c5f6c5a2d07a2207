"""Step 4 (§3.2, Tables 1 and A1): how well each model set predicts the metallicities.

Residual dispersion, chi2 with the measurement errors and BIC = chi2 + k ln n,
each table on the spaxels that all of its models predict
(:func:`metgrad.models.model_metrics`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..models import model_metrics
from .fit_models import FittedModels

__all__ = ["TABLE1_MODELS", "TABLEA1_MODELS", "ModelTables", "model_tables"]

#: Models of the paper's Table 1 and Table A1, in the paper's row order.
TABLE1_MODELS = ("base", "D4000", "EW_Ha", "SFH", "SFH_Ha")
TABLEA1_MODELS = ("SFH", "SFH_a", "SFH_b")


@dataclass(frozen=True)
class ModelTables:
    """Metrics of the model sets, indexed by model name (:data:`metgrad.models.METRIC_COLUMNS`).

    Attributes
    ----------
    all_models : pandas.DataFrame
        Every fitted set on their common spaxels.
    table1, tableA1 : pandas.DataFrame
        The paper's two tables, each on its own models' common spaxels.
    """

    all_models: pd.DataFrame
    table1: pd.DataFrame
    tableA1: pd.DataFrame


def model_tables(y: np.ndarray, y_err: np.ndarray, fitted: FittedModels) -> ModelTables:
    """Tables 1 and A1, and all models together.

    Parameters
    ----------
    y, y_err : ndarray
        Observed 12+log(O/H) and measurement errors of the model-fitting sample (dex).
    fitted : FittedModels
        From :func:`~.fit_models.fit_model_sets`.
    """
    preds = {name: fitted.pair(name) for name in fitted.models}

    def table(names):  # a model set that could not be fitted is left out
        return model_metrics(
            y, y_err, {m: preds[m] for m in names if m in preds}, fitted.n_params
        )

    return ModelTables(table(preds), table(TABLE1_MODELS), table(TABLEA1_MODELS))
