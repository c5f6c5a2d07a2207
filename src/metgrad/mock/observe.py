"""Observe one synthetic galaxy: line fluxes, dust, PSF, noise and DAP mask bits.

Order of operations (each stage kept for the truth tables): dust-free
component fluxes -> Calzetti reddening (``*_nopsf``) -> Gaussian PSF of the
IFU (``*_psf``; fluxes, never ratios) -> Gaussian noise from a per-spaxel
depth (``gflux``/``sflux``) -> masks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from .config import MockConfig
from .dust import attenuation_k
from .lines import (
    LINE_WAVELENGTHS,
    MODELLED_LINES,
    TIED_NII,
    TIED_OI,
    TIED_OIII,
    component_line_fluxes,
    hii_log_ratios,
    redden,
)
from .population import Galaxy

__all__ = [
    "DONOTUSE",
    "FITFAILED",
    "FORESTAR",
    "LOWCOV",
    "NOCOV",
    "NOVALUE",
    "Observation",
    "observe_galaxy",
    "psf_convolve",
]

#: MANGA_DAPPIXMASK bits (datamodel.md §2.7)
NOCOV = 1 << 0
LOWCOV = 1 << 1
FORESTAR = 1 << 3
NOVALUE = 1 << 4
FITFAILED = 1 << 7
DONOTUSE = 1 << 30

_RATIO_NAMES = ("nii_ha", "oiii_hb", "oii_hb", "sii_ha", "oi_ha")
_TIES = (
    ("OIII-4960", "OIII-5008", TIED_OIII),
    ("NII-6549", "NII-6585", TIED_NII),
    ("OI-6365", "OI-6302", TIED_OI),
)


def psf_convolve(image: np.ndarray, fwhm_arcsec: float, spaxel_arcsec: float) -> np.ndarray:
    """Convolve the last two axes with a circular Gaussian PSF.

    The image is zero-padded by four sigma before filtering so that flux does
    not wrap or reflect at the grid edge.
    """
    sigma = fwhm_arcsec / (2.0 * np.sqrt(2.0 * np.log(2.0))) / spaxel_arcsec
    pad = int(np.ceil(4 * sigma))
    widths = [(0, 0)] * (image.ndim - 2) + [(pad, pad), (pad, pad)]
    padded = np.pad(image, widths)
    sig = [0.0] * (image.ndim - 2) + [sigma, sigma]
    out = gaussian_filter(padded, sig, mode="constant", truncate=4.0)
    return out[..., pad:-pad, pad:-pad]


@dataclass
class Observation:
    """Everything observed of one galaxy (full-grid arrays, line stacks in MODELLED_LINES order).

    Attributes
    ----------
    covered : bool (ny, nx)
        Inside the hexagonal footprint.
    base_mask : int32 (ny, nx)
        NOCOV|DONOTUSE outside; FORESTAR|DONOTUSE on a foreground star.
    fit_failed : bool (ny, nx)
        Spaxels whose Gaussian fits "failed" (values zeroed, FITFAILED|DONOTUSE).
    flux_nofilter, flux_nopsf, flux_psf : float (nline, ny, nx)
        Dust-free, reddened, and reddened + PSF noise-free fluxes
        (1e-17 erg/s/cm^2/spaxel).
    gflux, gflux_sigma, sflux, sflux_sigma : float (nline, ny, nx)
        Noisy Gaussian and non-parametric fluxes and their 1-sigma errors.
    continuum_nopsf, continuum_psf : float (ny, nx)
        Attenuated stellar continuum at Halpha (1e-17 erg/s/cm^2/A/spaxel).
    ew_psf, sew, sew_sigma : float (ny, nx)
        Noise-free and noisy EW(Halpha) (A) and its error.
    ha_sf, ha_dig, ha_liner : float (ny, nx)
        Dust-free Halpha of each emission component (before PSF).
    spx_snr : float (ny, nx)
        g-band S/N per spaxel.
    """

    covered: np.ndarray
    base_mask: np.ndarray
    fit_failed: np.ndarray
    flux_nofilter: np.ndarray
    flux_nopsf: np.ndarray
    flux_psf: np.ndarray
    gflux: np.ndarray
    gflux_sigma: np.ndarray
    sflux: np.ndarray
    sflux_sigma: np.ndarray
    continuum_nopsf: np.ndarray
    continuum_psf: np.ndarray
    ew_psf: np.ndarray
    sew: np.ndarray
    sew_sigma: np.ndarray
    ha_sf: np.ndarray
    ha_dig: np.ndarray
    ha_liner: np.ndarray
    spx_snr: np.ndarray

    def line(self, stack: str, name: str) -> np.ndarray:
        """One line of one stack, e.g. ``obs.line("gflux", "Ha-6564")``."""
        return getattr(self, stack)[MODELLED_LINES.index(name)]


def _noise_band_factor(name: str, config: MockConfig) -> float:
    wave = LINE_WAVELENGTHS[name]
    if wave < 4000:
        return config.line_noise_blue
    if wave < 5500:
        return config.line_noise_green
    return 1.0


def observe_galaxy(
    galaxy: Galaxy, maps: dict, config: MockConfig, rng: np.random.Generator
) -> Observation:
    """Turn the intrinsic maps of one galaxy into observed fluxes, errors and masks.

    Parameters
    ----------
    galaxy : Galaxy
        Galaxy-level draws.
    maps : dict
        Output of :func:`metgrad.mock.maps.galaxy_maps`.
    config : MockConfig
        Survey parameters.
    rng : numpy.random.Generator
        The galaxy's map stream, continued after :func:`galaxy_maps`.

    Returns
    -------
    Observation

    Notes
    -----
    Halpha of star formation: ``SFR = Sigma_SFR / (b/a) * A_spaxel`` (projected
    density times spaxel area in kpc^2), ``F = SFR / 5.5e-42 / (4 pi D_L^2)``.
    The stellar continuum at Halpha follows the stellar mass of the spaxel, so
    that the star-forming EW is ``10**(log sSFR + ew_per_ssfr_dex)``; diffuse and
    LINER-like gas add Halpha equal to their EW times that continuum. The
    continuum is attenuated by ``stellar_av_fraction`` times the gas A_V.
    """
    shape = maps["x"].shape
    area_kpc2 = (config.spaxel_arcsec * galaxy.kpc_per_arcsec) ** 2
    to_flux = 1.0 / (config.kennicutt_halpha * 4.0 * np.pi * galaxy.dl_cm**2 * 1e-17)
    ha_sf = maps["sigma_sfr"] / galaxy.ba * area_kpc2 * to_flux
    mass_spaxel = maps["sigma_star"] / galaxy.ba * area_kpc2
    continuum = mass_spaxel * 10.0 ** (-config.ew_per_ssfr_dex) * to_flux
    ha_dig = maps["dig_weight"] * continuum
    ha_liner = maps["liner_weight"] * continuum

    sf_ratios = hii_log_ratios(maps["oh_te"], maps["log_u"], config)
    components = [
        component_line_fluxes(ha_sf, sf_ratios, config),
        component_line_fluxes(
            ha_dig, dict(zip(_RATIO_NAMES, galaxy.dig_ratios, strict=True)), config
        ),
        component_line_fluxes(
            ha_liner, dict(zip(_RATIO_NAMES, galaxy.liner_ratios, strict=True)), config
        ),
    ]
    dust_free = {name: sum(c[name] for c in components) for name in MODELLED_LINES}
    reddened = redden(dust_free, maps["ebv"], config.r_v)
    flux_nofilter = np.stack([dust_free[n] for n in MODELLED_LINES])
    flux_nopsf = np.stack([reddened[n] for n in MODELLED_LINES])
    flux_psf = psf_convolve(flux_nopsf, config.psf_fwhm_arcsec, config.spaxel_arcsec)

    k_ha = float(attenuation_k(LINE_WAVELENGTHS["Ha-6564"], config.r_v))
    cont_nopsf = continuum * 10.0 ** (-0.4 * config.stellar_av_fraction * maps["ebv"] * k_ha)
    cont_psf = psf_convolve(cont_nopsf, config.psf_fwhm_arcsec, config.spaxel_arcsec)

    covered = maps["hex_r"] <= 1.0
    edge = 1.0 + config.edge_noise_boost * np.clip(maps["hex_r"], 0.0, 1.0) ** 4
    photon = np.sqrt(1.0 + cont_psf / config.continuum_noise_ref)
    base_sigma = config.line_noise * galaxy.depth * edge * photon
    band = np.array([_noise_band_factor(n, config) for n in MODELLED_LINES])
    gflux_sigma = band[:, None, None] * base_sigma[None]
    sflux_sigma = config.sflux_noise_factor * gflux_sigma
    gflux = flux_psf + gflux_sigma * rng.standard_normal(flux_psf.shape)
    sflux = flux_psf + sflux_sigma * rng.standard_normal(flux_psf.shape)
    # The DAP fits tied lines with their parent: their Gaussian fluxes and errors are exact
    # multiples of the parent's.
    for tied, parent, factor in _TIES:
        t, p = MODELLED_LINES.index(tied), MODELLED_LINES.index(parent)
        gflux[t] = factor * gflux[p]
        gflux_sigma[t] = factor * gflux_sigma[p]

    ha = MODELLED_LINES.index("Ha-6564")
    ew_psf = flux_psf[ha] / cont_psf
    sew = sflux[ha] / cont_psf
    sew_sigma = sflux_sigma[ha] / cont_psf

    fit_failed = covered & (rng.uniform(size=shape) < config.fitfailed_fraction)
    base_mask = np.where(covered, 0, NOCOV | DONOTUSE).astype(np.int32)
    if galaxy.forestar:
        star = (
            np.hypot(maps["x"] - galaxy.forestar_x_arcsec, maps["y"] - galaxy.forestar_y_arcsec)
            <= config.forestar_radius_arcsec
        ) & covered
        base_mask[star] |= FORESTAR | DONOTUSE

    spx_snr = (
        config.snr_g_scale
        * cont_psf
        / np.sqrt(cont_psf + config.snr_g_sky)
        / (galaxy.depth * edge)
    )
    return Observation(
        covered=covered,
        base_mask=base_mask,
        fit_failed=fit_failed,
        flux_nofilter=flux_nofilter,
        flux_nopsf=flux_nopsf,
        flux_psf=flux_psf,
        gflux=gflux,
        gflux_sigma=gflux_sigma,
        sflux=sflux,
        sflux_sigma=sflux_sigma,
        continuum_nopsf=cont_nopsf,
        continuum_psf=cont_psf,
        ew_psf=ew_psf,
        sew=sew,
        sew_sigma=sew_sigma,
        ha_sf=ha_sf,
        ha_dig=ha_dig,
        ha_liner=ha_liner,
        spx_snr=spx_snr,
    )
