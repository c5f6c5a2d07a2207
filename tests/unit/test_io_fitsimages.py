"""The FITS index (fitsheader, fitsimages) against astropy reading the same bytes.

astropy is the reference throughout: every card value, HDU name and data array the
index returns must be the one astropy returns (value and type), whether the index
parsed it itself or handed the HDU or the whole stream to astropy.
"""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits

from metgrad.io.errors import InputFileError
from metgrad.io.fitsfile import parse_fits
from metgrad.io.fitsheader import HeaderCards, card_value
from metgrad.io.fitsimages import FitsImages, open_images


def _card(text: str) -> str:
    return text.ljust(80)


CARDS = [
    "C01     = 'OII-3727'           / Data in channel 1",
    "BUNIT   = '1E-17 erg/s/cm^2/spaxel'",
    "S       = 'it''s here  '       / quote doubled, trailing blanks dropped",
    "S       = '  leading'",
    "S       = ''",
    "S       = 'a / b' / a slash inside the string",
    "S       = 'a' / comment with a ' quote",
    "S       = 'a'b'",  # a lone quote: not standard, astropy decides
    "N       =                   35 / an integer",
    "N       =                  -12",
    "N       = +007",
    "R       =              3.77495",
    "R       =   0.1108440000000001 / free format",
    "R       = -1.5E-03",
    "R       = 2.5D+02",
    "R       = 1E5",
    "R       = .5",
    "R       = 1.5e3",  # lower-case exponent: accepted by astropy's lenient parser
    "R       = 1 E 5",  # blanks inside a number: astropy decides
    "L       =                    T",
    "L       =                    F / false",
    "Z       = (1.0, -2.0)",  # complex: astropy decides
    "U       =",  # undefined value
    "U       =                      / only a comment",
    "COMMENT = 'commentary cards keep their text'",
    "HISTORY written by a test",
    "          a blank keyword: commentary",
]


@pytest.mark.parametrize("text", CARDS)
def test_card_value_is_astropys(text):
    image = _card(text)
    expected = fits.Card.fromstring(image).value
    got = card_value(image)
    assert type(got) is type(expected)
    assert got == expected or (got is expected)


def test_header_cards_lookup_like_astropy():
    images = [_card(t) for t in ("A       = 1", "B       = 'x'", "A       = 2", "C01     = 'Ha'")]
    cards = HeaderCards(images)
    header = fits.Header.fromstring("".join(images))
    assert cards["A"] == header["A"] == 1  # the first card of a repeated keyword
    assert cards.get("b") == header.get("b") == "x"  # keywords are case-insensitive
    assert cards.get("D", "none") == "none"
    assert ("A" in cards, "D" in cards) == (True, False)
    assert list(cards.items()) == list(header.items())  # every card, duplicates included
    assert cards.keys() == list(header.keys())


def _stream(hdus) -> bytes:
    buffer = io.BytesIO()
    fits.HDUList(hdus).writeto(buffer)
    return buffer.getvalue()


def _assert_same_as_astropy(raw: bytes, *, plain_names=()):
    """Names, every header value and every HDU's data equal astropy's for ``raw``."""
    images = FitsImages.from_bytes(raw, "x.fits")
    with fits.open(io.BytesIO(raw)) as hdul:
        assert images.names == [h.name for h in hdul]
        for i, hdu in enumerate(hdul):
            header = images.header(i)
            assert list(header.keys()) == list(hdu.header.keys())
            for (key, got), (_, expected) in zip(header.items(), hdu.header.items(), strict=True):
                assert type(got) is type(expected), key
                assert got == expected, key
            got, expected = images.data(i), hdu.data
            if expected is None:
                assert got is None
                continue
            assert got.dtype == expected.dtype
            assert got.shape == expected.shape
            if expected.dtype.names:
                assert got.tolist() == expected.tolist()
            else:
                np.testing.assert_array_equal(got, expected)
    for name in plain_names:  # read by the index itself: a read-only view of the bytes
        assert not images.data(name).flags.writeable, name
    return images


def test_real_dr15_maps_every_card_and_array_as_astropy(real_maps_dr15):
    raw = gzip.decompress(real_maps_dr15.read_bytes())
    images = _assert_same_as_astropy(raw, plain_names=("EMLINE_GFLUX", "EMLINE_GFLUX_MASK"))
    assert len(images.names) == 48  # the file's HDU count (astropy's info())
    # C19 of EMLINE_GFLUX is Halpha (plane 18), read off the header with astropy
    assert images.channel_index("emline_gflux", "ha_6564") == 18


