"""Galaxy catalogues: drpall (NSA geometry, redshift) and GSWLC-2X (stellar mass), and their match.

The drpall file is a FITS table (HDU ``MANGA`` in DR17; the first table HDU
otherwise) with the ``nsa_*`` columns of ``datamodel.md`` §4.1. GSWLC-2X is
a whitespace-separated ASCII table without a header, 24 columns, ``-99`` for
missing values (§4.3). MaNGA galaxies are matched to GSWLC by sky position.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.coordinates import SkyCoord

from .errors import InputFileError, names_the_file
from .fitsfile import open_fits

__all__ = [
    "DEFAULT_MATCH_RADIUS_ARCSEC",
    "GSWLC_COLUMNS",
    "CatalogMatch",
    "match_gswlc",
    "read_drpall",
    "read_drpall_rows",
    "read_gswlc",
]

#: Column names of GSWLC-2X (Salim et al. 2018, documentation Table 2), in file order.
GSWLC_COLUMNS: tuple[str, ...] = (
    "objid", "glxid", "plate", "mjd", "fiber_id", "ra", "dec", "z", "chi2_r",
    "log_mstar", "log_mstar_err", "log_sfr_sed", "log_sfr_sed_err", "a_fuv", "a_fuv_err",
    "a_b", "a_b_err", "a_v", "a_v_err", "flag_sed", "uv_survey", "flag_uv", "flag_midir",
    "flag_mgs",
)  # fmt: skip

#: Default largest separation (arcsec) accepted between a MaNGA target and a GSWLC source.
#: NSA and SDSS photometric centres of the same galaxy agree to well under an arcsecond;
#: 3 arcsec is below the 3.5 arcsec separation of distinct SDSS spectroscopic targets.
DEFAULT_MATCH_RADIUS_ARCSEC = 3.0

# drpall column -> our name. Lower-cased on reading.
_DRPALL_COLUMNS = {
    "plateifu": "plateifu",
    "mangaid": "mangaid",
    "objra": "ra",
    "objdec": "dec",
    "nsa_z": "z",
    "nsa_elpetro_th50_r": "re_arcsec",
    "nsa_elpetro_ba": "ba",
    "nsa_elpetro_phi": "pa_deg",
}


_DRPALL_TEXT_COLUMNS = ("plateifu", "mangaid")


@names_the_file
def read_drpall_rows(path: str | PathLike[str]) -> pd.DataFrame:
    """Read the galaxy geometry and redshift of every row of a drpall file.

    Parameters
    ----------
    path : str or path-like
        ``drpall-v3_1_1.fits`` or a file with the same columns.

    Returns
    -------
    pandas.DataFrame
        One row per table row, in file order (a plate-ifu listed twice gives
        two rows), with columns ``plateifu``, ``mangaid``, ``ra``, ``dec``,
        ``z``, ``re_arcsec``, ``ba`` and ``pa_deg`` as in :func:`read_drpall`.

    Raises
    ------
    InputFileError
        If the file is unreadable, has no table, lacks a needed column, or a
        needed numeric column does not hold one number per row.
    """
    path = Path(path)
    hdul = open_fits(path)
    hdu = (
        hdul["MANGA"]
        if "MANGA" in hdul
        else next((h for h in hdul[1:] if getattr(h, "columns", None) is not None), None)
    )
    if hdu is None or hdu.data is None or getattr(hdu, "columns", None) is None:
        raise InputFileError(path, "no table HDU (expected MANGA)")
    names = {n.lower(): n for n in hdu.columns.names}
    missing = [c for c in _DRPALL_COLUMNS if c not in names]
    if missing:
        raise InputFileError(path, f"missing column(s) {', '.join(missing)}")
    data = {}
    for col, ours in _DRPALL_COLUMNS.items():
        values = np.asarray(hdu.data[names[col]])
        if col in _DRPALL_TEXT_COLUMNS:
            try:
                values = np.char.strip(values.astype(str))
            except UnicodeDecodeError:
                raise InputFileError(
                    path, f"column {names[col]} holds non-ASCII bytes, expected text"
                ) from None
        elif values.dtype.kind not in "iuf":
            kind = "text" if values.dtype.kind in "SU" else values.dtype.name
            raise InputFileError(path, f"column {names[col]} holds {kind}, expected numbers")
        elif values.ndim != 1:
            raise InputFileError(
                path, f"column {names[col]} holds {values.shape[1:]} arrays, expected one number"
            )
        else:
            values = values.astype(np.float64)
        data[ours] = values
    df = pd.DataFrame(data)
    for col in ("re_arcsec", "ba", "z"):
        df.loc[~(df[col] > 0), col] = np.nan
    df.loc[df["ba"] > 1, "ba"] = np.nan
    _drop_impossible_positions(df)
    return df


def _drop_impossible_positions(df: pd.DataFrame) -> None:
    """Set ``ra``/``dec`` to NaN where no sky position has them (|dec| > 90, ra outside 0-360).

    Such a row matches nothing; for a MaNGA galaxy ingest then says its position is unusable.
    """
    ra, dec = df["ra"].to_numpy(), df["dec"].to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ~((ra >= 0) & (ra <= 360) & (dec >= -90) & (dec <= 90))
    df.loc[bad, ["ra", "dec"]] = np.nan


def read_drpall(path: str | PathLike[str]) -> pd.DataFrame:
    """Read the galaxy geometry and redshift from a drpall file.

    Parameters
    ----------
    path : str or path-like
        ``drpall-v3_1_1.fits`` or a file with the same columns.

    Returns
    -------
    pandas.DataFrame
        One row per plate-ifu, indexed by ``plateifu``, with columns
        ``mangaid``, ``ra``, ``dec`` (deg, ``objra``/``objdec``), ``z``
        (``nsa_z``), ``re_arcsec`` (``nsa_elpetro_th50_r``), ``ba``
        (``nsa_elpetro_ba``) and ``pa_deg`` (``nsa_elpetro_phi``). Missing
        values (NSA uses -9999 and negative sizes) are NaN.

    Raises
    ------
    InputFileError
        If the file is unreadable, has no table, lacks a needed column, holds
        something other than numbers in a numeric column, or lists a plate-ifu
        twice (:func:`read_drpall_rows` reads such a file).
    """
    path = Path(path)
    df = read_drpall_rows(path)
    dup = df["plateifu"][df["plateifu"].duplicated()].unique()
    if len(dup):
        raise InputFileError(path, f"plate-ifu listed more than once: {', '.join(dup[:5])}")
    return df.set_index("plateifu")


@names_the_file
def read_gswlc(path: str | PathLike[str]) -> pd.DataFrame:
    """Read a GSWLC-2X table (whitespace ASCII, 24 columns, -99 = missing).

    Parameters
    ----------
    path : str or path-like
        ``GSWLC-X2.dat`` (or any GSWLC-2 table with the same 24 columns).

    Returns
    -------
    pandas.DataFrame
        Columns named as :data:`GSWLC_COLUMNS`; ``-99`` replaced by NaN.
        ``log_mstar`` is log10(M*/Msun) for a Chabrier (2003) IMF.

    Raises
    ------
    InputFileError
        If the file is missing or empty, or a row does not have 24 columns.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "file not found")
    try:
        df = pd.read_csv(path, sep=r"\s+", header=None, comment="#", engine="c", dtype=np.float64)
    except pd.errors.EmptyDataError:
        raise InputFileError(path, "file is empty") from None
    except (ValueError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0]
        raise InputFileError(path, f"not a 24-column GSWLC table ({first})") from None
    if df.shape[1] != len(GSWLC_COLUMNS):
        raise InputFileError(path, f"has {df.shape[1]} columns, GSWLC-2X has 24")
    df.columns = list(GSWLC_COLUMNS)
    df = df.mask(df == -99.0)
    _drop_impossible_positions(df)
    for col in ("objid", "glxid"):
        df[col] = df[col].astype("Int64") if df[col].notna().all() else df[col]
    return df


