"""Read the planes metgrad needs from a Pipe3D per-galaxy cube (DR17 and older layouts).

Extensions are found by ``EXTNAME`` (the HDU order differs: ``INDICES`` is
HDU 4 in v2_4_3 and HDU 3 in v3_1_1). Planes are found by the text of their
``DESC_i`` (``SSP``) or ``INDEXi`` (``INDICES``) header keys; only when a
cube carries no such keys does the reader fall back to the documented plane
numbers (``datamodel.md`` §3), and it says so in :attr:`Pipe3DMaps.plane_source`.
Where a ``SELECT_REG`` extension exists (DR17) spaxels outside the selected
region are set to NaN.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from .errors import InputFileError, names_the_file
from .fitsfile import FitsExtensions, native, open_extensions

__all__ = ["SSP_PLANES", "Pipe3DMaps", "check_cube_identity", "read_pipe3d"]

#: Fallback plane numbers (0-based) of the ``SSP`` extension for cubes without ``DESC_i`` keys.
SSP_PLANES: dict[str, int] = {"dezonification": 2, "log_age_lw": 5, "log_mass_density_dust": 19}
_D4000_PLANE, _D4000_ERR_PLANE = 5, 13
#: Header keywords describing the planes (``DESC_i`` of SSP, ``INDEXi`` of INDICES).
_DESCRIBING_KEYS = r"(DESC|INDEX)_?\d+"


def _words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _is_dezonification(desc: str) -> bool:
    return "dezon" in desc.replace(" ", "")


def _is_log_age_lw(desc: str) -> bool:
    w = _words(desc)
    return (
        "age" in w.split()
        and ("luminosity" in w or "light" in w or "lw" in w.split())
        and "error" not in w
        and "mass" not in w
    )


def _is_mass_density_dust(desc: str) -> bool:
    w = _words(desc)
    return (
        "mass" in w
        and "dens" in w
        and "dust" in w
        and "no dust" not in w
        and "without" not in w
        and "error" not in w
    )


_SSP_MATCHERS: dict[str, Callable[[str], bool]] = {
    "dezonification": _is_dezonification,
    "log_age_lw": _is_log_age_lw,
    "log_mass_density_dust": _is_mass_density_dust,
}


@dataclass(frozen=True)
class Pipe3DMaps:
    """What the spaxel pipeline takes from one Pipe3D cube.

    Attributes
    ----------
    path : Path
        The file read.
    dezonification : ndarray, shape (ny, nx)
        Spaxel flux over the mean flux of its continuum bin (dimensionless).
    log_age_lw : ndarray, shape (ny, nx)
        Luminosity-weighted log stellar age, log10(yr).
    log_mass_density_dust : ndarray, shape (ny, nx)
        Dust-corrected stellar mass per spaxel, log10(Msun/spaxel), Salpeter IMF,
        per continuum bin (multiply by the dezonification map).
    d4000, d4000_err : ndarray, shape (ny, nx)
        Bruzual (1983) D4000 and its error.
    select_reg : ndarray of bool or None
        ``SELECT_REG`` (DR17) as a boolean map; None where the cube has none.
    plane_source : str
        ``'header'`` when every plane was found by its header text,
        ``'fallback'`` when documented plane numbers were used.
    plateifu : str
        ``PLATEIFU`` of the primary header (``''`` if absent): whose cube this is.
    ra_deg, dec_deg : float
        ``OBJRA``/``OBJDEC`` of the primary header (deg; NaN if absent).
    """

    path: Path
    dezonification: np.ndarray
    log_age_lw: np.ndarray
    log_mass_density_dust: np.ndarray
    d4000: np.ndarray
    d4000_err: np.ndarray
    select_reg: np.ndarray | None
    plane_source: str
    plateifu: str = ""
    ra_deg: float = float("nan")
    dec_deg: float = float("nan")

    @property
    def shape(self) -> tuple[int, int]:
        """Spatial shape ``(ny, nx)``."""
        return self.d4000.shape


def _cube(images: FitsExtensions, extname: str):
    data = images.data(extname)  # an astropy Section for an image: planes read on demand
    if data is None or len(data.shape) != 3:
        raise InputFileError(images.path, f"{extname} is not a 3-D plane stack")
    return images.header(extname, pattern=_DESCRIBING_KEYS), data


def _described(header, prefix: str) -> dict[int, str]:
    pattern = re.compile(rf"{prefix}_?(\d+)")
    out = {}
    for card in header.cards:
        m = pattern.fullmatch(card.keyword)
        if m:
            out[int(m.group(1))] = str(card.value).strip()
    return out


def _ssp_planes(header, nplanes: int, path: Path) -> tuple[dict[str, int], bool]:
    desc = _described(header, "DESC")
    if not desc:
        if nplanes <= max(SSP_PLANES.values()):
            raise InputFileError(path, f"SSP has {nplanes} planes and no DESC_i keys")
        return dict(SSP_PLANES), False
    planes = {}
    for quantity, matcher in _SSP_MATCHERS.items():
        hits = sorted(i for i, text in desc.items() if matcher(text))
        if not hits:
            raise InputFileError(path, f"SSP has no plane described as {quantity}")
        planes[quantity] = hits[0]
    return planes, True


def _index_planes(header, nplanes: int, path: Path) -> tuple[int, int, bool]:
    names = _described(header, "INDEX")
    if not names:
        if nplanes <= _D4000_ERR_PLANE:
            raise InputFileError(path, f"INDICES has {nplanes} planes and no INDEXi keys")
        return _D4000_PLANE, _D4000_ERR_PLANE, False
    norm = {i: _words(n).replace(" ", "") for i, n in names.items()}
    value = sorted(i for i, n in norm.items() if n == "d4000")
    error = sorted(i for i, n in norm.items() if n in ("ed4000", "errord4000", "d4000err"))
    if not value:
        raise InputFileError(path, "INDICES has no D4000 plane")
    if not error:
        raise InputFileError(path, "INDICES has no D4000 error plane")
    return value[0], error[0], True


def _identity(images: FitsExtensions) -> tuple[str, float, float]:
    primary = images.header(0, keywords=("PLATEIFU", "OBJRA", "OBJDEC"))
    plateifu = str(primary.get("PLATEIFU", "")).strip()
    position = []
    for key in ("OBJRA", "OBJDEC"):
        try:
            value = float(primary.get(key, np.nan))
        except (TypeError, ValueError):
            value = np.nan
        position.append(value if np.isfinite(value) else np.nan)
    return plateifu, position[0], position[1]


@names_the_file
def read_pipe3d(path: str | PathLike[str]) -> Pipe3DMaps:
    """Read one Pipe3D cube (``manga-PLATE-IFU.Pipe3D.cube.fits[.gz]``).

    Parameters
    ----------
    path : str or path-like
        The cube.

    Returns
    -------
    Pipe3DMaps

    Raises
    ------
    InputFileError
        One line naming the file and the problem (unreadable file, missing
        ``SSP`` or ``INDICES``, no plane with the needed description, planes
        of different shapes).
    """
    path = Path(path)
    images = open_extensions(path)
    ssp_header, ssp = _cube(images, "SSP")
    idx_header, indices = _cube(images, "INDICES")
    planes, ssp_by_header = _ssp_planes(ssp_header, ssp.shape[0], path)
    i_d4000, i_err, idx_by_header = _index_planes(idx_header, indices.shape[0], path)
    for name, i in (*planes.items(), ("D4000", i_d4000), ("D4000 error", i_err)):
        stack = indices if name.startswith("D4000") else ssp
        if i >= stack.shape[0]:
            raise InputFileError(path, f"plane {i} ({name}) beyond the {stack.shape[0]} planes")
    if ssp.shape[1:] != indices.shape[1:]:
        raise InputFileError(
            path, f"SSP maps {ssp.shape[1:]} and INDICES maps {indices.shape[1:]} differ in shape"
        )
    maps = {name: native(ssp[i]) for name, i in planes.items()}
    d4000 = native(indices[i_d4000])
    d4000_err = native(indices[i_err])

    select = None
    if "SELECT_REG" in images:
        reg = images.data("SELECT_REG")
        if reg is None or reg.shape != d4000.shape:
            shape = None if reg is None else reg.shape
            raise InputFileError(path, f"SELECT_REG has shape {shape}, expected {d4000.shape}")
        select = np.asarray(reg[:]) > 0
        for arr in (*maps.values(), d4000, d4000_err):
            arr[~select] = np.nan

    return Pipe3DMaps(
        path=path,
        dezonification=maps["dezonification"],
        log_age_lw=maps["log_age_lw"],
        log_mass_density_dust=maps["log_mass_density_dust"],
        d4000=d4000,
        d4000_err=d4000_err,
        select_reg=select,
        plane_source="header" if (ssp_by_header and idx_by_header) else "fallback",
        **dict(zip(("plateifu", "ra_deg", "dec_deg"), _identity(images), strict=True)),
    )


def check_cube_identity(cube: Pipe3DMaps, plateifu: str, *, maps_path: Path) -> None:
    """Raise unless ``cube`` says it is the Pipe3D cube of ``plateifu`` (the MAPS file's galaxy).

    The cube's primary header keeps the DRP's ``PLATEIFU``; a cube without it must at
    least carry ``OBJRA``/``OBJDEC`` (which the caller compares with the galaxy's position).

    Raises
    ------
    InputFileError
        Naming the cube: another galaxy's ``PLATEIFU``, or no identity at all.
    """
    if cube.plateifu and cube.plateifu != plateifu:
        raise InputFileError(
            cube.path,
            f"PLATEIFU {cube.plateifu[:40]} in the header: the cube of another galaxy than "
            f"{Path(maps_path).name} ({plateifu})",
        )
    if not cube.plateifu and not np.isfinite([cube.ra_deg, cube.dec_deg]).all():
        raise InputFileError(
            cube.path, "no PLATEIFU or OBJRA/OBJDEC in the primary header: whose cube is it?"
        )
