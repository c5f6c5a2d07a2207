"""Time every registered calibrator with its propagated error on a million spaxels.

Usage::

    python benchmarks/bench_calibrators.py [--spaxels 1000000] [--repeats 3]
    python benchmarks/bench_calibrators.py --per-galaxy MAPS_DIR [--save F | --compare F]

Draws observed DAP line fluxes spanning star-forming line ratios (seeded), then
times :func:`metgrad.physics.calibrators.estimate_all` (all 19 calibrators, dust
correction, errors through E(B-V), branches) and each calibrator's own
``estimate``. Reports wall and CPU (process) time, medians of the repeats: on a
shared machine the CPU time is the figure that does not depend on the other jobs.
Writes ``benchmarks/out/calibrators.md`` and ``calibrators.targets.json``.

With ``--per-galaxy``, times instead the calibrator step of ingest as ingest runs it:
one :func:`~metgrad.physics.calibrators.estimate_all` call per MAPS file found under
the folder (its covered spaxels, every usable calibrator), CPU time per galaxy
(best of the repeats). ``--save`` keeps every calibrator's oh, error and branch in an
``.npz`` file, and ``--compare`` reports the largest difference from such a file and
any change of the NaN pattern or the branches (to check that a faster version gives
the same numbers).
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


def galaxy_inputs(folder):
    """(plate-ifu, fluxes, errors) of each MAPS file's covered spaxels, as ingest reads them."""
    from metgrad.io.maps import read_dap_maps
    from metgrad.io.maskbits import has_bits
    from metgrad.spaxels import _channel_fluxes

    inputs = []
    for path in sorted(Path(folder).rglob("manga-*-MAPS-*.fits*")):
        dap = read_dap_maps(path)
        covered = ~has_bits(dap.gflux["Ha-6564"].mask, "NOCOV")
        inputs.append((path.name.split("-MAPS")[0], *_channel_fluxes(dap, covered)))
    return inputs


def per_galaxy(args) -> int:
    """CPU time of estimate_all per galaxy; save or compare its results."""
    inputs = galaxy_inputs(args.per_galaxy)
    if not inputs:
        raise SystemExit(f"no MAPS files under {args.per_galaxy}")
    calibrators.estimate_all(inputs[0][1], inputs[0][2], dust_correct=True)  # compile, warm
    best, results = float("inf"), None
    for _ in range(args.repeats):
        cpu = time.process_time()
        results = [calibrators.estimate_all(f, e, dust_correct=True) for _, f, e in inputs]
        best = min(best, time.process_time() - cpu)
    spaxels = sum(next(iter(f.values())).size for _, f, _ in inputs)
    print(f"{len(inputs)} galaxies, {spaxels} spaxels: estimate_all CPU {best:.3f} s, "
          f"{1e3 * best / len(inputs):.2f} ms per galaxy (best of {args.repeats})")  # fmt: skip
    arrays = {
        f"{galaxy}/{name}/{part}": getattr(estimate, part)
        for (galaxy, _, _), result in zip(inputs, results, strict=True)
        for name, estimate in result.items()
        for part in ("oh", "error", "branch")
    }
    if args.save:
        np.savez_compressed(args.save, **arrays)
    if args.compare:
        compare(np.load(args.compare), arrays)
    return 0


def compare(reference, arrays):
    """Print the largest |difference| of the finite values and every other mismatch."""
    if set(reference.files) != set(arrays):
        print(f"different calibrators or galaxies: {set(reference.files) ^ set(arrays)}")
    worst, mismatches = 0.0, 0
    for key in sorted(set(reference.files) & set(arrays)):
        old, new = reference[key], arrays[key]
        if key.endswith("/branch"):
            same = np.array_equal(old, new)
        else:
            same = np.array_equal(np.isnan(old), np.isnan(new))
            finite = np.isfinite(old) & np.isfinite(new)
            if finite.any():
                worst = max(worst, float(np.max(np.abs(old[finite] - new[finite]))))
        if not same:
            mismatches += 1
            print(f"{key}: NaN pattern or branches differ")
    print(f"compared {len(arrays)} arrays: max |diff| {worst:.3e}, mismatches {mismatches}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaxels", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--per-galaxy", metavar="MAPS_DIR", help="time ingest's step per galaxy")
    parser.add_argument("--save", metavar="NPZ", help="with --per-galaxy: keep the results")
    parser.add_argument("--compare", metavar="NPZ", help="with --per-galaxy: compare results")
    args = parser.parse_args()
    if args.per_galaxy:
        return per_galaxy(args)
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
