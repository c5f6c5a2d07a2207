"""Download MaNGA DR17 files from the SDSS Science Archive Server: resumable, verified, atomic.

A download goes to ``NAME.part`` beside its destination and is renamed only
when its size equals the size the server announced, so an interrupted or
truncated transfer never leaves a file that looks complete. A later call
resumes a ``.part`` file with an HTTP ``Range`` request (or restarts it if the
server ignores ranges). A destination file that already exists with the size
the server reports is left alone; one whose size disagrees is downloaded again
and replaced only once the new copy is complete.

Destination layout mirrors the archive, which ``metgrad ingest`` searches
recursively::

    DEST/maps/DAPTYPE/PLATE/IFU/manga-PLATE-IFU-MAPS-DAPTYPE.fits.gz
    DEST/pipe3d/PLATE/manga-PLATE-IFU.Pipe3D.cube.fits.gz
    DEST/drpall-v3_1_1.fits
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from os import PathLike
from pathlib import Path

__all__ = [
    "DEFAULT_BASE_URL",
    "DownloadError",
    "FetchItem",
    "dr17_items",
    "fetch",
    "fetch_one",
    "parse_plateifu",
]

#: Root of the SDSS Science Archive Server.
DEFAULT_BASE_URL = "https://data.sdss.org/sas"
_DRPVER, _DAPVER, _PIPE3DVER = "v3_1_1", "3.1.0", "3.1.1"
_CHUNK = 1 << 20


class DownloadError(OSError):
    """A file could not be downloaded; the message names the file and the reason."""


@dataclass(frozen=True)
class FetchItem:
    """One file to download: its archive path (below the base URL) and local destination."""

    remote: str
    local: Path


def parse_plateifu(text: str) -> tuple[int, int]:
    """``'8485-1901'`` -> ``(8485, 1901)``; ValueError naming the text otherwise."""
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{text!r} is not a plate-ifu like 8485-1901")
    return int(parts[0]), int(parts[1])


def dr17_items(
    plateifus: list[str],
    dest: str | PathLike[str],
    *,
    daptype: str = "HYB10-MILESHC-MASTARSSP",
    maps: bool = True,
    pipe3d: bool = True,
    drpall: bool = False,
) -> list[FetchItem]:
    """The DR17 archive paths and local destinations of the named galaxies' files.

    Parameters
    ----------
    plateifus : list of str
        Galaxies, e.g. ``['8485-1901']``.
    dest : str or path-like
        Local root folder.
    daptype : str, optional
        DAP analysis type of the MAPS files.
    maps, pipe3d, drpall : bool, optional
        Which products to include.
    """
    dest = Path(dest)
    items = []
    if drpall:
        name = f"drpall-{_DRPVER}.fits"
        items.append(FetchItem(f"dr17/manga/spectro/redux/{_DRPVER}/{name}", dest / name))
    for text in plateifus:
        plate, ifu = parse_plateifu(text)
        if maps:
            name = f"manga-{plate}-{ifu}-MAPS-{daptype}.fits.gz"
            sub = f"{daptype}/{plate}/{ifu}/{name}"
            items.append(
                FetchItem(
                    f"dr17/manga/spectro/analysis/{_DRPVER}/{_DAPVER}/{sub}",
                    dest / "maps" / sub,
                )
            )
        if pipe3d:
            name = f"manga-{plate}-{ifu}.Pipe3D.cube.fits.gz"
            items.append(
                FetchItem(
                    f"dr17/manga/spectro/pipe3d/{_DRPVER}/{_PIPE3DVER}/{plate}/{name}",
                    dest / "pipe3d" / str(plate) / name,
                )
            )
    return items


def _remote_size(url: str, timeout: float) -> int | None:
    request = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
    return int(length) if length is not None else None


def _download_once(url: str, part: Path, timeout: float) -> int:
    """Append to (or restart) ``part``; return the total size the server announced."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url)
    if have:
        request.add_header("Range", f"bytes={have}-")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if have and response.status == 206:
            content_range = response.headers.get("Content-Range", "")
            total = int(content_range.rsplit("/", 1)[-1]) if "/" in content_range else None
            mode = "ab"
        else:  # 200: the server sent the whole file
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None else None
            mode = "wb"
        with open(part, mode) as fh:
            while chunk := response.read(_CHUNK):
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
    if total is None:
        raise DownloadError(f"{part.name[:-5]}: server did not announce the file size")
    return total


def fetch_one(
    item: FetchItem,
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 2.0,
) -> str:
    """Download one file; return ``'present'`` (already good) or ``'downloaded'``.

    Raises
    ------
    DownloadError
        After ``retries`` failed attempts, or at once for an HTTP error such as
        404; the ``.part`` file is kept for a later resume unless the server
        said the file does not exist.
    """
    url = f"{base_url.rstrip('/')}/{item.remote}"
    name = item.local.name
    item.local.parent.mkdir(parents=True, exist_ok=True)
    part = item.local.with_name(name + ".part")
    last = "no attempt made"
    for attempt in range(max(1, retries)):
        try:
            if item.local.exists():
                size = _remote_size(url, timeout)
                if size is not None and item.local.stat().st_size == size:
                    part.unlink(missing_ok=True)
                    return "present"
            total = _download_once(url, part, timeout)
            got = part.stat().st_size
            if got == total:
                os.replace(part, item.local)
                return "downloaded"
            if got > total:
                part.unlink()
            last = f"received {got} of {total} bytes"
        except urllib.error.HTTPError as exc:
            if exc.code == 416:  # range past the end: the .part is stale
                part.unlink(missing_ok=True)
                last = "stale partial download discarded"
                continue
            part.unlink(missing_ok=True)
            raise DownloadError(f"{name}: HTTP {exc.code} {exc.reason} for {url}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            last = f"connection failed ({reason or type(exc).__name__})"
        if attempt + 1 < retries:
            time.sleep(backoff * (attempt + 1))
    raise DownloadError(f"{name}: {last}; partial data kept in {part.name} for a resume")


def fetch(
    items: list[FetchItem],
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 2.0,
) -> dict[str, list]:
    """Download every item, going on past failures.

    Returns
    -------
    dict
        ``{"downloaded": [Path], "present": [Path], "failed": [(Path, reason)]}``.
    """
    out: dict[str, list] = {"downloaded": [], "present": [], "failed": []}
    for item in items:
        try:
            status = fetch_one(
                item, base_url=base_url, timeout=timeout, retries=retries, backoff=backoff
            )
            out[status].append(item.local)
        except DownloadError as exc:
            out["failed"].append((item.local, str(exc)))
    return out
