"""Write one galaxy as a DR17-like Pipe3D cube (``datamodel.md`` §3).

HDUs in the DR17 (pyPipe3D v3_1_1) order: ``ORG_HDR`` (primary), ``SSP`` (21
planes, ``DESC_i``/``TYPE_i``/``UNITS_i``), ``SFH``, ``INDICES`` (18 planes,
``INDEXi``; D4000 at 5, its error at 13), ``ELINES``, ``FLUX_ELINES``,
``FLUX_ELINES_LONG``, ``GAIA_MASK`` and ``SELECT_REG``. ``SFH`` and the
emission-line HDUs are empty placeholders (the paper takes lines from the
DAP).

Stellar quantities are computed on continuum-segmentation bins as Pipe3D
does: the bin value of the dust-corrected mass (plane 19, log Msun per
spaxel, Salpeter) is the log of the bin's mean spaxel mass, and the
dezonification map (plane 2) is each spaxel's share relative to that mean,
so ``10**plane19 * dezon * b/a * 0.62 / A_spaxel[kpc^2]`` is the injected
face-on Kroupa Sigma_* (before the per-bin mass noise).
"""

from __future__ import annotations

import numpy as np

from .config import MockConfig
from .fitswriter import ImageHdu
from .population import Galaxy

__all__ = [
    "INDICES_NAMES",
    "SSP_PLANES",
    "bin_mean",
    "build_pipe3d_hdus",
    "pipe3d_filename",
    "pipe3d_relpath",
]

#: (description, type, units) of the 21 SSP planes.
SSP_PLANES: tuple[tuple[str, str, str], ...] = (
    ("Vband flux", "flux", "10^-16 erg/s/cm^2"),
    ("Continuum segmentation map", "index", "none"),
    ("dezonification map", "ratio", "none"),
    ("median intensity flux within the wavelength range", "flux", "10^-16 erg/s/cm^2"),
    ("StdDev median intensity flux within the wavelength range", "flux", "10^-16 erg/s/cm^2"),
    ("luminosity weighted age of the stellar population", "age", "log10(yr)"),
    ("mass weighted age of the stellar population", "age", "log10(yr)"),
    ("error of the age of the stellar population", "age", "log10(yr)"),
    ("luminosity weighted metallicity of the stellar population", "met", "log10(Z/Zsun)"),
    ("mass weighted metallicity of the stellar population", "met", "log10(Z/Zsun)"),
    ("error metallicity of the stellar population", "met", "log10(Z/Zsun)"),
    ("average dust attenuation of the stellar population", "Av", "mag"),
    ("error of the average dust attenuation of the stellar population", "Av", "mag"),
    ("velocity of the stellar population", "vel", "km/s"),
    ("error in the velocity of the stellar population", "vel", "km/s"),
    ("velocity dispersion of the stellar population", "disp", "km/s"),
    ("error in velocity dispersion of the stellar population", "disp", "km/s"),
    ("average mass-to-light ratio of the stellar population", "ML", "log10(Msun/Lsun)"),
    ("stellar mass density", "mass", "log10(Msun/spaxels^2)"),
    ("stellar mass density dust corrected", "mass", "log10(Msun/spaxels^2)"),
    ("error in the stellar mass density", "mass", "log10(Msun/spaxels^2)"),
)

#: INDICES plane names: 8 indices, their 8 errors, and two unused planes.
INDICES_NAMES: tuple[str, ...] = (
    "Hd", "Hb", "Mgb", "Fe5270", "Fe5335", "D4000", "Hdmod", "Hg",
    "e_Hd", "e_Hb", "e_Mgb", "e_Fe5270", "e_Fe5335", "e_D4000", "e_Hdmod", "e_Hg",
    "unused_16", "unused_17",
)  # fmt: skip


def pipe3d_filename(plateifu: str) -> str:
    """``manga-PLATE-IFU.Pipe3D.cube.fits.gz``."""
    return f"manga-{plateifu}.Pipe3D.cube.fits.gz"


def pipe3d_relpath(galaxy: Galaxy) -> str:
    """Path below the survey folder: ``pipe3d/PLATE/<file>`` (the SAS layout)."""
    return f"pipe3d/{galaxy.plate}/{pipe3d_filename(galaxy.plateifu)}"


