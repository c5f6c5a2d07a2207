"""Write one galaxy as a DR17-like DAP MAPS file (``datamodel.md`` §2).

Only the extensions the pipeline reads are written, in DR17 order:
``PRIMARY, SPX_SKYCOO, SPX_ELLCOO, SPX_SNR, BINID, EMLINE_SFLUX(+_IVAR, _MASK),
EMLINE_SEW(+_IVAR, _MASK), EMLINE_GFLUX(+_IVAR, _MASK), SPECINDEX(+_IVAR, _MASK)``.
Data are float32, masks int32, shapes ``(nchannel, ny, nx)``; channel names
are ``C01..`` header keys (``C1..`` below ten channels), masks follow
``MANGA_DAPPIXMASK``. Lines the mock does not model are zero with
NOVALUE|DONOTUSE (NOCOV|DONOTUSE outside the footprint).
"""

from __future__ import annotations

import numpy as np
from astropy.io import fits

from .config import MockConfig
from .lines import LINE_WAVELENGTHS, MODELLED_LINES
from .observe import DONOTUSE, FITFAILED, NOVALUE, Observation
from .population import Galaxy

__all__ = [
    "DR17_EMLINE_CHANNELS",
    "DR17_SPECINDEX_CHANNELS",
    "SFLUX_EMPTY_CHANNELS",
    "build_maps_hdulist",
    "maps_filename",
    "maps_relpath",
]

#: The 35 DR17 (DAP 3.1.0) emission-line channel names, C01..C35.
DR17_EMLINE_CHANNELS: tuple[str, ...] = (
    "OII-3727", "OII-3729", "H12-3751", "H11-3771", "Hthe-3798", "Heta-3836", "NeIII-3869",
    "HeI-3889", "Hzet-3890", "NeIII-3968", "Heps-3971", "Hdel-4102", "Hgam-4341", "HeII-4687",
    "Hb-4862", "OIII-4960", "OIII-5008", "NI-5199", "NI-5201", "HeI-5877", "OI-6302",
    "OI-6365", "NII-6549", "Ha-6564", "NII-6585", "SII-6718", "SII-6732", "HeI-7067",
    "ArIII-7137", "ArIII-7753", "Peta-9017", "SIII-9071", "Pzet-9231", "SIII-9533", "Peps-9548",
)  # fmt: skip

#: Channels that are empty in the non-parametric (SFLUX/SEW) extensions; SFLUX
#: ``OII-3727`` holds the [OII] doublet.
SFLUX_EMPTY_CHANNELS: tuple[str, ...] = ("OII-3729", "HeI-3889", "NeIII-3968", "NI-5201")

#: The 46 spectral-index channels (name, unit), identical in DR15 and DR17.
DR17_SPECINDEX_CHANNELS: tuple[tuple[str, str], ...] = (
    ("CN1", "mag"), ("CN2", "mag"), ("Ca4227", "ang"), ("G4300", "ang"), ("Fe4383", "ang"),
    ("Ca4455", "ang"), ("Fe4531", "ang"), ("C24668", "ang"), ("Hb", "ang"), ("Fe5015", "ang"),
    ("Mg1", "mag"), ("Mg2", "mag"), ("Mgb", "ang"), ("Fe5270", "ang"), ("Fe5335", "ang"),
    ("Fe5406", "ang"), ("Fe5709", "ang"), ("Fe5782", "ang"), ("NaD", "ang"), ("TiO1", "mag"),
    ("TiO2", "mag"), ("HDeltaA", "ang"), ("HGammaA", "ang"), ("HDeltaF", "ang"),
    ("HGammaF", "ang"), ("CaHK", "ang"), ("CaII1", "ang"), ("CaII2", "ang"), ("CaII3", "ang"),
    ("Pa17", "ang"), ("Pa14", "ang"), ("Pa12", "ang"), ("MgICvD", "ang"), ("NaICvD", "ang"),
    ("MgIIR", "ang"), ("FeHCvD", "ang"), ("NaI", "ang"), ("bTiO", "mag"), ("aTiO", "mag"),
    ("CaH1", "mag"), ("CaH2", "mag"), ("NaISDSS", "ang"), ("TiO2SDSS", "mag"), ("D4000", ""),
    ("Dn4000", ""), ("TiOCvD", ""),
)  # fmt: skip

_FLUX_UNIT = "1E-17 erg/s/cm^2/spaxel"
_IVAR_UNIT = "(1E-17 erg/s/cm^2/spaxel)^{-2}"


def maps_filename(plateifu: str, daptype: str) -> str:
    """``manga-PLATE-IFU-MAPS-DAPTYPE.fits.gz``."""
    return f"manga-{plateifu}-MAPS-{daptype}.fits.gz"


