"""Deterministic gzip and atomic writes."""

import gzip

import numpy as np

from metgrad.mock.files import fits_gz_bytes, write_atomic
from metgrad.mock.fitswriter import ImageHdu


def test_fits_gz_has_no_time_stamp_or_name_and_round_trips():
    hdus = [ImageHdu(None), ImageHdu("X", np.arange(6, dtype=np.float32))]
    first = fits_gz_bytes(hdus)
    assert first == fits_gz_bytes(hdus)
    # gzip header: bytes 4-7 are MTIME (must be 0); FLG bit 3 (FNAME) must be clear
    assert first[4:8] == b"\x00\x00\x00\x00"
    assert not first[3] & 0x08
    raw = gzip.decompress(first)
    assert raw[:6] == b"SIMPLE"


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a" / "b.bin"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["b.bin"]
