"""Curti et al. (2020) calibrations (T_e-anchored), inverted exactly per spaxel.

C20 (their Table 2) fit ``log R = sum_i c_i x^i`` with ``x = 12+log(O/H) - 8.69`` to
stacked SDSS spectra with direct-method abundances, over 7.6 <= 12+log(O/H) <= 8.9.
Each calibrator solves its polynomial for x per spaxel (:mod:`._polyinvert`: the root
on the monotonic piece that the branch selects, to 1e-12 in x) and gives NaN where no
root lies in that piece.

Ratios (C20 definitions; all fluxes dust-corrected):

- R2 = [OII]3727,29 / Hb; R3 = [OIII]5007 / Hb; O3O2 = [OIII]5007 / [OII]3727,29;
- R23 = ([OII]3727,29 + [OIII]4959 + [OIII]5007) / Hb (the DAP OIII-4960 channel,
  tied to OIII-5008, plus OIII-5008);
- N2 = [NII]6584 / Ha; O3N2 = ([OIII]5007 / Hb) / ([NII]6584 / Ha) (c0 = +0.281);
- S2 = [SII]6717,31 / Ha; RS32 = [OIII]5007 / Hb + [SII]6717,31 / Ha;
  O3S2 = ([OIII]5007 / Hb) / ([SII]6717,31 / Ha).

Branches. R2, R3, R23, S2 and RS32 turn over inside 7.6-8.9 (at 8.54, 8.00, 8.07,
8.66 and 8.00): each is split at its turnover (a zero of dP/dx, computed from the
coefficients) into a lower and an upper piece, and a spaxel goes to the lower piece
where log10([NII]6584 / [OII]3727,29) < -1.2, to the upper one otherwise
(:data:`C20_BRANCH_LOG_N2O2`); those calibrators therefore also read NII-6585,
OII-3727 and OII-3729. O3O2, N2, O3N2 and O3S2 are single-valued calibrations: O3O2
and O3S2 are monotonic over the whole range, while N2 turns over at 8.87 and O3N2 at
7.64, just inside it, and is used on its monotonic part only (7.6-8.871 and
7.640-8.9): a second, 0.03-0.04 dex wide piece cannot be told apart by any branch
indicator.
"""

import dataclasses
import functools
import itertools
from collections.abc import Callable

import numpy as np
from numpy.polynomial import polynomial as npoly

from ._dual import Dual
from ._polyinvert import critical_points, invert_monotonic
from .base import (
    BRANCH_LOWER,
    BRANCH_NONE,
    BRANCH_UPPER,
    Calibrator,
    Evaluation,
    Validity,
    branch_codes,
)
from .registry import register

__all__ = [
    "C20_BRANCH_LOG_N2O2",
    "C20_CALIBRATORS",
    "C20_COEFFICIENTS",
    "C20_RANGE",
    "C20_SOLAR_OH",
]

#: The zero point of x = 12+log(O/H) - 8.69 (C20).
C20_SOLAR_OH = 8.69
#: Metallicity range of the C20 calibrations (12+log(O/H), dex).
C20_RANGE = (7.6, 8.9)
#: log10([NII]6584/[OII]3727,29) below which the lower branch is taken.
C20_BRANCH_LOG_N2O2 = -1.2
#: C20 Table 2 coefficients c0, c1, ... of log R(x).
C20_COEFFICIENTS = {
    "R2": (0.435, -1.362, -5.655, -4.851, -0.478, 0.736),
    "R3": (-0.277, -3.549, -3.593, -0.981),
    "O3O2": (-0.691, -2.944, -1.308),
    "R23": (0.527, -1.569, -1.652, -0.421),
    "N2": (-0.489, 1.513, -2.554, -5.293, -2.867),
    "O3N2": (0.281, -4.765, -2.268),
    "S2": (-0.442, -0.360, -6.271, -8.339, -3.559),
    "RS32": (-0.054, -2.546, -1.970, 0.082, 0.222),
    "O3S2": (0.191, -4.292, -2.538, 0.053, 0.332),
}
_BRANCH_LINES = ("NII-6585", "OII-3727", "OII-3729")
_REFERENCE = "Curti, M., et al. 2020, MNRAS, 491, 944 (Table 2)"


def _oii(lines):
    return lines["OII-3727"] + lines["OII-3729"]


def _sii(lines):
    return lines["SII-6718"] + lines["SII-6732"]


def _o3hb(lines):
    return lines["OIII-5008"] / lines["Hb-4862"]


