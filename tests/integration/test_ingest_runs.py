"""Ingest runs give the same tables whatever runs them and however often they are interrupted.

The reference is the session fixture's run: serial (``workers=1``, the
command's default), in this process, uninterrupted. Every other run must
reproduce its output tables byte for byte: ``galaxies.parquet``,
``failures.csv`` and each ``spaxels/PLATE-IFU.parquet``. ``manifest.json``
is not compared: it legitimately records timing, the executor and how many
galaxies were resumed (those fields are checked instead).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from metgrad.atomic import TMP_MARK
from metgrad.survey import DEFAULT_TIME_LIMIT_S, run_ingest

COMMAND_TIMEOUT_S = 120


def output_tables(run: Path) -> dict[str, bytes]:
    """The bytes of every output table of a run, by path relative to the run folder."""
    names = ["galaxies.parquet", "failures.csv"]
    names += [f"spaxels/{p.name}" for p in sorted((run / "spaxels").glob("*.parquet"))]
    return {name: (run / name).read_bytes() for name in names}


def assert_same_tables(run: Path, reference: Path) -> None:
    got, want = output_tables(run), output_tables(reference)
    assert sorted(got) == sorted(want)
    differ = [name for name in want if got[name] != want[name]]
    assert not differ, f"differ from the uninterrupted serial run: {differ}"


def temporaries(run: Path) -> list[Path]:
    return sorted(p for p in run.rglob(f"*{TMP_MARK}*"))


def finished_spaxel_files(run: Path) -> list[Path]:
    """Visible per-galaxy tables (temporaries are hidden dot-files)."""
    folder = run / "spaxels"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


def metgrad(*args: str) -> list[str]:
    return [sys.executable, "-m", "metgrad.cli", *args]


def manifest(run: Path) -> dict:
    return json.loads((run / "manifest.json").read_text())


def test_reference_run_is_complete(ingested_survey):
    run = ingested_survey.run
    tables = output_tables(run)
    assert len([n for n in tables if n.startswith("spaxels/")]) >= 5
    assert not temporaries(run)
    counts = manifest(run)["counts"]
    assert counts["galaxies_resumed"] == 0
    assert counts["galaxies_failed"] >= 2


def test_process_pool_gives_identical_tables(ingested_survey, tmp_path):
    out = tmp_path / "pool"
    run_ingest(ingested_survey.config_for(out), workers=2, progress=False)
    assert_same_tables(out, ingested_survey.run)
    executor = {"workers": 2, "scheduler": None, "time_limit_s": DEFAULT_TIME_LIMIT_S}
    assert manifest(out)["executor"] == executor


def test_dask_local_cluster_gives_identical_tables(ingested_survey, tmp_path):
    """``metgrad ingest --scheduler local --workers 2``: a 2-worker LocalCluster on loopback."""
    pytest.importorskip("dask.distributed")
    out = tmp_path / "dask"
    args = ("ingest", str(ingested_survey.toml), "--out", str(out), "--no-progress")
    done = subprocess.run(
        metgrad(*args, "--scheduler", "local", "--workers", "2"),
        capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_same_tables(out, ingested_survey.run)
    executor = {"workers": 2, "scheduler": "local", "time_limit_s": DEFAULT_TIME_LIMIT_S}
    assert manifest(out)["executor"] == executor


def test_resume_skips_finished_galaxies_and_gives_identical_tables(ingested_survey, tmp_path):
    """Delete some finished tables (not the first one: the rest are resumed from metadata)."""
    out = tmp_path / "resume"
    config = ingested_survey.config_for(out)
    run_ingest(config, workers=1, progress=False)
    files = finished_spaxel_files(out)
    removed, kept = files[1::2], [files[0], *files[2::2]]
    stamps = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in kept}
    for path in removed:
        path.unlink()
    result = run_ingest(config, workers=1, progress=False)
    assert result.n_resumed == len(kept)
    assert manifest(out)["counts"]["galaxies_resumed"] == len(kept)
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in kept} == stamps
    assert_same_tables(out, ingested_survey.run)


def test_changed_selection_is_not_resumed(ingested_survey, tmp_path):
    """A finished table written with other cuts is recomputed, not reused."""
    out = tmp_path / "reselect"
    config = ingested_survey.config_for(out)
    stricter = dataclasses.replace(
        config, selection=dataclasses.replace(config.selection, snr_min=5.0)
    )
    run_ingest(stricter, workers=1, progress=False)
    result = run_ingest(config, workers=1, progress=False)
    assert result.n_resumed == 0
    assert_same_tables(out, ingested_survey.run)


def kill_after(command: list[str], run: Path, n_files: int) -> list[Path]:
    """Start ``command``, SIGKILL it once ``n_files`` galaxy tables exist; return those seen.

    The spaxels folder is polled every millisecond; a galaxy takes ~0.1 s, so
    the kill lands between the n-th and the (n+1)-th table, possibly while one
    is being written.
    """
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + COMMAND_TIMEOUT_S
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if len(finished_spaxel_files(run)) >= n_files:
                break
            time.sleep(0.001)
        if proc.poll() is not None:
            pytest.fail(f"ingest ended (status {proc.returncode}) before {n_files} tables")
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return finished_spaxel_files(run)


@pytest.mark.parametrize("n_files", [1, 3, 5])
def test_killed_run_restarts_to_identical_tables(ingested_survey, tmp_path, n_files):
    out = tmp_path / "killed"
    command = metgrad("ingest", str(ingested_survey.toml), "--out", str(out), "--no-progress")
    seen = kill_after(command, out, n_files)
    assert len(seen) >= n_files
    # whatever the moment of the kill, every visible table is complete and readable
    for path in seen:
        table = pq.read_table(path)
        assert table.num_rows > 0
        assert b"metgrad.galaxy" in table.schema.metadata
    stamps = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in seen}
    # a kill during a write leaves a temporary; make sure there is one, half a Parquet file
    half = seen[0].read_bytes()[: seen[0].stat().st_size // 2]
    (out / "spaxels" / f".{seen[0].name}{TMP_MARK}killed").write_bytes(half)

    # restart (in this process, to keep the test short: same code path as the command)
    result = run_ingest(ingested_survey.config_for(out), workers=1, progress=False)
    assert result.n_resumed == len(seen)
    assert not temporaries(out)
    assert manifest(out)["counts"]["galaxies_resumed"] == len(seen)
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in seen} == stamps
    assert_same_tables(out, ingested_survey.run)