def maps_relpath(galaxy: Galaxy, daptype: str) -> str:
    """Path below the survey folder: ``maps/DAPTYPE/PLATE/IFU/<file>`` (the SAS layout)."""
    return (
        f"maps/{daptype}/{galaxy.plate}/{galaxy.ifudsgn}/{maps_filename(galaxy.plateifu, daptype)}"
    )


def _wcs_cards(header: fits.Header, galaxy: Galaxy, spaxel_arcsec: float) -> None:
    centre = galaxy.npix // 2 + 1.0
    header["WCSAXES"] = (2, "Number of coordinate axes")
    header["CRPIX1"] = (centre, "Pixel coordinate of reference point")
    header["CRPIX2"] = (centre, "Pixel coordinate of reference point")
    header["PC1_1"] = (-spaxel_arcsec / 3600.0, "Coordinate transformation matrix element")
    header["PC2_2"] = (spaxel_arcsec / 3600.0, "Coordinate transformation matrix element")
    header["CDELT1"] = (1.0, "[deg] Coordinate increment at reference point")
    header["CDELT2"] = (1.0, "[deg] Coordinate increment at reference point")
    header["CUNIT1"] = ("deg", "Units of coordinate increment and value")
    header["CUNIT2"] = ("deg", "Units of coordinate increment and value")
    header["CTYPE1"] = ("RA---TAN", "Right ascension, gnomonic projection")
    header["CTYPE2"] = ("DEC--TAN", "Declination, gnomonic projection")
    header["CRVAL1"] = (galaxy.ra, "[deg] Coordinate value at reference point")
    header["CRVAL2"] = (galaxy.dec, "[deg] Coordinate value at reference point")
    header["RADESYS"] = ("FK5", "Equatorial coordinate system")
    header["EQUINOX"] = (2000.0, "[yr] Equinox of equatorial coordinates")


def _image(
    name: str,
    data: np.ndarray,
    galaxy: Galaxy,
    config: MockConfig,
    *,
    channels: tuple[str, ...] | None = None,
    units: tuple[str, ...] | None = None,
    bunit: str | None = None,
    kind: str = "DATA",
    family: str | None = None,
) -> fits.ImageHDU:
    header = fits.Header()
    _wcs_cards(header, galaxy, config.spaxel_arcsec)
    header["MASKNAME"] = "MANGA_DAPPIXMASK"
    if channels is not None:
        width = 2 if len(channels) >= 10 else 1
        for i, channel in enumerate(channels, start=1):
            header[f"C{i:0{width}d}"] = (channel, f"Data in channel {i}")
            if units is not None:
                header[f"U{i:0{width}d}"] = (units[i - 1], f"Units of data in channel {i}")
    if bunit is not None:
        header["BUNIT"] = (bunit, "Unit of pixel value")
    header["HDUCLASS"] = ("SDSS", "SDSS format class")
    header["HDUCLAS1"] = ("CUBE" if data.ndim == 3 else "IMAGE", "Data format")
    header["HDUCLAS2"] = kind
    if family is not None:
        if kind == "DATA":
            header["ERRDATA"] = (f"{family}_IVAR", "Associated inv. variance extension")
            header["QUALDATA"] = (f"{family}_MASK", "Associated quality extension")
        elif kind == "ERROR":
            header["HDUCLAS3"] = ("INVMSE", "Value is inverse mean-square error")
            header["SCIDATA"] = (family, "Associated data extension")
            header["QUALDATA"] = (f"{family}_MASK", "Associated quality extension")
        else:
            header["HDUCLAS3"] = ("MASKZERO", "Zero values are good")
            header["SCIDATA"] = (family, "Associated data extension")
            header["ERRDATA"] = (f"{family}_IVAR", "Associated inv. variance extension")
    return fits.ImageHDU(data=data, header=header, name=name)


def _triplet(
    family: str,
    values: np.ndarray,
    ivar: np.ndarray,
    mask: np.ndarray,
    galaxy: Galaxy,
    config: MockConfig,
    *,
    channels: tuple[str, ...],
    bunit: str,
    ivar_unit: str,
    units: tuple[str, ...] | None = None,
) -> list[fits.ImageHDU]:
    kw = {"channels": channels, "units": units, "family": family}
    return [
        _image(family, values.astype(np.float32), galaxy, config, bunit=bunit, **kw),
        _image(f"{family}_IVAR", ivar.astype(np.float32), galaxy, config, bunit=ivar_unit,
               kind="ERROR", **kw),
        _image(f"{family}_MASK", mask.astype(np.int32), galaxy, config, kind="QUALITY", **kw),
    ]  # fmt: skip


