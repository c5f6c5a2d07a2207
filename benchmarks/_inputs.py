"""Inputs shared by the benchmarks: a synthetic survey, its ingested run, and larger runs.

Generating a paper-sized synthetic survey (~5000 mock galaxies written as
gzipped DAP MAPS and Pipe3D files, then ingested) takes about 20 minutes on
2 cores, more than ``make bench`` may spend on everything. The analysis
benchmarks therefore build their inputs in two steps:

1. :func:`base_run`: ``metgrad mock`` + ``metgrad ingest`` of a few hundred
   distinct galaxies (cached in ``benchmarks/out/``, reused while the mock
   size and seed match);
2. :func:`replicated_run`: an ingested run of any size made of copies of those
   galaxies under new plate-ifus (plate + 1000 k for copy k), each copy
   keeping a random subset of its selected spaxels (``spaxel_fraction``) so
   that galaxies and spaxels can both match the paper's sample (2,123
   galaxies with 861,134 spaxels; the mock gives about twice the paper's
   spaxels per galaxy). Each copy has its own random streams (they are keyed
   by plate-ifu), so its bootstrap and noise refits differ.

The analysis does exactly the same work per galaxy and per spaxel on a copy
as on a new mock galaxy; only the sample's diversity is smaller.
``bench_analysis.py --survey`` still times a full-size distinct mock survey.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent / "out"
#: The paper's final sample (Boardman et al. 2022, §3.3).
PAPER_GALAXIES = 2123
PAPER_SPAXELS = 861134


def metgrad(*args: str) -> None:
    """Run a metgrad command in a subprocess; raise if it fails."""
    subprocess.run([sys.executable, "-m", "metgrad.cli", *args], check=True)


def survey_matches(folder: Path, n_galaxies: int, seed: int) -> bool:
    """``folder`` holds a complete mock survey of that size and seed."""
    toml = folder / "survey.toml"
    if not (toml.is_file() and (folder / "truth" / "galaxies.parquet").is_file()):
        return False
    mock = tomllib.loads(toml.read_text()).get("mock", {})
    return mock.get("galaxies") == n_galaxies and mock.get("seed") == seed


def run_complete(run_dir: Path, n_galaxies: int) -> bool:
    """Every galaxy of the survey is either ingested or listed in failures.csv."""
    if not (run_dir / "manifest.json").is_file() or not (run_dir / "galaxies.parquet").is_file():
        return False
    done = len(pd.read_parquet(run_dir / "galaxies.parquet", columns=["plateifu"]))
    failures = run_dir / "failures.csv"
    failed = len(pd.read_csv(failures)) if failures.is_file() else 0
    return done + failed == n_galaxies


def base_run(n_galaxies: int = 600, *, seed: int = 1, workers: int = 2) -> Path:
    """Ingested run of ``n_galaxies`` distinct mock galaxies (built once, then reused)."""
    survey = OUT / f"base-survey-{n_galaxies}-{seed}"
    run_dir = survey / "run"
    toml = survey / "survey.toml"
    stamp = run_dir / "bench-complete.json"
    if stamp.is_file() and toml.is_file():
        mock = tomllib.loads(toml.read_text()).get("mock", {})
        if mock.get("galaxies") == n_galaxies and mock.get("seed") == seed:
            return run_dir
    if survey.exists():
        shutil.rmtree(survey)
    metgrad("mock", "--galaxies", str(n_galaxies), "--seed", str(seed),
            "--workers", str(workers), "--out", str(survey))  # fmt: skip
    metgrad("ingest", str(toml), "--workers", str(workers), "--no-progress")
    stamp.write_text(json.dumps({"galaxies": n_galaxies, "seed": seed}))
    return run_dir


def replicated_run(
    base: Path, n_galaxies: int, *, spaxel_fraction: float = 1.0, seed: int = 7
) -> Path:
    """Ingested run of ``n_galaxies`` copies of the galaxies of ``base`` (built once).

    Copy k of galaxy ``PLATE-IFU`` is ``PLATE+1000k-IFU``; it keeps each
    selected spaxel with probability ``spaxel_fraction`` (rejected spaxels are
    dropped: the analysis never reads them). Galaxies and random draws come in
    a fixed order, so a run of N galaxies is the first N galaxies of any larger
    run with the same settings: when one exists, its files are hard-linked.
    """
    name_of = f"replicated-{base.parent.name}-{{}}-{spaxel_fraction:g}-{seed}".format
    out = OUT / name_of(n_galaxies)
    stamp = out / "bench-complete.json"
    if stamp.is_file():
        return out
    if out.exists():
        shutil.rmtree(out)
    (out / "spaxels").mkdir(parents=True)
    larger = sorted(
        (int(p.name.split("-")[-3]), p)
        for p in OUT.glob(name_of("*"))
        if (p / "bench-complete.json").is_file() and int(p.name.split("-")[-3]) > n_galaxies
    )
    if larger:
        source = larger[0][1]
        rows = pd.read_parquet(source / "galaxies.parquet").iloc[:n_galaxies]
        for name in rows["plateifu"]:
            os.link(source / "spaxels" / f"{name}.parquet", out / "spaxels" / f"{name}.parquet")
        rows.to_parquet(out / "galaxies.parquet")
        shutil.copy(source / "manifest.json", out / "manifest.json")
        stamp.write_text(json.dumps({"base": str(base), "galaxies": n_galaxies}))
        return out
    galaxies = pd.read_parquet(base / "galaxies.parquet")
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_galaxies):
        copy, g = divmod(i, len(galaxies))
        row = galaxies.iloc[g].copy()
        plate, ifu = str(row["plateifu"]).split("-")
        name = f"{int(plate) + 1000 * copy}-{ifu}"
        table = pq.read_table(base / "spaxels" / f"{row['plateifu']}.parquet")
        table = table.filter(table.column("selected"))
        if spaxel_fraction < 1.0:
            keep = rng.random(table.num_rows) < spaxel_fraction
            table = table.filter(pa.array(keep))
        index = table.schema.get_field_index("plateifu")
        table = table.set_column(
            index, "plateifu", pa.array([name] * table.num_rows, type=table.schema[index].type)
        )
        path = out / "spaxels" / f"{name}.parquet"
        pq.write_table(table, path)
        row["plateifu"] = name
        # what ingest records of each table, so the analysis accepts the copy
        row["spaxels_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        row["spaxels_rows"] = table.num_rows
        if copy and "mangaid" in row:  # another galaxy, not a repeat observation of this one
            row["mangaid"] = f"{row['mangaid']}-copy{copy}"
        rows.append(row)
    frame = pa.Table.from_pandas(pd.DataFrame(rows).reset_index(drop=True), preserve_index=False)
    base_meta = pq.read_schema(base / "galaxies.parquet").metadata or {}
    frame = frame.replace_schema_metadata({**(frame.schema.metadata or {}), **base_meta})
    pq.write_table(frame, out / "galaxies.parquet")
    shutil.copy(base / "manifest.json", out / "manifest.json")
    stamp.write_text(json.dumps({"base": str(base), "galaxies": n_galaxies}))
    return out


def paper_scale(base: Path) -> tuple[int, float]:
    """Copies and spaxel fraction that give a final sample of the paper's size.

    From the base run's own final M13 sample (``metgrad analyse`` of the base
    run, made here if missing): the share of ingested galaxies that reach the
    final sample, and its spaxels per final galaxy, against the paper's 2,123
    galaxies and 861,134 spaxels.
    """
    summary_path = base / "analysis" / "m13" / "summary.json"
    if not summary_path.is_file():
        metgrad("analyse", str(base), "--calibrator", "m13")
    summary = json.loads(summary_path.read_text())
    n_ingested = len(pd.read_parquet(base / "galaxies.parquet", columns=["plateifu"]))
    final_share = summary["n_galaxies_final"] / n_ingested
    per_galaxy = summary["n_spaxels_final"] / summary["n_galaxies_final"]
    n_galaxies = int(round(PAPER_GALAXIES / final_share, -2))
    fraction = round(min(1.0, (PAPER_SPAXELS / PAPER_GALAXIES) / per_galaxy), 3)
    return n_galaxies, fraction


def cpu_count() -> int:
    """CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


