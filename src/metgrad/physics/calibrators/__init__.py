"""Strong-line gas-phase metallicity calibrators: a registry, and the paper's two functions.

Registry
--------
``available()`` lists the calibrator names, ``get(name)`` returns a
:class:`~.base.Calibrator` and ``usable(channels)`` the names computable from a set of
MaNGA DAP channels. Each calibrator has ``name``, ``lines`` (DAP channels read),
``scale`` ("Te" or "photoionisation"), ``reference``, ``validity``, ``branched`` and
``description``, and the methods ``oh(fluxes)``, ``branch(fluxes)``,
``oh_error(fluxes, errors)`` and ``estimate(fluxes, errors, dust_correct=...)``, where
``fluxes`` and ``errors`` map DAP channel names to arrays::

    >>> from metgrad.physics import calibrators
    >>> cal = calibrators.get("M13_O3N2")
    >>> fluxes = {"OIII-5008": 1.0, "Hb-4862": 1.0, "NII-6585": 0.1, "Ha-6564": 1.0}
    >>> print(f"{cal.oh(fluxes):.3f}")
    8.319

Registered (19): M13_O3N2 (alias "m13"), M13_N2, PP04_N2, PP04_N2_cubic, PP04_O3N2,
PG16_R (alias "pg16"), PG16_S, D16_N2S2, KD02_N2O2, KK04_R23, C20_N2, C20_O3N2, C20_R3,
C20_R2, C20_R23, C20_O3O2, C20_S2, C20_RS32, C20_O3S2. Each family module documents its
formula, the doublet convention it follows, its validity range and its branch rule.
Te-anchored and photoionisation-model scales differ by 0.2-0.6 dex: never mix them in
one model.

Errors are first-order propagations of independent line-flux errors with exact
derivatives (forward-mode, :mod:`._dual`), through the Balmer-decrement dust
correction when it is done by the calibrator (``dust_correct=True``): Halpha and
Hbeta then also enter through E(B-V). The intrinsic scatter of the calibrations is
not included.

Speed (``benchmarks/bench_calibrators.py``): :func:`estimate_all` computes all 19
calibrators with their errors and branches, dust correction included, in 2.95 s of
CPU per million spaxels (one core; measured on the shared 2-core machine at load
average 10, where the wall time was 7.4 s); each calibrator alone takes 0.04-0.75 s
(KK04, iterated, is the slowest).

Original functions
------------------
- Marino et al. (2013) O3N2: :func:`oh_o3n2_m13`, :func:`oh_o3n2_m13_error`,
  :func:`o3n2_index`.
- Pilyugin & Grebel (2016) R: :func:`oh_r_pg16`, :func:`oh_r_pg16_error`,
  :func:`pg16_log_ratios`, :func:`pg16_r_calibration`.

They take dust-corrected fluxes positionally and return the raw value of the
published formula with no range mask (the paper's spaxel selection applies 8.17 <=
12+log(O/H)_M13 <= 8.77, Boardman et al. 2022, section 2.2); their errors are
first-order propagations in dex, with ``dust_correct=False`` by default. MaNGA DAP
maps give inverse variances: ``error = 1 / sqrt(ivar)``.
"""

# isort: off
# Importing the family modules registers their calibrators, in this order.
from . import m13, pp04, pg16, d16, kd02, kk04, c20  # noqa: F401
# isort: on
from .base import (
    BRANCH_LOWER,
    BRANCH_NONE,
    BRANCH_UPPER,
    SCALES,
    TIED_LINES,
    Calibrator,
    Estimate,
    Evaluation,
    Validity,
    branch_codes,
    corrected_fluxes,
    deredden_lines,
)
from .batch import CHUNK_SIZE, estimate_all
from .m13 import (
    M13_O3N2_INTERCEPT,
    M13_O3N2_SLOPE,
    o3n2_index,
    oh_o3n2_m13,
    oh_o3n2_m13_error,
)
from .pg16 import (
    PG16_BRANCH_LOG_N2,
    PG16_DOUBLET_FACTOR,
    oh_r_pg16,
    oh_r_pg16_error,
    pg16_log_ratios,
    pg16_r_calibration,
)
from .registry import ALIASES, available, get, register, usable

__all__ = [
    "ALIASES",
    "BRANCH_LOWER",
    "BRANCH_NONE",
    "BRANCH_UPPER",
    "CHUNK_SIZE",
    "M13_O3N2_INTERCEPT",
    "M13_O3N2_SLOPE",
    "PG16_BRANCH_LOG_N2",
    "PG16_DOUBLET_FACTOR",
    "SCALES",
    "TIED_LINES",
    "Calibrator",
    "Estimate",
    "Evaluation",
    "Validity",
    "available",
    "branch_codes",
    "corrected_fluxes",
    "deredden_lines",
    "estimate_all",
    "get",
    "o3n2_index",
    "oh_o3n2_m13",
    "oh_o3n2_m13_error",
    "oh_r_pg16",
    "oh_r_pg16_error",
    "pg16_log_ratios",
    "pg16_r_calibration",
    "register",
    "usable",
]
