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