#: OpenBLAS settings that a machine may set in its environment to pin a (slower) kernel.
OPENBLAS_PINS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def cpu_model() -> str:
    """The processor's model name (first ``model name`` of /proc/cpuinfo; else platform's)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def blas_kernels() -> list[dict]:
    """The BLAS libraries loaded in this process (threadpoolctl): API, kernel, threads."""
    from threadpoolctl import threadpool_info

    return [
        {key: info.get(key) for key in ("internal_api", "architecture", "num_threads")}
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]


def blas_description(kernels: list[dict]) -> str:
    """Short text of `blas_kernels` output, e.g. ``openblas SkylakeX x2`` (distinct ones)."""
    seen = []
    for k in kernels:
        text = f"{k['internal_api']} {k['architecture']} x{k['num_threads']}"
        if text not in seen:
            seen.append(text)
    return ", ".join(seen) or "no BLAS loaded"


def openblas_pins() -> dict[str, str]:
    """The OpenBLAS kernel settings this process's environment sets (see `OPENBLAS_PINS`)."""
    return {name: os.environ[name] for name in OPENBLAS_PINS if name in os.environ}


def unpinned_environment() -> dict[str, str]:
    """This environment without `OPENBLAS_PINS`: a child started with it runs OpenBLAS at
    the kernel it detects for the processor (full speed)."""
    return {key: value for key, value in os.environ.items() if key not in OPENBLAS_PINS}


def machine_description() -> str:
    """One line naming the machine for every ratio: CPU model, cores, BLAS kernel, pins.

    For example ``AMD EPYC, 2 CPUs; BLAS: openblas SkylakeX x2; OPENBLAS_* unset``.
    """
    pins = openblas_pins()
    pinned = ", ".join(f"{k}={v}" for k, v in pins.items()) if pins else "OPENBLAS_* unset"
    return f"{cpu_model()}, {cpu_count()} CPUs; BLAS: {blas_description(blas_kernels())}; {pinned}"


def publish(path: Path, text: str) -> None:
    """Print a benchmark's Markdown section and write it to ``path`` (in benchmarks/out/)."""
    print(text)
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    print(f"wrote {path}")


def write_targets(name: str, rows: list[tuple[str, str, str, bool | None]]) -> None:
    """Record a benchmark's headline figures for the summary table of RESULTS.md.

    ``rows``: (what, measured, target, met) with met None where there is no target.
    """
    OUT.mkdir(exist_ok=True)
    (OUT / f"{name}.targets.json").write_text(json.dumps(rows))
