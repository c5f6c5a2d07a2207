"""Strong-line gas-phase metallicity calibrators and their propagated errors.

- Marino et al. (2013) O3N2: :func:`oh_o3n2_m13`, :func:`oh_o3n2_m13_error`.
- Pilyugin & Grebel (2016) R calibration: :func:`oh_r_pg16`, :func:`oh_r_pg16_error`.

All fluxes are dust-corrected line fluxes in one common unit (only ratios enter).
The calibrators return the raw value of the published formula, with no masking to
their calibrated ranges; the spaxel selection applies 8.17 <= 12+log(O/H)_M13 <= 8.77
(Boardman et al. 2022, section 2.2).

Errors are first-order (analytic) propagations of independent 1-sigma line-flux
errors, in dex. MaNGA DAP maps give inverse variances: ``error = 1 / sqrt(ivar)``.
The intrinsic scatter of the calibrations is not included (as in the paper's chi^2).
"""

import numpy as np

from ._arrays import as_float, finite, positive_finite, require_positive_scalar, to_output
from .dust import (
    LINE_WAVELENGTHS_VACUUM_AA,
    OII_DOUBLET_WAVELENGTH_VACUUM_AA,
    _balmer_k_difference,
    balmer_ebv,
    calzetti_k,
    deredden,
)

__all__ = [
    "M13_O3N2_INTERCEPT",
    "M13_O3N2_SLOPE",
    "PG16_BRANCH_LOG_N2",
    "PG16_DOUBLET_FACTOR",
    "o3n2_index",
    "oh_o3n2_m13",
    "oh_o3n2_m13_error",
    "oh_r_pg16",
    "oh_r_pg16_error",
    "pg16_log_ratios",
    "pg16_r_calibration",
]

#: Marino et al. (2013) eq. 2 (T_e-based fit): 12+log(O/H) = 8.533 - 0.214 O3N2.
M13_O3N2_INTERCEPT = 8.533
#: Slope of the Marino et al. (2013) eq. 2 O3N2 calibration.
M13_O3N2_SLOPE = -0.214

#: Pilyugin & Grebel (2016) take [OIII]4959 = [OIII]5007/3 and [NII]6548 = [NII]6584/3,
#: so the doublet sums R3 and N2 are 4/3 of the strong line.
PG16_DOUBLET_FACTOR = 4.0 / 3.0
#: log10 N2 at and above which the upper branch (PG16 eq. 4) applies.
PG16_BRANCH_LOG_N2 = -0.6

# PG16 coefficients (c0, cx, cn, d0, dx, dn) of
# 12+log(O/H) = c0 + cx log(R3/R2) + cn log N2 + (d0 + dx log(R3/R2) + dn log N2) log R2
_PG16_UPPER = (8.589, 0.022, 0.399, -0.137, 0.164, 0.589)  # eq. 4, log N2 >= -0.6
_PG16_LOWER = (7.932, 0.944, 0.695, 0.970, -0.291, -0.019)  # eq. 5, log N2 < -0.6

_LN10 = np.log(10.0)
_OII = "OII-doublet"
_WAVELENGTHS_AA = {**LINE_WAVELENGTHS_VACUUM_AA, _OII: OII_DOUBLET_WAVELENGTH_VACUUM_AA}


def o3n2_index(oiii5008, hb, nii6585, ha):
    """
    O3N2 = log10(([OIII]5008 / Hbeta) / ([NII]6585 / Halpha)).

    Parameters
    ----------
    oiii5008, hb, nii6585, ha : float or array_like
        Dust-corrected fluxes of [OIII] 5008, Hbeta, [NII] 6585 and Halpha (one unit).

    Returns
    -------
    o3n2 : `numpy.float64` or `~numpy.ndarray`
        The O3N2 index (dimensionless); NaN where a flux is non-finite or <= 0.
    """
    fluxes = [as_float(f) for f in (oiii5008, hb, nii6585, ha)]
    valid = positive_finite(*fluxes)
    oiii, hbeta, nii, halpha = fluxes
    with np.errstate(all="ignore"):
        index = np.log10((oiii / hbeta) / (nii / halpha))
    return to_output(index, valid)


