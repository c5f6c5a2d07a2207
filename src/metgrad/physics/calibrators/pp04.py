"""Pettini & Pagel (2004) N2 (linear and cubic) and O3N2 calibrations (T_e-anchored).

PP04 fit the direct-method (T_e) abundances of H II regions (with a few
photoionisation-model points at the high-metallicity end):

- ``PP04_N2``: ``8.90 + 0.57 N2``, for -2.5 < N2 < -0.3;
- ``PP04_N2_cubic``: ``9.37 + 2.03 N2 + 1.26 N2^2 + 0.32 N2^3``,
  for -2.5 < N2 < -0.3;
- ``PP04_O3N2``: ``8.73 - 0.32 O3N2``, for O3N2 < 1.9 (above ~2 the
  relation flattens and PP04 advise against it).

N2 = log10([NII]6584/Halpha) with the strong [NII] line only; O3N2 =
log10(([OIII]5007/Hbeta) / ([NII]6584/Halpha)).
"""

import numpy as np

from .base import Calibrator, Evaluation, Validity
from .m13 import _n2, _o3n2
from .registry import register

__all__ = ["PP04_N2", "PP04_N2_CUBIC", "PP04_O3N2"]

_REFERENCE = "Pettini, M., & Pagel, B. E. J. 2004, MNRAS, 348, L59"
_N2_INDEX = "N2 = log10([NII]6584/Ha)"
_N2_VALIDITY = Validity(
    index=_N2_INDEX, index_range=(-2.5, -0.3), note="range of the PP04 calibrating sample"
)
_O3N2_VALIDITY = Validity(
    index="O3N2 = log10(([OIII]5007/Hb) / ([NII]6584/Ha))",
    index_range=(-np.inf, 1.9),
    note="PP04: O3N2 calibration only below O3N2 ~ 2 (the common cut 1.9)",
)
# Coefficients of N2^0..N2^3 of the PP04 cubic fit.
_N2_CUBIC = (9.37, 2.03, 1.26, 0.32)


def _pp04_n2(lines):
    n2 = _n2(lines)
    return Evaluation(8.90 + 0.57 * n2, _N2_VALIDITY.mask(index=n2.value))


def _pp04_n2_cubic(lines):
    n2 = _n2(lines)
    a0, a1, a2, a3 = _N2_CUBIC
    oh = a0 + a1 * n2 + a2 * n2**2 + a3 * n2**3
    return Evaluation(oh, _N2_VALIDITY.mask(index=n2.value))


def _pp04_o3n2(lines):
    o3n2 = _o3n2(lines)
    return Evaluation(8.73 - 0.32 * o3n2, _O3N2_VALIDITY.mask(index=o3n2.value))


#: Pettini & Pagel (2004) linear N2.
PP04_N2 = register(
    Calibrator(
        name="PP04_N2",
        lines=("NII-6585", "Ha-6564"),
        scale="Te",
        reference=_REFERENCE,
        validity=_N2_VALIDITY,
        branched=False,
        description="8.90 + 0.57 N2, N2 = log10([NII]6585/Ha)",
        formula=_pp04_n2,
    )
)

#: Pettini & Pagel (2004) cubic N2.
PP04_N2_CUBIC = register(
    Calibrator(
        name="PP04_N2_cubic",
        lines=("NII-6585", "Ha-6564"),
        scale="Te",
        reference=_REFERENCE,
        validity=_N2_VALIDITY,
        branched=False,
        description="9.37 + 2.03 N2 + 1.26 N2^2 + 0.32 N2^3, N2 = log10([NII]6585/Ha)",
        formula=_pp04_n2_cubic,
    )
)

#: Pettini & Pagel (2004) O3N2.
PP04_O3N2 = register(
    Calibrator(
        name="PP04_O3N2",
        lines=("OIII-5008", "Hb-4862", "NII-6585", "Ha-6564"),
        scale="Te",
        reference=_REFERENCE,
        validity=_O3N2_VALIDITY,
        branched=False,
        description="8.73 - 0.32 O3N2, O3N2 = log10(([OIII]5008/Hb)/([NII]6585/Ha))",
        formula=_pp04_o3n2,
    )
)
