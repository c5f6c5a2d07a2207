"""write_parquet_atomic: the table round-trips, and only non-float columns get a dictionary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from metgrad.atomic import TMP_MARK, write_parquet_atomic

#: Parquet encodings that mean "dictionary-encoded" (format spec, Encodings.md).
DICTIONARY = {"PLAIN_DICTIONARY", "RLE_DICTIONARY"}


def _frame(n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    return pd.DataFrame(
        {
            "plateifu": np.full(n, "8440-12701", dtype=object),
            "x": rng.integers(0, 74, n).astype(np.int16),
            "flux": rng.normal(size=n),  # float64, all distinct
            "ok": rng.random(n) > 0.5,
            "reject_reason": np.where(rng.random(n) > 0.5, "snr", ""),
        }
    )


def test_round_trip_metadata_and_no_temporary(tmp_path):
    frame = _frame()
    path = write_parquet_atomic(tmp_path / "t.parquet", frame, metadata={"metgrad.k": "v"})
    back = pq.read_table(path)
    assert back.schema.metadata[b"metgrad.k"] == b"v"
    pd.testing.assert_frame_equal(back.to_pandas(), frame, check_dtype=False)
    np.testing.assert_array_equal(back["flux"].to_numpy(), frame["flux"].to_numpy())  # exact
    assert back["x"].type == "int16"
    assert [p.name for p in tmp_path.iterdir() if TMP_MARK in p.name] == []


def test_floats_are_not_dictionary_encoded(tmp_path):
    path = write_parquet_atomic(tmp_path / "t.parquet", _frame())
    meta = pq.ParquetFile(path).metadata
    encodings = {}
    for i in range(meta.num_columns):
        column = meta.row_group(0).column(i)
        encodings[column.path_in_schema] = set(column.encodings)
        assert column.compression == "ZSTD"
    assert not encodings["flux"] & DICTIONARY
    for name in ("plateifu", "x", "reject_reason"):  # (Parquet never dictionary-encodes bools)
        assert encodings[name] & DICTIONARY, name


def test_same_frame_same_bytes(tmp_path):
    first = write_parquet_atomic(tmp_path / "a.parquet", _frame()).read_bytes()
    assert write_parquet_atomic(tmp_path / "b.parquet", _frame()).read_bytes() == first


def test_arrow_writer_codec_and_deferred_flush(tmp_path, monkeypatch):
    import os

    import pyarrow as pa

    from metgrad.atomic import sync_files, write_arrow_atomic

    flushed = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: flushed.append(fd) or real_fsync(fd))
    table = pa.Table.from_pandas(_frame(), preserve_index=False)
    path = write_arrow_atomic(tmp_path / "t.parquet", table, compression="lz4", durable=False)
    assert flushed == []  # not flushed by the write...
    meta = pq.ParquetFile(path).metadata
    assert {meta.row_group(0).column(i).compression for i in range(meta.num_columns)} == {"LZ4"}
    assert pq.read_table(path).equals(table)
    assert [p.name for p in tmp_path.iterdir() if TMP_MARK in p.name] == []
    # ...but by sync_files: the file, then its folder; a file gone since is skipped
    assert sync_files([path, tmp_path / "gone.parquet"]) == 1
    assert len(flushed) == 2
    write_arrow_atomic(tmp_path / "u.parquet", table)  # durable by default
    assert len(flushed) == 3
