"""Corrections to a base model from its residuals in one or two other quantities.

Boardman et al. (2022, §3.2) extend the base model with an additive correction: the
median base residual in 1-D bins of D4000 or log EW(Halpha), interpolated linearly
between bin centres (:class:`MedianResidualCorrection`), or the smoothed mean base
residual in 2-D bins of (D4000, log t_LW) or (log EW(Halpha), log t_LW)
(:class:`BinnedResidualCorrection`). Both are fitted on ``(X, residual)`` with
``residual = y - base prediction``; :class:`~metgrad.models.CorrectedModel` does that.
"""

from __future__ import annotations

import numpy as np

from ..stats.binned import binned_statistics_1d
from ..stats.robust import robust_sigma
from ._estimator import MetallicityEstimator, check_is_fitted
from ._inputs import checked_min_count, feature_matrix, target_vector
from .binned_mean import SmoothedBinnedMean

__all__ = ["BinnedResidualCorrection", "MedianResidualCorrection"]

#: Values within this many bin widths outside the outer centres count as on them (a
#: centre such as 1.025 is not exact in binary: (20 + 0.5) * 0.05 = 1.0250000000000001).
_CENTRE_TOLERANCE = 1.0e-9


class MedianResidualCorrection(MetallicityEstimator):
    """Median residual in 1-D bins of one feature, interpolated linearly between bins.

    Parameters
    ----------
    feature : str
        Column of the spaxel table to bin on, e.g. ``"d4000"`` or ``"log_ew_ha"``
        (log10 EW(Halpha)/Angstrom).
    width : float
        Bin width in the units of ``feature`` (the paper: 0.05 in D4000, 0.1 dex in
        log EW(Halpha)). Bin edges are multiples of ``width`` from 0.
    min_count : int, optional
        Minimum number of spaxels for a bin to be used. Default 100.

    Attributes
    ----------
    bins_ : `~metgrad.stats.binned.BinnedStatistics`
        Statistics of the kept bins, sorted by bin number.
    bin_centres_ : `~numpy.ndarray`, shape (n_bins,)
        Centres of the kept bins (units of ``feature``), increasing.
    bin_count_ : `~numpy.ndarray` of int, shape (n_bins,)
        Spaxels per kept bin.
    bin_median_ : `~numpy.ndarray`, shape (n_bins,)
        Median residual per kept bin (dex).
    bin_scatter_ : `~numpy.ndarray`, shape (n_bins,)
        `~metgrad.stats.robust_sigma` of the residuals per kept bin, about their
        median (dex).
    n_params_ : int
        Number of bins used.

    Notes
    -----
    The correction at a spaxel is ``np.interp`` of the kept bins' median residuals at
    its feature value. Spaxels beyond the outermost kept bin centres ("beyond the
    bracketing bins' midpoints", §3.2; up to 1e-9 bin widths of rounding allowed), or
    with a NaN feature, get NaN. Kept bins need
    not be adjacent: the interpolation runs across empty or thin bins between them.

    The error of the correction is the residual scatter of the bins, interpolated the
    same way. The paper does not say which dispersion; we take IDL ``ROBUST_SIGMA``
    about the bin median (the paper computes every dispersion with it, and its
    Figure 6 shows these medians with their dispersions).

    References
    ----------
    .. [1] Boardman, N. et al. 2022, MNRAS, §3.2 ("D4000" and "EW(Halpha)" models)

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"d4000": [1.01, 1.02, 1.03, 1.11, 1.12, 1.13]})
    >>> correction = MedianResidualCorrection("d4000", 0.05, min_count=3)
    >>> correction = correction.fit(X, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    >>> correction.bin_centres_, correction.bin_median_
    (array([1.025, 1.125]), array([0.1, 0.4]))
    >>> correction.predict(pd.DataFrame({"d4000": [1.0, 1.075, 1.125]}))
    array([ nan, 0.25, 0.4 ])
    """

    def __init__(self, feature, width, min_count=100):
        self.feature = feature
        self.width = width
        self.min_count = min_count

    def fit(self, X, y):
        """Median and robust scatter of the residuals in 1-D bins.

        Parameters
        ----------
        X : pandas.DataFrame
            Spaxel table with the ``feature`` column.
        y : array_like, shape (n_spaxels,)
            Base-model residuals, observed minus predicted (dex); NaN where the base
            model has no prediction (those spaxels are left out).

        Returns
        -------
        self
            The fitted correction.

        Raises
        ------
        ValueError
            If the parameters or inputs are invalid, or no bin has ``min_count``
            spaxels.
        """
        if not isinstance(self.feature, str):
            raise ValueError(f"feature must be a column name, got {self.feature!r}")
        checked_min_count(self.min_count)
        x = feature_matrix(X, (self.feature,))[:, 0]
        residual = target_vector(y, x.size, "residual")
        bins = binned_statistics_1d(x, residual, self.width, min_count=int(self.min_count))
        if bins.n_bins == 0:
            raise ValueError(
                f"{type(self).__name__}: no {self.feature!r} bin of width {self.width} has "
                f">= {self.min_count} spaxels with finite residuals"
            )
        self.bins_ = bins
        self.bin_centres_ = np.array(bins.centres[0], dtype=float)
        self.bin_count_ = np.array(bins.count)
        self.bin_median_ = np.array(bins.median, dtype=float)
        self.bin_scatter_ = _robust_sigma_by_row(residual, bins.point_row, bins.count)
        self.n_params_ = int(bins.n_bins)
        return self

    def predict(self, X, *, return_error=False):
        """The interpolated median residual at each spaxel.

        Parameters
        ----------
        X : pandas.DataFrame
            Spaxel table with the ``feature`` column.
        return_error : bool, optional
            Keyword only. Also return the interpolated bin scatter.

        Returns
        -------
        correction : `~numpy.ndarray`, shape (n_spaxels,)
            Additive correction (dex); NaN outside the kept bin centres or where the
            feature is NaN.
        error : `~numpy.ndarray`, shape (n_spaxels,)
            Only if ``return_error``; NaN where ``correction`` is.
        """
        check_is_fitted(self, ["bins_"])
        x = feature_matrix(X, (self.feature,))[:, 0]
        centres = self.bin_centres_
        slack = _CENTRE_TOLERANCE * float(self.bins_.width[0])
        with np.errstate(invalid="ignore"):
            inside = (x >= centres[0] - slack) & (x <= centres[-1] + slack)
        x_inside = np.clip(np.where(inside, x, centres[0]), centres[0], centres[-1])
        correction = np.where(inside, np.interp(x_inside, centres, self.bin_median_), np.nan)
        if not return_error:
            return correction
        error = np.where(inside, np.interp(x_inside, centres, self.bin_scatter_), np.nan)
        return correction, error


