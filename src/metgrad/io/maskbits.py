"""MaNGA DAP pixel mask bits (``MANGA_DAPPIXMASK``, dap_maps_bits.ini, DAP 3.1 and 4.5)."""

from __future__ import annotations

import numpy as np

__all__ = ["DAPPIXMASK", "has_bits", "mask_value"]

#: Bit number of each flag in ``MANGA_DAPPIXMASK``.
DAPPIXMASK: dict[str, int] = {
    "NOCOV": 0,
    "LOWCOV": 1,
    "DEADFIBER": 2,
    "FORESTAR": 3,
    "NOVALUE": 4,
    "UNRELIABLE": 5,
    "MATHERROR": 6,
    "FITFAILED": 7,
    "NEARBOUND": 8,
    "NOCORRECTION": 9,
    "MULTICOMP": 10,
    "DONOTUSE": 30,
}


def mask_value(*flags: str) -> int:
    """Integer mask with the named ``MANGA_DAPPIXMASK`` flags set.

    >>> mask_value("NOCOV", "DONOTUSE")
    1073741825
    """
    unknown = [f for f in flags if f not in DAPPIXMASK]
    if unknown:
        raise ValueError(f"unknown MANGA_DAPPIXMASK flag(s) {unknown}; known: {list(DAPPIXMASK)}")
    value = 0
    for flag in flags:
        value |= 1 << DAPPIXMASK[flag]
    return value


def has_bits(mask: np.ndarray, *flags: str) -> np.ndarray:
    """Boolean array: True where any of the named flags is set in ``mask``."""
    return (np.asarray(mask).astype(np.int64) & mask_value(*flags)) != 0
