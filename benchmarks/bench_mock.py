"""The synthetic survey writer against the time ingest needs to read what it wrote (issue #17).

Usage::

    python benchmarks/bench_mock.py [--galaxies 30] [--repeats 3] [--seed 1] [--out DIR]

In one process, ``--repeats`` times, interleaved: write a ``--galaxies`` survey
serially with :func:`metgrad.mock.generate_survey` (every MAPS, Pipe3D and truth
file), then read every plate-ifu's two files as ingest does,
``metgrad.io.maps.read_dap_maps`` + ``metgrad.io.pipe3d.read_pipe3d``. Both are
timed per plate-ifu as CPU time of this process (the machine may be shared; the
wall-clock times are printed too). Target: the mock takes at most 3x the reading
time per galaxy. The benchmark may import the readers; the mock does not.

Writes ``benchmarks/out/mock.md`` and ``benchmarks/out/mock.targets.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 3.0


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (Linux), else platform.processor()."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_kernel() -> str:
    """The BLAS libraries loaded by numpy/scipy and their kernels (threadpoolctl)."""
    import numpy  # noqa: F401  (loads the BLAS)
    import scipy.linalg  # noqa: F401

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed (pip install threadpoolctl)"
    found = {
        f"{i.get('internal_api')} {i.get('version')} kernel {i.get('architecture')}, "
        f"{i.get('num_threads')} threads"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    }
    return "; ".join(sorted(found)) or "none loaded"


def timed(fn) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) of ``fn()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def one_round(config, out: Path) -> dict[str, float]:
    from metgrad.io.maps import read_dap_maps
    from metgrad.io.pipe3d import read_pipe3d
    from metgrad.mock import generate_survey

    if out.exists():
        shutil.rmtree(out)
    result = {}
    holder = {}

    def write():
        holder["galaxies"] = generate_survey(config, out).galaxies.to_pandas()

    result["mock_cpu"], result["mock_wall"] = timed(write)
    galaxies = holder["galaxies"]

    def read():
        for row in galaxies.itertuples():
            read_dap_maps(out / row.maps_path)
            read_pipe3d(out / row.pipe3d_path)

    result["read_cpu"], result["read_wall"] = timed(read)
    n = len(galaxies)
    result["n"] = n
    result["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {k: (v / n if k not in ("n", "bytes") else v) for k, v in result.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galaxies", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="survey folder (default: a temporary one)")
    args = parser.parse_args()
    if args.galaxies < 1 or args.repeats < 1:
        raise ValueError("--galaxies and --repeats must be >= 1")
    from metgrad.mock import MockConfig

    config = MockConfig(n_galaxies=args.galaxies, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="metgrad-bench-mock-") as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "survey"
        rounds = [one_round(config, out) for _ in range(args.repeats)]

    def med(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    ratio_cpu = med("mock_cpu") / med("read_cpu")
    ratio_wall = med("mock_wall") / med("read_wall")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"## mock vs ingest's reading, per plate-ifu ({args.galaxies} galaxies, "
        f"{rounds[0]['n']} plate-ifus, median of {args.repeats})",
        "",
        f"- CPU: {cpu_model()}, {os.cpu_count()} cores; BLAS: {blas_kernel()}",
        f"- Python {platform.python_version()}; load average {load} (1 / 5 / 15 min)",
        f"- mock (generate_survey, serial, gzip level {config.gzip_level}): "
        f"{1e3 * med('mock_cpu'):.0f} ms CPU, {1e3 * med('mock_wall'):.0f} ms wall per plate-ifu",
        f"- read (read_dap_maps + read_pipe3d): {1e3 * med('read_cpu'):.0f} ms CPU, "
        f"{1e3 * med('read_wall'):.0f} ms wall per plate-ifu",
        f"- **ratio mock / read: {ratio_cpu:.2f} (CPU), {ratio_wall:.2f} (wall)** "
        f"(target <= {TARGET_RATIO:g})",
        f"- written: {rounds[0]['bytes'] / rounds[0]['n'] / 1e6:.1f} MB per plate-ifu"
        " (files and truth)",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    target = Path(__file__).resolve().parent / "out"
    target.mkdir(exist_ok=True)
    (target / "mock.md").write_text(text + "\n")
    figures = [["mock / ingest read time per galaxy (CPU)", round(ratio_cpu, 2),
                f"<= {TARGET_RATIO:g}", ratio_cpu <= TARGET_RATIO]]  # fmt: skip
    (target / "mock.targets.json").write_text(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
