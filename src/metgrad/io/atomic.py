"""Write files atomically: to a temporary name in the same folder, then rename.

A reader (or a resumed run) therefore sees either the complete old file, the
complete new file, or none, never a half-written one, even if the process is
killed mid-write.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "TMP_MARK",
    "atomic_path",
    "remove_stale_temporaries",
    "write_arrow_atomic",
    "write_bytes_atomic",
    "write_csv_atomic",
    "write_json_atomic",
    "write_parquet_atomic",
]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()

#: Substring of every temporary name, so stale ones can be recognised and removed.
TMP_MARK = ".metgrad-tmp-"


@contextmanager
def atomic_path(path: str | PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    The temporary file is removed if the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual mode
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _write_with(path, writer: Callable[[Path], None]) -> Path:
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def write_bytes_atomic(path: str | PathLike[str], data: bytes) -> Path:
    """Atomically write ``data`` to ``path``."""
    return _write_with(path, lambda tmp: tmp.write_bytes(data))


def write_json_atomic(path: str | PathLike[str], obj: Any) -> Path:
    """Atomically write ``obj`` as indented, key-sorted JSON (NaN written as null)."""

    def clean(value):
        if isinstance(value, float) and value != value:
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    text = json.dumps(clean(obj), indent=2, sort_keys=True, allow_nan=False) + "\n"
    return _write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_csv_atomic(path: str | PathLike[str], frame: pd.DataFrame, **kwargs) -> Path:
    """Atomically write a DataFrame as CSV (``index=False`` unless given)."""
    kwargs.setdefault("index", False)
    return _write_with(path, lambda tmp: frame.to_csv(tmp, **kwargs))


def write_parquet_atomic(
    path: str | PathLike[str],
    frame: pd.DataFrame,
    *,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Atomically write a DataFrame as Parquet, with extra key-value metadata.

    The output is deterministic: the same frame and metadata give the same
    bytes (no timestamps are written).

    Parameters
    ----------
    path : str or path-like
        Destination ``.parquet`` file.
    frame : pandas.DataFrame
        The table (its index is not written).
    metadata : dict of str to str, optional
        Added to the Parquet schema metadata (e.g. configuration and versions).

    Notes
    -----
    Columns are zstd-compressed. Only columns that are not floating point are
    dictionary-encoded: measured values are nearly all distinct, so a dictionary
    of them costs time and space (on the synthetic survey's spaxel tables,
    dictionary-encoding every column took 40% longer to write and gave 18% larger
    files; ``benchmarks/bench_ingest.py``).
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata:
        merged = dict(table.schema.metadata or {})
        merged.update({k.encode(): v.encode() for k, v in metadata.items()})
        table = table.replace_schema_metadata(merged)
    dictionary = [f.name for f in table.schema if not pa.types.is_floating(f.type)]

    def write(tmp: Path) -> None:
        pq.write_table(table, tmp, compression="zstd", use_dictionary=dictionary)

    return _write_with(path, write)


def write_arrow_atomic(path: str | PathLike[str], table: pa.Table) -> Path:
    """Atomically write an Arrow table as zstd-compressed Parquet (schema metadata kept)."""
    return _write_with(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def remove_stale_temporaries(folder: str | PathLike[str]) -> int:
    """Delete temporaries left in ``folder`` by an interrupted run; return how many."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    n = 0
    for tmp in folder.glob(f".*{TMP_MARK}*"):
        tmp.unlink(missing_ok=True)
        n += 1
    return n
