"""Many galaxies -> ``spaxels/`` (one Parquet file per galaxy), resumable and parallel.

:func:`run_ingest` finds every DAP MAPS file and Pipe3D cube under the
configured folders, matches the galaxies to drpall and GSWLC-2X, and maps
:func:`ingest_galaxy` over them through a :class:`~metgrad.parallel.GalaxyExecutor`
(serial, local processes, or Dask). Each galaxy's table is written atomically
to ``OUT/spaxels/PLATE-IFU.parquet`` with its galaxy-level record and its *input
key* in the file's metadata. An interrupted run resumes by skipping a finished
galaxy only when everything its table depends on is unchanged: the input key
(physics and selection options, DAP type, the galaxy's catalogue values, match
radius, metgrad version), the SHA-256 of its MAPS file and cube, and the table
itself (read whole, Parquet page checksums). A galaxy that cannot be processed
(a bad file, a dead or hung worker) is recorded with its reason in
``OUT/failures.csv`` and the run goes on; a full disk stops it. At the end the run
writes ``OUT/galaxies.parquet`` (one row per ingested galaxy, sorted by
plate-ifu, with each table's SHA-256, row count and configuration, checked by
:func:`metgrad.runcheck.verify_run_tables`) and ``OUT/manifest.json``
(configuration, table identity, versions, input sizes and checksums, counts).
"""

from __future__ import annotations

import dataclasses
import errno
import fnmatch
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__, physics
from .atomic import (
    remove_stale_temporaries,
    sync_files,
    write_arrow_atomic,
    write_csv_atomic,
    write_json_atomic,
    write_parquet_atomic,
)
from .config import PhysicsConfig, RunConfig, SelectionConfig
from .galaxy import GalaxyFiles, galaxy_spaxels, read_galaxy_files
from .io.catalogs import match_gswlc, read_drpall_rows, read_gswlc
from .io.errors import InputFileError
from .io.fitsfile import MAX_FITS_BYTES, read_regular_file
from .io.pipe3d import check_cube_identity, read_pipe3d
from .layout import RunLayout
from .parallel import LostItem, open_executor
from .provenance import config_hash, package_versions
from .spaxels import GalaxyInfo, _cosmology

__all__ = [
    "GalaxyTask",
    "IngestResult",
    "config_hash",
    "discover_maps",
    "discover_pipe3d",
    "ingest_galaxy",
    "package_versions",
    "run_ingest",
]

_MAPS_NAME = re.compile(r"^manga-(\d+)-(\d+)-MAPS-(.+?)\.fits(\.gz)?$")
_PIPE3D_NAME = re.compile(r"^manga-(\d+)-(\d+)\.Pipe3D\.cube\.fits(\.gz)?$")
_META_KEY = "metgrad.galaxy"
_FAILURE_COLUMNS = ["plateifu", "stage", "file", "reason"]
#: Parquet codec of the per-galaxy spaxel tables: lz4 writes and reads them about 2 ms
#: (a third) faster than zstd for 12% more space (``benchmarks/bench_ingest.py``).
SPAXEL_CODEC = "lz4"
#: Seconds one galaxy may take by default before it is recorded as failed (a DR17
#: galaxy takes well under a second; a hang must not stop a survey).
DEFAULT_TIME_LIMIT_S = 600.0


def _files_under(folder: Path, glob: str) -> list[Path]:
    """Files matching ``glob`` under ``folder``, following symlinked folders, each folder once.

    A symlinked sub-folder is searched like any other (``Path.rglob`` skips them); a
    folder reached twice (a link to a parent, two links to one place) is searched once.
    """
    found = []
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        try:
            st = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:  # a loop, or a second way to the same folder
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs.sort()
        # a folder with a file's name is listed too: reading it says what is wrong
        found += [Path(root) / f for f in files + dirs if fnmatch.fnmatchcase(f, glob)]
    return sorted(found)


