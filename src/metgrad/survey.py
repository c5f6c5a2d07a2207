"""Many galaxies -> ``spaxels/`` (one Parquet file per galaxy), resumable and parallel.

:func:`run_ingest` finds every DAP MAPS file and Pipe3D cube under the
configured folders, matches the galaxies to drpall and GSWLC-2X, and maps
:func:`ingest_galaxy` over them through a :class:`~metgrad.parallel.GalaxyExecutor`
(serial, local processes, or Dask). Each galaxy's table is written atomically
to ``OUT/spaxels/PLATE-IFU.parquet`` with its galaxy-level record in the file's
metadata, so an interrupted run resumes by skipping finished galaxies (whose
configuration matches) without reading their tables. A galaxy that cannot be
processed is recorded with its reason in ``OUT/failures.csv`` and the run goes
on. At the end the run writes ``OUT/galaxies.parquet`` (one row per ingested
galaxy, sorted by plate-ifu) and ``OUT/manifest.json`` (configuration,
versions, input sizes and checksums, counts).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
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
from .io.pipe3d import read_pipe3d
from .parallel import open_executor
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


def _discover(folder: Path | None, pattern: re.Pattern, glob: str, daptype: str | None):
    found: dict[str, list[Path]] = {}
    if folder is None:
        return found
    if not folder.is_dir():
        raise InputFileError(folder, "input folder not found")
    for path in sorted(folder.rglob(glob)):
        m = pattern.match(path.name)
        if not m or (daptype is not None and m.group(3) != daptype):
            continue
        found.setdefault(f"{m.group(1)}-{m.group(2)}", []).append(path)
    return found


def discover_maps(folder: Path | None, daptype: str) -> dict[str, list[Path]]:
    """MAPS files of ``daptype`` under ``folder`` (recursive), keyed by plate-ifu."""
    return _discover(folder, _MAPS_NAME, "manga-*-MAPS-*.fits*", daptype)


def _daptypes(folder: Path) -> list[str]:
    """DAP types of the MAPS files under ``folder``, for an error message."""
    names = (_MAPS_NAME.match(p.name) for p in folder.rglob("manga-*-MAPS-*.fits*"))
    return sorted({m.group(3) for m in names if m})


def discover_pipe3d(folder: Path | None) -> dict[str, list[Path]]:
    """Pipe3D cubes under ``folder`` (recursive), keyed by plate-ifu."""
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


def _file_record(path: Path | None) -> dict[str, object]:
    if path is None:
        return {"file": "", "bytes": 0, "md5": ""}
    raw = Path(path).read_bytes()
    return {"file": Path(path).name, "bytes": len(raw), "md5": hashlib.md5(raw).hexdigest()}


def ingest_galaxy(task: GalaxyTask) -> dict[str, object]:
    """Build and write one galaxy's spaxel table; never raises for bad input.

    Returns
    -------
    dict
        ``{"status": "done", "galaxy": {...}}`` with the galaxy-level record,
        or ``{"status": "failed", "plateifu", "stage", "file", "reason"}``.
    """
    info = task.info
    stage, current = "read MAPS", task.maps_path
    try:
        maps_only = read_galaxy_files(task.maps_path, plateifu=info.plateifu)
        maps_rec = _file_record(task.maps_path)
        stage, current = "read Pipe3D", task.pipe3d_path
        pipe3d = read_pipe3d(task.pipe3d_path) if task.pipe3d_path is not None else None
        pipe_rec = _file_record(task.pipe3d_path)
        stage, current = "spaxels", task.maps_path
        files = GalaxyFiles(maps_only.dap, pipe3d)
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
            "pipe3d_file": pipe_rec["file"],
            "pipe3d_bytes": pipe_rec["bytes"],
            "pipe3d_md5": pipe_rec["md5"],
        }
        meta = {
            # keys in their natural order: a resumed run rebuilds galaxies.parquet from this
            # record, and its columns must come out in the same order as a fresh run's
            _META_KEY: json.dumps(galaxy),
            "metgrad.config_hash": task.config_hash,
            "metgrad.version": __version__,
        }
        stage = "write"
        # flushed to disk by run_ingest, all at once, before it writes galaxies.parquet
        write_arrow_atomic(
            task.out_path, st.to_arrow(metadata=meta), compression=SPAXEL_CODEC, durable=False
        )
        return {"status": "done", "galaxy": galaxy}
    except (InputFileError, ValueError, OSError) as exc:
        if isinstance(exc, InputFileError):  # the file the reader blames
            current = exc.path
        return {
            "status": "failed",
            "plateifu": info.plateifu,
            "stage": stage,
            "file": "" if current is None else Path(current).name,
            "reason": " ".join(str(exc).split()),
        }


def _finished_record(path: Path, wanted_hash: str) -> dict | None:
    """Galaxy record of a finished table written with the same configuration, else None."""
    if not path.is_file():
        return None
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, ValueError):
        return None
    if meta.get(b"metgrad.config_hash", b"").decode() != wanted_hash:
        return None
    raw = meta.get(_META_KEY.encode())
    return None if raw is None else json.loads(raw.decode())


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
        Galaxies skipped because a finished table already existed.
    elapsed_s : float
        Wall time of the run.
    """

    out_dir: Path
    galaxies: pd.DataFrame
    failures: pd.DataFrame
    n_resumed: int = 0
    elapsed_s: float = 0.0


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
    failures, tasks = [], []
    chash = config_hash(config)
    log_chab_to_kroupa = float(np.log10(config.physics.chabrier_to_kroupa))

    def fail(plateifu, stage, file, reason):
        failures.append({"plateifu": plateifu, "stage": stage, "file": file, "reason": reason})

    for plateifu in sorted(maps):
        paths = maps[plateifu]
        if len(paths) > 1:
            fail(
                plateifu, "discover", paths[0].name, f"{len(paths)} MAPS files for this plate-ifu"
            )
            continue
        if plateifu in repeated.index:
            reason = f"plate-ifu listed {repeated[plateifu]} times in drpall"
            fail(plateifu, "catalog", Path(inp.drpall).name, reason)
            continue
        if plateifu not in drpall.index:
            fail(plateifu, "catalog", Path(inp.drpall).name, "galaxy not in drpall")
            continue
        row = drpall.loc[plateifu]
        m = match.table.loc[plateifu]
        if m["gswlc_row"] < 0:
            fail(
                plateifu, "catalog", Path(inp.gswlc).name,
                f"no GSWLC-2X source within {match.radius_arcsec:g} arcsec",
            )  # fmt: skip
            continue
        if not np.isfinite(m["log_mstar_chabrier"]):
            fail(plateifu, "catalog", Path(inp.gswlc).name, "GSWLC-2X stellar mass missing (-99)")
            continue
        cube = cubes.get(plateifu, [])
        if len(cube) != 1:
            reason = "no Pipe3D cube" if not cube else f"{len(cube)} Pipe3D cubes"
            fail(plateifu, "discover", paths[0].name, reason)
            continue
        try:
            info = GalaxyInfo(
                plateifu,
                z=float(row["z"]),
                ba=float(row["ba"]),
                re_arcsec=float(row["re_arcsec"]),
                log_mstar=float(m["log_mstar_chabrier"]) + log_chab_to_kroupa,
            )
        except ValueError as exc:
            fail(plateifu, "catalog", Path(inp.drpall).name, str(exc))
            continue
        catalog = {
            "mangaid": str(row["mangaid"]),
            "ra": float(row["ra"]),
            "dec": float(row["dec"]),
            "pa_deg": float(row["pa_deg"]),
            "log_mstar_chabrier": float(m["log_mstar_chabrier"]),
            "gswlc_sep_arcsec": float(m["sep_arcsec"]),
        }
        tasks.append(
            GalaxyTask(
                info=info,
                maps_path=paths[0],
                pipe3d_path=cube[0],
                out_path=out_dir / "spaxels" / f"{plateifu}.parquet",
                catalog=catalog,
                selection=config.selection,
                physics=config.physics,
                config_hash=chash,
            )
        )
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

    Returns
    -------
    IngestResult

    Raises
    ------
    InputFileError, ValueError
        Only for problems that stop the whole run (unreadable catalogues,
        missing input folders, no MAPS file of ``inputs.daptype``); per-galaxy
        problems go to ``failures.csv``.
    """
    start = time.perf_counter()
    out_dir = Path(config.output.dir)
    spaxel_dir = out_dir / "spaxels"
    spaxel_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(spaxel_dir)
    remove_stale_temporaries(out_dir)
    tasks, failures, provenance = _catalog_tasks(config, out_dir)

    records: dict[str, dict] = {}
    todo = []
    for task in tasks:
        done = _finished_record(task.out_path, task.config_hash)
        if done is not None:
            records[task.info.plateifu] = done
        else:
            todo.append(task)
    n_resumed = len(records)

    bar = _Progress(len(todo), progress)
    try:
        with open_executor(workers=workers, scheduler=scheduler) as executor:
            items = ((t.info.plateifu, t) for t in todo)
            for plateifu, result in executor.imap_unordered(ingest_galaxy, items):
                if result["status"] == "done":
                    records[plateifu] = result["galaxy"]
                else:
                    failures.append({k: result[k] for k in _FAILURE_COLUMNS})
                bar.update(len(failures))
    finally:
        bar.close()

    # the tables of this run reach the disk before the summary that lists them
    sync_files(t.out_path for t in todo if t.info.plateifu in records)
    galaxies = pd.DataFrame([records[k] for k in sorted(records)])
    failures_df = pd.DataFrame(failures, columns=_FAILURE_COLUMNS)
    failures_df = failures_df.sort_values("plateifu", kind="stable").reset_index(drop=True)
    chash = config_hash(config)
    versions = package_versions()
    meta = {"metgrad.config_hash": chash, "metgrad.versions": json.dumps(versions, sort_keys=True)}
    write_parquet_atomic(out_dir / "galaxies.parquet", galaxies, metadata=meta)
    write_csv_atomic(out_dir / "failures.csv", failures_df)
    elapsed = time.perf_counter() - start
    manifest = {
        "stage": "ingest",
        "config": config.to_dict(),
        "config_hash": chash,
        "versions": versions,
        "inputs": provenance,
        "executor": {"workers": workers, "scheduler": scheduler},
        "counts": {
            "galaxies_ingested": len(galaxies),
            "galaxies_failed": len(failures_df),
            "galaxies_resumed": n_resumed,
            "spaxels_selected": int(galaxies["n_selected"].sum()) if len(galaxies) else 0,
        },
        "elapsed_s": round(elapsed, 3),
    }
    write_json_atomic(out_dir / "manifest.json", manifest)
    return IngestResult(
        out_dir=out_dir,
        galaxies=galaxies,
        failures=failures_df,
        n_resumed=n_resumed,
        elapsed_s=elapsed,
    )
