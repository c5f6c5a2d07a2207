"""Load an ingested run and build the analysis sample, counting every step.

The steps follow Boardman et al. (2022, §2.2-2.3, §3.3): spaxel cuts; galaxies
with b/a >= 0.6 and at least 20 selected spaxels; observed-gradient error
<= 0.1 dex/R_e; then, after the models are fitted, M* >= 10^8.9 and spaxels
that have base and SFH predictions, again with at least 20 per galaxy.
:class:`SampleSteps` records the spaxel and galaxy counts after each step
(the paper's 871346 -> 861134 spaxels and 2123 galaxies).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .io.atomic import write_arrow_atomic

__all__ = ["SPAXEL_COLUMNS", "SampleSteps", "galaxies_with_at_least", "load_selected_spaxels"]

#: Spaxel-table columns the analysis reads (plus the calibrators' O/H and errors).
SPAXEL_COLUMNS: tuple[str, ...] = (
    "plateifu", "r_re", "ew_ha", "a_v", "sigma_sfr", "sigma_star", "ssfr_local",
    "d4000", "log_age_lw", "av_over_sigma_star", "sigma_sfr_over_av",
    "oh_m13", "oh_m13_err", "oh_pg16", "oh_pg16_err",
)  # fmt: skip


def _log10(values: np.ndarray) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    good = np.isfinite(values) & (values > 0)
    out[good] = np.log10(values[good])
    return out


def load_selected_spaxels(run_dir: str | PathLike[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The selected spaxels of every ingested galaxy, with galaxy values and log columns.

    Parameters
    ----------
    run_dir : str or path-like
        A folder written by ``metgrad ingest`` (``spaxels/``, ``galaxies.parquet``).

    Returns
    -------
    spaxels : pandas.DataFrame
        Rows with ``selected`` True, the columns of :data:`SPAXEL_COLUMNS`, the
        galaxy's ``log_mstar``, ``log_re`` (log10 R_e/kpc) and ``ba``, and
        ``log_sigma_star``, ``log_sigma_sfr``, ``log_ssfr``, ``log_ew_ha``,
        ``log_av_over_sigma_star``, ``log_sigma_sfr_over_av`` (log10 of the
        linear columns, NaN where not positive). Sorted by plate-ifu.
    galaxies : pandas.DataFrame
        ``galaxies.parquet`` indexed by plate-ifu, with ``log_re`` added.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``galaxies.parquet`` or ``spaxels/``.
    """
    run_dir = Path(run_dir)
    gal_path = run_dir / "galaxies.parquet"
    spx_dir = run_dir / "spaxels"
    if not gal_path.is_file() or not spx_dir.is_dir():
        raise FileNotFoundError(f"{run_dir}: not an ingested run (run `metgrad ingest` first)")
    galaxies = pd.read_parquet(gal_path)
    if galaxies.empty:
        raise ValueError(f"{run_dir}: no galaxy was ingested")
    galaxies = galaxies.set_index("plateifu").sort_index()
    galaxies["log_re"] = _log10(galaxies["re_kpc"].to_numpy(dtype=float))
    files = [spx_dir / f"{p}.parquet" for p in galaxies.index]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"{run_dir}: spaxel tables missing for {', '.join(missing[:5])}")
    spaxels = _selected_table(run_dir, files).to_pandas()
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
    for col in ("log_mstar", "log_re", "ba"):
        spaxels[col] = galaxies[col].reindex(spaxels["plateifu"]).to_numpy(dtype=float)
    for name, col in (
        ("log_sigma_star", "sigma_star"), ("log_sigma_sfr", "sigma_sfr"),
        ("log_ssfr", "ssfr_local"), ("log_ew_ha", "ew_ha"),
        ("log_av_over_sigma_star", "av_over_sigma_star"),
        ("log_sigma_sfr_over_av", "sigma_sfr_over_av"),
    ):  # fmt: skip
        spaxels[name] = _log10(spaxels[col].to_numpy(dtype=float))
    return spaxels, galaxies


#: The selected spaxels of every galaxy in one file, rebuilt when a galaxy's table changes.
SELECTED_CACHE = Path("cache") / "selected_spaxels.parquet"
_SIGNATURE_KEY = b"metgrad.selected_signature"


def _signature(files: list[Path]) -> str:
    """The columns read, and the names, sizes and modification times of the tables, hashed."""
    digest = hashlib.sha256(",".join(SPAXEL_COLUMNS).encode())
    for f in files:
        st = f.stat()
        digest.update(f"{f.name}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _selected_table(run_dir: Path, files: list[Path]) -> pa.Table:
    """Selected rows and analysis columns of the spaxel tables, through a one-file cache.

    Reading thousands of small Parquet files costs about 1.5 ms each; an
    astronomer re-running the analysis with another cut should not pay it
    every time. The first call writes ``RUN/cache/selected_spaxels.parquet``
    (atomically, with a hash of the tables' names, sizes and modification
    times); later calls read that one file while the hash still matches, and
    rebuild it when any galaxy was re-ingested, added or removed. A run folder
    that cannot be written to is simply read without the cache.
    """
    signature = _signature(files)
    cache = run_dir / SELECTED_CACHE
    if cache.is_file():
        try:
            schema = pq.read_schema(cache)
            if (schema.metadata or {}).get(_SIGNATURE_KEY) == signature.encode():
                return pq.read_table(cache)
        except (OSError, pa.ArrowException):
            pass  # unreadable cache: rebuild it
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    table = dataset.to_table(columns=list(SPAXEL_COLUMNS), filter=ds.field("selected"))
    table = table.replace_schema_metadata({_SIGNATURE_KEY: signature.encode()})
    try:
        cache.parent.mkdir(exist_ok=True)
        write_arrow_atomic(cache, table)
    except OSError:
        pass  # read-only run folder: no cache
    return table


@dataclass
class SampleSteps:
    """Counts of spaxels and galaxies after each selection step, in order."""

    rows: list[dict[str, object]] = field(default_factory=list)

    def add(self, step: str, description: str, plateifu: pd.Series | np.ndarray) -> None:
        """Record a step from the plate-ifu of every spaxel that survives it."""
        values = np.asarray(plateifu)
        self.rows.append(
            {
                "step": step,
                "description": description,
                "n_spaxels": int(values.size),
                "n_galaxies": int(pd.unique(values).size),
            }
        )

    def table(self) -> pd.DataFrame:
        """The steps as a table (``step``, ``description``, ``n_spaxels``, ``n_galaxies``)."""
        return pd.DataFrame(self.rows, columns=["step", "description", "n_spaxels", "n_galaxies"])


def galaxies_with_at_least(plateifu, n: int) -> np.ndarray:
    """Boolean per spaxel: its galaxy has at least ``n`` spaxels in ``plateifu``.

    Parameters
    ----------
    plateifu : array_like of str, shape (n_spaxels,)
        Galaxy of each spaxel (any order).
    n : int
        Minimum number of spaxels.
    """
    if not isinstance(plateifu, pd.Series | pd.Index):
        plateifu = np.asarray(plateifu, dtype=object)
    codes, _ = pd.factorize(plateifu)
    return np.bincount(codes, minlength=1)[codes] >= n
