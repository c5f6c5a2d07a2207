"""The models ``learn`` compares: the paper's binned models and gradient-boosted trees.

Every model is described by a :class:`ModelSpec` and built fresh for each fold
by :func:`build_model`; all expose ``fit(frame, y, sample_weight=None)`` and
``predict(frame)`` (NaN where the model has no prediction).

The learner is scikit-learn's
:class:`~sklearn.ensemble.HistGradientBoostingRegressor` (squared error, a fixed
number of iterations: its built-in early stopping would hold out a random
subset of *spaxels*, which leaks between neighbours exactly as the random split
this stage avoids). Where ``[learn] monotonic`` is set, predictions may only
rise with the features of :data:`~metgrad.learn.features.MONOTONIC`.

Both defaults were measured on the synthetic survey of the truth tests (150
galaxies, learn seed 1, 100 trees), held out by galaxy:

- weights (``[learn] weighting``): inverse-variance weights 1 / (error^2 +
  intrinsic^2) left the held-out robust dispersion of the radius-aware model
  unchanged (0.0305 dex), lowered its chi2 per spaxel (9.14 -> 8.94: chi2 is the
  weighted objective) and widened its gradient offsets (0.0210 -> 0.0227
  dex/R_e): the scatter is mostly intrinsic, not measurement, so the unweighted
  fit is the better estimator of the metallicity and the default;
- monotonic constraints: without them the local model's dispersion rose from
  0.0323 to 0.0333 dex and the escape-velocity model's offset dispersion from
  0.0220 to 0.0239 dex/R_e (the radius-aware model moved by < 0.001): on by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from ..config import LearnConfig, ModelConfig
from ..models import MODEL_SETS
from .features import FEATURE_SETS, MONOTONIC

__all__ = ["BINNED_MODELS", "BoostedTrees", "ModelSpec", "build_model", "model_specs"]

#: The paper's binned models refitted on each training fold.
BINNED_MODELS = ("base", "SFH")
#: Their features (the spaxel-table columns they bin).
_BINNED_FEATURES = {
    "base": ("log_mstar", "log_sigma_star"),
    "SFH": ("log_mstar", "log_sigma_star", "d4000", "log_age_lw"),
}


@dataclass(frozen=True)
class ModelSpec:
    """One compared model.

    Attributes
    ----------
    name : str
        Row name in the outputs (``base``, ``SFH``, ``learned_local``, ...).
    kind : str
        ``'binned'`` (the paper's) or ``'learned'``.
    features : tuple of str
        Spaxel-table columns it uses.
    """

    name: str
    kind: str
    features: tuple[str, ...]


def model_specs(*, with_potential: bool = True) -> list[ModelSpec]:
    """The compared models, binned first; the escape-velocity model only when available."""
    specs = [ModelSpec(name, "binned", _BINNED_FEATURES[name]) for name in BINNED_MODELS]
    for name, features in FEATURE_SETS.items():
        if with_potential or "v_esc" not in features:
            specs.append(ModelSpec(name, "learned", features))
    return specs


class BoostedTrees:
    """Gradient-boosted regression trees on named spaxel-table columns.

    Parameters
    ----------
    features : tuple of str
        Columns used, in this order.
    config : LearnConfig
        Tree options (``max_iter``, ``learning_rate``, ``max_leaf_nodes``,
        ``min_samples_leaf``, ``monotonic``) and the seed.
    """

    def __init__(self, features: tuple[str, ...], config: LearnConfig):
        self.features = tuple(features)
        cst = [MONOTONIC.get(f, 0) if config.monotonic else 0 for f in self.features]
        self.regressor = HistGradientBoostingRegressor(
            max_iter=config.max_iter,
            learning_rate=config.learning_rate,
            max_leaf_nodes=config.max_leaf_nodes,
            min_samples_leaf=config.min_samples_leaf,
            monotonic_cst=cst,
            early_stopping=False,
            random_state=config.seed,
        )

    def _matrix(self, frame: pd.DataFrame) -> np.ndarray:
        return frame[list(self.features)].to_numpy(dtype=np.float64)

    def fit(self, frame: pd.DataFrame, y, sample_weight=None) -> BoostedTrees:
        """Fit on the spaxels of ``frame`` (NaN features are allowed: the trees route them)."""
        self.regressor.fit(self._matrix(frame), np.asarray(y, dtype=float), sample_weight)
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted 12+log(O/H) (dex) of every spaxel of ``frame``."""
        return self.regressor.predict(self._matrix(frame))


class _Binned:
    """A paper model with the ``fit``/``predict`` of :class:`BoostedTrees`."""

    def __init__(self, name: str, models: ModelConfig):
        self.model = MODEL_SETS[name].build(models)

    def fit(self, frame: pd.DataFrame, y, sample_weight=None) -> _Binned:
        """Fit the bins (the paper's models take no weights)."""
        self.model.fit(frame, np.asarray(y, dtype=float))
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted 12+log(O/H) (dex); NaN outside the training fold's bins."""
        return np.asarray(self.model.predict(frame), dtype=float)


def build_model(spec: ModelSpec, *, learn: LearnConfig, models: ModelConfig):
    """A new, unfitted model of ``spec``."""
    if spec.kind == "binned":
        return _Binned(spec.name, models)
    if spec.kind == "learned":
        return BoostedTrees(spec.features, learn)
    raise ValueError(f"unknown model kind {spec.kind!r} of {spec.name}")
