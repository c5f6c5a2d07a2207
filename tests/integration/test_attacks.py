"""Issue #18: a hostile user or a damaged archive against whole runs.

Each test reproduces one attack of the issue on a copy of the session's synthetic survey
(``ingested_survey``, whose reference run is serial and uninterrupted) and asserts the
outcome: nothing stale or mixed is accepted, one galaxy never stops the others, a
problem is one line naming the file, and nothing lands outside its folder. Faults of
single files (crafted headers, bombs, units, identity) are in ``test_bad_inputs.py``.
"""

from __future__ import annotations

import dataclasses
import errno
import gzip
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from astropy.table import Table

import metgrad.galaxy
import metgrad.survey
from metgrad.cli import main
from metgrad.config import load_config
from metgrad.runcheck import verify_run_tables
from metgrad.survey import run_ingest

DAPTYPE = "HYB10-MILESHC-MASTARSSP"
#: Seconds a subprocess may take before the test gives up on it.
COMMAND_TIMEOUT_S = 120


@dataclasses.dataclass(frozen=True)
class Copy:
    """A copy of the synthetic survey with its reference run (``run/``) beside it."""

    root: Path
    toml: Path
    run: Path
    reference: Path

    def config(self, **inputs):
        config = load_config(self.toml)
        return dataclasses.replace(config, inputs=dataclasses.replace(config.inputs, **inputs))

    def table(self, plateifu: str) -> Path:
        return self.run / "spaxels" / f"{plateifu}.parquet"


@pytest.fixture()
def survey(ingested_survey, tmp_path) -> Copy:
    """The survey's files and its finished reference run, copied (a resume starts from it)."""
    root = tmp_path / "survey"
    shutil.copytree(ingested_survey.root, root, ignore=shutil.ignore_patterns("truth"))
    return Copy(root, root / "survey.toml", root / "run", ingested_survey.run)


def tables(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((run / "spaxels").glob("*.parquet"))}


def ingested(run: Path) -> list[str]:
    return sorted(pd.read_parquet(run / "galaxies.parquet")["plateifu"])


def ingest_cli(copy: Copy, capsys, *extra) -> tuple[int, str, str]:
    status = main(["ingest", str(copy.toml), "--no-progress", *extra])
    out, err = capsys.readouterr()
    return status, out, err


# --- silently stale science: resume keys on every input ----------------------------------


def test_unchanged_inputs_resume_every_galaxy(survey, capsys):
    status, out, err = ingest_cli(survey, capsys)
    n = len(ingested(survey.reference))
    assert (status, err) == (0, "") and f"ingest: {n} galaxies ({n} already done)" in out
    assert tables(survey.run) == tables(survey.reference)
    verify_run_tables(survey.run)


def test_changed_drpall_redoes_every_galaxy(survey, capsys):
    """Every redshift doubled: no table of the old catalogue is kept."""
    path = survey.root / "drpall-v3_1_1.fits"
    drpall = Table.read(path, hdu="MANGA")
    drpall["nsa_z"] *= 2
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU(drpall, name="MANGA")]).writeto(
        path, overwrite=True
    )
    status, out, _ = ingest_cli(survey, capsys)
    n = len(ingested(survey.reference))
    assert status == 0 and f"({0} already done, {n} redone: inputs changed)" in out
    old = pd.read_parquet(survey.reference / "galaxies.parquet").set_index("plateifu")
    new = pd.read_parquet(survey.run / "galaxies.parquet").set_index("plateifu")
    np.testing.assert_allclose(new["z"], 2 * old["z"], rtol=1e-6)
    for plateifu in new.index:  # each table's own record, and its values, are the new ones
        meta = pq.read_schema(survey.table(plateifu)).metadata
        assert json.loads(meta[b"metgrad.galaxy"])["z"] == new.loc[plateifu, "z"]
        sigma = pd.read_parquet(survey.table(plateifu), columns=["sigma_sfr"])["sigma_sfr"]
        ref = pd.read_parquet(survey.reference / "spaxels" / f"{plateifu}.parquet")
        assert not np.allclose(sigma, ref["sigma_sfr"], equal_nan=True)
    assert json.loads((survey.run / "manifest.json").read_text())["counts"][
        "galaxies_redone_inputs_changed"
    ] == n
    verify_run_tables(survey.run)


