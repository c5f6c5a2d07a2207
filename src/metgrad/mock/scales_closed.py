"""Closed-form strong-line calibrators, written for the mock's truth tables alone.

Each function takes noise-free, dust-free line fluxes keyed by DAP channel name (as
:func:`metgrad.mock.lines.component_line_fluxes` makes them, weak doublet members
tied as the DAP ties them) and returns 12+log(O/H) from the published formula, with
no validity mask (the truth records what the formula gives). Written from the papers
and ``calibrators.md``, not from :mod:`metgrad.physics`; where a formula is a
polynomial it is evaluated here in nested (Horner) form, and the line ratios are
formed as differences of log fluxes.

- Marino et al. (2013, A&A 559, A114), T_e fits: O3N2 ``8.533 - 0.214 O3N2`` and N2
  ``8.743 + 0.462 N2``;
- Pettini & Pagel (2004, MNRAS 348, L59): N2 ``8.90 + 0.57 N2``, cubic N2
  ``9.37 + 2.03 N2 + 1.26 N2^2 + 0.32 N2^3``, O3N2 ``8.73 - 0.32 O3N2``;
  N2 = log [NII]6584/Ha (strong line only), O3N2 = log([OIII]5007/Hb) - N2;
- Pilyugin & Grebel (2016, MNRAS 457, 3678) R (eqs. 4, 5) and S, upper branch where
  log N2 >= -0.6: ``c0 + cx log(R3/X) + cn log N2 + (d0 + dx log(R3/X) + dn log N2)
  log X`` with X = R2 = [OII]3727,29/Hb or X = S2 = [SII]6717,31/Hb, N2 and R3 the
  strong line over Hb times 4/3 (PG16 take each weak member as 1/3 of the strong one);
- Dopita et al. (2016, Ap&SS 361, 61): ``y = log([NII]6584/[SII]6717,31) + 0.264
  log([NII]6584/Ha)``, ``8.77 + y + 0.45 (y + 0.3)^5`` (the strong [NII] line only);
- Kewley & Dopita (2002, ApJS 142, 35): ``log(1.54020 + 1.26602 R + 0.167977 R^2) +
  8.93``, R = log([NII]6584/[OII]3727,29).
"""

from __future__ import annotations

import numpy as np

__all__ = ["CLOSED_FORM", "log_ratio"]


def log_ratio(fluxes: dict, numerator, denominator) -> np.ndarray:
    """log10 of the summed ``numerator`` channels over the summed ``denominator`` ones."""
    top = sum(np.asarray(fluxes[n], dtype=float) for n in np.atleast_1d(numerator))
    bottom = sum(np.asarray(fluxes[n], dtype=float) for n in np.atleast_1d(denominator))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(top) - np.log10(bottom)


def _horner(x, coefficients_high_first):
    out = np.zeros_like(x)
    for c in coefficients_high_first:
        out = out * x + c
    return out


def _n2(f):
    return log_ratio(f, "NII-6585", "Ha-6564")


def _o3n2(f):
    return log_ratio(f, "OIII-5008", "Hb-4862") - _n2(f)


_OII = ("OII-3727", "OII-3729")
_SII = ("SII-6718", "SII-6732")
_FOUR_THIRDS = np.log10(4.0 / 3.0)
# (c0, cx, cn, d0, dx, dn) of the upper (log N2 >= -0.6) and lower branches
_PG16 = {
    "R": ((8.589, 0.022, 0.399, -0.137, 0.164, 0.589),
          (7.932, 0.944, 0.695, 0.970, -0.291, -0.019)),
    "S": ((8.424, 0.030, 0.751, -0.349, 0.182, 0.508),
          (8.072, 0.789, 0.726, 1.069, -0.170, 0.022)),
}  # fmt: skip


def _pg16(f, which: str):
    log_n2 = log_ratio(f, "NII-6585", "Hb-4862") + _FOUR_THIRDS
    log_r3 = log_ratio(f, "OIII-5008", "Hb-4862") + _FOUR_THIRDS
    log_x = log_ratio(f, _OII if which == "R" else _SII, "Hb-4862")
    y = log_r3 - log_x

    def form(c0, cx, cn, d0, dx, dn):
        return c0 + cx * y + cn * log_n2 + (d0 + dx * y + dn * log_n2) * log_x

    upper, lower = _PG16[which]
    return np.where(log_n2 >= -0.6, form(*upper), form(*lower))


def _d16(f):
    y = log_ratio(f, "NII-6585", _SII) + 0.264 * _n2(f)
    return 8.77 + y + 0.45 * (y + 0.3) ** 5


def _kd02(f):
    r = log_ratio(f, "NII-6585", _OII)
    return np.log10(_horner(r, (0.167977, 1.26602, 1.54020))) + 8.93


#: Registry name -> formula(fluxes) for the closed-form calibrators.
CLOSED_FORM = {
    "M13_O3N2": lambda f: 8.533 - 0.214 * _o3n2(f),
    "M13_N2": lambda f: 8.743 + 0.462 * _n2(f),
    "PP04_N2": lambda f: 8.90 + 0.57 * _n2(f),
    "PP04_N2_cubic": lambda f: _horner(_n2(f), (0.32, 1.26, 2.03, 9.37)),
    "PP04_O3N2": lambda f: 8.73 - 0.32 * _o3n2(f),
    "PG16_R": lambda f: _pg16(f, "R"),
    "PG16_S": lambda f: _pg16(f, "S"),
    "D16_N2S2": _d16,
    "KD02_N2O2": _kd02,
}
