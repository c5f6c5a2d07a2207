"""Metallicity models as scikit-learn-style estimators, and their comparison metrics.

Boardman et al. (2022, §3 and Appendix A) predict each spaxel's gas-phase metallicity
from local relations, without fitting functional forms:

- :class:`BinnedMeanModel`: smoothed mean metallicity in 2-D bins (the base model,
  log M* x log Sigma_*);
- :class:`MedianResidualCorrection`: median base residual in 1-D bins, linearly
  interpolated (the D4000 and EW(Halpha) models);
- :class:`BinnedResidualCorrection`: smoothed mean base residual in 2-D bins (the SFH
  models);
- :class:`CorrectedModel`: a base model plus a correction;
- :func:`model_set` / :data:`MODEL_SETS` / :func:`model_sets_from_config`: the seven
  named sets (``base``, ``D4000``, ``EW_Ha``, ``SFH``, ``SFH_Ha``, ``SFH_a``,
  ``SFH_b``);
- :func:`model_metrics` / :func:`evaluate_models`: residual dispersion, chi2 and BIC on
  the spaxels every model predicts (Tables 1 and A1).

Every estimator takes a `pandas.DataFrame` of spaxels with named columns; ``fit(X, y)``
returns the estimator, ``predict(X, return_error=False)`` returns the prediction (NaN
where the model has none), or ``(prediction, error)``.

Examples
--------
>>> from metgrad.models import model_set
>>> model_set("SFH")  # doctest: +NORMALIZE_WHITESPACE
CorrectedModel(base=BinnedMeanModel(),
 correction=BinnedResidualCorrection(features=('d4000', 'log_age_lw'),
 widths=(0.01, 0.025)))
"""

from ._estimator import NotFittedError, check_is_fitted, clone
from .binned_mean import BinnedMeanModel
from .composite import CorrectedModel
from .corrections import BinnedResidualCorrection, MedianResidualCorrection
from .metrics import METRIC_COLUMNS, common_spaxels, evaluate_models, model_metrics
from .sets import MODEL_SETS, ModelSet, model_set, model_sets_from_config

__all__ = [
    "METRIC_COLUMNS",
    "MODEL_SETS",
    "BinnedMeanModel",
    "BinnedResidualCorrection",
    "CorrectedModel",
    "MedianResidualCorrection",
    "ModelSet",
    "NotFittedError",
    "check_is_fitted",
    "clone",
    "common_spaxels",
    "evaluate_models",
    "model_metrics",
    "model_set",
    "model_sets_from_config",
]
