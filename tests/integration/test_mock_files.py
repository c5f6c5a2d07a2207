"""The synthetic survey's files, read with plain astropy following datamodel.md.

Nothing here goes through metgrad.mock's own code to read: extensions by EXTNAME,
channels by their ``C\\d+`` header names, mask bits by MANGA_DAPPIXMASK. The same
access pattern is run on the real DR15 MAPS file in ``shared/data/real``.
"""

import re
import tomllib

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy.cosmology import FlatLambdaCDM
from astropy.io import fits

from metgrad.mock import MockConfig, generate_survey

NOCOV, LOWCOV, FORESTAR, NOVALUE, FITFAILED, DONOTUSE = 1, 2, 8, 16, 128, 1 << 30
DAPTYPE = "HYB10-MILESHC-MASTARSSP"
DR17_LINES = (
    "OII-3727 OII-3729 H12-3751 H11-3771 Hthe-3798 Heta-3836 NeIII-3869 HeI-3889 Hzet-3890 "
    "NeIII-3968 Heps-3971 Hdel-4102 Hgam-4341 HeII-4687 Hb-4862 OIII-4960 OIII-5008 NI-5199 "
    "NI-5201 HeI-5877 OI-6302 OI-6365 NII-6549 Ha-6564 NII-6585 SII-6718 SII-6732 HeI-7067 "
    "ArIII-7137 ArIII-7753 Peta-9017 SIII-9071 Pzet-9231 SIII-9533 Peps-9548"
).split()


def channels(header):
    """Channel names from C1../C01.. keys, sorted by number, values stripped."""
    keys = sorted((k for k in header if re.fullmatch(r"C\d+", k)), key=lambda k: int(k[1:]))
    return [header[k].strip() for k in keys]


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    out = tmp_path_factory.mktemp("mock")
    # 4 galaxies, two of them observed twice: 6 plate-ifus
    result = generate_survey(MockConfig(n_galaxies=4, seed=11, repeat_fraction=0.5), out)
    return out, result.galaxies.to_pandas()


def maps_files(out):
    return sorted(out.glob(f"maps/{DAPTYPE}/*/*/manga-*-MAPS-{DAPTYPE}.fits.gz"))


def test_layout(survey):
    out, galaxies = survey
    assert len(maps_files(out)) == 6
    assert len(sorted(out.glob("pipe3d/*/manga-*.Pipe3D.cube.fits.gz"))) == 6
    for name in ("drpall-v3_1_1.fits", "GSWLC-X2.dat", "survey.toml", "truth/galaxies.parquet",
                 "truth/relations.json"):  # fmt: skip
        assert (out / name).is_file(), name
    for plateifu in galaxies.plateifu:
        plate, ifu = plateifu.split("-")
        assert (out / f"maps/{DAPTYPE}/{plate}/{ifu}").is_dir()
        assert (out / f"truth/spaxels/{plateifu}.parquet").is_file()
    assert not list(out.rglob("*.tmp*"))


def test_survey_toml(survey):
    out, _ = survey
    doc = tomllib.loads((out / "survey.toml").read_text())
    inputs = doc["inputs"]
    assert (out / inputs["drpall"]).is_file() and (out / inputs["gswlc"]).is_file()
    assert (out / inputs["maps"]).is_dir() and (out / inputs["pipe3d"]).is_dir()
    assert inputs["daptype"] == DAPTYPE
    assert doc["output"]["dir"] == "run"
    assert doc["mock"] == {"seed": 11, "galaxies": 4, "observations": 6}


def check_maps_access(path):
    """The reader's access pattern; returns the opened HDU list's key facts."""
    with fits.open(path) as hdus:
        names = [h.name for h in hdus]
        for ext in ("SPX_ELLCOO", "EMLINE_GFLUX", "EMLINE_GFLUX_IVAR", "EMLINE_GFLUX_MASK",
                    "EMLINE_SFLUX", "EMLINE_SEW", "SPECINDEX", "BINID", "SPX_SNR"):  # fmt: skip
            assert ext in names, ext
        primary = hdus[0].header
        for key in ("PLATEIFU", "MANGAID", "DAPTYPE", "VERSDAP", "REFF", "ECOOPA", "ECOOELL"):
            assert key in primary, key
        lines = channels(hdus["EMLINE_GFLUX"].header)
        flux = hdus["EMLINE_GFLUX"].data
        ivar = hdus["EMLINE_GFLUX_IVAR"].data
        mask = hdus["EMLINE_GFLUX_MASK"].data
        assert flux.shape == ivar.shape == mask.shape == (len(lines), *flux.shape[1:])
        assert flux.dtype == np.dtype(">f4") and mask.dtype == np.dtype(">i4")
        assert hdus["EMLINE_GFLUX"].header["BUNIT"] == "1E-17 erg/s/cm^2/spaxel"
        ha = lines.index("Ha-6564")
        ell = hdus["SPX_ELLCOO"]
        indices = channels(hdus["SPECINDEX"].header)
        return {
            "lines": lines,
            "ha_mask": mask[ha],
            "ha": flux[ha],
            "ellcoo": channels(ell.header),
            "r_re": ell.data[channels(ell.header).index("R/Re")],
            "d4000": hdus["SPECINDEX"].data[indices.index("D4000")],
            "reff": primary["REFF"],
            "shape": flux.shape,
        }


