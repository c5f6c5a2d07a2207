"""Open (gzipped) FITS files fully in memory with astropy, with clear errors.

MaNGA products are distributed as ``.fits.gz``. Seeking backwards in a gzip
stream restarts decompression, so the whole file is decompressed once into
memory (:func:`read_bytes`, with zlib-ng in :func:`gunzip`; the ingest
benchmark's I/O floor decompresses with the same function) and handed to
:func:`astropy.io.fits.open` as an in-memory buffer (:func:`parse_fits`).
The MAPS and Pipe3D readers look extensions up by ``EXTNAME`` and channels by
their header names through :class:`FitsExtensions`.
"""

from __future__ import annotations

import functools
import gzip
import io
import re
import stat
import warnings
import zlib
from collections.abc import Collection
from os import PathLike
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyUserWarning
from zlib_ng import zlib_ng

from .errors import InputFileError
from .fitslayout import FitsLayout, check_layout

__all__ = [
    "MAX_FITS_BYTES",
    "MAX_RATIO",
    "Channels",
    "FitsExtensions",
    "channel_index",
    "channel_names",
    "get_hdu",
    "gunzip",
    "native",
    "open_extensions",
    "open_fits",
    "parse_fits",
    "read_bytes",
    "read_regular_file",
]

_GZIP_MAGIC = b"\x1f\x8b"
#: Largest FITS stream read, compressed or decompressed (bytes). A DR17 MAPS file or
#: Pipe3D cube decompresses to some tens to a few hundred MB.
MAX_FITS_BYTES = 1 << 30
#: A gzip trailer announcing more than this many times the compressed size is not
#: believed: the stream is inflated piece by piece, checked against its FITS headers.
MAX_RATIO = 64
_INPUT_PIECE = 1 << 20
_OUTPUT_PIECE = 16 << 20
#: Length of a FITS header card (an "80-character card image").
CARD_LENGTH = 80
_FITS_MAGIC = b"SIMPLE  ="
_CHANNEL_KEY = re.compile(r"C(\d+)")
_TRUNCATED = "File may have been truncated"
#: HDU types whose data astropy can read in sections (not random groups or compressed images).
_IMAGE_HDUS = (fits.PrimaryHDU, fits.ImageHDU)


def _one_shot(data: bytes, max_bytes: int) -> bytes | None:
    """A single-member gzip stream inflated in one call, if its trailer's size is plausible.

    The trailer's ISIZE (size mod 2**32) bounds the output, so a lying trailer costs at
    most that much; None when the stream is not a plain single member of that size.
    """
    if len(data) < 18:
        return None
    size = int.from_bytes(data[-4:], "little")
    if size > min(max_bytes, MAX_RATIO * len(data)):
        return None
    try:
        inflater = zlib_ng.decompressobj(31)
        out = inflater.decompress(data, size + 1)
    except zlib_ng.error:
        return None
    if len(out) != size or not inflater.eof or inflater.unused_data:
        return None
    return out


def _streamed(data: bytes, path, max_bytes: int, layout: FitsLayout | None) -> bytes:
    """Inflate every member piece by piece, stopping past ``max_bytes`` or the FITS layout."""
    out = bytearray()
    rest = memoryview(data)
    while True:
        inflater = zlib_ng.decompressobj(31)
        pos, tail = 0, b""
        while not inflater.eof:
            if tail:
                chunk = tail
            else:
                chunk, pos = rest[pos : pos + _INPUT_PIECE], pos + _INPUT_PIECE
                if not chunk:
                    raise EOFError
            out += inflater.decompress(chunk, _OUTPUT_PIECE)
            tail = inflater.unconsumed_tail
            if len(out) > max_bytes:
                raise InputFileError(path, f"decompresses to more than {max_bytes} bytes")
            if layout is not None:
                layout.advance(out)
        rest = memoryview(bytes(inflater.unused_data) + bytes(rest[pos:]))
        if not rest or bytes(rest[:2]) != _GZIP_MAGIC:
            break
    if rest and any(rest):
        raise OSError("trailing garbage after the gzip stream")
    return bytes(out)


