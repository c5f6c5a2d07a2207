"""Emission-line fluxes of HII regions from one true (Te-scale) O/H per spaxel.

Star-forming gas: each spaxel has one true oxygen abundance ``oh_te``
(12 + log(O/H) on the direct-method, electron-temperature scale) and an
ionisation-parameter offset ``log_u`` (dex about the typical HII region). Its
dust-free line ratios follow Te-anchored strong-line relations of the form of
Curti et al. (2020, MNRAS 491, 944; "C20"), ``log R = sum_i c_i x^i`` with
``x = oh_te - 8.69`` (coefficients :data:`C20_COEFFICIENTS`, their Table 2), for
the four ratios that fix every line: R3 = [OIII]5007/Hb, N2 = [NII]6584/Ha,
O3O2 = [OIII]5007/[OII]3727,29 and S2 = [SII]6717,31/Ha; then
[OII] = [OIII]5007 / O3O2 and Hb = Ha / 2.86. The ionisation parameter moves
the ratios coherently at fixed O/H, ``log R += a_R log_u`` with
:data:`MockConfig.ion_response` (higher U: more [OIII], much higher O3O2, less
[SII] and a little less [NII]), so O3O2, R3 and S2 scatter together about the
relations as HII regions do.

The relations are forward only: nothing here inverts a calibrator. Every
calibrator applied to these lines returns what its own formula gives, so the
known offsets between calibrator families appear (M13 O3N2 about 0.2 dex below
the Te scale at solar O/H; the C20 ones close to it, up to the few-hundredths
inconsistency of fitting each C20 ratio on its own).

Diffuse and LINER-like gas have fixed (per-galaxy) line ratios above the
Kauffmann et al. (2003) line.

Nothing here is shared with :mod:`metgrad.physics` (the forward calibrators of
the pipeline), so applying them to the mock's fluxes is an independent check.
"""

from __future__ import annotations

import numpy as np

from .config import MockConfig
from .dust import attenuation_k

__all__ = [
    "BALMER_HDELTA_HBETA",
    "BALMER_HGAMMA_HBETA",
    "C20_COEFFICIENTS",
    "C20_PIVOT",
    "LINE_WAVELENGTHS",
    "MODELLED_LINES",
    "TIED_NII",
    "TIED_OI",
    "TIED_OIII",
    "component_line_fluxes",
    "hii_log_ratios",
    "redden",
]

#: Vacuum rest wavelengths (A) of the modelled lines, DAP ``elpmpl11.par`` names.
LINE_WAVELENGTHS: dict[str, float] = {
    "OII-3727": 3727.092,
    "OII-3729": 3729.875,
    "Hdel-4102": 4102.892,
    "Hgam-4341": 4341.684,
    "Hb-4862": 4862.683,
    "OIII-4960": 4960.295,
    "OIII-5008": 5008.240,
    "OI-6302": 6302.046,
    "OI-6365": 6365.535,
    "NII-6549": 6549.860,
    "Ha-6564": 6564.608,
    "NII-6585": 6585.270,
    "SII-6718": 6718.295,
    "SII-6732": 6732.674,
}
MODELLED_LINES: tuple[str, ...] = tuple(LINE_WAVELENGTHS)

TIED_OIII = 0.35  #: OIII-4960 / OIII-5008 (DAP tie)
TIED_NII = 0.34  #: NII-6549 / NII-6585 (DAP tie)
TIED_OI = 0.32  #: OI-6365 / OI-6302 (DAP tie)
BALMER_HGAMMA_HBETA = 0.468  #: case B, 10^4 K, 100 cm^-3
BALMER_HDELTA_HBETA = 0.259

#: x = 12 + log(O/H) - C20_PIVOT in the C20 polynomials.
C20_PIVOT = 8.69
#: Curti et al. (2020) Table 2: log R = sum_i c_i x^i (c0, c1, ...), for the four ratios
#: the mock builds its lines from.
C20_COEFFICIENTS: dict[str, tuple[float, ...]] = {
    "R3": (-0.277, -3.549, -3.593, -0.981),  # [OIII]5007 / Hb
    "N2": (-0.489, 1.513, -2.554, -5.293, -2.867),  # [NII]6584 / Ha
    "O3O2": (-0.691, -2.944, -1.308),  # [OIII]5007 / [OII]3727,29
    "S2": (-0.442, -0.360, -6.271, -8.339, -3.559),  # [SII]6717,31 / Ha
}


