"""Spherical escape velocity against an exponential disc whose potential is known in closed form.

References, independent of the code: the exponential disc Sigma(R) = Sigma_0 exp(-R/R_d)
(Freeman 1970) has enclosed mass M(<R) = 2 pi Sigma_0 R_d^2 [1 - e^-x (1 + x)], x = R/R_d,
so the potential of the same mass in spherical shells is
Phi(r) = -G [M(<r)/r + 2 pi Sigma_0 R_d e^{-x}]; the razor-thin disc's midplane potential
is Phi(R) = -pi G Sigma_0 R [I0(y) K1(y) - I1(y) K0(y)], y = R/(2 R_d)
(Binney & Tremaine 2008, eq. 2.164).
"""

import numpy as np
import pytest
from scipy.special import i0, i1, k0, k1

from metgrad.physics import spherical_escape_velocity

G = 4.30091727e-6  # kpc (km/s)^2 / Msun (CODATA G, IAU nominal solar mass), typed by hand
SIGMA0, RD = 1.0e9, 3.0  # Msun/kpc^2, kpc


def _disc_pixels(r_max, *, step=0.05, ba=1.0):
    """Mass per pixel of an exponential disc out to r_max (deprojected plane), inclined."""
    n = int(2 * r_max / step)
    centres = (np.arange(n) - n / 2 + 0.5) * step
    x, y = np.meshgrid(centres, centres)
    # sky pixels of an inclined disc: y_sky = y_plane * b/a, so the plane radius is
    # hypot(x, y_sky / ba) and each sky pixel covers step^2 / ba of the plane
    r = np.hypot(x, y / ba).ravel()
    mass = SIGMA0 * np.exp(-r / RD) * step**2 / ba
    keep = r <= r_max
    return r[keep], mass[keep]


def _spherical_reference(r, r_edge, m_rest):
    x = r / RD
    m_in = 2 * np.pi * SIGMA0 * RD**2 * (1 - np.exp(-x) * (1 + x))
    outer = 2 * np.pi * SIGMA0 * RD * (np.exp(-x) - np.exp(-r_edge / RD))
    return np.sqrt(2 * G * (m_in / r + outer + m_rest / r_edge))


@pytest.mark.parametrize("ba", [1.0, 0.6])
def test_truncated_map_with_the_rest_at_its_edge(ba):
    r_edge = 2.0 * RD
    r, m = _disc_pixels(r_edge, step=0.02 * ba, ba=ba)
    total = 2 * np.pi * SIGMA0 * RD**2  # the whole (infinite) disc
    m_rest = total - 2 * np.pi * SIGMA0 * RD**2 * (1 - np.exp(-2) * 3)
    at = np.array([0.3, 0.5, 1.0, 1.5, 1.9]) * RD
    v = spherical_escape_velocity(at, r, m, total_mass_msun=total)
    expected = _spherical_reference(at, r_edge, m_rest)
    np.testing.assert_allclose(v, expected, rtol=2e-3)  # pixelisation of the map
    assert 100 < v[2] < 400  # km/s for a 5.7e10 Msun disc


def test_full_disc_within_the_documented_margin_of_the_thin_disc():
    # the whole disc mapped (to 12 R_d: 0.01 % of the mass left out): the sphere of the
    # same enclosed mass gives v_esc 3-10 % below the thin disc's (documented in the module)
    r, m = _disc_pixels(12 * RD, step=0.1)
    at = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]) * RD
    v = spherical_escape_velocity(at, r, m)
    y = at / (2 * RD)
    v_disc = np.sqrt(2 * np.pi * G * SIGMA0 * at * (i0(y) * k1(y) - i1(y) * k0(y)))
    ratio = v / v_disc
    assert np.all(ratio < 0.975) and np.all(ratio > 0.89)
    assert ratio.argmin() in (2, 3, 4)  # the worst near 1-2 scale lengths


def test_outside_everything_is_keplerian():
    r, m = np.array([1.0, 2.0, 3.0]), np.array([1e9, 2e9, 3e9])
    v = spherical_escape_velocity([10.0], r, m, total_mass_msun=1e10)
    np.testing.assert_allclose(v, np.sqrt(2 * G * 1e10 / 10.0), rtol=1e-8)


def test_missing_masses_count_as_zero_and_bad_radii_give_nan():
    r, m = np.array([1.0, 2.0, 3.0]), np.array([1e9, np.nan, -5.0])
    v = spherical_escape_velocity([0.5, np.nan], r, m)
    np.testing.assert_allclose(v[0], np.sqrt(2 * G * 1e9 / 1.0), rtol=1e-8)
    assert np.isnan(v[1])
    assert np.isnan(spherical_escape_velocity([1.0], r, np.full(3, np.nan))).all()


def test_minimum_radius_softens_the_centre():
    v = spherical_escape_velocity([0.0], [0.0], [1e9], min_radius_kpc=0.5)
    np.testing.assert_allclose(v, np.sqrt(2 * G * 1e9 / 0.5), rtol=1e-8)


def test_bad_shapes_and_minimum_radius_are_refused():
    with pytest.raises(ValueError, match="1-D of one length"):
        spherical_escape_velocity([1.0], [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="min_radius_kpc"):
        spherical_escape_velocity([1.0], [1.0], [1.0], min_radius_kpc=-1.0)