def _stdlib_error(data: bytes, path) -> InputFileError:
    """The standard library's word for a stream zlib-ng could not inflate.

    It inflates the same bytes up to the same fault, so no further than zlib-ng went.
    """
    try:
        gzip.decompress(data)
    except EOFError:
        return InputFileError(path, "gzip stream is truncated")
    except (OSError, zlib.error) as exc:
        return InputFileError(path, f"corrupt gzip stream ({exc})")
    return InputFileError(path, "corrupt gzip stream")  # pragma: no cover


def gunzip(
    data: bytes,
    path: str | PathLike[str],
    *,
    max_bytes: int | None = None,
    fits_layout: bool = False,
) -> bytes:
    """Decompress a whole gzip stream (every member) with zlib-ng, within a bound.

    zlib-ng inflates MaNGA files about 2.5 times faster than the standard
    library's zlib, with the same output. A single member whose trailer
    announces a plausible size (at most :data:`MAX_RATIO` times the compressed
    size) is inflated in one call bounded by that size; any other stream is
    inflated piece by piece and stopped past ``max_bytes`` or, with
    ``fits_layout``, as soon as the data go past what their FITS headers declare
    (:class:`~metgrad.io.fitslayout.FitsLayout`): a decompression bomb never
    fills the memory. A stream zlib-ng cannot inflate is reported in the
    standard library's words (:mod:`gzip`), so the messages do not depend on
    the library that found the fault.

    Parameters
    ----------
    data : bytes
        The gzip file's content.
    path : str or path-like
        The file, for the messages.
    max_bytes : int, optional
        Largest decompressed size accepted (default :data:`MAX_FITS_BYTES`).
    fits_layout : bool, optional
        The stream is FITS: check its structure while inflating it.

    Returns
    -------
    bytes
        The decompressed stream.

    Raises
    ------
    InputFileError
        ``gzip stream is truncated``, ``corrupt gzip stream (...)``, or a stream
        larger than the bound or than its FITS headers declare.
    """
    max_bytes = MAX_FITS_BYTES if max_bytes is None else int(max_bytes)
    out = _one_shot(data, max_bytes)
    if out is not None:
        return out
    layout = FitsLayout(path, max_bytes) if fits_layout else None
    try:
        return _streamed(data, path, max_bytes, layout)
    except (EOFError, OSError, zlib_ng.error, zlib.error):
        raise _stdlib_error(data, path) from None


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path`` if it is a regular file (after symlinks) of at most ``max_bytes``."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(path, "is a directory, not a FITS file")
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise InputFileError(path, f"is {kind}, not a regular file")
    if info.st_size > max_bytes:
        raise InputFileError(path, f"{info.st_size} bytes, more than the limit of {max_bytes}")
    try:
        with open(path, "rb") as fh:  # read(n) allocates n bytes at once: the size, not the bound
            raw = fh.read(info.st_size + 1)
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:  # the file grew since it was measured
        raise InputFileError(path, f"{len(raw)} bytes, more than the limit of {max_bytes}")
    return raw


def read_bytes(path: str | PathLike[str], *, max_bytes: int | None = None) -> bytes:
    """Return the decompressed bytes of a FITS or gzipped FITS file, its structure checked.

    Parameters
    ----------
    path : str or path-like
        A ``.fits`` or ``.fits.gz`` file (gzip is recognised by its magic
        bytes, not by the name). It must be a regular file (a symlink to one is
        followed): a FIFO or a device such as ``/dev/zero`` is refused.
    max_bytes : int, optional
        Largest file, compressed or not, accepted (default :data:`MAX_FITS_BYTES`).

    Returns
    -------
    bytes
        The FITS byte stream, whose headers' structural cards were checked
        (:func:`~metgrad.io.fitslayout.check_layout`).

    Raises
    ------
    InputFileError
        If the file does not exist, is not a regular file, is empty, too large,
        a truncated or corrupt gzip stream, not FITS, or its headers are unsound.
    """
    path = Path(path)
    max_bytes = MAX_FITS_BYTES if max_bytes is None else int(max_bytes)
    raw = read_regular_file(path, max_bytes)
    if not raw:
        raise InputFileError(path, "file is empty")
    if raw[:2] == _GZIP_MAGIC:
        raw = gunzip(raw, path, max_bytes=max_bytes, fits_layout=True)
    if not raw.startswith(_FITS_MAGIC):
        raise InputFileError(path, "not a FITS file (no SIMPLE card at the start)")
    if len(raw) % 2880:
        raise InputFileError(
            path, f"truncated FITS file ({len(raw)} bytes is not a multiple of 2880)"
        )
    check_layout(raw, path, max_bytes=max_bytes)
    return raw


