"""Time every registered calibrator with its propagated error on a million spaxels.

Usage::

    python benchmarks/bench_calibrators.py [--spaxels 1000000] [--repeats 3]

Draws observed DAP line fluxes spanning star-forming line ratios (seeded), then
times :func:`metgrad.physics.calibrators.estimate_all` (all 19 calibrators, dust
correction, errors through E(B-V), branches) and each calibrator's own
``estimate``. Reports wall and CPU (process) time, medians of the repeats: on a
shared machine the CPU time is the figure that does not depend on the other jobs.
Writes ``benchmarks/out/calibrators.md`` and ``calibrators.targets.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from metgrad.physics import calibrators

OUT = Path(__file__).resolve().parent / "out"
TARGET_CPU_S_PER_MILLION = 5.0


def draw_spaxels(n, seed=1):
    """Observed fluxes (Hb = 0.5-2) with line ratios spread over star-forming values."""
    rng = np.random.default_rng(seed)
    hb = rng.uniform(0.5, 2.0, n)
    ha = hb * rng.uniform(2.9, 5.0, n)
    fluxes = {
        "Hb-4862": hb,
        "Ha-6564": ha,
        "OIII-5008": hb * 10 ** rng.uniform(-0.8, 0.5, n),
        "NII-6585": ha * 10 ** rng.uniform(-1.3, -0.2, n),
        "OII-3727": hb * 10 ** rng.uniform(-0.4, 0.3, n),
        "SII-6718": ha * 10 ** rng.uniform(-1.0, -0.5, n),
    }
    fluxes["OII-3729"] = fluxes["OII-3727"] * rng.uniform(1.0, 1.5, n)
    fluxes["SII-6732"] = fluxes["SII-6718"] * rng.uniform(0.6, 0.9, n)
    fluxes["OIII-4960"] = 0.35 * fluxes["OIII-5008"]
    fluxes["NII-6549"] = 0.34 * fluxes["NII-6585"]
    errors = {name: 0.05 * flux for name, flux in fluxes.items()}
    return fluxes, errors


def timed(function, repeats):
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaxels", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    fluxes, errors = draw_spaxels(args.spaxels)
    per_million = 1e6 / args.spaxels
    wall, cpu, results = timed(
        lambda: calibrators.estimate_all(fluxes, errors, dust_correct=True), args.repeats
    )
    rows = []
    for name in calibrators.available():
        cal = calibrators.get(name)
        w, c, est = timed(lambda cal=cal: cal.estimate(fluxes, errors, dust_correct=True), 1)
        finite = float(np.isfinite(est.oh).mean())
        rows.append(f"| {name} | {w * per_million:.2f} | {c * per_million:.2f} | {finite:.2f} |")
    load = os.getloadavg()[0]
    lines = [
        f"## All {len(results)} calibrators with errors, {args.spaxels:,} spaxels",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}, numpy {np.__version__}; load average {load:.2f}",
        f"- estimate_all (dust correction, errors through E(B-V), branches), median of"
        f" {args.repeats}: wall {wall * per_million:.2f} s, CPU {cpu * per_million:.2f} s"
        " per million spaxels",
        "",
        "| calibrator alone (`estimate`) | wall s / 1e6 | CPU s / 1e6 | finite fraction |",
        "|---|---:|---:|---:|",
        *rows,
        "",
    ]
    OUT.mkdir(exist_ok=True)
    (OUT / "calibrators.md").write_text("\n".join(lines))
    targets = [
        [
            "all 19 calibrators with errors and dust correction, CPU s per million spaxels",
            f"{cpu * per_million:.2f} s (wall {wall * per_million:.2f} s at load {load:.1f})",
            f"<= {TARGET_CPU_S_PER_MILLION:g} s",
            cpu * per_million <= TARGET_CPU_S_PER_MILLION,
        ]
    ]
    (OUT / "calibrators.targets.json").write_text(json.dumps(targets))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