def test_changed_daptype_redoes_every_galaxy(survey):
    """The same galaxies under another DAP type (files renamed, header DAPTYPE too)."""
    other = "HYB10-GAU-MILESHC"
    for path in sorted((survey.root / "maps").rglob(f"*-MAPS-{DAPTYPE}.fits.gz")):
        hdul = fits.open(io.BytesIO(gzip.decompress(path.read_bytes())))
        hdul[0].header["DAPTYPE"] = other
        buffer = io.BytesIO()
        hdul.writeto(buffer)
        path.with_name(path.name.replace(DAPTYPE, other)).write_bytes(
            gzip.compress(buffer.getvalue(), mtime=0)
        )
    result = run_ingest(survey.config(daptype=other), progress=False)
    assert result.n_resumed == 0 and result.n_changed == len(ingested(survey.reference))
    assert all(other in name for name in result.galaxies["maps_file"])
    assert result.galaxies["plateifu"].tolist() == ingested(survey.reference)


def test_replaced_maps_file_redoes_its_galaxy(survey):
    plateifu = ingested(survey.reference)[0]
    plate, ifu = plateifu.split("-")
    path = survey.root / f"maps/{DAPTYPE}/{plate}/{ifu}/manga-{plateifu}-MAPS-{DAPTYPE}.fits.gz"
    hdul = fits.open(io.BytesIO(gzip.decompress(path.read_bytes())))
    hdul["EMLINE_GFLUX"].data *= 2  # another file of the same name and size
    buffer = io.BytesIO()
    hdul.writeto(buffer)
    path.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    result = run_ingest(survey.config(), progress=False)
    assert result.n_changed == 1 and result.n_resumed == len(ingested(survey.reference)) - 1
    new, old = tables(survey.run), tables(survey.reference)
    assert [name for name in old if new[name] != old[name]] == [f"{plateifu}.parquet"]


def test_a_galaxy_that_now_fails_keeps_no_stale_table(survey):
    plateifu = ingested(survey.reference)[0]
    plate, ifu = plateifu.split("-")
    path = survey.root / f"maps/{DAPTYPE}/{plate}/{ifu}/manga-{plateifu}-MAPS-{DAPTYPE}.fits.gz"
    path.write_bytes(path.read_bytes()[:1000])  # now unusable
    result = run_ingest(survey.config(), progress=False)
    assert plateifu in set(result.failures["plateifu"])
    assert plateifu not in set(result.galaxies["plateifu"])
    assert not survey.table(plateifu).exists()
    verify_run_tables(survey.run)


# --- damaged or mixed tables: recorded checksums ------------------------------------------


def _flip_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0x01
    path.write_bytes(bytes(raw))


def _empty(path: Path) -> None:
    table = pq.read_table(path)
    pq.write_table(table.slice(0, 0), path)


@pytest.mark.parametrize("damage", [_flip_byte, _empty], ids=["flipped-byte", "emptied"])
def test_damaged_table_is_refused_then_made_again(survey, damage):
    plateifu = ingested(survey.reference)[1]
    damage(survey.table(plateifu))
    with pytest.raises(ValueError) as info:
        verify_run_tables(survey.run)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{survey.table(plateifu)}: changed since ingest"), message
    result = run_ingest(survey.config(), progress=False)  # the damaged table is made again
    assert result.n_changed == 1
    assert tables(survey.run) == tables(survey.reference)
    verify_run_tables(survey.run)