def parse_fits(raw: bytes, path: str | PathLike[str]) -> fits.HDUList:
    """Have astropy parse a decompressed FITS stream, every HDU, with one-line errors.

    Parameters
    ----------
    raw : bytes
        The FITS byte stream (from :func:`read_bytes`).
    path : str or path-like
        The file it came from, for the messages.

    Returns
    -------
    `~astropy.io.fits.HDUList`
        All HDUs, loaded from memory (no file handle stays open).

    Raises
    ------
    InputFileError
        If astropy cannot parse the headers, or the data of an HDU end before
        their declared size (a file cut at a 2880-byte block boundary).

    Notes
    -----
    Every HDU is read (``lazy_load_hdus=False``), so a file cut short is reported
    even where the cut falls in an HDU no reader uses. astropy builds each HDU
    from its structural keywords only; a full header is parsed when it is first
    asked for, and data are read when taken.
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", AstropyUserWarning)
            hdul = fits.open(io.BytesIO(raw), memmap=False, lazy_load_hdus=False)
    except (OSError, ValueError, TypeError) as exc:
        raise InputFileError(path, f"unreadable FITS structure ({exc})") from None
    # A file cut at a 2880-byte block boundary passes read_bytes; astropy only warns that
    # the last HDU's data is short (and silently drops what follows).
    short = [str(w.message) for w in caught if _TRUNCATED in str(w.message)]
    if short:
        raise InputFileError(path, f"truncated FITS file ({short[0].split(': ', 1)[-1]})")
    return hdul


def open_fits(path: str | PathLike[str]) -> fits.HDUList:
    """Open a FITS or gzipped FITS file from memory.

    Parameters
    ----------
    path : str or path-like
        The file to open.

    Returns
    -------
    `~astropy.io.fits.HDUList`
        All HDUs, loaded from an in-memory copy (no file handle stays open).

    Raises
    ------
    InputFileError
        See :func:`read_bytes` and :func:`parse_fits`.
    """
    return parse_fits(read_bytes(path), path)


def get_hdu(hdul: fits.HDUList, extname: str, path: str | PathLike[str]):
    """Return the HDU called ``extname`` or raise a one-line error naming the file.

    Parameters
    ----------
    hdul : `~astropy.io.fits.HDUList`
        The opened file.
    extname : str
        Extension name (case-insensitive, as astropy matches it).
    path : str or path-like
        The file, for the message.
    """
    try:
        return hdul[extname]
    except KeyError:
        raise InputFileError(path, f"missing extension {extname}") from None


def channel_names(header: fits.Header) -> list[str]:
    """Channel names of a multi-channel MaNGA extension, in channel order.

    The DAP writes ``C1, C2, ...`` (fewer than 10 channels) or ``C01, C02, ...``
    (10 or more); values are stripped of the FITS padding.

    Parameters
    ----------
    header : `~astropy.io.fits.Header`
        Header of the data extension.

    Returns
    -------
    list of str
        Names, where position ``i`` is data plane ``i`` (0-based); ``''`` for a plane
        without a channel card. Empty if the header carries no channel keys.
    """
    return list(Channels(header).names)


@functools.lru_cache(maxsize=4096)  # channel names repeat in every extension and file
def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def _plain_string(image: str) -> str | None:
    """The stripped value of a card image holding a plain quoted string, else None.

    A plain string is ``KEYWORD = 'text'`` (optionally ``/ comment`` after it) with
    no quote inside the text; its value is then what astropy reads, without astropy's
    card parsing and its configuration look-ups. Anything else (an escaped quote, a
    missing closing quote, not a string, anything but a comment after it) is None:
    left to astropy.
    """
    text = image[10:].strip()
    if image[8:10] != "= " or not text.startswith("'") or "''" in text:
        return None
    end = text.find("'", 1)
    if end < 0 or text[end + 1 :].strip()[:1] not in ("", "/"):
        return None
    return text[1:end].strip()


def _plain_values(images: str) -> dict[str, str | None]:
    """Keyword -> :func:`_plain_string` of its first card image (None if CONTINUE follows)."""
    values: dict[str, str | None] = {}
    last = None
    for start in range(0, len(images) - CARD_LENGTH + 1, CARD_LENGTH):
        image = images[start : start + CARD_LENGTH]
        keyword = image[:8].rstrip().upper()
        if keyword == "CONTINUE":
            if last is not None:
                values[last] = None  # a long string: astropy joins the pieces
            continue
        last = None
        if keyword not in values:
            values[keyword] = _plain_string(image)
            last = keyword
    return values


class _ChannelCardError(ValueError):
    """A channel card astropy cannot parse (an unterminated string, ...)."""


class Channels:
    """The channel names of one multi-channel extension, matched by name.

    astropy parses a card's value on first access, at some 20 microseconds a card
    (most of it in its configuration look-ups); an emission-line extension holds 35
    channels. So the channel cards are found by their keywords (which astropy has
    already parsed), and their values are parsed in plane order only as far as a
    look-up needs: the first plane of a name is found without reading the planes
    after it.

    Parameters
    ----------
    header : `~astropy.io.fits.Header`
        Header of the data extension. Plane ``n - 1`` is named by the card ``Cn``
        (any zero padding); a keyword that appears twice counts with its first
        value, as ``header[keyword]`` gives it.
    images : str, optional
        The header's 80-character card images (those of ``header``, in its order).
        A channel card whose image holds a plain quoted string is then read from
        it (:func:`_plain_string`) rather than by astropy, which gives the same
        name at some 15 microseconds a card less.
    """

    def __init__(self, header: fits.Header, images: str | None = None):
        first: dict[str, fits.Card] = {}  # keyword -> its first card
        plane_cards: dict[int, fits.Card] = {}  # channel number -> the card naming it
        for card in header.cards:
            key = card.keyword
            match = _CHANNEL_KEY.fullmatch(key)
            if match:
                plane_cards[int(match.group(1))] = first.setdefault(key, card)
        n = max(plane_cards, default=0)
        self._cards = [plane_cards.get(i) for i in range(1, n + 1)]
        self._names: list[str] = []  # of planes 0, 1, ... as far as parsed
        self._first_plane: dict[str, int] = {}  # normalised name -> first plane, as far as parsed
        self._plain: dict[str, str | None] = {}  # keyword -> plain value of its first image
        if images is not None:
            self._plain = _plain_values(images)

    def _parse_next(self) -> bool:
        i = len(self._names)
        if i == len(self._cards):
            return False
        card = self._cards[i]
        name = None if card is None else self._plain.get(card.keyword)
        try:
            if name is None:
                name = "" if card is None else str(card.value).strip()
        except Exception as exc:  # astropy's VerifyError on a malformed card, and kin
            text = " ".join(str(exc).split())[:120]
            raise _ChannelCardError(f"unreadable channel card {card.keyword} ({text})") from None
        self._names.append(name)
        self._first_plane.setdefault(_normalise(name), i)
        return True

    @property
    def names(self) -> list[str]:
        """Every channel name, where position ``i`` is plane ``i`` (``''``: no card)."""
        while self._parse_next():
            pass
        return self._names

    def index(
        self, names: str | tuple[str, ...], *, path: str | PathLike[str], extname: str
    ) -> int:
        """0-based plane of the first channel matching one of ``names`` (:func:`channel_index`)."""
        wanted = (names,) if isinstance(names, str) else tuple(names)
        for name in wanted:
            key = _normalise(name)
            while key not in self._first_plane and self._parse_next():
                pass
            if key in self._first_plane:
                return self._first_plane[key]
        shown = ", ".join(n for n in self.names if n) or "none"
        raise InputFileError(path, f"{extname} has no channel {wanted[0]!r} (channels: {shown})")


def channel_index(
    header: fits.Header,
    names: str | tuple[str, ...],
    *,
    path: str | PathLike[str],
    extname: str,
) -> int:
    """0-based plane of the first channel whose name matches one of ``names``.

    Matching ignores case, spaces, hyphens and underscores, so ``'R/Re'`` and
    ``'r_re'`` are the same channel, but ``'Ha-6564'`` never matches ``'Hb-4862'``.
    Names are tried in the order given.

    Raises
    ------
    InputFileError
        If no channel matches; the message lists the channels present.
    """
    return Channels(header).index(names, path=path, extname=extname)


class FitsExtensions:
    """The HDUs of one FITS file, found by ``EXTNAME``, read by astropy.

    Made by :func:`open_extensions`. Names match as
    :meth:`astropy.io.fits.HDUList.index_of` matches them (case and surrounding
    blanks ignored, first match; ``'PRIMARY'`` is always HDU 0). Every problem is
    an :class:`~metgrad.io.errors.InputFileError` naming the file.

    Parameters
    ----------
    path : Path
        The file the HDUs came from, for the messages.
    hdul : `~astropy.io.fits.HDUList`
        Its HDUs (from :func:`parse_fits`).
    raw : bytes, optional
        The decompressed file (from :func:`read_bytes`). With it, names and chosen
        header cards are read without astropy parsing every card of the headers
        (:meth:`header`); without it, from astropy's headers.

    Attributes
    ----------
    path : Path
        The file read.
    hdul : `~astropy.io.fits.HDUList`
        The HDUs, in file order.
    """

    def __init__(self, path: Path, hdul: fits.HDUList, raw: bytes | None = None):
        self.path = path
        self.hdul = hdul
        self._raw = raw
        # EXTNAME (stripped, upper case) -> first HDU of that name, filled at the first lookup
        self._positions: dict[str, int] = {"PRIMARY": 0}
        self._named = 0  # HDUs whose names are in _positions
        self._repeated: dict[str, int] = {}  # EXTNAME -> how many HDUs carry it (if > 1)
        self._channels: dict[int, Channels] = {}
        self._channels_by_text: dict[str, Channels] = {}
        self._images: dict[int, list[tuple[str, str]]] = {}  # HDU -> _card_images(HDU)

    def _card_images(self, i: int) -> list[tuple[str, str]] | None:
        """(keyword, card image) of each 80-character card of HDU ``i``'s header, up to END.

        The keyword is the card's first 8 characters, blank-stripped and upper case.
        None when the file's bytes are not at hand.
        """
        if i in self._images:
            return self._images[i]
        if self._raw is None:
            return None
        info = self.hdul[i].fileinfo()  # where astropy found the header and the data
        if info is None:
            return None
        text = self._raw[info["hdrLoc"] : info["datLoc"]].decode("ascii", errors="replace")
        cards = []
        for start in range(0, len(text) - CARD_LENGTH + 1, CARD_LENGTH):
            image = text[start : start + CARD_LENGTH]
            keyword = image[:8].rstrip().upper()
            if keyword == "END":
                break
            cards.append((keyword, image))
        self._images[i] = cards
        return cards

    def _selected_cards(self, i: int, keep) -> str | None:
        """The card images of HDU ``i`` whose keyword ``keep`` accepts (None: no raw bytes)."""
        cards = self._card_images(i)
        if cards is None:
            return None
        chosen: list[str] = []
        taking = False
        for keyword, image in cards:
            if keyword == "CONTINUE":  # a long string's continuation goes with its card
                if taking:
                    chosen.append(image)
                continue
            taking = keep(keyword)
            if taking:
                chosen.append(image)
        return "".join(chosen)

    def _parsed(self, i: int, cards: str) -> fits.Header:
        try:
            return fits.Header.fromstring(cards)
        except Exception as exc:  # ValueError, TypeError, astropy's VerifyError
            raise InputFileError(self.path, f"unreadable header of HDU {i} ({exc})") from None

    def _selected_header(self, i: int, keep) -> fits.Header:
        """Header of HDU ``i`` with only the cards whose keyword ``keep`` accepts."""
        cards = self._selected_cards(i, keep)
        if cards is None:
            full = self.hdul[i].header
            return fits.Header([card for card in full.cards if keep(card.keyword)])
        return self._parsed(i, cards)

    def _name(self, i: int) -> str:
        """EXTNAME of HDU ``i``, stripped and upper case, as HDUList.index_of reads it."""
        cards = self._card_images(i)
        if cards is not None:  # a plain quoted value is read here, without astropy
            image = next((img for key, img in cards if key == "EXTNAME"), None)
            if image is None:
                return "PRIMARY" if i == 0 else ""
            name = _plain_string(image)
            if name is not None:
                return name.upper()
        header = self._selected_header(i, lambda keyword: keyword == "EXTNAME")
        try:
            return str(header.get("EXTNAME", "PRIMARY" if i == 0 else "")).strip().upper()
        except Exception as exc:  # astropy's VerifyError and kin, on a malformed card
            raise InputFileError(self.path, f"unreadable EXTNAME of HDU {i} ({exc})") from None

    def _position(self, extname: str | int) -> int:
        """HDU number of ``extname``; every HDU is named once, so a repeated name is refused."""
        if isinstance(extname, int):
            return extname
        if self._named < len(self.hdul):
            for i in range(len(self.hdul)):
                name = self._name(i)
                if name in self._positions and i:
                    self._repeated[name] = self._repeated.get(name, 1) + 1
                self._positions.setdefault(name, i)
            self._named = len(self.hdul)
        key = extname.strip().upper()
        if key in self._repeated:
            raise InputFileError(
                self.path, f"{self._repeated[key]} extensions are named {extname}"
            )
        try:
            return self._positions[key]
        except KeyError:
            raise InputFileError(self.path, f"missing extension {extname}") from None

    def __contains__(self, extname: str) -> bool:
        try:
            self._position(extname)
        except InputFileError:
            return False
        return True

    def header(
        self,
        extname: str | int,
        *,
        keywords: Collection[str] | None = None,
        pattern: str | None = None,
    ) -> fits.Header:
        """Header of the HDU ``extname`` (a name, or a 0-based HDU number).

        Parameters
        ----------
        extname : str or int
            The HDU.
        keywords : collection of str, optional
            Keep only the cards with these keywords (upper case).
        pattern : str, optional
            Keep (also) the cards whose keyword matches this regular expression in full.

        Returns
        -------
        `~astropy.io.fits.Header`
            The whole header when neither ``keywords`` nor ``pattern`` is given;
            otherwise a header of just the chosen cards, in file order, each with the
            ``CONTINUE`` cards that follow it. Either way astropy parses the cards.

        Raises
        ------
        InputFileError
            ``missing extension EXTNAME``, or a chosen card astropy cannot parse.

        Notes
        -----
        astropy parses every card of a header the first time the header is used, at
        some 20 microseconds a card (most of it in configuration look-ups). A MaNGA
        extension header holds 30 to 150 cards, of which a reader needs a few, and a
        name look-up passes over every HDU before the one it finds. So chosen cards
        are picked from the header's 80-character card images (where astropy found
        the header, ``hdu.fileinfo()``) by their keyword field,
        and only those are given to :meth:`astropy.io.fits.Header.fromstring`.
        """
        i = self._position(extname)
        if keywords is None and pattern is None:
            return self.hdul[i].header
        wanted = frozenset(keywords or ())
        regex = re.compile(pattern) if pattern is not None else None
        return self._selected_header(
            i,
            lambda key: key in wanted or (regex is not None and regex.fullmatch(key) is not None),
        )

    def data(self, extname: str | int) -> np.ndarray | fits.Section | None:
        """Data of the HDU ``extname``, read as astropy reads them (None if it holds none).

        An image (``IMAGE`` extension or primary array) of non-zero size is returned as
        its :attr:`astropy.io.fits.ImageHDU.section`: it has ``shape`` and ``dtype``,
        and indexing it (``data[i]``, ``data[:]``) reads only that part, scaled by
        ``BSCALE``/``BZERO`` exactly as ``hdu.data`` would be. Anything else (a table,
        an empty image) is ``hdu.data``.

        Raises
        ------
        InputFileError
            ``missing extension EXTNAME``, or ``unreadable data in EXTNAME (...)``
            with astropy's message.
        """
        hdu = self.hdul[self._position(extname)]
        try:
            if type(hdu) in _IMAGE_HDUS and hdu.shape and all(hdu.shape):
                return hdu.section  # the whole cube would be read and copied for one plane
            return hdu.data
        except (OSError, ValueError, TypeError) as exc:
            raise InputFileError(self.path, f"unreadable data in {extname} ({exc})") from None

    def channel_index(self, extname: str, names: str | tuple[str, ...]) -> int:
        """0-based plane of the first channel of ``extname`` matching one of ``names``.

        Channel names are read from the header once per extension; matching is
        :meth:`Channels.index`.

        Raises
        ------
        InputFileError
            ``missing extension EXTNAME``, or no channel matches (the message lists
            the channels present).
        """
        channels = self.channels(extname)
        try:
            return channels.index(names, path=self.path, extname=extname)
        except _ChannelCardError as exc:
            raise InputFileError(self.path, f"{extname}: {exc}") from None

    def channels(self, extname: str) -> Channels:
        """The :class:`Channels` of ``extname`` (made once per distinct set of channel cards)."""
        i = self._position(extname)
        channels = self._channels.get(i)
        if channels is None:

            def keep(keyword):
                return _CHANNEL_KEY.fullmatch(keyword) is not None

            cards = self._selected_cards(i, keep)
            if cards is None:
                channels = Channels(self._selected_header(i, keep))
            else:  # a value's _IVAR and _MASK extensions repeat its channel cards: parse once
                channels = self._channels_by_text.get(cards)
                if channels is None:
                    channels = Channels(self._parsed(i, cards), cards)
                    self._channels_by_text[cards] = channels
            self._channels[i] = channels
        return channels

    def check_same_channels(self, extname: str, other: str) -> None:
        """Raise unless ``other`` names its planes as ``extname`` does (e.g. a map and its IVAR).

        Raises
        ------
        InputFileError
            ``EXT_IVAR channels differ from EXT's (plane n: 'a' and 'b')``.
        """
        mine, theirs = self.channels(extname), self.channels(other)
        if mine is theirs:  # the same channel cards
            return
        try:
            a, b = mine.names, theirs.names
        except _ChannelCardError as exc:
            raise InputFileError(self.path, f"{extname} or {other}: {exc}") from None
        if a != b:
            n = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
            shown = f"plane {n + 1}: {a[n] if n < len(a) else None!r} and "
            shown += f"{b[n] if n < len(b) else None!r}"
            raise InputFileError(self.path, f"{other} channels differ from {extname}'s ({shown})")


def open_extensions(path: str | PathLike[str]) -> FitsExtensions:
    """Read a FITS or gzipped FITS file into memory and open it with astropy.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    FitsExtensions

    Raises
    ------
    InputFileError
        As :func:`read_bytes` and :func:`parse_fits` (a missing, empty,
        truncated, corrupt or foreign file).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from astropy.io import fits
    >>> image = fits.ImageHDU(np.arange(6, dtype=np.float32).reshape(2, 3), name="FLUX")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "example.fits"
    >>> fits.HDUList([fits.PrimaryHDU(), image]).writeto(path)
    >>> extensions = open_extensions(path)
    >>> "flux" in extensions, extensions.data("flux")[1].tolist()
    (True, [3.0, 4.0, 5.0])
    """
    path = Path(path)
    raw = read_bytes(path)
    return FitsExtensions(path, parse_fits(raw, path), raw)


def native(array: np.ndarray, dtype: type | str = np.float64) -> np.ndarray:
    """Return ``array`` as a native-endian array of ``dtype`` (a copy)."""
    return np.asarray(array).astype(dtype, copy=True)