class BinnedResidualCorrection(SmoothedBinnedMean):
    """Smoothed mean residual in 2-D bins: the SFH-type corrections of Boardman et al.

    Identical in method to :class:`~metgrad.models.BinnedMeanModel`, applied to base
    residuals: the mean residual in each 2-D bin with at least ``min_count`` spaxels,
    smoothed by a degree-1 LOESS over the kept bin centres; the correction at a spaxel
    is the smoothed value of its bin, and its error the (unsmoothed) sample standard
    deviation, ``ddof=1``, of the residuals in that bin.

    Parameters
    ----------
    features : (str, str)
        Columns to bin on, e.g. ``("d4000", "log_age_lw")`` (log10 t_LW/yr).
    widths : (float, float)
        Bin widths in the units of the features, e.g. (0.01, 0.025).
    min_count : int, optional
        Minimum number of spaxels for a bin to be used. Default 10.
    loess_frac : float or None, optional
        Fraction of the kept bins in each local LOESS fit. Default 0.02 (as the base
        map). None: no smoothing.
    loess_rescale : bool, optional
        LOESS ``rescale`` option. Default True.

    Attributes
    ----------
    bins_, bin_centres_, bin_count_, bin_mean_, bin_std_, bin_smoothed_, \
loess_npoints_, n_params_
        As for :class:`~metgrad.models.BinnedMeanModel`, with residuals (dex) as the
        binned values.

    Notes
    -----
    Spaxels outside the kept bins, or with a NaN feature, get NaN (§3.2: "do not
    assign model metallicities to spaxels outside of considered bins"). See
    :class:`~metgrad.models.BinnedMeanModel` for the LOESS neighbour count.

    References
    ----------
    .. [1] Boardman, N. et al. 2022, MNRAS, §3.2 ("SFH" and "SFH-Halpha" models) and
       Appendix A ("SFH-a" and "SFH-b")
    """

    _target_name = "residual"

    def __init__(self, features, widths, min_count=10, loess_frac=0.02, loess_rescale=True):
        self.features = features
        self.widths = widths
        self.min_count = min_count
        self.loess_frac = loess_frac
        self.loess_rescale = loess_rescale


def _robust_sigma_by_row(values, point_row, count):
    """`robust_sigma` of ``values`` grouped by ``point_row`` (rows ``0..len(count)-1``).

    The groups are laid out as the rows of one NaN-padded array, so that a single
    vectorised ``robust_sigma(..., axis=1)`` call does every bin.
    """
    member = point_row >= 0
    rows = point_row[member]
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    start = np.cumsum(count) - count
    slot = np.arange(rows.size) - start[rows]
    padded = np.full((count.size, int(count.max())), np.nan)
    padded[rows, slot] = values[member][order]
    return np.asarray(robust_sigma(padded, axis=1), dtype=float)
