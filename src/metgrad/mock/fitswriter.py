"""A small, fast writer of FITS image files for the synthetic survey.

The mock writes two FITS files per galaxy with about 20 image extensions and
~700 header cards each. Building them as :mod:`astropy.io.fits` objects spends
most of the survey's time in card parsing and verification; here the cards are
formatted directly as the FITS 4.0 standard (Pence et al. 2010, A&A 524, A42,
§4) fixes them, and the data are written as big-endian bytes:

- a card is 80 ASCII characters: keyword (<= 8 characters of ``A-Z 0-9 - _``)
  left-justified in columns 1-8, ``"= "`` in 9-10, then the value in fixed
  format (strings quoted from column 11, quotes doubled, at least 8 characters
  inside the quotes; logical, integer and real values right-justified to column
  30; reals always with a decimal point and an upper-case exponent), then
  ``" / "`` and the comment, cut at column 80;
- a header ends with ``END`` and is padded with spaces, a data unit with zero
  bytes, to a multiple of 2880 bytes;
- the primary HDU starts ``SIMPLE, BITPIX, NAXIS, NAXISn, EXTEND``, an image
  extension ``XTENSION = 'IMAGE', BITPIX, NAXIS, NAXISn, PCOUNT = 0, GCOUNT = 1``;
  ``NAXIS1`` is the fastest-varying (last numpy) axis.

A binary table extension (``XTENSION = 'BINTABLE'``, §7.3) is written from a
numpy structured array: ``NAXIS1`` = bytes per row, ``NAXIS2`` = rows,
``TFIELDS`` and a ``TTYPEn``/``TFORMn`` pair per field (``J`` int32, ``K``
int64, ``E`` float32, ``D`` float64, ``rA`` strings of r bytes, ``rE`` etc. for
fixed-size vectors). Only what the mock needs is supported (no long-string
``CONTINUE`` cards, no scaled integers, no variable-length arrays).
The tests read every file back with astropy and with the pipeline's reader.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

__all__ = ["BLOCK", "ImageHdu", "fits_bytes", "format_card"]

BLOCK = 2880  #: FITS block size (bytes)
_KEY = re.compile(r"[A-Z0-9_-]{1,8}")
_BITPIX = {
    np.dtype(np.uint8): 8,
    np.dtype(np.int16): 16,
    np.dtype(np.int32): 32,
    np.dtype(np.int64): 64,
    np.dtype(np.float32): -32,
    np.dtype(np.float64): -64,
}


@dataclass(frozen=True)
class ImageHdu:
    """One HDU to write: its name, optional image data and its own header cards.

    Attributes
    ----------
    name : str or None
        ``EXTNAME`` (None: no EXTNAME card).
    data : ndarray or None
        Image (any of uint8, int16/32/64, float32/64); None for a header-only HDU.
    cards : tuple of (keyword, value, comment)
        Header cards after the structural ones; ``comment`` may be ``""``.
    """

    name: str | None
    data: np.ndarray | None = None
    cards: tuple[tuple[str, object, str], ...] = ()


@dataclass(frozen=True)
class TableHdu:
    """A binary-table extension: ``EXTNAME`` and the rows as a numpy structured array."""

    name: str
    rows: np.ndarray
    cards: tuple[tuple[str, object, str], ...] = ()


_TFORM = {"i4": "J", "i8": "K", "i2": "I", "u1": "B", "f4": "E", "f8": "D"}


def _tform(dtype: np.dtype) -> tuple[str, np.dtype]:
    """TFORM code of one field and its big-endian dtype."""
    base, shape = dtype.subdtype if dtype.subdtype else (dtype, ())
    repeat = int(np.prod(shape)) if shape else 1
    if base.kind == "S":
        return f"{base.itemsize * repeat}A", dtype
    code = _TFORM.get(f"{base.kind}{base.itemsize}")
    if code is None:
        raise ValueError(f"unsupported table column type {dtype}")
    big = np.dtype((base.newbyteorder(">"), shape)) if shape else base.newbyteorder(">")
    return (f"{repeat}{code}" if repeat != 1 else code), big


def _table_parts(hdu: TableHdu) -> tuple[list[tuple[str, object, str]], bytes]:
    names = hdu.rows.dtype.names
    forms = [_tform(hdu.rows.dtype[n]) for n in names]
    big = np.empty(len(hdu.rows), dtype=[(n, d) for n, (_, d) in zip(names, forms, strict=True)])
    for n in names:
        big[n] = hdu.rows[n]
    cards: list[tuple[str, object, str]] = [
        ("XTENSION", "BINTABLE", "binary table extension"),
        ("BITPIX", 8, "array data type"),
        ("NAXIS", 2, "number of array dimensions"),
        ("NAXIS1", big.dtype.itemsize, "length of dimension 1"),
        ("NAXIS2", len(big), "length of dimension 2"),
        ("PCOUNT", 0, "number of group parameters"),
        ("GCOUNT", 1, "number of groups"),
        ("TFIELDS", len(names), "number of table fields"),
    ]
    for i, (n, (form, _)) in enumerate(zip(names, forms, strict=True), start=1):
        cards += [(f"TTYPE{i}", n, ""), (f"TFORM{i}", form, "")]
    return cards + list(hdu.cards) + [("EXTNAME", hdu.name, "extension name")], big.tobytes()


def _format_real(value: float) -> str:
    if not np.isfinite(value):
        raise ValueError(f"FITS header values must be finite, got {value}")
    text = repr(float(value))
    if len(text) > 20:
        text = f"{value:.15G}"
    mantissa, _, exponent = text.lower().partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + (f"E{exponent}" if exponent else "")


def _format_value(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return f"{'T' if value else 'F':>20}"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):>20d}"
    if isinstance(value, (float, np.floating)):
        return f"{_format_real(float(value)):>20}"
    if isinstance(value, str):
        quoted = "'" + f"{value.replace(chr(39), chr(39) * 2):<8}" + "'"
        if len(quoted) > 70:
            raise ValueError(f"FITS string value too long for one card: {value!r}")
        return f"{quoted:<20}"
    raise ValueError(f"unsupported FITS header value {value!r} ({type(value).__name__})")


def format_card(key: str, value, comment: str = "") -> bytes:
    """One 80-byte header card in the FITS fixed format.

    Raises
    ------
    ValueError
        For a keyword that is not 1-8 of ``A-Z 0-9 - _``, a non-ASCII text, a
        string longer than one card, or a non-finite or unsupported value.
    """
    if not _KEY.fullmatch(key):
        raise ValueError(f"invalid FITS keyword {key!r}")
    card = f"{key:<8}= {_format_value(value)}"
    if comment:
        card = f"{card} / {comment}"
    if not card.isascii():
        raise ValueError(f"FITS header text must be ASCII: {card!r}")
    return f"{card[:80]:<80}".encode("ascii")


_cached_card = functools.lru_cache(maxsize=1 << 16, typed=True)(format_card)


def _card(key: str, value, comment: str) -> bytes:
    """:func:`format_card`, cached: most cards repeat from HDU to HDU and file to file."""
    try:
        return _cached_card(key, value, comment)
    except TypeError:  # an unhashable value: let format_card say what is wrong
        return format_card(key, value, comment)


def _padding(n_bytes: int, fill: bytes) -> bytes:
    return fill * (-n_bytes % BLOCK)


def _structural(hdu: ImageHdu, primary: bool) -> list[tuple[str, object, str]]:
    data = hdu.data
    if data is not None and data.dtype.newbyteorder("=") not in _BITPIX:
        raise ValueError(f"HDU {hdu.name}: unsupported data type {data.dtype}")
    bitpix = 8 if data is None else _BITPIX[data.dtype.newbyteorder("=")]
    shape = () if data is None else data.shape[::-1]
    cards = [("SIMPLE", True, "conforms to FITS standard")] if primary else [
        ("XTENSION", "IMAGE", "Image extension")
    ]  # fmt: skip
    cards += [
        ("BITPIX", bitpix, "array data type"),
        ("NAXIS", len(shape), "number of array dimensions"),
    ]
    cards += [(f"NAXIS{i}", n, "") for i, n in enumerate(shape, start=1)]
    if primary:
        cards.append(("EXTEND", True, ""))
    else:
        cards += [("PCOUNT", 0, "number of parameters"), ("GCOUNT", 1, "number of groups")]
    return cards


def _header(cards) -> bytes:
    header = b"".join(_card(*card) for card in cards) + f"{'END':<80}".encode()
    return header + _padding(len(header), b" ")


def fits_chunks(hdus: list[ImageHdu | TableHdu]) -> Iterator[bytes]:
    """The bytes of one FITS file, HDU by HDU (the first, an ImageHdu, is the primary).

    Chunks (header, data, padding) are yielded in file order, so a compressor can
    take them one by one without the whole file being copied into one buffer.
    """
    if not hdus or not isinstance(hdus[0], ImageHdu):
        raise ValueError("a FITS file needs an ImageHdu as its primary HDU")
    for i, hdu in enumerate(hdus):
        if isinstance(hdu, TableHdu):
            cards, data = _table_parts(hdu)
            yield _header(cards)
            yield data
            yield _padding(len(data), b"\0")
            continue
        cards = _structural(hdu, primary=i == 0) + list(hdu.cards)
        if hdu.name is not None:
            cards.append(("EXTNAME", hdu.name, "extension name"))
        yield _header(cards)
        if hdu.data is not None and hdu.data.size:
            big = hdu.data.astype(hdu.data.dtype.newbyteorder(">"), copy=False)
            data = memoryview(np.ascontiguousarray(big)).cast("B")
            yield data
            yield _padding(data.nbytes, b"\0")


def fits_bytes(hdus: list[ImageHdu | TableHdu]) -> bytes:
    """Serialise HDUs (the first, an ImageHdu, is the primary) to the bytes of one FITS file."""
    return b"".join(fits_chunks(hdus))
