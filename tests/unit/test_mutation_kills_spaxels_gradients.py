"""Behaviour of metgrad.spaxels the tests did not pin down, found by ``make mutation``.

Every test builds its own tiny one-row maps (a module-scoped fixture would be credited
by mutmut to the first test only) and compares the spaxel table with values worked
out here from the published formulas: the Calzetti et al. (2000) curve (eq. 4), the
Balmer decrement, Kennicutt et al. (2009) SFR, Marino et al. (2013) O3N2, the
potential of spherical shells, and the cut rules of Boardman et al. (2022, §2.2).
benchmarks/mutation/spaxels_gradients.md lists what is left.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from astropy import constants as const
from astropy import units as u
from astropy.cosmology import FlatLambdaCDM

from metgrad.config import PhysicsConfig, SelectionConfig
from metgrad.io.errors import InputFileError
from metgrad.io.maps import DapMaps, LineMap
from metgrad.io.maskbits import mask_value
from metgrad.io.pipe3d import Pipe3DMaps
from metgrad.spaxels import CUTS, GalaxyInfo, spaxel_table

DONOTUSE = mask_value("DONOTUSE")
NOCOV = mask_value("NOCOV", "DONOTUSE")
# DAP vacuum wavelengths (Angstrom) of the channels, and the [OII] doublet's mean
WAVE = {"oii": 3728.48, "hb": 4862.683, "oiii": 5008.240, "ha": 6564.608, "nii": 6585.27}
CHANNEL = {"hb": "Hb-4862", "oiii": "OIII-5008", "nii": "NII-6585", "ha": "Ha-6564"}
STAR_FORMING = {"ha": 400.0, "hb": 100.0, "oiii": 60.0, "nii": 60.0, "oii": 100.0}


def _with_nocov(values, last, dtype=float):
    """``values`` of the covered spaxels and ``last`` for the NOCOV one, as a (1, n + 1) map."""
    return np.append(np.asarray(values, dtype=float), last).astype(dtype)[None, :]


def _map(values, *, ivar=None, masks=None):
    """One row of covered spaxels plus one NOCOV spaxel at the end."""
    v = _with_nocov(values, 1.0)
    iv = np.ones_like(v) if ivar is None else _with_nocov(ivar, 1.0)
    m = np.zeros(v.shape, dtype=np.int64)
    if masks is not None:
        m[0, :-1] = masks
    m[0, -1] |= NOCOV
    return LineMap(value=v, ivar=iv, mask=m, unit="1E-17 erg/s/cm^2/spaxel")


def _dap(n, *, lines=None, ivar=None, masks=None, sflux=None, sew=None, r_arcsec=None,
         r_re=None):  # fmt: skip
    """Maps of ``n`` covered spaxels; every line star-forming unless given."""
    lines, ivar, masks = lines or {}, ivar or {}, masks or {}
    gflux = {}
    for short, name in CHANNEL.items():
        values = lines.get(short, [STAR_FORMING[short]] * n)
        gflux[name] = _map(values, ivar=ivar.get(short), masks=masks.get(short))
    oii = lines.get("oii", [STAR_FORMING["oii"]] * n)
    gflux["OII-3727"] = _map(oii, ivar=ivar.get("oii"), masks=masks.get("oii"))
    gflux["OII-3729"] = _map(lines.get("oii_b", oii), ivar=ivar.get("oii_b"))
    rr = _with_nocov(np.ones(n) if r_re is None else r_re, 1.0)
    ra = _with_nocov(4.0 * rr[0, :-1] if r_arcsec is None else r_arcsec, 4.0)
    return DapMaps(
        path=Path("hand.fits"), plateifu="1-1", mangaid="1-1", daptype="X", versdap="3.1.0",
        reff_arcsec=4.0, ecoo_pa_deg=0.0, ecoo_ell=0.2, r_arcsec=ra, r_re=rr,
        azimuth_deg=np.zeros(rr.shape), gflux=gflux,
        sflux={"Ha-6564": _map([1000.0] * n if sflux is None else sflux,
                               masks=masks.get("sflux"))},
        sew={"Ha-6564": _map([50.0] * n if sew is None else sew, masks=masks.get("sew"))},
    )  # fmt: skip


def _pipe3d(n, *, log_mass=8.0, dezon=1.0, d4000=1.25, log_age=9.0, dtype=np.float64):
    def row(value):
        return _with_nocov(np.broadcast_to(value, n), 0.0, dtype)

    return Pipe3DMaps(
        path=Path("hand.cube.fits"), dezonification=row(dezon), log_age_lw=row(log_age),
        log_mass_density_dust=row(log_mass), d4000=row(d4000), d4000_err=row(0.01),
        select_reg=None, plane_source="header",
    )  # fmt: skip


def _calzetti_k(wave_aa, r_v):
    """Calzetti et al. (2000) eq. 4, written out here (x = 1 / lambda in micron)."""
    x = 1.0e4 / wave_aa
    if wave_aa < 6300.0:
        return 2.659 * (-2.156 + 1.509 * x - 0.198 * x**2 + 0.011 * x**3) + r_v
    return 2.659 * (-1.857 + 1.040 * x) + r_v


def _o3n2_oh(f, ebv, r_v):
    """M13: 12+log(O/H) = 8.533 - 0.214 O3N2, O3N2 from dust-corrected fluxes."""
    c = {k: f[k] * 10 ** (0.4 * ebv * _calzetti_k(WAVE[k], r_v)) for k in f}
    return 8.533 - 0.214 * (np.log10(c["oiii"] / c["hb"]) - np.log10(c["nii"] / c["ha"]))


def _ebv(ha, hb, intrinsic, r_v=3.1):
    dk = _calzetti_k(WAVE["hb"], r_v) - _calzetti_k(WAVE["ha"], r_v)
    return 2.5 / dk * np.log10(ha / hb / intrinsic)


# ---------------------------------------------------------------- columns and types


EXPECTED_COLUMNS = {
    "plateifu", "x", "y", "r_re", "r_arcsec", "flux_ha_np", "ew_ha", "balmer_ratio", "ebv",
    "a_v", "corr_ha_np", "sigma_sfr", "sigma_star", "ssfr_local", "d4000", "log_age_lw",
    "av_over_sigma_star", "sigma_sfr_over_av", "v_esc", "selected", "reject_reason",
    *(f"{kind}_{line}" for kind in ("flux", "err", "snr", "corr")
      for line in ("oii", "hb", "oiii", "nii", "ha")),
    *(f"ok_{cut}" for cut in CUTS),
}  # fmt: skip
# the calibrators whose lines these maps have (no [SII], no [OIII]4960 for R23)
NO_SII = ("m13", "m13_n2", "pp04_n2", "pp04_n2_cubic", "pp04_o3n2", "pg16", "kd02_n2o2",
          "c20_n2", "c20_o3n2", "c20_r3", "c20_r2", "c20_o3o2")  # fmt: skip
BRANCHED = ("c20_r3", "c20_r2")


@pytest.mark.parametrize("full", [True, False])
def test_columns_names_and_types(full):
    pipe3d = _pipe3d(3, dtype=np.float32) if full else None  # a cube read as float32
    st = spaxel_table(_dap(3), GalaxyInfo("7-12", z=0.03, ba=0.8), pipe3d)
    c = st.columns
    oh = {f"oh_{k}" for k in NO_SII} | {f"oh_{k}_err" for k in NO_SII}
    branch = {name for name in c if name.startswith("branch_")}
    assert set(c) == EXPECTED_COLUMNS | oh | branch, set(c) ^ (EXPECTED_COLUMNS | oh | branch)
    # double-valued calibrators after the ones left out (PG16 S, D16, KK04) get their branch
    assert {f"branch_{k}" for k in BRANCHED} <= branch
    assert all(c[name].dtype == np.int8 for name in branch)
    assert list(c["plateifu"]) == ["7-12"] * 3 and c["plateifu"].dtype == object
    assert c["x"].dtype == np.int16 and c["y"].dtype == np.int16
    assert list(c["x"]) == [0, 1, 2] and list(c["y"]) == [0, 0, 0]
    floats = set(c) - branch - {"plateifu", "x", "y", "reject_reason", "selected"}
    floats -= {f"ok_{cut}" for cut in CUTS}
    assert {name for name in floats if c[name].dtype != np.float64} == set()
    assert c["reject_reason"].dtype == object and c["ok_d4000"].dtype == bool
    schema = st.to_arrow().schema
    assert schema.field("plateifu").type == "large_string"
    assert schema.field("reject_reason").type == "large_string"
    for name, values in c.items():  # the table is read-only
        with pytest.raises(ValueError, match="read-only"):
            values[0] = values[1]
        assert not values.flags.writeable, name


def test_cube_of_another_shape_is_named_in_the_error():
    message = ("hand.cube.fits: maps of shape (1, 3) do not match the (1, 4) maps of "
               "hand.fits (a cube of another galaxy?)")  # fmt: skip
    with pytest.raises(InputFileError, match="^" + re.escape(message) + "$") as info:
        spaxel_table(_dap(3), GalaxyInfo("1-1", z=0.03, ba=0.8), _pipe3d(2))
    assert info.value.path == Path("hand.cube.fits")


@pytest.mark.parametrize(
    ("z", "ba", "message"),
    [
        (float("inf"), 0.5, "1-1: redshift inf is not a positive number"),
        (0.0, 0.5, "1-1: redshift 0.0 is not a positive number"),
        (0.03, 1.5, "1-1: axis ratio b/a 1.5 is not in (0, 1]"),
        (0.03, float("inf"), "1-1: axis ratio b/a inf is not in (0, 1]"),
    ],
)
def test_galaxy_values_out_of_range(z, ba, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        GalaxyInfo("1-1", z=z, ba=ba)


def test_galaxy_values_at_the_edges_are_accepted():
    assert GalaxyInfo("1-1", z=1e-6, ba=1.0).ba == 1.0


# ---------------------------------------------------------------- derived quantities


def _worked_galaxy(log_mstar=10.0):
    """Three spaxels with dust (Ha/Hb = 4.0, 3.1 = intrinsic, 5.0) and a non-default config."""
    phys = PhysicsConfig(r_v=4.05, balmer_intrinsic=3.1, h0=68.0, om0=0.31,
                         spaxel_arcsec=0.25, salpeter_to_kroupa=0.5)  # fmt: skip
    lines = {"ha": [400.0, 310.0, 500.0], "oii": [120.0, 100.0, 90.0],
             "oii_b": [80.0, 100.0, 70.0]}  # fmt: skip
    ivar = {k: [0.25] * 3 for k in CHANNEL}  # errors of 2
    dap = _dap(3, lines=lines, ivar=ivar, sflux=[500.0, 300.0, 0.0],
               r_arcsec=[0.0, 2.0, 4.0], r_re=[0.0, 0.5, 1.0])  # fmt: skip
    pipe3d = _pipe3d(3, log_mass=[8.0, 7.5, 7.0], dezon=[1.0, 1.25, 0.75],
                     d4000=[1.25, 1.5, 1.75], log_age=[9.0, 9.5, 8.75])  # fmt: skip
    galaxy = GalaxyInfo("1-1", z=0.05, ba=0.5, log_mstar=log_mstar)
    return spaxel_table(dap, galaxy, pipe3d, physics_config=phys).columns


def test_dust_correction_with_a_non_default_curve_and_decrement():
    c = _worked_galaxy()
    ha, hb = np.array([400.0, 310.0, 500.0]), 100.0
    np.testing.assert_allclose(c["balmer_ratio"], ha / hb, rtol=1e-12)
    ebv = _ebv(ha, hb, 3.1)  # spaxel 1 has Ha/Hb = 3.1 exactly: E(B-V) = 0
    np.testing.assert_allclose(c["ebv"], ebv, rtol=1e-4, atol=1e-12)
    np.testing.assert_allclose(c["a_v"], 4.05 * ebv, rtol=1e-4, atol=1e-12)
    flux = {"ha": ha, "hb": hb, "oiii": 60.0, "nii": 60.0, "oii": np.array([200.0, 200, 160])}
    for line, f in flux.items():
        k = _calzetti_k(WAVE[line], 4.05)
        np.testing.assert_allclose(c[f"corr_{line}"], f * 10 ** (0.4 * ebv * k), rtol=1e-4)
    k_ha = _calzetti_k(WAVE["ha"], 4.05)
    np.testing.assert_allclose(c["corr_ha_np"], [500, 300, 0] * 10 ** (0.4 * ebv * k_ha),
                               rtol=1e-4)  # fmt: skip


def test_star_formation_and_mass_with_a_non_default_config():
    c = _worked_galaxy()
    cosmo = FlatLambdaCDM(H0=68.0, Om0=0.31)
    d_l = cosmo.luminosity_distance(0.05).to_value(u.cm)
    area = (0.25 / 206264.806 * cosmo.angular_diameter_distance(0.05).to_value(u.kpc)) ** 2
    ebv = _ebv(np.array([400.0, 310.0, 500.0]), 100.0, 3.1)
    corr_np = np.array([500.0, 300.0, 0.0]) * 10 ** (0.4 * ebv * _calzetti_k(WAVE["ha"], 4.05))
    sfr = 5.5e-42 * 4 * np.pi * d_l**2 * corr_np * 1e-17 / area * 0.5
    sfr[2] = np.nan  # no Halpha: no SFR (a logarithm's input), not 0
    np.testing.assert_allclose(c["sigma_sfr"], sfr, rtol=1e-5)
    star = 10 ** np.array([8.0, 7.5, 7.0]) * np.array([1.0, 1.25, 0.75]) * 0.5 * 0.5 / area
    np.testing.assert_allclose(c["sigma_star"], star, rtol=1e-6)
    np.testing.assert_allclose(c["ssfr_local"], sfr / star, rtol=1e-5)  # NaN for spaxel 2
    a_v = 4.05 * ebv
    np.testing.assert_allclose(c["av_over_sigma_star"], a_v / star, rtol=1e-4, atol=1e-30)
    # spaxel 1 (A_V = 0) gives SFR / 0 = inf, silently; spaxel 2 (no SFR) NaN
    np.testing.assert_allclose(c["sigma_sfr_over_av"][[0, 2]], sfr[[0, 2]] / a_v[[0, 2]], rtol=1e-4)
    assert c["sigma_sfr_over_av"][1] == np.inf
    assert list(c["d4000"]) == [1.25, 1.5, 1.75] and list(c["log_age_lw"]) == [9.0, 9.5, 8.75]


@pytest.mark.parametrize("log_mstar", [10.0, np.nan, np.inf])
def test_escape_velocity_from_spherical_shells_worked_by_hand(log_mstar):
    # an unknown (non-finite) M* leaves the map's own mass alone
    c = _worked_galaxy(log_mstar)
    cosmo = FlatLambdaCDM(H0=68.0, Om0=0.31)
    kpc_per_arcsec = cosmo.angular_diameter_distance(0.05).to_value(u.kpc) * u.arcsec.to(u.rad)
    # each spaxel's mass: Pipe3D (Salpeter) mass x dezonification x IMF factor (b/a cancels)
    mass = 10 ** np.array([8.0, 7.5, 7.0]) * np.array([1.0, 1.25, 0.75]) * 0.5
    floor = 0.5 * 0.25 * kpc_per_arcsec  # half a spaxel: the centre spaxel sits there
    radius = np.maximum(np.array([0.0, 2.0, 4.0]) * kpc_per_arcsec, floor)
    rest = 1e10 - mass.sum() if log_mstar == 10.0 else 0.0  # the rest of M*, at the edge
    g = const.G.to_value(u.kpc * u.km**2 / u.s**2 / u.Msun)
    expected = [
        np.sqrt(2 * g * (sum(m / max(r, rj) for m, rj in zip(mass, radius, strict=True))
                         + rest / max(r, radius.max())))
        for r in radius
    ]  # fmt: skip
    np.testing.assert_allclose(c["v_esc"], expected, rtol=1e-10)


def test_metallicity_and_its_error_through_a_non_default_decrement():
    c = _worked_galaxy()
    f = {"oiii": 60.0, "hb": 100.0, "nii": 60.0, "ha": 400.0}
    oh = _o3n2_oh(f, _ebv(f["ha"], f["hb"], 3.1), 4.05)
    assert c["oh_m13"][0] == pytest.approx(oh, abs=1e-6)
    # first-order error: numerical derivative of the whole chain, errors of 2 per line
    var = 0.0
    for line in f:
        step = dict(f, **{line: f[line] * (1 + 1e-6)})
        d = (_o3n2_oh(step, _ebv(step["ha"], step["hb"], 3.1), 4.05) - oh) / (f[line] * 1e-6)
        var += (d * 2.0) ** 2
    assert c["oh_m13_err"][0] == pytest.approx(np.sqrt(var), rel=1e-4)


# ---------------------------------------------------------------- flux and error rules


def test_unusable_inverse_variances_give_infinite_errors_silently():
    # Hbeta: ivar 0, -0.0, +inf, a positive number so small its inverse overflows,
    # a NaN flux with a good ivar, a usable ivar of 0.25 (error 2), a negative ivar
    ivar = {"hb": [0.0, -0.0, np.inf, 1e-310, 1.0, 0.25, -1.0]}
    hb = [100.0, 100.0, 100.0, 100.0, np.nan, 100.0, 100.0]
    c = spaxel_table(_dap(7, lines={"hb": hb}, ivar=ivar),
                     GalaxyInfo("1-1", z=0.03, ba=0.8)).columns  # fmt: skip
    assert list(c["err_hb"]) == [np.inf] * 5 + [2.0, np.inf]
    assert list(c["snr_hb"][[0, 1, 2, 3, 6]]) == [0.0] * 5 and c["snr_hb"][5] == 50.0
    assert list(c["ok_snr"]) == [False] * 5 + [True, False]
    # the calibrators get NaN errors for the unusable ones, a huge one for 1e-310
    err = c["oh_m13_err"]
    assert np.isnan(err[[0, 1, 2, 4, 6]]).all() and err[3] > 1e100 and 0 < err[5] < 0.1


def test_non_finite_and_huge_doublet_members():
    # [OII]: 3727 = +inf (flux inf, error inf: S/N NaN), members of 1e308 (sum overflows),
    # 3727 with error 2 (ivar 0.25) plus 3729 with error 1: error sqrt(5); +inf and -inf
    oii, oii_b = [np.inf, 1e308, 100.0, np.inf], [100.0, 1e308, 100.0, -np.inf]
    dap = _dap(4, lines={"oii": oii, "oii_b": oii_b}, ivar={"oii": [1, 1, 0.25, 1]})
    c = spaxel_table(dap, GalaxyInfo("1-1", z=0.03, ba=0.8)).columns
    assert list(c["flux_oii"][:3]) == [np.inf, np.inf, 200.0] and np.isnan(c["flux_oii"][3])
    assert c["err_oii"][0] == np.inf and c["err_oii"][2] == pytest.approx(np.sqrt(5.0))
    assert np.isnan(c["snr_oii"][0]) and not c["ok_snr"][0]
    assert np.isnan(c["oh_kd02_n2o2"][0])  # a non-finite channel gives no metallicity


@pytest.mark.parametrize("where", ["oii", "sflux", "sew"])
def test_donotuse_in_any_map_used_fails_the_mask_cut(where):
    # one DONOTUSE flag in the first [OII] member, the non-parametric Halpha or EW(Halpha)
    masks = {where: [0, DONOTUSE, 0]}
    c = spaxel_table(_dap(3, masks=masks), GalaxyInfo("1-1", z=0.03, ba=0.8)).columns
    assert list(c["ok_mask"]) == [True, False, True]
    assert list(c["reject_reason"]) == ["", "mask", ""]


def test_balmer_ratio_of_zero_negative_and_small_hbeta():
    hb, ha = [0.0, -5.0, 0.5, 0.0, 100.0], [300.0, 300.0, 2.0, 0.0, 400.0]
    c = spaxel_table(_dap(5, lines={"hb": hb, "ha": ha}),
                     GalaxyInfo("1-1", z=0.03, ba=0.8)).columns  # fmt: skip
    assert np.isnan(c["balmer_ratio"][[0, 1, 3]]).all()
    assert list(c["balmer_ratio"][[2, 4]]) == [4.0, 4.0]
    assert list(c["ok_balmer"]) == [False, False, True, False, True]


# ---------------------------------------------------------------- the cuts


def test_cut_boundaries():
    """Each cut's boundary as §2.2 and the configuration state it (7 spaxels)."""
    n = 7
    oiii = [60.0, 3.0, 60.0, 60.0, 60.0, 60.0, 60.0]  # S/N exactly 3 fails (S/N > 3)
    ew = [50.0, 50.0, 10.0, 50.0, 50.0, 50.0, 50.0]  # EW exactly 10 fails (EW > 10)
    r_re = [0.5, 1.0, 1.0, 2.0, 2.5, 0.3, 1.0]  # 0.5 <= R/Re <= 2
    d4000 = [1.25, 1.25, 1.25, 2.0, 0.0, 2.5, 1.999]  # 0 < D4000 < 2 (open)
    st = spaxel_table(_dap(n, lines={"oiii": oiii}, sew=ew, r_re=r_re),
                      GalaxyInfo("1-1", z=0.03, ba=0.8), _pipe3d(n, d4000=d4000))  # fmt: skip
    c = st.columns
    assert list(c["ok_snr"]) == [True, False, True, True, True, True, True]
    assert list(c["ok_ew"]) == [True, True, False, True, True, True, True]
    assert list(c["ok_radius"]) == [True, True, True, True, False, False, True]
    assert list(c["ok_d4000"]) == [True, True, True, False, False, False, True]
    assert list(c["reject_reason"]) == ["", "snr", "ew", "d4000", "radius", "radius", ""]
    counts = st.cut_counts()
    assert counts["covered"] == 7 and counts["selected"] == 2
    assert counts["fail_snr"] == 1 and counts["fail_ew"] == 1 and counts["fail_radius"] == 2
    assert counts["fail_d4000"] == 3 and counts["fail_mask"] == 0
    assert counts["first_radius"] == 2 and counts["first_d4000"] == 1


def test_metallicity_range_is_closed():
    dap = _dap(3, lines={"nii": [60.0, 20.0, 200.0]})  # three O3N2 metallicities
    galaxy = GalaxyInfo("1-1", z=0.03, ba=0.8)
    oh = spaxel_table(dap, galaxy).columns["oh_m13"]
    low, mid, high = np.sort(oh)
    closed = SelectionConfig(oh_m13_min=low, oh_m13_max=high)
    assert spaxel_table(dap, galaxy, selection=closed).columns["ok_oh_m13"].all()
    inner = SelectionConfig(oh_m13_min=np.nextafter(low, 9), oh_m13_max=np.nextafter(high, 0))
    ok = spaxel_table(dap, galaxy, selection=inner).columns["ok_oh_m13"]
    assert list(ok) == list(oh == mid)
