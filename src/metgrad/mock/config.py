"""Every number of the synthetic MaNGA survey, as one documented dataclass.

The defaults make a survey that looks like MaNGA DR17 where the method of
Boardman et al. (2022) cares (see ``design.md`` §7). Change any field to make a
harder or an easier survey; :meth:`MockConfig.to_dict` records the values with
the truth tables so that a survey can be regenerated exactly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

__all__ = ["MockConfig"]


@dataclass(frozen=True)
class MockConfig:
    """Parameters of the synthetic survey (all units in the field comments).

    Parameters are grouped as: survey, population, IFU and observing, stellar
    discs, star formation and gas, stellar populations, metallicity, noise and
    masks, catalogues. Every random draw is made from a generator seeded by
    ``(seed, galaxy index)``, so galaxy ``i`` is the same whichever other
    galaxies are made and whichever worker makes it.

    Notes
    -----
    IMFs: the injected stellar masses and densities are Kroupa (the paper's
    convention). Pipe3D planes are written in Salpeter units (divide by
    ``salpeter_to_kroupa``) and GSWLC masses in Chabrier units (divide by
    ``chabrier_to_kroupa``), exactly the inverse of the factors of paper §2.1.

    Examples
    --------
    >>> from metgrad.mock.config import MockConfig
    >>> MockConfig(n_galaxies=5, seed=2).n_galaxies
    5
    """

    # ---- survey --------------------------------------------------------------------------
    n_galaxies: int = 300  #: number of MaNGA galaxies
    repeat_fraction: float = 0.02  #: fraction of galaxies with a second plate-ifu (DR17 repeats)
    seed: int = 1  #: master seed; galaxy i uses SeedSequence(seed, spawn_key=(i,))
    daptype: str = "HYB10-MILESHC-MASTARSSP"  #: DAP analysis type in file names
    first_plate: int = 8440  #: plate number of the first plate (17 IFUs per plate)
    gzip_level: int = 1  #: gzip level of the .fits.gz files (1: 2x faster than 6, +9 % size)

    # ---- population ----------------------------------------------------------------------
    logm_min: float = 8.7  #: log10 M*/Msun (Kroupa), lower edge of the flat distribution
    logm_max: float = 11.6  #: upper edge
    size_intercept: float = 0.50  #: log10 R_e/kpc of the mass-size median at log M* = 10
    size_slope: float = 0.18  #: d log R_e / d log M* of the mass-size median
    size_scatter: float = 0.18  #: Gaussian scatter (dex) about the mass-size median
    ba_min: float = 0.2  #: minimum axis ratio b/a (uniform in [ba_min, ba_max])
    ba_max: float = 1.0  #: maximum axis ratio
    primary_fraction: float = 2.0 / 3.0  #: fraction observed to 1.5 R_e (the rest 2.5 R_e)
    coverage_primary: float = 1.5  #: IFU coverage of the primary sample, in R_e
    coverage_secondary: float = 2.5  #: IFU coverage of the secondary sample, in R_e
    z_min: float = 0.01  #: redshift range; the redshift is clipped to it
    z_max: float = 0.15

    # ---- IFU, cosmology and observing -----------------------------------------------------
    spaxel_arcsec: float = 0.5  #: spaxel size (arcsec)
    psf_fwhm_arcsec: float = 2.5  #: Gaussian PSF FWHM applied to all fluxes (arcsec)
    h0: float = 71.0  #: Hubble constant (km/s/Mpc) of the survey cosmology (paper §2.1)
    om0: float = 0.27  #: matter density of the survey cosmology
    ra_range: tuple[float, float] = (110.0, 260.0)  #: sky area of the survey, RA (deg)
    dec_range: tuple[float, float] = (0.0, 60.0)  #: sky area of the survey, Dec (deg)

    # ---- stellar discs and bulges ---------------------------------------------------------
    bulge_fraction_mid: float = 10.4  #: log M* at which B/T is half of bulge_fraction_max
    bulge_fraction_max: float = 0.5  #: B/T of the most massive galaxies
    bulge_fraction_width: float = 0.4  #: width (dex) of the B/T logistic in log M*
    bulge_re_fraction: float = 0.15  #: bulge half-mass radius in units of R_e
    bulge_sersic_n: float = 3.0  #: Sersic index of the bulge

    # ---- star formation, dust and ionised gas ---------------------------------------------
    sfms_slope: float = 0.72  #: resolved SFMS: log Sigma_SFR = slope log Sigma_* + intercept
    sfms_intercept: float = -7.95  #: (Msun/yr/kpc^2 vs Msun/kpc^2, Cano-Diaz et al. 2016)
    sfms_scatter: float = 0.15  #: smooth-field scatter (dex) of the resolved SFMS
    field_smoothing_arcsec: float = 1.5  #: Gaussian sigma (arcsec) of every random field
    quench_centre_logm: float = 10.3  #: log M* above which centres can be quenched
    quench_centre_prob_max: float = 0.9  #: probability of a quenched centre at the top mass
    quench_centre_radius: tuple[float, float] = (0.2, 0.7)  #: quenched radius range (R_e)
    quench_centre_depth_dex: float = 1.5  #: Sigma_SFR suppression inside the quenched centre
    quench_global_logm: float = 10.6  #: log M* above which whole galaxies can be quenched
    quench_global_prob_max: float = 0.3  #: probability of a fully quenched galaxy at top mass
    quench_global_depth_dex: float = 2.0  #: Sigma_SFR suppression of a fully quenched galaxy
    truncation_radius: tuple[float, float] = (1.6, 3.0)  #: star-formation edge range (R_e)
    truncation_scale: float = 0.3  #: e-folding (R_e) of Sigma_SFR beyond the edge
    ew_per_ssfr_dex: float = 11.7  #: EW(Ha)_SF [A] = 10**(log sSFR[1/yr] + this)
    kennicutt_halpha: float = 5.5e-42  #: SFR [Msun/yr] per L(Ha) [erg/s] (Kennicutt+2009)
    dig_ew_range: tuple[float, float] = (0.8, 2.0)  #: EW(Ha) of diffuse ionised gas (A)
    liner_ew_range: tuple[float, float] = (1.5, 3.5)  #: central EW(Ha) of LINER-like gas (A)
    liner_radius: float = 0.4  #: Gaussian sigma (R_e) of LINER-like central emission
    av_at_sigma8: float = 0.6  #: A_V (mag) at log Sigma_* = 8 (Msun/kpc^2)
    av_slope: float = 0.5  #: d A_V / d log Sigma_*
    av_scatter: float = 0.15  #: smooth-field scatter of A_V (mag)
    av_max: float = 3.0  #: A_V ceiling (mag)
    r_v: float = 3.1  #: Calzetti R_V used to redden (paper §2.1)
    balmer_intrinsic: float = 2.86  #: intrinsic Ha/Hb (case B)
    stellar_av_fraction: float = 0.44  #: stellar/gas attenuation ratio (Calzetti 2000)
    oii_ratio_3729_3727: float = 1.35  #: [OII] 3729/3727 doublet ratio (n_e ~ 100 cm^-3)
    sii_ratio_6718_6732: float = 1.4  #: [SII] 6718/6732 ratio (low density)

    # ---- stellar populations ---------------------------------------------------------------
    d4000_at_ssfr10: float = 1.30  #: D4000 at log sSFR = -10 (1/yr)
    d4000_per_ssfr_dex: float = -0.28  #: d D4000 / d log sSFR
    d4000_scatter: float = 0.03  #: smooth-field scatter of D4000
    d4000_range: tuple[float, float] = (1.05, 2.2)  #: D4000 is clipped to this range
    tlw_at_d4000_1: float = 8.1  #: log t_LW [yr] at D4000 = 1
    tlw_per_d4000: float = 1.9  #: d log t_LW / d D4000
    tlw_scatter: float = 0.08  #: smooth-field scatter of log t_LW (dex)
    tlw_max: float = 10.1  #: ceiling of log t_LW (yr)
    rejuvenated_fraction: float = 0.3  #: fraction of galaxies with rejuvenated patches
    rejuvenated_age_boost: tuple[float, float] = (0.3, 0.7)  #: t_LW excess in patches (dex)
    rejuvenated_d4000_drop: float = 0.05  #: D4000 decrease at the patch peak

    # ---- metallicity (true 12 + log O/H, Te scale) and HII-region lines ----------------------
    oh_centre: float = 8.65  #: f(M*, Sigma_*) = centre + amplitude tanh(u / width)
    oh_amplitude: float = 0.165  #:   with u = c_m (log M* - 10) + c_s (log Sigma_* - 8.5)
    oh_width: float = 0.6  #:   (dex); see metgrad.mock.maps.base_metallicity
    oh_mass_coeff: float = 0.5  #: c_m
    oh_sigma_coeff: float = 0.4  #: c_s
    oh_d4000_coeff: float = 0.25  #: D4000 term: coeff (D4000 - pivot)   (dex per unit)
    oh_d4000_pivot: float = 1.3
    oh_tlw_coeff: float = -0.15  #: t_LW term: coeff (log t_LW - expected(D4000)) w(D4000)
    oh_tlw_d4000_full: float = 1.3  #: w = 1 below this D4000 ...
    oh_tlw_d4000_zero: float = 1.5  #: ... falling linearly to 0 at this D4000
    oh_size_coeff: float = -0.3  #: size term: coeff max(dlogRe, 0) (R/R_e - pivot)
    oh_size_pivot: float = 1.25  #: (dex per R_e per dex of mass-size residual)
    oh_scatter: float = 0.04  #: Gaussian (per-spaxel) scatter (dex)
    ion_response: tuple[float, float, float, float] = (0.6, 1.2, -0.25, -0.6)
    #: ^ d log R / d log U of R3, O3O2, N2, S2 at fixed O/H (HII-region lines, see .lines)
    ion_scatter_galaxy: float = 0.05  #: galaxy-to-galaxy scatter of log U (dex)
    ion_scatter_field: float = 0.08  #: smooth-field (per-spaxel) scatter of log U (dex)
    oi_ha_sf: float = -1.6  #: log [OI]6302 / Ha of HII regions
    dig_ratios: tuple[float, float, float, float, float] = (-0.25, 0.0, 0.65, -0.25, -1.1)
    #: ^ diffuse gas: log [NII]/Ha, log [OIII]/Hb, log [OII]/Hb, log [SII]/Ha, log [OI]/Ha
    liner_ratios: tuple[float, float, float, float, float] = (0.05, 0.15, 0.75, -0.15, -0.8)
    #: ^ LINER-like centres, same order
    ratio_scatter: float = 0.08  #: per-galaxy scatter of the DIG/LINER ratios (dex)

    # ---- noise, depth and masks ------------------------------------------------------------
    line_noise: float = 0.05  #: 1-sigma Ha noise (1e-17 erg/s/cm^2/spaxel) at nominal depth
    line_noise_blue: float = 2.0  #: noise multiplier for [OII] (blue end of the spectrograph)
    line_noise_green: float = 1.2  #: noise multiplier for Hb and [OIII]
    depth_scatter_dex: float = 0.15  #: galaxy-to-galaxy scatter of the depth (dex)
    edge_noise_boost: float = 0.6  #: noise grows as (1 + boost (r/r_hex)^4) to the IFU edge
    continuum_noise_ref: float = 2.0  #: continuum (1e-17/A) at which photon noise doubles var
    sflux_noise_factor: float = 1.15  #: SFLUX noise relative to GFLUX noise
    fitfailed_fraction: float = 0.004  #: fraction of covered spaxels with FITFAILED|DONOTUSE
    forestar_fraction: float = 0.05  #: fraction of galaxies with a masked foreground star
    forestar_radius_arcsec: float = 1.5  #: radius of the foreground-star mask
    stellar_mass_noise_dex: float = 0.05  #: per-bin noise of the Pipe3D mass density (dex)
    d4000_noise: float = 0.02  #: D4000 noise at S/N 50 (scales as 50/(S/N))
    d4000_noise_max_pipe3d: float = 0.08  #: cap of the Pipe3D D4000 noise (bins reach S/N ~50)
    d4000_noise_max_dap: float = 0.3  #: cap of the per-spaxel DAP D4000 noise
    snr_g_scale: float = 25.0  #: SPX_SNR = scale C / sqrt(C + C_sky) (C in 1e-17/A)
    snr_g_sky: float = 0.5  #: sky-like term of SPX_SNR (1e-17 erg/s/cm^2/A)
    cs_bin_spaxels: tuple[float, float] = (1.0, 8.0)  #: Pipe3D CS bin size, centre -> edge

    # ---- catalogues ------------------------------------------------------------------------
    gswlc_missing_fraction: float = 0.03  #: MaNGA galaxies absent from GSWLC
    gswlc_nomass_fraction: float = 0.02  #: MaNGA galaxies in GSWLC with log M* = -99
    gswlc_extra_per_galaxy: float = 2.0  #: extra non-MaNGA GSWLC rows per MaNGA galaxy
    gswlc_neighbour_fraction: float = 0.25  #: extra rows placed 3-20" from a MaNGA galaxy
    gswlc_position_error_arcsec: float = 0.4  #: max RA/Dec perturbation of GSWLC rows
    gswlc_mass_scatter: float = 0.0  #: scatter of GSWLC log M* about the truth (dex)
    salpeter_to_kroupa: float = 0.62  #: M_Kroupa = 0.62 M_Salpeter (paper §2.1)
    chabrier_to_kroupa: float = 1.06  #: M_Kroupa = 1.06 M_Chabrier (paper §2.1)

    extra: dict = field(default_factory=dict)  #: free-form provenance notes

    def __post_init__(self) -> None:
        if self.n_galaxies < 1:
            raise ValueError(f"n_galaxies must be >= 1, got {self.n_galaxies}")
        if not self.logm_min < self.logm_max:
            raise ValueError("logm_min must be below logm_max")
        if not 0.0 < self.ba_min <= self.ba_max <= 1.0:
            raise ValueError("need 0 < ba_min <= ba_max <= 1")
        if not 0.0 < self.z_min < self.z_max:
            raise ValueError("need 0 < z_min < z_max")
        if not 0.0 <= self.repeat_fraction <= 1.0:
            raise ValueError("repeat_fraction must be in [0, 1]")
        if not 0.0 <= self.primary_fraction <= 1.0:
            raise ValueError("primary_fraction must be in [0, 1]")

    def to_dict(self) -> dict:
        """Return every parameter as a JSON-serialisable dictionary."""
        out = dataclasses.asdict(self)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in out.items()}

    @classmethod
    def from_dict(cls, values: dict) -> MockConfig:
        """The configuration :meth:`to_dict` wrote (e.g. ``relations.json``'s ``config``)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown MockConfig fields: {', '.join(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    def replace(self, **changes) -> MockConfig:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)
