"""The DAP MAPS reader against direct astropy reads of the real DR15 file, and its errors."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits

from metgrad.io.errors import InputFileError
from metgrad.io.fitsfile import channel_index, channel_names
from metgrad.io.maps import read_dap_maps
from metgrad.io.maskbits import DAPPIXMASK, has_bits, mask_value

# Channel planes of the real DR15 file (22 lines), read off its EMLINE_GFLUX header:
# C12 = 'Hb-4862', C14 = 'OIII-5008', C19 = 'Ha-6564', C20 = 'NII-6585' (1-based).
DR15_PLANE = {"Hb-4862": 11, "OIII-5008": 13, "Ha-6564": 18, "NII-6585": 19, "OII-3727": 0}
SPAXELS = [(21, 21), (10, 30), (0, 0), (25, 14), (33, 20)]


@pytest.fixture(scope="module")
def direct(real_maps_dr15):
    with fits.open(real_maps_dr15) as hdul:
        return {h.name: (h.header.copy(), None if h.data is None else h.data.copy()) for h in hdul}


@pytest.fixture(scope="module")
def maps(real_maps_dr15):
    return read_dap_maps(real_maps_dr15)


def test_identity_and_geometry_from_primary_header(maps):
    # Values printed in shared/data/real/README.md for this file.
    assert maps.plateifu == "7815-3702"
    assert maps.mangaid == "1-113540"
    assert maps.reff_arcsec == pytest.approx(3.77495)
    assert maps.ecoo_pa_deg == pytest.approx(163.245)
    assert maps.ecoo_ell == pytest.approx(0.110844)
    assert maps.layout == "DR15"
    assert maps.shape == (42, 42)


@pytest.mark.parametrize("line", sorted(DR15_PLANE))
def test_gaussian_flux_ivar_mask_equal_direct_read(maps, direct, line):
    plane = DR15_PLANE[line]
    for ext, attr in (("EMLINE_GFLUX", "value"), ("EMLINE_GFLUX_IVAR", "ivar")):
        expected = direct[ext][1][plane].astype(float)
        got = getattr(maps.gflux[line], attr)
        for y, x in SPAXELS:
            assert got[y, x] == expected[y, x]
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(maps.gflux[line].mask, direct["EMLINE_GFLUX_MASK"][1][plane])
    assert maps.gflux[line].unit == "1E-17 erg/s/cm^2/spaxel"


def test_nonparametric_halpha_and_ew_equal_direct_read(maps, direct):
    np.testing.assert_array_equal(maps.sflux["Ha-6564"].value, direct["EMLINE_SFLUX"][1][18])
    np.testing.assert_array_equal(maps.sew["Ha-6564"].value, direct["EMLINE_SEW"][1][18])
    np.testing.assert_array_equal(maps.sew["Ha-6564"].mask, direct["EMLINE_SEW_MASK"][1][18])


def test_elliptical_coordinates_by_name(maps, direct):
    ell = direct["SPX_ELLCOO"][1]  # DR15: C1 radius, C2 R/Re, C3 azimuth
    np.testing.assert_array_equal(maps.r_arcsec, ell[0])
    np.testing.assert_array_equal(maps.r_re, ell[1])
    np.testing.assert_array_equal(maps.azimuth_deg, ell[2])
    # R/Re is the elliptical radius over REFF.
    np.testing.assert_allclose(maps.r_re, maps.r_arcsec / 3.77495, rtol=1e-5)


def test_mask_bits_on_real_file(maps):
    mask = maps.gflux["Ha-6564"].mask
    # 769 spaxels have an unmasked Ha GFLUX (shared/data/real/README.md).
    assert int((mask == 0).sum()) == 769
    donotuse = has_bits(mask, "DONOTUSE")
    assert mask_value("DONOTUSE", "LOWCOV") == 2**30 + 2**1 == 1073741826
    assert donotuse[mask == 1073741826].all()
    assert not donotuse[mask == 0].any()
    assert DAPPIXMASK["NOCOV"] == 0


# --- bad input: one-line errors naming the file --------------------------------------------


def _rewrite(src, dst, edit):
    with fits.open(src) as hdul:
        hdul = fits.HDUList([h.copy() for h in hdul])
    edit(hdul)
    buf = io.BytesIO()
    hdul.writeto(buf)
    dst.write_bytes(gzip.compress(buf.getvalue()))
    return dst


def _error(path) -> str:
    with pytest.raises(InputFileError) as info:
        read_dap_maps(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(path.name + ": ")
    return message


def test_truncated_gzip(real_maps_dr15, tmp_path):
    bad = tmp_path / "manga-1-1-MAPS-X.fits.gz"
    bad.write_bytes(real_maps_dr15.read_bytes()[:50_000])
    assert "truncated" in _error(bad)


def test_random_bytes_empty_and_text(tmp_path):
    rng = np.random.default_rng(3)
    junk = tmp_path / "junk.fits.gz"
    junk.write_bytes(b"\x1f\x8b" + rng.bytes(5000))
    assert "gzip" in _error(junk)
    empty = tmp_path / "empty.fits"
    empty.write_bytes(b"")
    assert "empty" in _error(empty)
    text = tmp_path / "text.fits"
    text.write_text("plateifu,ra,dec\n")
    assert "not a FITS file" in _error(text)
    assert "not found" in _error(tmp_path / "absent.fits.gz")


def test_missing_extension(real_maps_dr15, tmp_path):
    bad = _rewrite(
        real_maps_dr15, tmp_path / "noflux.fits.gz", lambda h: h.pop(h.index_of("EMLINE_GFLUX"))
    )
    assert "missing extension EMLINE_GFLUX" in _error(bad)


def test_renamed_halpha_channel(real_maps_dr15, tmp_path):
    def rename(hdul):
        hdul["EMLINE_GFLUX"].header["C19"] = "Halpha"

    bad = _rewrite(real_maps_dr15, tmp_path / "renamed.fits.gz", rename)
    message = _error(bad)
    assert "EMLINE_GFLUX has no channel 'Ha-6564'" in message
    assert "Halpha" in message


def test_ivar_shape_mismatch(real_maps_dr15, tmp_path):
    def shrink(hdul):
        hdul["EMLINE_GFLUX_IVAR"].data = hdul["EMLINE_GFLUX_IVAR"].data[:, :40, :40].copy()

    bad = _rewrite(real_maps_dr15, tmp_path / "shape.fits.gz", shrink)
    assert "EMLINE_GFLUX_IVAR" in _error(bad)


def test_missing_primary_key(real_maps_dr15, tmp_path):
    bad = _rewrite(
        real_maps_dr15, tmp_path / "noreff.fits.gz", lambda h: h[0].header.remove("REFF")
    )
    assert "REFF" in _error(bad)


def test_channel_names_match_ignoring_case_and_separators(real_maps_dr15, direct):
    # 'ha_6564' is the header's 'Ha-6564' (C19, plane 18) with case and '-'/'_' ignored.
    maps = read_dap_maps(real_maps_dr15, gflux_lines=("ha_6564",), sflux_lines=(), sew_lines=())
    np.testing.assert_array_equal(maps.gflux["ha_6564"].value, direct["EMLINE_GFLUX"][1][18])


def test_channel_cards_in_any_order_padding_and_repeats():
    # Plane n - 1 is named by card Cn, zero padding or not; a repeated keyword counts with
    # its first value (as header[keyword]); where C2 and C02 both name plane 1, the later
    # card decides. So: C01 -> 'OII-3727' (the first C01), C02 -> 'Hb-4862', C03 -> 'Ha-6564'.
    header = fits.Header()
    for key, value in [
        ("C03", "Ha-6564 "),
        ("C01", "OII-3727"),
        ("C2", "Ha_6564"),
        ("C02", "Hb-4862"),
        ("C1", "dup"),
        ("C01", "later"),
        ("C5", "NII-6585"),
    ]:
        header.append(fits.Card(key, value))
    assert channel_names(header) == ["OII-3727", "Hb-4862", "Ha-6564", "", "NII-6585"]
    found = {
        name: channel_index(header, name, path="x.fits", extname="E")
        for name in ("ha_6564", "HB 4862", "nii-6585", "OII-3727")
    }
    assert found == {"ha_6564": 2, "HB 4862": 1, "nii-6585": 4, "OII-3727": 0}
    assert channel_index(header, ("Halpha", "ha-6564"), path="x.fits", extname="E") == 2
    with pytest.raises(
        InputFileError,
        match=r"^x\.fits: E has no channel 'Halpha' "
        r"\(channels: OII-3727, Hb-4862, Ha-6564, NII-6585\)$",
    ):
        channel_index(header, ("Halpha", "Ha"), path="x.fits", extname="E")


def _fits_error(path) -> str:
    with pytest.raises(InputFileError) as info:
        read_dap_maps(path)
    return str(info.value)


def test_broken_fits_structure(real_maps_dr15, tmp_path):
    raw = gzip.decompress(real_maps_dr15.read_bytes())
    # The last 2880-byte block missing: the stream is still a whole number of blocks, and
    # the cut falls in SPECINDEX_WGT_MODEL (HDU 63), which the reader never uses.
    cut = tmp_path / "cut.fits"
    cut.write_bytes(raw[:-2880])
    assert _fits_error(cut).startswith("cut.fits: truncated FITS file (")
    # Every END card overwritten: astropy cannot find where the primary header ends.
    no_end = tmp_path / "no-end.fits"
    no_end.write_bytes(raw.replace(b"END" + b" " * 77, b"XND" + b" " * 77))
    assert _fits_error(no_end).startswith("no-end.fits: unreadable FITS structure (")


def test_mask_with_blank_values_is_not_integer_bits(real_maps_dr15, tmp_path):
    # An integer image with BLANK is read by astropy as float64 with NaN at the blanks.
    def blank(hdul):
        hdul["EMLINE_GFLUX_MASK"].header["BLANK"] = 1073741826

    bad = _rewrite(real_maps_dr15, tmp_path / "blank.fits.gz", blank)
    assert "EMLINE_GFLUX_MASK holds float64 values, expected integer bits" in _error(bad)


def test_extra_bytes_after_the_last_hdu_are_ignored(real_maps_dr15, maps, tmp_path):
    padded = tmp_path / "padded.fits"
    padded.write_bytes(gzip.decompress(real_maps_dr15.read_bytes()) + b"\0" * 2880)
    got = read_dap_maps(padded)
    np.testing.assert_array_equal(got.gflux["Ha-6564"].value, maps.gflux["Ha-6564"].value)
