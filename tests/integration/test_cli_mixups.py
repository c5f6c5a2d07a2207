"""A newcomer's mix-ups get a message that names them (issue #17)."""

from __future__ import annotations

import gzip

from astropy.io import fits

from metgrad.cli import main


def test_toml_given_to_galaxy_and_fits_given_to_ingest(tmp_path, capsys):
    toml = tmp_path / "survey.toml"
    toml.write_text("[output]\ndir = 'run'\n")
    assert main(["galaxy", str(toml)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "survey.toml: a TOML configuration, not a MAPS file" in err
    maps = tmp_path / "manga-1-1-MAPS-X.fits.gz"
    maps.write_bytes(gzip.compress(b"SIMPLE  =                    T" + b" " * 50))
    assert main(["ingest", str(maps)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a FITS file (a MAPS file or cube?), not a TOML" in err


def test_a_fits_file_that_is_not_a_maps_file_says_so(tmp_path, capsys):
    cube = tmp_path / "manga-1-1.Pipe3D.cube.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(name="SSP"),
                  fits.ImageHDU(name="INDICES")]).writeto(cube)  # fmt: skip
    assert main(["galaxy", str(cube)]) == 1
    err = capsys.readouterr().err
    assert "not a DAP MAPS file" in err and "(a Pipe3D cube?)" in err


def test_fetch_offline_claims_no_partial_file(tmp_path, capsys):
    dest = tmp_path / "dest"
    assert main(["fetch", "--plateifu", "8485-1901", "--dest", str(dest), "--base-url",
                 "http://127.0.0.1:9", "--retries", "1"]) != 0  # fmt: skip
    out = capsys.readouterr()
    text = out.out + out.err
    assert "nothing was downloaded" in text and ".part for a resume" not in text
    assert not list(dest.rglob("*.part"))