def test_tables_of_two_configurations_are_refused(survey):
    """An interrupted re-ingest with stricter cuts left a new table beside the old ones."""
    stricter = survey.config()
    stricter = dataclasses.replace(
        stricter,
        selection=dataclasses.replace(stricter.selection, snr_min=20.0),
        output=dataclasses.replace(stricter.output, dir=survey.root / "strict"),
    )
    run_ingest(stricter, progress=False)
    plateifu = ingested(survey.reference)[0]
    shutil.copy(survey.root / "strict" / "spaxels" / f"{plateifu}.parquet", survey.table(plateifu))
    with pytest.raises(ValueError, match=rf"^{survey.table(plateifu)}: changed since ingest"):
        verify_run_tables(survey.run)
    # a galaxies.parquet merged by hand from two runs
    shutil.copy(survey.reference / "spaxels" / f"{plateifu}.parquet", survey.table(plateifu))
    path = survey.run / "galaxies.parquet"
    table = pq.read_table(path)
    hashes = table["config_hash"].to_pylist()
    strict_hash = pd.read_parquet(survey.root / "strict" / "galaxies.parquet")["config_hash"][0]
    hashes[0] = strict_hash
    table = table.set_column(table.schema.get_field_index("config_hash"), "config_hash",
                             pa.array(hashes))  # fmt: skip
    pq.write_table(table, path)
    with pytest.raises(ValueError, match=r"made with configuration \w+, the run's is \w+"):
        verify_run_tables(survey.run)


def test_verify_names_a_missing_or_foreign_galaxies_table(survey):
    (survey.run / "galaxies.parquet").write_bytes(b"not parquet")
    with pytest.raises(ValueError, match=r"galaxies.parquet: unreadable Parquet table"):
        verify_run_tables(survey.run)
    pd.DataFrame({"plateifu": ["8440-1902"]}).to_parquet(survey.run / "galaxies.parquet")
    with pytest.raises(ValueError, match=r"galaxies.parquet: lacks config_hash, spaxels_sha256"):
        verify_run_tables(survey.run)


# --- one galaxy never stops a survey -----------------------------------------------------


def test_killed_and_hung_workers_are_recorded(survey, monkeypatch):
    """One galaxy kills its worker (as the out-of-memory killer would), one hangs."""
    names = ingested(survey.reference)
    killed, hung = names[0], names[1]
    real = metgrad.galaxy.read_dap_maps

    def hostile(path, *args, **kwargs):  # inherited by the forked workers
        if killed in Path(path).name:
            os.kill(os.getpid(), signal.SIGKILL)
        if hung in Path(path).name:
            time.sleep(120)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(metgrad.galaxy, "read_dap_maps", hostile)
    shutil.rmtree(survey.run)
    result = run_ingest(survey.config(), workers=2, time_limit=3.0, progress=False)
    rows = result.failures.set_index("plateifu")
    assert rows.loc[killed, "reason"] == "worker process killed by SIGKILL (out of memory?)"
    assert rows.loc[hung, "reason"] == "stopped after the time limit of 3 s"
    assert (rows.loc[[killed, hung], "stage"] == "worker").all()
    assert rows.loc[killed, "file"] == f"manga-{killed}-MAPS-{DAPTYPE}.fits.gz"
    assert result.galaxies["plateifu"].tolist() == names[2:]
    ref = tables(survey.reference)
    assert tables(survey.run) == {k: v for k, v in ref.items() if k[:-8] in names[2:]}


def test_a_file_replaced_while_it_is_read_is_refused(survey, monkeypatch):
    """Its checksum would not be that of the bytes read: the galaxy fails, to be redone."""
    victim = ingested(survey.reference)[0]
    real = metgrad.galaxy.read_dap_maps

    def replacing(path, *args, **kwargs):
        out = real(path, *args, **kwargs)
        if victim in Path(path).name:  # replaced by a copy of itself: a new inode
            copy = Path(path).with_suffix(".tmp")
            shutil.copy(path, copy)
            os.replace(copy, path)
        return out

    monkeypatch.setattr(metgrad.galaxy, "read_dap_maps", replacing)
    shutil.rmtree(survey.run)
    result = run_ingest(survey.config(), workers=1, progress=False)
    row = result.failures.set_index("plateifu").loc[victim]
    assert row["reason"].endswith("changed while it was being read; run ingest again")
    assert victim not in set(result.galaxies["plateifu"])


def test_full_disk_stops_ingest_naming_the_disk(survey, capsys, monkeypatch):
    def full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(metgrad.survey, "write_arrow_atomic", full)
    shutil.rmtree(survey.run)
    status, out, err = ingest_cli(survey, capsys)
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"metgrad ingest: error: {survey.run / 'spaxels'}/"), err
    assert err.rstrip().endswith(
        "cannot write: the disk is full (No space left on device)"
    ), err
    assert not (survey.run / "galaxies.parquet").exists()


