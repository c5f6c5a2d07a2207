"""The estimator base of the metallicity models: scikit-learn's contract and machinery.

The models follow the scikit-learn estimator contract (``__init__`` only stores its
keyword arguments, ``fit`` returns ``self``, learned state lives in attributes whose
names end in ``_``) and build on :class:`sklearn.base.BaseEstimator` and
:class:`sklearn.base.RegressorMixin`, so ``get_params`` / ``set_params`` (with
``outer__inner`` names), :func:`clone`, :func:`check_is_fitted`, pipelines and
model-selection tools work on them as on any scikit-learn regressor.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

__all__ = ["MetallicityEstimator", "NotFittedError", "check_is_fitted", "clone"]


class MetallicityEstimator(RegressorMixin, BaseEstimator):
    """Base of the binned metallicity models: a scikit-learn regressor.

    Subclasses implement ``fit(X, y)`` and ``predict(X, return_error=False)``, where
    ``X`` is a spaxel table (:class:`pandas.DataFrame` with named columns) and the
    prediction is NaN where the model has none (outside its populated bins).
    """

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R^2 over the spaxels the model predicts.

        Parameters
        ----------
        X : pandas.DataFrame
            Spaxel table.
        y : array_like, shape (n_spaxels,)
            Observed values (dex).
        sample_weight : array_like, optional
            Weights of the spaxels.

        Returns
        -------
        float
            R^2 of the finite predictions (NaN if there are fewer than 2).
        """
        from sklearn.metrics import r2_score

        prediction = np.asarray(self.predict(X), dtype=float)
        y = np.asarray(y, dtype=float)
        ok = np.isfinite(prediction) & np.isfinite(y)
        if ok.sum() < 2:
            return float("nan")
        weight = None if sample_weight is None else np.asarray(sample_weight)[ok]
        return float(r2_score(y[ok], prediction[ok], sample_weight=weight))
