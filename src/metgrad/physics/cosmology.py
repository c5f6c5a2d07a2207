"""Cosmology used for distances and spaxel areas.

Boardman et al. (2022) adopt a flat Lambda-CDM cosmology with H0 = 71 km/s/Mpc,
Omega_M = 0.27 and Omega_Lambda = 0.73: :data:`DEFAULT_COSMOLOGY`. Every function
taking a ``cosmology`` keyword accepts any `astropy.cosmology.FLRW` instance instead.
"""

import astropy.units as u
import numpy as np
from astropy.cosmology import FlatLambdaCDM

from ._arrays import as_float, positive_finite, require_positive_scalar, to_output

__all__ = [
    "DEFAULT_COSMOLOGY",
    "SPAXEL_ARCSEC",
    "angular_diameter_distance_kpc",
    "luminosity_distance_cm",
    "spaxel_area_kpc2",
]

#: FlatLambdaCDM(H0=71, Om0=0.27) (no radiation, so Omega_Lambda = 0.73).
DEFAULT_COSMOLOGY = FlatLambdaCDM(H0=71.0, Om0=0.27, name="Boardman2022")

#: Side of a MaNGA DRP datacube spaxel, in arcsec.
SPAXEL_ARCSEC = 0.5

_ARCSEC_IN_RAD = np.pi / (180.0 * 3600.0)


def _distance(z, method, unit):
    """Evaluate ``method(z)`` in ``unit`` for finite z > 0 only; NaN elsewhere."""
    z = as_float(z)
    valid = positive_finite(z)
    values = np.full(z.shape, np.nan)
    if np.any(valid):
        values[valid] = method(z[valid]).to_value(unit)
    return to_output(values, valid)


def luminosity_distance_cm(z, *, cosmology=None):
    """
    Luminosity distance in cm.

    Parameters
    ----------
    z : float or array_like
        Redshift (> 0).
    cosmology : `astropy.cosmology.FLRW`, optional
        Defaults to :data:`DEFAULT_COSMOLOGY`.

    Returns
    -------
    d_l : `numpy.float64` or `~numpy.ndarray`
        Luminosity distance in cm; NaN where z is non-finite or <= 0.
    """
    cosmology = DEFAULT_COSMOLOGY if cosmology is None else cosmology
    return _distance(z, cosmology.luminosity_distance, u.cm)


def angular_diameter_distance_kpc(z, *, cosmology=None):
    """
    Angular-diameter distance in kpc.

    Parameters
    ----------
    z : float or array_like
        Redshift (> 0).
    cosmology : `astropy.cosmology.FLRW`, optional
        Defaults to :data:`DEFAULT_COSMOLOGY`.

    Returns
    -------
    d_a : `numpy.float64` or `~numpy.ndarray`
        Angular-diameter distance in kpc; NaN where z is non-finite or <= 0.
    """
    cosmology = DEFAULT_COSMOLOGY if cosmology is None else cosmology
    return _distance(z, cosmology.angular_diameter_distance, u.kpc)


def spaxel_area_kpc2(z, *, spaxel_arcsec=SPAXEL_ARCSEC, cosmology=None):
    """
    Projected physical area of one square spaxel, in kpc^2.

    Parameters
    ----------
    z : float or array_like
        Redshift (> 0).
    spaxel_arcsec : float, optional
        Side of the spaxel in arcsec (0.5 for MaNGA).
    cosmology : `astropy.cosmology.FLRW`, optional
        Defaults to :data:`DEFAULT_COSMOLOGY`.

    Returns
    -------
    area : `numpy.float64` or `~numpy.ndarray`
        ``(spaxel_arcsec * pi / 648000 * D_A[kpc])**2``; NaN where z is non-finite
        or <= 0.

    Raises
    ------
    ValueError
        If ``spaxel_arcsec`` is not a finite positive scalar.

    Examples
    --------
    >>> from metgrad.physics import spaxel_area_kpc2
    >>> print(f"{spaxel_area_kpc2(0.03):.5f}")
    0.08779
    """
    spaxel_arcsec = require_positive_scalar(spaxel_arcsec, "spaxel_arcsec")
    d_a = angular_diameter_distance_kpc(z, cosmology=cosmology)
    return (spaxel_arcsec * _ARCSEC_IN_RAD * d_a) ** 2
