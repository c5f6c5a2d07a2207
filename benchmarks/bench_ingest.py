"""Time ``ingest_galaxy`` per galaxy against the I/O floor, and whole runs on 1 and 2 workers.

Usage::

    python benchmarks/bench_ingest.py [--galaxies 40] [--seed 1] [--repeats 5]
                                      [--run-repeats 3] [--run-galaxies 150]
                                      [--survey /tmp/metgrad-bench-ingest]
                                      [--profile]

1. Writes (or reuses) a synthetic survey of ``--galaxies`` galaxies.
2. Per galaxy, the median of ``--repeats`` timings of

   - ingest: :func:`metgrad.survey.ingest_galaxy` (checksums, both readers, the
     spaxel table, the atomic Parquet write), serially in this process;
   - floor: decompress the MAPS file and the Pipe3D cube with the decompressor
     metgrad uses (:func:`metgrad.io.fitsfile.gunzip`, zlib-ng) and have astropy read
     just the HDUs the readers use into numpy arrays (``EMLINE_GFLUX``,
     ``EMLINE_SFLUX``, ``EMLINE_SEW`` each with ``_IVAR`` and ``_MASK``,
     ``SPX_ELLCOO``, ``BINID``, ``SPX_SNR``; ``SSP``, ``INDICES``, ``SELECT_REG``);
   - the same floor with the standard library's ``gzip.decompress``,

   and their ratios (target: ingest within 1.5x of the floor with the same
   decompressor).
3. Where ingest spends its time: the same stages timed one by one, decompression
   alone, and a cProfile of ingest over every galaxy when the ratio is above 1.5
   (or with ``--profile``).
4. Parquet options on the same spaxel tables (codec, dictionary encoding, float32
   storage): ms to write and KB per galaxy, the evidence for the writer's settings.
5. Whole ``run_ingest`` runs on a survey of ``--run-galaxies`` galaxies (written or
   reused beside ``--survey``; median of ``--run-repeats``, interleaved): 1 process,
   2 processes, a 2-worker Dask ``LocalCluster`` that the run starts and closes
   (``--scheduler local``), and one started before the timing (a scheduler address).
   Each gets its wall time and the CPU time of this process and of the workers (and
   from these the speed-up two free cores would give). Beside every repeat, the same
   two processes read the survey's files alone (the I/O floor) and run a pure-Python
   loop: what the machine's two CPUs, memory and page cache give at the time (a
   virtual machine's CPUs may be shared or hyperthreads). Near-linear: a wall-clock
   speed-up of at least 1.7x, or at least 90% of the floor's own at the time.

Prints the tables and writes them to ``benchmarks/out/ingest.md`` (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import gzip
import io
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import astropy
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from astropy.io import fits

from metgrad.atomic import write_arrow_atomic
from metgrad.config import RunConfig, load_config
from metgrad.io.fitsfile import gunzip, read_bytes
from metgrad.io.maps import read_dap_maps
from metgrad.io.pipe3d import read_pipe3d
from metgrad.mock import MockConfig, generate_survey
from metgrad.parallel import open_executor
from metgrad.spaxels import spaxel_table
from metgrad.survey import (
    SPAXEL_CODEC,
    GalaxyTask,
    _catalog_tasks,  # the task list run_ingest maps (private, but exactly what is timed)
    _file_record,
    ingest_galaxy,
    run_ingest,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _inputs

MAPS_HDUS = (
    "SPX_ELLCOO", "SPX_SNR", "BINID",
    "EMLINE_GFLUX", "EMLINE_GFLUX_IVAR", "EMLINE_GFLUX_MASK",
    "EMLINE_SFLUX", "EMLINE_SFLUX_IVAR", "EMLINE_SFLUX_MASK",
    "EMLINE_SEW", "EMLINE_SEW_IVAR", "EMLINE_SEW_MASK",
)  # fmt: skip
PIPE3D_HDUS = ("SSP", "INDICES", "SELECT_REG")
TARGET_RATIO = 1.5
OUT_MD = Path(__file__).resolve().parent / "out" / "ingest.md"


def read_floor(path: Path, extnames: tuple[str, ...], decompress=None) -> list[np.ndarray]:
    """Decompress one file and read the named HDUs' data into numpy arrays (the floor)."""
    data = path.read_bytes()
    raw = gunzip(data, path) if decompress is None else decompress(data)
    with fits.open(io.BytesIO(raw), memmap=False) as hdul:
        return [np.asarray(hdul[name].data) for name in extnames]


