"""The mock's inverse calibrators against the independent forward ones in metgrad.physics."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from metgrad import physics
from metgrad.mock.config import MockConfig
from metgrad.mock.lines import (
    LINE_WAVELENGTHS,
    component_line_fluxes,
    inverse_pg16_log_r2,
    redden,
    sf_bpt_position,
    sf_log_ratios,
)

CONFIG = MockConfig()
OH = np.linspace(8.17, 8.77, 61)  # the M13 range the paper keeps


def pg16_target(oh):
    c = CONFIG
    return oh + c.pg16_offset_at_pivot + c.pg16_offset_slope * (oh - c.pg16_offset_pivot)


def sf_fluxes(oh, halpha=10.0):
    ratios = sf_log_ratios(oh, pg16_target(oh), CONFIG)
    return component_line_fluxes(np.full_like(oh, halpha), ratios, CONFIG), ratios


def test_sf_bpt_position_by_hand():
    # oh = 8.533 -> O3N2 = 0; b = 0 - 1.25 + 0.25 = -1.0;
    # t = (1 - sqrt(1 + 2.44)) / 2 = (1 - 1.854724) / 2 = -0.427362; x = t + 0.05 = -0.377362;
    # y = O3N2 + x = x. Check that y is the lowered Kauffmann curve: 0.61/(x-0.05) + 1.3 - 0.25
    # = 0.61 / -0.427362 + 1.05 = -1.427362 + 1.05 = -0.377362.
    x, y = sf_bpt_position(np.array([8.533]), 0.25)
    assert_allclose(x, [-0.377362], atol=1e-6)
    assert_allclose(y, [-0.377362], atol=1e-6)


def test_m13_round_trip():
    fluxes, _ = sf_fluxes(OH)
    oh = physics.oh_o3n2_m13(fluxes["OIII-5008"], fluxes["Hb-4862"], fluxes["NII-6585"],
                             fluxes["Ha-6564"])  # fmt: skip
    assert_allclose(oh, OH, atol=1e-10)


def test_pg16_round_trip():
    fluxes, ratios = sf_fluxes(OH)
    assert ratios["pg16_exact"].all()
    oii = fluxes["OII-3727"] + fluxes["OII-3729"]
    oh = physics.oh_r_pg16(oii, fluxes["Hb-4862"], fluxes["OIII-5008"], fluxes["NII-6585"])
    assert_allclose(oh, pg16_target(OH), atol=1e-10)
    # the physical root: HII-region-like [OII]/Hb between 10^-0.1 and 10^0.8
    assert np.all((ratios["oii_hb"] > -0.1) & (ratios["oii_hb"] < 0.8))


def test_pg16_offset_sign():
    # documented: PG16 below M13 at high metallicity by ~0.05-0.1 dex
    assert pg16_target(8.75) - 8.75 == pytest.approx(0.03 - 0.5 * 0.20)
    assert pg16_target(8.75) < 8.75


def test_inverse_pg16_lower_branch():
    # log N2 = -0.8 (< -0.6: eq. 5); choose log R2 = 0.5, log R3 = 0.6 and compute
    # Z = 7.932 + 0.944*(0.1) + 0.695*(-0.8) + (0.970 - 0.291*0.1 - 0.019*(-0.8))*0.5
    #   = 7.932 + 0.0944 - 0.556 + (0.970 - 0.0291 + 0.0152)*0.5 = 7.4704 + 0.47805 = 7.94845
    log_r2, exact = inverse_pg16_log_r2(np.array([7.94845]), np.array([-0.8]), np.array([0.6]))
    assert exact.all()
    assert_allclose(log_r2, [0.5], atol=1e-6)


def test_star_forming_gas_below_kauffmann_and_other_gas_above():
    fluxes, _ = sf_fluxes(OH)
    sf = physics.is_star_forming_k03(fluxes["NII-6585"], fluxes["Ha-6564"],
                                     fluxes["OIII-5008"], fluxes["Hb-4862"])  # fmt: skip
    assert sf.all()
    names = ("nii_ha", "oiii_hb", "oii_hb", "sii_ha", "oi_ha")
    for ratios in (CONFIG.dig_ratios, CONFIG.liner_ratios):
        f = component_line_fluxes(np.array([1.0]), dict(zip(names, ratios, strict=True)), CONFIG)
        assert not physics.is_star_forming_k03(
            f["NII-6585"], f["Ha-6564"], f["OIII-5008"], f["Hb-4862"]
        ).any()


def test_tied_lines_and_doublets():
    fluxes, _ = sf_fluxes(np.array([8.5]))
    assert_allclose(fluxes["OIII-4960"] / fluxes["OIII-5008"], 0.35)
    assert_allclose(fluxes["NII-6549"] / fluxes["NII-6585"], 0.34)
    assert_allclose(fluxes["OII-3729"] / fluxes["OII-3727"], CONFIG.oii_ratio_3729_3727)
    assert_allclose(fluxes["Ha-6564"] / fluxes["Hb-4862"], 2.86)


def test_reddening_round_trip_through_the_balmer_decrement():
    fluxes, _ = sf_fluxes(np.array([8.4, 8.6]))
    ebv = np.array([0.1, 0.4])
    red = redden(fluxes, ebv, 3.1)
    assert_allclose(physics.balmer_ebv(red["Ha-6564"], red["Hb-4862"]), ebv, rtol=1e-10)
    back = physics.deredden(red["NII-6585"], LINE_WAVELENGTHS["NII-6585"], ebv)
    assert_allclose(back, fluxes["NII-6585"], rtol=1e-10)
