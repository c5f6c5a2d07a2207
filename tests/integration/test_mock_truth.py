"""The synthetic survey against its truth: reproducibility, calibrators, injected relations."""

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy.io import fits

from metgrad import calibration, physics
from metgrad.mock import MockConfig, generate_survey
from metgrad.mock.lines import LINE_WAVELENGTHS
from metgrad.mock.maps import base_metallicity
from metgrad.mock.scales import oh_on_scale
from metgrad.mock.truth import line_tag
from metgrad.parallel import open_executor
from metgrad.physics import calibrators


def all_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_same_bytes_whatever_the_executor(tmp_path):
    config = MockConfig(n_galaxies=3, seed=5)
    generate_survey(config, tmp_path / "serial")
    with open_executor(workers=2) as executor:
        generate_survey(config, tmp_path / "pool", executor=executor)
    a, b = all_bytes(tmp_path / "serial"), all_bytes(tmp_path / "pool")
    assert a.keys() == b.keys() and len(a) > 10
    assert all(a[k] == b[k] for k in a)
    generate_survey(MockConfig(n_galaxies=3, seed=6), tmp_path / "other")
    c = all_bytes(tmp_path / "other")
    maps = [k for k in a if k.startswith("maps/")]
    assert any(a[k] != c.get(k) for k in maps)


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    out = tmp_path_factory.mktemp("mock_truth")
    result = generate_survey(MockConfig(n_galaxies=5, seed=21), out)
    return out, result.galaxies.to_pandas()


def spaxels(out, plateifu):
    return pq.read_table(out / f"truth/spaxels/{plateifu}.parquet").to_pandas()


def test_calibrators_on_noise_free_fluxes_return_the_recorded_scales(tmp_path):
    """Every pipeline calibrator on the dereddened noise-free lines = the truth's column.

    ``oh_<key>`` (``oh_m13``, ``oh_pg16``, ``oh_c20_r23``, ...) are the mock's own writing
    of the 19 calibrators applied to its HII-region line model; the pipeline's code
    (:mod:`metgrad.physics.calibrators`) is independent.
    """
    # no diffuse or LINER-like gas, so every spaxel's lines are pure star formation
    config = MockConfig(n_galaxies=3, seed=21, dig_ew_range=(0.0, 0.0), quench_centre_prob_max=0)
    galaxies = generate_survey(config, tmp_path).galaxies.to_pandas()
    out = tmp_path
    n_checked = dict.fromkeys(calibrators.available(), 0)
    for g in galaxies.itertuples():
        t = spaxels(out, g.plateifu)
        assert (t.ha_sf_fraction == 1).all()
        # reddened, before the PSF, corrected with the recorded E(B-V)
        ebv = t.ebv.to_numpy(dtype=float)
        np.testing.assert_allclose(physics.balmer_ebv(t.ha6564_nopsf.to_numpy(float),
                                                      t.hb4862_nopsf.to_numpy(float)), ebv,
                                   atol=1e-5)  # fmt: skip
        fluxes = {
            name: physics.deredden(t[f"{line_tag(name)}_nopsf"].to_numpy(float), wave, ebv)
            for name, wave in LINE_WAVELENGTHS.items()
        }
        for name in calibrators.available():
            key = calibration.get(name).key
            oh = calibrators.get(name).oh(fluxes)
            ok = np.isfinite(oh)  # the pipeline's validity range
            # float32 storage of the fluxes limits the agreement to ~1e-6 dex
            np.testing.assert_allclose(oh[ok], t[f"oh_{key}"].to_numpy(float)[ok], atol=2e-4,
                                       err_msg=name)  # fmt: skip
            n_checked[name] += int(ok.sum())
        hb, oiii, nii, ha = (fluxes[n] for n in ("Hb-4862", "OIII-5008", "NII-6585", "Ha-6564"))
        oii = fluxes["OII-3727"] + fluxes["OII-3729"]
        np.testing.assert_allclose(physics.oh_o3n2_m13(oiii, hb, nii, ha), t.oh_m13, atol=2e-4)
        np.testing.assert_allclose(physics.oh_r_pg16(oii, hb, oiii, nii), t.oh_pg16, atol=2e-4)
    assert min(n_checked.values()) > 300, n_checked
    # the galaxy truth has each calibrator's gradient over the star-forming 0.5-2 R_e spaxels
    for key in calibration.CALIBRATORS:
        assert np.isfinite(galaxies[f"true_gradient_{key}"]).all(), key


def test_construction_flags_follow_the_bpt(survey):
    out, galaxies = survey
    for g in galaxies.itertuples():
        t = spaxels(out, g.plateifu)
        args = [t[f"{x}_dustfree"].to_numpy(float) for x in ("nii6585", "ha6564", "oiii5008",
                                                                "hb4862")]  # fmt: skip
        sf = physics.is_star_forming_k03(*args)
        pure_sf = t.ha_sf_fraction.to_numpy() > 0.95
        pure_other = t.ha_sf_fraction.to_numpy() < 0.05
        assert sf[pure_sf].all()
        assert not sf[pure_other].any()


def test_snr_falls_with_radius(survey):
    out, galaxies = survey
    for g in galaxies.itertuples():
        t = spaxels(out, g.plateifu)
        snr = t.ha6564_psf / t.ha6564_gflux_err
        inner = np.median(snr[t.r_re < 0.5 * t.r_re.max()])
        outer = np.median(snr[t.r_re > 0.8 * t.r_re.max()])
        assert outer < inner


