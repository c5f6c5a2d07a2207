"""Emission-line fluxes from the injected metallicity: the inverse calibrators.

Star-forming gas sits on a locus of the BPT-[NII] diagram below the Kauffmann
et al. (2003) line; its position along the locus is fixed by the injected
O3N2-M13 metallicity. [OII] is then solved so that the Pilyugin & Grebel
(2016) R calibration returns the injected PG16 metallicity. Diffuse and
LINER-like gas have fixed (per-galaxy) line ratios above the Kauffmann line.

The forward calibrators live in :mod:`metgrad.physics`; they are not used
here, so that applying them to the mock's fluxes is an independent check.
"""

from __future__ import annotations

import numpy as np

from .config import MockConfig
from .dust import attenuation_k

__all__ = [
    "BALMER_HDELTA_HBETA",
    "BALMER_HGAMMA_HBETA",
    "LINE_WAVELENGTHS",
    "MODELLED_LINES",
    "TIED_NII",
    "TIED_OI",
    "TIED_OIII",
    "component_line_fluxes",
    "inverse_pg16_log_r2",
    "redden",
    "sf_bpt_position",
    "sf_log_ratios",
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

# Pilyugin & Grebel (2016) R calibration coefficients (reference-notes §2.2):
# Z = a0 + a1 log(R3/R2) + a2 log N2 + (b0 + b1 log(R3/R2) + b2 log N2) log R2
_PG16_UPPER = (8.589, 0.022, 0.399, -0.137, 0.164, 0.589)
_PG16_LOWER = (7.932, 0.944, 0.695, 0.970, -0.291, -0.019)
_PG16_TYPICAL_LOG_R2 = 0.4  # picks the physical root of the quadratic


def sf_bpt_position(oh_m13: np.ndarray, offset: float) -> tuple[np.ndarray, np.ndarray]:
    """BPT position of star-forming gas with a given O3N2-M13 metallicity.

    The locus is the Kauffmann et al. (2003) line lowered by ``offset`` dex,
    ``y = 0.61 / (x - 0.05) + 1.3 - offset`` with x = log([NII]6585/Ha),
    y = log([OIII]5008/Hb); the point on it with ``y - x = O3N2``, where
    ``O3N2 = (8.533 - oh) / 0.214`` inverts Marino et al. (2013).

    Returns
    -------
    log_nii_ha, log_oiii_hb : ndarray

    Notes
    -----
    With t = x - 0.05: ``t^2 + (O3N2 - 1.25 + offset) t - 0.61 = 0``; the
    negative root is the branch left of the asymptote.
    """
    o3n2 = (8.533 - np.asarray(oh_m13, dtype=float)) / 0.214
    b = o3n2 - 1.25 + offset
    t = 0.5 * (-b - np.sqrt(b * b + 2.44))
    x = t + 0.05
    return x, o3n2 + x


def inverse_pg16_log_r2(
    oh_pg16: np.ndarray, log_n2: np.ndarray, log_r3: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """log R2 for which the PG16 R calibration returns ``oh_pg16``.

    Parameters
    ----------
    oh_pg16 : ndarray
        Target 12 + log(O/H).
    log_n2, log_r3 : ndarray
        log of N2 = ([NII]6548 + 6584)/Hb and R3 = ([OIII]4959 + 5007)/Hb
        (upper branch when log N2 >= -0.6).

    Returns
    -------
    log_r2 : ndarray
        The root nearer log R2 = 0.4 (typical of HII regions); where there is
        no real root, the vertex of the parabola (the closest PG16 can get).
    exact : ndarray of bool
        False where there was no real root.

    Notes
    -----
    With y = log R2 and r = log R3, the calibration is the quadratic
    ``-b1 y^2 + (b0 + b1 r + b2 log N2 - a1) y + (a0 + a1 r + a2 log N2 - Z) = 0``.
    """
    upper = np.asarray(log_n2) >= -0.6
    coeffs = np.where(upper[..., None], _PG16_UPPER, _PG16_LOWER)
    a0, a1, a2, b0, b1, b2 = np.moveaxis(coeffs, -1, 0)
    qa = -b1
    qb = b0 + b1 * log_r3 + b2 * log_n2 - a1
    qc = a0 + a1 * log_r3 + a2 * log_n2 - oh_pg16
    disc = qb * qb - 4.0 * qa * qc
    exact = disc >= 0.0
    root = np.sqrt(np.where(exact, disc, 0.0))
    y1 = (-qb + root) / (2.0 * qa)
    y2 = (-qb - root) / (2.0 * qa)
    pick_1 = np.abs(y1 - _PG16_TYPICAL_LOG_R2) <= np.abs(y2 - _PG16_TYPICAL_LOG_R2)
    return np.where(pick_1, y1, y2), exact


def sf_log_ratios(
    oh_m13: np.ndarray, oh_pg16: np.ndarray, config: MockConfig
) -> dict[str, np.ndarray]:
    """Dust-free log line ratios of HII regions of given metallicities.

    Returns
    -------
    dict
        ``nii_ha`` = log [NII]6585/Ha, ``oiii_hb`` = log [OIII]5008/Hb,
        ``oii_hb`` = log ([OII]3727 + 3729)/Hb, ``sii_ha``, ``oi_ha``, and
        ``pg16_exact`` (bool).
    """
    nii_ha, oiii_hb = sf_bpt_position(oh_m13, config.sf_locus_offset)
    log_n2 = np.log10(4.0 / 3.0 * config.balmer_intrinsic) + nii_ha
    log_r3 = np.log10(4.0 / 3.0) + oiii_hb
    oii_hb, exact = inverse_pg16_log_r2(oh_pg16, log_n2, log_r3)
    shape = np.shape(oh_m13)
    return {
        "nii_ha": nii_ha,
        "oiii_hb": oiii_hb,
        "oii_hb": oii_hb,
        "sii_ha": np.full(shape, config.sii_ha_sf),
        "oi_ha": np.full(shape, config.oi_ha_sf),
        "pg16_exact": exact,
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