def _c20(name: str, x: np.ndarray) -> np.ndarray:
    return np.polynomial.polynomial.polyval(x, C20_COEFFICIENTS[name])


def hii_log_ratios(oh_te, log_u, config: MockConfig) -> dict[str, np.ndarray]:
    """Dust-free log line ratios of HII regions of given O/H and ionisation parameter.

    Parameters
    ----------
    oh_te : array_like
        True 12 + log(O/H), Te scale.
    log_u : array_like
        Ionisation-parameter offset (dex) from the typical HII region.
    config : MockConfig
        Supplies ``ion_response`` (d log R / d log U for R3, O3O2, N2, S2) and the
        constant [OI]/Ha of HII regions.

    Returns
    -------
    dict
        ``oiii_hb`` = log [OIII]5007/Hb, ``nii_ha`` = log [NII]6584/Ha,
        ``oii_hb`` = log ([OII]3727 + 3729)/Hb, ``sii_ha`` = log ([SII]6717 + 6731)/Ha,
        ``oi_ha`` = log [OI]6300/Ha.
    """
    x = np.asarray(oh_te, dtype=float) - C20_PIVOT
    u = np.broadcast_to(np.asarray(log_u, dtype=float), x.shape)
    a_r3, a_o3o2, a_n2, a_s2 = config.ion_response
    oiii_hb = _c20("R3", x) + a_r3 * u
    o3o2 = _c20("O3O2", x) + a_o3o2 * u
    return {
        "nii_ha": _c20("N2", x) + a_n2 * u,
        "oiii_hb": oiii_hb,
        "oii_hb": oiii_hb - o3o2,
        "sii_ha": _c20("S2", x) + a_s2 * u,
        "oi_ha": np.full(x.shape, config.oi_ha_sf),
    }


def component_line_fluxes(
    halpha: np.ndarray, log_ratios: dict, config: MockConfig
) -> dict[str, np.ndarray]:
    """Dust-free fluxes of every modelled line of one emission component.

    Parameters
    ----------
    halpha : ndarray
        Dust-free Halpha flux of the component.
    log_ratios : dict
        ``nii_ha``, ``oiii_hb``, ``oii_hb``, ``sii_ha``, ``oi_ha`` (log10).
    config : MockConfig
        Supplies the intrinsic Balmer decrement and doublet ratios.

    Returns
    -------
    dict
        Line name -> flux, in the units of ``halpha``. Tied lines follow the
        DAP ties (OIII-4960 = 0.35 OIII-5008, NII-6549 = 0.34 NII-6585,
        OI-6365 = 0.32 OI-6302).
    """
    hb = halpha / config.balmer_intrinsic
    nii = halpha * 10.0 ** log_ratios["nii_ha"]
    oiii = hb * 10.0 ** log_ratios["oiii_hb"]
    oii = hb * 10.0 ** log_ratios["oii_hb"]
    sii = halpha * 10.0 ** log_ratios["sii_ha"]
    oi = halpha * 10.0 ** log_ratios["oi_ha"]
    q_oii = config.oii_ratio_3729_3727
    q_sii = config.sii_ratio_6718_6732
    return {
        "OII-3727": oii / (1.0 + q_oii),
        "OII-3729": oii * q_oii / (1.0 + q_oii),
        "Hdel-4102": BALMER_HDELTA_HBETA * hb,
        "Hgam-4341": BALMER_HGAMMA_HBETA * hb,
        "Hb-4862": hb,
        "OIII-4960": TIED_OIII * oiii,
        "OIII-5008": oiii,
        "OI-6302": oi,
        "OI-6365": TIED_OI * oi,
        "NII-6549": TIED_NII * nii,
        "Ha-6564": halpha,
        "NII-6585": nii,
        "SII-6718": sii * q_sii / (1.0 + q_sii),
        "SII-6732": sii / (1.0 + q_sii),
    }


def redden(
    fluxes: dict[str, np.ndarray], ebv: np.ndarray, r_v: float = 3.1
) -> dict[str, np.ndarray]:
    """Attenuate dust-free line fluxes with the mock's Calzetti curve: F 10^(-0.4 E(B-V) k)."""
    return {
        name: flux * 10.0 ** (-0.4 * ebv * attenuation_k(LINE_WAVELENGTHS[name], r_v))
        for name, flux in fluxes.items()
    }