def bin_mean(
    values: np.ndarray, binid: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Weighted mean of ``values`` over each bin, broadcast back to the spaxels (0 outside)."""
    inside = binid >= 0
    w = np.ones_like(values) if weights is None else weights
    nbin = int(binid.max()) + 1 if inside.any() else 0
    num = np.bincount(binid[inside], weights=(values * w)[inside], minlength=nbin)
    den = np.bincount(binid[inside], weights=w[inside], minlength=nbin)
    out = np.zeros_like(values, dtype=float)
    out[inside] = (num / den)[binid[inside]]
    return out


def build_pipe3d_hdus(galaxy: Galaxy, products: dict, config: MockConfig) -> list[ImageHdu]:
    """Assemble the Pipe3D cube of one galaxy (for :func:`metgrad.mock.fitswriter.fits_bytes`).

    Parameters
    ----------
    galaxy : Galaxy
    products : dict
        Full-grid arrays made by :func:`metgrad.mock.survey.pipe3d_products`:
        ``binid``, ``covered``, ``vflux``, ``dezon``, ``log_mass_bin`` (noisy,
        Salpeter, log Msun/spaxel), ``log_mass_nodust``, ``log_age_lw``,
        ``log_age_mw``, ``av_star``, ``log_ml``, ``d4000``, ``d4000_sigma``,
        ``vel``, ``disp``.
    config : MockConfig

    Returns
    -------
    list of ImageHdu
    """
    p = products
    cov = p["covered"]
    zero = np.zeros(cov.shape)

    def inside(a):
        return np.where(cov, a, 0.0)

    planes = [
        inside(p["vflux"]),
        np.where(cov, p["binid"] + 1, 0).astype(float),
        inside(p["dezon"]),
        inside(p["vflux"]),
        inside(0.05 * p["vflux"]),
        inside(p["log_age_lw"]),
        inside(p["log_age_mw"]),
        inside(zero + 0.1),
        inside(zero - 0.1),
        inside(zero - 0.05),
        inside(zero + 0.1),
        inside(p["av_star"]),
        inside(zero + 0.1),
        inside(p["vel"]),
        inside(zero + 10.0),
        inside(p["disp"]),
        inside(zero + 15.0),
        inside(p["log_ml"]),
        inside(p["log_mass_nodust"]),
        inside(p["log_mass_bin"]),
        inside(zero + config.stellar_mass_noise_dex),
    ]
    ssp_cards = []
    for i, (desc, kind, unit) in enumerate(SSP_PLANES):
        ssp_cards += [(f"DESC_{i}", desc, ""), (f"TYPE_{i}", kind, ""), (f"UNITS_{i}", unit, "")]
    ssp = ImageHdu("SSP", np.stack(planes).astype(np.float32), tuple(ssp_cards))

    d4000 = p["d4000"]
    hd = 8.0 - 6.0 * (d4000 - 1.1)
    values = [hd, 5.0 - 2.5 * (d4000 - 1.1), 1.5 + 2.5 * (d4000 - 1.1), 1.5 + 1.5 * (d4000 - 1.1),
              1.3 + 1.3 * (d4000 - 1.1), d4000, hd - 1.0, hd - 2.0]  # fmt: skip
    errors = [zero + 0.5] * 5 + [p["d4000_sigma"]] + [zero + 0.5] * 2
    index_planes = [inside(v) for v in values + errors] + [zero, zero]
    idx_cards = tuple((f"INDEX{i}", name, "") for i, name in enumerate(INDICES_NAMES))
    indices = ImageHdu("INDICES", np.stack(index_planes).astype(np.float32), idx_cards)

    primary = ImageHdu(
        "ORG_HDR",
        None,
        (
            ("ORIGIN", "metgrad.mock", "Synthetic MaNGA-like data; not observed"),
            ("PLATEID", galaxy.plate, ""),
            ("IFUDSGN", str(galaxy.ifudsgn), ""),
            ("PLATEIFU", galaxy.plateifu, ""),
            ("MANGAID", galaxy.mangaid, ""),
            ("OBJRA", galaxy.ra, ""),
            ("OBJDEC", galaxy.dec, ""),
            ("VERSDRP3", "v3_1_1", ""),
            ("VERSPIPE", "3.1.1", "Pipe3D version (synthetic)"),
        ),
    )
    return [
        primary,
        ssp,
        ImageHdu("SFH"),
        indices,
        ImageHdu("ELINES"),
        ImageHdu("FLUX_ELINES"),
        ImageHdu("FLUX_ELINES_LONG"),
        ImageHdu("GAIA_MASK", np.zeros(cov.shape, np.int32)),
        ImageHdu("SELECT_REG", cov.astype(np.int32)),
    ]
