"""FitsExtensions: extensions by name and headers cut to the chosen cards, checked against astropy."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from metgrad.io.errors import InputFileError
from metgrad.io.fitsfile import open_extensions

LONG = "a value longer than one card can hold, so astropy continues it " * 2


@pytest.fixture
def path(tmp_path):
    primary = fits.PrimaryHDU()
    primary.header["PLATEIFU"] = "1-2"
    primary.header["LONGSTR"] = LONG  # written with CONTINUE cards
    primary.header["REFF"] = (3.5, "arcsec")
    primary.header["REFF"] = 3.5
    primary.header.append(("REFF", 9.0))  # a repeated keyword: the first counts
    flux = fits.ImageHDU(np.arange(24, dtype=np.float32).reshape(2, 3, 4), name="Flux ")
    flux.header["C1"] = "Ha-6564"
    flux.header["C2"] = "Hb-4862"
    ivar = fits.ImageHDU(np.ones((2, 3, 4), dtype=np.float32), name="FLUX_IVAR")
    ivar.header["C1"] = "Hb-4862"  # in another order than FLUX: must not borrow its names
    ivar.header["C2"] = "Ha-6564"
    unnamed = fits.ImageHDU(np.zeros((2, 2), dtype=np.int16))
    out = tmp_path / "x.fits"
    fits.HDUList([primary, flux, ivar, unnamed]).writeto(out)
    return out


def test_chosen_cards_have_astropys_values(path):
    full = fits.getheader(path, 0)
    ext = open_extensions(path)
    part = ext.header(0, keywords=("PLATEIFU", "LONGSTR", "REFF", "ABSENT"))
    assert list(part) == ["PLATEIFU", "LONGSTR", "REFF", "REFF"]
    assert part["LONGSTR"] == full["LONGSTR"] == LONG.rstrip()
    assert part["PLATEIFU"] == "1-2"
    assert part["REFF"] == full["REFF"] == 3.5
    assert "ABSENT" not in part


def test_pattern_and_whole_header(path):
    ext = open_extensions(path)
    channels = ext.header("FLUX", pattern=r"C\d+")
    assert [(c.keyword, c.value) for c in channels.cards] == [("C1", "Ha-6564"), ("C2", "Hb-4862")]
    assert ext.header("flux") == fits.getheader(path, 1)  # no choice: astropy's header


def test_names_as_astropy_matches_them(path):
    ext = open_extensions(path)
    assert "flux" in ext and " FLUX_IVAR" in ext and "PRIMARY" in ext
    assert "NOPE" not in ext
    assert ext.data("FLUX")[1].tolist() == fits.getdata(path, 1)[1].tolist()
    with pytest.raises(InputFileError, match="missing extension NOPE"):
        ext.data("NOPE")


def test_channels_of_each_extension_are_its_own(path):
    ext = open_extensions(path)
    assert ext.channel_index("FLUX", "Ha-6564") == 0
    assert ext.channel_index("FLUX_IVAR", "Ha-6564") == 1
    assert ext.channel_index("FLUX_IVAR", "Hb-4862") == 0


_PLAIN_IMAGES = [
    "C01     = 'Ha-6564 '           / Data in channel 1",
    "C02     = 'OIII-5008'",
    "C03     = '  Hb-4862  '  /",
]
_LEFT_TO_ASTROPY = [
    "C04     = 'it''s'              / an escaped quote",
    "C05     = 'unterminated",
    "C06     = 'text' garbage",
    "C07     =                  1.5 / not a string",
    "C08       'no value indicator'",
]


@pytest.mark.parametrize("image", _PLAIN_IMAGES)
def test_plain_string_cards_read_as_astropy_reads_them(image):
    from metgrad.io.fitsfile import _plain_string

    image = image.ljust(80)
    assert _plain_string(image) == str(fits.Card.fromstring(image).value).strip()


@pytest.mark.parametrize("image", _LEFT_TO_ASTROPY)
def test_other_cards_are_left_to_astropy(image):
    from metgrad.io.fitsfile import _plain_string

    assert _plain_string(image.ljust(80)) is None


def test_channels_from_card_images_match_astropys_values():
    from metgrad.io.fitsfile import Channels

    cards = [f"C{n:02d}     = '{name}'".ljust(80) for n, name in
             enumerate(["Ha-6564", "NII-6585 ", "it''s", "OIII-5008"], start=1)]  # fmt: skip
    text = "".join(cards)
    header = fits.Header.fromstring(text)
    assert Channels(header, text).names == Channels(header).names
    assert Channels(header, text).names == ["Ha-6564", "NII-6585", "it's", "OIII-5008"]
