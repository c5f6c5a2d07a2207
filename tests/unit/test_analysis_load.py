"""Loading an ingested run (analysis/load.py) on the synthetic run written to disk: the table
it returns, the cache, the own-range rows, and the one-line errors naming the folder."""

import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from analysis_synthetic import GALAXY_COLUMNS, LOG_COLUMNS, build, write_run_folder
from analysis_synthetic import SPAXEL_COLUMNS as SYNTHETIC_SPAXEL_COLUMNS

from metgrad.analysis import load
from metgrad.analysis.load import calibrators_in_run, load_selected_spaxels
from metgrad.layout import RunLayout


@pytest.fixture(scope="module")
def small():
    return build(10, seed=3)


@pytest.fixture
def folder(tmp_path, small):
    return write_run_folder(tmp_path / "run", small)


def sorted_columns(frame):
    return frame[sorted(frame.columns)]


def test_the_loader_reads_the_columns_the_synthetic_run_holds():
    assert load.SPAXEL_COLUMNS == SYNTHETIC_SPAXEL_COLUMNS
    assert load.LOG_COLUMNS == LOG_COLUMNS
    assert load.GALAXY_COLUMNS == GALAXY_COLUMNS


def test_loaded_table_is_the_synthetic_one(folder, small):
    spaxels, galaxies = load_selected_spaxels(folder)
    # every selected spaxel (the rejected rows of the files are not), in plate-ifu order,
    # with its galaxy's values and the log10 columns
    pd.testing.assert_frame_equal(
        sorted_columns(spaxels), sorted_columns(small.spaxels), check_dtype=False
    )
    assert spaxels["plateifu"].dtype == object
    assert spaxels["log_phi_star"].dtype == np.float64
    expected = small.galaxies
    assert list(galaxies.index) == sorted(expected.index) and galaxies.index.name == "plateifu"
    assert np.allclose(galaxies["log_re"], np.log10(expected["re_kpc"]))
    assert np.allclose(
        galaxies["log_phi_star"], expected["log_mstar"] - np.log10(expected["re_kpc"])
    )


def test_a_subset_of_calibrators_and_the_cache_holding_all(folder):
    only, _ = load_selected_spaxels(folder, calibrators=["m13"])
    assert {"oh_m13", "oh_m13_err", "v_esc", "r_re"} <= set(only.columns)
    assert not {"oh_pg16", "oh_pg16_err"} & set(only.columns)
    cache = RunLayout(folder).selected_cache
    stamp = cache.stat().st_mtime_ns
    both, _ = load_selected_spaxels(folder)  # the cache holds every calibrator: not rebuilt
    assert {"oh_pg16", "oh_pg16_err"} <= set(both.columns)
    assert cache.stat().st_mtime_ns == stamp
    pd.testing.assert_frame_equal(only, both[only.columns])
    pg16, _ = load_selected_spaxels(folder, calibrators=("pg16",))
    assert "oh_m13" not in pg16.columns and "oh_pg16_err" in pg16.columns
    assert calibrators_in_run(RunLayout(folder)) == ["m13", "m13_n2", "pg16"]


def test_own_ranges_add_the_spaxels_failing_only_the_m13_range(folder, small):
    m13, _ = load_selected_spaxels(folder)
    own, _ = load_selected_spaxels(folder, oh_range="own")
    extra = small.unselected[small.unselected["reject_reason"] == "oh_m13"]
    assert len(own) == len(m13) + len(extra)
    assert (own["oh_m13"] == 8.9).sum() == len(extra)  # the rows made outside the range
    assert own["plateifu"].is_monotonic_increasing
    # and back: the cache says which rows it holds
    again, _ = load_selected_spaxels(folder)
    pd.testing.assert_frame_equal(again, m13)
    with pytest.raises(ValueError, match=r"^oh_range = 'wide'; choose from m13, own$"):
        load_selected_spaxels(folder, oh_range="wide")


def test_log10_is_nan_where_not_positive_or_not_finite():
    out = load._log10(np.array([100.0, 0.0, -1.0, np.nan, np.inf, 1e-3]))
    assert np.array_equal(out, [2.0, np.nan, np.nan, np.nan, np.nan, -3.0], equal_nan=True)


