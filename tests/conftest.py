"""Shared fixtures: the real MaNGA reference data in ``../shared`` beside the checkout."""

from __future__ import annotations

import os
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
    one group, sent whole to one worker, so no such fixture is built twice.
    """
    if getattr(config.option, "dist", "no") != "loadgroup":
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
    for item in items:
        if shared[item.nodeid]:
            item.add_marker(pytest.mark.xdist_group(root(shared[item.nodeid][0])))
