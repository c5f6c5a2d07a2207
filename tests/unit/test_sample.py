"""Loading an ingested run: selected spaxels, the one-file cache, spaxel counts per galaxy."""

import os

import numpy as np
import pandas as pd

from metgrad.analysis.load import SPAXEL_COLUMNS, load_selected_spaxels
from metgrad.analysis.sample import galaxies_with_at_least
from metgrad.layout import RunLayout

SELECTED_CACHE = RunLayout(".").selected_cache


def write_run(folder, sizes, seed=0):
    """A minimal ingested run: galaxies.parquet and one spaxel table per galaxy."""
    rng = np.random.default_rng(seed)
    (folder / "spaxels").mkdir(parents=True)
    for name in sorted(sizes):
        write_galaxy(folder, name, sizes[name], rng)


def record(folder):
    """galaxies.parquet as ingest writes it: each table's checksum, rows, configuration."""
    import hashlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted((folder / "spaxels").glob("*.parquet"))
    frame = pd.DataFrame({
        "plateifu": [f.stem for f in files], "re_kpc": 3.0, "log_mstar": 10.0, "ba": 0.8,
        "config_hash": "c0ffee",
        "spaxels_sha256": [hashlib.sha256(f.read_bytes()).hexdigest() for f in files],
        "spaxels_rows": [pq.ParquetFile(f).metadata.num_rows for f in files],
    })  # fmt: skip
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({b"metgrad.config_hash": b"c0ffee"})
    pq.write_table(table, folder / "galaxies.parquet")


def write_galaxy(folder, name, n, rng):
    table = {c: rng.uniform(0.5, 2.0, n) for c in SPAXEL_COLUMNS if c != "plateifu"}
    table["plateifu"] = [name] * n
    table["selected"] = np.arange(n) % 2 == 0  # every other spaxel selected
    pd.DataFrame(table).to_parquet(folder / "spaxels" / f"{name}.parquet")
    record(folder)


def test_selected_rows_sorted_by_galaxy_and_cached(tmp_path):
    write_run(tmp_path, {"8000-2": 5, "8000-1": 4})
    spaxels, galaxies = load_selected_spaxels(tmp_path)
    # selected: ceil(4 / 2) = 2 of 8000-1, ceil(5 / 2) = 3 of 8000-2, in plate-ifu order
    assert spaxels["plateifu"].tolist() == ["8000-1"] * 2 + ["8000-2"] * 3
    assert spaxels["plateifu"].dtype == object
    # one string object per galaxy, shared by its spaxels (memory at the survey's scale)
    assert len({id(name) for name in spaxels["plateifu"].to_numpy()}) == 2
    assert (tmp_path / SELECTED_CACHE).is_file()
    # log columns from the galaxy table: log10(3 kpc)
    assert np.allclose(spaxels["log_re"], np.log10(3.0))
    again, _ = load_selected_spaxels(tmp_path)
    pd.testing.assert_frame_equal(spaxels, again)
    assert list(galaxies.index) == ["8000-1", "8000-2"]


def test_cache_rebuilt_when_a_galaxy_table_changes(tmp_path):
    write_run(tmp_path, {"8000-1": 4, "8000-2": 5})
    load_selected_spaxels(tmp_path)
    cache = tmp_path / SELECTED_CACHE
    stamp = cache.stat().st_mtime_ns
    write_galaxy(tmp_path, "8000-2", 9, np.random.default_rng(5))  # re-ingested: 5 selected
    os.utime(tmp_path / "spaxels" / "8000-2.parquet", ns=(stamp + 10**9, stamp + 10**9))
    second, _ = load_selected_spaxels(tmp_path)
    assert (second["plateifu"] == "8000-2").sum() == 5
    assert cache.stat().st_mtime_ns != stamp
    # a corrupt cache is rebuilt, not trusted
    cache.write_bytes(b"not parquet")
    third, _ = load_selected_spaxels(tmp_path)
    pd.testing.assert_frame_equal(second, third)


def test_a_table_changed_after_ingest_is_refused(tmp_path):
    import pytest

    write_run(tmp_path, {"8000-1": 4, "8000-2": 5})
    path = tmp_path / "spaxels" / "8000-2.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"8000-2.parquet: changed since ingest"):
        load_selected_spaxels(tmp_path)


def test_unwritable_run_is_read_without_cache(tmp_path, monkeypatch):
    # a run folder that cannot be written to (PermissionError on the cache write)
    import metgrad.analysis.load as sample_module

    def refuse(path, table):
        raise PermissionError(f"{path}: read-only file system")

    write_run(tmp_path, {"8000-1": 4})
    monkeypatch.setattr(sample_module, "write_arrow_atomic", refuse)
    spaxels, _ = load_selected_spaxels(tmp_path)
    assert len(spaxels) == 2 and not (tmp_path / SELECTED_CACHE).exists()


def test_galaxies_with_at_least_counts_each_galaxy():
    # a: 3 spaxels, b: 1, c: 2 (not contiguous)
    plateifu = ["a", "b", "a", "c", "a", "c"]
    assert galaxies_with_at_least(plateifu, 2).tolist() == [True, False, True, True, True, True]
    assert galaxies_with_at_least(pd.Series(plateifu, dtype=str), 3).tolist() == [
        True, False, True, False, True, False,
    ]  # fmt: skip
    assert galaxies_with_at_least([], 1).size == 0