def test_a_run_without_optional_columns_gets_nan(tmp_path, small):
    spaxels = small.spaxels.drop(columns="v_esc")
    run = type(small)(spaxels, small.galaxies, small.truth, small.unselected.drop(columns="v_esc"))
    folder = write_run_folder(tmp_path / "old", run, calibrators=("m13",), optional=())
    loaded, _ = load_selected_spaxels(folder)
    assert loaded["v_esc"].isna().all() and loaded["v_esc"].dtype == np.float64
    assert "oh_pg16" not in loaded.columns
    assert calibrators_in_run(RunLayout(folder)) == ["m13"]


def test_not_an_ingested_run(tmp_path, folder):
    message = r"not an ingested run \(run `metgrad ingest` first\)$"
    with pytest.raises(FileNotFoundError, match=rf"^{tmp_path}: {message}"):
        load_selected_spaxels(tmp_path)
    with pytest.raises(FileNotFoundError, match=rf"^{tmp_path}: {message}"):
        calibrators_in_run(RunLayout(tmp_path))
    shutil.rmtree(folder / "spaxels")
    with pytest.raises(FileNotFoundError, match=rf"^{folder}: {message}"):
        load_selected_spaxels(folder)
    with pytest.raises(FileNotFoundError, match=rf"^{folder}: {message}"):
        calibrators_in_run(RunLayout(folder))
    (folder / "spaxels").mkdir()
    assert calibrators_in_run(RunLayout(folder)) == []


def test_missing_tables_are_named_five_at_most(folder, small):
    names = sorted(small.galaxies.index)
    for name in names[:6]:
        (folder / "spaxels" / f"{name}.parquet").unlink()
    listed = ", ".join(f"{n}.parquet" for n in names[:5])
    with pytest.raises(
        FileNotFoundError, match=rf"^{folder}: spaxel tables missing for {listed}$"
    ):
        load_selected_spaxels(folder)


def test_a_run_with_no_galaxy_is_refused(tmp_path, folder):
    galaxies = pd.read_parquet(folder / "galaxies.parquet").iloc[:0]
    galaxies.to_parquet(folder / "galaxies.parquet")
    with pytest.raises(ValueError, match=rf"^{folder}: no galaxy was ingested$"):
        load_selected_spaxels(folder)


def test_a_valid_cache_is_read_without_the_tables(folder):
    first, _ = load_selected_spaxels(folder)
    # the cache answers while the tables' names, sizes and times are unchanged: a table
    # changed in place with its stamp restored is not read (nor checked) again
    path = next((folder / "spaxels").glob("*.parquet"))
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    import os

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second, _ = load_selected_spaxels(folder)
    pd.testing.assert_frame_equal(first, second)
    # a newer stamp: the table is checked against its recorded checksum, and refused
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(ValueError, match=rf"{path.name}: changed since ingest"):
        load_selected_spaxels(folder)


def test_the_cache_holds_the_analysis_columns_of_every_calibrator(folder):
    load_selected_spaxels(folder, calibrators=["pg16"])
    names = pq.read_schema(RunLayout(folder).selected_cache).names
    oh = ["oh_m13", "oh_m13_err", "oh_m13_n2", "oh_m13_n2_err", "oh_pg16", "oh_pg16_err"]
    assert names == [*SYNTHETIC_SPAXEL_COLUMNS, "v_esc", *oh]  # not 'selected' nor the reason


def test_rows_come_back_sorted_by_galaxy_whatever_order_they_are_read_in(folder, monkeypatch):
    # 30 rows of two galaxies interleaved, each galaxy's rows numbered in reading order
    names = np.where(np.arange(30) % 3 == 0, "8000-2", "8000-1")
    table = pa.table({c: np.arange(30.0) + 1 for c in SYNTHETIC_SPAXEL_COLUMNS[1:]})
    table = table.add_column(0, "plateifu", pa.array(names))
    monkeypatch.setattr(load, "_selected_table", lambda *a, **k: table)
    spaxels, _ = load_selected_spaxels(folder)
    assert spaxels["plateifu"].tolist() == ["8000-1"] * 20 + ["8000-2"] * 10
    order = spaxels["r_re"].to_numpy()  # within each galaxy, the reading order is kept
    assert np.all(np.diff(order[:20]) > 0) and np.all(np.diff(order[20:]) > 0)
    assert list(spaxels.index) == list(range(30))
