"""Shared fixtures: the real MaNGA reference data in ``../shared`` beside the checkout."""

from __future__ import annotations

import ast
import os
from functools import cache
from pathlib import Path

import pytest

import mutant_runs

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL = SHARED / "data" / "real"
REAL_MAPS_DR15 = (
    REAL / "mangadap_example_7815-3702" / "manga-7815-3702-MAPS-HYB10-GAU-MILESHC.fits.gz"
)


def _require(path: Path) -> Path:
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"real reference data not found at {path}")
    return path


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """``../shared/data/real`` (real MaNGA files with provenance)."""
    return _require(REAL)


@pytest.fixture(scope="session")
def real_maps_dr15() -> Path:
    """The real DR15-format DAP MAPS file of 7815-3702."""
    return _require(REAL_MAPS_DR15)


#: Session fixtures that take seconds to build (tests/integration/conftest.py). ``make test``
#: runs pytest-xdist with ``--dist loadfile``, for which :func:`pytest_xdist_make_scheduler`
#: sends every test that uses one of them to the same worker, so that each is built once.
SHARED_FIXTURES = ("analysed_truth_survey", "demo_run", "ingested_survey")

#: The units of work handed out first, in this order (xdist starts each worker with two
#: units: worker 0 takes the first and third, worker 1 the second and fourth). The three
#: shared fixtures are the costliest units (CPU seconds of the fixture and its tests,
#: measured with ``make test``'s options: about 70, 65 and 45). In a clean clone the first
#: analysis compiles the numba kernels of the analysis (about 25 CPU seconds), and two
#: workers starting on an analysis at once compiled them twice (about 12 s of the suite's
#: wall time). So worker 1 starts on the ingest tests, which need only the calibrators'
#: kernels, and reaches the demo run when the truth survey's analysis on worker 0 has
#: written the kernels to disk; the quick start, which copies the kernel cache into its
#: clone, runs after the truth survey too.
FIRST_UNITS = (
    "analysed_truth_survey",
    "ingested_survey",
    "tests/integration/test_quick_start.py",
    "demo_run",
)


@cache
def _keys_of_tests(module: Path) -> dict[str, frozenset[str]]:
    """What each test function of a module shares: shared session fixtures, module fixtures.

    Read from the source: a test's arguments and, through the fixtures defined in the module,
    the fixtures they use. A test that uses a fixture of its module shares that fixture
    (``<module>::<fixture>``) with the module's other tests that use it.
    """
    tree = ast.parse(module.read_text()) if module.is_file() else ast.Module(body=[])
    functions = [f for f in tree.body if isinstance(f, ast.FunctionDef)]
    local = {f.name: {a.arg for a in f.args.args} for f in functions
             if not f.name.startswith("test")}  # fmt: skip
    keys = {}
    for test in (f for f in functions if f.name.startswith("test")):
        todo, seen = [a.arg for a in test.args.args], set()
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(local.get(name, ()))
        found = {n for n in seen if n in SHARED_FIXTURES}
        keys[test.name] = frozenset(found | {f"{module}::{n}" for n in seen & set(local)})
    return keys


def _unit_of_tests(root: Path, nodeids: list[str]) -> dict[str, str]:
    """Each test (node id) to its unit of work for the workers.

    A test's unit is its module unless it uses a shared session fixture or a fixture of its
    module: tests that use the same one are joined (transitively), and the unit is named
    after the shared fixture if it has one, else after the module fixture.
    """
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    def keys(nodeid: str) -> list[str]:
        module, _, name = nodeid.partition("::")
        found = _keys_of_tests(root / module).get(name.split("[")[0].split("::")[-1], ())
        return sorted(found) or [module]

    for nodeid in nodeids:
        first, *rest = keys(nodeid)
        for other in rest:
            parent[find(other)] = find(first)
    members: dict[str, list[str]] = {}
    for key in list(parent):
        members.setdefault(find(key), []).append(key)
    name = {r: min(m, key=lambda k: (k not in SHARED_FIXTURES, k)) for r, m in members.items()}
    return {n: name.get(find(keys(n)[0]), keys(n)[0]) for n in nodeids}


def _loadfile(config: pytest.Config) -> bool:
    return getattr(config.option, "dist", "") == "loadfile"


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under ``--dist loadfile``: one unit of work per module, or per shared session fixture.

    A module-scoped fixture is built once because its module runs on one worker; a session
    fixture of :data:`SHARED_FIXTURES` because every module that uses it runs on one worker.
    """
    if not _loadfile(config):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        units: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.units is None:
                self.units = _unit_of_tests(config.rootpath, list(self.collection or []))
            return self.units.get(nodeid) or nodeid.split("::")[0]

    return SharedFixtureScheduling(config, log)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker: the tests in the order the scheduler should hand them out.

    The longest work first (``make test`` keeps this order: ``--no-loadscope-reorder``):
    the units of :data:`FIRST_UNITS` in that order, then the units with a ``slow`` test, then
    the rest, each in collection order; each worker takes the next unit when it is nearly done, so the small
    units last even out the two workers. A serial run keeps pytest's order, except under
    mutmut, where a mutant's tests run cheapest first (:mod:`mutant_runs`).
    """
    mutant_runs.cheapest_first(config.rootpath, items)
    if not hasattr(config, "workerinput"):
        return
    units = _unit_of_tests(config.rootpath, [item.nodeid for item in items])
    slow = {units[i.nodeid] for i in items if i.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> tuple[int, int]:
        unit = units[item.nodeid]
        if unit in FIRST_UNITS:
            return (0, FIRST_UNITS.index(unit))
        return (1 if unit in slow else 2, 0)

    items.sort(key=rank)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """In mutmut's coverage run: each test's seconds, fixtures included (:mod:`mutant_runs`)."""
    mutant_runs.record(report)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In mutmut's coverage run: write the tests' seconds for the mutant runs to read."""
    mutant_runs.write_costs(session.config.rootpath)
