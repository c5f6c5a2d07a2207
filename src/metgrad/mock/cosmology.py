"""The mock's own flat Lambda-CDM distances, from the Friedmann equation.

Written for the synthetic survey alone (no :mod:`astropy.cosmology`, nothing of
:mod:`metgrad.physics`): the comoving distance of a flat universe with matter
and a cosmological constant (no radiation) is

``D_C(z) = (c / H0) int_0^z dz' / E(z')``,  ``E(z) = sqrt(Om (1 + z)^3 + 1 - Om)``,

integrated here as the ordinary differential equation ``dD_C/dz = c / (H0 E(z))``
with :func:`scipy.integrate.solve_ivp` (DOP853, relative tolerance 1e-12). Then
``D_A = D_C / (1 + z)`` and ``D_L = D_C (1 + z)``.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["ARCSEC_RAD", "C_KM_S", "MPC_CM", "comoving_distance_mpc", "distance_tables"]

C_KM_S = 299792.458  #: speed of light (km/s), exact
MPC_CM = 3.0856775814913673e24  #: one megaparsec in cm (IAU 2015: 1 pc = 648000/pi au)
ARCSEC_RAD = np.pi / 648000.0  #: one arcsecond in radians


def comoving_distance_mpc(z: np.ndarray, h0: float, om0: float) -> np.ndarray:
    """Line-of-sight comoving distance (Mpc) at increasing redshifts ``z`` (flat LCDM).

    Parameters
    ----------
    z : array_like
        Redshifts, strictly increasing, >= 0.
    h0 : float
        Hubble constant (km/s/Mpc).
    om0 : float
        Matter density today (0 < om0 <= 1); the rest is a cosmological constant.

    Returns
    -------
    ndarray
        D_C(z) in Mpc.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 1 or z[0] < 0 or np.any(np.diff(z) <= 0):
        raise ValueError("z must be a 1-d, strictly increasing array of redshifts >= 0")
    if not (h0 > 0 and 0 < om0 <= 1):
        raise ValueError(f"need h0 > 0 and 0 < om0 <= 1, got h0={h0}, om0={om0}")
    hubble_mpc = C_KM_S / h0

    def rate(zz, _):
        return [hubble_mpc / np.sqrt(om0 * (1.0 + zz) ** 3 + 1.0 - om0)]

    sol = solve_ivp(rate, (0.0, float(z[-1])), [0.0], method="DOP853", t_eval=z,
                    rtol=1e-12, atol=1e-9)  # fmt: skip
    if not sol.success:
        raise ValueError(f"comoving-distance integration failed: {sol.message}")
    return sol.y[0]


def distance_tables(z: np.ndarray, h0: float, om0: float) -> dict[str, np.ndarray]:
    """Angular scale (kpc/arcsec) and luminosity distance (cm) on a redshift grid.

    Returns
    -------
    dict
        ``kpc_per_arcsec`` = D_A[kpc] x 1 arcsec[rad]; ``dl_cm`` = D_L in cm.
    """
    z = np.asarray(z, dtype=float)
    dc = comoving_distance_mpc(z, h0, om0)
    return {
        "kpc_per_arcsec": dc / (1.0 + z) * 1.0e3 * ARCSEC_RAD,
        "dl_cm": dc * (1.0 + z) * MPC_CM,
    }