def _discover(folder: Path | None, pattern: re.Pattern, glob: str, daptype: str | None):
    found: dict[str, list[Path]] = {}
    if folder is None:
        return found
    if not folder.is_dir():
        raise InputFileError(folder, "input folder not found")
    for path in _files_under(folder, glob):
        m = pattern.match(path.name)
        if not m or (daptype is not None and m.group(3) != daptype):
            continue
        found.setdefault(f"{m.group(1)}-{m.group(2)}", []).append(path)
    return found


def discover_maps(folder: Path | None, daptype: str) -> dict[str, list[Path]]:
    """MAPS files of ``daptype`` under ``folder`` (recursive, through symlinks), by plate-ifu."""
    return _discover(folder, _MAPS_NAME, "manga-*-MAPS-*.fits*", daptype)


def _daptypes(folder: Path) -> list[str]:
    """DAP types of the MAPS files under ``folder``, for an error message."""
    names = (_MAPS_NAME.match(p.name) for p in _files_under(folder, "manga-*-MAPS-*.fits*"))
    return sorted({m.group(3) for m in names if m})


def discover_pipe3d(folder: Path | None) -> dict[str, list[Path]]:
    """Pipe3D cubes under ``folder`` (recursive, through symlinks), keyed by plate-ifu."""
    return _discover(folder, _PIPE3D_NAME, "manga-*.Pipe3D.cube.fits*", None)


@dataclass(frozen=True)
class GalaxyTask:
    """Everything one worker needs to ingest one galaxy (picklable)."""

    info: GalaxyInfo
    maps_path: Path
    pipe3d_path: Path | None
    out_path: Path
    catalog: dict[str, float | str] = field(default_factory=dict)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    physics: PhysicsConfig = field(default_factory=PhysicsConfig)
    config_hash: str = ""
    daptype: str = ""
    input_key: str = ""


def _stat_key(path: Path | None) -> tuple[int, ...] | None:
    """What changes when a file is rewritten or replaced: device, inode, size, mtime."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _file_record(
    path: Path | None, *, unchanged_since: tuple[int, ...] | None = None
) -> dict[str, object]:
    """Name, size, MD5 and SHA-256 of an input file (empty values for None).

    With ``unchanged_since`` (a :func:`_stat_key` taken before the file was read), a file
    rewritten or replaced meanwhile is refused: its checksums would not be those of the
    bytes read.
    """
    if path is None:
        return {"file": "", "bytes": 0, "md5": "", "sha256": ""}
    raw = read_regular_file(Path(path), MAX_FITS_BYTES)
    if unchanged_since is not None and _stat_key(path) != unchanged_since:
        raise InputFileError(path, "changed while it was being read; run ingest again")
    return {
        "file": Path(path).name,
        "bytes": len(raw),
        "md5": hashlib.md5(raw).hexdigest(),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }


def _input_key(identity: dict[str, object]) -> str:
    """SHA-256 of everything a spaxel table depends on that is known before reading files."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def _same_position(ra1: float, dec1: float, ra2: float, dec2: float, radius_arcsec: float):
    """False only if both positions are finite and more than ``radius_arcsec`` apart."""
    if not np.isfinite([ra1, dec1, ra2, dec2]).all():
        return True
    d1, d2 = np.radians(dec1), np.radians(dec2)
    cos_sep = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(np.radians(ra1 - ra2))
    return float(np.degrees(np.arccos(np.clip(cos_sep, -1, 1))) * 3600) <= radius_arcsec


#: How far (arcsec) a file's OBJRA/OBJDEC may lie from the galaxy's drpall position.
IDENTITY_RADIUS_ARCSEC = 3.0


