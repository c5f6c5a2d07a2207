"""Load an ingested run: the selected spaxels of every galaxy, with their galaxy's values.

The first step of the analysis reads what ingest wrote (``RUN/spaxels/``,
``RUN/galaxies.parquet``) through a one-file cache of the selected spaxels
(``RUN/cache/selected_spaxels.parquet``) and adds the logarithmic columns the
models and correlations use.
"""

from __future__ import annotations

import hashlib
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .. import columns as C
from ..atomic import write_arrow_atomic
from ..calibration import CALIBRATORS
from ..config import OH_RANGES
from ..layout import RunLayout
from ..runcheck import verify_run_tables

__all__ = ["LOG_COLUMNS", "SPAXEL_COLUMNS", "load_selected_spaxels"]

#: Spaxel-table columns the analysis reads, besides every calibrator's O/H and error.
SPAXEL_COLUMNS: tuple[str, ...] = (
    "plateifu", "r_re", "ew_ha", "a_v", "sigma_sfr", "sigma_star", "ssfr_local",
    "d4000", "log_age_lw", "av_over_sigma_star", "sigma_sfr_over_av",
)  # fmt: skip
#: Logarithmic analysis columns -> the linear spaxel-table column they are made from.
LOG_COLUMNS: dict[str, str] = {
    C.LOG_SIGMA_STAR: "sigma_star",
    C.LOG_SIGMA_SFR: "sigma_sfr",
    C.LOG_SSFR: "ssfr_local",
    C.LOG_EW_HA: "ew_ha",
    "log_av_over_sigma_star": "av_over_sigma_star",
    "log_sigma_sfr_over_av": "sigma_sfr_over_av",
}
#: Spaxel-table columns read when the tables have them (learn, issue #16: runs ingested
#: before ``v_esc`` existed get NaN).
OPTIONAL_COLUMNS: tuple[str, ...] = ("v_esc",)
#: Galaxy values (``galaxies.parquet``) repeated on each spaxel.
GALAXY_COLUMNS: tuple[str, ...] = (C.LOG_MSTAR, C.LOG_RE, C.BA)


def _columns_to_read(schema: pa.Schema) -> list[str]:
    """:data:`SPAXEL_COLUMNS` and the O/H columns of every calibrator the tables hold."""
    names = set(schema.names)
    oh = [c for cal in CALIBRATORS.values() for c in (cal.oh_column, cal.err_column)]
    optional = [c for c in OPTIONAL_COLUMNS if c in names]
    return [*SPAXEL_COLUMNS, *optional, *(c for c in oh if c in names)]


def calibrators_in_run(layout: RunLayout) -> list[str]:
    """Keys of the calibrators whose metallicities the run's spaxel tables hold.

    Raises
    ------
    FileNotFoundError
        If the folder is not an ingested run.
    """
    if not layout.galaxies.is_file() or not layout.spaxel_dir.is_dir():
        raise FileNotFoundError(f"{layout.root}: not an ingested run (run `metgrad ingest` first)")
    first = next(iter(sorted(layout.spaxel_dir.glob("*.parquet"))), None)
    if first is None:
        return []
    names = set(pq.read_schema(first).names)
    return [k for k, c in CALIBRATORS.items() if c.oh_column in names]


def _log10(values: np.ndarray) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    good = np.isfinite(values) & (values > 0)
    out[good] = np.log10(values[good])
    return out


