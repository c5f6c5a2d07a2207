"""gunzip (zlib-ng) against the standard library's gzip: same bytes, same error messages."""

from __future__ import annotations

import gzip
import zlib

import numpy as np
import pytest

from metgrad.io.errors import InputFileError
from metgrad.io.fitsfile import gunzip

RAW = np.random.default_rng(2).bytes(100_000) + b"SIMPLE  =" * 20_000
GZ = gzip.compress(RAW, compresslevel=6, mtime=0)


def _flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0xFF
    return bytes(out)


@pytest.mark.parametrize(
    "data",
    [GZ, GZ + GZ, GZ + b"\0" * 64, gzip.compress(b"", mtime=0)],
    ids=["one-member", "two-members", "zero-padding", "empty"],
)
def test_same_bytes_as_the_standard_library(data):
    assert gunzip(data, "x.fits.gz") == gzip.decompress(data)


BROKEN = {
    "cut-in-half": GZ[: len(GZ) // 2],
    "header-only": GZ[:10],
    "flipped-byte": _flip(GZ, len(GZ) // 2),
    "crc-flipped": _flip(GZ, len(GZ) - 6),
    "magic-then-garbage": b"\x1f\x8b" + np.random.default_rng(8).bytes(4000),
    "trailing-garbage": GZ + b"garbage",  # zlib-ng calls this truncated, gzip "not gzipped"
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_errors_are_the_standard_librarys(name):
    data = BROKEN[name]
    try:
        gzip.decompress(data)
    except EOFError:
        expected = "x.fits.gz: gzip stream is truncated"
    except (OSError, zlib.error) as exc:  # BadGzipFile, or zlib.error from inflate
        expected = f"x.fits.gz: corrupt gzip stream ({exc})"
    else:  # pragma: no cover - every case above is broken for the standard library
        pytest.fail(f"{name} decompressed")
    with pytest.raises(InputFileError) as info:
        gunzip(data, "x.fits.gz")
    assert str(info.value) == expected
