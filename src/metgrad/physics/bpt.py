"""BPT [NII] diagram classification: Kauffmann et al. (2003) and Kewley et al. (2001).

Both demarcations are curves ``log([OIII]5008/Hbeta) = a / (log([NII]6585/Halpha) - b) + c``
that diverge at ``log([NII]/Halpha) = b``; a point counts as below a curve only on the
left of that asymptote.
"""

import numpy as np

from ._arrays import as_float, finite, positive_finite, to_output

__all__ = [
    "is_below_kewley01",
    "is_star_forming_k03",
    "kauffmann03_curve",
    "kewley01_curve",
]

# (a, b, c) of log(OIII/Hb) = a / (log(NII/Ha) - b) + c
_KAUFFMANN03 = (0.61, 0.05, 1.30)
_KEWLEY01 = (0.61, 0.47, 1.19)


def _curve(log_nii_ha, coefficients):
    """Evaluate a demarcation curve; NaN at and right of its asymptote."""
    a, b, c = coefficients
    x = as_float(log_nii_ha)
    with np.errstate(all="ignore"):
        valid = np.isfinite(x) & (x < b)
        y = a / (x - b) + c
    return to_output(y, valid)


def kauffmann03_curve(log_nii_ha):
    """
    Kauffmann et al. (2003) star-forming boundary on the BPT [NII] diagram.

    Parameters
    ----------
    log_nii_ha : float or array_like
        log10([NII]6585 / Halpha).

    Returns
    -------
    log_oiii_hb : `numpy.float64` or `~numpy.ndarray`
        ``0.61 / (log_nii_ha - 0.05) + 1.3``; NaN for log_nii_ha >= 0.05 (the
        asymptote) or non-finite input.

    References
    ----------
    .. [1] Kauffmann, G., et al. 2003, MNRAS, 346, 1055, eq. 1

    Examples
    --------
    >>> from metgrad.physics import kauffmann03_curve
    >>> print(f"{kauffmann03_curve(-0.56):.3f}")
    0.300
    """
    return _curve(log_nii_ha, _KAUFFMANN03)


def kewley01_curve(log_nii_ha):
    """
    Kewley et al. (2001) theoretical maximum-starburst line on the BPT [NII] diagram.

    Parameters
    ----------
    log_nii_ha : float or array_like
        log10([NII]6585 / Halpha).

    Returns
    -------
    log_oiii_hb : `numpy.float64` or `~numpy.ndarray`
        ``0.61 / (log_nii_ha - 0.47) + 1.19``; NaN for log_nii_ha >= 0.47 (the
        asymptote) or non-finite input.

    References
    ----------
    .. [1] Kewley, L. J., et al. 2001, ApJ, 556, 121

    Examples
    --------
    >>> from metgrad.physics import kewley01_curve
    >>> print(f"{kewley01_curve(-0.14):.3f}")
    0.190
    """
    return _curve(log_nii_ha, _KEWLEY01)


def _is_below(nii6585, ha, oiii5008, hb, coefficients):
    """True where the point lies strictly below ``coefficients``' curve, left of it."""
    fluxes = [as_float(f) for f in (nii6585, ha, oiii5008, hb)]
    valid = positive_finite(*fluxes)
    nii, halpha, oiii, hbeta = fluxes
    with np.errstate(all="ignore"):
        x = np.log10(nii / halpha)
        y = np.log10(oiii / hbeta)
        curve = _curve(x, coefficients)
        below = valid & finite(curve) & (y < curve)
    return np.asarray(below)[()]


def is_star_forming_k03(nii6585, ha, oiii5008, hb):
    """
    Whether a spectrum is star-forming by the Kauffmann et al. (2003) BPT criterion.

    Parameters
    ----------
    nii6585, ha, oiii5008, hb : float or array_like
        [NII] 6585, Halpha, [OIII] 5008 and Hbeta fluxes (one unit; dust correction
        hardly matters, as both ratios are of lines close in wavelength).

    Returns
    -------
    star_forming : `numpy.bool_` or `~numpy.ndarray` of bool
        True where ``log([OIII]/Hbeta) < 0.61 / (log([NII]/Halpha) - 0.05) + 1.3``
        and ``log([NII]/Halpha) < 0.05``. False where a flux is non-finite or <= 0
        (an unmeasured spaxel cannot be classified as star-forming).

    Notes
    -----
    Points exactly on the curve are not star-forming. The second condition removes
    the branch of the hyperbola right of its asymptote, where points with low
    [OIII]/Hbeta would otherwise count as "below" the curve.

    References
    ----------
    .. [1] Kauffmann, G., et al. 2003, MNRAS, 346, 1055

    Examples
    --------
    >>> from metgrad.physics import is_star_forming_k03
    >>> bool(is_star_forming_k03(0.3, 1.0, 1.0, 1.0))
    True
    """
    return _is_below(nii6585, ha, oiii5008, hb, _KAUFFMANN03)


def is_below_kewley01(nii6585, ha, oiii5008, hb):
    """
    Whether a spectrum lies below the Kewley et al. (2001) maximum-starburst line.

    Parameters
    ----------
    nii6585, ha, oiii5008, hb : float or array_like
        [NII] 6585, Halpha, [OIII] 5008 and Hbeta fluxes (one unit).

    Returns
    -------
    below : `numpy.bool_` or `~numpy.ndarray` of bool
        True where ``log([OIII]/Hbeta) < 0.61 / (log([NII]/Halpha) - 0.47) + 1.19``
        and ``log([NII]/Halpha) < 0.47``; False for non-finite or non-positive fluxes.
        Points below this line but above :func:`is_star_forming_k03`'s are the
        "composite" class. Not used by the Boardman et al. (2022) selection.

    References
    ----------
    .. [1] Kewley, L. J., et al. 2001, ApJ, 556, 121

    Examples
    --------
    >>> from metgrad.physics import is_below_kewley01
    >>> bool(is_below_kewley01(0.3, 1.0, 1.0, 1.0))
    True
    """
    return _is_below(nii6585, ha, oiii5008, hb, _KEWLEY01)
