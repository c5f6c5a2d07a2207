"""Local escape velocity from a stellar-mass map, in a spherical approximation.

Boardman et al. (2022, §5) name the escape velocity as the next parameter to
try for the gradients their local relations miss. A spaxel's mass does not
depend on the inclination, so the deprojected Sigma_* map of a galaxy is a set
of mass elements ``m_j`` at deprojected (in-plane) radii ``r_j``. Treating each
as a thin spherical shell of radius ``r_j``, the potential at radius ``r`` is
exactly

.. math::

    \\Phi(r) = -G \\sum_j \\frac{m_j}{\\max(r, r_j)}
               - G \\frac{M_\\mathrm{rest}}{\\max(r, R_\\mathrm{edge})},

where ``M_rest = max(M* - sum_j m_j, 0)`` is the part of the galaxy's stellar
mass the map misses (outside the bundle, or in spaxels without a Pipe3D fit),
put as one more shell at the map's edge ``R_edge`` (the largest radius with
mapped mass), and :math:`v_\\mathrm{esc} = \\sqrt{-2\\Phi}`.

This is a **stellar-only lower limit** to the true escape velocity: gas and,
above all, dark matter are left out (they dominate the potential at the radii
of the gradients). The sphere also underestimates a thin disc's midplane
potential: for an exponential disc (Freeman 1970) its v_esc is 3-10 % below
the disc's at 0.25-6 scale lengths (9.5 % at 1.5, the worst), tested in
``tests/unit/test_physics_potential.py``. Only the missing mass, put at the
map's edge rather than further out, errs slightly the other way inside R_edge.
Units: radii kpc, masses Msun, v_esc km/s.
"""

from __future__ import annotations

import numpy as np
from astropy import constants as const
from astropy import units as u

from ._arrays import as_float

__all__ = ["G_KPC_KMS2_PER_MSUN", "spherical_escape_velocity"]

#: Newton's constant in kpc (km/s)^2 / Msun (about 4.3009e-6).
G_KPC_KMS2_PER_MSUN: float = float(const.G.to(u.kpc * u.km**2 / u.s**2 / u.Msun).value)


def spherical_escape_velocity(
    at_radius_kpc, mass_radius_kpc, mass_msun, *, total_mass_msun=np.nan, min_radius_kpc=0.0
):
    """Escape velocity (km/s) at given radii from mass elements treated as spherical shells.

    Parameters
    ----------
    at_radius_kpc : array_like
        Deprojected radii (kpc) where v_esc is wanted (any shape); NaN gives NaN.
    mass_radius_kpc : array_like, shape (n,)
        Deprojected radius (kpc) of each mass element (e.g. each covered spaxel).
    mass_msun : array_like, shape (n,)
        Stellar mass of each element (Msun): ``Sigma_* x A_spaxel / (b/a)`` with
        the face-on Sigma_*. Non-finite or non-positive masses count as zero.
    total_mass_msun : float, optional
        The galaxy's total stellar mass M* (Msun). What the map misses is added as
        a shell at the map's edge; NaN (default) uses the map alone.
    min_radius_kpc : float, optional
        Radii below this (kpc) are raised to it, for the elements and the query
        points: a mass element at r = 0 would otherwise give an infinite
        potential. Half a spaxel's side is a natural choice.

    Returns
    -------
    v_esc : ndarray
        ``sqrt(-2 Phi)`` in km/s, the shape of ``at_radius_kpc``; NaN where the
        radius is not finite, and everywhere if the map holds no mass. At r = 0
        (with ``min_radius_kpc`` 0) it is ``sqrt(2 G sum_j m_j / r_j)``.

    Raises
    ------
    ValueError
        If ``mass_radius_kpc`` and ``mass_msun`` are not 1-D of one length, or
        ``min_radius_kpc`` is negative or not finite.

    References
    ----------
    .. [1] Binney, J., & Tremaine, S. 2008, Galactic Dynamics, 2nd ed., §2.2.1
       (potential of spherical systems)
    """
    at = as_float(at_radius_kpc)
    r, m = as_float(mass_radius_kpc), as_float(mass_msun)
    if r.ndim != 1 or m.shape != r.shape:
        raise ValueError(
            f"mass_radius_kpc and mass_msun must be 1-D of one length, got {r.shape} and {m.shape}"
        )
    if not (np.isfinite(min_radius_kpc) and min_radius_kpc >= 0):
        raise ValueError(f"min_radius_kpc must be finite and >= 0, got {min_radius_kpc!r}")
    use = np.isfinite(r) & np.isfinite(m) & (m > 0)
    r, m = np.maximum(r[use], min_radius_kpc), m[use]
    out = np.full(at.shape, np.nan)
    if not m.size:
        return out
    order = np.argsort(r)
    r, m = r[order], m[order]
    m_map = float(m.sum())
    rest = 0.0
    if np.isfinite(total_mass_msun):
        rest = max(float(total_mass_msun) - m_map, 0.0)
    # append the missing mass as one more shell at the map's edge (the largest radius)
    r = np.append(r, r[-1])
    m = np.append(m, rest)
    inside = np.cumsum(m)  # inside[k - 1]: mass of shells 0..k-1
    outside = np.concatenate([np.cumsum((m / r)[::-1])[::-1], [0.0]])  # sum m/r of k..end
    ok = np.isfinite(at)
    q = np.maximum(at[ok], min_radius_kpc)
    k = np.searchsorted(r, q, side="right")  # shells with r_j <= q are inside
    minus_phi_over_g = outside[k]
    inner = k > 0  # below the first shell no mass is inside (no 0 / 0 at q = 0)
    minus_phi_over_g[inner] += inside[k[inner] - 1] / q[inner]
    out[ok] = np.sqrt(2.0 * G_KPC_KMS2_PER_MSUN * minus_phi_over_g)
    return out
