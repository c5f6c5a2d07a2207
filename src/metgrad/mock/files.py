"""Deterministic, atomic file writing for the synthetic survey.

The same seed must give byte-identical files, so gzip headers carry no time
stamp or file name, and nothing is written in place: every file is written to
a temporary name in its folder and renamed (``os.replace``).
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .fitswriter import ImageHdu, TableHdu, fits_chunks

__all__ = ["fits_gz_bytes", "gzip_bytes", "parquet_bytes", "write_atomic"]


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


def gzip_bytes(chunks, *, level: int = 1) -> bytes:
    """Gzip ``chunks`` (bytes, or an iterable of bytes-like objects) deterministically.

    zlib writes the gzip wrapper itself (``wbits=31``): modification time 0 and no
    file name, so the same input always gives the same bytes.
    """
    if isinstance(chunks, (bytes, bytearray, memoryview)):
        chunks = (chunks,)
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    out = [compressor.compress(chunk) for chunk in chunks]
    out.append(compressor.flush())
    return b"".join(out)


def fits_gz_bytes(hdus: list[ImageHdu | TableHdu], *, level: int = 1) -> bytes:
    """Serialise HDUs with :func:`metgrad.mock.fitswriter.fits_chunks` and gzip them."""
    return gzip_bytes(fits_chunks(hdus), level=level)


def parquet_bytes(table: pa.Table) -> bytes:
    """Serialise an Arrow table to Parquet (zstd; no pandas metadata, no time stamps).

    No dictionary encoding: the truth tables are mostly distinct floats, for which
    it costs two thirds of the writing time and makes the files larger.
    """
    sink = pa.BufferOutputStream()
    pq.write_table(
        table.replace_schema_metadata(None), sink, compression="zstd", use_dictionary=False
    )
    return sink.getvalue().to_pybytes()