def oh_o3n2_m13(oiii5008, hb, nii6585, ha):
    """
    12+log(O/H) from the Marino et al. (2013) O3N2 calibration.

    Parameters
    ----------
    oiii5008, hb, nii6585, ha : float or array_like
        Dust-corrected fluxes of [OIII] 5008, Hbeta, [NII] 6585 and Halpha (one unit).

    Returns
    -------
    oh : `numpy.float64` or `~numpy.ndarray`
        12 + log10(O/H) (dex); NaN where a flux is non-finite or <= 0.

    Notes
    -----
    ``12 + log(O/H) = 8.533 - 0.214 O3N2`` (Marino et al. 2013, eq. 2), the fit to
    their T_e-based (direct-method) abundances, which is the fit used by Boardman
    et al. (2022). Marino et al. also give a fit to CALIFA abundances from the ONS
    calibration, ``8.505 - 0.221 O3N2``, which is not used here. The T_e fit is
    calibrated for -1.1 < O3N2 < 1.7; no range mask is applied here (the paper's
    selection keeps 8.17 <= 12+log(O/H) <= 8.77).

    References
    ----------
    .. [1] Marino, R. A., et al. 2013, A&A, 559, A114

    Examples
    --------
    >>> from metgrad.physics import oh_o3n2_m13
    >>> print(f"{oh_o3n2_m13(1.0, 1.0, 0.1, 1.0):.3f}")
    8.319
    """
    return M13_O3N2_INTERCEPT + M13_O3N2_SLOPE * o3n2_index(oiii5008, hb, nii6585, ha)


def pg16_log_ratios(oii_doublet, hb, oiii5008, nii6585):
    """
    The Pilyugin & Grebel (2016) line ratios log10 N2, log10 R2 and log10 R3.

    Parameters
    ----------
    oii_doublet : float or array_like
        Dust-corrected [OII] 3727 + 3729 flux (the sum of the doublet).
    hb, oiii5008, nii6585 : float or array_like
        Dust-corrected Hbeta, [OIII] 5008 and [NII] 6585 fluxes (same unit).

    Returns
    -------
    log_n2, log_r2, log_r3 : `numpy.float64` or `~numpy.ndarray`
        ``log10(4/3 [NII]6585 / Hbeta)``, ``log10([OII]3727+3729 / Hbeta)`` and
        ``log10(4/3 [OIII]5008 / Hbeta)``; NaN where a flux is non-finite or <= 0.
    """
    fluxes = [as_float(f) for f in (oii_doublet, hb, oiii5008, nii6585)]
    valid = positive_finite(*fluxes)
    oii, hbeta, oiii, nii = fluxes
    with np.errstate(all="ignore"):
        log_n2 = np.log10(PG16_DOUBLET_FACTOR * nii / hbeta)
        log_r2 = np.log10(oii / hbeta)
        log_r3 = np.log10(PG16_DOUBLET_FACTOR * oiii / hbeta)
    return to_output(log_n2, valid), to_output(log_r2, valid), to_output(log_r3, valid)


def _pg16_coefficients(log_n2):
    """Return the six PG16 coefficients of the branch that ``log_n2`` selects."""
    upper = np.asarray(log_n2) >= PG16_BRANCH_LOG_N2
    return [np.where(upper, hi, lo) for hi, lo in zip(_PG16_UPPER, _PG16_LOWER, strict=True)]