def test_injected_relation_recovered_from_the_files(survey):
    """Observed M13 of clean star-forming spaxels vs the injected M*-Sigma_*-O/H relation.

    Everything on the 'observed' side comes from the files through plain astropy and
    metgrad.physics (DAP GFLUX, Pipe3D mass with dezonification, b/a from drpall, M* from
    the injected Kroupa value). The relation is injected on the Te scale and is put on
    the M13 scale through the mock's noise-free lines (``oh_on_scale``, no U offset);
    the residual should be the injected non-base terms, the ionisation-parameter
    scatter and noise: centred near zero with a scatter of a few hundredths of a dex.
    """
    out, galaxies = survey
    config = MockConfig()
    resid_all = []
    for g in galaxies.itertuples():
        plate, ifu = g.plateifu.split("-")
        maps = (
            out
            / f"maps/{config.daptype}/{plate}/{ifu}/manga-{g.plateifu}-MAPS-{config.daptype}.fits.gz"
        )
        with fits.open(maps) as h:
            names = [h["EMLINE_GFLUX"].header[f"C{i:02d}"].strip() for i in range(1, 36)]
            flux, ivar, mask = (h[e].data for e in ("EMLINE_GFLUX", "EMLINE_GFLUX_IVAR",
                                                    "EMLINE_GFLUX_MASK"))  # fmt: skip
            r_re = h["SPX_ELLCOO"].data[1]
        line = {k: names.index(k) for k in ("Hb-4862", "OIII-5008", "NII-6585", "Ha-6564")}
        f = {k: flux[i].astype(float) for k, i in line.items()}
        snr_ok = np.all([flux[i] * np.sqrt(ivar[i]) > 10 for i in line.values()], axis=0)
        ok = snr_ok & np.all([(mask[i] & (1 << 30)) == 0 for i in line.values()], axis=0)
        ok &= (r_re > 0.5) & (r_re < 2.0)
        ok &= physics.is_star_forming_k03(f["NII-6585"], f["Ha-6564"], f["OIII-5008"],
                                          f["Hb-4862"])  # fmt: skip
        if ok.sum() < 20:
            continue
        oh = physics.oh_o3n2_m13(f["OIII-5008"], f["Hb-4862"], f["NII-6585"], f["Ha-6564"])
        t = spaxels(out, g.plateifu).set_index(["spaxel_row", "spaxel_col"])
        rows, cols = np.nonzero(ok)
        sig = t.loc[list(zip(rows, cols, strict=True)), "sigma_star_pipe3d"].to_numpy(float)
        model = oh_on_scale("m13", base_metallicity(g.logm_kroupa, np.log10(sig), config), 0.0,
                            config)  # fmt: skip
        resid_all.append(oh[ok] - model)
    resid = np.concatenate(resid_all)
    assert len(resid) > 300
    assert abs(np.median(resid)) < 0.05
    assert 0.02 < np.std(resid) < 0.12


def bisect(fn, target, lo=7.6, hi=8.86, steps=60):
    """Vectorised bisection for an increasing or decreasing ``fn`` on [lo, hi]."""
    lo, hi = np.full_like(target, lo), np.full_like(target, hi)
    rising = fn(hi) > fn(lo)
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        below = (fn(mid) < target) == rising
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def test_true_oh_from_the_recorded_dust_free_lines(tmp_path):
    """The truth's dust-free lines and true O/H agree through the published C20 relations.

    Pure star formation, no ionisation-parameter scatter: Curti et al. (2020) N2 and O3O2
    (monotonic; their Table 2 coefficients, written here) inverted on the recorded
    ``*_dustfree`` fluxes return ``oh_te`` to float32 precision, and every line the
    calibrators use is there, with the DAP ties.
    """
    config = MockConfig(n_galaxies=2, seed=4, dig_ew_range=(0.0, 0.0), quench_centre_prob_max=0,
                        ion_scatter_field=0.0, ion_scatter_galaxy=0.0)  # fmt: skip
    galaxies = generate_survey(config, tmp_path).galaxies.to_pandas()
    for g in galaxies.itertuples():
        t = spaxels(tmp_path, g.plateifu)
        t = t[t.oh_te < 8.85]  # the N2 relation turns over above 8.87
        f = {c[:-9]: t[c].to_numpy(float) for c in t.columns if c.endswith("_dustfree")}
        for tag in ("hb4862", "oiii4960", "oiii5008", "nii6549", "nii6585", "ha6564",
                    "sii6718", "sii6732", "oii3727", "oii3729"):  # fmt: skip
            assert (f[tag] > 0).all(), tag
        np.testing.assert_allclose(f["oiii4960"], 0.35 * f["oiii5008"], rtol=1e-6)
        np.testing.assert_allclose(f["nii6549"], 0.34 * f["nii6585"], rtol=1e-6)
        n2 = np.log10(f["nii6585"] / f["ha6564"])
        o3o2 = np.log10(f["oiii5008"] / (f["oii3727"] + f["oii3729"]))
        oh_te = t.oh_te.to_numpy(float)

        def c20_n2(oh):
            return np.polyval([-2.867, -5.293, -2.554, 1.513, -0.489], oh - 8.69)

        def c20_o3o2(oh):
            return np.polyval([-1.308, -2.944, -0.691], oh - 8.69)

        np.testing.assert_allclose(bisect(c20_n2, n2), oh_te, atol=2e-4)
        np.testing.assert_allclose(bisect(c20_o3o2, o3o2), oh_te, atol=2e-4)
