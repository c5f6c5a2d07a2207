"""Write files atomically: to a temporary name in the same folder, then rename.

A reader (or a resumed run) therefore sees either the complete old file, the
complete new file, or none, never a half-written one, even if the process is
killed mid-write.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
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
    "sync_files",
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
def atomic_path(path: str | PathLike[str], *, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    The temporary file is removed if the block raises.

    Parameters
    ----------
    path : str or path-like
        The file to (re)place.
    durable : bool, optional
        Flush the file to disk (``fsync``) before the rename, so that it survives a
        crash of the operating system too. With False, the caller flushes later
        (:func:`sync_files`): the rename alone already guarantees that a killed
        process leaves the old file or the new one, never a part.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if durable:
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual mode
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _write_with(path, writer: Callable[[Path], None], *, durable: bool = True) -> Path:
    with atomic_path(path, durable=durable) as tmp:
        writer(tmp)
    return Path(path)


def sync_files(paths: Iterable[str | PathLike[str]]) -> int:
    """Flush files (and the folders holding them) to disk; return how many files.

    Files written with ``durable=False`` are flushed here in one pass, after the
    operating system has had time to write most of them back, where an ``fsync``
    costs little: a run makes its records durable before it writes the summary
    that lists them. Files that no longer exist are skipped.
    """
    n = 0
    folders = set()
    for path in paths:
        path = Path(path)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        folders.add(path.parent)
        n += 1
    for folder in folders:  # the renames live in the folder
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:  # a platform without directory handles
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)
    return n


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
    bytes (no timestamps are written). Written as :func:`write_arrow_atomic`
    writes ``pyarrow.Table.from_pandas(frame)``.

    Parameters
    ----------
    path : str or path-like
        Destination ``.parquet`` file.
    frame : pandas.DataFrame
        The table (its index is not written).
    metadata : dict of str to str, optional
        Added to the Parquet schema metadata (e.g. configuration and versions).
    """
    return write_arrow_atomic(
        path, pa.Table.from_pandas(frame, preserve_index=False), metadata=metadata
    )


def write_arrow_atomic(
    path: str | PathLike[str],
    table: pa.Table,
    *,
    metadata: dict[str, str] | None = None,
    compression: str = "zstd",
    durable: bool = True,
    page_checksums: bool = False,
) -> Path:
    """Atomically write an Arrow table as Parquet, with extra key-value metadata.

    Parameters
    ----------
    path : str or path-like
        Destination ``.parquet`` file.
    table : pyarrow.Table
        The table; its schema metadata is kept.
    metadata : dict of str to str, optional
        Added to the schema metadata.
    compression : str, optional
        Parquet codec (any that :func:`pyarrow.parquet.write_table` takes). zstd
        gives the smallest files; the spaxel tables of ``ingest`` use lz4, which
        writes and reads them faster for about 12% more space.
    durable : bool, optional
        As for :func:`atomic_path`.
    page_checksums : bool, optional
        Write a CRC-32 of every data page, so that a reader can verify them
        (``pyarrow.parquet.read_table(..., page_checksum_verification=True)``).

    Notes
    -----
    Only columns that are not floating point are dictionary-encoded: measured
    values are nearly all distinct, so a dictionary of them costs time and space
    (on the synthetic survey's spaxel tables, dictionary-encoding every column
    took 40% longer to write and gave 18% larger files;
    ``benchmarks/bench_ingest.py``).
    """
    if metadata:
        merged = dict(table.schema.metadata or {})
        merged.update({k.encode(): v.encode() for k, v in metadata.items()})
        table = table.replace_schema_metadata(merged)
    dictionary = [f.name for f in table.schema if not pa.types.is_floating(f.type)]

    def write(tmp: Path) -> None:
        pq.write_table(
            table,
            tmp,
            compression=compression,
            use_dictionary=dictionary,
            write_page_checksum=page_checksums,
        )

    return _write_with(path, write, durable=durable)


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