def floor(task: GalaxyTask, decompress=None) -> None:
    read_floor(task.maps_path, MAPS_HDUS, decompress)
    read_floor(task.pipe3d_path, PIPE3D_HDUS, decompress)


def floor_stdlib(task: GalaxyTask) -> None:
    floor(task, gzip.decompress)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def ensure_survey(folder: Path, n_galaxies: int, seed: int) -> Path:
    """The survey's ``survey.toml``; the survey is (re)written unless it matches."""
    toml = folder / "survey.toml"
    if toml.is_file():
        mock = tomllib.loads(toml.read_text()).get("mock", {})
        if mock.get("galaxies") == n_galaxies and mock.get("seed") == seed:
            return toml
        shutil.rmtree(folder)
    print(f"writing a synthetic survey of {n_galaxies} galaxies to {folder} ...", flush=True)
    with open_executor(workers=min(2, os.cpu_count() or 1)) as executor:
        generate_survey(MockConfig(n_galaxies=n_galaxies, seed=seed), folder, executor=executor)
    return toml


def with_output(config: RunConfig, out: Path) -> RunConfig:
    return dataclasses.replace(config, output=dataclasses.replace(config.output, dir=out))


def per_galaxy_timings(tasks: list[GalaxyTask], repeats: int) -> list[dict]:
    ingest_galaxy(tasks[0])  # warm-up: imports, caches
    floor(tasks[0])
    floor_stdlib(tasks[0])
    kinds = {"ingest": ingest_galaxy, "floor": floor, "floor_stdlib": floor_stdlib}
    times = {t.info.plateifu: {k: [] for k in kinds} for t in tasks}
    for _ in range(repeats):  # interleaved, so all see the same machine load
        # each repeat writes new tables, as a fresh run does (replacing a file costs more:
        # the old one's blocks are freed, and discarded on a disk mounted with discard)
        shutil.rmtree(tasks[0].out_path.parent, ignore_errors=True)
        for task in tasks:
            entry = times[task.info.plateifu]
            for kind, fn in kinds.items():
                entry[kind].append(timed(fn, task))
    rows = []
    for task in tasks:
        entry = times[task.info.plateifu]
        ingest_s, floor_s, stdlib_s = (statistics.median(entry[k]) for k in kinds)
        header = fits.getheader(task.maps_path, "SPX_ELLCOO")
        ny, nx = header["NAXIS2"], header["NAXIS1"]
        rows.append(
            {
                "plateifu": task.info.plateifu,
                "grid": f"{ny}x{nx}",
                "mb": (task.maps_path.stat().st_size + task.pipe3d_path.stat().st_size) / 1e6,
                "ingest_ms": 1e3 * ingest_s,
                "floor_ms": 1e3 * floor_s,
                "floor_stdlib_ms": 1e3 * stdlib_s,
                "ratio": ingest_s / floor_s,
            }
        )
    return rows


def stage_timings(tasks: list[GalaxyTask]) -> tuple[dict[str, float], list[pa.Table]]:
    """Mean ms per galaxy of each stage of ingest_galaxy, timed separately; and the tables."""
    totals = dict.fromkeys(
        ("checksums", "read MAPS", "read Pipe3D", "spaxel table", "to Arrow, write Parquet"), 0.0
    )
    decompress = 0.0
    tables = []
    scratch = Path(tempfile.mkdtemp(prefix="metgrad-bench-stage-"))
    try:
        for task in tasks:
            start = time.perf_counter()
            _file_record(task.maps_path)
            _file_record(task.pipe3d_path)
            t1 = time.perf_counter()
            dap = read_dap_maps(task.maps_path)
            t2 = time.perf_counter()
            cube = read_pipe3d(task.pipe3d_path)
            t3 = time.perf_counter()
            st = spaxel_table(dap, task.info, cube, selection=task.selection,
                              physics_config=task.physics)  # fmt: skip
            t4 = time.perf_counter()
            table = st.to_arrow()
            write_arrow_atomic(scratch / f"{task.info.plateifu}.parquet", table,
                               compression=SPAXEL_CODEC, durable=False)  # fmt: skip
            t5 = time.perf_counter()
            for key, dt in zip(totals, (t1 - start, t2 - t1, t3 - t2, t4 - t3, t5 - t4),
                               strict=True):  # fmt: skip
                totals[key] += dt
            decompress += timed(read_bytes, task.maps_path) + timed(read_bytes, task.pipe3d_path)
            tables.append(table)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out = {k: 1e3 * v / len(tasks) for k, v in totals.items()}
    out["sum of the stages"] = sum(out.values())
    out["decompression alone (both files; part of read MAPS and read Pipe3D)"] = (
        1e3 * decompress / len(tasks)
    )
    return out, tables


