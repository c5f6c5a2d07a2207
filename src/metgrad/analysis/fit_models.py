"""Step 3 (§3, Appendix A): fit the seven model sets and predict every spaxel.

The model sets (:mod:`metgrad.models.sets`) are fitted on the sample left after
the gradient-error cut (the paper's "model-fitting sample", which still holds
galaxies below 10^8.9 Msun). Sets sharing a base model (all but SFH-a and
SFH-b share the M* x Sigma_* base) fit it once: the base is fitted first and
given to the corrected models as a prefitted base.
"""

from __future__ import annotations

import dataclasses
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
    failed : dict of str to str
        Model sets that could not be fitted on this sample (too few spaxels in their
        bins, as in a very small survey) -> why. They predict NaN everywhere and are
        left out of the metrics; the base and SFH sets are never in here (the
        analysis stops if they cannot be fitted).
    """

    models: dict
    predictions: pd.DataFrame
    n_params: dict[str, int]
    failed: dict[str, str] = dataclasses.field(default_factory=dict)

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
    fitted_bases = dict(zip(bases, pool.map(lambda m: _try_fit(clone(m), spaxels, y),
                                            bases.values()), strict=True))  # fmt: skip

    def fit_one(model):
        base = fitted_bases[_base_key(model)]
        if not isinstance(model, CorrectedModel) or isinstance(base, str):
            return base
        return _try_fit(CorrectedModel(base, model.correction, prefit_base=True), spaxels, y)

    outcomes = dict(zip(unfitted, pool.map(fit_one, unfitted.values()), strict=True))
    failed = {name: why for name, why in outcomes.items() if isinstance(why, str)}
    required = [name for name in REQUIRED_MODELS if name in failed]
    if required:
        raise ValueError(f"the {required[0]} model cannot be fitted: {failed[required[0]]}")
    fitted = {name: model for name, model in outcomes.items() if name not in failed}
    nan = np.full(len(spaxels), np.nan)
    columns = {}
    for name in unfitted:
        pair = fitted[name].predict(spaxels, return_error=True) if name in fitted else (nan, nan)
        columns[C.pred(name)], columns[C.err(name)] = pair
    predictions = pd.DataFrame(columns, index=spaxels.index)
    n_params = {name: int(model.n_params_) for name, model in fitted.items()}
    return FittedModels(fitted, predictions, n_params, failed)


#: Model sets the analysis cannot do without (the final sample needs their predictions).
REQUIRED_MODELS = ("base", "SFH")


def _try_fit(model, X, y):
    """The fitted model, or the one-line reason it cannot be fitted on this sample."""
    try:
        return model.fit(X, y)
    except ValueError as exc:
        return " ".join(str(exc).split())