def _check_identity(task: GalaxyTask, dap, pipe3d) -> None:
    """The MAPS file and the cube are the galaxy's (header PLATEIFU, DAPTYPE and position)."""
    info, cat = task.info, task.catalog
    if dap.plateifu != info.plateifu:
        raise InputFileError(
            task.maps_path, f"PLATEIFU {dap.plateifu} in the header, {info.plateifu} in the name"
        )
    if task.daptype and dap.daptype and dap.daptype != task.daptype:
        raise InputFileError(
            task.maps_path, f"DAPTYPE {dap.daptype[:40]} in the header, {task.daptype} in the name"
        )
    if pipe3d is not None:
        check_cube_identity(pipe3d, info.plateifu, maps_path=task.maps_path)
    ra, dec = float(cat.get("ra", np.nan)), float(cat.get("dec", np.nan))
    for path, what in ((task.maps_path, dap), (task.pipe3d_path, pipe3d)):
        if what is not None and not _same_position(
            what.ra_deg, what.dec_deg, ra, dec, IDENTITY_RADIUS_ARCSEC
        ):
            raise InputFileError(
                path, f"OBJRA/OBJDEC {what.ra_deg:.5f} {what.dec_deg:+.5f} are not "
                f"{info.plateifu}'s drpall position {ra:.5f} {dec:+.5f}",
            )  # fmt: skip


#: Write errors that stop a run: the run folder cannot take any table (others, such as a
#: name too long, concern one galaxy).
_FATAL_WRITE_ERRORS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
)