@dataclass(frozen=True)
class CatalogMatch:
    """Result of matching MaNGA galaxies to GSWLC-2X.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by plate-ifu: ``gswlc_row`` (row number in the GSWLC table, -1
        if unmatched), ``sep_arcsec``, ``log_mstar_chabrier`` (NaN if
        unmatched or missing in GSWLC).
    unmatched : list of str
        Plate-ifus with no GSWLC source within the match radius.
    shared : dict of int to list of str
        GSWLC rows claimed by more than one plate-ifu (e.g. repeat MaNGA
        observations of one galaxy), with the plate-ifus that claim them.
    radius_arcsec : float
        The match radius used.
    """

    table: pd.DataFrame
    unmatched: list[str]
    shared: dict[int, list[str]]
    radius_arcsec: float


def match_gswlc(
    drpall: pd.DataFrame,
    gswlc: pd.DataFrame,
    *,
    radius_arcsec: float = DEFAULT_MATCH_RADIUS_ARCSEC,
) -> CatalogMatch:
    """Match each MaNGA galaxy to its nearest GSWLC-2X source on the sky.

    Parameters
    ----------
    drpall : pandas.DataFrame
        From :func:`read_drpall` (``ra``, ``dec`` in deg, plate-ifu index).
    gswlc : pandas.DataFrame
        From :func:`read_gswlc`.
    radius_arcsec : float, optional
        Largest accepted separation, arcsec (default
        :data:`DEFAULT_MATCH_RADIUS_ARCSEC`).

    Returns
    -------
    CatalogMatch
    """
    if not radius_arcsec > 0:
        raise ValueError(f"radius_arcsec must be positive, got {radius_arcsec}")
    table = pd.DataFrame(index=drpall.index.copy())
    table["gswlc_row"] = -1
    table["sep_arcsec"] = np.nan
    table["log_mstar_chabrier"] = np.nan
    good = np.isfinite(gswlc["ra"].to_numpy()) & np.isfinite(gswlc["dec"].to_numpy())
    rows = np.flatnonzero(good)
    ok = np.isfinite(drpall["ra"].to_numpy()) & np.isfinite(drpall["dec"].to_numpy())
    if rows.size and ok.any():
        cat = SkyCoord(gswlc["ra"].to_numpy()[rows] * u.deg, gswlc["dec"].to_numpy()[rows] * u.deg)
        targets = SkyCoord(
            drpall["ra"].to_numpy()[ok] * u.deg, drpall["dec"].to_numpy()[ok] * u.deg
        )
        idx, sep, _ = targets.match_to_catalog_sky(cat)
        sep_arcsec = sep.to_value(u.arcsec)
        hit = sep_arcsec <= radius_arcsec
        where = np.flatnonzero(ok)
        table.iloc[where[hit], table.columns.get_loc("gswlc_row")] = rows[idx[hit]]
        table.iloc[where, table.columns.get_loc("sep_arcsec")] = sep_arcsec
        table.iloc[where[hit], table.columns.get_loc("log_mstar_chabrier")] = gswlc[
            "log_mstar"
        ].to_numpy()[rows[idx[hit]]]
    unmatched = table.index[table["gswlc_row"] < 0].tolist()
    claimed = table.loc[table["gswlc_row"] >= 0, "gswlc_row"]
    shared = {
        int(row): sorted(group.index.tolist())
        for row, group in claimed.groupby(claimed)
        if len(group) > 1
    }
    return CatalogMatch(
        table=table, unmatched=unmatched, shared=shared, radius_arcsec=float(radius_arcsec)
    )
