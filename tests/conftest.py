"""Shared fixtures: the real MaNGA reference data in ``../shared`` beside the checkout."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

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


#: Session fixtures that take seconds to build (tests/integration/conftest.py). Under
#: pytest-xdist with ``--dist loadgroup`` (``make test``) every test that uses one of them runs
#: on the same worker, so that each is built once.
SHARED_FIXTURES = ("demo_run", "analysed_truth_survey", "ingested_survey")


def _shared_resources(item: pytest.Item) -> set[str]:
    """What ``item`` shares with other tests: costly session fixtures, module-scoped ones."""
    resources = set()
    definitions = getattr(item, "_fixtureinfo", None)
    for name, defs in getattr(definitions, "name2fixturedefs", {}).items():
        if name in SHARED_FIXTURES:
            resources.add(name)
        elif defs and defs[-1].scope in ("package", "module", "class"):
            resources.add(item.nodeid.split("::")[0])
    return resources


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup``, one ``xdist_group`` for tests that share a costly fixture.

    Tests are joined (transitively) when they use the same fixture of
    :data:`SHARED_FIXTURES` or a module-scoped fixture of the same module; each joined set is
    one group, sent whole to one worker, so no such fixture is built twice. The tests are then
    ordered for the scheduler: slow tests outside any group, the groups (largest first), the
    rest, each in collection order.
    """
    option = config.option  # an xdist worker has loadgroup set and dist "no"
    if not (getattr(option, "loadgroup", False) or getattr(option, "dist", "") == "loadgroup"):
        return
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    shared = {item.nodeid: sorted(_shared_resources(item)) for item in items}
    for resources in shared.values():
        for other in resources[1:]:
            parent[root(other)] = root(resources[0])
    group = {key: root(res[0]) for key, res in shared.items() if res}
    for item in items:
        if item.nodeid in group:
            item.add_marker(pytest.mark.xdist_group(group[item.nodeid]))
    # the longest work first (``make test`` keeps this order: --no-loadscope-reorder): slow
    # tests of their own, then the groups, largest first, then the rest
    size = Counter(group.values())

    def rank(item: pytest.Item) -> tuple[int, int]:
        if item.nodeid in group:
            return (1, -size[group[item.nodeid]])
        return (0 if item.get_closest_marker("slow") else 2, 0)

    items.sort(key=rank)
