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

from .config import MockConfig
from .fitswriter import ImageHdu
from .lines import LINE_WAVELENGTHS, MODELLED_LINES
from .observe import DONOTUSE, FITFAILED, NOVALUE, Observation
from .population import Galaxy

__all__ = [
    "DR17_EMLINE_CHANNELS",
    "DR17_SPECINDEX_CHANNELS",
    "SFLUX_EMPTY_CHANNELS",
    "build_maps_hdus",
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


Card = tuple[str, object, str]


def _wcs_cards(galaxy: Galaxy, spaxel_arcsec: float) -> tuple[Card, ...]:
    centre = galaxy.npix // 2 + 1.0
    return (
        ("WCSAXES", 2, "Number of coordinate axes"),
        ("CRPIX1", centre, "Pixel coordinate of reference point"),
        ("CRPIX2", centre, "Pixel coordinate of reference point"),
        ("PC1_1", -spaxel_arcsec / 3600.0, "Coordinate transformation matrix element"),
        ("PC2_2", spaxel_arcsec / 3600.0, "Coordinate transformation matrix element"),
        ("CDELT1", 1.0, "[deg] Coordinate increment at reference point"),
        ("CDELT2", 1.0, "[deg] Coordinate increment at reference point"),
        ("CUNIT1", "deg", "Units of coordinate increment and value"),
        ("CUNIT2", "deg", "Units of coordinate increment and value"),
        ("CTYPE1", "RA---TAN", "Right ascension, gnomonic projection"),
        ("CTYPE2", "DEC--TAN", "Declination, gnomonic projection"),
        ("CRVAL1", galaxy.ra, "[deg] Coordinate value at reference point"),
        ("CRVAL2", galaxy.dec, "[deg] Coordinate value at reference point"),
        ("RADESYS", "FK5", "Equatorial coordinate system"),
        ("EQUINOX", 2000.0, "[yr] Equinox of equatorial coordinates"),
    )


def _image(
    name: str,
    data: np.ndarray,
    wcs: tuple[Card, ...],
    *,
    channels: tuple[str, ...] | None = None,
    units: tuple[str, ...] | None = None,
    bunit: str | None = None,
    kind: str = "DATA",
    family: str | None = None,
) -> ImageHdu:
    cards: list[Card] = [*wcs, ("MASKNAME", "MANGA_DAPPIXMASK", "")]
    if channels is not None:
        width = 2 if len(channels) >= 10 else 1
        for i, channel in enumerate(channels, start=1):
            cards.append((f"C{i:0{width}d}", channel, f"Data in channel {i}"))
            if units is not None:
                cards.append((f"U{i:0{width}d}", units[i - 1], f"Units of data in channel {i}"))
    if bunit is not None:
        cards.append(("BUNIT", bunit, "Unit of pixel value"))
    cards += [
        ("HDUCLASS", "SDSS", "SDSS format class"),
        ("HDUCLAS1", "CUBE" if data.ndim == 3 else "IMAGE", "Data format"),
        ("HDUCLAS2", kind, ""),
    ]
    if family is not None:
        if kind == "DATA":
            cards += [("ERRDATA", f"{family}_IVAR", "Associated inv. variance extension"),
                      ("QUALDATA", f"{family}_MASK", "Associated quality extension")]  # fmt: skip
        elif kind == "ERROR":
            cards += [("HDUCLAS3", "INVMSE", "Value is inverse mean-square error"),
                      ("SCIDATA", family, "Associated data extension"),
                      ("QUALDATA", f"{family}_MASK", "Associated quality extension")]  # fmt: skip
        else:
            cards += [
                ("HDUCLAS3", "MASKZERO", "Zero values are good"),
                ("SCIDATA", family, "Associated data extension"),
                ("ERRDATA", f"{family}_IVAR", "Associated inv. variance extension"),
            ]
    return ImageHdu(name, data, tuple(cards))


def _triplet(
    family: str,
    values: np.ndarray,
    ivar: np.ndarray,
    mask: np.ndarray,
    wcs: tuple[Card, ...],
    *,
    channels: tuple[str, ...],
    bunit: str,
    ivar_unit: str,
    units: tuple[str, ...] | None = None,
) -> list[ImageHdu]:
    kw = {"channels": channels, "units": units, "family": family}
    return [
        _image(family, values.astype(">f4"), wcs, bunit=bunit, **kw),
        _image(f"{family}_IVAR", ivar.astype(">f4"), wcs, bunit=ivar_unit, kind="ERROR", **kw),
        _image(f"{family}_MASK", mask.astype(">i4"), wcs, kind="QUALITY", **kw),
    ]  # fmt: skip


def _primary(galaxy: Galaxy, config: MockConfig, nbins: int) -> ImageHdu:
    cards: list[Card] = [
        ("AUTHOR", "metgrad.mock (synthetic survey)", ""),
        ("ORIGIN", "metgrad.mock", "Synthetic MaNGA-like data; not observed"),
        ("MOCKSEED", config.seed, "metgrad.mock master seed"),
        ("VERSDRP3", "v3_1_1", "MaNGA DRP Version (3d processing)"),
        ("MASKNAME", "MANGA_DAPPIXMASK", "Bits in sdssMaskbits.par used by mask extension"),
        ("TELESCOP", "SDSS 2.5-M", "Sloan Digital Sky Survey"),
        ("INSTRUME", "MaNGA", "SDSS-IV MaNGA IFU"),
        ("MNGTARG1", 1024 if galaxy.primary else 2048, "manga_target1 maskbit"),
        ("MNGTARG2", 0, "manga_target2 maskbit"),
        ("MNGTARG3", 0, "manga_target3 maskbit"),
        ("IFURA", galaxy.ra, "IFU R.A. (J2000 deg.)"),
        ("IFUDEC", galaxy.dec, "IFU Dec. (J2000 deg.)"),
        ("OBJRA", galaxy.ra, "Object R.A. (J2000 deg.)"),
        ("OBJDEC", galaxy.dec, "Object Dec. (J2000 deg.)"),
        ("PLATEID", galaxy.plate, "Current plate"),
        ("IFUDSGN", str(galaxy.ifudsgn), "ifuDesign"),
        ("PLATEIFU", galaxy.plateifu, "PLATEID-ifuDesign"),
        ("MANGAID", galaxy.mangaid, "MaNGA ID number"),
        ("DRP3QUAL", 0, "DRP-3d quality bitmask"),
        ("EBVGAL", 0.0, "Galactic reddening E(B-V)"),
    ]
    for band in "GRIZ":
        cards.append((f"{band}FWHM", config.psf_fwhm_arcsec,
                      f"Reconstructed FWHM in {band.lower()}-band"))  # fmt: skip
    cards += [
        ("VERSDAP", "3.1.0", "MaNGA DAP version"),
        ("DAPTYPE", config.daptype, "DAP analysis method"),
        ("DAPFRMT", "MAPS", "DAP data file format"),
        ("DAPQUAL", 0, "DAP quality bitmask"),
        ("ECOOPA", galaxy.pa_deg, "Position angle for ellip. coo"),
        ("ECOOELL", 1.0 - galaxy.ba, "Ellipticity (1-b/a) for ellip. coo"),
        ("REFF", galaxy.re_arcsec, "Effective radius (arcsec)"),
        ("BINKEY", "HYB10", "Spectal binning method keyword"),
        ("NBINS", nbins, "Number of unique spatial bins"),
        ("SCINPVEL", 299792.458 * galaxy.z, "Initial guess velocity"),
        ("EMLDB", "ELPMPL11", "Emission-line database keyword"),
    ]
    return ImageHdu(None, None, tuple(cards))


def build_maps_hdus(
    galaxy: Galaxy,
    maps: dict,
    obs: Observation,
    dap: dict,
    config: MockConfig,
) -> list[ImageHdu]:
    """Assemble the MAPS HDUs of one galaxy (for :func:`metgrad.mock.fitswriter.fits_bytes`).

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
    list of ImageHdu
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

    wcs = _wcs_cards(galaxy, config.spaxel_arcsec)
    hdus = [
        _primary(galaxy, config, nbins),
        _image("SPX_SKYCOO", skycoo, wcs, channels=("On-sky X", "On-sky Y"), bunit="arcsec"),
        _image("SPX_ELLCOO", ellcoo.astype(np.float32), wcs,
               channels=("Elliptical radius", "R/Re", "R h/kpc", "Elliptical azimuth"),
               units=("arcsec", "", "kpc/h", "degrees")),
        _image("SPX_SNR", snr, wcs),
        _image("BINID", binid.astype(np.int32), wcs,
               channels=("Binned spectra", "Stellar continua", "Em. line moments",
                         "Em. line models", "Spectral indices")),
    ]  # fmt: skip
    common = {"channels": DR17_EMLINE_CHANNELS}
    hdus += _triplet("EMLINE_SFLUX", s_data, s_ivar, s_mask, wcs,
                     bunit=_FLUX_UNIT, ivar_unit=_IVAR_UNIT, **common)  # fmt: skip
    hdus += _triplet("EMLINE_SEW", e_data, e_ivar, e_mask, wcs,
                     bunit="ang", ivar_unit="(ang)^{-2}", **common)  # fmt: skip
    hdus += _triplet("EMLINE_GFLUX", g_data, g_ivar, g_mask, wcs,
                     bunit=_FLUX_UNIT, ivar_unit=_IVAR_UNIT, **common)  # fmt: skip
    hdus += _triplet("SPECINDEX", i_data, i_ivar, i_mask, wcs,
                     channels=names, units=units, bunit="", ivar_unit="")  # fmt: skip
    return hdus
