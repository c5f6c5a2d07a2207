"""Per-spaxel physical truth of one galaxy: Sigma_*, Sigma_SFR, dust, ages, metallicity.

Every quantity here is intrinsic (before PSF and noise) and face-on where that
matters (Sigma_*, Sigma_SFR: the values the paper recovers after multiplying
the projected densities by b/a). The injected metallicity is the sum of the
documented terms of :func:`metallicity_terms`.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.special import gamma

from .config import MockConfig
from .geometry import elliptical_coordinates, hexagon_radius_fraction, sky_grid
from .population import Galaxy

__all__ = [
    "base_metallicity",
    "expected_log_tlw",
    "galaxy_maps",
    "metallicity_terms",
    "smooth_field",
    "stellar_surface_density",
    "tlw_weight",
]


def smooth_field(rng: np.random.Generator, shape: tuple[int, int], sigma_pix: float) -> np.ndarray:
    """Gaussian random field of unit variance and Gaussian correlation ``sigma_pix``.

    White noise smoothed by a Gaussian of ``sigma_pix`` pixels and divided by
    the theoretical standard deviation ``1 / (2 sqrt(pi) sigma_pix)``.
    """
    white = rng.standard_normal(shape)
    if sigma_pix <= 0:
        return white
    return gaussian_filter(white, sigma_pix, mode="wrap") * (2.0 * np.sqrt(np.pi) * sigma_pix)


def stellar_surface_density(
    r_kpc: np.ndarray, logm: float, re_kpc: float, bulge_fraction: float, config: MockConfig
) -> np.ndarray:
    """Face-on stellar surface density (Msun/kpc^2, Kroupa) of disc + Sersic bulge.

    Parameters
    ----------
    r_kpc : ndarray
        In-plane radius (kpc).
    logm : float
        log10 total stellar mass (Msun).
    re_kpc : float
        Effective radius; the disc scale length is ``re_kpc / 1.678``.
    bulge_fraction : float
        Bulge-to-total mass ratio.
    config : MockConfig
        Supplies the bulge radius (fraction of R_e) and Sersic index.

    Returns
    -------
    ndarray
        Sigma_* (Msun/kpc^2); the two components integrate to 10**logm.

    Notes
    -----
    Exponential disc: ``M_d / (2 pi h^2) exp(-R/h)``. Sersic bulge with
    ``b_n = 2n - 1/3 + 4/(405 n)``: ``Sigma_e exp(-b_n ((R/R_b)^(1/n) - 1))``,
    ``Sigma_e = M_b b_n^(2n) / (2 pi n R_b^2 e^(b_n) Gamma(2n))``.
    """
    mass = 10.0**logm
    h = re_kpc / 1.678
    disc = (1.0 - bulge_fraction) * mass / (2.0 * np.pi * h * h) * np.exp(-r_kpc / h)
    n = config.bulge_sersic_n
    rb = config.bulge_re_fraction * re_kpc
    bn = 2.0 * n - 1.0 / 3.0 + 4.0 / (405.0 * n)
    sigma_e = (
        bulge_fraction * mass * bn ** (2 * n) / (2 * np.pi * n * rb**2 * np.exp(bn) * gamma(2 * n))
    )
    bulge = sigma_e * np.exp(-bn * ((r_kpc / rb) ** (1.0 / n) - 1.0))
    return disc + bulge


def base_metallicity(logm: float, log_sigma: np.ndarray, config: MockConfig) -> np.ndarray:
    """Injected M*-Sigma_*-O/H relation, true 12 + log(O/H) (Te scale).

    ``centre + amplitude tanh((c_m (log M* - 10) + c_s (log Sigma_* - 8.5)) / width)``
    with Sigma_* face-on, Kroupa, in Msun/kpc^2.
    """
    u = config.oh_mass_coeff * (logm - 10.0) + config.oh_sigma_coeff * (log_sigma - 8.5)
    return config.oh_centre + config.oh_amplitude * np.tanh(u / config.oh_width)


def expected_log_tlw(d4000: np.ndarray, config: MockConfig) -> np.ndarray:
    """log t_LW (yr) that D4000 implies before scatter and rejuvenation."""
    return config.tlw_at_d4000_1 + config.tlw_per_d4000 * (np.asarray(d4000) - 1.0)


def tlw_weight(d4000: np.ndarray, config: MockConfig) -> np.ndarray:
    """Weight of the t_LW term: 1 below ``oh_tlw_d4000_full``, 0 above ``..._zero``."""
    lo, hi = config.oh_tlw_d4000_full, config.oh_tlw_d4000_zero
    return np.clip((hi - np.asarray(d4000)) / (hi - lo), 0.0, 1.0)


def metallicity_terms(
    logm: float,
    log_sigma: np.ndarray,
    d4000: np.ndarray,
    log_tlw: np.ndarray,
    r_re: np.ndarray,
    size_residual: float,
    noise: np.ndarray,
    config: MockConfig,
) -> dict[str, np.ndarray]:
    """The injected metallicity and each of its terms (dex).

    Returns
    -------
    dict
        ``oh_base`` (M*-Sigma_* relation), ``oh_d4000`` (coeff (D4000 - pivot)),
        ``oh_tlw`` (coeff (log t_LW - expected(D4000)) w(D4000): older-than-expected
        light at low D4000 lowers O/H, as in the paper's Fig. 7), ``oh_size``
        (coeff max(size residual, 0) (R/R_e - pivot): steeper gradients for
        galaxies above the mass-size median), ``oh_scatter`` (``noise``) and their
        sum ``oh_te``, the true O/H (Te scale) from which the lines are made.
    """
    base = base_metallicity(logm, log_sigma, config)
    d_term = config.oh_d4000_coeff * (d4000 - config.oh_d4000_pivot)
    t_term = (
        config.oh_tlw_coeff
        * (log_tlw - expected_log_tlw(d4000, config))
        * tlw_weight(d4000, config)
    )
    s_term = config.oh_size_coeff * max(size_residual, 0.0) * (r_re - config.oh_size_pivot)
    total = base + d_term + t_term + s_term + noise
    return {
        "oh_base": base,
        "oh_d4000": d_term,
        "oh_tlw": t_term,
        "oh_size": s_term,
        "oh_scatter": noise,
        "oh_te": total,
    }


def _logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def galaxy_maps(galaxy: Galaxy, config: MockConfig, rng: np.random.Generator) -> dict:
    """Intrinsic per-spaxel maps of one galaxy on its full square grid.

    Parameters
    ----------
    galaxy : Galaxy
        Galaxy-level draws.
    config : MockConfig
        Survey parameters.
    rng : numpy.random.Generator
        The galaxy's map stream (consumed in a fixed order).

    Returns
    -------
    dict of ndarray, shape (npix, npix)
        Geometry (``x``, ``y``, ``r_arcsec``, ``azimuth``, ``r_re``, ``r_kpc``,
        ``hex_r``), ``sigma_star`` and ``sigma_sfr`` (face-on, Kroupa,
        Msun/kpc^2 and Msun/yr/kpc^2), ``ssfr`` (1/yr), ``av`` and ``ebv``
        (gas, mag), ``d4000``, ``log_tlw`` (yr), ``log_tlw_expected``,
        ``rejuvenation`` (patch weight 0-1), ``ew_sf`` (A, intrinsic), the
        metallicity terms (true O/H ``oh_te``), the ionisation-parameter offset
        ``log_u`` (dex: galaxy value plus a smooth field), and the emission weights
        ``dig_weight`` and ``liner_weight`` (EW units, A) of the diffuse and
        LINER-like gas.
    """
    npix = galaxy.npix
    shape = (npix, npix)
    x, y = sky_grid(npix, config.spaxel_arcsec)
    r_arcsec, azimuth = elliptical_coordinates(x, y, galaxy.pa_deg, galaxy.ba)
    r_re = r_arcsec / galaxy.re_arcsec
    spaxel_kpc = config.spaxel_arcsec * galaxy.kpc_per_arcsec
    r_kpc = r_arcsec * galaxy.kpc_per_arcsec
    r_soft = np.hypot(r_kpc, 0.25 * spaxel_kpc)
    sigma_pix = config.field_smoothing_arcsec / config.spaxel_arcsec

    # random fields, always drawn in this order
    f_sfr, f_av, f_d4000, f_tlw, f_patch = (smooth_field(rng, shape, sigma_pix) for _ in range(5))
    oh_noise = rng.normal(0.0, config.oh_scatter, shape)
    log_u = galaxy.log_u_galaxy + config.ion_scatter_field * smooth_field(rng, shape, sigma_pix)

    sigma_star = stellar_surface_density(
        r_soft, galaxy.logm_kroupa, galaxy.re_kpc, galaxy.bulge_fraction, config
    )
    log_sigma = np.log10(sigma_star)

    log_sfr = config.sfms_slope * log_sigma + config.sfms_intercept + config.sfms_scatter * f_sfr
    if galaxy.quenched_centre:
        log_sfr = log_sfr - config.quench_centre_depth_dex * _logistic(
            (galaxy.quench_radius_re - r_re) / 0.05
        )
    if galaxy.quenched_global:
        log_sfr = log_sfr - config.quench_global_depth_dex
    beyond = np.maximum(r_re - galaxy.truncation_radius_re, 0.0)
    log_sfr = log_sfr - beyond / config.truncation_scale * np.log10(np.e)
    sigma_sfr = 10.0**log_sfr
    log_ssfr = log_sfr - log_sigma

    av = np.clip(
        config.av_at_sigma8 + config.av_slope * (log_sigma - 8.0) + config.av_scatter * f_av,
        0.0,
        config.av_max,
    )
    rejuvenation = _logistic(3.0 * f_patch) if galaxy.rejuvenated else np.zeros(shape)
    d4000 = np.clip(
        config.d4000_at_ssfr10
        + config.d4000_per_ssfr_dex * (log_ssfr + 10.0)
        + config.d4000_scatter * f_d4000
        - config.rejuvenated_d4000_drop * rejuvenation,
        *config.d4000_range,
    )
    tlw_expected = expected_log_tlw(d4000, config)
    log_tlw = np.minimum(
        tlw_expected + config.tlw_scatter * f_tlw + galaxy.rejuvenation_boost_dex * rejuvenation,
        config.tlw_max,
    )
    terms = metallicity_terms(
        galaxy.logm_kroupa,
        log_sigma,
        d4000,
        log_tlw,
        r_re,
        galaxy.size_residual_dex,
        oh_noise,
        config,
    )
    liner_weight = galaxy.liner_ew * np.exp(-0.5 * (r_re / config.liner_radius) ** 2)
    return {
        "x": x,
        "y": y,
        "r_arcsec": r_arcsec,
        "azimuth": azimuth,
        "r_re": r_re,
        "r_kpc": r_kpc,
        "hex_r": hexagon_radius_fraction(x, y, galaxy.hex_circumradius_arcsec),
        "sigma_star": sigma_star,
        "sigma_sfr": sigma_sfr,
        "ssfr": 10.0**log_ssfr,
        "av": av,
        "ebv": av / config.r_v,
        "d4000": d4000,
        "log_tlw": log_tlw,
        "log_tlw_expected": tlw_expected,
        "rejuvenation": rejuvenation,
        "ew_sf": 10.0 ** (log_ssfr + config.ew_per_ssfr_dex),
        "dig_weight": np.full(shape, galaxy.dig_ew),
        "liner_weight": liner_weight,
        "log_u": log_u,
        **terms,
    }
