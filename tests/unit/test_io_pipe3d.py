"""The Pipe3D cube reader on small hand-made cubes in the DR17 and older layouts."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits

from metgrad.io.errors import InputFileError
from metgrad.io.pipe3d import read_pipe3d

SHAPE = (4, 5)


def _ssp(describe: bool) -> fits.ImageHDU:
    data = np.zeros((21, *SHAPE), dtype=np.float32)
    for i in range(21):
        data[i] = 100 * i + np.arange(20, dtype=np.float32).reshape(SHAPE)
    hdu = fits.ImageHDU(data, name="SSP")
    if describe:
        descriptions = {
            0: "Vband flux",
            2: "dezonification map",
            5: "luminosity weighted age of the stars",
            6: "mass weighted age of the stars",
            7: "error in age",
            18: "Stellar Mass density per pixel without dust correction",
            19: "Stellar Mass density per pixel with dust correction",
            20: "error in Stellar Mass density",
        }
        for i in range(21):
            hdu.header[f"DESC_{i}"] = descriptions.get(i, f"plane {i}")
    return hdu


def _indices(describe: bool, names=None) -> fits.ImageHDU:
    data = np.stack([np.full(SHAPE, 1.0 + 0.01 * i, dtype=np.float32) for i in range(16)])
    hdu = fits.ImageHDU(data, name="INDICES")
    if describe:
        names = names or ["Hd", "Hb", "Mgb", "Fe5270", "Fe5335", "D4000", "Hdmod", "Hg"]
        for i, n in enumerate(names):
            hdu.header[f"INDEX{i}"] = n
            hdu.header[f"INDEX{i + 8}"] = f"e_{n}"
    return hdu


def _write(path, hdus):
    buf = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), *hdus]).writeto(buf)
    path.write_bytes(gzip.compress(buf.getvalue()))
    return path


def test_dr17_layout_by_header_text_with_select_reg(tmp_path):
    select = np.ones(SHAPE, dtype=np.int32)
    select[0, 0] = 0
    # DR17 order: SSP, SFH, INDICES, ELINES, ..., SELECT_REG
    sfh = fits.ImageHDU(np.zeros((3, *SHAPE), np.float32), name="SFH")
    cube = _write(
        tmp_path / "manga-1-1.Pipe3D.cube.fits.gz",
        [_ssp(True), sfh, _indices(True), fits.ImageHDU(select, name="SELECT_REG")],
    )
    p = read_pipe3d(cube)
    assert p.plane_source == "header"
    # plane i holds 100 i + pixel number (0..19), so plane 2 at (1, 2) = 200 + 7.
    assert p.dezonification[1, 2] == 207
    assert p.log_age_lw[1, 2] == 507
    assert p.log_mass_density_dust[1, 2] == 1907
    assert p.d4000[1, 2] == pytest.approx(1.05)  # INDEX5 plane holds 1 + 0.01 * 5
    assert p.d4000_err[1, 2] == pytest.approx(1.13)
    assert np.isnan(p.d4000[0, 0]) and np.isnan(p.dezonification[0, 0])
    assert p.select_reg.sum() == 19


def test_older_layout_without_keys_uses_documented_planes(tmp_path):
    # v2_4_3 order: SSP, SFH, FLUX_ELINES, INDICES; no DESC/INDEX keys, no SELECT_REG.
    cube = _write(
        tmp_path / "old.fits.gz",
        [_ssp(False), fits.ImageHDU(np.zeros((2, *SHAPE)), name="SFH"), _indices(False)],
    )
    p = read_pipe3d(cube)
    assert p.plane_source == "fallback"
    assert p.log_mass_density_dust[0, 0] == 1900
    assert p.d4000[0, 0] == pytest.approx(1.05)
    assert p.select_reg is None


def test_planes_found_by_text_even_when_moved(tmp_path):
    ssp = _ssp(True)
    ssp.data = ssp.data[::-1].copy()  # reverse the planes and their descriptions
    for i in range(21):
        ssp.header[f"DESC_{i}"] = _ssp(True).header[f"DESC_{20 - i}"]
    p = read_pipe3d(_write(tmp_path / "moved.fits", [ssp, _indices(True)]))
    assert p.log_mass_density_dust[0, 0] == 1900
    assert p.dezonification[0, 0] == 200


def _message(path):
    with pytest.raises(InputFileError) as info:
        read_pipe3d(path)
    assert str(info.value).startswith(path.name + ": ")
    return str(info.value)


def test_missing_indices_and_d4000(tmp_path):
    assert "missing extension INDICES" in _message(_write(tmp_path / "a.fits", [_ssp(True)]))
    no_d4000 = _indices(
        True, names=["Hd", "Hb", "Mgb", "Fe5270", "Fe5335", "Dn4000", "Hdmod", "Hg"]
    )
    assert "no D4000 plane" in _message(_write(tmp_path / "b.fits", [_ssp(True), no_d4000]))


def test_select_reg_of_wrong_shape(tmp_path):
    bad = fits.ImageHDU(np.ones((3, 3), np.int32), name="SELECT_REG")
    assert "SELECT_REG" in _message(_write(tmp_path / "c.fits", [_ssp(True), _indices(True), bad]))


def test_extensions_found_by_name_as_astropy_finds_them(tmp_path):
    # EXTNAME is matched ignoring case and blanks
    ssp = _ssp(True)
    ssp.header["EXTNAME"] = "ssp "
    p = read_pipe3d(_write(tmp_path / "names.fits", [ssp, _indices(True)]))
    assert p.dezonification[1, 2] == 207
    assert p.d4000[1, 2] == pytest.approx(1.05)


def test_a_repeated_extension_is_refused(tmp_path):
    # which of two INDICES is meant cannot be known (astropy would take the first)
    second = _indices(True)
    second.data = second.data + 100
    second.header["EXTNAME"] = "indices"
    cube = _write(tmp_path / "names.fits", [_ssp(True), _indices(True), second])
    with pytest.raises(InputFileError, match=r"^names.fits: 2 extensions are named INDICES$"):
        read_pipe3d(cube)


def test_scaled_integer_planes_are_read_as_astropy_scales_them(tmp_path):
    # SSP stored as int16 with BSCALE = 0.5, BZERO = 10: physical value = 10 + 0.5 * stored.
    ssp = _ssp(True)
    stored = np.arange(21 * 20, dtype=np.int16).reshape(21, *SHAPE)
    scaled = fits.ImageHDU(stored, header=ssp.header, name="SSP")
    scaled.header["BSCALE"], scaled.header["BZERO"] = 0.5, 10.0
    # SELECT_REG as unsigned 16-bit (stored as int16 with BZERO = 32768)
    select = np.full(SHAPE, 40000, dtype=np.uint16)
    select[0, 0] = 0
    cube = _write(
        tmp_path / "scaled.fits",
        [scaled, _indices(True), fits.ImageHDU(select, name="SELECT_REG")],
    )
    p = read_pipe3d(cube)
    # plane 19 at (1, 2): stored 19 * 20 + 7 = 387 -> 10 + 0.5 * 387 = 203.5
    assert p.log_mass_density_dust[1, 2] == 203.5
    assert p.dezonification[1, 2] == 10 + 0.5 * (2 * 20 + 7)
    assert np.isnan(p.dezonification[0, 0]) and p.select_reg.sum() == 19


def test_long_descriptions_on_continue_cards(tmp_path):
    ssp = _ssp(True)
    long_text = "Stellar Mass density per pixel with dust correction, " + "in log10 " * 10
    ssp.header["DESC_19"] = long_text  # longer than one card: astropy writes CONTINUE cards
    ssp.header["DESC_18"] = "Stellar Mass density per pixel without dust correction " * 2
    p = read_pipe3d(_write(tmp_path / "long.fits", [ssp, _indices(True)]))
    assert p.log_mass_density_dust[0, 0] == 1900


def test_bytes_after_the_last_hdu_are_ignored(tmp_path):
    cube = _write(tmp_path / "pad.fits", [_ssp(True), _indices(True)])
    padded = tmp_path / "padded.fits"
    padded.write_bytes(gzip.decompress(cube.read_bytes()) + b"\0" * 2880)
    assert read_pipe3d(padded).log_age_lw[1, 2] == 507
