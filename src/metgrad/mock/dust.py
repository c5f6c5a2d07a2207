"""The mock's own dust law: Calzetti et al. (2000) written in inverse microns.

Written for the synthetic survey alone, so that a wrong dust law in the pipeline
(:mod:`metgrad.physics`) cannot redden and de-redden the survey identically.
Calzetti et al. (2000, ApJ 533, 682), eq. 4, is
``k(lambda) = 2.659 P(1/lambda) + R_V`` with ``lambda`` in microns and two
polynomials P split at 0.63 um. Here the factor 2.659 is multiplied into every
coefficient of the published P (done by hand from the paper's numbers):

- 0.12-0.63 um: 2.659 x (-2.156, 1.509, -0.198, 0.011)
  = (-5.732804, 4.012431, -0.526482, 0.029249) for 1, x, x^2, x^3;
- 0.63-2.20 um: 2.659 x (-1.857, 1.040) = (-4.937763, 2.765360) for 1, x;

with ``x = 1 / lambda[um]``. As published, the two pieces differ by 0.025 at
0.63 um (the red piece applies from 0.63 um up).
"""

from __future__ import annotations

import numpy as np

__all__ = ["CALZETTI_BLUE_INV_UM", "CALZETTI_RED_INV_UM", "attenuation_k"]

#: k - R_V as a polynomial in x = 1/lambda[um] (coefficients of 1, x, x^2, x^3), 0.12-0.63 um.
CALZETTI_BLUE_INV_UM: tuple[float, ...] = (-5.732804, 4.012431, -0.526482, 0.029249)
#: k - R_V as a polynomial in x = 1/lambda[um] (coefficients of 1, x), 0.63-2.20 um.
CALZETTI_RED_INV_UM: tuple[float, ...] = (-4.937763, 2.765360)
_BREAK_UM = 0.63
_RANGE_UM = (0.12, 2.20)


def attenuation_k(wave_aa, r_v: float = 3.1) -> np.ndarray:
    """Calzetti et al. (2000) k(lambda) = A(lambda) / E(B-V) at vacuum wavelengths in Angstrom.

    Parameters
    ----------
    wave_aa : float or array_like
        Rest-frame wavelength (Angstrom), 1200-22000.
    r_v : float, optional
        A_V / E(B-V) (the paper uses 3.1).

    Returns
    -------
    ndarray
        k(lambda), dimensionless.

    Raises
    ------
    ValueError
        If a wavelength lies outside 1200-22000 A.
    """
    wave_um = np.asarray(wave_aa, dtype=float) / 1.0e4
    if np.any((wave_um < _RANGE_UM[0]) | (wave_um > _RANGE_UM[1])):
        raise ValueError("the Calzetti law is defined for 1200-22000 A only")
    x = 1.0 / wave_um  # inverse microns
    blue = np.polynomial.polynomial.polyval(x, CALZETTI_BLUE_INV_UM)
    red = np.polynomial.polynomial.polyval(x, CALZETTI_RED_INV_UM)
    return np.where(wave_um < _BREAK_UM, blue, red) + r_v