def test_symlinked_folders_are_followed_once(survey, tmp_path):
    """Plates moved elsewhere and linked back, and a link loop: the same galaxies, once."""
    maps = survey.root / "maps" / DAPTYPE
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for plate in sorted(p for p in maps.iterdir() if p.is_dir()):
        shutil.move(plate, elsewhere / plate.name)
        (maps / plate.name).symlink_to(elsewhere / plate.name, target_is_directory=True)
    (elsewhere / "loop").symlink_to(survey.root / "maps", target_is_directory=True)
    shutil.rmtree(survey.run)
    result = run_ingest(survey.config(), progress=False)
    assert result.galaxies["plateifu"].tolist() == ingested(survey.reference)
    assert tables(survey.run) == tables(survey.reference)


def test_upper_bounds_on_workers_and_refits(survey, capsys):
    status, _, err = ingest_cli(survey, capsys, "--workers", "100000")
    assert status == 1 and err.count("\n") == 1
    assert err.startswith("metgrad ingest: error: --workers 100000 is more than 4 per core")
    with open(survey.toml, "a") as fh:
        fh.write("\n[gradients]\nn_bootstrap = 1000000000\n")
    status, _out, err = ingest_cli(survey, capsys)
    assert status == 1 and err == (
        "metgrad ingest: error: survey.toml: gradients.n_bootstrap = 1000000000 is outside "
        "the allowed range [10, 10000]\n"
    )


