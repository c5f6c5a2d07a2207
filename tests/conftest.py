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
