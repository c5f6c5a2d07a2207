"""The survey's catalogues: a drpall-like FITS table and a GSWLC-2X-like ASCII table.

``drpall`` (``datamodel.md`` §4.1): one row per galaxy in HDU 1 named
``MANGA``, with the NSA elliptical-Petrosian columns the pipeline reads
(``nsa_elpetro_th50_r`` in arcsec, ``nsa_elpetro_ba``, ``nsa_elpetro_phi``)
and the usual identifiers.

GSWLC-2X (``datamodel.md`` §4.3): whitespace-separated, no header, 24
columns, Chabrier log M* in column 10, -99 for missing values. A documented
fraction of MaNGA galaxies is missing or has no mass, positions are
perturbed by less than ``gswlc_position_error_arcsec``, and extra non-MaNGA
rows (some of them close neighbours of MaNGA galaxies) exercise the sky
matching.
"""

from __future__ import annotations

import io

import numpy as np

from .config import MockConfig
from .fitswriter import ImageHdu, TableHdu
from .population import STREAM_CATALOG, Galaxy, galaxy_rng

__all__ = ["GSWLC_COLUMNS", "build_drpall_hdus", "gswlc_text"]

#: The 24 GSWLC-2X columns, in file order.
GSWLC_COLUMNS: tuple[str, ...] = (
    "objid", "glxid", "plate", "mjd", "fiber_id", "ra", "dec", "z", "chi2_r", "logmstar",
    "logmstar_err", "logsfr_sed", "logsfr_sed_err", "afuv", "afuv_err", "ab", "ab_err",
    "av", "av_err", "flag_sed", "uv_survey", "flag_uv", "flag_midir", "flag_mgs",
)  # fmt: skip

_ABSMAG_OFFSETS = np.array([2.5, 2.0, 1.5, 0.5, 0.0, -0.3, -0.5])  # F N u g r i z minus r


def build_drpall_hdus(galaxies: list[Galaxy], config: MockConfig) -> list[ImageHdu | TableHdu]:
    """drpall-like table: PRIMARY + BinTable ``MANGA``, one row per plate-ifu in index order.

    Repeat observations share their galaxy's ``mangaid``, NSA id and values.
    Written with :func:`metgrad.mock.fitswriter.fits_bytes`.
    """
    n = len(galaxies)
    g = galaxies

    def arr(attr, dtype=float):
        return np.array([getattr(x, attr) for x in g], dtype=dtype)

    logm_chab = arr("logm_kroupa") - np.log10(config.chabrier_to_kroupa)
    h2 = (config.h0 / 100.0) ** 2
    abs_r = 4.65 - 2.5 * (logm_chab - 0.3)
    absmag = abs_r[:, None] + _ABSMAG_OFFSETS[None, :]
    columns = [  # (name, numpy type, values); FITS J = i4, D = f8, E = f4, rA = Sr
        ("plate", "i4", arr("plate", np.int32)),
        ("ifudsgn", "S6", [str(x.ifudsgn) for x in g]),
        ("plateifu", "S11", [x.plateifu for x in g]),
        ("mangaid", "S9", [x.mangaid for x in g]),
        ("versdrp3", "S8", ["v3_1_1"] * n),
        ("objra", "f8", arr("ra")),
        ("objdec", "f8", arr("dec")),
        ("ifura", "f8", arr("ra")),
        ("ifudec", "f8", arr("dec")),
        ("ebvgal", "f4", np.zeros(n)),
        ("nexp", "i4", np.full(n, 9)),
        ("drp3qual", "i4", np.zeros(n)),
        ("mngtarg1", "i4", np.where(arr("primary", bool), 1024, 2048)),
        ("mngtarg2", "i4", np.zeros(n)),
        ("mngtarg3", "i4", np.zeros(n)),
        ("z", "f8", arr("z")),
        ("nsa_z", "f4", arr("z")),
        ("nsa_zdist", "f4", arr("z")),
        ("nsa_nsaid", "i4", arr("galaxy_index", np.int32) + 1000),
        ("nsa_elpetro_th50_r", "f4", arr("re_arcsec")),
        ("nsa_elpetro_ba", "f4", arr("ba")),
        ("nsa_elpetro_phi", "f4", arr("pa_deg")),
        ("nsa_elpetro_mass", "f4", 10.0**logm_chab * h2),
        ("nsa_elpetro_absmag", ("f4", (7,)), absmag),
        ("nsa_sersic_ba", "f4", arr("ba")),
        ("nsa_sersic_phi", "f4", arr("pa_deg")),
        ("nsa_sersic_th50", "f4", arr("re_arcsec")),
        ("nsa_sersic_n", "f4", 1.0 + 3.0 * arr("bulge_fraction")),
        ("nsa_sersic_mass", "f4", 10.0**logm_chab * h2),
        ("ifudesignsize", "i4", arr("fibres", np.int32)),
    ]
    rows = np.empty(n, dtype=[(name, kind) for name, kind, _ in columns])
    for name, _, values in columns:
        rows[name] = values
    primary = ImageHdu(None, None, (("ORIGIN", "metgrad.mock", "Synthetic MaNGA-like drpall"),))
    return [primary, TableHdu("MANGA", rows)]