# ratio name: (its definition, channels, log10 R on Dual fluxes, double-valued)
_RATIOS = {
    "R2": ("[OII]3727,29/Hb", ("OII-3727", "OII-3729", "Hb-4862"),
           lambda d: (_oii(d) / d["Hb-4862"]).log10(), True),
    "R3": ("[OIII]5007/Hb", ("OIII-5008", "Hb-4862"), lambda d: _o3hb(d).log10(), True),
    "O3O2": ("[OIII]5007/[OII]3727,29", ("OIII-5008", "OII-3727", "OII-3729"),
             lambda d: (d["OIII-5008"] / _oii(d)).log10(), False),
    "R23": ("([OII]3727,29 + [OIII]4959 + [OIII]5007)/Hb",
            ("OII-3727", "OII-3729", "OIII-4960", "OIII-5008", "Hb-4862"),
            lambda d: ((_oii(d) + d["OIII-4960"] + d["OIII-5008"]) / d["Hb-4862"]).log10(),
            True),
    "N2": ("[NII]6584/Ha", ("NII-6585", "Ha-6564"),
           lambda d: (d["NII-6585"] / d["Ha-6564"]).log10(), False),
    "O3N2": ("([OIII]5007/Hb)/([NII]6584/Ha)", ("OIII-5008", "Hb-4862", "NII-6585", "Ha-6564"),
             lambda d: (_o3hb(d) / (d["NII-6585"] / d["Ha-6564"])).log10(), False),
    "S2": ("[SII]6717,31/Ha", ("SII-6718", "SII-6732", "Ha-6564"),
           lambda d: (_sii(d) / d["Ha-6564"]).log10(), True),
    "RS32": ("[OIII]5007/Hb + [SII]6717,31/Ha",
             ("OIII-5008", "Hb-4862", "SII-6718", "SII-6732", "Ha-6564"),
             lambda d: (_o3hb(d) + _sii(d) / d["Ha-6564"]).log10(), True),
    "O3S2": ("([OIII]5007/Hb)/([SII]6717,31/Ha)",
             ("OIII-5008", "Hb-4862", "SII-6718", "SII-6732", "Ha-6564"),
             lambda d: (_o3hb(d) / (_sii(d) / d["Ha-6564"])).log10(), False),
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class _Inversion:
    """One C20 polynomial and the x-intervals (lower, upper) it is inverted on."""

    coeffs: tuple[float, ...]
    index: Callable[[dict], Dual]
    lower: tuple[float, float]
    upper: tuple[float, float] | None  # None: single-valued

    def __call__(self, lines):
        log_r = self.index(lines)
        target = np.broadcast_to(log_r.value, np.shape(log_r.value))
        if self.upper is None:
            branch = BRANCH_NONE
            x = invert_monotonic(self.coeffs, target, *self.lower)
        else:
            oii = lines["OII-3727"].value + lines["OII-3729"].value
            nii_oii = np.log10(lines["NII-6585"].value / oii)  # no derivatives needed
            branch = np.broadcast_to(branch_codes(nii_oii, C20_BRANCH_LOG_N2O2), target.shape)
            x = np.full(target.shape, np.nan)
            for code, piece in ((BRANCH_LOWER, self.lower), (BRANCH_UPPER, self.upper)):
                on_piece = branch == code
                x[on_piece] = invert_monotonic(self.coeffs, target[on_piece], *piece)
        slope = npoly.polyval(x, _derivative(self.coeffs))  # d log R / dx
        oh = log_r.chain(x + C20_SOLAR_OH, 1.0 / slope)
        return Evaluation(oh, np.isfinite(x), branch)


@functools.lru_cache(maxsize=32)
def _derivative(coeffs):
    """Coefficients of dP/dx (read-only, cached per polynomial)."""
    derivative = npoly.polyder(coeffs)
    derivative.flags.writeable = False
    return derivative


def _pieces(coeffs, double_valued):
    """x-intervals (lower, upper) of the monotonic pieces used, from the turnovers."""
    low, high = (v - C20_SOLAR_OH for v in C20_RANGE)
    turnovers = critical_points(coeffs, low, high)
    edges = [low, *turnovers, high]
    pieces = list(itertools.pairwise(edges))
    if double_valued:
        if len(pieces) != 2:
            raise ValueError(f"C20 polynomial {coeffs} has {len(turnovers)} turnovers in range")
        return pieces[0], pieces[1]
    return max(pieces, key=lambda piece: piece[1] - piece[0]), None


def _build(ratio):
    definition, ratio_lines, index, double_valued = _RATIOS[ratio]
    coeffs = C20_COEFFICIENTS[ratio]
    lower, upper = _pieces(coeffs, double_valued)
    lines = tuple(dict.fromkeys(ratio_lines + (_BRANCH_LINES if double_valued else ())))
    oh_low = float(lower[0] + C20_SOLAR_OH)
    oh_high = float((upper or lower)[1] + C20_SOLAR_OH)
    if double_valued:
        turnover = lower[1] + C20_SOLAR_OH
        shape = (
            f"double-valued: lower piece {oh_low:.2f}-{turnover:.3f}, upper "
            f"{turnover:.3f}-{oh_high:.2f}; lower branch where log([NII]6584/[OII]) < -1.2"
        )
    else:
        shape = f"single-valued on {oh_low:.3f}-{oh_high:.3f}"
    validity = Validity(
        index=f"log R, R = {definition}",
        oh_range=(oh_low, oh_high),
        note=f"C20 range 7.6-8.9, {shape}; NaN where no root lies on the branch's piece",
    )
    return register(
        Calibrator(
            name=f"C20_{ratio}",
            lines=lines,
            scale="Te",
            reference=_REFERENCE,
            validity=validity,
            branched=double_valued,
            description=f"log R = sum c_i x^i, x = 12+log(O/H) - 8.69, R = {definition}",
            formula=_Inversion(coeffs, index, lower, upper),
        )
    )


#: The registered C20 calibrators, by ratio name (C20_R2, C20_R3, ...).
C20_CALIBRATORS = {
    ratio: _build(ratio)
    for ratio in ("N2", "O3N2", "R3", "R2", "R23", "O3O2", "S2", "RS32", "O3S2")
}
