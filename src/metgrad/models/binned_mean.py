"""Mean of a target in 2-D bins, LOESS-smoothed over the bin centres: the paper's base model.

Boardman et al. (2022, §3.1) predict a spaxel's metallicity as the weakly smoothed mean
metallicity of its bin in the (log M*, log Sigma_*) plane; their SFH-type corrections
(§3.2, Appendix A) do the same with base-model residuals in other planes. Both are
:class:`BinnedMeanModel` (for metallicities) and
:class:`~metgrad.models.BinnedResidualCorrection` (for residuals), which share the
implementation here.
"""

from __future__ import annotations

import math

import numpy as np

from ..stats.binned import binned_statistics_2d
from ..stats.loess import loess_2d
from ._estimator import MetallicityEstimator, check_is_fitted
from ._inputs import checked_min_count, feature_matrix, target_vector

__all__ = ["BinnedMeanModel"]

#: A degree-1 local fit has 3 coefficients and its farthest neighbour has zero weight.
_MIN_LOESS_NEIGHBOURS = 4


class SmoothedBinnedMean(MetallicityEstimator):
    """Shared fit/predict of the 2-D binned-mean models (not public: use the subclasses)."""

    _target_name = "y"

    def _validated_params(self):
        features = () if isinstance(self.features, str) else tuple(self.features)
        if len(features) != 2 or not all(isinstance(f, str) for f in features):
            raise ValueError(f"features must be two column names, got {self.features!r}")
        try:
            widths = tuple(float(w) for w in np.atleast_1d(self.widths))
        except (TypeError, ValueError):
            widths = ()
        if len(widths) != 2 or not all(np.isfinite(w) and w > 0 for w in widths):
            raise ValueError(f"widths must be two positive bin widths, got {self.widths!r}")
        checked_min_count(self.min_count)
        if self.loess_frac is not None and not 0.0 < float(self.loess_frac) <= 1.0:
            raise ValueError(f"loess_frac must be in (0, 1] or None, got {self.loess_frac!r}")
        return features, widths

    def fit(self, X, y):
        """Bin the target, keep well-populated bins and smooth their means.

        Parameters
        ----------
        X : pandas.DataFrame
            Spaxel table with the two ``features`` columns.
        y : array_like, shape (n_spaxels,)
            Target (dex). Spaxels with NaN in ``y`` or in a feature are left out.

        Returns
        -------
        self
            The fitted model.

        Raises
        ------
        ValueError
            If the parameters or inputs are invalid, no bin has ``min_count`` spaxels,
            or LOESS is asked for with fewer than 4 kept bins.
        """
        features, widths = self._validated_params()
        coords = feature_matrix(X, features)
        target = target_vector(y, coords.shape[0], self._target_name)
        bins = binned_statistics_2d(
            coords[:, 0], coords[:, 1], target, widths, min_count=int(self.min_count),
            with_median=False,
        )  # fmt: skip
        n_bins = bins.n_bins
        if n_bins == 0:
            raise ValueError(
                f"{type(self).__name__}: no ({features[0]}, {features[1]}) bin of widths "
                f"{widths} has >= {self.min_count} spaxels with finite values"
            )
        centres = np.column_stack(bins.centres)
        if self.loess_frac is None:
            smoothed = np.array(bins.mean, dtype=float)
            npoints = None
        else:
            if n_bins < _MIN_LOESS_NEIGHBOURS:
                raise ValueError(
                    f"{type(self).__name__}: only {n_bins} bin(s) have >= {self.min_count} "
                    f"spaxels; LOESS needs at least {_MIN_LOESS_NEIGHBOURS} "
                    "(use loess_frac=None to skip the smoothing)"
                )
            npoints = min(
                n_bins, max(math.ceil(float(self.loess_frac) * n_bins), _MIN_LOESS_NEIGHBOURS)
            )
            smoothed, _ = loess_2d(
                centres[:, 0],
                centres[:, 1],
                np.asarray(bins.mean, dtype=float),
                degree=1,
                rescale=bool(self.loess_rescale),
                npoints=npoints,
            )
        self.bins_ = bins
        self.bin_centres_ = centres
        self.bin_count_ = np.array(bins.count)
        self.bin_mean_ = np.array(bins.mean, dtype=float)
        self.bin_std_ = np.array(bins.std, dtype=float)
        self.bin_smoothed_ = np.asarray(smoothed, dtype=float)
        self.loess_npoints_ = npoints
        self.n_params_ = int(n_bins)
        return self

    def predict(self, X, *, return_error=False):
        """The smoothed bin mean of each spaxel's bin.

        Parameters
        ----------
        X : pandas.DataFrame
            Spaxel table with the two ``features`` columns.
        return_error : bool, optional
            Keyword only. Also return the error: the (unsmoothed) sample standard
            deviation, ``ddof=1``, of the fitted target values in the spaxel's bin.

        Returns
        -------
        prediction : `~numpy.ndarray`, shape (n_spaxels,)
            In the units of the fitted target (dex). NaN where a feature is NaN or the
            spaxel's bin had fewer than ``min_count`` fitted spaxels (or none).
        error : `~numpy.ndarray`, shape (n_spaxels,)
            Only if ``return_error``; NaN where ``prediction`` is.
        """
        check_is_fitted(self, ["bins_"])
        coords = feature_matrix(X, tuple(self.features))
        rows = self.bins_.rows_of(coords[:, 0], coords[:, 1])
        found = rows >= 0
        prediction = np.where(found, self.bin_smoothed_[rows], np.nan)
        if not return_error:
            return prediction
        return prediction, np.where(found, self.bin_std_[rows], np.nan)