def _float32(table: pa.Table) -> pa.Table:
    fields = [pa.field(f.name, pa.float32()) if pa.types.is_float64(f.type) else f
              for f in table.schema]  # fmt: skip
    schema = pa.schema(fields)
    return table.cast(schema)


def parquet_options(tables: list[pa.Table], repeats: int = 3) -> list[tuple[str, float, float]]:
    """(option, ms to write one table, KB per table) for Parquet settings, median of repeats.

    The first row is how ``ingest_galaxy`` writes (:data:`metgrad.survey.SPAXEL_CODEC`,
    without the temporary file and rename, which every option pays alike).
    """
    arrow32 = [_float32(t) for t in tables]
    not_float = [f.name for f in tables[0].schema if not pa.types.is_floating(f.type)]
    options = {
        "lz4, dictionary on non-float columns (metgrad)": (tables, {"compression": "lz4",
                                                          "use_dictionary": not_float}),
        "zstd, dictionary on non-float columns": (tables, {"compression": "zstd",
                                                  "use_dictionary": not_float}),
        "zstd, dictionary on every column (pyarrow default)": (tables, {"compression": "zstd"}),
        "snappy, dictionary on non-float columns": (tables, {"compression": "snappy",
                                                    "use_dictionary": not_float}),
        "uncompressed, dictionary on non-float columns": (tables, {"compression": "none",
                                                          "use_dictionary": not_float}),
        "zstd, non-float dictionary, float32 values": (arrow32, {"compression": "zstd",
                                                        "use_dictionary": not_float}),
    }  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in options}
    sizes: dict[str, float] = {}
    scratch = Path(tempfile.mkdtemp(prefix="metgrad-bench-parquet-"))
    try:
        for _ in range(repeats):  # interleaved
            for name, (tabs, kwargs) in options.items():
                start = time.perf_counter()
                for i, table in enumerate(tabs):
                    pq.write_table(table, scratch / f"{i}.parquet", **kwargs)
                times[name].append((time.perf_counter() - start) / len(tabs))
                sizes[name] = sum(
                    (scratch / f"{i}.parquet").stat().st_size for i in range(len(tabs))
                ) / len(tabs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return [(n, 1e3 * statistics.median(times[n]), sizes[n] / 1e3) for n in options]


def profile_ingest(tasks: list[GalaxyTask], n_lines: int = 20) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for task in tasks:
        ingest_galaxy(task)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(n_lines)
    stats.sort_stats("tottime").print_stats(n_lines)
    lines = [ln for ln in text.getvalue().splitlines() if ln.strip()]
    return "\n".join(lines)


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def cpu_speedup(n: int = 2_000_000, tasks: int = 8) -> float:
    """Speed-up of 2 processes over 1 on a pure-Python loop: what the machine gives now.

    The two CPUs of a virtual machine may be two threads of one physical core, or
    shared with other machines; this is measured beside every repeat of the runs.
    """
    start = time.perf_counter()
    for _ in range(tasks):
        _spin(n)
    serial = time.perf_counter() - start
    with open_executor(workers=2) as executor:
        list(executor.imap_unordered(_spin, ((k, 1) for k in range(2))))  # workers started
        start = time.perf_counter()
        list(executor.imap_unordered(_spin, ((k, n) for k in range(tasks))))
        parallel = time.perf_counter() - start
    return serial / parallel


def floor_speedup(tasks: list[GalaxyTask]) -> float:
    """Speed-up of 2 processes over 1 on the I/O floor of ``tasks``: decompressing the
    files and reading the HDUs ingest uses, the part of ingest that costs memory
    bandwidth and page-cache reads, which two CPUs of one machine share."""
    start = time.perf_counter()
    for task in tasks:
        floor(task)
    serial = time.perf_counter() - start
    with open_executor(workers=2) as executor:
        list(executor.imap_unordered(_spin, ((k, 1) for k in range(2))))  # workers started
        start = time.perf_counter()
        list(executor.imap_unordered(floor, ((t.info.plateifu, t) for t in tasks)))
        parallel = time.perf_counter() - start
    return serial / parallel


RUNS = {  # label: (workers, scheduler); "running": a LocalCluster started before the timing
    "1 process": (1, None),
    "2 processes": (2, None),
    "Dask LocalCluster, 2 workers, started by the run": (2, "local"),
    "Dask LocalCluster, 2 workers, already running": (2, "running"),
}
DASK_OWN, DASK_RUNNING = list(RUNS)[2:]
#: Speed-up from 1 to 2 workers that counts as near-linear here (85% of linear) ...
NEAR_LINEAR = 1.7
#: ... or this share of what 2 processes gave, at the same time, to reading the files alone
#: (the I/O floor): ingest cannot scale better than its own reads on a shared machine.
FLOOR_SHARE = 0.9


#: Run in a process of its own: a 2-worker LocalCluster as metgrad starts one, its
#: workers past their imports (as a long-running cluster's are); prints the scheduler's
#: address and keeps the cluster until its standard input closes.
_CLUSTER_PROCESS = """
import importlib, sys
import dask
from dask.distributed import Client, LocalCluster
from metgrad.parallel import LOCAL_CLUSTER_CONFIG
if __name__ == "__main__":
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=":0")
    with Client(cluster) as client:
        client.run(importlib.import_module, "metgrad.survey")
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()
    cluster.close()
"""


@contextlib.contextmanager
def _running_cluster():
    """A running cluster outside this process: yields its address and a function giving
    the CPU seconds used so far by its processes (scheduler, nannies, workers).

    Not in this process, because a second cluster and client beside the ones a run
    starts share its event loop, which is not what a user's run meets (it once hung a
    run of this benchmark).
    """
    import psutil

    proc = subprocess.Popen(
        [sys.executable, "-c", _CLUSTER_PROCESS],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        address = proc.stdout.readline().strip()
        if not address:
            raise RuntimeError("the Dask cluster process did not start")
        root = psutil.Process(proc.pid)

        def cpu_seconds() -> float:
            total = 0.0
            for p in [root, *root.children(recursive=True)]:
                try:
                    times = p.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system
            return total

        yield address, cpu_seconds
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def _cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """User + system CPU seconds of this process (or of its reaped children)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@dataclasses.dataclass
class RunTiming:
    """Medians over the repeats of one executor's whole runs."""

    wall_s: float
    main_cpu_s: float  # this process: the run's own work, the client, a local scheduler
    worker_cpu_s: float  # the workers (pool processes; Dask workers, nannies, scheduler)

    def free_cores_s(self, workers: int) -> float:
        """Wall time on ``workers`` free cores if the workers' CPU time divides evenly and
        none of this process's overlaps with it (an upper bound)."""
        return self.main_cpu_s + self.worker_cpu_s / workers

    def free_cores_speedup(self, serial: RunTiming, workers: int) -> float:
        """Speed-up over the 1-process run ``serial`` on ``workers`` free cores."""
        return serial.main_cpu_s / self.free_cores_s(workers)


def whole_runs(
    config: RunConfig, repeats: int
) -> tuple[dict[str, RunTiming], dict[str, float]]:
    """Wall and CPU time of a fresh run_ingest for each of RUNS (medians of ``repeats``,
    interleaved), and the median 2-process speed-ups the machine gave beside them to a
    pure-Python loop (``cpu``) and to reading the same survey's files (``floor``).

    Worker CPU time: the pool's processes and a Dask cluster started by the run are
    children of this process, counted once they exit (``RUSAGE_CHILDREN``); the
    processes of the running cluster (its scheduler, nannies and workers) are read
    before and after the run.
    """
    samples: dict[str, list[tuple[float, float, float]]] = {label: [] for label in RUNS}
    machine: dict[str, list[float]] = {"cpu": [], "floor": []}
    scratch = Path(tempfile.mkdtemp(prefix="metgrad-bench-run-"))
    try:
        tasks = [t for t in _catalog_tasks(config, scratch / "plan")[0] if t.pipe3d_path]
        with _running_cluster() as (address, cluster_cpu):
            for r in range(repeats):
                machine["cpu"].append(cpu_speedup())
                machine["floor"].append(floor_speedup(tasks))
                for label, (workers, scheduler) in RUNS.items():
                    running = scheduler == "running"
                    if running:
                        scheduler = address
                    run_dir = scratch / f"run-{r}"
                    remote = cluster_cpu() if running else 0.0
                    main, children = _cpu_seconds(), _cpu_seconds(resource.RUSAGE_CHILDREN)
                    start = time.perf_counter()
                    run_ingest(with_output(config, run_dir), workers=workers,
                               scheduler=scheduler, progress=False)  # fmt: skip
                    wall = time.perf_counter() - start
                    main = _cpu_seconds() - main
                    worker = _cpu_seconds(resource.RUSAGE_CHILDREN) - children
                    if running:
                        worker += cluster_cpu() - remote
                    samples[label].append((wall, main, worker))
                    shutil.rmtree(run_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    runs = {
        label: RunTiming(*(statistics.median(column) for column in zip(*rows, strict=True)))
        for label, rows in samples.items()
    }
    return runs, {key: statistics.median(values) for key, values in machine.items()}


def cluster_start(repeats: int) -> float:
    """Median seconds to start and close a 2-worker LocalCluster with no work."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with open_executor(workers=2, scheduler="local"):
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(rows, stages, options, runs, n_tasks, args, profile_text, machine) -> str:
    total_ingest = sum(r["ingest_ms"] for r in rows)
    total_floor = sum(r["floor_ms"] for r in rows)
    total_stdlib = sum(r["floor_stdlib_ms"] for r in rows)
    ratio = total_ingest / total_floor
    load = os.getloadavg()
    lines = [
        f"## ingest per galaxy vs the I/O floor ({n_tasks} galaxies, median of {args.repeats})",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, numpy {np.__version__}, astropy {astropy.__version__}, "
        f"pyarrow {pa.__version__}; load average at the end {load[0]:.1f} / {load[1]:.1f} "
        "(1 / 5 min)",
        f"- survey: metgrad mock --galaxies {args.galaxies} --seed {args.seed} ({args.survey})",
        f"- ingest total {total_ingest / 1e3:.2f} s, floor total {total_floor / 1e3:.2f} s: "
        f"**ratio {ratio:.2f}** (target <= {TARGET_RATIO}); median per-galaxy ratio "
        f"{statistics.median(r['ratio'] for r in rows):.2f}",
        f"- the floor with the standard library's gzip.decompress instead: total "
        f"{total_stdlib / 1e3:.2f} s, ingest / that floor {total_ingest / total_stdlib:.2f}",
        "",
        "| plate-ifu | grid | MB (gz) | ingest ms | floor ms | ratio | floor ms, stdlib gzip |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['plateifu']} | {r['grid']} | {r['mb']:.2f} | {r['ingest_ms']:.0f} "
            f"| {r['floor_ms']:.0f} | {r['ratio']:.2f} | {r['floor_stdlib_ms']:.0f} |"
        )
    lines += [
        "",
        "### Stages of ingest_galaxy, timed separately (mean ms per galaxy)",
        "",
        "| stage | ms |",
        "|---|---:|",
        *(f"| {k} | {v:.1f} |" for k, v in stages.items()),
        f"| floor (decompress + needed HDUs) | {total_floor / len(rows):.1f} |",
        f"| floor with the standard library's gzip | {total_stdlib / len(rows):.1f} |",
        "",
        "### Parquet options on the same tables (write only; median of 3)",
        "",
        "| option | ms per table | KB per table |",
        "|---|---:|---:|",
        *(f"| {name} | {ms:.2f} | {kb:.0f} |" for name, ms, kb in options),
        "",
        f"### Whole run_ingest (a survey of {args.run_galaxies} mock galaxies, fresh output, "
        f"median of {args.run_repeats}, interleaved)",
        "",
        f"- beside every repeat (medians), on 2 processes rather than 1: reading the same "
        f"survey's files alone (the I/O floor) ran {machine['floor_speedup']:.2f}x faster, "
        f"a pure-Python CPU loop {machine['cpu_speedup']:.2f}x: what this machine's two "
        "CPUs, and its memory and page cache, gave at the time (2 on two idle physical "
        "cores with memory to spare; two virtual CPUs may be shared or hyperthreads)",
        f"- starting and closing a 2-worker LocalCluster alone takes "
        f"{machine['cluster_s']:.2f} s, and its workers then import metgrad (astropy, "
        "pandas, pyarrow: about 2 s, on both cores at once); both are in the row "
        '"started by the run". The row "already running" uses a cluster started '
        "before the timing, whose workers have imported metgrad, as a long-lived "
        "cluster's have",
        "- Dask gets the galaxies in tasks of up to 16, large ones first and single "
        "galaxies last (metgrad.parallel.dask_chunk_sizes), "
        "and metgrad's own LocalCluster turns off the workers' statistical profiler "
        "(15-20% of their CPU time on this work)",
        "",
        "- speed-up on two free cores: the 1-process run's CPU time over (this process's "
        "CPU time + the workers' CPU time / 2), i.e. what two idle cores would give the "
        "same work, without the share of the machine that other jobs took (an upper "
        "bound on the time, so a lower bound on the speed-up: it counts all of this "
        "process's CPU, which includes the client and a local cluster's scheduler, as "
        "if none of it overlapped the workers)",
        "",
        "| executor | wall s | s per mock galaxy | speed-up (wall) | CPU s, this process "
        "| CPU s, workers | speed-up on two free cores |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    one = runs["1 process"]
    for label, run in runs.items():
        free = run.free_cores_speedup(one, RUNS[label][0])
        lines.append(
            f"| {label} | {run.wall_s:.2f} | {run.wall_s / args.run_galaxies:.3f} "
            f"| {one.wall_s / run.wall_s:.2f} | {run.main_cpu_s:.2f} | {run.worker_cpu_s:.2f} "
            f"| {free:.2f} |"
        )
    if profile_text:
        lines += ["", "### cProfile of ingest_galaxy over every galaxy",
                  "", "```", profile_text, "```"]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galaxies", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5, help="timings per galaxy")
    parser.add_argument("--run-repeats", type=int, default=3, help="whole runs per executor")
    parser.add_argument(
        "--run-galaxies",
        type=int,
        default=150,
        help="mock galaxies of the survey of the whole runs (enough that starting the "
        "workers does not dominate)",
    )
    parser.add_argument("--survey", type=Path, default=Path("/tmp/metgrad-bench-ingest"))
    parser.add_argument("--profile", action="store_true", help="cProfile even below target")
    args = parser.parse_args()

    toml = ensure_survey(args.survey, args.galaxies, args.seed)
    config = load_config(toml)
    scratch = Path(tempfile.mkdtemp(prefix="metgrad-bench-ingest-"))
    try:
        tasks, failures, _ = _catalog_tasks(config, scratch)
        print(f"{len(tasks)} galaxies to ingest ({len(failures)} fail at the catalogue stage)")
        rows = per_galaxy_timings(tasks, args.repeats)
        stages, tables = stage_timings(tasks)
        options = parquet_options(tables)
        ratio = sum(r["ingest_ms"] for r in rows) / sum(r["floor_ms"] for r in rows)
        profile_text = profile_ingest(tasks) if ratio > TARGET_RATIO or args.profile else ""
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    run_survey = args.survey.with_name(args.survey.name + "-runs")
    runs, speedups_at_the_time = whole_runs(
        load_config(ensure_survey(run_survey, args.run_galaxies, args.seed)), args.run_repeats
    )
    machine = {
        "cpu_speedup": speedups_at_the_time["cpu"],
        "floor_speedup": speedups_at_the_time["floor"],
        "cluster_s": cluster_start(args.run_repeats),
    }
    text = report(rows, stages, options, runs, len(tasks), args, profile_text, machine)
    one = runs["1 process"]
    reference = machine["floor_speedup"]
    near = (f"near-linear: >= {NEAR_LINEAR}x, or >= {FLOOR_SHARE:.0%} of the speed-up "
            "of reading the files alone at the time")  # fmt: skip

    def speedups(label: str) -> tuple[str, bool]:
        run = runs[label]
        wall = one.wall_s / run.wall_s
        free = run.free_cores_speedup(one, RUNS[label][0])
        text = (f"{wall:.2f}x wall; reading the files alone: {reference:.2f}x at the time "
                f"({wall / reference:.0%} of it); {free:.2f}x on two free cores from the CPU "
                "times")  # fmt: skip
        return text, bool(wall >= NEAR_LINEAR or wall >= FLOOR_SHARE * reference)

    two, two_met = speedups("2 processes")
    dask, dask_met = speedups(DASK_RUNNING)
    _inputs.write_targets("ingest", [
        ("ingest / I/O floor, per galaxy (median of repeats)", f"{ratio:.2f}", "<= 1.5",
         bool(ratio <= TARGET_RATIO)),
        (f"whole run of {args.run_galaxies} galaxies, 1 -> 2 processes", two, near, two_met),
        ("the same, 1 process -> a running 2-worker Dask LocalCluster", dask, near, dask_met),
        ("the same, 1 process -> a 2-worker Dask LocalCluster the run starts",
         f"{one.wall_s / runs[DASK_OWN].wall_s:.2f}x wall (its {machine['cluster_s']:.1f} s "
         "start and close and the workers' imports included)", "reported", None),
    ])  # fmt: skip
    _inputs.publish(OUT_MD, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
