"""FITS header cards read straight from their 80-character images, values parsed on demand.

astropy parses a card value through its configuration system (tens of microseconds
a value); a MaNGA MAPS file has 600 to 3000 cards, and the readers look up dozens of
channel names in it. :class:`HeaderCards` keeps the card images of one header and
parses the common value forms itself (FITS Standard 4.0 §4.2: a character string,
a logical, an integer or a real number, each optionally followed by a ``/`` comment);
any other card (no value indicator, a complex or undefined value, a non-standard form)
is given to astropy's own :class:`~astropy.io.fits.Card`, so every value is the one
astropy returns.

References
----------
Pence, W. D. et al. 2010, A&A 524, A42 ("Definition of the Flexible Image Transport
System", FITS Standard 4.0 text, §4.1-4.2).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from astropy.io import fits

__all__ = ["CARD_LENGTH", "COMPOSITE_KEYWORDS", "HeaderCards", "card_value"]

#: Characters in one header card.
CARD_LENGTH = 80

# The value field (columns 11-80) of a card with the value indicator "= " in columns 9-10.
# Each form ends with optional spaces and an optional "/ comment", as astropy reads them.
_STRING = re.compile(r" *'((?:[^']|'')*)' *(?:/.*)?$")
_LOGICAL = re.compile(r" *([TF]) *(?:/.*)?$")
_INTEGER = re.compile(r" *([+-]?\d+) *(?:/.*)?$")
_REAL = re.compile(r" *([+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?) *(?:/.*)?$")
_EXPONENT_D = str.maketrans("Dd", "Ee")
_COMMENTARY = frozenset({"COMMENT", "HISTORY", ""})  # astropy keeps their text unparsed
#: Cards whose keyword or value astropy assembles from more than one card image.
COMPOSITE_KEYWORDS = frozenset({"CONTINUE", "HIERARCH"})


@functools.lru_cache(maxsize=8192)  # the same cards recur in every extension and file
def card_value(image: str):
    """The value of one header card, as astropy returns it.

    Parameters
    ----------
    image : str
        The 80-character card image.

    Returns
    -------
    str, bool, int, float or object
        Strings lose their quotes and trailing blanks (``''`` is a quote), ``T``/``F``
        are booleans, integers stay integers, reals with an ``E`` or ``D`` exponent are
        floats; anything else is astropy's value for the card.

    Examples
    --------
    >>> card_value("C01     = 'OII-3727'           / Data in channel 1".ljust(80))
    'OII-3727'
    >>> card_value("REFF    =              3.77495".ljust(80))
    3.77495
    """
    if image[8:10] == "= " and image[:8].rstrip().upper() not in _COMMENTARY:
        field = image[10:]
        m = _STRING.match(field)
        if m:
            return m.group(1).replace("''", "'").rstrip()
        m = _INTEGER.match(field)
        if m:
            return int(m.group(1))
        m = _REAL.match(field)
        if m:
            return float(m.group(1).translate(_EXPONENT_D))
        m = _LOGICAL.match(field)
        if m:
            return m.group(1) == "T"
    return fits.Card.fromstring(image).value


class HeaderCards:
    """One FITS header as its card images, looked up like an astropy header.

    Supports ``key in cards``, ``cards[key]`` and ``cards.get(key, default)`` (the
    first card of that keyword, as astropy), ``keys()`` and ``items()`` (every card in
    order, duplicates included). Keywords are upper case; values are parsed on first
    access by :func:`card_value` and kept.

    Parameters
    ----------
    images : list of str
        The 80-character cards before ``END``, none of them ``CONTINUE`` or
        ``HIERARCH`` (astropy joins those across cards; give such a header to
        :class:`astropy.io.fits.Header` instead).

    Examples
    --------
    >>> cards = HeaderCards(["NAXIS   =                    2".ljust(80)])
    >>> cards["NAXIS"], "BUNIT" in cards, cards.get("BUNIT", "")
    (2, False, '')
    """

    __slots__ = ("_first", "_images", "_keys", "_values")

    def __init__(self, images: list[str]):
        self._images = images
        self._keys = [image[:8].rstrip().upper() for image in images]
        first: dict[str, int] = {}
        for i, key in enumerate(self._keys):
            first.setdefault(key, i)
        self._first = first
        self._values: dict[int, object] = {}

    def _value(self, i: int):
        try:
            return self._values[i]
        except KeyError:
            value = self._values[i] = card_value(self._images[i])
            return value

    def __contains__(self, key: str) -> bool:
        return key.upper() in self._first

    def __getitem__(self, key: str):
        return self._value(self._first[key.upper()])

    def __len__(self) -> int:
        return len(self._images)

    def get(self, key: str, default=None):
        """Value of the first card ``key``, or ``default`` if there is none."""
        i = self._first.get(key.upper())
        return default if i is None else self._value(i)

    def keys(self) -> list[str]:
        """Keywords of every card, in order (duplicates included)."""
        return list(self._keys)

    def items(self) -> Iterator[tuple[str, object]]:
        """``(keyword, value)`` of every card, in order."""
        for i, key in enumerate(self._keys):
            yield key, self._value(i)
