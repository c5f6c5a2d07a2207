"""Star formation rate and its surface density from Halpha (Kennicutt et al. 2009).

``SFR [Msun/yr] = 5.5e-42 L(Halpha) [erg/s]`` (Kroupa IMF), with
``L = 4 pi D_L^2 F``; per spaxel, ``Sigma_SFR = SFR * (b/a) / A_spaxel`` with the
spaxel area from the angular-diameter distance (Boardman et al. 2022, section 2.1).
The Halpha flux is the dust-corrected one (the paper corrects all fluxes first).
"""

import numpy as np

from ._arrays import (
    as_float,
    axis_ratio_or_nan,
    positive_finite,
    require_positive_scalar,
    to_output,
)
from .cosmology import SPAXEL_ARCSEC, luminosity_distance_cm, spaxel_area_kpc2

__all__ = [
    "DAP_FLUX_UNIT",
    "HALPHA_SFR_K09",
    "line_luminosity",
    "sfr_halpha_k09",
    "sigma_sfr_halpha",
]

#: Kennicutt et al. (2009) Halpha calibration, Msun/yr per erg/s (Kroupa 2001 IMF,
#: 0.1-100 Msun), the "Equation 20" used by Boardman et al. (2022).
HALPHA_SFR_K09 = 5.5e-42

#: MaNGA DAP emission-line flux unit: 1e-17 erg/s/cm^2 per spaxel.
DAP_FLUX_UNIT = 1.0e-17


def line_luminosity(flux, z, *, flux_unit=DAP_FLUX_UNIT, cosmology=None):
    """
    Line luminosity from an integrated line flux and a redshift.

    Parameters
    ----------
    flux : float or array_like
        Integrated line flux in units of ``flux_unit``.
    z : float or array_like
        Redshift (> 0), broadcast against ``flux``.
    flux_unit : float, optional
        Flux unit in erg/s/cm^2 (1e-17 for MaNGA DAP maps).
    cosmology : `astropy.cosmology.FLRW`, optional
        Defaults to FlatLambdaCDM(H0=71, Om0=0.27).

    Returns
    -------
    luminosity : `numpy.float64` or `~numpy.ndarray`
        ``4 pi D_L^2 * flux * flux_unit`` in erg/s; NaN where the flux or z is
        non-finite or <= 0.

    Raises
    ------
    ValueError
        If ``flux_unit`` is not a finite positive scalar.
    """
    flux_unit = require_positive_scalar(flux_unit, "flux_unit")
    flux = as_float(flux)
    d_l = luminosity_distance_cm(z, cosmology=cosmology)
    valid = positive_finite(flux, d_l)
    with np.errstate(all="ignore"):
        luminosity = 4.0 * np.pi * d_l**2 * (flux * flux_unit)
    return to_output(luminosity, valid)


def sfr_halpha_k09(l_halpha):
    """
    Star formation rate from the Halpha luminosity (Kennicutt et al. 2009).

    Parameters
    ----------
    l_halpha : float or array_like
        Dust-corrected Halpha luminosity in erg/s.

    Returns
    -------
    sfr : `numpy.float64` or `~numpy.ndarray`
        ``5.5e-42 * l_halpha`` in Msun/yr (Kroupa IMF); NaN where the luminosity is
        non-finite or <= 0.

    References
    ----------
    .. [1] Kennicutt, R. C., et al. 2009, ApJ, 703, 1672

    Examples
    --------
    >>> from metgrad.physics import sfr_halpha_k09
    >>> print(f"{sfr_halpha_k09(1e41):.2f}")
    0.55
    """
    luminosity = as_float(l_halpha)
    with np.errstate(all="ignore"):
        sfr = HALPHA_SFR_K09 * luminosity
    return to_output(sfr, positive_finite(luminosity))


def sigma_sfr_halpha(
    ha_flux,
    z,
    ba,
    *,
    flux_unit=DAP_FLUX_UNIT,
    spaxel_arcsec=SPAXEL_ARCSEC,
    cosmology=None,
):
    """
    Star formation rate surface density of a spaxel from its Halpha flux.

    Parameters
    ----------
    ha_flux : float or array_like
        Dust-corrected Halpha flux of the spaxel in units of ``flux_unit`` (the paper
        uses the DAP non-parametric ``EMLINE_SFLUX``).
    z : float or array_like
        Redshift of the galaxy (> 0), broadcast against ``ha_flux``.
    ba : float or array_like
        Axis ratio b/a of the galaxy, in (0, 1]: the inclination correction.
    flux_unit : float, optional
        Flux unit in erg/s/cm^2 (1e-17 for MaNGA DAP maps).
    spaxel_arcsec : float, optional
        Side of a spaxel in arcsec (0.5 for MaNGA).
    cosmology : `astropy.cosmology.FLRW`, optional
        Defaults to FlatLambdaCDM(H0=71, Om0=0.27).

    Returns
    -------
    sigma_sfr : `numpy.float64` or `~numpy.ndarray`
        Sigma_SFR in Msun/yr/kpc^2 (Kroupa IMF); NaN where the flux or z is
        non-finite or <= 0, or b/a is outside (0, 1].

    Raises
    ------
    ValueError
        If ``flux_unit`` or ``spaxel_arcsec`` is not a finite positive scalar.

    Notes
    -----
    ``Sigma_SFR = 5.5e-42 * 4 pi D_L^2 F * (b/a) / (spaxel_arcsec * D_A)^2`` with the
    distances of the chosen cosmology (spaxel side in radians). Multiplying by b/a
    deprojects to the disc plane as in Boardman et al. (2022, section 2.1).

    References
    ----------
    .. [1] Kennicutt, R. C., et al. 2009, ApJ, 703, 1672
    .. [2] Boardman, N., et al. 2022, MNRAS, section 2.1
    """
    sfr = sfr_halpha_k09(line_luminosity(ha_flux, z, flux_unit=flux_unit, cosmology=cosmology))
    area = spaxel_area_kpc2(z, spaxel_arcsec=spaxel_arcsec, cosmology=cosmology)
    with np.errstate(all="ignore"):
        sigma = sfr * axis_ratio_or_nan(ba) / area
    return np.asarray(sigma)[()]