def test_image_types_and_empty_units_as_astropy():
    rng = np.random.default_rng(1)
    hdus = [
        fits.PrimaryHDU(),
        fits.ImageHDU(rng.normal(size=(3, 4, 5)).astype(np.float32), name="F32"),
        fits.ImageHDU(rng.normal(size=(4, 5)), name="F64"),
        fits.ImageHDU(rng.integers(-5, 5, (4, 5)).astype(np.int16), name="I16"),
        fits.ImageHDU(rng.integers(0, 2**40, (4, 5)), name="I64"),
        fits.ImageHDU(rng.integers(0, 255, (4, 5)).astype(np.uint8), name="U8"),
        fits.ImageHDU(name="EMPTY"),
    ]
    _assert_same_as_astropy(_stream(hdus), plain_names=("F32", "F64", "I16", "I64", "U8"))


def test_scaled_images_tables_and_zero_axes_are_read_by_astropy():
    unsigned = fits.ImageHDU(np.arange(20, dtype=np.uint16).reshape(4, 5) + 40000, name="U16")
    scaled = fits.ImageHDU(np.arange(6, dtype=np.int16).reshape(2, 3), name="SCALED")
    scaled.header["BSCALE"], scaled.header["BZERO"] = 0.5, 10.0
    table = fits.BinTableHDU.from_columns(
        [fits.Column("value", "E", array=np.arange(3.0))], name="TABLE"
    )
    zero = fits.ImageHDU(np.zeros((0, 3), dtype=np.float32), name="ZERO")
    raw = _stream([fits.PrimaryHDU(), unsigned, scaled, table, zero])
    images = _assert_same_as_astropy(raw)
    assert images.data("U16").dtype == np.uint16  # BZERO = 32768: unsigned, as astropy
    assert images.data("TABLE").ndim == 1


def test_long_strings_and_hierarch_cards_as_astropy():
    hdu = fits.ImageHDU(np.zeros((2, 2), dtype=np.float32), name="LONG")
    hdu.header["AUTHOR"] = "a very long string value " * 6  # CONTINUE cards
    hdu.header["HIERARCH ESO DET CHIP"] = "chip 1"
    raw = _stream([fits.PrimaryHDU(), hdu])
    images = _assert_same_as_astropy(raw, plain_names=("LONG",))
    assert images.header("LONG")["AUTHOR"] == ("a very long string value " * 6).rstrip()


def test_names_are_matched_like_astropy():
    first = fits.ImageHDU(np.ones((2, 2), dtype=np.float32), name="twin")
    second = fits.ImageHDU(np.zeros((2, 2), dtype=np.float32), name="TWIN")
    images = FitsImages.from_bytes(_stream([fits.PrimaryHDU(), first, second]), "x.fits")
    assert images.names == ["PRIMARY", "TWIN", "TWIN"]
    assert images.data(" twin ")[0, 0] == 1.0  # first match, case and blanks ignored
    assert "PRIMARY" in images and "Twin" in images and "OTHER" not in images
    with pytest.raises(InputFileError, match=r"^x\.fits: missing extension OTHER$"):
        images.data("OTHER")


def _parse_error(raw: bytes) -> str:
    with pytest.raises(InputFileError) as info:
        parse_fits(raw, "x.fits")
    return str(info.value)


def test_broken_streams_give_astropys_errors(tmp_path):
    raw = _stream([fits.PrimaryHDU(), fits.ImageHDU(np.ones((30, 30)), name="A")])
    cut = raw[:-2880]  # the last data block missing
    no_end = raw.replace(b"END" + b" " * 77, b"XND" + b" " * 77)
    for broken in (cut, no_end):
        expected = _parse_error(broken)
        path = tmp_path / "x.fits.gz"
        path.write_bytes(gzip.compress(broken))
        with pytest.raises(InputFileError) as info:
            open_images(path).data("A")
        assert str(info.value) == expected.replace("x.fits:", "x.fits.gz:")
    assert "truncated FITS file" in _parse_error(cut)


def test_bytes_after_the_last_hdu_are_astropys_business():
    raw = _stream([fits.PrimaryHDU(), fits.ImageHDU(np.ones((3, 3)), name="A")])
    padded = raw + b"\0" * 2880
    with fits.open(io.BytesIO(padded)) as hdul:
        expected = hdul["A"].data.copy()
    images = FitsImages.from_bytes(padded, "x.fits")
    np.testing.assert_array_equal(images.data("A"), expected)
    assert images.data("A").flags.writeable  # astropy read it
