"""Re-run mutmut's surviving mutants each in a fresh interpreter (``make mutation``).

mutmut 3 forks every mutant's test run from a process that has already imported
metgrad, so two kinds of mutant can survive there without being tested at all:

- code that runs at import time (e.g. the calibrator registry filled by
  ``c20._build`` when ``metgrad.physics.calibrators.c20`` is imported): the mutant is
  only switched on after the import;
- results memoised before the fork (``functools.lru_cache``, e.g.
  ``dust._calzetti_k_scalar``): the mutated function is never called for the
  arguments already cached.

This script runs each survivor's tests (those mutmut recorded as covering its function)
with ``MUTANT_UNDER_TEST`` set in a new ``python -m pytest`` process in ``mutants/``,
where the mutant is active from the first import (after one clean run of the same
tests without any mutant, which must pass). The verdicts go to
``mutants/recheck.json`` (``{name: "killed" | "survived"}``), which
``benchmarks/mutation_report.py`` merges. Run from the repository root::

    .venv/bin/python benchmarks/mutation_recheck.py [--jobs 2] [NAME_GLOB ...]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
RECHECK = MUTANTS / "recheck.json"


def survivors(patterns: list[str]) -> list[str]:
    """Names of the mutants mutmut left surviving, matching any of ``patterns``."""
    names = []
    for meta in sorted((MUTANTS / "src").rglob("*.py.meta")):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if code == 0 and any(fnmatch.fnmatch(name, p) for p in patterns):
                names.append(name)
    return names


def covering_tests(name: str, stats: dict) -> list[str]:
    """The test ids mutmut recorded for the function of mutant ``name``."""
    function = name.rsplit("__mutmut_", 1)[0]
    tests = sorted(stats["tests_by_mangled_function_name"].get(function, []))
    if not tests:
        raise ValueError(f"{name}: mutmut recorded no test for {function}")
    return tests


def run_fresh(name: str, tests: list[str], python: str) -> str:
    """Run ``tests`` with mutant ``name`` switched on from the first import."""
    env = dict(os.environ, MUTANT_UNDER_TEST=name, PYTHONPATH=str(MUTANTS / "src"))
    command = [python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    done = subprocess.run(command, cwd=MUTANTS, env=env, capture_output=True, check=False)
    return "survived" if done.returncode == 0 else "killed"


def main(argv: list[str] | None = None) -> int:
    """Re-check the survivors and write :data:`RECHECK`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("patterns", nargs="*", default=["*"], help="mutant name globs")
    parser.add_argument("--jobs", type=int, default=2, help="parallel test processes")
    args = parser.parse_args(argv)
    stats = json.loads((MUTANTS / "mutmut-stats.json").read_text())
    names = survivors(args.patterns)
    previous = json.loads(RECHECK.read_text()) if RECHECK.exists() else {}

    union = sorted({t for name in names for t in covering_tests(name, stats)})
    if union and run_fresh("no.mutant", union, sys.executable) != "survived":
        raise SystemExit("the survivors' tests fail without any mutant: fix that first")

    def check(name: str) -> tuple[str, str]:
        return name, run_fresh(name, covering_tests(name, stats), sys.executable)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, verdict in pool.map(check, names):
            previous[name] = verdict
            print(f"{verdict:8s} {name}", flush=True)
            RECHECK.write_text(json.dumps(previous, indent=1, sort_keys=True))
    killed = sum(previous[n] == "killed" for n in names)
    print(f"{killed} of {len(names)} survivors killed in a fresh process; see {RECHECK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