def pg16_r_calibration(log_n2, log_r2, log_r3):
    """
    Pilyugin & Grebel (2016) R calibration (eqs. 4 and 5) from the log line ratios.

    Parameters
    ----------
    log_n2, log_r2, log_r3 : float or array_like
        log10 of N2 = [NII]6548+6584 / Hbeta, R2 = [OII]3727+3729 / Hbeta and
        R3 = [OIII]4959+5007 / Hbeta (see :func:`pg16_log_ratios`).

    Returns
    -------
    oh : `numpy.float64` or `~numpy.ndarray`
        12 + log10(O/H) (dex); NaN where an input is not finite.

    Notes
    -----
    Upper branch, ``log N2 >= -0.6`` (PG16 eq. 4)::

        8.589 + 0.022 log(R3/R2) + 0.399 log N2
              + (-0.137 + 0.164 log(R3/R2) + 0.589 log N2) log R2

    Lower branch, ``log N2 < -0.6`` (PG16 eq. 5)::

        7.932 + 0.944 log(R3/R2) + 0.695 log N2
              + (0.970 - 0.291 log(R3/R2) - 0.019 log N2) log R2

    The two branches do not join at log N2 = -0.6; the boundary itself belongs to
    the upper branch.

    References
    ----------
    .. [1] Pilyugin, L. S., & Grebel, E. K. 2016, MNRAS, 457, 3678

    Examples
    --------
    >>> from metgrad.physics import pg16_r_calibration
    >>> print(f"{pg16_r_calibration(0.0, 0.0, 0.0):.3f}")
    8.589
    """
    log_n2, log_r2, log_r3 = (as_float(v) for v in (log_n2, log_r2, log_r3))
    valid = finite(log_n2, log_r2, log_r3)
    c0, cx, cn, d0, dx, dn = _pg16_coefficients(log_n2)
    with np.errstate(all="ignore"):
        log_r3_r2 = log_r3 - log_r2
        oh = c0 + cx * log_r3_r2 + cn * log_n2 + (d0 + dx * log_r3_r2 + dn * log_n2) * log_r2
    return to_output(oh, valid)


def oh_r_pg16(oii_doublet, hb, oiii5008, nii6585):
    """
    12+log(O/H) from the Pilyugin & Grebel (2016) R calibration.

    Parameters
    ----------
    oii_doublet : float or array_like
        Dust-corrected [OII] 3727 + 3729 flux (the doublet sum).
    hb, oiii5008, nii6585 : float or array_like
        Dust-corrected Hbeta, [OIII] 5008 and [NII] 6585 fluxes (same unit).

    Returns
    -------
    oh : `numpy.float64` or `~numpy.ndarray`
        12 + log10(O/H) (dex); NaN where a flux is non-finite or <= 0.

    Notes
    -----
    Computes N2 = 4/3 [NII]6585/Hbeta, R3 = 4/3 [OIII]5008/Hbeta and
    R2 = [OII]3727+3729/Hbeta (the fixed 1/3 ratio of the weak doublet lines
    adopted by PG16; the MaNGA DAP ties them at 0.34 and 0.35) and evaluates
    :func:`pg16_r_calibration`: eq. 4 where log N2 >= -0.6, eq. 5 below.

    References
    ----------
    .. [1] Pilyugin, L. S., & Grebel, E. K. 2016, MNRAS, 457, 3678

    Examples
    --------
    >>> from metgrad.physics import oh_r_pg16
    >>> print(f"{oh_r_pg16(3.0, 3.0, 2.25, 2.25):.3f}")
    8.589
    """
    return pg16_r_calibration(*pg16_log_ratios(oii_doublet, hb, oiii5008, nii6585))


def _pg16_log_flux_gradients(log_n2, log_r2, log_r3):
    """Partial derivatives of PG16 with respect to log10 of each dust-corrected flux."""
    _, cx, cn, d0, dx, dn = _pg16_coefficients(log_n2)
    d_log_r3 = cx + dx * log_r2
    d_log_n2 = cn + dn * log_r2
    d_log_r2 = -cx + d0 + dx * (log_r3 - 2.0 * log_r2) + dn * log_n2
    return {
        "OIII-5008": d_log_r3,
        "NII-6585": d_log_n2,
        _OII: d_log_r2,
        "Hb-4862": -(d_log_r3 + d_log_n2 + d_log_r2),
    }