def _primary(galaxy: Galaxy, config: MockConfig, nbins: int) -> fits.PrimaryHDU:
    h = fits.Header()
    h["AUTHOR"] = "metgrad.mock (synthetic survey)"
    h["ORIGIN"] = ("metgrad.mock", "Synthetic MaNGA-like data; not observed")
    h["MOCKSEED"] = (config.seed, "metgrad.mock master seed")
    h["VERSDRP3"] = ("v3_1_1", "MaNGA DRP Version (3d processing)")
    h["MASKNAME"] = ("MANGA_DAPPIXMASK", "Bits in sdssMaskbits.par used by mask extension")
    h["TELESCOP"] = ("SDSS 2.5-M", "Sloan Digital Sky Survey")
    h["INSTRUME"] = ("MaNGA", "SDSS-IV MaNGA IFU")
    h["MNGTARG1"] = (1024 if galaxy.primary else 2048, "manga_target1 maskbit")
    h["MNGTARG2"] = (0, "manga_target2 maskbit")
    h["MNGTARG3"] = (0, "manga_target3 maskbit")
    h["IFURA"] = (galaxy.ra, "IFU R.A. (J2000 deg.)")
    h["IFUDEC"] = (galaxy.dec, "IFU Dec. (J2000 deg.)")
    h["OBJRA"] = (galaxy.ra, "Object R.A. (J2000 deg.)")
    h["OBJDEC"] = (galaxy.dec, "Object Dec. (J2000 deg.)")
    h["PLATEID"] = (galaxy.plate, "Current plate")
    h["IFUDSGN"] = (str(galaxy.ifudsgn), "ifuDesign")
    h["PLATEIFU"] = (galaxy.plateifu, "PLATEID-ifuDesign")
    h["MANGAID"] = (galaxy.mangaid, "MaNGA ID number")
    h["DRP3QUAL"] = (0, "DRP-3d quality bitmask")
    h["EBVGAL"] = (0.0, "Galactic reddening E(B-V)")
    for band in "GRIZ":
        h[f"{band}FWHM"] = (config.psf_fwhm_arcsec, f"Reconstructed FWHM in {band.lower()}-band")
    h["VERSDAP"] = ("3.1.0", "MaNGA DAP version")
    h["DAPTYPE"] = (config.daptype, "DAP analysis method")
    h["DAPFRMT"] = ("MAPS", "DAP data file format")
    h["DAPQUAL"] = (0, "DAP quality bitmask")
    h["ECOOPA"] = (galaxy.pa_deg, "Position angle for ellip. coo")
    h["ECOOELL"] = (1.0 - galaxy.ba, "Ellipticity (1-b/a) for ellip. coo")
    h["REFF"] = (galaxy.re_arcsec, "Effective radius (arcsec)")
    h["BINKEY"] = ("HYB10", "Spectal binning method keyword")
    h["NBINS"] = (nbins, "Number of unique spatial bins")
    h["SCINPVEL"] = (299792.458 * galaxy.z, "Initial guess velocity")
    h["EMLDB"] = ("ELPMPL11", "Emission-line database keyword")
    return fits.PrimaryHDU(header=h)