SLOW_INGEST = """
import sys, time
import metgrad.galaxy as galaxy
real = galaxy.read_dap_maps
calls = []
def slow(path, *args, **kwargs):
    # each worker's first galaxy in half a second, the others in 5 s: the run is still
    # going when the test interrupts it, however loaded the machine
    calls.append(path)
    time.sleep(0.5 if len(calls) == 1 else 5.0)
    return real(path, *args, **kwargs)
galaxy.read_dap_maps = slow
from metgrad.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _slow_ingest(copy: Copy, tmp_path: Path) -> tuple[subprocess.Popen, list[int], Path]:
    """``metgrad ingest --workers 2``, slowed down (see SLOW_INGEST), once its workers are up."""
    err = tmp_path / "stderr.txt"
    command = [sys.executable, "-c", SLOW_INGEST, "ingest", str(copy.toml), "--workers", "2",
               "--no-progress"]  # fmt: skip
    with open(err, "wb") as fh:
        # as from a shell: Ctrl-C at its default disposition, whatever this process inherited
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=fh,
                                start_new_session=True, preexec_fn=_default_sigint)  # fmt: skip
    deadline = time.monotonic() + COMMAND_TIMEOUT_S
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert len(workers) == 2, workers
    return proc, workers, err


def _gone(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not any(_running(p) for p in pids)


def test_sigkill_of_ingest_takes_its_workers_with_it(survey, tmp_path):
    shutil.rmtree(survey.run)
    proc, workers, _ = _slow_ingest(survey, tmp_path)
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert _gone(workers, 10), [p for p in workers if _running(p)]
    finally:
        for pid in workers:  # only if the test failed: never leave them running
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def test_ctrl_c_prints_one_line_and_leaves_a_resumable_run(survey, tmp_path):
    shutil.rmtree(survey.run)
    proc, workers, err = _slow_ingest(survey, tmp_path)
    deadline = time.monotonic() + COMMAND_TIMEOUT_S
    while not list((survey.run / "spaxels").glob("*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal sends it: to the whole group
    try:
        status = proc.wait(timeout=120)
    finally:  # never leave the run behind for the next test to trip over
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert status == 130
    assert err.read_text() == "metgrad ingest: interrupted\n"
    assert _gone(workers, 10)
    done = sorted(p.name for p in (survey.run / "spaxels").glob("*.parquet"))
    assert done
    result = run_ingest(survey.config(), progress=False)
    assert result.n_resumed == len(done)
    assert tables(survey.run) == tables(survey.reference)


# --- paths --------------------------------------------------------------------------------


@pytest.mark.parametrize("daptype", ["../../x", "/tmp/evil", "a/../../b", ""])
def test_fetch_refuses_a_daptype_that_is_a_path(tmp_path, capsys, daptype):
    dest = tmp_path / "a" / "dest"
    status = main(["fetch", "--plateifu", "8485-1901", "--dest", str(dest), "--daptype",
                   daptype, "--base-url", "http://127.0.0.1:9"])  # fmt: skip
    out, err = capsys.readouterr()
    assert status == 1 and out == "" and err.count("\n") == 1
    assert "--daptype" in err and "is not a DAP type" in err
    assert list(tmp_path.rglob("*")) == []


def _maps_with_plateifu(survey: Copy, plateifu: str, folder: Path) -> Path:
    name = ingested(survey.reference)[0]
    plate, ifu = name.split("-")
    source = survey.root / f"maps/{DAPTYPE}/{plate}/{ifu}/manga-{name}-MAPS-{DAPTYPE}.fits.gz"
    hdul = fits.open(io.BytesIO(gzip.decompress(source.read_bytes())))
    hdul[0].header["PLATEIFU"] = plateifu
    path = folder / source.name
    folder.mkdir(parents=True, exist_ok=True)
    hdul.writeto(path)
    return path


def test_galaxy_png_path_never_comes_from_the_header(survey, tmp_path, capsys, monkeypatch):
    work = tmp_path / "work"
    maps = _maps_with_plateifu(survey, "../outside/evil", work)
    monkeypatch.chdir(work)
    assert main(["galaxy", str(maps)]) == 1
    _out, err = capsys.readouterr()
    assert err == (
        f"metgrad galaxy: error: {maps.name}: header PLATEIFU '../outside/evil' is not a "
        "plate-ifu like 8485-1901\n"
    )
    assert not (tmp_path / "outside").exists() and not list(work.glob("*.png"))
    # a real plate-ifu and --png naming an existing folder: FOLDER/PLATEIFU.png
    good = _maps_with_plateifu(survey, "8440-1902", tmp_path / "good")
    figures = tmp_path / "figures"
    figures.mkdir()
    assert main(["galaxy", str(good), "--png", str(figures)]) == 0
    capsys.readouterr()
    assert [p.name for p in figures.iterdir()] == ["8440-1902.png"]
    assert not (tmp_path / "figures.png").exists()


def test_mock_refuses_to_write_over_another_survey(survey, capsys):
    before = sorted(p.relative_to(survey.root) for p in survey.root.rglob("*"))
    status = main(["mock", "--galaxies", "2", "--seed", "5", "--out", str(survey.root)])
    _, err = capsys.readouterr()
    assert status == 1 and err.count("\n") == 1
    assert "not empty, and not the mock survey of 2 galaxies with seed 5" in err
    assert sorted(p.relative_to(survey.root) for p in survey.root.rglob("*")) == before


def test_mock_may_rewrite_the_same_survey(tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["mock", "--galaxies", "1", "--seed", "5", "--out", str(out)]) == 0
    first = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert main(["mock", "--galaxies", "1", "--seed", "5", "--out", str(out)]) == 0
    capsys.readouterr()
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == first


# --- errors that name the file ------------------------------------------------------------


def test_non_ascii_drpall_text_names_the_file(survey, capsys):
    path = survey.root / "drpall-v3_1_1.fits"
    raw = path.read_bytes()
    plateifu = ingested(survey.reference)[0].encode()
    at = raw.index(plateifu)
    path.write_bytes(raw[:at] + b"\xff\xfe" + raw[at + 2 :])
    status, _out, err = ingest_cli(survey, capsys)
    assert status == 1 and err.count("\n") == 1, err
    assert err.startswith("metgrad ingest: error: drpall-v3_1_1.fits: column plateifu holds "
                          "non-ASCII bytes"), err  # fmt: skip


def test_gswlc_dec_out_of_range_is_a_missing_source(survey):
    path = survey.root / "GSWLC-X2.dat"
    lines = path.read_text().splitlines()
    fields = lines[0].split()
    fields[6] = "123.0"  # no such declination
    path.write_text("\n".join([" ".join(fields), *lines[1:]]) + "\n")
    shutil.rmtree(survey.run)
    result = run_ingest(survey.config(), progress=False)  # no crash: the row matches nothing
    assert len(result.galaxies) + len(result.failures) == len(
        pd.read_parquet(survey.reference / "galaxies.parquet")
    ) + len(pd.read_csv(survey.reference / "failures.csv"))
