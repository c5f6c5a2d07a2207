"""Stellar mass surface density per spaxel from Pipe3D (Boardman et al. 2022, section 2.1)."""

import numpy as np

from ._arrays import (
    as_float,
    axis_ratio_or_nan,
    finite,
    positive_finite,
    require_positive_scalar,
    to_output,
)
from .cosmology import SPAXEL_ARCSEC, spaxel_area_kpc2
from .imf import SALPETER_TO_KROUPA

__all__ = ["sigma_star_pipe3d"]


def sigma_star_pipe3d(
    log_mass_spaxel,
    dezonification,
    z,
    ba,
    *,
    imf_factor=SALPETER_TO_KROUPA,
    spaxel_arcsec=SPAXEL_ARCSEC,
    cosmology=None,
):
    """
    Stellar mass surface density from the Pipe3D dust-corrected mass plane.

    Parameters
    ----------
    log_mass_spaxel : float or array_like
        Pipe3D ``SSP`` plane 19: log10 of the dust-corrected stellar mass per spaxel
        (Msun, Salpeter IMF). Values <= 0 (Pipe3D writes 0 where nothing was fitted)
        give NaN.
    dezonification : float or array_like
        Pipe3D ``SSP`` plane 2 (spaxel flux / mean flux of its Voronoi bin), > 0.
    z : float or array_like
        Redshift of the galaxy (> 0).
    ba : float or array_like
        Axis ratio b/a, in (0, 1]: the inclination correction.
    imf_factor : float, optional
        IMF conversion factor (0.62, Salpeter to Kroupa; use 1 to keep Salpeter).
    spaxel_arcsec : float, optional
        Side of a spaxel in arcsec (0.5 for MaNGA).
    cosmology : `astropy.cosmology.FLRW`, optional
        Defaults to FlatLambdaCDM(H0=71, Om0=0.27).

    Returns
    -------
    sigma_star : `numpy.float64` or `~numpy.ndarray`
        Sigma_* in Msun/kpc^2; NaN where an input is invalid as described above.

    Raises
    ------
    ValueError
        If ``imf_factor`` or ``spaxel_arcsec`` is not a finite positive scalar.

    Notes
    -----
    ``Sigma_* = 10**log_mass_spaxel * dezonification * (b/a) * imf_factor / A_spaxel``
    with ``A_spaxel`` from :func:`~metgrad.physics.spaxel_area_kpc2`.

    References
    ----------
    .. [1] Boardman, N., et al. 2022, MNRAS, section 2.1
    .. [2] Sanchez, S. F., et al. 2016, RMxAA, 52, 171, section 3.4.4 (dezonification)
    """
    imf_factor = require_positive_scalar(imf_factor, "imf_factor")
    log_mass = as_float(log_mass_spaxel)
    dezonification = as_float(dezonification)
    area = spaxel_area_kpc2(z, spaxel_arcsec=spaxel_arcsec, cosmology=cosmology)
    valid = positive_finite(log_mass, dezonification) & finite(area)
    with np.errstate(all="ignore"):
        sigma = 10.0**log_mass * dezonification * axis_ratio_or_nan(ba) * imf_factor / area
    return to_output(sigma, valid & np.isfinite(sigma))
