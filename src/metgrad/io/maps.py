"""Read the quantities metgrad needs from a MaNGA DAP ``MAPS`` file (DR15 and DR17 layouts).

Extensions are looked up by ``EXTNAME`` and channels by their header names,
never by position (the emission-line list has 22 channels in DR15 and 35 in
DR17, and ``SPX_ELLCOO`` has 3 and 4 channels respectively); see
``datamodel.md`` §2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np

from .errors import InputFileError, names_the_file
from .fitsfile import FitsExtensions, native, open_extensions
from .fitsfile import _normalise as _normalise_channel

__all__ = [
    "GAUSSIAN_LINES",
    "OPTIONAL_GAUSSIAN_LINES",
    "DapMaps",
    "LineMap",
    "names_the_file",
    "read_dap_maps",
]

#: DAP channel names of the lines used for line ratios (Gaussian fits, ``EMLINE_GFLUX``).
GAUSSIAN_LINES: tuple[str, ...] = (
    "OII-3727",
    "OII-3729",
    "Hb-4862",
    "OIII-5008",
    "NII-6585",
    "Ha-6564",
)

#: Further Gaussian-fit channels read when the file has them: the weak doublet members and
#: [SII], which some strong-line calibrators need (metgrad.physics.calibrators). A file
#: without them (an older DAP) is read, and those calibrators are left out.
OPTIONAL_GAUSSIAN_LINES: tuple[str, ...] = ("OIII-4960", "NII-6549", "SII-6718", "SII-6732")

#: The primary-header keywords the reader uses.
_PRIMARY_KEYS = (
    "PLATEIFU", "REFF", "ECOOPA", "ECOOELL", "MANGAID", "DAPTYPE", "VERSDAP", "SCINPVEL",
    "OBJRA", "OBJDEC",
)  # fmt: skip


@dataclass(frozen=True)
class LineMap:
    """One emission-line quantity of a MAPS file: value, inverse variance and mask.

    Attributes
    ----------
    value : ndarray, shape (ny, nx)
        Flux in 1e-17 erg/s/cm^2/spaxel, or EW in Angstrom (rest frame),
        as ``unit`` says.
    ivar : ndarray, shape (ny, nx)
        Inverse variance, in the square of the inverse unit.
    mask : ndarray of int64, shape (ny, nx)
        ``MANGA_DAPPIXMASK`` bits.
    unit : str
        ``BUNIT`` of the data extension.
    """

    value: np.ndarray
    ivar: np.ndarray
    mask: np.ndarray
    unit: str = ""


@dataclass(frozen=True)
class DapMaps:
    """What the spaxel pipeline takes from one DAP ``MAPS`` file.

    Attributes
    ----------
    path : Path
        The file read.
    plateifu, mangaid, daptype, versdap : str
        Identity and provenance from the primary header.
    reff_arcsec : float
        Effective radius (arcsec) used for the elliptical coordinates (``REFF``).
    ecoo_pa_deg : float
        Position angle (deg, E of N) of the elliptical coordinates (``ECOOPA``).
    ecoo_ell : float
        Ellipticity 1 - b/a of the elliptical coordinates (``ECOOELL``).
    r_arcsec, r_re, azimuth_deg : ndarray, shape (ny, nx)
        In-plane elliptical radius (arcsec), radius in units of R_e, and
        azimuth (deg) from ``SPX_ELLCOO``.
    gflux : dict of str to LineMap
        Gaussian-fit fluxes (``EMLINE_GFLUX``) by DAP channel name.
    sflux, sew : dict of str to LineMap
        Non-parametric fluxes and equivalent widths (``EMLINE_SFLUX``,
        ``EMLINE_SEW``) by DAP channel name.
    binid_emline : ndarray of int64, shape (ny, nx)
        Emission-line model bin of each spaxel (``BINID`` "Em. line models"
        channel; -1 = not analysed).
    spx_snr : ndarray, shape (ny, nx)
        g-band S/N per spaxel (``SPX_SNR``).
    layout : str
        ``'DR17'`` (4-channel ``SPX_ELLCOO``) or ``'DR15'`` (3 channels).
    scinpvel : float
        Input systemic velocity cz (km/s) of the DAP fit (``SCINPVEL``); NaN if absent.
    ra_deg, dec_deg : float
        Object position (deg, ``OBJRA``/``OBJDEC``); NaN if absent.
    """

    path: Path
    plateifu: str
    mangaid: str
    daptype: str
    versdap: str
    reff_arcsec: float
    ecoo_pa_deg: float
    ecoo_ell: float
    r_arcsec: np.ndarray
    r_re: np.ndarray
    azimuth_deg: np.ndarray
    gflux: dict[str, LineMap] = field(default_factory=dict)
    sflux: dict[str, LineMap] = field(default_factory=dict)
    sew: dict[str, LineMap] = field(default_factory=dict)
    binid_emline: np.ndarray | None = None
    spx_snr: np.ndarray | None = None
    layout: str = "DR17"
    scinpvel: float = float("nan")
    ra_deg: float = float("nan")
    dec_deg: float = float("nan")

    @property
    def redshift(self) -> float:
        """Systemic redshift ``SCINPVEL / c`` (NaN if the header lacks ``SCINPVEL``)."""
        return self.scinpvel / 299792.458

    @property
    def axis_ratio(self) -> float:
        """b/a of the elliptical coordinates, ``1 - ECOOELL``."""
        return 1.0 - self.ecoo_ell

    @property
    def shape(self) -> tuple[int, int]:
        """Spatial shape ``(ny, nx)`` of every map."""
        return self.r_re.shape


def _primary_value(header, key: str, path: Path, *, kind=str):
    if key not in header:
        raise InputFileError(path, f"primary header lacks {key}")
    value = header[key]
    if kind is float:
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise InputFileError(path, f"primary header {key}={value!r} is not a number") from None
        if not np.isfinite(value):
            raise InputFileError(path, f"primary header {key} is not finite")
        return value
    return str(value).strip()


def _optional_float(header, key: str) -> float:
    try:
        value = float(header.get(key, np.nan))
    except (TypeError, ValueError):
        return float("nan")
    return value if np.isfinite(value) else float("nan")


def _integer_bits(dtype: np.dtype, extname: str, path: Path) -> None:
    # mask bits: a float plane (NaN, fractions) has no meaningful integer cast
    if dtype.kind not in "iu":
        raise InputFileError(
            path, f"extension {extname} holds {dtype.name} values, expected integer bits"
        )


def _plane(images: FitsExtensions, extname: str, names, *, dtype=np.float64) -> np.ndarray:
    path = images.path
    data = images.data(extname)  # an astropy Section for an image: slices read on demand
    if data is None:
        raise InputFileError(path, f"extension {extname} has no data")
    bits = np.issubdtype(dtype, np.integer)
    if bits:
        _integer_bits(data.dtype, extname, path)
    ndim = len(data.shape)
    if ndim == 2:
        plane = data[:]
    elif ndim != 3:
        raise InputFileError(path, f"extension {extname} has {ndim} dimensions, expected 2 or 3")
    else:
        i = images.channel_index(extname, names)
        if i >= data.shape[0]:
            raise InputFileError(
                path, f"{extname} names channel {i + 1} but holds only {data.shape[0]} planes"
            )
        plane = data[i]
    if bits:  # astropy turns integers with a BLANK value into floats as it reads them
        _integer_bits(plane.dtype, extname, path)
    return native(plane, dtype)


def _unit_key(text: str) -> str:
    """A unit string without spaces, braces, carets or case: ``'(ang)^{-2}'`` -> ``'(ang)-2'``."""
    key = re.sub(r"[\s{}^]", "", text).lower().replace("cm2", "cm^2").replace("^", "")
    return key.replace("angstrom", "ang")


#: Units (as :func:`_unit_key` writes them) of each family's values; IVAR: the inverse square.
_UNITS = {
    "EMLINE_GFLUX": "1e-17erg/s/cm2/spaxel",
    "EMLINE_SFLUX": "1e-17erg/s/cm2/spaxel",
    "EMLINE_SEW": "ang",
}
_UNIT_TEXT = {"EMLINE_GFLUX": "1E-17 erg/s/cm^2/spaxel", "EMLINE_SFLUX": "1E-17 erg/s/cm^2/spaxel",
              "EMLINE_SEW": "ang"}  # fmt: skip


def _check_unit(images: FitsExtensions, extname: str, family: str) -> str:
    """``BUNIT`` of ``extname``, which must be the DAP's unit of ``family`` if present."""
    unit = str(images.header(extname, keywords=("BUNIT",)).get("BUNIT", "")).strip()
    if not unit or family not in _UNITS:
        return unit
    want = _UNITS[family]
    ivar = extname.endswith("_IVAR")
    if ivar:
        ok = _unit_key(unit) in (f"({want})-2", f"{want}-2")
        expected = f"({_UNIT_TEXT[family]})^{{-2}}"
    else:
        ok = _unit_key(unit) == want
        expected = _UNIT_TEXT[family]
    if not ok:
        raise InputFileError(images.path, f"{extname} has BUNIT {unit!r}, expected {expected!r}")
    return unit


