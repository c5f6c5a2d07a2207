"""Step 3 (§3, Appendix A): fit the seven model sets and predict every spaxel.

The model sets (:mod:`metgrad.models.sets`) are fitted on the sample left after
the gradient-error cut (the paper's "model-fitting sample", which still holds
galaxies below 10^8.9 Msun). Sets sharing a base model (all but SFH-a and
SFH-b share the M* x Sigma_* base) fit it once: the base is fitted first and
given to the corrected models as a prefitted base.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import columns as C
from ..config import RunConfig
from ..models import CorrectedModel, clone, model_sets_from_config

__all__ = ["FittedModels", "fit_model_sets"]


@dataclass(frozen=True)
class FittedModels:
    """The fitted model sets and their predictions for the model-fitting sample.

    Attributes
    ----------
    models : dict of str to estimator
        Model-set name -> fitted estimator, in the order of
        :data:`metgrad.models.MODEL_SETS`.
    predictions : pandas.DataFrame
        Same index as the sample's spaxels: ``pred_<model>`` and ``err_<model>``
        (dex) for every model set; NaN where a model has no prediction.
    n_params : dict of str to int
        Model-set name -> bins used (the ``k`` of the BIC).
    """

    models: dict
    predictions: pd.DataFrame
    n_params: dict[str, int]

    def pair(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(prediction, error) arrays of one model set."""
        p = self.predictions
        return p[C.pred(name)].to_numpy(), p[C.err(name)].to_numpy()


def _base_key(model) -> tuple:
    base = model.base if isinstance(model, CorrectedModel) else model
    return type(base).__name__, tuple(sorted(base.get_params().items()))


def fit_model_sets(spaxels: pd.DataFrame, oh_column: str, config: RunConfig, *, pool):
    """Fit every model set of ``[models]`` to one calibrator's metallicities.

    Parameters
    ----------
    spaxels : pandas.DataFrame
        The model-fitting sample (the columns the models use and ``oh_column``).
    oh_column : str
        Column of the observed 12+log(O/H).
    config : RunConfig
        ``[models]`` bin widths and counts.
    pool : object with ``map``
        The analysis's thread pool: distinct bases, then the corrected models,
        are fitted on it (each reads the table, none writes it).

    Returns
    -------
    FittedModels
    """
    y = spaxels[oh_column].to_numpy()
    unfitted = model_sets_from_config(config.models)
    bases = {}
    for model in unfitted.values():
        bases.setdefault(_base_key(model), model.base if isinstance(model, CorrectedModel)
                         else model)  # fmt: skip
    fitted_bases = dict(
        zip(bases, pool.map(lambda m: clone(m).fit(spaxels, y), bases.values()), strict=True)
    )

    def fit_one(model):
        base = fitted_bases[_base_key(model)]
        if not isinstance(model, CorrectedModel):
            return base
        return CorrectedModel(base, model.correction, prefit_base=True).fit(spaxels, y)

    fitted = dict(zip(unfitted, pool.map(fit_one, unfitted.values()), strict=True))
    columns = {}
    for name, model in fitted.items():
        columns[C.pred(name)], columns[C.err(name)] = model.predict(spaxels, return_error=True)
    predictions = pd.DataFrame(columns, index=spaxels.index)
    n_params = {name: int(model.n_params_) for name, model in fitted.items()}
    return FittedModels(fitted, predictions, n_params)