def build_maps_hdulist(
    galaxy: Galaxy,
    maps: dict,
    obs: Observation,
    dap: dict,
    config: MockConfig,
) -> fits.HDUList:
    """Assemble the MAPS HDU list of one galaxy.

    Parameters
    ----------
    galaxy, maps, obs :
        Galaxy draws, intrinsic maps and observation.
    dap : dict
        ``binid`` (int, continuum bins, -1 outside), ``d4000`` and
        ``d4000_sigma`` (per-spaxel DAP D4000 and error).
    config : MockConfig

    Returns
    -------
    astropy.io.fits.HDUList
    """
    shape = maps["x"].shape
    covered = obs.covered
    nch = len(DR17_EMLINE_CHANNELS)
    base = obs.base_mask
    outside = ~covered
    unmodelled_mask = np.where(covered, base | NOVALUE | DONOTUSE, base).astype(np.int32)
    line_index = {n: DR17_EMLINE_CHANNELS.index(n) for n in MODELLED_LINES}

    def stack(values, sigma, *, empty=(), failed=None):
        data = np.zeros((nch, *shape), np.float32)
        ivar = np.zeros((nch, *shape), np.float32)
        mask = np.broadcast_to(unmodelled_mask, (nch, *shape)).copy()
        for k, name in enumerate(MODELLED_LINES):
            if name in empty:
                continue
            c = line_index[name]
            good = covered if failed is None else covered & ~failed
            data[c] = np.where(good, values[k], 0.0)
            ivar[c] = np.where(good, 1.0 / sigma[k] ** 2, 0.0)
            mask[c] = base
            if failed is not None:
                mask[c][failed] |= FITFAILED | DONOTUSE
        return data, ivar, mask

    # Gaussian fluxes: every modelled line, some fits "failed".
    g_data, g_ivar, g_mask = stack(obs.gflux, obs.gflux_sigma, failed=obs.fit_failed)

    # Non-parametric fluxes: OII-3727 holds the doublet; OII-3729 etc. are empty.
    s_values = obs.sflux.copy()
    s_sigma = obs.sflux_sigma.copy()
    i27, i29 = MODELLED_LINES.index("OII-3727"), MODELLED_LINES.index("OII-3729")
    s_values[i27] = obs.sflux[i27] + obs.sflux[i29]
    s_sigma[i27] = np.hypot(obs.sflux_sigma[i27], obs.sflux_sigma[i29])
    s_data, s_ivar, s_mask = stack(s_values, s_sigma, empty=SFLUX_EMPTY_CHANNELS)

    # Non-parametric EWs: line flux over the continuum at the line. The continuum
    # shape is a power law in wavelength, redder for older populations.
    slope = 1.0 + 2.0 * (maps["d4000"] - 1.2)
    cont = np.stack(
        [obs.continuum_psf * (LINE_WAVELENGTHS[n] / 6564.608) ** slope for n in MODELLED_LINES]
    )
    e_data, e_ivar, e_mask = stack(s_values / cont, s_sigma / cont, empty=SFLUX_EMPTY_CHANNELS)
    for arr in (s_data, s_ivar, e_data, e_ivar):
        arr[:, outside] = 0.0

    # Spectral indices: D4000 and Dn4000 only.
    nidx = len(DR17_SPECINDEX_CHANNELS)
    names = tuple(n for n, _ in DR17_SPECINDEX_CHANNELS)
    units = tuple(u for _, u in DR17_SPECINDEX_CHANNELS)
    i_data = np.zeros((nidx, *shape), np.float32)
    i_ivar = np.zeros((nidx, *shape), np.float32)
    i_mask = np.broadcast_to(unmodelled_mask, (nidx, *shape)).copy()
    for name, scale in (("D4000", 1.0), ("Dn4000", 0.9)):
        c = names.index(name)
        i_data[c] = np.where(covered, 1.0 + scale * (dap["d4000"] - 1.0), 0.0)
        i_ivar[c] = np.where(covered, 1.0 / (scale * dap["d4000_sigma"]) ** 2, 0.0)
        i_mask[c] = base

    # Coordinates, S/N and bin ids.
    skycoo = np.stack([maps["x"], maps["y"]]).astype(np.float32)
    r_hkpc = maps["r_arcsec"] * galaxy.hkpc_per_arcsec
    ellcoo = np.stack([maps["r_arcsec"], maps["r_re"], r_hkpc, maps["azimuth"]])
    snr = np.where(covered, obs.spx_snr, 0.0).astype(np.float32)
    spaxel_id = np.full(shape, -1, np.int32)
    spaxel_id[covered] = np.arange(int(covered.sum()), dtype=np.int32)
    binid = np.stack([dap["binid"], dap["binid"], spaxel_id, spaxel_id, spaxel_id])
    nbins = int(dap["binid"].max()) + 1

    hdus = [
        _primary(galaxy, config, nbins),
        _image("SPX_SKYCOO", skycoo, galaxy, config, channels=("On-sky X", "On-sky Y"),
               bunit="arcsec"),
        _image("SPX_ELLCOO", ellcoo.astype(np.float32), galaxy, config,
               channels=("Elliptical radius", "R/Re", "R h/kpc", "Elliptical azimuth"),
               units=("arcsec", "", "kpc/h", "degrees")),
        _image("SPX_SNR", snr, galaxy, config),
        _image("BINID", binid.astype(np.int32), galaxy, config,
               channels=("Binned spectra", "Stellar continua", "Em. line moments",
                         "Em. line models", "Spectral indices")),
    ]  # fmt: skip
    common = {"channels": DR17_EMLINE_CHANNELS}
    hdus += _triplet("EMLINE_SFLUX", s_data, s_ivar, s_mask, galaxy, config,
                     bunit=_FLUX_UNIT, ivar_unit=_IVAR_UNIT, **common)  # fmt: skip
    hdus += _triplet("EMLINE_SEW", e_data, e_ivar, e_mask, galaxy, config,
                     bunit="ang", ivar_unit="(ang)^{-2}", **common)  # fmt: skip
    hdus += _triplet("EMLINE_GFLUX", g_data, g_ivar, g_mask, galaxy, config,
                     bunit=_FLUX_UNIT, ivar_unit=_IVAR_UNIT, **common)  # fmt: skip
    hdus += _triplet("SPECINDEX", i_data, i_ivar, i_mask, galaxy, config,
                     channels=names, units=units, bunit="", ivar_unit="")  # fmt: skip
    return fits.HDUList(hdus)
