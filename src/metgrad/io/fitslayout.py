"""Check a FITS stream's structure from its headers before anything is allocated for it.

astropy trusts a header's structural cards: ``NAXIS1 = -5`` makes it loop for
ever, ``NAXIS = 1099511627776`` hangs it, a product of ``NAXISn`` above 2**63
overflows, ``BITPIX = 0`` fails with ``0``, and a ``.fits.gz`` of a few MB may
inflate to many GB. :class:`FitsLayout` walks the headers of a (growing)
decompressed stream as the bytes arrive: it reads only the structural cards
(``SIMPLE``/``XTENSION``, ``BITPIX``, ``NAXIS``, ``NAXISn``, ``PCOUNT``,
``GCOUNT``, ``GROUPS``), checks them against the FITS standard (4.0, §4.4),
computes where each HDU ends, and refuses a stream whose headers declare more
than a ceiling, or that goes on past its last HDU. A decompressor can thus stop
a bomb after at most the ceiling, and astropy is only given streams whose
structure is sound.
"""

from __future__ import annotations

import math
from os import PathLike

from .errors import InputFileError

__all__ = ["BLOCK", "MAX_HEADER_BLOCKS", "FitsLayout", "check_layout"]

#: A FITS block (bytes).
BLOCK = 2880
CARD = 80
#: Longest header accepted, in 2880-byte blocks (36 cards each): 36,000 cards.
MAX_HEADER_BLOCKS = 1000
_BITPIX = (8, 16, 32, 64, -32, -64)
_EXTENSIONS = ("IMAGE", "BINTABLE", "TABLE", "IUEIMAGE", "A3DTABLE", "FOREIGN", "DUMP")
#: Bytes after the last HDU that are tolerated (some writers pad with a block of zeros).
TRAILING_ALLOWANCE = BLOCK


def _value_text(card: str) -> str:
    """The value field of a fixed-format card (columns 11-80), without its comment."""
    if card[8:10] != "= ":
        return ""
    text = card[10:].strip()
    if text.startswith("'"):
        return text
    return text.split("/", 1)[0].strip()


