"""Under mutmut, each mutant's unit tests run cheapest first, fixtures included.

mutmut 3 forks each mutant's test run (``pytest -x`` over the unit tests that call the
mutated function) and sorts those tests by what it measured of each in its first
(coverage) run: the test's call only, not the fixtures the test sets up. A mutant is killed
by the first test that fails, so a mutant that a 5 ms test kills could first wait for a test
whose fixture analyses a whole synthetic run (``tests/unit/test_analysis_driver.py``, seconds
under mutmut), and tests of one module could be split around other modules' tests, which
builds a module fixture again.

In mutmut's coverage run (``MUTANT_UNDER_TEST`` is ``"stats"``), :func:`record` adds up the
setup, call and teardown seconds of each test and :func:`write_costs` writes them to
:data:`COSTS_FILE` in the root folder (``mutants/``). When mutmut then runs a mutant's
tests, :func:`cheapest_first` sorts them by those costs, keeping the tests of one module
together (a module fixture is built once) and those of one class together: the modules by
their cheapest test, then within a module the classes and plain functions by their cheapest
test, then each test by its own cost. Without the file, or outside mutmut, the order is left
alone. Only the order changes, never which tests run, so the verdicts are the same; a
surviving mutant runs all of its tests either way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

#: The file, in the pytest root folder, that holds each unit test's seconds in mutmut's
#: coverage run: ``{node id: setup + call + teardown}``.
COSTS_FILE = "metgrad-unit-test-costs.json"

#: Values of ``MUTANT_UNDER_TEST`` that are not a mutant: mutmut's coverage run and its
#: run that checks the tests can fail.
NOT_A_MUTANT = ("stats", "fail")

_costs: dict[str, float] = {}


def mutmut_phase() -> str | None:
    """``MUTANT_UNDER_TEST``: ``"stats"`` in mutmut's coverage run, a mutant's name when its
    tests run, None outside mutmut."""
    return os.environ.get("MUTANT_UNDER_TEST") or None


def _under_a_mutant() -> bool:
    phase = mutmut_phase()
    return phase is not None and phase not in NOT_A_MUTANT


def record(report: pytest.TestReport) -> None:
    """Add a test phase's seconds to the test's cost, in mutmut's coverage run only."""
    if mutmut_phase() == "stats":
        _costs[report.nodeid] = _costs.get(report.nodeid, 0.0) + report.duration


def write_costs(root: Path) -> None:
    """Write the costs of the coverage run to ``root / COSTS_FILE`` (whole or not at all)."""
    if mutmut_phase() != "stats" or not _costs:
        return
    path = Path(root) / COSTS_FILE
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(_costs, indent=0, sort_keys=True))
    partial.replace(path)


def _read_costs(root: Path) -> dict[str, float] | None:
    try:
        return json.loads((Path(root) / COSTS_FILE).read_text())
    except FileNotFoundError:
        return None


def cheapest_first(root: Path, items: list) -> None:
    """Sort ``items`` in place, cheapest first by module, class and test, under a mutant.

    ``items`` are pytest items (anything with ``nodeid``). A test missing from the costs
    counts as free; ties keep their order (the sort is stable).
    """
    if not _under_a_mutant():
        return
    costs = _read_costs(root)
    if costs is None:
        return

    def cost(item) -> float:
        return costs.get(item.nodeid, 0.0)

    def module(item) -> str:
        return item.nodeid.split("::", 1)[0]

    def group(item) -> str:
        parts = item.nodeid.split("::")
        return "::".join(parts[:-1]) if len(parts) > 2 else item.nodeid

    cheapest_module: dict[str, float] = {}
    cheapest_group: dict[str, float] = {}
    for item in items:
        c = cost(item)
        cheapest_module[module(item)] = min(cheapest_module.get(module(item), c), c)
        cheapest_group[group(item)] = min(cheapest_group.get(group(item), c), c)
    items.sort(key=lambda item: (
        cheapest_module[module(item)], module(item),
        cheapest_group[group(item)], group(item), cost(item),
    ))  # fmt: skip