def test_real_dr15_file_reads_with_the_same_pattern(real_maps_dr15):
    facts = check_maps_access(real_maps_dr15)
    assert len(facts["lines"]) == 22
    assert facts["ellcoo"] == ["Elliptical radius", "R/Re", "Elliptical azimuth"]
    assert ((facts["ha_mask"] & DONOTUSE) > 0).any()


def test_maps_datamodel(survey):
    out, galaxies = survey
    for path in maps_files(out):
        facts = check_maps_access(path)
        assert facts["lines"] == DR17_LINES
        assert facts["ellcoo"] == ["Elliptical radius", "R/Re", "R h/kpc", "Elliptical azimuth"]
        n = facts["shape"][1]
        assert n in (32, 42, 54, 62, 74) and facts["shape"][2] == n
        mask = facts["ha_mask"]
        nocov = (mask & NOCOV) > 0
        assert nocov.any() and (~nocov).sum() > 100
        assert ((mask[nocov] & DONOTUSE) > 0).all()
        assert (facts["ha"][nocov] == 0).all()
        failed = (mask & FITFAILED) > 0
        assert ((mask[failed] & DONOTUSE) > 0).all()
        # the NOCOV region is the complement of a centred hexagon
        assert not nocov[n // 2, n // 2] and nocov[0, 0]
        with fits.open(path) as hdus:
            assert len(channels(hdus["SPECINDEX"].header)) == 46
            assert hdus["SPECINDEX"].header["U44"] == ""
            assert hdus["SPX_ELLCOO"].data.shape == (4, n, n)
            assert hdus["BINID"].data.shape == (5, n, n)
            assert hdus["BINID"].data.dtype == np.dtype(">i4")
            assert (hdus["BINID"].data[3][nocov] == -1).all()
            sflux = hdus["EMLINE_SFLUX"]
            smask = hdus["EMLINE_SFLUX_MASK"].data
            s_lines = channels(sflux.header)
            oii29 = s_lines.index("OII-3729")
            assert (sflux.data[oii29] == 0).all()
            assert ((smask[oii29] & DONOTUSE) > 0).all()
            g = hdus["EMLINE_GFLUX"].data
            for tied, parent, factor in (("OIII-4960", "OIII-5008", 0.35),
                                         ("NII-6549", "NII-6585", 0.34)):  # fmt: skip
                np.testing.assert_allclose(g[DR17_LINES.index(tied)],
                                           factor * g[DR17_LINES.index(parent)], rtol=1e-6)  # fmt: skip
            # unmodelled lines: zero, NOVALUE | DONOTUSE inside the footprint
            unmod = hdus["EMLINE_GFLUX_MASK"].data[DR17_LINES.index("HeII-4687")]
            assert ((unmod[~nocov] & (NOVALUE | DONOTUSE)) == NOVALUE | DONOTUSE).all()
        row = galaxies[galaxies.plateifu == fits.getheader(path)["PLATEIFU"]].iloc[0]
        assert facts["reff"] == pytest.approx(row.re_arcsec, rel=1e-6)


def test_pipe3d_datamodel_and_sigma_star(survey):
    out, galaxies = survey
    drpall = fits.getdata(out / "drpall-v3_1_1.fits", extname="MANGA")
    cosmo = FlatLambdaCDM(H0=71, Om0=0.27)
    for row in galaxies.itertuples():
        path = out / f"pipe3d/{row.plate}/manga-{row.plateifu}.Pipe3D.cube.fits.gz"
        with fits.open(path) as hdus:
            assert [h.name for h in hdus] == ["ORG_HDR", "SSP", "SFH", "INDICES", "ELINES",
                "FLUX_ELINES", "FLUX_ELINES_LONG", "GAIA_MASK", "SELECT_REG"]  # fmt: skip
            ssp = hdus["SSP"]
            assert ssp.data.shape[0] == 21
            desc = [ssp.header[f"DESC_{i}"] for i in range(21)]
            assert "dezonification" in desc[2] and "luminosity weighted age" in desc[5]
            assert "dust corrected" in desc[19]
            assert hdus["INDICES"].header["INDEX5"] == "D4000"
            assert hdus["INDICES"].header["INDEX13"] == "e_D4000"
            select = hdus["SELECT_REG"].data
            mass, dezon, segm = ssp.data[19], ssp.data[2], ssp.data[1]
        cat = drpall[drpall["plateifu"] == row.plateifu][0]
        ba, z = float(cat["nsa_elpetro_ba"]), float(cat["z"])
        kpc = cosmo.angular_diameter_distance(z).to_value("kpc") * np.radians(0.5 / 3600)
        sigma = 10.0 ** mass.astype(float) * dezon * ba * 0.62 / kpc**2  # paper §2.1
        truth = pq.read_table(out / f"truth/spaxels/{row.plateifu}.parquet").to_pandas()
        rr, cc = truth.spaxel_row.to_numpy(), truth.spaxel_col.to_numpy()
        assert (select[rr, cc] == 1).all() and select.sum() == len(truth)
        ratio = np.log10(sigma[rr, cc] / truth.sigma_star.to_numpy())
        # constant within each continuum bin (only the per-bin noise), ~0.05 dex overall
        bins = segm[rr, cc].astype(int)
        for b in np.unique(bins)[:50]:
            in_bin = ratio[bins == b]
            assert np.ptp(in_bin) < 2e-5
        assert np.std(ratio) == pytest.approx(0.05, abs=0.02)
        assert abs(np.median(ratio)) < 0.02


def test_catalogues(survey):
    out, galaxies = survey
    drpall = fits.getdata(out / "drpall-v3_1_1.fits", extname="MANGA")
    assert list(drpall["plateifu"]) == list(galaxies.plateifu)
    for col in ("nsa_elpetro_th50_r", "nsa_elpetro_ba", "nsa_elpetro_phi", "z", "objra",
                "objdec", "mangaid", "ifudsgn", "plate"):  # fmt: skip
        assert col in drpall.names
    np.testing.assert_allclose(drpall["nsa_elpetro_ba"], galaxies.ba, rtol=1e-6)
    rows = [line.split() for line in (out / "GSWLC-X2.dat").read_text().splitlines()]
    assert all(len(r) == 24 for r in rows)
    table = np.array(rows, dtype=float)
    assert len(table) >= 2 * (galaxies.repeat_of == "").sum()
    for g in galaxies.itertuples():
        sep = 3600 * np.hypot(
            (table[:, 5] - g.ra) * np.cos(np.radians(g.dec)), table[:, 6] - g.dec
        )
        close = sep < 1.0
        assert close.sum() == int(g.in_gswlc)
        if g.in_gswlc:
            assert sep[close][0] < 0.5
            logm = table[close, 9][0]
            if g.gswlc_has_mass:  # Chabrier = Kroupa / 1.06
                assert logm == pytest.approx(g.logm_kroupa - np.log10(1.06), abs=1e-4)
            else:
                assert logm == -99


def test_repeat_observations(survey):
    """DR17-like repeats: same mangaid and sky position, another plate, one GSWLC source."""
    out, galaxies = survey
    repeats = galaxies[galaxies.repeat_of != ""]
    assert len(repeats) == 2 and galaxies.plateifu.is_unique
    drpall = fits.getdata(out / "drpall-v3_1_1.fits", extname="MANGA")
    assert len(drpall) == 6 and len(set(drpall["mangaid"])) == 4
    gswlc = np.array([r.split() for r in (out / "GSWLC-X2.dat").read_text().splitlines()],
                     dtype=float)  # fmt: skip
    by_plateifu = galaxies.set_index("plateifu")
    for rep in repeats.itertuples():
        first = by_plateifu.loc[rep.repeat_of]
        assert first.repeat_of == "" and first.galaxy_index == rep.galaxy_index
        assert first.n_observations == rep.n_observations == 2
        pair = drpall[np.isin(drpall["plateifu"], [rep.plateifu, rep.repeat_of])]
        assert len(set(pair["mangaid"])) == 1 and len(set(pair["plate"])) == 2
        for column in ("objra", "objdec", "z", "nsa_elpetro_ba", "nsa_elpetro_th50_r",
                       "nsa_nsaid", "ifudesignsize"):  # fmt: skip
            assert pair[column][0] == pair[column][1], column
        sep = 3600 * np.hypot((gswlc[:, 5] - rep.ra) * np.cos(np.radians(rep.dec)),
                              gswlc[:, 6] - rep.dec)  # fmt: skip
        assert (sep < 1.0).sum() == int(first.in_gswlc)
        # same galaxy (intrinsic truth identical), independent noise
        t1, t2 = (pq.read_table(out / f"truth/spaxels/{p}.parquet").to_pandas()
                  for p in (rep.repeat_of, rep.plateifu))  # fmt: skip
        for column in ("sigma_star", "oh_base", "ha6564_dustfree", "ebv", "d4000"):
            np.testing.assert_array_equal(t1[column], t2[column])
        assert not np.array_equal(t1["ha6564_gflux"], t2["ha6564_gflux"])
    gswlc_truth = pq.read_table(out / "truth/gswlc.parquet").to_pandas()
    assert not set(repeats.plateifu) & set(gswlc_truth.plateifu)
