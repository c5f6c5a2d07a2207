"""IFU footprints, the spaxel grid and in-plane elliptical coordinates.

MaNGA bundles are hexagons of 19, 37, 61, 91 or 127 fibres; each plate carries
two 19-, four 37-, four 61-, two 91- and five 127-fibre bundles (17 galaxy
IFUs). The reconstructed cubes (and DAP MAPS) have 0.5" spaxels on a square
grid a little larger than the hexagon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "IFU_DESIGNS",
    "PLATE_SLOTS",
    "IfuDesign",
    "continuum_segmentation",
    "elliptical_coordinates",
    "hexagon_mask",
    "hexagon_radius_fraction",
    "sky_grid",
]


@dataclass(frozen=True)
class IfuDesign:
    """One MaNGA IFU size.

    Attributes
    ----------
    fibres : int
        Number of fibres.
    designs : tuple of int
        IFU design numbers of this size that appear on a plate (e.g. 1901, 1902).
    diameter_arcsec : float
        Vertex-to-vertex diameter of the hexagonal footprint (arcsec).
    grid : int
        Side of the square MAPS grid (spaxels).

    Notes
    -----
    Diameters 12.5, 17.5, 22.5, 27.5, 32.5" are the fibre-bundle sizes (2.5"
    fibre pitch, 2" cores, plus the dither). Grid sides 32, 42, 54, 62, 74 are
    typical of DR17 cubes; the real 7815-3702 file in ``shared/data/real`` is
    42 x 42 for a 37-fibre bundle. Real cubes vary by a few spaxels.
    """

    fibres: int
    designs: tuple[int, ...]
    diameter_arcsec: float
    grid: int

    @property
    def circumradius_arcsec(self) -> float:
        """Centre-to-vertex radius of the hexagon (arcsec)."""
        return 0.5 * self.diameter_arcsec

    @property
    def mean_radius_arcsec(self) -> float:
        """Mean of circumradius and inradius (arcsec): the radius used for coverage."""
        return 0.5 * (1.0 + np.sqrt(3.0) / 2.0) * self.circumradius_arcsec


#: fibres -> IFU design of that size.
IFU_DESIGNS: dict[int, IfuDesign] = {
    19: IfuDesign(19, (1901, 1902), 12.5, 32),
    37: IfuDesign(37, (3701, 3702, 3703, 3704), 17.5, 42),
    61: IfuDesign(61, (6101, 6102, 6103, 6104), 22.5, 54),
    91: IfuDesign(91, (9101, 9102), 27.5, 62),
    127: IfuDesign(127, (12701, 12702, 12703, 12704, 12705), 32.5, 74),
}

#: the 17 galaxy IFU design numbers of one plate.
PLATE_SLOTS: tuple[int, ...] = tuple(d for ifu in IFU_DESIGNS.values() for d in ifu.designs)


def sky_grid(npix: int, spaxel_arcsec: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """On-sky offsets of every spaxel from the IFU centre, as in ``SPX_SKYCOO``.

    Parameters
    ----------
    npix : int
        Side of the square grid (spaxels).
    spaxel_arcsec : float, optional
        Spaxel size (arcsec).

    Returns
    -------
    x, y : ndarray of shape (npix, npix)
        Offsets (arcsec) towards East (``x``, increasing to the left, i.e.
        decreasing with column index as RA increases to the East) and North
        (``y``, increasing with row index). The centre is pixel ``npix // 2``.
    """
    if npix < 1:
        raise ValueError(f"npix must be positive, got {npix}")
    index = np.arange(npix, dtype=float) - npix // 2
    y, x = np.meshgrid(index * spaxel_arcsec, -index * spaxel_arcsec, indexing="ij")
    return x, y


def hexagon_radius_fraction(x: np.ndarray, y: np.ndarray, circumradius: float) -> np.ndarray:
    """Hexagonal "radius" of each point in units of the circumradius.

    The hexagon has vertices at (+-R, 0) (on the East-West axis); a point is
    inside when the returned value is <= 1.

    Parameters
    ----------
    x, y : ndarray
        On-sky offsets (arcsec).
    circumradius : float
        Centre-to-vertex radius R (arcsec).

    Returns
    -------
    ndarray
        ``max(|y| / (sqrt(3)/2), |x| + |y| / sqrt(3)) / R``.
    """
    if circumradius <= 0:
        raise ValueError("circumradius must be positive")
    ax, ay = np.abs(x), np.abs(y)
    return np.maximum(ay / (np.sqrt(3.0) / 2.0), ax + ay / np.sqrt(3.0)) / circumradius


def hexagon_mask(x: np.ndarray, y: np.ndarray, circumradius: float) -> np.ndarray:
    """Boolean map of the spaxels inside the hexagonal footprint."""
    return hexagon_radius_fraction(x, y, circumradius) <= 1.0


def elliptical_coordinates(
    x: np.ndarray, y: np.ndarray, pa_deg: float, ba: float
) -> tuple[np.ndarray, np.ndarray]:
    """In-plane radius and azimuth of a thin tilted disc, as the DAP's ``SPX_ELLCOO``.

    Parameters
    ----------
    x, y : ndarray
        On-sky offsets towards East and North (arcsec).
    pa_deg : float
        Position angle of the major axis, East of North (deg).
    ba : float
        Axis ratio b/a (``ECOOELL = 1 - b/a``).

    Returns
    -------
    radius : ndarray
        Semi-major-axis (in-plane) radius (arcsec).
    azimuth : ndarray
        In-plane azimuth from the major axis, in [0, 360) deg.

    Examples
    --------
    >>> import numpy as np
    >>> r, az = elliptical_coordinates(np.array([0.0]), np.array([2.0]), 0.0, 0.5)
    >>> float(r[0]), float(az[0])
    (2.0, 0.0)
    """
    if not 0.0 < ba <= 1.0:
        raise ValueError(f"ba must be in (0, 1], got {ba}")
    pa = np.radians(pa_deg)
    major = x * np.sin(pa) + y * np.cos(pa)
    minor = (-x * np.cos(pa) + y * np.sin(pa)) / ba
    radius = np.hypot(major, minor)
    azimuth = np.degrees(np.arctan2(minor, major)) % 360.0
    return radius, np.where(azimuth >= 360.0, 0.0, azimuth)


def continuum_segmentation(
    r_arcsec: np.ndarray,
    azimuth: np.ndarray,
    covered: np.ndarray,
    *,
    ring_arcsec: float = 1.0,
    spaxels_per_bin: tuple[float, float] = (1.0, 8.0),
) -> np.ndarray:
    """Polar continuum bins like Pipe3D's segmentation: small at the centre, larger outside.

    Elliptical rings of width ``ring_arcsec`` are cut into azimuthal sectors so
    that a bin holds about ``s0 + (s1 - s0) (r / r_max)^2`` covered spaxels.

    Parameters
    ----------
    r_arcsec, azimuth : ndarray
        In-plane radius (arcsec) and azimuth (deg) of each spaxel.
    covered : ndarray of bool
        Spaxels to bin.
    ring_arcsec : float, optional
        Ring width (arcsec).
    spaxels_per_bin : (float, float), optional
        Target bin size at the centre and at the outermost ring.

    Returns
    -------
    ndarray of int
        Bin id (0, 1, ... in order of ring then sector), -1 outside ``covered``.
    """
    ring = np.floor(r_arcsec / ring_arcsec).astype(np.int64)
    nring = int(ring[covered].max()) + 1 if covered.any() else 0
    counts = np.bincount(ring[covered], minlength=nring).astype(float)
    r_max = max(float(r_arcsec[covered].max()) if covered.any() else 1.0, ring_arcsec)
    s0, s1 = spaxels_per_bin
    target = (
        s0 + (s1 - s0) * (np.minimum((np.arange(nring) + 0.5) * ring_arcsec / r_max, 1.0)) ** 2
    )
    sectors = np.maximum(1, np.round(counts / target)).astype(np.int64)
    ring_c = np.where(covered, ring, 0)
    sector = np.floor(azimuth / 360.0 * sectors[ring_c]).astype(np.int64)
    sector = np.minimum(sector, sectors[ring_c] - 1)
    key = ring_c * 100000 + sector
    binid = np.full(r_arcsec.shape, -1, dtype=np.int64)
    _, inverse = np.unique(key[covered], return_inverse=True)
    binid[covered] = inverse
    return binid
