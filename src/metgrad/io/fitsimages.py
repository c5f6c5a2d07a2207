"""The HDUs of a FITS file by ``EXTNAME``: headers indexed once, image data as numpy views.

The MaNGA readers need a dozen image extensions and a few dozen header values of files
that hold 17 to 48 HDUs. :func:`open_images` decompresses the file once
(:func:`~metgrad.io.fitsfile.read_bytes`) and walks its structure itself: 2880-byte
blocks, 80-character cards up to ``END``, and the size of each data unit from
``BITPIX``, ``NAXISn``, ``PCOUNT`` and ``GCOUNT`` (FITS Standard 4.0 §3.3, §4.4.1,
§7.1). An image extension without scaling keywords is returned as a read-only view of
the decompressed bytes, in the file's big-endian type, exactly the array astropy would
return. Everything else is left to astropy, so its results and error messages are
unchanged:

- the data of any other HDU (tables, ``BSCALE``/``BZERO``/``BLANK`` images) come from
  astropy reading the same bytes;
- a header with ``CONTINUE`` or ``HIERARCH`` cards is parsed by astropy's ``Header``;
- a stream whose structure is not exactly as above (no valid ``END`` card, a non-ASCII
  or non-printable header, missing or non-integer mandatory keywords, random groups,
  another extension type, data running past the end of the file, bytes after the last
  HDU) is opened by :func:`~metgrad.io.fitsfile.parse_fits`, with its error messages.

References
----------
Pence, W. D. et al. 2010, A&A 524, A42 ("Definition of the Flexible Image Transport
System", FITS Standard 4.0 text).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
from astropy.io import fits

from .errors import InputFileError
from .fitsfile import Channels, parse_fits, read_bytes
from .fitsheader import CARD_LENGTH, COMPOSITE_KEYWORDS, HeaderCards

__all__ = ["FitsImages", "open_images"]

BLOCK_SIZE = 2880
_CARDS_PER_BLOCK = BLOCK_SIZE // CARD_LENGTH
#: numpy type of each BITPIX, as astropy reads unscaled image data.
_IMAGE_DTYPES = {
    8: np.dtype("u1"), 16: np.dtype(">i2"), 32: np.dtype(">i4"), 64: np.dtype(">i8"),
    -32: np.dtype(">f4"), -64: np.dtype(">f8"),
}  # fmt: skip
_SCALING_KEYWORDS = ("BSCALE", "BZERO", "BLANK")
#: "END" not followed by a keyword character: astropy's test for an END card (valid or not).
_END_RE = re.compile(r"END(?![A-Z0-9_-])")
_EXTENSION_TYPES = ("IMAGE", "BINTABLE", "TABLE")


class _NotPlain(Exception):
    """The stream needs astropy (see the module notes)."""


@dataclass(frozen=True)
class _Hdu:
    name: str  # EXTNAME, stripped and upper case, as astropy matches it
    header: HeaderCards | fits.Header
    offset: int  # of the data unit, bytes
    shape: tuple[int, ...] | None  # numpy order; None: no data
    dtype: np.dtype | None  # None: astropy reads the data


def _integer(cards: HeaderCards, key: str) -> int:
    value = cards.get(key)
    if type(value) is not int:
        raise _NotPlain(key)
    return value


def _read_header(raw: bytes, start: int) -> tuple[list[str], int]:
    """Card images before ``END`` and the offset just past the header's last block."""
    images: list[str] = []
    pos = start
    while pos + BLOCK_SIZE <= len(raw):
        try:
            block = raw[pos : pos + BLOCK_SIZE].decode("ascii")
        except UnicodeDecodeError:
            raise _NotPlain("header not ASCII") from None
        if not block.isprintable():
            raise _NotPlain("header not printable")
        pos += BLOCK_SIZE
        for m in _END_RE.finditer(block):  # an END card (astropy also takes "END" + junk)
            end = m.start()
            if end % CARD_LENGTH == 0:
                if block[end:].rstrip(" ") != "END":
                    raise _NotPlain("END card")
                images += [block[i : i + CARD_LENGTH] for i in range(0, end, CARD_LENGTH)]
                return images, pos
        images += [block[i : i + CARD_LENGTH] for i in range(0, BLOCK_SIZE, CARD_LENGTH)]
    raise _NotPlain("no END card")


