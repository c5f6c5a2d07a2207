"""The mock's HII-region lines: C20-like relations from one Te-scale O/H, U scatter, ties.

References here are worked by hand from Curti et al. (2020) Table 2 or computed with
the pipeline's forward calibrators (independent code), never from the mock itself.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import brentq

from metgrad import physics
from metgrad.mock.config import MockConfig
from metgrad.mock.lines import (
    LINE_WAVELENGTHS,
    component_line_fluxes,
    hii_log_ratios,
    redden,
)
from metgrad.mock.scales import oh_on_scale

CONFIG = MockConfig()
OH = np.linspace(8.3, 8.85, 56)  # the Te-scale range of the survey's star-forming gas


def sf_fluxes(oh, log_u=0.0, halpha=10.0):
    ratios = hii_log_ratios(oh, log_u, CONFIG)
    return component_line_fluxes(np.full_like(oh, halpha), ratios, CONFIG)


def test_c20_relations_by_hand():
    # x = 8.49 - 8.69 = -0.2 (Curti et al. 2020, Table 2):
    # R3 = -0.277 + 0.7098 - 0.14372 + 0.007848 = 0.296928
    # N2 = -0.489 - 0.3026 - 0.10216 + 0.042344 - 0.0045872 = -0.8560032
    # O3O2 = -0.691 + 0.5888 - 0.05232 = -0.15452 -> log R2 = R3 - O3O2 = 0.451448
    # S2 = -0.442 + 0.072 - 0.25084 + 0.066712 - 0.0056944 = -0.5598224
    r = hii_log_ratios(np.array([8.49]), 0.0, CONFIG)
    assert_allclose(r["oiii_hb"], [0.296928], atol=1e-9)
    assert_allclose(r["nii_ha"], [-0.8560032], atol=1e-9)
    assert_allclose(r["oii_hb"], [0.451448], atol=1e-9)
    assert_allclose(r["sii_ha"], [-0.5598224], atol=1e-9)


def c20_invert(log_ratio, coeffs, bracket):
    return np.array([brentq(lambda x, v=v: np.polyval(coeffs[::-1], x) - v, *bracket) + 8.69
                     for v in log_ratio])  # fmt: skip


def test_c20_calibrators_return_the_true_oh_on_noise_free_lines():
    # The monotonic C20 calibrators, inverted here with a root finder, return the injected
    # Te-scale O/H exactly for the ratios the lines are built from, and within the C20
    # fits' own inconsistency (< 0.06 dex) for the derived O3N2.
    f = sf_fluxes(OH)
    o3 = np.log10(f["OIII-5008"] / f["Hb-4862"])
    n2 = np.log10(f["NII-6585"] / f["Ha-6564"])
    o3o2 = np.log10(f["OIII-5008"] / (f["OII-3727"] + f["OII-3729"]))
    assert_allclose(c20_invert(o3o2, (-0.691, -2.944, -1.308), (-1.0, 0.3)), OH, atol=1e-9)
    assert_allclose(c20_invert(n2, (-0.489, 1.513, -2.554, -5.293, -2.867), (-1.0, 0.17)),
                    OH, atol=1e-9)  # fmt: skip
    o3n2 = c20_invert(o3 - n2, (0.281, -4.765, -2.268), (-1.0, 0.5))
    assert np.abs(o3n2 - OH).max() < 0.06


def test_known_offsets_between_calibrator_families():
    # M13 (pipeline's own code) on the noise-free lines: 0.1-0.25 dex below the Te scale,
    # as M13 O3N2 runs below C20 at solar metallicity; equal to the mock's recorded scale
    f = sf_fluxes(OH)
    m13 = physics.oh_o3n2_m13(f["OIII-5008"], f["Hb-4862"], f["NII-6585"], f["Ha-6564"])
    offset = OH - m13
    assert ((offset > 0.1) & (offset < 0.25)).all()
    assert_allclose(m13, oh_on_scale("m13", OH, 0.0, CONFIG), atol=1e-10)
    # M13 is monotonic in the true O/H over the range (a gradient keeps its sign)
    assert (np.diff(m13) > 0).all()
    oii = f["OII-3727"] + f["OII-3729"]
    pg16 = physics.oh_r_pg16(oii, f["Hb-4862"], f["OIII-5008"], f["NII-6585"])
    assert_allclose(pg16, oh_on_scale("pg16", OH, 0.0, CONFIG), atol=1e-10)


def test_ionisation_parameter_moves_o3o2_r3_and_s2_coherently():
    lo, hi = hii_log_ratios(OH, -0.1, CONFIG), hii_log_ratios(OH, 0.1, CONFIG)
    o3o2 = {k: r["oiii_hb"] - r["oii_hb"] for k, r in (("lo", lo), ("hi", hi))}
    assert (o3o2["hi"] > o3o2["lo"]).all()  # higher U: higher O3O2 ...
    assert (hi["oiii_hb"] > lo["oiii_hb"]).all()  # ... more [OIII] ...
    assert (hi["sii_ha"] < lo["sii_ha"]).all()  # ... less [SII]
    # by the documented responses (0.6, 1.2, -0.25, -0.6 per dex of log U)
    assert_allclose(hi["oiii_hb"] - lo["oiii_hb"], 0.12, atol=1e-12)
    assert_allclose(o3o2["hi"] - o3o2["lo"], 0.24, atol=1e-12)
    assert_allclose(hi["nii_ha"] - lo["nii_ha"], -0.05, atol=1e-12)
    assert_allclose(hi["sii_ha"] - lo["sii_ha"], -0.12, atol=1e-12)


def test_star_forming_gas_below_kauffmann_and_other_gas_above():
    for log_u in (-0.25, 0.0, 0.25):  # 3 sigma of the combined U scatter
        f = sf_fluxes(OH, log_u)
        assert physics.is_star_forming_k03(f["NII-6585"], f["Ha-6564"], f["OIII-5008"],
                                           f["Hb-4862"]).all()  # fmt: skip
    names = ("nii_ha", "oiii_hb", "oii_hb", "sii_ha", "oi_ha")
    for ratios in (CONFIG.dig_ratios, CONFIG.liner_ratios):
        f = component_line_fluxes(np.array([1.0]), dict(zip(names, ratios, strict=True)), CONFIG)
        assert not physics.is_star_forming_k03(
            f["NII-6585"], f["Ha-6564"], f["OIII-5008"], f["Hb-4862"]
        ).any()


def test_every_calibrator_line_is_made_with_ties_and_doublets():
    f = sf_fluxes(np.array([8.5]))
    for name in ("Hb-4862", "OIII-4960", "OIII-5008", "NII-6549", "NII-6585", "Ha-6564",
                 "SII-6718", "SII-6732", "OII-3727", "OII-3729"):  # fmt: skip
        assert f[name][0] > 0, name
    assert_allclose(f["OIII-4960"] / f["OIII-5008"], 0.35)
    assert_allclose(f["NII-6549"] / f["NII-6585"], 0.34)
    assert_allclose(f["OII-3729"] / f["OII-3727"], CONFIG.oii_ratio_3729_3727)
    assert_allclose(f["SII-6718"] / f["SII-6732"], CONFIG.sii_ratio_6718_6732)
    assert_allclose(f["Ha-6564"] / f["Hb-4862"], 2.86)


def test_scale_names_are_checked():
    with pytest.raises(ValueError, match="unknown scale"):
        oh_on_scale("kk04", OH, 0.0, CONFIG)


def test_reddening_round_trip_through_the_balmer_decrement():
    fluxes = sf_fluxes(np.array([8.4, 8.6]))
    ebv = np.array([0.1, 0.4])
    red = redden(fluxes, ebv, 3.1)
    assert_allclose(physics.balmer_ebv(red["Ha-6564"], red["Hb-4862"]), ebv, rtol=1e-5)
    back = physics.deredden(red["NII-6585"], LINE_WAVELENGTHS["NII-6585"], ebv)
    assert_allclose(back, fluxes["NII-6585"], rtol=1e-5)
