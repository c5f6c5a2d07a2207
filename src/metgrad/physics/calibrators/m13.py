"""Marino et al. (2013) calibrations: O3N2 and N2 (T_e-anchored).

- :func:`oh_o3n2_m13`, :func:`oh_o3n2_m13_error`, :func:`o3n2_index`: the original
  function interface (raw formula, no range mask), used by the paper's pipeline.
- Registered calibrators ``M13_O3N2`` and ``M13_N2`` (NaN outside their validity).

Both are the fits to the direct-method (T_e) abundances of Marino et al. (2013),
their eq. 2 and their N2 fit: ``8.533 - 0.214 O3N2`` and ``8.743 + 0.462 N2`` (the N2 slope is
positive: N2 rises with metallicity; a published code's -0.462 is a known error).
"""

import numpy as np

from .._arrays import as_float, positive_finite, require_positive_scalar, to_output
from ._propagation import propagate
from .base import Calibrator, Evaluation, Validity
from .registry import register

__all__ = [
    "M13_N2",
    "M13_N2_INTERCEPT",
    "M13_N2_SLOPE",
    "M13_O3N2",
    "M13_O3N2_INTERCEPT",
    "M13_O3N2_SLOPE",
    "o3n2_index",
    "oh_o3n2_m13",
    "oh_o3n2_m13_error",
]

#: Marino et al. (2013) eq. 2 (T_e-based fit): 12+log(O/H) = 8.533 - 0.214 O3N2.
M13_O3N2_INTERCEPT = 8.533
#: Slope of the Marino et al. (2013) eq. 2 O3N2 calibration.
M13_O3N2_SLOPE = -0.214
#: Marino et al. (2013) N2 fit to the T_e-based abundances: 12+log(O/H) = 8.743 + 0.462 N2.
M13_N2_INTERCEPT = 8.743
#: Slope of the Marino et al. (2013) N2 calibration (positive).
M13_N2_SLOPE = 0.462

_REFERENCE = "Marino, R. A., et al. 2013, A&A, 559, A114"


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
    return propagate(gradients, fluxes, errors, dust_correct=dust_correct, r_v=r_v)


def _o3n2(lines):
    """O3N2 = log10(([OIII]5008/Hbeta) / ([NII]6585/Halpha)) on Dual fluxes."""
    o3 = lines["OIII-5008"] / lines["Hb-4862"]
    return (o3 / (lines["NII-6585"] / lines["Ha-6564"])).log10()


def _n2(lines):
    """N2 = log10([NII]6585/Halpha) on Dual fluxes (the strong line only)."""
    return (lines["NII-6585"] / lines["Ha-6564"]).log10()


_O3N2_VALIDITY = Validity(
    index="O3N2 = log10(([OIII]5007/Hb) / ([NII]6584/Ha))",
    index_range=(-1.1, 1.7),
    note="Marino et al. (2013) T_e sample range, as used by pyMCZ and other codes",
)
_N2_VALIDITY = Validity(
    index="N2 = log10([NII]6584/Ha)",
    index_range=(-1.6, -0.2),
    note="Marino et al. (2013) T_e sample range, as used by pyMCZ and other codes",
)


def _m13_o3n2(lines):
    o3n2 = _o3n2(lines)
    oh = M13_O3N2_INTERCEPT + M13_O3N2_SLOPE * o3n2
    return Evaluation(oh, _O3N2_VALIDITY.mask(index=o3n2.value))


def _m13_n2(lines):
    n2 = _n2(lines)
    return Evaluation(M13_N2_INTERCEPT + M13_N2_SLOPE * n2, _N2_VALIDITY.mask(index=n2.value))


#: Marino et al. (2013) O3N2, eq. 2 (alias ``"m13"``).
M13_O3N2 = register(
    Calibrator(
        name="M13_O3N2",
        lines=("OIII-5008", "Hb-4862", "NII-6585", "Ha-6564"),
        scale="Te",
        reference=_REFERENCE + " (eq. 2, T_e fit)",
        validity=_O3N2_VALIDITY,
        branched=False,
        description="8.533 - 0.214 O3N2, O3N2 = log10(([OIII]5008/Hb)/([NII]6585/Ha))",
        formula=_m13_o3n2,
    )
)

#: Marino et al. (2013) N2.
M13_N2 = register(
    Calibrator(
        name="M13_N2",
        lines=("NII-6585", "Ha-6564"),
        scale="Te",
        reference=_REFERENCE + " (N2, T_e fit)",
        validity=_N2_VALIDITY,
        branched=False,
        description="8.743 + 0.462 N2, N2 = log10([NII]6585/Ha) (strong line only)",
        formula=_m13_n2,
    )
)
