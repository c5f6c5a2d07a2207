"""Column names of a run's tables, with their units: spelled here and nowhere else.

The analysis, the figures and the report ask this module for a column's name
(``columns.LOG_MSTAR``, ``columns.oh("m13")``, ``columns.grad("sfh")``) so that a
name changes in one place; ``docs/outputs.md`` lists every column with its unit (a test
checks it against a run's tables).
"""

from __future__ import annotations

__all__ = [
    "A_V",
    "BA",
    "D4000",
    "FINAL",
    "LOG_AGE_LW",
    "LOG_EW_HA",
    "LOG_MSTAR",
    "LOG_PHI_STAR",
    "LOG_RE",
    "LOG_SIGMA_SFR",
    "LOG_SIGMA_STAR",
    "LOG_SSFR",
    "MANGAID",
    "N_SPAXELS",
    "PLATEIFU",
    "R_RE",
    "err",
    "grad",
    "grad_err",
    "intercept",
    "loess",
    "offset",
    "oh",
    "oh_err",
    "pred",
]

# --- identity -----------------------------------------------------------------------
PLATEIFU = "plateifu"
MANGAID = "mangaid"

# --- galaxy values (one per galaxy, repeated on its spaxels in the analysis) -----------
LOG_MSTAR = "log_mstar"
LOG_RE = "log_re"
LOG_PHI_STAR = "log_phi_star"
BA = "ba"

# --- spaxel values ----------------------------------------------------------------------
R_RE = "r_re"
LOG_SIGMA_STAR = "log_sigma_star"
LOG_SIGMA_SFR = "log_sigma_sfr"
LOG_SSFR = "log_ssfr"
LOG_EW_HA = "log_ew_ha"
D4000 = "d4000"
LOG_AGE_LW = "log_age_lw"
A_V = "a_v"
FINAL = "final"

# --- per galaxy in the analysis ---------------------------------------------------------
N_SPAXELS = "n_spaxels"


def oh(calibrator: str) -> str:
    """12+log(O/H) of a calibrator (dex), e.g. ``oh_m13``."""
    return f"oh_{calibrator}"


def oh_err(calibrator: str) -> str:
    """1-sigma measurement error of :func:`oh` (dex)."""
    return f"oh_{calibrator}_err"


def pred(model: str) -> str:
    """A model set's predicted 12+log(O/H) (dex), e.g. ``pred_SFH``."""
    return f"pred_{model}"


def err(model: str) -> str:
    """A model set's prediction error (dex)."""
    return f"err_{model}"


def _tag(name: str) -> str:
    return name.lower()


def grad(name: str) -> str:
    """Gradient of the observed (``obs``) or a model's metallicities (dex/R_e)."""
    return f"grad_{_tag(name)}"


def grad_err(name: str) -> str:
    """Error of :func:`grad` (dex/R_e): robust_sigma of the refitted slopes."""
    return f"grad_{_tag(name)}_err"


def intercept(name: str) -> str:
    """12+log(O/H) at R = 0 of a gradient's line (dex)."""
    return f"intercept_{_tag(name)}"


def offset(model: str) -> str:
    """Observed minus model gradient (dex/R_e)."""
    return f"offset_{_tag(model)}"


def loess(column: str) -> str:
    """A galaxy column LOESS-smoothed over the mass-size plane (same unit)."""
    return f"loess_{column}"