def _output_error(path: Path, exc: OSError) -> OSError:
    """One line naming the output file and the system's reason (a full disk says so)."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = f"the disk is full ({reason})"
    error = OSError(f"{path}: cannot write: {reason}")  # str() without "[Errno n]"
    error.errno = exc.errno
    return error


def ingest_galaxy(task: GalaxyTask) -> dict[str, object]:
    """Build and write one galaxy's spaxel table; never raises for bad input.

    Returns
    -------
    dict
        ``{"status": "done", "galaxy": {...}}`` with the galaxy-level record,
        ``{"status": "failed", "plateifu", "stage", "file", "reason"}`` for an
        unusable galaxy, or ``{"status": "fatal", "reason"}`` when the table
        cannot be written (a full disk): the run must stop.
    """
    info = task.info
    stage, current = "read MAPS", task.maps_path
    try:
        before = _stat_key(task.maps_path)
        dap = read_galaxy_files(task.maps_path, plateifu=info.plateifu).dap  # errors say what
        maps_rec = _file_record(task.maps_path, unchanged_since=before)
        stage, current = "read Pipe3D", task.pipe3d_path
        before = _stat_key(task.pipe3d_path)
        pipe3d = read_pipe3d(task.pipe3d_path) if task.pipe3d_path is not None else None
        pipe_rec = _file_record(task.pipe3d_path, unchanged_since=before)
        stage, current = "identity", task.maps_path
        _check_identity(task, dap, pipe3d)
        stage, current = "spaxels", task.maps_path
        galaxy, table = _galaxy_table(task, dap, pipe3d, maps_rec, pipe_rec)
    except Exception as exc:  # one galaxy never stops a survey: named, recorded, skipped
        if isinstance(exc, InputFileError):  # the file the reader blames
            current = exc.path
        reason = " ".join(str(exc).split())
        if not isinstance(exc, ValueError | OSError):
            reason = f"{type(exc).__name__}: {reason}"
        return {
            "status": "failed",
            "plateifu": info.plateifu,
            "stage": stage,
            "file": "" if current is None else Path(current).name,
            "reason": reason,
        }
    try:
        # flushed to disk by run_ingest, all at once, before it writes galaxies.parquet
        write_arrow_atomic(
            task.out_path, table, compression=SPAXEL_CODEC, durable=False, page_checksums=True
        )
        galaxy.update(_table_record(task.out_path))
    except OSError as exc:  # the output, not the input, is at fault
        reason = str(_output_error(task.out_path, exc))
        if exc.errno in _FATAL_WRITE_ERRORS:  # no other galaxy can be written either
            return {"status": "fatal", "reason": reason}
        return {"status": "failed", "plateifu": info.plateifu, "stage": "write",
                "file": task.out_path.name, "reason": reason}  # fmt: skip
    return {"status": "done", "galaxy": galaxy}


def _galaxy_table(task: GalaxyTask, dap, pipe3d, maps_rec, pipe_rec):
    """The galaxy-level record and the Arrow spaxel table (its metadata: record and identity)."""
    info = task.info
    files = GalaxyFiles(dap, pipe3d)
    st = galaxy_spaxels(files, info, selection=task.selection, physics=task.physics)
    cosmology = _cosmology(task.physics.h0, task.physics.om0)
    kpc_per_arcsec = float(physics.angular_diameter_distance_kpc(info.z, cosmology=cosmology))
    kpc_per_arcsec /= 206264.80624709636
    counts = st.cut_counts()
    galaxy = {
        "plateifu": info.plateifu,
        "z": info.z,
        "ba": info.ba,
        "re_arcsec": info.re_arcsec,
        "re_kpc": info.re_arcsec * kpc_per_arcsec,
        "log_mstar": info.log_mstar,
        **task.catalog,
        "mode": st.mode,
        "n_covered": counts["covered"],
        "n_selected": counts["selected"],
        **{k: v for k, v in counts.items() if k.startswith("first_")},
        "maps_file": maps_rec["file"],
        "maps_bytes": maps_rec["bytes"],
        "maps_md5": maps_rec["md5"],
        "maps_sha256": maps_rec["sha256"],
        "pipe3d_file": pipe_rec["file"],
        "pipe3d_bytes": pipe_rec["bytes"],
        "pipe3d_md5": pipe_rec["md5"],
        "pipe3d_sha256": pipe_rec["sha256"],
        "config_hash": task.config_hash,
        "input_key": task.input_key,
    }
    meta = {
        # keys in their natural order: a resumed run rebuilds galaxies.parquet from this
        # record, and its columns must come out in the same order as a fresh run's
        _META_KEY: json.dumps(galaxy),
        "metgrad.config_hash": task.config_hash,
        "metgrad.input_key": task.input_key,
        "metgrad.version": __version__,
    }
    return galaxy, st.to_arrow(metadata=meta)


def _table_record(path: Path) -> dict[str, object]:
    """SHA-256 and row count of a written spaxel table (checked when a run is read)."""
    raw = path.read_bytes()
    rows = pq.ParquetFile(pa.BufferReader(raw)).metadata.num_rows
    return {"spaxels_sha256": hashlib.sha256(raw).hexdigest(), "spaxels_rows": int(rows)}


def _finished_record(task: GalaxyTask) -> dict | None:
    """The galaxy record of a finished table made from exactly this task's inputs, else None.

    The table must carry this task's input key (configuration, DAP type, catalogue
    values, match radius, metgrad version), its MAPS file and cube must have the
    SHA-256 recorded in it, and it must read whole (Parquet page checksums) with the
    recorded number of spaxels. Anything else: the galaxy is ingested again.
    """
    path = task.out_path
    if not path.is_file():
        return None
    try:
        meta = pq.read_schema(path).metadata or {}
        if meta.get(b"metgrad.input_key", b"").decode() != task.input_key:
            return None
        record = json.loads(meta[_META_KEY.encode()].decode())
        for key, source in (("maps", task.maps_path), ("pipe3d", task.pipe3d_path)):
            now = _file_record(source)
            if (record[f"{key}_file"], record[f"{key}_bytes"], record[f"{key}_sha256"]) != (
                now["file"],
                now["bytes"],
                now["sha256"],
            ):
                return None
        table = pq.read_table(path, page_checksum_verification=True)
        if table.num_rows != record["n_covered"]:
            return None
        record.update(_table_record(path))
    except Exception:  # unreadable, damaged or foreign: made again
        return None
    return record


@dataclass
class IngestResult:
    """What a run did.

    Attributes
    ----------
    out_dir : Path
        The run folder.
    galaxies : pandas.DataFrame
        One row per ingested galaxy (also written to ``galaxies.parquet``).
    failures : pandas.DataFrame
        One row per galaxy that could not be ingested (``failures.csv``).
    n_resumed : int
        Galaxies skipped because a finished table of the same inputs already existed.
    elapsed_s : float
        Wall time of the run.
    n_changed : int
        Galaxies ingested again because a table existed but its inputs had changed.
    """

    out_dir: Path
    galaxies: pd.DataFrame
    failures: pd.DataFrame
    n_resumed: int = 0
    elapsed_s: float = 0.0
    n_changed: int = 0


def _catalog_tasks(config: RunConfig, out_dir: Path):
    """Match the files to the catalogues; return tasks, failures and catalogue provenance."""
    inp = config.inputs
    if inp.drpall is None or inp.gswlc is None or inp.maps is None:
        raise ValueError("ingest needs inputs.drpall, inputs.gswlc and inputs.maps")
    rows = read_drpall_rows(inp.drpall)
    # a plate-ifu listed twice has no single geometry: its galaxy fails, the others go on
    listed = rows["plateifu"].value_counts()
    repeated = listed[listed > 1]
    drpall = rows[~rows["plateifu"].isin(repeated.index)].set_index("plateifu")
    gswlc = read_gswlc(inp.gswlc)
    match = match_gswlc(drpall, gswlc, radius_arcsec=config.match.radius_arcsec)
    maps = discover_maps(inp.maps, inp.daptype)
    if not maps:  # an empty run would look like a successful one
        present = _daptypes(inp.maps)
        hint = f"DAP types present: {', '.join(present)}" if present else "no MAPS files at all"
        raise InputFileError(
            inp.maps, f"no MAPS files of inputs.daptype = {inp.daptype!r} ({hint})"
        )
    cubes = discover_pipe3d(inp.pipe3d)
    found = _Catalogues(drpall, repeated, match, cubes)
    failures, tasks = [], []
    for plateifu in sorted(maps):
        problem = _catalogue_problem(plateifu, maps[plateifu], found, inp)
        if problem is None:
            problem = _galaxy_task(plateifu, maps[plateifu][0], found, config, out_dir)
        if isinstance(problem, GalaxyTask):
            tasks.append(problem)
        else:
            stage, file, reason = problem
            failures.append({"plateifu": plateifu, "stage": stage, "file": file, "reason": reason})
    provenance = {
        "drpall": _file_record(inp.drpall),
        "drpall_repeated_plateifus": sorted(repeated.index),
        "gswlc": _file_record(inp.gswlc),
        "n_maps_files": sum(len(v) for v in maps.values()),
        "n_pipe3d_files": sum(len(v) for v in cubes.values()),
        "gswlc_shared_sources": {str(k): v for k, v in match.shared.items()},
        "match_radius_arcsec": match.radius_arcsec,
    }
    return tasks, failures, provenance


class _Progress:
    """A tqdm bar on stderr (galaxies per second), or nothing."""

    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="galaxy", desc="ingest", file=sys.stderr)

    def update(self, failed: int) -> None:
        if self.bar is not None:
            self.bar.set_postfix(failed=failed, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_ingest(
    config: RunConfig,
    *,
    workers: int | None = 1,
    scheduler: str | None = None,
    progress: bool = True,
    time_limit: float | None = DEFAULT_TIME_LIMIT_S,
) -> IngestResult:
    """Ingest every galaxy of a survey into ``config.output.dir``.

    Parameters
    ----------
    config : RunConfig
        Inputs, output folder, physics and selection.
    workers : int or None, optional
        Local worker processes (1 = in this process; None = every core).
    scheduler : str or None, optional
        Dask scheduler address, or ``'local'`` for a throw-away LocalCluster.
    progress : bool, optional
        Show a progress bar on stderr.
    time_limit : float or None, optional
        Seconds one galaxy may take (None: no limit); a galaxy past it is recorded
        as failed and the run goes on (see :class:`~metgrad.parallel.GalaxyExecutor`).

    Returns
    -------
    IngestResult

    Raises
    ------
    InputFileError, ValueError
        Only for problems that stop the whole run (unreadable catalogues,
        missing input folders, no MAPS file of ``inputs.daptype``); per-galaxy
        problems go to ``failures.csv``.
    OSError
        When the run folder cannot be written (a full disk), naming the file.
    """
    start = time.perf_counter()
    out_dir = Path(config.output.dir)
    spaxel_dir = RunLayout(out_dir).spaxel_dir
    try:
        spaxel_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(spaxel_dir, exc) from None
    remove_stale_temporaries(spaxel_dir)
    remove_stale_temporaries(out_dir)
    tasks, failures, provenance = _catalog_tasks(config, out_dir)

    records: dict[str, dict] = {}
    todo = []
    for task in tasks:
        done = _finished_record(task)
        if done is not None:
            records[task.info.plateifu] = done
        else:
            todo.append(task)
    n_resumed = len(records)
    n_changed = sum(t.out_path.exists() for t in todo)
    _run_tasks(todo, records, failures, workers, scheduler, progress, time_limit)

    # a galaxy that failed now keeps no table of an earlier run: it would be stale
    for row in failures:
        (spaxel_dir / f"{row['plateifu']}.parquet").unlink(missing_ok=True)
    # the tables of this run reach the disk before the summary that lists them
    sync_files(t.out_path for t in todo if t.info.plateifu in records)
    galaxies = pd.DataFrame([records[k] for k in sorted(records)])
    failures_df = pd.DataFrame(failures, columns=_FAILURE_COLUMNS)
    failures_df = failures_df.sort_values("plateifu", kind="stable").reset_index(drop=True)
    chash = config_hash(config)
    versions = package_versions()
    meta = {
        "metgrad.config_hash": chash,
        "metgrad.versions": json.dumps(versions, sort_keys=True),
        "metgrad.table_identity": json.dumps(_table_identity(config), sort_keys=True),
    }
    elapsed = time.perf_counter() - start
    manifest = {
        "stage": "ingest",
        "config": config.to_dict(),
        "config_hash": chash,
        "table_identity": _table_identity(config),
        "versions": versions,
        "inputs": provenance,
        "executor": {"workers": workers, "scheduler": scheduler, "time_limit_s": time_limit},
        "counts": {
            "galaxies_ingested": len(galaxies),
            "galaxies_failed": len(failures_df),
            "galaxies_resumed": n_resumed,
            "galaxies_redone_inputs_changed": n_changed,
            "spaxels_selected": int(galaxies["n_selected"].sum()) if len(galaxies) else 0,
        },
        "elapsed_s": round(elapsed, 3),
    }
    _write_summaries(out_dir, galaxies, meta, failures_df, manifest)
    return IngestResult(
        out_dir=out_dir,
        galaxies=galaxies,
        failures=failures_df,
        n_resumed=n_resumed,
        elapsed_s=elapsed,
        n_changed=n_changed,
    )


def _table_identity(config: RunConfig) -> dict[str, object]:
    """What every spaxel table of a run shares: its configuration and code."""
    return {
        "config_hash": config_hash(config),
        "daptype": config.inputs.daptype,
        "match_radius_arcsec": config.match.radius_arcsec,
        "metgrad": __version__,
    }


def _run_tasks(todo, records, failures, workers, scheduler, progress, time_limit) -> None:
    """Ingest ``todo``: records and failures filled in; a full disk stops the run."""
    bar = _Progress(len(todo), progress)
    fatal = None
    by_key = {t.info.plateifu: t for t in todo}
    try:
        with open_executor(workers=workers, scheduler=scheduler, time_limit=time_limit) as ex:
            items = ((t.info.plateifu, t) for t in todo)
            for plateifu, result in ex.imap_unordered(ingest_galaxy, items, keep_lost=True):
                if isinstance(result, LostItem):  # the worker died or ran out of time
                    result = {
                        "status": "failed", "plateifu": plateifu, "stage": "worker",
                        "file": by_key[plateifu].maps_path.name, "reason": result.reason,
                    }  # fmt: skip
                if result["status"] == "done":
                    records[plateifu] = result["galaxy"]
                elif result["status"] == "fatal":
                    fatal = result["reason"]
                    break
                else:
                    failures.append({k: result[k] for k in _FAILURE_COLUMNS})
                bar.update(len(failures))
    finally:
        bar.close()
    if fatal is not None:
        raise OSError(fatal)


def _write_summaries(out_dir: Path, galaxies, meta, failures_df, manifest) -> None:
    """galaxies.parquet, failures.csv and manifest.json, each atomic; a full disk says so."""
    layout = RunLayout(out_dir)
    writes = (
        (layout.galaxies, lambda p: write_parquet_atomic(p, galaxies, metadata=meta)),
        (layout.failures, lambda p: write_csv_atomic(p, failures_df)),
        (layout.manifest, lambda p: write_json_atomic(p, manifest)),
    )
    for path, write in writes:
        try:
            write(path)
        except OSError as exc:
            raise _output_error(path, exc) from None


@dataclass(frozen=True)
class _Catalogues:
    """What the catalogues and folders say about the galaxies, for the per-galaxy checks."""

    drpall: pd.DataFrame  # plate-ifus listed once, indexed by plate-ifu
    repeated: pd.Series  # plate-ifu -> times listed, for those listed more than once
    match: object  # the GSWLC-2X match (metgrad.io.catalogs.match_gswlc)
    cubes: dict  # plate-ifu -> Pipe3D cubes found


def _catalogue_problem(plateifu, paths, found: _Catalogues, inp):
    """``(stage, file, reason)`` if the galaxy cannot be ingested from its catalogue rows."""
    drpall_name, gswlc_name = Path(inp.drpall).name, Path(inp.gswlc).name
    if len(paths) > 1:
        return "discover", paths[0].name, f"{len(paths)} MAPS files for this plate-ifu"
    if plateifu in found.repeated.index:
        return "catalog", drpall_name, (
            f"plate-ifu listed {found.repeated[plateifu]} times in drpall"
        )
    if plateifu not in found.drpall.index:
        return "catalog", drpall_name, "galaxy not in drpall"
    row = found.drpall.loc[plateifu]
    if not np.isfinite([row["ra"], row["dec"]]).all():
        return "catalog", drpall_name, "drpall position (objra, objdec) missing or out of range"
    m = found.match.table.loc[plateifu]
    if m["gswlc_row"] < 0:
        radius = found.match.radius_arcsec
        return "catalog", gswlc_name, f"no GSWLC-2X source within {radius:g} arcsec"
    if not np.isfinite(m["log_mstar_chabrier"]):
        return "catalog", gswlc_name, "GSWLC-2X stellar mass missing (-99)"
    cube = found.cubes.get(plateifu, [])
    if len(cube) != 1:
        return "discover", paths[0].name, (
            "no Pipe3D cube" if not cube else f"{len(cube)} Pipe3D cubes"
        )
    return None


def _galaxy_task(plateifu, maps_path, found: _Catalogues, config: RunConfig, out_dir: Path):
    """The :class:`GalaxyTask` of a galaxy that passed the catalogue checks, or a problem."""
    inp = config.inputs
    row, m = found.drpall.loc[plateifu], found.match.table.loc[plateifu]
    try:
        info = GalaxyInfo(
            plateifu, z=float(row["z"]), ba=float(row["ba"]),
            re_arcsec=float(row["re_arcsec"]),
            log_mstar=float(m["log_mstar_chabrier"])
            + float(np.log10(config.physics.chabrier_to_kroupa)),
        )  # fmt: skip
    except ValueError as exc:
        return "catalog", Path(inp.drpall).name, str(exc)
    catalog = {
        "mangaid": str(row["mangaid"]),
        "ra": float(row["ra"]),
        "dec": float(row["dec"]),
        "pa_deg": float(row["pa_deg"]),
        "log_mstar_chabrier": float(m["log_mstar_chabrier"]),
        "gswlc_sep_arcsec": float(m["sep_arcsec"]),
    }
    chash = config_hash(config)
    identity = {
        "config_hash": chash, "daptype": inp.daptype,
        "match_radius_arcsec": config.match.radius_arcsec, "metgrad": __version__,
        "galaxy": dataclasses.asdict(info), "catalog": catalog,
    }  # fmt: skip
    return GalaxyTask(
        info=info, maps_path=maps_path, pipe3d_path=found.cubes[plateifu][0],
        out_path=RunLayout(out_dir).spaxel_table(plateifu), catalog=catalog,
        selection=config.selection, physics=config.physics, config_hash=chash,
        daptype=inp.daptype, input_key=_input_key(identity),
    )  # fmt: skip
