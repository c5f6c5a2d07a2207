"""Pilyugin & Grebel (2016) R and S calibrations (T_e-anchored, two branches).

- :func:`oh_r_pg16`, :func:`oh_r_pg16_error`, :func:`pg16_log_ratios`,
  :func:`pg16_r_calibration`: the original function interface of the R calibration
  (no range mask), used by the paper's pipeline.
- Registered calibrators ``PG16_R`` (eqs. 4, 5) and ``PG16_S`` (their S calibration).

Doublets: PG16 define N2 = [NII]6548+6584 / Hbeta and R3 = [OIII]4959+5007 / Hbeta and
take the weak members as 1/3 of the strong ones, so N2 and R3 are 4/3 of the strong
line (:data:`PG16_DOUBLET_FACTOR`). Both registered calibrators keep that factor (the
paper's PG16 values are unchanged, and R and S stay on one convention) rather than
the DAP's tied 1.34 and 1.35: the difference is 0.002-0.005 dex in log N2 and log R3.
R2 = [OII]3727+3729 / Hbeta and S2 = [SII]6717+6731 / Hbeta sum both DAP channels.
"""

from functools import partial

import numpy as np

from .._arrays import as_float, finite, positive_finite, to_output
from ._dual import substituted
from ._propagation import OII_DOUBLET as _OII
from ._propagation import corrected as _corrected
from ._propagation import propagate
from .base import Calibrator, Evaluation, Validity, branch_codes
from .registry import register

__all__ = [
    "PG16_BRANCH_LOG_N2",
    "PG16_DOUBLET_FACTOR",
    "PG16_R",
    "PG16_S",
    "oh_r_pg16",
    "oh_r_pg16_error",
    "pg16_log_ratios",
    "pg16_r_calibration",
]


#: Pilyugin & Grebel (2016) take [OIII]4959 = [OIII]5007/3 and [NII]6548 = [NII]6584/3,
#: so the doublet sums R3 and N2 are 4/3 of the strong line.
PG16_DOUBLET_FACTOR = 4.0 / 3.0
#: log10 N2 at and above which the upper branch (PG16 eq. 4) applies.
PG16_BRANCH_LOG_N2 = -0.6

# PG16 coefficients (c0, cx, cn, d0, dx, dn) of
# 12+log(O/H) = c0 + cx log(R3/R2) + cn log N2 + (d0 + dx log(R3/R2) + dn log N2) log R2
_PG16_UPPER = (8.589, 0.022, 0.399, -0.137, 0.164, 0.589)  # eq. 4, log N2 >= -0.6
_PG16_LOWER = (7.932, 0.944, 0.695, 0.970, -0.291, -0.019)  # eq. 5, log N2 < -0.6
# PG16 S coefficients, same layout with log(R3/S2) and log S2 in place of R2.
_PG16_S_UPPER = (8.424, 0.030, 0.751, -0.349, 0.182, 0.508)  # upper, log N2 >= -0.6
_PG16_S_LOWER = (8.072, 0.789, 0.726, 1.069, -0.170, 0.022)  # lower, log N2 < -0.6

_REFERENCE = "Pilyugin, L. S., & Grebel, E. K. 2016, MNRAS, 457, 3678"


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
    return propagate(gradients, fluxes, errors, dust_correct=dust_correct, r_v=r_v)


def _pg16_form(upper, lower, log_n2, log_r3, log_x):
    """c0 + cx log(R3/X) + cn log N2 + (d0 + dx log(R3/X) + dn log N2) log X on Duals."""
    is_upper = log_n2.value >= PG16_BRANCH_LOG_N2
    pairs = zip(upper, lower, strict=True)
    c0, cx, cn, d0, dx, dn = (np.where(is_upper, hi, lo) for hi, lo in pairs)
    log_r3_x = log_r3 - log_x
    return c0 + cx * log_r3_x + cn * log_n2 + (d0 + dx * log_r3_x + dn * log_n2) * log_x


def _pg16_common(lines):
    """log N2 and log R3 (4/3 of the strong lines, over Hbeta) on Dual fluxes."""
    hb = lines["Hb-4862"]
    log_n2 = (PG16_DOUBLET_FACTOR * lines["NII-6585"] / hb).log10()
    log_r3 = (PG16_DOUBLET_FACTOR * lines["OIII-5008"] / hb).log10()
    return log_n2, log_r3


def _pg16_r(lines):
    log_n2, log_r3 = _pg16_common(lines)
    log_r2 = ((lines["OII-3727"] + lines["OII-3729"]) / lines["Hb-4862"]).log10()
    oh, _ = substituted(partial(_pg16_form, _PG16_UPPER, _PG16_LOWER), log_n2, log_r3, log_r2)
    return Evaluation(oh, np.array(True), branch_codes(log_n2.value, PG16_BRANCH_LOG_N2))


def _pg16_s(lines):
    log_n2, log_r3 = _pg16_common(lines)
    log_s2 = ((lines["SII-6718"] + lines["SII-6732"]) / lines["Hb-4862"]).log10()
    oh, _ = substituted(
        partial(_pg16_form, _PG16_S_UPPER, _PG16_S_LOWER), log_n2, log_r3, log_s2
    )
    return Evaluation(oh, np.array(True), branch_codes(log_n2.value, PG16_BRANCH_LOG_N2))


_PG16_VALIDITY = Validity(
    note=(
        "no range mask: PG16 give no index limits; both branches are used, split at "
        "log N2 = -0.6 (the boundary belongs to the upper branch)"
    ),
)

#: Pilyugin & Grebel (2016) R calibration, eqs. 4 and 5 (alias ``"pg16"``).
PG16_R = register(
    Calibrator(
        name="PG16_R",
        lines=("OII-3727", "OII-3729", "Hb-4862", "OIII-5008", "NII-6585"),
        scale="Te",
        reference=_REFERENCE + " (R calibration, eqs. 4 and 5)",
        validity=_PG16_VALIDITY,
        branched=True,
        description=(
            "eq. 4 (log N2 >= -0.6) or eq. 5 in log(R3/R2), log N2, log R2; "
            "N2 = 4/3 [NII]6585/Hb, R3 = 4/3 [OIII]5008/Hb, R2 = [OII]3727+3729/Hb"
        ),
        formula=_pg16_r,
    )
)

#: Pilyugin & Grebel (2016) S calibration.
PG16_S = register(
    Calibrator(
        name="PG16_S",
        lines=("SII-6718", "SII-6732", "Hb-4862", "OIII-5008", "NII-6585"),
        scale="Te",
        reference=_REFERENCE + " (S calibration)",
        validity=_PG16_VALIDITY,
        branched=True,
        description=(
            "upper (log N2 >= -0.6) or lower branch in log(R3/S2), log N2, log S2; "
            "N2 = 4/3 [NII]6585/Hb, R3 = 4/3 [OIII]5008/Hb, S2 = [SII]6718+6732/Hb"
        ),
        formula=_pg16_s,
    )
)
