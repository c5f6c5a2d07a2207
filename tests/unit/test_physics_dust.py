"""Calzetti et al. (2000) curve, Balmer-decrement E(B-V) and dereddening.

Every expected number is worked by hand from Calzetti et al. (2000) eq. 4:
x = 1/lambda[um]; blue branch (0.12 <= lambda < 0.63 um)
k = 2.659 (-2.156 + 1.509 x - 0.198 x^2 + 0.011 x^3) + R_V; red branch (0.63-2.20 um)
k = 2.659 (-1.857 + 1.040 x) + R_V.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from metgrad import physics


class TestCalzettiK:
    def test_blue_branch_5000(self):
        # lambda = 0.5 um, x = 2: 1.509*2 = 3.018; 0.198*4 = 0.792; 0.011*8 = 0.088
        # bracket = -2.156 + 3.018 - 0.792 + 0.088 = 0.158; 2.659*0.158 = 0.420122
        # k = 0.420122 + 3.1 = 3.520122
        assert_allclose(physics.calzetti_k(5000.0), 3.520122, rtol=0, atol=1e-9)

    def test_blue_branch_2500(self):
        # lambda = 0.25 um, x = 4: 1.509*4 = 6.036; 0.198*16 = 3.168; 0.011*64 = 0.704
        # bracket = -2.156 + 6.036 - 3.168 + 0.704 = 1.416; 2.659*1.416 = 3.765144
        # k = 3.765144 + 3.1 = 6.865144
        assert_allclose(physics.calzetti_k(2500.0), 6.865144, rtol=0, atol=1e-9)

    def test_red_branch_10000(self):
        # lambda = 1 um, x = 1: bracket = -1.857 + 1.040 = -0.817; 2.659*-0.817 = -2.172403
        # k = -2.172403 + 3.1 = 0.927597
        assert_allclose(physics.calzetti_k(10000.0), 0.927597, rtol=0, atol=1e-9)

    def test_red_branch_8000(self):
        # lambda = 0.8 um, x = 1.25: 1.040*1.25 = 1.3; bracket = -0.557
        # 2.659*-0.557 = -1.481063; k = 1.618937
        assert_allclose(physics.calzetti_k(8000.0), 1.618937, rtol=0, atol=1e-9)

    def test_break_at_6300_belongs_to_red_branch(self):
        # red at 0.63 um: 1.040/0.63 = 1.6507937; bracket = -0.2062063
        # 2.659*-0.2062063 = -0.5483027; k = 2.5516973
        assert_allclose(physics.calzetti_k(6300.0), 2.5516973, rtol=0, atol=1e-6)
        # blue at 0.63 um: 1.509/0.63 = 2.3952381; 0.198/0.3969 = 0.4988662;
        # 0.011/0.250047 = 0.0439917; bracket = -2.156 + 2.3952381 - 0.4988662 + 0.0439917
        # = -0.2156364; 2.659*-0.2156364 = -0.5733772; k = 2.5266228 (just below 6300 A)
        assert_allclose(physics.calzetti_k(6299.999), 2.5266228, rtol=0, atol=1e-5)

    def test_vacuum_balmer_lines_by_hand(self):
        # Hbeta 4862.683 A: x = 2.0564779, x^2 = 4.2291012, x^3 = 8.6970531
        # bracket = -2.156 + 3.1032252 - 0.8373620 + 0.0956676 = 0.2055307
        # k = 2.659*0.2055307 + 3.1 = 0.5465061 + 3.1 = 3.6465061
        assert_allclose(physics.calzetti_k(4862.683), 3.6465061, rtol=0, atol=1e-6)
        # Halpha 6564.608 A: x = 1.5233202; bracket = -1.857 + 1.5842530 = -0.2727470
        # k = 2.659*-0.2727470 + 3.1 = -0.7252343 + 3.1 = 2.3747657
        assert_allclose(physics.calzetti_k(6564.608), 2.3747657, rtol=0, atol=1e-6)

    def test_reference_notes_air_values(self):
        # reference-notes 2.4 (air wavelengths, R_V = 3.1): k(Hb) = 3.648, k(Ha) = 2.376,
        # k([OII]3727) = 4.908, k([OIII]5007) = 3.514, k([NII]6584) = 2.363
        waves = [4861.33, 6562.80, 3727.0, 5006.84, 6583.45]
        assert_allclose(
            physics.calzetti_k(waves), [3.648, 2.376, 4.908, 3.514, 2.363], rtol=0, atol=1e-3
        )

    def test_r_v_only_shifts_the_curve(self):
        waves = np.array([1500.0, 4000.0, 6563.0, 15000.0])
        shift = physics.calzetti_k(waves, r_v=4.05) - physics.calzetti_k(waves, r_v=3.1)
        assert_allclose(shift, 0.95, rtol=0, atol=1e-12)

    def test_outside_range_is_nan(self):
        k = physics.calzetti_k([1199.999, 1200.0, 22000.0, 22000.001, 500.0, 3e4])
        assert np.isnan(k[[0, 3, 4, 5]]).all()
        assert np.isfinite(k[[1, 2]]).all()


class TestBalmerEBV:
    # k(Hb) - k(Ha) at the DAP vacuum wavelengths, from the hand values in
    # TestCalzettiK.test_vacuum_balmer_lines_by_hand: 3.6465061 - 2.3747657 = 1.2717404
    DELTA_K = 1.2717404

    def test_zero_at_intrinsic_ratio(self):
        assert_allclose(physics.balmer_ebv(2.86, 1.0), 0.0, atol=1e-15)

    def test_one_decade_above_intrinsic(self):
        # Ha/Hb = 28.6: log10(28.6/2.86) = 1, E = 2.5/1.2717404 = 1.965810
        assert_allclose(physics.balmer_ebv(28.6, 1.0), 2.5 / self.DELTA_K, rtol=1e-6)
        assert_allclose(physics.balmer_ebv(28.6, 1.0), 1.965810, rtol=1e-6)

    def test_negative_values_are_not_clipped(self):
        # Ha/Hb = 0.286: log10(0.1) = -1, E = -1.965810
        assert_allclose(physics.balmer_ebv(0.286, 1.0), -1.965810, rtol=1e-6)

    def test_av_coefficient_matches_reference_notes(self):
        # A_V = R_V E = 3.1*2.5/1.2717404 log10(r/2.86) = 6.094013 log10(r/2.86);
        # reference-notes 2.4 gives 6.0935 with air wavelengths.
        ratio = np.array([3.0, 4.0, 6.0])
        av = physics.av_from_ebv(physics.balmer_ebv(ratio, 1.0))
        assert_allclose(av, 6.094013 * np.log10(ratio / 2.86), rtol=1e-6)
        assert_allclose(av, 6.0935 * np.log10(ratio / 2.86), rtol=2e-4)

    def test_independent_of_r_v(self):
        ha = np.array([3.5, 5.0, 10.0])
        assert_allclose(
            physics.balmer_ebv(ha, 1.0, r_v=4.05), physics.balmer_ebv(ha, 1.0), rtol=1e-12
        )

    def test_other_intrinsic_ratio(self):
        # intrinsic 2.74 and Ha/Hb = 27.4 -> log10 = 1 -> E = 1.965810
        assert_allclose(physics.balmer_ebv(27.4, 1.0, intrinsic=2.74), 1.965810, rtol=1e-6)

    @pytest.mark.parametrize("intrinsic", [0.0, -2.86, np.nan, np.inf, [2.86, 2.86]])
    def test_bad_intrinsic_raises(self, intrinsic):
        with pytest.raises(ValueError, match="intrinsic"):
            physics.balmer_ebv(3.0, 1.0, intrinsic=intrinsic)


class TestDeredden:
    def test_hand_factor(self):
        # E = 0.1 at 5000 A (k = 3.520122): 0.4*0.1*3.520122 = 0.14080488;
        # 10**0.14080488 = 1.382945
        assert_allclose(physics.deredden(2.0, 5000.0, 0.1), 2.0 * 1.382945, rtol=1e-6)

    def test_corrected_decrement_is_intrinsic(self):
        # After correction with its own E(B-V) the decrement is 2.86 by construction.
        ha = np.array([3.0, 4.5, 8.0, 2.5])
        hb = np.ones(4)
        ebv = physics.balmer_ebv(ha, hb)
        waves = physics.LINE_WAVELENGTHS_VACUUM_AA
        ratio = physics.deredden(ha, waves["Ha-6564"], ebv) / physics.deredden(
            hb, waves["Hb-4862"], ebv
        )
        assert_allclose(ratio, 2.86, rtol=1e-12)

    def test_linear_keeps_sign_and_zero(self):
        out = physics.deredden([-1.0, 0.0, 1.0], 5000.0, 0.1)
        assert_allclose(out, [-1.382945, 0.0, 1.382945], rtol=1e-6)

    def test_nan_outside_curve(self):
        assert np.isnan(physics.deredden(1.0, 30000.0, 0.1))


def test_dap_vacuum_wavelengths():
    # datamodel.md 2.4 (DAP DR17 line list)
    waves = physics.LINE_WAVELENGTHS_VACUUM_AA
    assert waves["Ha-6564"] == 6564.608
    assert waves["Hb-4862"] == 4862.683
    assert waves["OIII-5008"] == 5008.240
    assert waves["NII-6585"] == 6585.27
    assert waves["OII-3727"] == 3727.092
    assert waves["OII-3729"] == 3729.875
    # the doublet uses the unweighted mean of its two components
    assert_allclose(physics.OII_DOUBLET_WAVELENGTH_VACUUM_AA, (3727.092 + 3729.875) / 2, atol=0.01)
