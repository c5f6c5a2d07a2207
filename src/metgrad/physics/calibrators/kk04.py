"""Kobulnicky & Kewley (2004) R23 calibration (photoionisation models, iterative).

With ``x = log10 R23``, ``R23 = ([OII]3727+3729 + [OIII]4959+5007) / Hbeta`` and
``y = log10 O32``, ``O32 = [OIII]4959+5007 / [OII]3727+3729`` (KK04 eqs. 13, 16, 17)::

    log q = [32.81 - 1.153 y^2 + Z (-3.396 - 0.025 y + 0.1444 y^2)]
            / [4.603 - 0.3119 y - 0.163 y^2 + Z (-0.48 + 0.0271 y + 0.02037 y^2)]
    lower: Z = 9.40 + 4.65 x - 3.17 x^2 - log q (0.272 + 0.547 x - 0.513 x^2)
    upper: Z = 9.72 - 0.777 x - 0.951 x^2 - 0.072 x^3 - 0.811 x^4
               - log q (0.0737 - 0.0713 x - 0.141 x^2 + 0.0373 x^3 - 0.058 x^4)

where Z = 12+log(O/H). O32 is [OIII]/[OII] (not its inverse), and this is the KK04
calibration, not the older McGaugh (1991) / Kobulnicky et al. (1999) R23 polynomial.

Iteration: start at Z = 8.7 on the upper branch and 8.2 on the lower one (the starting
values KK04 suggest), alternate log q(Z) and Z(x, log q) until the change of Z is
below :data:`KK04_TOLERANCE_DEX` (1e-8 dex; typically 10-20 steps), at most
:data:`KK04_MAX_ITERATIONS` (100) times; a spaxel that has not converged is NaN.
Each spaxel iterates in a compiled loop (:func:`._kernels.kk04_converged`, the same
arithmetic as :func:`_step`).
The derivatives of the converged Z are exact, from the implicit-function theorem on
``Z = f(x, log q(Z, y))``: ``dZ = (df/dx dx + df/dlogq dlogq/dy dy) / (1 - df/dlogq
dlogq/dZ)``.

Branch: upper where log10([NII]6584 / [OII]3727+3729) >= -1.2, lower below (the split
KK04 and Kewley & Ellison 2008 use). Doublets: both [OII] channels are summed, and
[OIII]4959+5007 is the sum of the two DAP channels (the DAP ties 4960 to 5008).
Validity: 7.63 <= Z <= 9.41, the KD02 model grid (0.05-3 Z_sun with solar 8.93) on
which KK04 fitted these expressions.
"""

import numpy as np

from ._dual import Dual, substituted, where
from ._kernels import kk04_converged, kk04_log_q, kk04_z_lower, kk04_z_upper
from .base import Calibrator, Evaluation, Validity, branch_codes
from .registry import register

__all__ = ["KK04_BRANCH_LOG_N2O2", "KK04_MAX_ITERATIONS", "KK04_R23", "KK04_TOLERANCE_DEX"]

#: log10([NII]6584/[OII]3727,29) at and above which the upper branch applies.
KK04_BRANCH_LOG_N2O2 = -1.2
#: Convergence tolerance of the iteration on 12+log(O/H) (dex).
KK04_TOLERANCE_DEX = 1e-8
#: Maximum number of iterations.
KK04_MAX_ITERATIONS = 100
_START = {"upper": 8.7, "lower": 8.2}

_VALIDITY = Validity(
    index="x = log10 R23, y = log10 O32",
    oh_range=(7.63, 9.41),
    note="KD02 photoionisation grid (0.05-3 Z_sun, solar 8.93) behind the KK04 fits",
)


#: KK04 eqs 13, 16 and 17 as plain Python (they take the Dual numbers of the derivatives);
#: the compiled iteration uses the same functions (metgrad.physics.calibrators._kernels).
_log_q = kk04_log_q.py_func
_z_lower = kk04_z_lower.py_func
_z_upper = kk04_z_upper.py_func


def _step(z, x, y, upper):
    """One step Z -> Z(x, log q(Z, y)) on Dual numbers (the derivatives of the fixed point)."""
    log_q = _log_q(z, y)
    return where(upper, _z_upper(x, log_q), _z_lower(x, log_q))


def kk04_iterate(x, y, upper):
    """
    Converged KK04 12+log(O/H) from log R23, log O32 and the branch, on plain arrays.

    Parameters
    ----------
    x, y : array_like
        log10 R23 and log10 O32 (dust-corrected, doublets summed).
    upper : array_like of bool
        True for the upper branch.

    Returns
    -------
    z : `~numpy.ndarray`
        12+log(O/H) (dex); NaN where the iteration did not converge.
    """
    shape = np.broadcast_shapes(np.shape(x), np.shape(y), np.shape(upper))
    x, y, upper = (np.ravel(a) for a in np.broadcast_arrays(x, y, upper))
    z = kk04_converged(
        x.astype(np.float64), y.astype(np.float64), upper.astype(np.bool_),
        _START["upper"], _START["lower"], KK04_TOLERANCE_DEX, KK04_MAX_ITERATIONS,
    )  # fmt: skip
    return z.reshape(shape)


def _kk04(lines):
    oii = lines["OII-3727"] + lines["OII-3729"]
    oiii = lines["OIII-4960"] + lines["OIII-5008"]
    x = ((oii + oiii) / lines["Hb-4862"]).log10()
    y = (oiii / oii).log10()
    branch = branch_codes(np.log10(lines["NII-6585"].value / oii.value), KK04_BRANCH_LOG_N2O2)
    upper = branch == 1
    z = kk04_iterate(x.value, y.value, upper)
    # implicit-function theorem on Z = step(Z, x, y): dZ = d step|_Z / (1 - d step / dZ)
    step, partials = substituted(lambda z_, x_, y_: _step(z_, x_, y_, upper), Dual(z), x, y)
    d_step_dz = partials[0]  # log q depends on Z, so this partial is always there
    oh = Dual(z, {name: g / (1.0 - d_step_dz) for name, g in step.grad.items()})
    return Evaluation(oh, _VALIDITY.mask(oh=z), branch)


#: Kobulnicky & Kewley (2004) R23, iterated with O32.
KK04_R23 = register(
    Calibrator(
        name="KK04_R23",
        lines=("OII-3727", "OII-3729", "OIII-4960", "OIII-5008", "Hb-4862", "NII-6585"),
        scale="photoionisation",
        reference="Kobulnicky, H. A., & Kewley, L. J. 2004, ApJ, 617, 240 (eqs. 13, 16, 17)",
        validity=_VALIDITY,
        branched=True,
        description=(
            "iterated R23-O32 calibration; upper if log([NII]6584/[OII]) >= -1.2, else lower"
        ),
        formula=_kk04,
    )
)
