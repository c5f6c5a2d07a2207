"""What a result depends on: package versions and a hash of the options that change tables.

Kept apart from :mod:`metgrad.survey` so that the analysis can record
provenance without importing the ingest machinery (and astropy) it does not use.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata as importlib_metadata

from . import __version__
from .config import RunConfig

__all__ = ["config_hash", "package_versions"]

#: Libraries whose versions are recorded with every table.
RECORDED_PACKAGES = ("numpy", "scipy", "astropy", "pandas", "pyarrow", "matplotlib", "numba")


def package_versions() -> dict[str, str]:
    """Versions of Python, metgrad and the libraries whose results it depends on."""
    out = {"python": platform.python_version(), "metgrad": __version__}
    for name in RECORDED_PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:  # pragma: no cover
            out[name] = "absent"
    return out


def config_hash(config: RunConfig) -> str:
    """Short hash of the options that change per-galaxy tables (physics and selection)."""
    relevant = {k: v for k, v in config.to_dict().items() if k in ("physics", "selection")}
    text = json.dumps(relevant, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
