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
import zlib
from dataclasses import dataclass
from http.client import HTTPException
from os import PathLike
from pathlib import Path

from ..safepaths import check_daptype, check_plateifu
from .fitsfile import MAX_FITS_BYTES

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
#: Seconds one file may take to download, all attempts included, by default.
DEFAULT_DEADLINE_S = 1800.0


class DownloadError(OSError):
    """A file could not be downloaded; the message names the file and the reason."""


@dataclass(frozen=True)
class FetchItem:
    """One file to download: its archive path (below the base URL) and local destination."""

    remote: str
    local: Path


def parse_plateifu(text: str) -> tuple[int, int]:
    """``'8485-1901'`` -> ``(8485, 1901)``; ValueError naming the text otherwise."""
    plate, ifu = check_plateifu(text).split("-")
    return int(plate), int(ifu)


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
    daptype = check_daptype(daptype, source="--daptype")  # it becomes two path components
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


def _size(text: str | None, name: str, header: str) -> int | None:
    """A size header's value (None if absent); DownloadError if it is not a sane byte count."""
    if text is None:
        return None
    text = text.strip()
    if not text.isdigit() or len(text) > 15:
        raise DownloadError(f"{name}: malformed {header} {text[:40]!r} from the server")
    return int(text)


def _remote_size(url: str, timeout: float, name: str) -> int | None:
    request = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return _size(response.headers.get("Content-Length"), name, "Content-Length")


def _download_once(url: str, part: Path, timeout: float, deadline: float) -> int | None:
    """Append to (or restart) ``part``; return the total size announced (None: not announced).

    Each read waits at most ``timeout`` seconds, and the whole transfer must end
    before ``deadline`` (a ``time.monotonic()`` value): a server that sends a byte now
    and then never holds the download for ever.
    """
    name = part.name[:-5]
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url)
    if have:
        request.add_header("Range", f"bytes={have}-")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if have and response.status == 206:
            content_range = response.headers.get("Content-Range", "")
            total = _size(content_range.rsplit("/", 1)[-1], name, "Content-Range")
            mode = "ab"
        else:  # 200: the server sent the whole file
            total = _size(response.headers.get("Content-Length"), name, "Content-Length")
            mode = "wb"
        if total is not None and total > MAX_FITS_BYTES:
            raise DownloadError(f"{name}: the server announces {total} bytes, more than "
                                f"the limit of {MAX_FITS_BYTES}")  # fmt: skip
        with open(part, mode) as fh:
            while chunk := response.read1(_CHUNK):
                fh.write(chunk)
                if time.monotonic() > deadline:
                    raise _DeadlinePassed
                if fh.tell() > MAX_FITS_BYTES:
                    raise DownloadError(f"{name}: more than {MAX_FITS_BYTES} bytes sent")
            fh.flush()
            os.fsync(fh.fileno())
    return total


class _DeadlinePassed(Exception):
    """The whole-file deadline passed during a transfer."""


def _gzip_problem(fh, data: bytes) -> tuple[str | None, bytes]:
    """Inflate a gzip file piece by piece (every member's CRC checked); (problem, first bytes)."""
    inflater, start = zlib.decompressobj(31), b""
    while True:
        if not data:
            data = fh.read(_CHUNK)
            if not data:
                return (None if inflater.eof else "gzip stream is truncated"), start
        if inflater.eof:  # after a member: another member, or zero padding, or garbage
            if data[:2] == b"\x1f\x8b":
                inflater = zlib.decompressobj(31)
            elif data.strip(b"\0"):
                return "trailing garbage after the gzip stream", start
            else:
                data = b""
                continue
        out = inflater.decompress(data, _CHUNK)
        start += out[: max(0, 16 - len(start))]
        data = inflater.unconsumed_tail or inflater.unused_data


def content_problem(path: Path, name: str | None = None) -> str | None:
    """What is wrong with a downloaded file's content, or None if it is what its name says.

    ``name`` is the name the file will have (default: its own), which says what it must be.

    A ``.fits.gz`` must be a complete gzip stream (every member's CRC checked, read
    in pieces) of a FITS file; a ``.fits`` must start with the FITS ``SIMPLE`` card.
    Other names are not checked. An HTML error page served with status 200 fails.
    """
    name = path.name if name is None else name
    with open(path, "rb") as fh:
        head = fh.read(_CHUNK)
        if name.endswith(".fits.gz"):
            if head[:2] != b"\x1f\x8b":
                return "not a gzip file (the server sent something else, an HTML page?)"
            problem, head = _gzip_problem(fh, head)
            if problem is not None:
                return problem
        elif not name.endswith(".fits"):
            return None
    if not head.startswith(b"SIMPLE  ="):
        return "not a FITS file (no SIMPLE card at the start)"
    return None


