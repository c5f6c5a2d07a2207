"""The injected O/H on every strong-line calibrator's scale, for the truth tables.

The mock injects one true O/H (Te scale) per spaxel and makes its lines with
:func:`metgrad.mock.lines.hii_log_ratios` and :func:`~metgrad.mock.lines.component_line_fluxes`
(weak doublet members tied as the DAP ties them). What each calibrator's formula
returns on those noise-free, dust-free HII-region lines is recorded per spaxel
(``oh_<key>``), so that tests can compare the pipeline with "the injected value on
that calibrator's scale". The formulas are written again here for the mock alone,
from the papers (:mod:`.scales_closed`, :mod:`.scales_inverted`), never taken from
:mod:`metgrad.physics`.

:data:`SCALES` maps each calibrator (the 19 names of the pipeline's registry) to
its key, which names the truth column: the paper's two are ``m13`` (M13_O3N2) and
``pg16`` (PG16_R), every other one its name in lower case (``C20_R23`` -> ``c20_r23``).
No validity range is applied: the truth is the formula's value wherever the formula
has one (C20 and KK04: NaN where no solution lies on the spaxel's branch; KD02: NaN
where its quadratic in log([NII]/[OII]) is not positive, below ~7.9).
"""

from __future__ import annotations

import numpy as np

from .config import MockConfig
from .lines import component_line_fluxes, hii_log_ratios
from .scales_closed import CLOSED_FORM
from .scales_inverted import INVERTED

__all__ = ["SCALES", "hii_fluxes", "oh_on_scale", "oh_on_scales", "truth_column"]

_NAMES = (
    "M13_O3N2", "M13_N2", "PP04_N2", "PP04_N2_cubic", "PP04_O3N2", "PG16_R", "PG16_S",
    "D16_N2S2", "KD02_N2O2", "KK04_R23", "C20_N2", "C20_O3N2", "C20_R3", "C20_R2",
    "C20_R23", "C20_O3O2", "C20_S2", "C20_RS32", "C20_O3S2",
)  # fmt: skip
_ALIASES = {"M13_O3N2": "m13", "PG16_R": "pg16"}
_FORMULAS = {**CLOSED_FORM, **INVERTED}
#: Calibrator key -> (registry name, formula(fluxes) -> 12+log(O/H)), in registry order.
SCALES = {_ALIASES.get(n, n.lower()): (n, _FORMULAS[n]) for n in _NAMES}
_BY_NAME = {name: key for key, (name, _) in SCALES.items()}


def truth_column(scale: str) -> str:
    """Truth spaxel column of a calibrator key or registry name: ``oh_<key>``."""
    return f"oh_{_key(scale)}"


def _key(scale: str) -> str:
    if scale in SCALES:
        return scale
    if scale in _BY_NAME:
        return _BY_NAME[scale]
    raise ValueError(
        f"unknown scale {scale!r}: use 'te' or a calibrator key ({', '.join(SCALES)}) "
        f"or registry name"
    )


def hii_fluxes(oh_te, log_u, config: MockConfig) -> dict[str, np.ndarray]:
    """Noise-free, dust-free HII-region line fluxes (Halpha = 1) of O/H and log U."""
    ratios = hii_log_ratios(oh_te, log_u, config)
    return component_line_fluxes(np.ones(np.shape(ratios["nii_ha"])), ratios, config)


def oh_on_scale(scale: str, oh_te, log_u, config: MockConfig) -> np.ndarray:
    """What calibrator ``scale`` returns on the HII lines of a true O/H.

    Parameters
    ----------
    scale : str
        A key of :data:`SCALES` (``"m13"``, ``"c20_r23"``, ...), a registry name
        (``"C20_R23"``), or ``"te"`` (the true O/H itself).
    oh_te : array_like
        True 12 + log(O/H) (Te scale).
    log_u : array_like
        Ionisation-parameter offset (dex).
    config : MockConfig

    Returns
    -------
    ndarray
        12 + log(O/H) on that scale (dex), from the noise-free, dust-free lines.
    """
    if scale == "te":
        return np.asarray(oh_te, dtype=float)
    _, formula = SCALES[_key(scale)]
    fluxes = hii_fluxes(oh_te, log_u, config)
    with np.errstate(divide="ignore", invalid="ignore"):  # NaN: the formula has no value
        return np.asarray(formula(fluxes), dtype=float)


def oh_on_scales(oh_te, log_u, config: MockConfig) -> dict[str, np.ndarray]:
    """Every calibrator of :data:`SCALES` on the same lines: truth column -> 12+log(O/H)."""
    fluxes = hii_fluxes(oh_te, log_u, config)
    with np.errstate(divide="ignore", invalid="ignore"):  # NaN: the formula has no value
        return {
            truth_column(key): np.asarray(formula(fluxes), dtype=float)
            for key, (_, formula) in SCALES.items()
        }