def load_selected_spaxels(
    run_dir: str | PathLike[str], *, calibrators=None, oh_range: str = "m13"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The selected spaxels of every ingested galaxy, with galaxy values and log columns.

    Parameters
    ----------
    run_dir : str or path-like
        A folder written by ``metgrad ingest`` (``spaxels/``, ``galaxies.parquet``).
    calibrators : iterable of str, optional
        Keys of the calibrators whose O/H and error columns to read (default: every
        one the tables hold). Reading only those analysed keeps the memory down.
    oh_range : {'m13', 'own'}, optional
        ``'m13'`` (the paper): the spaxels ingest selected, M13 range cut included.
        ``'own'``: also the spaxels whose only failed cut is the M13 range
        (``reject_reason == 'oh_m13'``, the last cut of :data:`metgrad.spaxels.CUTS`),
        so that each calibrator's own validity range can decide (NaN outside it).

    Returns
    -------
    spaxels : pandas.DataFrame
        Rows with ``selected`` True, the columns of :data:`SPAXEL_COLUMNS`, the
        galaxy's ``log_mstar``, ``log_re`` (log10 R_e/kpc) and ``ba``, and
        ``log_sigma_star``, ``log_sigma_sfr``, ``log_ssfr``, ``log_ew_ha``,
        ``log_av_over_sigma_star``, ``log_sigma_sfr_over_av`` (log10 of the
        linear columns, NaN where not positive) and ``log_phi_star`` (log10 of
        M*/R_e, Msun/kpc). Sorted by plate-ifu.
    galaxies : pandas.DataFrame
        ``galaxies.parquet`` indexed by plate-ifu, with ``log_re`` and
        ``log_phi_star`` (log10 M*/R_e) added.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``galaxies.parquet`` or ``spaxels/``.
    """
    if oh_range not in OH_RANGES:
        raise ValueError(f"oh_range = {oh_range!r}; choose from {', '.join(OH_RANGES)}")
    run_dir = Path(run_dir)
    layout = RunLayout(run_dir)
    gal_path = layout.galaxies
    if not gal_path.is_file() or not layout.spaxel_dir.is_dir():
        raise FileNotFoundError(f"{run_dir}: not an ingested run (run `metgrad ingest` first)")
    galaxies = pd.read_parquet(gal_path)
    if galaxies.empty:
        raise ValueError(f"{run_dir}: no galaxy was ingested")
    galaxies = galaxies.set_index("plateifu").sort_index()
    galaxies[C.LOG_RE] = _log10(galaxies["re_kpc"].to_numpy(dtype=float))
    galaxies[C.LOG_PHI_STAR] = galaxies[C.LOG_MSTAR] - galaxies[C.LOG_RE]
    files = [layout.spaxel_table(p) for p in galaxies.index]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"{run_dir}: spaxel tables missing for {', '.join(missing[:5])}")
    spaxels = _selected_table(layout, files, calibrators, oh_range=oh_range).to_pandas()
    if not spaxels["plateifu"].is_monotonic_increasing:  # files are read in plate-ifu order
        spaxels = spaxels.sort_values("plateifu", kind="stable")
    spaxels = spaxels.reset_index(drop=True)
    # plain Python strings, one object per galaxy shared by its spaxels: the analysis takes
    # this column as a NumPy array many times (converting Arrow-backed strings costs ~0.1 s
    # per million spaxels each time), and a string per spaxel would take ~60 bytes each
    codes, names = pd.factorize(spaxels["plateifu"])
    spaxels["plateifu"] = pd.Series(
        np.asarray(names, dtype=object)[codes], dtype=object, index=spaxels.index
    )
    # Arrow keeps the buffers of the file it decompressed for reuse; give them back now
    # rather than carry them through the analysis (about 2 bytes for every byte of table)
    pa.default_memory_pool().release_unused()
    for col in GALAXY_COLUMNS:
        spaxels[col] = galaxies[col].reindex(spaxels["plateifu"]).to_numpy(dtype=float)
    # learn (issue #16): the potential proxy Phi* = M*/R_e, log10(Msun/kpc), and v_esc
    spaxels[C.LOG_PHI_STAR] = spaxels[C.LOG_MSTAR] - spaxels[C.LOG_RE]
    for col in OPTIONAL_COLUMNS:
        if col not in spaxels.columns:
            spaxels[col] = np.nan
    for name, col in LOG_COLUMNS.items():
        spaxels[name] = _log10(spaxels[col].to_numpy(dtype=float))
    return spaxels, galaxies


_SIGNATURE_KEY = b"metgrad.selected_signature"


def _signature(files: list[Path], columns: list[str], rows: str) -> str:
    """The columns and rows read, and the names, sizes and modification times of the
    tables, hashed."""
    digest = hashlib.sha256((",".join(columns) + "|" + rows).encode())
    for f in files:
        st = f.stat()
        digest.update(f"{f.name}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _rows_filter(oh_range: str) -> tuple[str, ds.Expression]:
    """Name and filter of the rows read: selected, or failing only the M13 range cut."""
    if oh_range == "own":
        return "selected-or-m13-range", ds.field("selected") | (
            ds.field("reject_reason") == "oh_m13"
        )
    return "selected", ds.field("selected")


def _selected_table(
    layout: RunLayout, files: list[Path], calibrators, *, oh_range: str
) -> pa.Table:
    """Selected rows and analysis columns of the spaxel tables, through a one-file cache.

    Reading thousands of small Parquet files costs about 1.5 ms each; an
    astronomer re-running the analysis with another cut should not pay it
    every time. The first call writes ``RUN/cache/selected_spaxels.parquet``
    (atomically, with a hash of the tables' names, sizes and modification
    times); later calls read that one file while the hash still matches, and
    rebuild it when any galaxy was re-ingested, added or removed. A run folder
    that cannot be written to is simply read without the cache. Before the tables
    are read, :func:`metgrad.runcheck.verify_run_tables` checks each against the
    checksum, row count and configuration that ingest recorded. The cache holds
    every calibrator; only the columns of ``calibrators`` are returned. With
    ``oh_range='own'`` the rows are those of :func:`_rows_filter` (the hash says
    which, so switching rebuilds the cache).
    """
    columns = _columns_to_read(pq.read_schema(files[0]))  # one table per galaxy, at least one
    wanted = columns
    if calibrators is not None:
        keep = {c for k in calibrators for c in (CALIBRATORS[k].oh_column,
                                                  CALIBRATORS[k].err_column)}  # fmt: skip
        wanted = [c for c in columns if c in SPAXEL_COLUMNS or c in OPTIONAL_COLUMNS or c in keep]
    rows, row_filter = _rows_filter(oh_range)
    signature = _signature(files, columns, rows)
    cache = layout.selected_cache
    if cache.is_file():
        try:
            schema = pq.read_schema(cache)
            if (schema.metadata or {}).get(_SIGNATURE_KEY) == signature.encode():
                return pq.read_table(cache, columns=wanted)
        except (OSError, pa.ArrowException):
            pass  # unreadable cache: rebuild it
    # the tables are about to be read: each must be the one ingest recorded (checksum, rows,
    # one configuration), or a flipped byte or a half re-ingested run would pass silently
    verify_run_tables(layout.root)
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    table = dataset.to_table(columns=columns, filter=row_filter)
    table = table.replace_schema_metadata({_SIGNATURE_KEY: signature.encode()})
    try:
        cache.parent.mkdir(exist_ok=True)
        write_arrow_atomic(cache, table)
    except OSError:
        pass  # read-only run folder: no cache
    return table.select(wanted)