def _line_map(images: FitsExtensions, base: str, line: str, shape) -> LineMap:
    value = _plane(images, base, line)
    ivar = _plane(images, f"{base}_IVAR", line)
    mask = _plane(images, f"{base}_MASK", line, dtype=np.int64)
    for name, arr in ((base, value), (f"{base}_IVAR", ivar), (f"{base}_MASK", mask)):
        if arr.shape != shape:
            raise InputFileError(
                images.path, f"{name} channel {line} has shape {arr.shape}, expected {shape}"
            )
    unit = _check_unit(images, base, base)
    _check_unit(images, f"{base}_IVAR", base)
    return LineMap(value=value, ivar=ivar, mask=mask, unit=unit)


@names_the_file
def read_dap_maps(
    path: str | PathLike[str],
    *,
    gflux_lines: tuple[str, ...] = GAUSSIAN_LINES,
    optional_gflux_lines: tuple[str, ...] = OPTIONAL_GAUSSIAN_LINES,
    sflux_lines: tuple[str, ...] = ("Ha-6564",),
    sew_lines: tuple[str, ...] = ("Ha-6564",),
) -> DapMaps:
    """Read one DAP ``MAPS`` file (DR15 or DR17 layout).

    Parameters
    ----------
    path : str or path-like
        ``manga-PLATE-IFU-MAPS-DAPTYPE.fits[.gz]``.
    gflux_lines, sflux_lines, sew_lines : tuple of str, optional
        DAP channel names to read from ``EMLINE_GFLUX``, ``EMLINE_SFLUX`` and
        ``EMLINE_SEW`` (each with its ``_IVAR`` and ``_MASK``).
    optional_gflux_lines : tuple of str, optional
        ``EMLINE_GFLUX`` channels read only if the file names them.

    Returns
    -------
    DapMaps

    Raises
    ------
    InputFileError
        One line naming the file and the problem: unreadable or truncated
        file, missing extension, channel or header key, a mask extension
        that does not hold integers, or maps whose shapes disagree.
    """
    path = Path(path)
    images = open_extensions(path)
    if "EMLINE_GFLUX" not in images and "SPX_ELLCOO" not in images:
        kind = " (a Pipe3D cube?)" if "SSP" in images else ""
        raise InputFileError(
            path, f"not a DAP MAPS file: no EMLINE_GFLUX or SPX_ELLCOO extension{kind}"
        )
    primary = images.header(0, keywords=_PRIMARY_KEYS)
    plateifu = _primary_value(primary, "PLATEIFU", path)
    reff = _primary_value(primary, "REFF", path, kind=float)
    ecoopa = _primary_value(primary, "ECOOPA", path, kind=float)
    ecooell = _primary_value(primary, "ECOOELL", path, kind=float)

    ell = images.data("SPX_ELLCOO")
    if ell is None or len(ell.shape) != 3:
        raise InputFileError(path, "SPX_ELLCOO is not a 3-D channel stack")
    layout = "DR17" if ell.shape[0] >= 4 else "DR15"
    r_re = _plane(images, "SPX_ELLCOO", ("R/Re", "r_re"))
    r_arcsec = _plane(images, "SPX_ELLCOO", ("Elliptical radius", "elliptical_radius"))
    azimuth = _plane(images, "SPX_ELLCOO", ("Elliptical azimuth", "elliptical_azimuth"))
    shape = r_re.shape

    gflux = {line: _line_map(images, "EMLINE_GFLUX", line, shape) for line in gflux_lines}
    present = {_normalise_channel(n) for n in images.channels("EMLINE_GFLUX").names}
    for line in optional_gflux_lines:
        if _normalise_channel(line) in present and line not in gflux:
            gflux[line] = _line_map(images, "EMLINE_GFLUX", line, shape)
    sflux = {line: _line_map(images, "EMLINE_SFLUX", line, shape) for line in sflux_lines}
    sew = {line: _line_map(images, "EMLINE_SEW", line, shape) for line in sew_lines}
    for base, lines in (("EMLINE_GFLUX", gflux_lines), ("EMLINE_SFLUX", sflux_lines),
                        ("EMLINE_SEW", sew_lines)):  # fmt: skip
        for other in (f"{base}_IVAR", f"{base}_MASK"):  # their planes must mean the same lines
            if lines:
                images.check_same_channels(base, other)

    binid = None
    if "BINID" in images:
        binid = _plane(images, "BINID", ("Em. line models", "emline_models"), dtype=np.int64)
    spx_snr = None
    if "SPX_SNR" in images:
        spx_snr = _plane(images, "SPX_SNR", ())

    return DapMaps(
        path=path,
        plateifu=plateifu,
        mangaid=str(primary.get("MANGAID", "")).strip(),
        daptype=str(primary.get("DAPTYPE", "")).strip(),
        versdap=str(primary.get("VERSDAP", "")).strip(),
        reff_arcsec=reff,
        ecoo_pa_deg=ecoopa,
        ecoo_ell=ecooell,
        r_arcsec=r_arcsec,
        r_re=r_re,
        azimuth_deg=azimuth,
        gflux=gflux,
        sflux=sflux,
        sew=sew,
        binid_emline=binid,
        spx_snr=spx_snr,
        layout=layout,
        scinpvel=_optional_float(primary, "SCINPVEL"),
        ra_deg=_optional_float(primary, "OBJRA"),
        dec_deg=_optional_float(primary, "OBJDEC"),
    )
