"""A base model plus an additive correction fitted on its residuals."""

from __future__ import annotations

import numpy as np

from ._estimator import MetallicityEstimator, check_is_fitted, clone
from ._inputs import target_vector

__all__ = ["CorrectedModel"]


class CorrectedModel(MetallicityEstimator):
    """Base model plus a correction fitted on the base residuals (Boardman et al. §3.2).

    Parameters
    ----------
    base : estimator
        The base model, e.g. :class:`~metgrad.models.BinnedMeanModel`; cloned, not
        modified, by ``fit``.
    correction : estimator
        The residual model, e.g. :class:`~metgrad.models.MedianResidualCorrection` or
        :class:`~metgrad.models.BinnedResidualCorrection`; cloned by ``fit``.
    prefit_base : bool, optional
        If True, ``base`` is already fitted (on the same spaxels and metallicities
        that ``fit`` receives) and is used as it is: several model sets sharing one
        base fit it once (as scikit-learn's ``prefit`` options do). Default False:
        ``fit`` fits a clone of ``base``.

    Attributes
    ----------
    base_ : estimator
        The fitted base model (on every spaxel).
    correction_ : estimator
        The fitted correction (on the spaxels that the base model predicts).
    n_params_ : int
        Bins of the base plus bins of the correction: the paper's ``k`` for the BIC.

    Notes
    -----
    ``fit(X, y)`` fits the base on all spaxels, forms ``residual = y - base.predict(X)``
    (NaN where the base has no prediction) and fits the correction on it. The
    prediction is ``base + correction`` and its error is the two errors in quadrature;
    either being NaN gives NaN.

    Examples
    --------
    >>> from metgrad.models import BinnedMeanModel, BinnedResidualCorrection
    >>> model = CorrectedModel(
    ...     BinnedMeanModel(),
    ...     BinnedResidualCorrection(("d4000", "log_age_lw"), (0.01, 0.025)),
    ... )
    >>> model.get_params()["correction__widths"]
    (0.01, 0.025)
    """

    def __init__(self, base, correction, prefit_base=False):
        self.base = base
        self.correction = correction
        self.prefit_base = prefit_base

    def fit(self, X, y):
        """Fit the base on ``(X, y)``, then the correction on the base residuals.

        Parameters
        ----------
        X : pandas.DataFrame
            Spaxel table with the columns both models use.
        y : array_like, shape (n_spaxels,)
            Observed 12+log(O/H) (dex); NaN spaxels are left out.

        Returns
        -------
        self
            The fitted model.

        Raises
        ------
        NotFittedError
            If ``prefit_base`` is True and ``base`` is not fitted.
        """
        if self.prefit_base:
            check_is_fitted(self.base, ["n_params_"])
            base = self.base
        else:
            base = clone(self.base).fit(X, y)
        base_prediction = base.predict(X)
        residual = target_vector(y, base_prediction.size) - base_prediction
        correction = clone(self.correction).fit(X, residual)
        self.base_ = base
        self.correction_ = correction
        self.n_params_ = int(base.n_params_) + int(correction.n_params_)
        return self

    def predict(self, X, *, return_error=False):
        """Base prediction plus correction.

        Parameters
        ----------
        X : pandas.DataFrame
            Spaxel table with the columns both models use.
        return_error : bool, optional
            Keyword only. Also return the error: ``hypot(base error, correction
            error)``.

        Returns
        -------
        prediction : `~numpy.ndarray`, shape (n_spaxels,)
            12+log(O/H) (dex); NaN where either part has no value.
        error : `~numpy.ndarray`, shape (n_spaxels,)
            Only if ``return_error``.
        """
        check_is_fitted(self, ["base_", "correction_"])
        if not return_error:
            return self.base_.predict(X) + self.correction_.predict(X)
        base, base_error = self.base_.predict(X, return_error=True)
        correction, correction_error = self.correction_.predict(X, return_error=True)
        return base + correction, np.hypot(base_error, correction_error)
