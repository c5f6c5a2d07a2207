"""drpall and GSWLC-2X readers and their sky match, on small hand-made tables."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from metgrad.io.catalogs import match_gswlc, read_drpall, read_gswlc
from metgrad.io.errors import InputFileError


def _drpall(path, plateifus, ra, dec, **extra):
    n = len(plateifus)
    t = Table()
    t["plateifu"] = plateifus
    t["mangaid"] = [f"1-{i}" for i in range(n)]
    t["objra"] = np.asarray(ra, float)
    t["objdec"] = np.asarray(dec, float)
    t["nsa_z"] = np.full(n, 0.03)
    t["nsa_elpetro_th50_r"] = np.full(n, 5.0)
    t["nsa_elpetro_ba"] = np.full(n, 0.8)
    t["nsa_elpetro_phi"] = np.full(n, 30.0)
    for k, v in extra.items():
        t[k] = v
    hdu = fits.BinTableHDU(t, name="MANGA")
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    return path


def _gswlc(path, ra, dec, logm):
    rows = []
    for i, (r, d, m) in enumerate(zip(ra, dec, logm, strict=True)):
        cols = [
            1237000000000000000 + i,
            6000000000000000000 + i,
            300,
            51000,
            i + 1,
            r,
            d,
            0.03,
            1.1,
            m,
            0.05,
        ]
        cols += [-1.0, 0.1, 1.0, 0.1, 0.5, 0.1, 0.3, 0.1, 0, 2, 1, 0, 1]
        rows.append(" ".join(str(c) for c in cols))
    path.write_text("\n".join(rows) + "\n")
    return path


def test_match_by_position_with_tolerance(tmp_path):
    # Galaxy A: GSWLC source 1.0" north (dec + 1/3600 deg) -> matched, sep 1.0".
    # Galaxy B: nearest source 5" east at dec 0 (ra + 5/3600) -> beyond 3" -> unmatched.
    # Galaxy C: exact position, but log M* = -99 -> matched row, NaN mass.
    dr = read_drpall(
        _drpall(
            tmp_path / "drpall.fits", ["1-1", "1-2", "1-3"], [10.0, 20.0, 30.0], [5.0, 0.0, -5.0]
        )
    )
    gs = read_gswlc(
        _gswlc(
            tmp_path / "g.dat",
            [50.0, 10.0, 20.0 + 5 / 3600, 30.0],
            [1.0, 5.0 + 1 / 3600, 0.0, -5.0],
            [9.0, 10.25, 11.0, -99],
        )
    )
    m = match_gswlc(dr, gs)
    assert m.table.loc["1-1", "gswlc_row"] == 1
    assert m.table.loc["1-1", "sep_arcsec"] == pytest.approx(1.0, rel=1e-6)
    assert m.table.loc["1-1", "log_mstar_chabrier"] == 10.25
    assert m.unmatched == ["1-2"]
    assert m.table.loc["1-2", "sep_arcsec"] == pytest.approx(5.0, rel=1e-6)
    assert np.isnan(m.table.loc["1-3", "log_mstar_chabrier"])
    assert m.shared == {}
    # A wider radius takes B in.
    assert match_gswlc(dr, gs, radius_arcsec=6.0).unmatched == []


def test_two_observations_of_one_galaxy_share_a_source(tmp_path):
    dr = read_drpall(_drpall(tmp_path / "d.fits", ["1-1", "2-2"], [10.0, 10.0], [5.0, 5.0]))
    gs = read_gswlc(_gswlc(tmp_path / "g.dat", [10.0], [5.0], [10.0]))
    assert match_gswlc(dr, gs).shared == {0: ["1-1", "2-2"]}


def test_drpall_columns_and_missing_values(tmp_path):
    path = _drpall(tmp_path / "d.fits", ["1-1", "1-2"], [1.0, 2.0], [0.0, 0.0])
    with fits.open(path, mode="update") as hdul:
        hdul["MANGA"].data["nsa_elpetro_ba"][1] = -9999.0
    dr = read_drpall(path)
    assert list(dr.columns) == ["mangaid", "ra", "dec", "z", "re_arcsec", "ba", "pa_deg"]
    assert dr.loc["1-1", "re_arcsec"] == 5.0
    assert np.isnan(dr.loc["1-2", "ba"])


def test_drpall_errors(tmp_path):
    dup = _drpall(tmp_path / "dup.fits", ["1-1", "1-1"], [1.0, 2.0], [0.0, 0.0])
    with pytest.raises(InputFileError, match=r"^dup.fits: plate-ifu listed more than once: 1-1$"):
        read_drpall(dup)
    t = Table({"plateifu": ["1-1"], "objra": [1.0]})
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU(t, name="MANGA")]).writeto(
        tmp_path / "cols.fits"
    )
    with pytest.raises(InputFileError, match=r"missing column\(s\) mangaid, objdec, nsa_z"):
        read_drpall(tmp_path / "cols.fits")


def test_gswlc_errors(tmp_path):
    (tmp_path / "e.dat").write_text("")
    with pytest.raises(InputFileError, match="empty"):
        read_gswlc(tmp_path / "e.dat")
    (tmp_path / "short.dat").write_text("1 2 3\n4 5 6\n")
    with pytest.raises(InputFileError, match="has 3 columns, GSWLC-2X has 24"):
        read_gswlc(tmp_path / "short.dat")
