"""spaxel_table on hand-made maps whose derived values are worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.cosmology import FlatLambdaCDM

from metgrad.io.maps import DapMaps, LineMap
from metgrad.io.maskbits import mask_value
from metgrad.io.pipe3d import Pipe3DMaps
from metgrad.spaxels import CUTS, GalaxyInfo, spaxel_table

# One row of 6 spaxels (y = 0, x = 0..5):
#  0 star-forming, E(B-V) = 0 (Ha/Hb = 2.86 exactly), passes every cut
#  1 as 0 but EW(Ha) = 5 A and R/Re = 2.5      -> fails ew and radius; first = ew
#  2 as 0 but [NII] flagged DONOTUSE           -> first = mask
#  3 AGN-like: [OIII]/Hb = 10, [NII]/Ha = 1    -> fails bpt (and oh_m13)
#  4 as 0 but [OII]3727 error so large S/N < 3 -> first = snr
#  5 outside the footprint (NOCOV)             -> not in the table
N = 6
DONOTUSE = mask_value("DONOTUSE")
NOCOV = mask_value("NOCOV", "DONOTUSE")


def _line(values, errors=None, masks=None):
    v = np.array([values], dtype=float)
    e = np.full_like(v, 1.0) if errors is None else np.array([errors], dtype=float)
    m = np.zeros(v.shape, dtype=np.int64) if masks is None else np.array([masks], dtype=np.int64)
    m[0, 5] |= NOCOV
    return LineMap(value=v, ivar=1.0 / e**2, mask=m, unit="1E-17 erg/s/cm^2/spaxel")


def _maps():
    base = {"Ha-6564": 286.0, "Hb-4862": 100.0, "OIII-5008": 50.0, "NII-6585": 28.6}
    gflux = {}
    for name, f in base.items():
        values = [f] * N
        if name == "OIII-5008":
            values[3] = 1000.0  # [OIII]/Hb = 10
        if name == "NII-6585":
            values[3] = 286.0  # [NII]/Ha = 1
        masks = [0] * N
        if name == "NII-6585":
            masks[2] = DONOTUSE
        gflux[name] = _line(values, masks=masks)
    gflux["OII-3727"] = _line([100.0] * N, errors=[1.0, 1.0, 1.0, 1.0, 70.0, 1.0])
    gflux["OII-3729"] = _line([100.0] * N)
    sflux = {"Ha-6564": _line([1000.0] * N)}
    sew = {"Ha-6564": _line([50.0, 5.0, 50.0, 50.0, 50.0, 50.0])}
    r_re = np.array([[1.0, 2.5, 1.0, 1.0, 1.0, 1.0]])
    return DapMaps(
        path=Path("hand.fits"), plateifu="1-1", mangaid="1-1", daptype="X", versdap="3.1.0",
        reff_arcsec=4.0, ecoo_pa_deg=0.0, ecoo_ell=0.2, r_arcsec=4.0 * r_re, r_re=r_re,
        azimuth_deg=np.zeros((1, N)), gflux=gflux, sflux=sflux, sew=sew,
    )  # fmt: skip


def _pipe3d():
    full = np.ones((1, N))
    return Pipe3DMaps(
        path=Path("hand.cube.fits"), dezonification=full * 1.0, log_age_lw=full * 9.0,
        log_mass_density_dust=full * 8.0, d4000=full * 1.3, d4000_err=full * 0.01,
        select_reg=None, plane_source="header",
    )  # fmt: skip


@pytest.fixture(scope="module")
def result():
    return spaxel_table(_maps(), GalaxyInfo("1-1", z=0.03, ba=0.8), _pipe3d())


def test_rows_are_covered_spaxels(result):
    t = result.table
    assert list(t["x"]) == [0, 1, 2, 3, 4]
    assert result.mode == "full" and result.skipped_cuts == ()


def test_cut_flags_and_first_reason(result):
    t = result.table.set_index("x")
    assert list(t["reject_reason"]) == ["", "ew", "mask", "bpt", "snr"]
    assert list(t["selected"]) == [True, False, False, False, False]
    assert not t.loc[1, "ok_ew"] and not t.loc[1, "ok_radius"] and t.loc[1, "ok_bpt"]
    assert not t.loc[3, "ok_bpt"] and t.loc[3, "ok_mask"]
    assert t.loc[4, "snr_oii"] == pytest.approx(200 / np.hypot(70, 1))  # 2.857 < 3
    counts = result.cut_counts()
    assert counts["covered"] == 5 and counts["selected"] == 1
    assert sum(counts[f"first_{c}"] for c in CUTS) == 4


def test_oii_snr_uses_the_summed_doublet():
    # With a 3727 error of 60: S/N of the sum = (100 + 100) / sqrt(60^2 + 1^2) = 3.333,
    # which passes although the 3727 component alone has S/N 100/60 = 1.7.
    maps = _maps()
    maps.gflux["OII-3727"].ivar[0, 4] = 1 / 60.0**2
    t = spaxel_table(maps, GalaxyInfo("1-1", z=0.03, ba=0.8), _pipe3d()).table
    assert t.loc[4, "snr_oii"] == pytest.approx(200 / np.hypot(60, 1))
    assert t.loc[4, "ok_snr"] and t.loc[4, "reject_reason"] == ""


def test_metallicities_worked_by_hand(result):
    row = result.table.iloc[0]
    # Ha/Hb = 286/100 = 2.86 -> E(B-V) = 0, A_V = 0, corrected = observed.
    assert row["ebv"] == pytest.approx(0.0, abs=1e-12)
    assert row["corr_oiii"] == pytest.approx(50.0)
    # M13: O3N2 = log10(50/100) - log10(28.6/286) = -0.301030 + 1 = 0.698970
    #      12+log(O/H) = 8.533 - 0.214 * 0.698970 = 8.533 - 0.149580 = 8.383420
    assert row["oh_m13"] == pytest.approx(8.383420, abs=1e-6)
    # PG16: N2 = 4/3 * 28.6/100 = 0.381333, log = -0.418696 (>= -0.6: upper branch)
    #       R3 = 4/3 * 50/100 = 0.666667, log = -0.176091; R2 = 200/100 = 2, log = 0.301030
    #       log(R3/R2) = -0.477121
    #       8.589 + 0.022(-0.477121) + 0.399(-0.418696)
    #         + (-0.137 + 0.164(-0.477121) + 0.589(-0.418696)) * 0.301030
    #       = 8.589 - 0.010497 - 0.167060 + (-0.137 - 0.078248 - 0.246612) * 0.301030
    #       = 8.411443 - 0.461860 * 0.301030 = 8.411443 - 0.139034 = 8.272409
    assert row["oh_pg16"] == pytest.approx(8.272409, abs=2e-6)
    assert row["oh_m13_err"] > 0 and row["oh_pg16_err"] > 0


def test_surface_densities_worked_by_hand(result):
    row = result.table.iloc[0]
    cosmo = FlatLambdaCDM(H0=71, Om0=0.27)
    d_l = cosmo.luminosity_distance(0.03).to_value(u.cm)
    area = (0.5 / 206264.806 * cosmo.angular_diameter_distance(0.03).to_value(u.kpc)) ** 2
    # L = 4 pi D_L^2 * 1000e-17 erg/s/cm^2; SFR = 5.5e-42 L; Sigma = SFR / area * b/a
    expected_sfr = 5.5e-42 * 4 * np.pi * d_l**2 * 1000e-17 / area * 0.8
    assert row["sigma_sfr"] == pytest.approx(expected_sfr, rel=1e-6)
    # Sigma_* = 10^8 Msun (Salpeter) * dezon 1 * b/a 0.8 * 0.62 / area
    expected_star = 1e8 * 0.8 * 0.62 / area
    assert row["sigma_star"] == pytest.approx(expected_star, rel=1e-6)
    assert row["ssfr_local"] == pytest.approx(expected_sfr / expected_star, rel=1e-6)
    assert row["d4000"] == 1.3 and row["log_age_lw"] == 9.0


def test_dap_only_mode_skips_d4000():
    st = spaxel_table(_maps(), GalaxyInfo("1-1", z=0.03, ba=0.8))
    assert st.mode == "dap-only" and st.skipped_cuts == ("d4000",)
    assert st.table["ok_d4000"].all()
    assert st.table["sigma_star"].isna().all()
    assert list(st.table["reject_reason"]) == ["", "ew", "mask", "bpt", "snr"]


def test_bad_galaxy_values():
    with pytest.raises(ValueError, match="1-1: axis ratio"):
        GalaxyInfo("1-1", z=0.03, ba=0.0)
    with pytest.raises(ValueError, match="1-1: redshift"):
        GalaxyInfo("1-1", z=float("nan"), ba=0.5)


def test_arrow_table_is_typed_as_pyarrow_writes_the_frame(result):
    # the ingest writes to_arrow(); older runs wrote the DataFrame: one dataset must read both
    import pyarrow as pa

    from_frame = pa.Table.from_pandas(result.table, preserve_index=False)
    direct = result.to_arrow(metadata={"k": "v"})
    assert direct.schema.remove_metadata() == from_frame.schema.remove_metadata()
    assert direct.schema.metadata == {b"k": b"v"}
    for name in from_frame.column_names:  # NaN -> null in both
        assert direct[name].equals(from_frame[name]), name
    assert direct["sigma_star"].null_count == 0 and direct.num_rows == result.n_spaxels


def test_first_failed_cut_counts_match_the_reasons():
    maps = _maps()
    st = spaxel_table(maps, GalaxyInfo("1-1", z=0.03, ba=0.8))  # DAP-only: sigma_star NaN
    counts = st.cut_counts()
    reasons = st.table["reject_reason"].value_counts()
    for cut in CUTS:
        assert counts[f"first_{cut}"] == reasons.get(cut, 0), cut
    assert st.to_arrow()["sigma_star"].null_count == st.n_spaxels  # NaN written as null


def test_bpt_uses_dust_corrected_ratios_unless_told_otherwise():
    """A spaxel just above the Kauffmann line before dust correction, below it after.

    Worked by hand: x = log([NII]/Ha) = log(0.3) = -0.5229 puts the line at
    y = 0.61 / (x - 0.05) + 1.3 = 0.2348, i.e. [OIII]/Hb = 1.7174. Observed
    [OIII]/Hb = 1.75 (above). Ha/Hb = 4.0 gives E(B-V) = 2.5 / (k(Hb) - k(Ha))
    log10(4 / 2.86) = 2.5 / 1.2718 x 0.14569 = 0.2864 mag, and with k(Hb) - k(OIII) =
    3.648 - 3.514 = 0.134 (Calzetti, R_V = 3.1) the corrected [OIII]/Hb is
    1.75 x 10^(-0.4 x 0.2864 x 0.134) = 1.6892 (below); [NII]/Ha barely changes (its
    k values differ by 0.013).
    """
    from metgrad.config import SelectionConfig

    dap = _maps()
    ha, hb = 400.0, 100.0
    for name, value in {"Ha-6564": ha, "Hb-4862": hb, "OIII-5008": 175.0,
                        "NII-6585": 0.3 * ha}.items():  # fmt: skip
        dap.gflux[name].value[0, 0] = value
    info = GalaxyInfo("1-1", z=0.03, ba=1.0, re_arcsec=4.0)
    corrected = spaxel_table(dap, info).table
    observed = spaxel_table(dap, info, selection=SelectionConfig(bpt_dust_corrected=False)).table
    assert bool(corrected.loc[0, "ok_bpt"]) and not bool(observed.loc[0, "ok_bpt"])
    ratio = corrected.loc[0, "corr_oiii"] / corrected.loc[0, "corr_hb"]
    assert ratio == pytest.approx(1.6892, abs=1e-3)