def _propagate(gradients, fluxes, errors, *, dust_correct, r_v):
    """
    First-order error (dex) of y(log10 F_i) from independent flux errors.

    ``gradients`` holds dy/dlog10(F_i) with respect to the dust-corrected fluxes. With
    ``dust_correct`` the fluxes are observed and the correction uses E(B-V) from
    Halpha/Hbeta: log10 F_i,corr = log10 F_i + k_i / (k_Hb - k_Ha) * (log10 F_Ha -
    log10 F_Hb - log10 2.86), so Halpha and Hbeta collect the extra term
    +/- sum_i (dy/dlog10 F_i,corr) k_i / (k_Hb - k_Ha).
    """
    total = {name: np.asarray(g, dtype=np.float64) for name, g in gradients.items()}
    if dust_correct:
        dust_term = sum(
            g * calzetti_k(_WAVELENGTHS_AA[name], r_v) for name, g in gradients.items()
        ) / _balmer_k_difference(r_v)
        total["Ha-6564"] = total.get("Ha-6564", 0.0) + dust_term
        total["Hb-4862"] = total.get("Hb-4862", 0.0) - dust_term
    names = list(fluxes)
    flux_values = [as_float(fluxes[name]) for name in names]
    error_values = [as_float(errors[name]) for name in names]
    valid = positive_finite(*flux_values) & finite(*error_values)
    with np.errstate(all="ignore"):
        for error in error_values:
            valid &= error >= 0
        variance = sum(
            (total.get(name, 0.0) * err / flux) ** 2
            for name, flux, err in zip(names, flux_values, error_values, strict=True)
        )
        sigma = np.sqrt(variance) / _LN10
    return to_output(sigma, valid & np.isfinite(sigma))


def _corrected(fluxes, ha, hb, intrinsic, r_v):
    """Deredden each flux of ``fluxes`` with E(B-V) from the Balmer decrement."""
    ebv = balmer_ebv(ha, hb, intrinsic, r_v)
    return {name: deredden(f, _WAVELENGTHS_AA[name], ebv, r_v) for name, f in fluxes.items()}


def oh_o3n2_m13_error(
    oiii5008,
    hb,
    nii6585,
    ha,
    oiii5008_err,
    hb_err,
    nii6585_err,
    ha_err,
    *,
    dust_correct=False,
    intrinsic=2.86,
    r_v=3.1,
):
    """
    1-sigma error (dex) of :func:`oh_o3n2_m13` propagated from the line-flux errors.

    Parameters
    ----------
    oiii5008, hb, nii6585, ha : float or array_like
        [OIII] 5008, Hbeta, [NII] 6585 and Halpha fluxes (one unit): dust-corrected
        ones, or observed ones when ``dust_correct`` is True.
    oiii5008_err, hb_err, nii6585_err, ha_err : float or array_like
        Their independent 1-sigma errors, in the unit of the fluxes (for MaNGA DAP
        maps ``1 / sqrt(ivar)``).
    dust_correct : bool, optional
        If False (default), E(B-V) is treated as fixed: fluxes and errors are
        dereddened by the same factor, so relative errors (and hence this error) are
        the same for observed and corrected inputs. If True, the inputs are observed
        fluxes and the propagation also goes through E(B-V) from Halpha/Hbeta
        (:func:`~metgrad.physics.balmer_ebv`), so the Halpha and Hbeta errors enter
        through the dust correction as well.
    intrinsic, r_v : float, optional
        Intrinsic Balmer decrement and R_V of the correction, used when
        ``dust_correct`` is True (R_V cancels for this calibrator).

    Returns
    -------
    sigma : `numpy.float64` or `~numpy.ndarray`
        1-sigma error of 12+log(O/H) in dex; NaN where a flux is non-finite or <= 0
        or an error is non-finite or negative.

    Notes
    -----
    With fixed E(B-V),
    ``sigma = 0.214 / ln 10 * sqrt(sum_i (sigma_i / F_i)^2)`` over the four lines.
    With ``dust_correct`` the corrected O3N2 is
    ``O3N2_obs + [(k_5008 - k_Hb) - (k_6585 - k_Ha)] / (k_Hb - k_Ha) *
    log10((F_Ha / F_Hb) / 2.86)``, which changes the Halpha and Hbeta terms.

    Examples
    --------
    >>> from metgrad.physics import oh_o3n2_m13_error
    >>> print(f"{oh_o3n2_m13_error(1.0, 1.0, 0.1, 1.0, 0.1, 0.1, 0.01, 0.1):.5f}")
    0.01859
    """
    slope = M13_O3N2_SLOPE
    gradients = {"OIII-5008": slope, "Hb-4862": -slope, "NII-6585": -slope, "Ha-6564": slope}
    fluxes = {"OIII-5008": oiii5008, "Hb-4862": hb, "NII-6585": nii6585, "Ha-6564": ha}
    errors = {
        "OIII-5008": oiii5008_err,
        "Hb-4862": hb_err,
        "NII-6585": nii6585_err,
        "Ha-6564": ha_err,
    }
    if dust_correct:
        require_positive_scalar(intrinsic, "intrinsic")
    return _propagate(gradients, fluxes, errors, dust_correct=dust_correct, r_v=r_v)


