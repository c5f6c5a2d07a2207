"""The mock's FITS writer against astropy (an independent reader and writer)."""

import io

import numpy as np
import pytest
from astropy.io import fits
from numpy.testing import assert_array_equal

from metgrad.mock.fitswriter import BLOCK, ImageHdu, TableHdu, fits_bytes, format_card

CARDS = (
    ("AUTHOR", "it's synthetic", "a quote inside"),
    ("OBJRA", 123.45678901234567, "[deg]"),
    ("SMALL", 1e-5, ""),
    ("NEG", -0.30000000000000004, ""),
    ("BIG", 6.02214076e23, ""),
    ("NBINS", np.int64(42), "numpy integer"),
    ("FLAG", False, ""),
    ("EMPTY", "", "an empty string"),
    ("LONGCOM", 1.0, "x" * 100),
)


def written():
    cube = np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5) - 7.5
    mask = (np.arange(15, dtype=np.int32).reshape(3, 5) << 26).astype(np.int32)
    raw = fits_bytes([ImageHdu(None, None, CARDS), ImageHdu("CUBE", cube, (("C01", "Ha", ""),)),
                      ImageHdu("MASK", mask), ImageHdu("EMPTY")])  # fmt: skip
    return raw, cube, mask


def test_astropy_reads_back_every_value_and_verifies():
    raw, cube, mask = written()
    assert len(raw) % BLOCK == 0
    with fits.open(io.BytesIO(raw)) as hdus:
        hdus.verify("exception")
        assert [h.name for h in hdus] == ["PRIMARY", "CUBE", "MASK", "EMPTY"]
        header = hdus[0].header
        for key, value, _ in CARDS:
            assert header[key] == value, key
            assert type(header[key]) is type(value if not isinstance(value, np.integer) else 1)
        assert header.comments["LONGCOM"] == "x" * 47  # cut at column 80
        assert hdus["CUBE"].data.dtype == np.dtype(">f4")
        assert_array_equal(hdus["CUBE"].data, cube)
        assert hdus["CUBE"].header["NAXIS1"] == 5 and hdus["CUBE"].header["NAXIS3"] == 2
        assert_array_equal(hdus["MASK"].data, mask)
        assert hdus["EMPTY"].data is None and hdus["CUBE"].header["C01"] == "Ha"


def test_cards_match_astropy_formatting():
    # fixed format: the same 80 bytes as astropy's own card image for these values
    for key, value, comment in (("CRPIX1", 21.0, "Pixel coordinate of reference point"),
                                ("PLATEIFU", "8440-12701", "PLATEID-ifuDesign"),
                                ("NAXIS", 3, ""), ("EXTEND", True, ""),
                                ("EQUINOX", 2000.0, "[yr] Equinox")):  # fmt: skip
        assert format_card(key, value, comment) == fits.Card(key, value, comment).image.encode()


@pytest.mark.parametrize(
    ("key", "value"),
    [("lower", 1), ("TOOLONGKEY", 1), ("X", "é"), ("X", float("nan")), ("X", "y" * 69),
     ("X", [1])],
)  # fmt: skip
def test_bad_cards_are_refused(key, value):
    with pytest.raises(ValueError):
        format_card(key, value)


def test_binary_table_round_trips_through_astropy():
    rows = np.empty(3, dtype=[("plate", "i4"), ("plateifu", "S11"), ("z", "f8"),
                              ("mag", "f4", (7,)), ("big", "i8")])  # fmt: skip
    rows["plate"] = [8440, 8441, -1]
    rows["plateifu"] = [b"8440-12701", b"8441-1901", b""]
    rows["z"] = [0.01, 0.15, 1e-300]
    rows["mag"] = np.arange(21, dtype=np.float32).reshape(3, 7)
    rows["big"] = [2**40, -(2**40), 0]
    raw = fits_bytes([ImageHdu(None), TableHdu("MANGA", rows)])
    assert len(raw) % BLOCK == 0
    with fits.open(io.BytesIO(raw)) as hdus:
        hdus.verify("exception")
        table = hdus["MANGA"]
        assert [c.format for c in table.columns] == ["J", "11A", "D", "7E", "K"]
        for name in rows.dtype.names:
            expected = rows[name]
            if expected.dtype.kind == "S":  # astropy returns text columns as str
                expected = np.char.decode(expected, "ascii")
            assert_array_equal(table.data[name], expected)
