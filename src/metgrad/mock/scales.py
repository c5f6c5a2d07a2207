"""The injected O/H on the paper's two calibrator scales, for the truth tables.

The mock injects one true O/H (Te scale) per spaxel and makes its lines with
:func:`metgrad.mock.lines.hii_log_ratios`. What the paper's calibrators return on
those noise-free, dust-free HII-region lines is recorded per spaxel (``oh_m13``,
``oh_pg16``), so that tests can compare the pipeline with "the injected value on
that calibrator's scale". The two formulas are written here for the mock alone
(from the papers, not from :mod:`metgrad.physics`):

- Marino et al. (2013) O3N2: ``8.533 - 0.214 O3N2``, O3N2 = log([OIII]5007/Hb) -
  log([NII]6584/Ha);
- Pilyugin & Grebel (2016) R calibration, upper branch (log N2 >= -0.6)
  ``8.589 + 0.022 log(R3/R2) + 0.399 log N2 + (-0.137 + 0.164 log(R3/R2) + 0.589 log N2) log R2``,
  lower branch ``7.932 + 0.944 log(R3/R2) + 0.695 log N2 + (0.970 - 0.291 log(R3/R2) - 0.019
  log N2) log R2``, with N2 = [NII]6548,84/Hb and R3 = [OIII]4959,5007/Hb each 4/3 of the
  strong line (PG16's convention), R2 = [OII]3727,29/Hb.
"""

from __future__ import annotations

import numpy as np

from .config import MockConfig
from .lines import hii_log_ratios

__all__ = ["hii_oh_m13", "hii_oh_pg16", "oh_on_scale"]


def hii_oh_m13(ratios: dict) -> np.ndarray:
    """M13 O3N2 metallicity of HII-region log ratios (``oiii_hb``, ``nii_ha``)."""
    return 8.533 - 0.214 * (ratios["oiii_hb"] - ratios["nii_ha"])


def hii_oh_pg16(ratios: dict, balmer_intrinsic: float) -> np.ndarray:
    """PG16 R metallicity of HII-region log ratios (``oiii_hb``, ``nii_ha``, ``oii_hb``)."""
    four_thirds = np.log10(4.0 / 3.0)
    log_n2 = ratios["nii_ha"] + np.log10(balmer_intrinsic) + four_thirds
    log_r3 = ratios["oiii_hb"] + four_thirds
    log_r2 = ratios["oii_hb"]
    y = log_r3 - log_r2
    upper = 8.589 + 0.022 * y + 0.399 * log_n2 + (-0.137 + 0.164 * y + 0.589 * log_n2) * log_r2
    lower = 7.932 + 0.944 * y + 0.695 * log_n2 + (0.970 - 0.291 * y - 0.019 * log_n2) * log_r2
    return np.where(log_n2 >= -0.6, upper, lower)


def oh_on_scale(scale: str, oh_te, log_u, config: MockConfig) -> np.ndarray:
    """What calibrator ``scale`` (``"m13"``, ``"pg16"`` or ``"te"``) returns on HII lines.

    Parameters
    ----------
    scale : str
        ``"m13"``, ``"pg16"``, or ``"te"`` (the true O/H itself).
    oh_te : array_like
        True 12 + log(O/H) (Te scale).
    log_u : array_like
        Ionisation-parameter offset (dex).
    config : MockConfig

    Returns
    -------
    ndarray
        12 + log(O/H) on that scale, from the noise-free, dust-free lines.
    """
    if scale == "te":
        return np.asarray(oh_te, dtype=float)
    ratios = hii_log_ratios(oh_te, log_u, config)
    if scale == "m13":
        return hii_oh_m13(ratios)
    if scale == "pg16":
        return hii_oh_pg16(ratios, config.balmer_intrinsic)
    raise ValueError(f"unknown scale {scale!r}: use 'm13', 'pg16' or 'te'")