class BinnedMeanModel(SmoothedBinnedMean):
    """Smoothed mean metallicity in 2-D bins: the base model of Boardman et al. (2022).

    The spaxels are binned on a regular grid of two features (edges at multiples of the
    widths from 0, e.g. [10.00, 10.05) dex in log M*); bins with at least ``min_count``
    spaxels are kept and their mean metallicities are smoothed by a degree-1 LOESS over
    the kept bins' centres. A spaxel's prediction is the smoothed value of its bin.

    Parameters
    ----------
    features : (str, str), optional
        Columns of the spaxel table to bin on. Default ``("log_mstar",
        "log_sigma_star")``: galaxy log10 M*/Msun and spaxel log10 Sigma_* (Msun/kpc^2).
    widths : (float, float), optional
        Bin widths along the two features, in their units. Default (0.05, 0.05) dex.
    min_count : int, optional
        Minimum number of spaxels for a bin to be used. Default 10.
    loess_frac : float or None, optional
        Fraction of the kept bins in each local LOESS fit. Default 0.02 (the "nearest
        2 % of bins" of the paper). None: no smoothing (the prediction is the bin mean).
    loess_rescale : bool, optional
        LOESS ``rescale`` option (rotate and scale the plane of bin centres to unit
        robust spread along its principal axes). Default True, as in the paper.

    Attributes
    ----------
    bins_ : `~metgrad.stats.binned.BinnedStatistics`
        Statistics of the kept bins (rows sorted by bin number); used to look up bins.
    bin_centres_ : `~numpy.ndarray`, shape (n_bins, 2)
        Centres of the kept bins, units of the features.
    bin_count_ : `~numpy.ndarray` of int, shape (n_bins,)
        Spaxels per kept bin.
    bin_mean_, bin_std_ : `~numpy.ndarray`, shape (n_bins,)
        Mean and sample standard deviation (``ddof=1``) of the target per bin (dex).
    bin_smoothed_ : `~numpy.ndarray`, shape (n_bins,)
        LOESS-smoothed bin means (dex): the predictions.
    loess_npoints_ : int or None
        Neighbours in each local fit (None if not smoothed).
    n_params_ : int
        Number of bins used: the model's ``k`` in the BIC.

    Notes
    -----
    The LOESS (`~metgrad.stats.loess.loess_2d`, ``degree=1``, robust iterations as in
    Cappellari's ``loess_2d``) uses ``ceil(loess_frac * n_bins)`` neighbours, but at
    least 4 (the fewest a degree-1 local fit accepts) and at most ``n_bins``; for the
    paper's ~2000 bins this is exactly ``frac * n``. Smoothing fewer than 4 bins is an
    error. The error of a prediction is the unsmoothed standard deviation of the
    metallicities in the bin (§3.1), NaN for a bin of one spaxel.

    References
    ----------
    .. [1] Boardman, N. et al. 2022, MNRAS, "How well do local relations predict
       gas-phase metallicity gradients? Results from SDSS-IV MaNGA", §3.1

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"log_mstar": [10.01, 10.02, 10.06, 10.07],
    ...                   "log_sigma_star": [8.01, 8.02, 8.01, 8.02]})
    >>> model = BinnedMeanModel(min_count=2, loess_frac=None).fit(X, [8.5, 8.6, 8.7, 8.8])
    >>> model.predict(X)
    array([8.55, 8.55, 8.75, 8.75])
    >>> model.n_params_
    2
    """

    def __init__(
        self,
        features=("log_mstar", "log_sigma_star"),
        widths=(0.05, 0.05),
        min_count=10,
        loess_frac=0.02,
        loess_rescale=True,
    ):
        self.features = features
        self.widths = widths
        self.min_count = min_count
        self.loess_frac = loess_frac
        self.loess_rescale = loess_rescale
