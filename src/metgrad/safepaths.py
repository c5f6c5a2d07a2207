"""Names that become paths: validated before use, so nothing lands outside its folder.

A plate-ifu, a DAP type or a header value may come from a user, a list file or
a FITS header written by anyone. Each is checked against the form MaNGA gives it
before it is joined to a folder: no separators, no ``..``, no absolute path, no
control characters, a bounded length.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

__all__ = ["check_daptype", "check_plateifu", "figure_path", "inside"]

#: ``PLATE-IFU``: MaNGA plates and IFU designs are at most 5 digits each.
_PLATEIFU = re.compile(r"[0-9]{1,5}-[0-9]{1,5}")
#: A DAP analysis type, e.g. ``HYB10-MILESHC-MASTARSSP``: letters, digits, ``-``, ``_``, ``.``.
_DAPTYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


def check_plateifu(text: str, *, source: str = "plate-ifu") -> str:
    """Return ``text`` stripped if it is a plate-ifu like ``8485-1901``; else ValueError.

    Parameters
    ----------
    text : str
        The candidate.
    source : str, optional
        Where it came from, for the message (``'--plateifu'``, ``'FILE: PLATEIFU'``).
    """
    value = str(text).strip()
    if not _PLATEIFU.fullmatch(value):
        raise ValueError(f"{source} {value[:40]!r} is not a plate-ifu like 8485-1901")
    return value


def check_daptype(text: str, *, source: str = "daptype") -> str:
    """Return ``text`` if it is a DAP type (letters, digits, ``-_.``, no ``..``), else raise."""
    value = str(text)
    if not _DAPTYPE.fullmatch(value) or ".." in value:
        raise ValueError(
            f"{source} {value[:40]!r} is not a DAP type like HYB10-MILESHC-MASTARSSP "
            "(letters, digits, '-', '_' and '.')"
        )
    return value


def inside(folder: str | PathLike[str], relative: str | PathLike[str]) -> Path:
    """``folder / relative``, refused (ValueError) if it would resolve outside ``folder``."""
    root = Path(folder).resolve()
    path = (root / relative).resolve()
    if path != root and root not in path.parents:
        raise ValueError(f"{relative}: would be written outside {folder}")
    return Path(folder) / relative


def figure_path(png: str | PathLike[str] | None, plateifu: str, *, source: str) -> Path:
    """Where ``metgrad galaxy`` draws its figure.

    Parameters
    ----------
    png : path or None
        ``--png``: a file name, or an existing folder (the figure is then
        ``FOLDER/PLATEIFU.png``); None for ``PLATEIFU.png`` in the working folder.
    plateifu : str
        The galaxy's plate-ifu, from the MAPS header: validated
        (:func:`check_plateifu`) before it becomes a file name.
    source : str
        The file the plate-ifu came from, for the message.

    Raises
    ------
    ValueError
        A header plate-ifu that is not one (``../outside/evil``, ...) when the
        name would be built from it.
    """
    if png is not None and not Path(png).is_dir():
        return Path(png)
    name = f"{check_plateifu(plateifu, source=f'{source}: header PLATEIFU')}.png"
    return Path(png) / name if png is not None else Path(name)