def _parse_hdu(raw: bytes, start: int, index: int) -> tuple[_Hdu, int]:
    """One HDU starting at ``start``; returns it and the offset of the next one."""
    images, data_start = _read_header(raw, start)
    cards = HeaderCards(images)
    first = cards.keys()[0] if len(cards) else ""
    if index == 0:
        if first != "SIMPLE" or cards["SIMPLE"] is not True or "GROUPS" in cards:
            raise _NotPlain("primary header")
        kind, pcount, gcount = "IMAGE", 0, 1
    else:
        kind = cards.get("XTENSION") if first == "XTENSION" else None
        if not isinstance(kind, str) or kind.strip() not in _EXTENSION_TYPES:
            raise _NotPlain("extension type")
        kind = kind.strip()
        pcount, gcount = _integer(cards, "PCOUNT"), _integer(cards, "GCOUNT")
    bitpix, naxis = _integer(cards, "BITPIX"), _integer(cards, "NAXIS")
    if bitpix not in _IMAGE_DTYPES or not 0 <= naxis <= 999 or pcount < 0 or gcount < 0:
        raise _NotPlain("BITPIX or NAXIS")
    axes = [_integer(cards, f"NAXIS{k}") for k in range(1, naxis + 1)]
    if any(n < 0 for n in axes):
        raise _NotPlain("NAXISn")
    n_values = gcount * (pcount + math.prod(axes)) if naxis else 0
    end = data_start + -(-n_values * abs(bitpix) // 8 // BLOCK_SIZE) * BLOCK_SIZE
    if end > len(raw):
        raise _NotPlain("data past the end of the file")  # astropy reports the truncation

    header: HeaderCards | fits.Header = cards
    if COMPOSITE_KEYWORDS.intersection(cards.keys()):
        header = fits.Header.fromstring("".join(images))
    default = "PRIMARY" if index == 0 else ""
    name = str(header.get("EXTNAME", default)).strip().upper()
    plain = (
        kind == "IMAGE"
        and pcount == 0
        and gcount == 1
        and not any(key in cards for key in _SCALING_KEYWORDS)
    )
    if plain and all(axes):  # astropy gives an empty array for a zero NAXISn
        shape = tuple(reversed(axes)) if naxis else None
        hdu = _Hdu(name, header, data_start, shape, _IMAGE_DTYPES[bitpix])
    else:
        hdu = _Hdu(name, header, data_start, None, None)
    return hdu, end


def _index(raw: bytes) -> list[_Hdu]:
    hdus: list[_Hdu] = []
    pos = 0
    while pos < len(raw):
        hdu, pos = _parse_hdu(raw, pos, len(hdus))
        hdus.append(hdu)
    return hdus


class FitsImages:
    """The HDUs of one FITS file, found by ``EXTNAME`` (case-insensitive, first match).

    Made by :func:`open_images`. Errors are :class:`~metgrad.io.errors.InputFileError`
    naming the file.

    Attributes
    ----------
    path : Path
        The file read.
    names : list of str
        ``EXTNAME`` of every HDU in file order (``'PRIMARY'`` for an unnamed first HDU).
    """

    def __init__(self, path: Path, raw: bytes, hdus: list[_Hdu], hdul=None):
        self.path = path
        self._raw = raw
        self._hdus = hdus
        self._hdul = hdul
        self.names = [h.name for h in hdus]
        self._positions: dict[str, int] = {}
        for i, name in enumerate(self.names):
            self._positions.setdefault(name, i)
        self._positions.setdefault("PRIMARY", 0)
        self._channels: dict[int, Channels] = {}

    @classmethod
    def from_bytes(cls, raw: bytes, path: str | PathLike[str]) -> FitsImages:
        """Index a decompressed FITS stream (astropy parses the streams it must)."""
        path = Path(path)
        try:
            return cls(path, raw, _index(raw))
        except _NotPlain:
            hdul = parse_fits(raw, path)
            hdus = [_Hdu(str(h.name).strip().upper(), h.header, 0, None, None) for h in hdul]
            return cls(path, raw, hdus, hdul)

    def _position(self, extname: str | int) -> int:
        if isinstance(extname, int):
            return extname
        try:
            return self._positions[extname.strip().upper()]
        except KeyError:
            raise InputFileError(self.path, f"missing extension {extname}") from None

    def __contains__(self, extname: str) -> bool:
        return extname.strip().upper() in self._positions

    def header(self, extname: str | int) -> HeaderCards | fits.Header:
        """Header of the HDU ``extname`` (a name, or a 0-based HDU number).

        Raises
        ------
        InputFileError
            ``missing extension EXTNAME``.
        """
        return self._hdus[self._position(extname)].header

    def data(self, extname: str | int) -> np.ndarray | None:
        """Data of the HDU ``extname`` as astropy returns them (None if it holds none).

        An unscaled image is a read-only big-endian view of the file's bytes; copy it
        (e.g. ``astype``) before changing it.
        """
        i = self._position(extname)
        hdu = self._hdus[i]
        if hdu.dtype is None:
            if self._hdul is None:
                self._hdul = parse_fits(self._raw, self.path)
            return self._hdul[i].data
        if hdu.shape is None:
            return None
        count = math.prod(hdu.shape)
        flat = np.frombuffer(self._raw, dtype=hdu.dtype, count=count, offset=hdu.offset)
        return flat.reshape(hdu.shape)

    def channel_index(self, extname: str, names: str | tuple[str, ...]) -> int:
        """0-based plane of the first channel of ``extname`` matching one of ``names``.

        Channels are read from the header once per extension; matching is
        :meth:`metgrad.io.fitsfile.Channels.index`.

        Raises
        ------
        InputFileError
            If no channel matches (the message lists the channels present).
        """
        i = self._position(extname)
        channels = self._channels.get(i)
        if channels is None:
            channels = self._channels[i] = Channels.of(self._hdus[i].header)
        return channels.index(names, path=self.path, extname=extname)


def open_images(path: str | PathLike[str]) -> FitsImages:
    """Read a FITS or gzipped FITS file and index its HDUs.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    FitsImages

    Raises
    ------
    InputFileError
        As :func:`~metgrad.io.fitsfile.read_bytes` and
        :func:`~metgrad.io.fitsfile.parse_fits`.

    Examples
    --------
    >>> import gzip, io, numpy as np
    >>> from astropy.io import fits
    >>> buffer = io.BytesIO()
    >>> image = fits.ImageHDU(np.arange(6, dtype=np.float32).reshape(2, 3), name="FLUX")
    >>> fits.HDUList([fits.PrimaryHDU(), image]).writeto(buffer)
    >>> images = FitsImages.from_bytes(buffer.getvalue(), "example.fits")
    >>> images.names, images.data("flux")[1].tolist()
    (['PRIMARY', 'FLUX'], [3.0, 4.0, 5.0])
    """
    path = Path(path)
    return FitsImages.from_bytes(read_bytes(path), path)