def oh_r_pg16_error(
    oii_doublet,
    hb,
    oiii5008,
    nii6585,
    oii_doublet_err,
    hb_err,
    oiii5008_err,
    nii6585_err,
    *,
    dust_correct=False,
    ha=None,
    ha_err=None,
    intrinsic=2.86,
    r_v=3.1,
):
    """
    1-sigma error (dex) of :func:`oh_r_pg16` propagated from the line-flux errors.

    Parameters
    ----------
    oii_doublet, hb, oiii5008, nii6585 : float or array_like
        [OII] 3727+3729, Hbeta, [OIII] 5008 and [NII] 6585 fluxes (one unit):
        dust-corrected ones, or observed ones when ``dust_correct`` is True.
    oii_doublet_err, hb_err, oiii5008_err, nii6585_err : float or array_like
        Their independent 1-sigma errors in the unit of the fluxes (for the DAP
        doublet, the two components' errors added in quadrature). With
        ``dust_correct`` False, give dust-corrected errors (errors dereddened with the
        same factor as their fluxes).
    dust_correct : bool, optional
        If True, the fluxes are observed ones: they are dereddened here with E(B-V)
        from Halpha/Hbeta, and the propagation includes the dependence of E(B-V) on
        the Halpha and Hbeta fluxes. Requires ``ha`` and ``ha_err``.
    ha, ha_err : float or array_like, optional
        Observed Halpha flux and its error, used only when ``dust_correct`` is True.
    intrinsic, r_v : float, optional
        Intrinsic Balmer decrement and R_V of the correction (R_V cancels).

    Returns
    -------
    sigma : `numpy.float64` or `~numpy.ndarray`
        1-sigma error of 12+log(O/H) in dex; NaN where a flux is non-finite or <= 0
        or an error is non-finite or negative.

    Raises
    ------
    ValueError
        If ``dust_correct`` is True and ``ha`` or ``ha_err`` is missing.

    Notes
    -----
    The branch is the one the (corrected) value falls on, and the derivatives are
    those of that branch's formula. Writing a = log R3, n = log N2, r = log R2 and
    the branch coefficients as in :func:`pg16_r_calibration`,
    ``dy/da = cx + dx r``, ``dy/dn = cn + dn r``,
    ``dy/dr = -cx + d0 + dx (a - 2 r) + dn n``; the Hbeta derivative is minus their
    sum (all three ratios are to Hbeta). Then
    ``sigma^2 = sum_i (dy/dlog10 F_i * sigma_i / (F_i ln 10))^2``.
    At the branch discontinuity (log N2 = -0.6) a first-order error is not meaningful.

    Examples
    --------
    >>> from metgrad.physics import oh_r_pg16_error
    >>> print(f"{oh_r_pg16_error(3.0, 3.0, 2.25, 2.25, 0.3, 0.3, 0.225, 0.225):.5f}")
    0.02187
    """
    fluxes = {_OII: oii_doublet, "Hb-4862": hb, "OIII-5008": oiii5008, "NII-6585": nii6585}
    errors = {
        _OII: oii_doublet_err,
        "Hb-4862": hb_err,
        "OIII-5008": oiii5008_err,
        "NII-6585": nii6585_err,
    }
    if dust_correct:
        if ha is None or ha_err is None:
            raise ValueError("dust_correct=True needs the observed Halpha flux ha and ha_err")
        corrected = _corrected(fluxes, ha, hb, intrinsic, r_v)
        fluxes["Ha-6564"] = ha
        errors["Ha-6564"] = ha_err
    else:
        corrected = fluxes
    ratios = pg16_log_ratios(
        corrected[_OII], corrected["Hb-4862"], corrected["OIII-5008"], corrected["NII-6585"]
    )
    with np.errstate(all="ignore"):
        gradients = _pg16_log_flux_gradients(*ratios)
    return _propagate(gradients, fluxes, errors, dust_correct=dust_correct, r_v=r_v)
