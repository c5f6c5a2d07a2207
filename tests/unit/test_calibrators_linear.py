"""M13, PP04, D16 and KD02 registered calibrators: values worked by hand, validity edges.

Every expected value is plain arithmetic on the published coefficients, with fluxes
chosen so that the logarithms are simple numbers:
M13 O3N2: 8.533 - 0.214 O3N2 (-1.1 < O3N2 < 1.7); M13 N2: 8.743 + 0.462 N2
(-1.6 < N2 < -0.2); PP04 N2: 8.90 + 0.57 N2 and 9.37 + 2.03 N2 + 1.26 N2^2 + 0.32 N2^3
(-2.5 < N2 < -0.3); PP04 O3N2: 8.73 - 0.32 O3N2 (O3N2 < 1.9);
D16: y = log([NII]6584/[SII]) + 0.264 log([NII]6584/Ha), 8.77 + y + 0.45 (y + 0.3)^5
(7.6 <= O/H <= 9.05); KD02: log10(1.54020 + 1.26602 R + 0.167977 R^2) + 8.93,
R = log([NII]6584/[OII]3727,29) (8.6 <= O/H <= 9.41).
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from metgrad.physics import calibrators


def o3n2_spectrum(o3n2):
    """Fluxes with [NII]/Ha = 0.1 and [OIII]/Hb = 0.1 * 10**O3N2 (so O3N2 is exact)."""
    o3n2 = np.asarray(o3n2, dtype=float)
    return {"OIII-5008": 0.1 * 10.0**o3n2, "Hb-4862": 1.0, "NII-6585": 0.1, "Ha-6564": 1.0}


def n2_spectrum(n2):
    return {"NII-6585": 2.0 * 10.0 ** np.asarray(n2, dtype=float), "Ha-6564": 2.0}


class TestM13:
    def test_o3n2_by_hand(self):
        oh = calibrators.get("M13_O3N2").oh(o3n2_spectrum([1.0, 0.0, -1.0]))
        assert_allclose(oh, [8.533 - 0.214, 8.533, 8.533 + 0.214], rtol=0, atol=1e-12)

    def test_o3n2_edges(self):
        oh = calibrators.get("M13_O3N2").oh(o3n2_spectrum([-1.1001, -1.0999, 1.6999, 1.7001]))
        assert np.isnan(oh[0]) and np.isnan(oh[3])
        assert_allclose(oh[1:3], [8.533 + 0.214 * 1.0999, 8.533 - 0.214 * 1.6999], atol=1e-12)

    def test_n2_by_hand(self):
        # N2 = -1, -0.5, log10(0.2) = -0.6989700
        oh = calibrators.get("M13_N2").oh(n2_spectrum([-1.0, -0.5, math.log10(0.2)]))
        expected = [8.743 - 0.462, 8.743 - 0.231, 8.743 + 0.462 * -0.6989700]
        assert_allclose(oh, expected, rtol=0, atol=1e-7)

    def test_n2_slope_is_positive(self):
        # regression guard: a published code had 8.743 - 0.462 N2 (N2 = -1 -> 9.205)
        oh = calibrators.get("M13_N2").oh(n2_spectrum([-1.0, -0.5]))
        assert oh[1] > oh[0]
        assert_allclose(oh[0], 8.281, atol=1e-12)

    def test_n2_edges(self):
        oh = calibrators.get("M13_N2").oh(n2_spectrum([-1.6001, -1.5999, -0.2001, -0.1999]))
        assert np.isnan(oh[0]) and np.isnan(oh[3])
        assert np.all(np.isfinite(oh[1:3]))


class TestPP04:
    def test_linear_n2_by_hand(self):
        oh = calibrators.get("PP04_N2").oh(n2_spectrum([-1.0, -0.5, -2.0]))
        assert_allclose(oh, [8.90 - 0.57, 8.90 - 0.285, 8.90 - 1.14], rtol=0, atol=1e-12)

    def test_cubic_n2_by_hand(self):
        oh = calibrators.get("PP04_N2_cubic").oh(n2_spectrum([-1.0, -0.5, -2.0]))
        expected = [
            9.37 - 2.03 + 1.26 - 0.32,  # N2 = -1: 8.28
            9.37 - 1.015 + 1.26 * 0.25 - 0.32 * 0.125,  # N2 = -0.5: 8.63
            9.37 - 4.06 + 1.26 * 4 - 0.32 * 8,  # N2 = -2: 7.79
        ]
        assert_allclose(oh, expected, rtol=0, atol=1e-12)

    @pytest.mark.parametrize("name", ["PP04_N2", "PP04_N2_cubic"])
    def test_n2_edges(self, name):
        oh = calibrators.get(name).oh(n2_spectrum([-2.5001, -2.4999, -0.3001, -0.2999]))
        assert np.isnan(oh[0]) and np.isnan(oh[3])
        assert np.all(np.isfinite(oh[1:3]))

    def test_o3n2_by_hand(self):
        oh = calibrators.get("PP04_O3N2").oh(o3n2_spectrum([1.0, 0.0, -1.0]))
        assert_allclose(oh, [8.73 - 0.32, 8.73, 8.73 + 0.32], rtol=0, atol=1e-12)

    def test_o3n2_edge_is_one_sided(self):
        oh = calibrators.get("PP04_O3N2").oh(o3n2_spectrum([-3.0, 1.8999, 1.9001]))
        assert_allclose(oh[:2], [8.73 + 0.96, 8.73 - 0.32 * 1.8999], atol=1e-12)
        assert np.isnan(oh[2])


def d16_spectrum(nii_sii, nii_ha):
    """[NII] = 1, Ha = 1/nii_ha, [SII] 6718 and 6732 in the ratio 0.6 : 0.4."""
    nii_sii, nii_ha = np.asarray(nii_sii, float), np.asarray(nii_ha, float)
    sii = 1.0 / nii_sii
    return {"NII-6585": 1.0, "Ha-6564": 1.0 / nii_ha, "SII-6718": 0.6 * sii, "SII-6732": 0.4 * sii}


class TestD16:
    def test_by_hand(self):
        # y = 0 + 0.264 * -1 = -0.264: 8.77 - 0.264 + 0.45 * 0.036^5
        # y = 0.2 (N2/S2 = 10^0.2, N2/Ha = 1): 8.77 + 0.2 + 0.45 * 0.5^5 = 8.9840625
        # y = -0.7 (N2/S2 = 10^-0.7, N2/Ha = 1): 8.77 - 0.7 + 0.45 * (-0.4)^5 = 8.065392
        oh = calibrators.get("D16_N2S2").oh(d16_spectrum([1.0, 10**0.2, 10**-0.7], [0.1, 1, 1]))
        expected = [8.77 - 0.264 + 0.45 * 0.036**5, 8.9840625, 8.065392]
        assert_allclose(oh, expected, rtol=0, atol=1e-9)

    def test_quintic_term_is_there(self):
        # regression guard: without 0.45 (y + 0.3)^5 the y = 0.2 value would be 8.97
        oh = calibrators.get("D16_N2S2").oh(d16_spectrum(10**0.2, 1.0))
        assert abs(oh - 8.97) > 0.01

    def test_uses_the_strong_nii_line_only(self):
        # regression guard: 6548+6584 would change y; the 6549 channel is not even read
        cal = calibrators.get("D16_N2S2")
        assert "NII-6549" not in cal.lines
        fluxes = d16_spectrum(1.0, 0.1)
        with_weak = {**fluxes, "NII-6549": 0.34}
        assert cal.oh(with_weak) == cal.oh(fluxes)

    def test_edges(self):
        # O/H at y = 0.25: 9.02 + 0.45 * 0.55^5 = 9.04265 (in); y = 0.26: 9.05478 (out)
        # y = -1.05: 7.72 - 0.45 * 0.75^5 = 7.61321 (in); y = -1.07: 7.57820 (out)
        ys = np.array([0.25, 0.26, -1.05, -1.07])
        oh = calibrators.get("D16_N2S2").oh(d16_spectrum(10**ys, 1.0))
        assert_allclose(oh[[0, 2]], [9.0426478, 7.6132129], atol=1e-6)
        assert np.all(np.isnan(oh[[1, 3]]))


def kd02_spectrum(r):
    """[NII]6584/[OII]3727,29 = 10**R with [OII] split 0.4 : 0.6."""
    nii = 10.0 ** np.asarray(r, dtype=float)
    return {"NII-6585": nii, "OII-3727": 0.4, "OII-3729": 0.6}


class TestKD02:
    def test_by_hand(self):
        # R = 0: log10(1.54020) + 8.93 = 9.1175771
        # R = -0.5: log10(1.54020 - 0.63301 + 0.0419943) = log10(0.9491843) -> 8.9073505
        # R = 0.5: log10(1.54020 + 0.63301 + 0.0419943) = log10(2.2152043) -> 9.2754138
        oh = calibrators.get("KD02_N2O2").oh(kd02_spectrum([0.0, -0.5, 0.5]))
        expected = [
            math.log10(1.54020) + 8.93,
            math.log10(1.54020 - 1.26602 * 0.5 + 0.167977 * 0.25) + 8.93,
            math.log10(1.54020 + 1.26602 * 0.5 + 0.167977 * 0.25) + 8.93,
        ]
        assert_allclose(oh, expected, rtol=0, atol=1e-12)
        assert_allclose(oh, [9.1175771, 8.9073505, 9.2754138], atol=1e-7)

    def test_edges(self):
        # R = -0.970: 8.602292 (in); R = -0.975: 8.597931 (out, below 8.6)
        # R = 1.02: 9.408033 (in); R = 1.04: 9.412666 (out, above 9.41)
        oh = calibrators.get("KD02_N2O2").oh(kd02_spectrum([-0.970, -0.975, 1.02, 1.04]))
        assert_allclose(oh[[0, 2]], [8.602292, 9.408033], atol=2e-6)
        assert np.all(np.isnan(oh[[1, 3]]))

    def test_reddening_dependence(self):
        # the same observed fluxes, corrected for E(B-V) > 0: [OII] gains more than [NII]
        cal = calibrators.get("KD02_N2O2")
        observed = {**kd02_spectrum(0.0), "Ha-6564": 4.0, "Hb-4862": 1.0}
        assert cal.oh(observed, dust_correct=True) < cal.oh(observed) - 0.05