def _verified(part: Path, local: Path) -> str:
    """Move a complete download into place if its content is what its name says."""
    try:
        problem = content_problem(part, local.name)
    except zlib.error as exc:
        problem = f"corrupt gzip stream ({exc})"
    if problem is not None:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{local.name}: downloaded, but {problem}; discarded")
    os.replace(part, local)
    return "downloaded"


def _present(local: Path, url: str, timeout: float) -> bool:
    """An existing file of the server's size whose first bytes are what its name says."""
    if not local.exists():
        return False
    size = _remote_size(url, timeout, local.name)
    if size is None or local.stat().st_size != size:
        return False
    with open(local, "rb") as fh:
        head = fh.read(16)
    if local.name.endswith(".fits.gz"):
        return head[:2] == b"\x1f\x8b"
    return not local.name.endswith(".fits") or head.startswith(b"SIMPLE  =")


def fetch_one(
    item: FetchItem,
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 2.0,
    deadline: float = DEFAULT_DEADLINE_S,
) -> str:
    """Download one file; return ``'present'`` (already good) or ``'downloaded'``.

    Parameters
    ----------
    item : FetchItem
        What to download, and where.
    base_url : str, optional
        Archive root.
    timeout : float, optional
        Seconds one network read may wait.
    retries : int, optional
        Attempts.
    backoff : float, optional
        Seconds to wait before the second attempt (then twice that, ...).
    deadline : float, optional
        Seconds the whole file may take, every attempt included.

    Raises
    ------
    DownloadError
        After ``retries`` failed attempts, at once for an HTTP error such as
        404, a malformed size header, a file past the deadline, or content that
        is not what the name says (an HTML page saved as ``.fits.gz``); the
        ``.part`` file is kept for a later resume only after a broken transfer.
    """
    url = f"{base_url.rstrip('/')}/{item.remote}"
    name = item.local.name
    item.local.parent.mkdir(parents=True, exist_ok=True)
    part = item.local.with_name(name + ".part")
    last = "no attempt made"
    ends = time.monotonic() + deadline
    for attempt in range(max(1, retries)):
        try:
            if _present(item.local, url, timeout):
                part.unlink(missing_ok=True)
                return "present"
            total = _download_once(url, part, timeout, ends)
            got = part.stat().st_size
            if total is None or got == total:  # without a size, the content check decides
                return _verified(part, item.local)
            if got > total:
                part.unlink()
            last = f"received {got} of {total} bytes"
        except _DeadlinePassed:
            kept = (
                f"partial data kept in {part.name} for a resume"
                if part.is_file() and part.stat().st_size
                else "nothing was downloaded"
            )
            raise DownloadError(
                f"{name}: not complete after the deadline of {deadline:g} s; {kept}"
            ) from None
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
        if time.monotonic() > ends:
            break
        if attempt + 1 < retries:
            time.sleep(backoff * (attempt + 1))
    kept = (
        f"; partial data kept in {part.name} for a resume"
        if part.is_file() and part.stat().st_size
        else "; nothing was downloaded"
    )
    raise DownloadError(f"{name}: {last}{kept}")


def fetch(
    items: list[FetchItem],
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 2.0,
    deadline: float = DEFAULT_DEADLINE_S,
) -> dict[str, list]:
    """Download every item, going on past failures (of any kind: one file never stops the rest).

    Returns
    -------
    dict
        ``{"downloaded": [Path], "present": [Path], "failed": [(Path, reason)]}``.
    """
    out: dict[str, list] = {"downloaded": [], "present": [], "failed": []}
    for item in items:
        try:
            status = fetch_one(
                item, base_url=base_url, timeout=timeout, retries=retries, backoff=backoff,
                deadline=deadline,
            )  # fmt: skip
            out[status].append(item.local)
        except DownloadError as exc:
            out["failed"].append((item.local, str(exc)))
        except (OSError, ValueError) as exc:  # a local problem (a name too long, no space)
            out["failed"].append((item.local, f"{item.local.name}: {exc}"))
    return out