class FitsLayout:
    """Where the HDUs of a FITS stream start and end, from their structural cards.

    Feed it the growing stream with :meth:`advance`; it raises
    :class:`~metgrad.io.errors.InputFileError` (naming ``path``) at the first
    structural problem.

    Parameters
    ----------
    path : str or path-like
        The file, for the messages.
    max_bytes : int
        Largest stream accepted (bytes): headers that declare more are refused.

    Attributes
    ----------
    end : int
        Where the last HDU checked so far ends (bytes, block-aligned).
    n_hdus : int
        HDUs checked so far.
    finished : bool
        The bytes after ``end`` are not another HDU: the stream should stop there.
    """

    def __init__(self, path: str | PathLike[str], max_bytes: int):
        self.path = path
        self.max_bytes = int(max_bytes)
        self.end = 0
        self.n_hdus = 0
        self.finished = False

    def _fail(self, problem: str):
        raise InputFileError(self.path, problem)

    def _bad(self, problem: str):
        """A structural card astropy would mis-read: unreadable structure of this HDU."""
        self._fail(f"unreadable FITS structure (HDU {self.n_hdus}: {problem})")

    def _header_cards(self, buf, start: int) -> tuple[dict[str, str], int, list[str]] | None:
        """Structural cards of the header at ``start``, where it ends, its first keywords.

        None while the header's END card has not arrived.
        """
        cards: dict[str, str] = {}
        order: list[str] = []
        pos = start
        while pos + CARD <= len(buf):
            if (pos - start) >= MAX_HEADER_BLOCKS * BLOCK:
                self._bad(f"no END card in the first {MAX_HEADER_BLOCKS} blocks of its header")
            card = bytes(buf[pos : pos + CARD]).decode("ascii", errors="replace")
            key = card[:8].rstrip()
            pos += CARD
            if key == "END":
                header_end = start + -(-(pos - start) // BLOCK) * BLOCK
                return cards, header_end, order
            if len(order) < 4:
                order.append(key)
            if key in ("SIMPLE", "XTENSION", "BITPIX", "PCOUNT", "GCOUNT", "GROUPS") or (
                key.startswith("NAXIS")
            ):
                cards.setdefault(key, _value_text(card))
        if (pos - start) >= MAX_HEADER_BLOCKS * BLOCK:
            self._bad(f"no END card in the first {MAX_HEADER_BLOCKS} blocks of its header")
        return None

    def _integer(self, cards: dict[str, str], key: str, lo: int, hi: int | None = None) -> int:
        text = cards.get(key)
        if text is None:
            self._bad(f"header lacks {key}")
        try:
            value = int(text)
        except ValueError:
            self._bad(f"{key} = {text[:20]!r} is not an integer")
        if value < lo or (hi is not None and value > hi):
            allowed = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
            self._bad(f"{key} = {value} is not {allowed}")
        return value

    def _data_bytes(self, cards: dict[str, str], order: list[str]) -> int:
        """Bytes of data the header declares (FITS 4.0, eqs 1-2), before padding."""
        if self.n_hdus == 0:
            if not order or order[0] != "SIMPLE" or cards.get("SIMPLE") != "T":
                self._fail("not a FITS file (no SIMPLE = T card at the start)")
        else:
            kind = cards.get("XTENSION", "")
            if not order or order[0] != "XTENSION":
                self._bad("does not start with an XTENSION card")
            if not (kind.startswith("'") and kind.count("'") >= 2):
                self._bad(f"XTENSION = {kind[:20]!r} is not a quoted extension type")
            name = kind[1:].split("'", 1)[0].strip()
            if name not in _EXTENSIONS:
                self._bad(f"unknown extension type XTENSION = {name[:20]!r}")
        bitpix = self._integer(cards, "BITPIX", -64, 64)
        if bitpix not in _BITPIX:
            self._bad(f"BITPIX = {bitpix} is not one of {', '.join(map(str, _BITPIX))}")
        naxis = self._integer(cards, "NAXIS", 0, 999)
        axes = [self._integer(cards, f"NAXIS{i}", 0) for i in range(1, naxis + 1)]
        pcount = self._integer(cards, "PCOUNT", 0) if "PCOUNT" in cards or self.n_hdus else 0
        gcount = self._integer(cards, "GCOUNT", 0) if "GCOUNT" in cards or self.n_hdus else 1
        groups = self.n_hdus == 0 and cards.get("GROUPS") == "T" and axes[:1] == [0]
        if naxis == 0 and not pcount:
            return 0
        elements = math.prod(axes[1:] if groups else axes)
        return abs(bitpix) // 8 * gcount * (pcount + elements)

    def advance(self, buf) -> None:
        """Check every HDU whose header is complete in ``buf`` (the stream so far)."""
        while not self.finished:
            if self.n_hdus and len(buf) >= self.end + CARD:
                if bytes(buf[self.end : self.end + 8]) != b"XTENSION":
                    self.finished = True  # what follows is not an HDU
                    break
            found = self._header_cards(buf, self.end)
            if found is None:
                break
            cards, header_end, order = found
            size = self._data_bytes(cards, order)
            end = header_end + -(-size // BLOCK) * BLOCK
            if end > self.max_bytes:
                self._bad(f"the headers declare {end} bytes, more than the limit of "
                          f"{self.max_bytes}")  # fmt: skip
            self.end = end
            self.n_hdus += 1
        if self.finished and len(buf) > self.end + TRAILING_ALLOWANCE:
            self._fail(f"{len(buf) - self.end} bytes follow the last HDU (HDU {self.n_hdus - 1})")

    def check_complete(self, buf) -> None:
        """After the whole stream: every declared HDU is present (else 'truncated FITS file')."""
        self.advance(buf)
        if not self.n_hdus:
            self._bad("no END card in its header")
        if len(buf) < self.end:
            self._fail(f"truncated FITS file ({len(buf)} bytes, the headers declare {self.end})")
        if not self.finished and len(buf) > self.end:
            # bytes after the last complete HDU that do not make a complete header
            self._fail(f"truncated FITS file (HDU {self.n_hdus} has no complete header)")


def check_layout(raw, path: str | PathLike[str], *, max_bytes: int) -> FitsLayout:
    """Check the structure of a whole FITS stream; return its layout.

    Raises
    ------
    InputFileError
        A structural card missing or out of range, headers declaring more than
        ``max_bytes``, data after the last HDU, or a truncated stream.
    """
    layout = FitsLayout(path, max_bytes)
    layout.check_complete(raw)
    return layout
