"""Deterministic, atomic file writing for the synthetic survey.

The same seed must give byte-identical files, so gzip headers carry no time
stamp or file name, and nothing is written in place: every file is written to
a temporary name in its folder and renamed (``os.replace``).
"""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from astropy.io import fits

__all__ = ["fits_gz_bytes", "parquet_bytes", "write_atomic"]


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def fits_gz_bytes(hdus: fits.HDUList, *, level: int = 6) -> bytes:
    """Serialise an HDU list and gzip it with ``mtime=0`` and no file name."""
    raw = io.BytesIO()
    hdus.writeto(raw, output_verify="exception")
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=level) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def parquet_bytes(table: pa.Table) -> bytes:
    """Serialise an Arrow table to Parquet (zstd; no pandas metadata, no time stamps)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table.replace_schema_metadata(None), sink, compression="zstd")
    return sink.getvalue().to_pybytes()
