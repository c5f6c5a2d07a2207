"""Goodness of fit of metallicity models: residual dispersion, chi2 and BIC.

The comparison of Boardman et al. (2022, §3.2, Tables 1 and A1): every model is scored
on the same spaxels, those that all compared models predict; the residual dispersion is
IDL ``ROBUST_SIGMA`` of observed minus model metallicities; chi2 uses the measurement
errors alone; ``BIC = chi2 + k ln n`` with ``k`` the number of bins a model uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats.robust import robust_sigma
from ._estimator import check_is_fitted

__all__ = ["METRIC_COLUMNS", "common_spaxels", "evaluate_models", "model_metrics"]

#: Columns of the table returned by `model_metrics` (its index is the model name).
METRIC_COLUMNS = (
    "n",
    "median_residual",
    "residual_dispersion",
    "chi2",
    "k",
    "ln_n",
    "bic",
)


def common_spaxels(y, y_err, predictions):
    """Spaxels with a usable measurement that every model predicts.

    Parameters
    ----------
    y, y_err : array_like, shape (n_spaxels,)
        Observed 12+log(O/H) and its 1-sigma measurement error (dex).
    predictions : dict of str to array_like or (array_like, array_like)
        Model name -> prediction (dex), or -> ``(prediction, error)`` as returned by
        ``predict(X, return_error=True)``.

    Returns
    -------
    mask : `~numpy.ndarray` of bool, shape (n_spaxels,)
        True where ``y`` and ``y_err`` are finite, ``y_err > 0`` and every prediction
        is finite.
    """
    y, y_err = _observed(y, y_err)
    mask = np.isfinite(y) & np.isfinite(y_err)
    with np.errstate(invalid="ignore"):
        mask &= y_err > 0
    for name, value in predictions.items():
        mask &= np.isfinite(_prediction(name, value, y.size))
    return mask


def model_metrics(y, y_err, predictions, n_params):
    """Residual statistics, chi2 and BIC of several models on their common spaxels.

    Parameters
    ----------
    y : array_like, shape (n_spaxels,)
        Observed 12+log(O/H) (dex).
    y_err : array_like, shape (n_spaxels,)
        1-sigma measurement errors of ``y`` (dex), without calibrator scatter.
    predictions : dict of str to array_like or (array_like, array_like)
        Model name -> prediction (dex), or -> ``(prediction, error)``; the model errors
        are not used.
    n_params : dict of str to int
        Model name -> number of parameters ``k`` (bins used, e.g. ``model.n_params_``).

    Returns
    -------
    table : `pandas.DataFrame`
        One row per model, in the order of ``predictions``, indexed by name
        (``model``), with the columns of `METRIC_COLUMNS`:

        - ``n``: spaxels used (the same for every row);
        - ``median_residual``: median of ``y - prediction`` (dex);
        - ``residual_dispersion``: ``robust_sigma`` of the residuals about their
          median (dex), the paper's "residual dispersion";
        - ``chi2``: ``sum((y - prediction)**2 / y_err**2)``;
        - ``k``: ``n_params[name]``;
        - ``ln_n``: natural log of ``n``;
        - ``bic``: ``chi2 + k * ln_n``.

    Raises
    ------
    ValueError
        If no model is given, a model has no ``n_params`` entry, the arrays differ in
        length, or no spaxel is common to all models.

    Notes
    -----
    Restricting to the common spaxels makes the chi2 and BIC comparable between models
    (the paper's n = 847025 for Table 1).

    Examples
    --------
    >>> table = model_metrics([8.0, 9.0, 10.0], [0.5, 0.5, 0.5],
    ...                       {"flat": [9.0, 9.0, 9.0]}, {"flat": 1})
    >>> float(table.loc["flat", "chi2"])  # (1**2 + 0 + 1**2) / 0.5**2
    8.0
    """
    if not predictions:
        raise ValueError("model_metrics: no model predictions given")
    missing = [name for name in predictions if name not in n_params]
    if missing:
        raise ValueError(f"model_metrics: no n_params for model(s) {missing}")
    y, y_err = _observed(y, y_err)
    mask = common_spaxels(y, y_err, predictions)
    n = int(mask.sum())
    if n == 0:
        raise ValueError(
            f"model_metrics: no spaxel has a measurement and a prediction from every model "
            f"({list(predictions)})"
        )
    ln_n = float(np.log(n))
    observed, error = y[mask], y_err[mask]
    rows = {}
    for name, value in predictions.items():
        residual = observed - _prediction(name, value, y.size)[mask]
        chi2 = float(np.sum((residual / error) ** 2))
        k = int(n_params[name])
        rows[name] = {
            "n": n,
            "median_residual": float(np.median(residual)),
            "residual_dispersion": float(robust_sigma(residual)),
            "chi2": chi2,
            "k": k,
            "ln_n": ln_n,
            "bic": chi2 + k * ln_n,
        }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(METRIC_COLUMNS))
    table.index.name = "model"
    return table


def evaluate_models(models, X, y, y_err):
    """Predict with fitted models and compare them with `model_metrics`.

    Parameters
    ----------
    models : dict of str to fitted estimator
        Model name -> fitted model with ``predict(X, return_error=True)`` and
        ``n_params_``.
    X : pandas.DataFrame
        Spaxel table.
    y, y_err : array_like, shape (n_spaxels,)
        Observed 12+log(O/H) and its measurement error (dex).

    Returns
    -------
    table : `pandas.DataFrame`
        As `model_metrics`.
    predictions : dict of str to (ndarray, ndarray)
        Model name -> ``(prediction, error)`` for every spaxel (dex).
    """
    predictions = {}
    n_params = {}
    for name, model in models.items():
        check_is_fitted(model, ["n_params_"])
        predictions[name] = model.predict(X, return_error=True)
        n_params[name] = model.n_params_
    return model_metrics(y, y_err, predictions, n_params), predictions


def _observed(y, y_err):
    y = np.asarray(y, dtype=float)
    y_err = np.asarray(y_err, dtype=float)
    if y.ndim != 1 or y_err.shape != y.shape:
        raise ValueError(
            f"y and y_err must be 1-D of one length, got shapes {y.shape} and {y_err.shape}"
        )
    return y, y_err


def _prediction(name, value, n_spaxels):
    """The prediction array of one entry of ``predictions`` (dropping any error)."""
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(
                f"predictions[{name!r}] must be an array or a (prediction, error) pair"
            )
        value = value[0]
    prediction = np.asarray(value, dtype=float)
    if prediction.shape != (n_spaxels,):
        raise ValueError(
            f"predictions[{name!r}] has shape {prediction.shape}, expected ({n_spaxels},)"
        )
    return prediction