def _gswlc_row(values: dict) -> str:
    fmt = (
        "{objid:d} {glxid:d} {plate:d} {mjd:d} {fiber_id:d} {ra:.7f} {dec:.7f} {z:.6f} "
        "{chi2_r:.3f} {logmstar:.4f} {logmstar_err:.4f} {logsfr_sed:.4f} {logsfr_sed_err:.4f} "
        "{afuv:.4f} {afuv_err:.4f} {ab:.4f} {ab_err:.4f} {av:.4f} {av_err:.4f} "
        "{flag_sed:d} {uv_survey:d} {flag_uv:d} {flag_midir:d} {flag_mgs:d}"
    )
    return fmt.format(**values)


def _row_values(rng, ra, dec, z, logm_chab, has_mass, quenched) -> dict:
    logsfr = 0.7 * (logm_chab - 10.0) - 0.3 - (1.5 if quenched else 0.0) + rng.normal(0, 0.2)
    av = float(np.clip(0.3 + 0.3 * (logm_chab - 10.0), 0.05, 1.5))
    missing = -99.0
    return {
        "objid": int(1237650000000000000 + rng.integers(0, 10**13)),
        "glxid": int(6370000000000000000 + rng.integers(0, 10**15)),
        "plate": int(rng.integers(266, 3000)),
        "mjd": int(rng.integers(51600, 54600)),
        "fiber_id": int(rng.integers(1, 641)),
        "ra": ra,
        "dec": dec,
        "z": z,
        "chi2_r": float(rng.uniform(0.2, 3.0)),
        "logmstar": logm_chab if has_mass else missing,
        "logmstar_err": 0.05 if has_mass else missing,
        "logsfr_sed": logsfr if has_mass else missing,
        "logsfr_sed_err": 0.1 if has_mass else missing,
        "afuv": 2.0 * av,
        "afuv_err": 0.2,
        "ab": 1.3 * av,
        "ab_err": 0.1,
        "av": av,
        "av_err": 0.1,
        "flag_sed": 0 if has_mass else 1,
        "uv_survey": int(rng.integers(1, 4)),
        "flag_uv": 1,
        "flag_midir": 0,
        "flag_mgs": 1,
    }


def _offset(ra: float, dec: float, dx_arcsec: float, dy_arcsec: float) -> tuple[float, float]:
    return (
        float((ra + dx_arcsec / 3600.0 / np.cos(np.radians(dec))) % 360.0),
        float(dec + dy_arcsec / 3600.0),
    )


def gswlc_text(galaxies: list[Galaxy], config: MockConfig) -> tuple[str, list[dict]]:
    """GSWLC-2X-like ASCII table and the list of its rows (for the truth tables).

    Parameters
    ----------
    galaxies : list of Galaxy
        One per galaxy (first observations only: GSWLC has one source per galaxy).
    config : MockConfig

    Returns
    -------
    text : str
        The file contents, one whitespace-separated row per line, sorted by RA.
    rows : list of dict
        Every row's values plus ``plateifu`` (``""`` for non-MaNGA rows) and
        ``separation_arcsec`` from its MaNGA galaxy.
    """
    if any(g.repeat_of for g in galaxies):
        raise ValueError("gswlc_text takes one Galaxy per galaxy: no repeat observations")
    rows = []
    for g in galaxies:
        if not g.in_gswlc:
            continue
        rng = galaxy_rng(config.seed, STREAM_CATALOG, g.index + 1)
        radius = config.gswlc_position_error_arcsec * np.sqrt(rng.uniform())
        angle = rng.uniform(0.0, 2.0 * np.pi)
        ra, dec = _offset(g.ra, g.dec, radius * np.cos(angle), radius * np.sin(angle))
        values = _row_values(rng, ra, dec, g.z, g.logm_chabrier_gswlc, g.gswlc_has_mass,
                             g.quenched_global)  # fmt: skip
        rows.append({**values, "plateifu": g.plateifu, "separation_arcsec": float(radius)})

    rng = galaxy_rng(config.seed, STREAM_CATALOG, 0)
    n_extra = round(config.gswlc_extra_per_galaxy * len(galaxies))
    sin_lo, sin_hi = np.sin(np.radians(config.dec_range))
    for _ in range(n_extra):
        if galaxies and rng.uniform() < config.gswlc_neighbour_fraction:
            host = galaxies[int(rng.integers(len(galaxies)))]
            sep = rng.uniform(3.0, 20.0)
            angle = rng.uniform(0.0, 2.0 * np.pi)
            ra, dec = _offset(host.ra, host.dec, sep * np.cos(angle), sep * np.sin(angle))
            z = float(np.clip(host.z + rng.normal(0, 0.01), 0.005, 0.3))
        else:
            ra = float(rng.uniform(*config.ra_range))
            dec = float(np.degrees(np.arcsin(rng.uniform(sin_lo, sin_hi))))
            z = float(rng.uniform(0.01, 0.3))
        logm = float(rng.uniform(8.0, 11.8))
        has_mass = bool(rng.uniform() >= config.gswlc_nomass_fraction)
        values = _row_values(rng, ra, dec, z, logm, has_mass, False)
        rows.append({**values, "plateifu": "", "separation_arcsec": float("nan")})

    rows.sort(key=lambda r: (r["ra"], r["dec"]))
    out = io.StringIO()
    for row in rows:
        out.write(_gswlc_row(row) + "\n")
    return out.getvalue(), rows
