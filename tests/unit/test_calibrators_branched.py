"""PG16 R and S and KK04 R23 registered calibrators: values by hand, branches, known bugs.

PG16 (Pilyugin & Grebel 2016), N2 = 4/3 [NII]6584/Hb, R3 = 4/3 [OIII]5007/Hb,
R2 = [OII]3727+3729/Hb, S2 = [SII]6717+6731/Hb; upper branch where log N2 >= -0.6:
  R upper 8.589 + 0.022 log(R3/R2) + 0.399 log N2 + (-0.137 + 0.164 log(R3/R2) + 0.589 log N2) log R2
  R lower 7.932 + 0.944 log(R3/R2) + 0.695 log N2 + (0.970 - 0.291 log(R3/R2) - 0.019 log N2) log R2
  S upper 8.424 + 0.030 log(R3/S2) + 0.751 log N2 + (-0.349 + 0.182 log(R3/S2) + 0.508 log N2) log S2
  S lower 8.072 + 0.789 log(R3/S2) + 0.726 log N2 + (1.069 - 0.170 log(R3/S2) + 0.022 log N2) log S2
KK04 (Kobulnicky & Kewley 2004) eqs. 13, 16, 17, iterated by a plain-float transcription
below (the coefficients typed again here, from the paper).
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from metgrad.physics import calibrators
from metgrad.physics.calibrators import BRANCH_LOWER, BRANCH_NONE, BRANCH_UPPER


def pg16_spectrum(oii, oiii, nii, sii, hb=1.0):
    """DAP channels: [OII] split 0.45 : 0.55, [SII] split 0.6 : 0.4."""
    return {
        "OII-3727": 0.45 * oii,
        "OII-3729": 0.55 * oii,
        "OIII-5008": oiii,
        "NII-6585": nii,
        "SII-6718": 0.6 * sii,
        "SII-6732": 0.4 * sii,
        "Hb-4862": hb,
    }


class TestPG16R:
    def test_by_hand(self):
        # the worked cases of test_physics_calibrators.py, on DAP channels:
        # upper (Hb 1, NII 0.6, OIII 0.9, OII 2.0) 8.4760759; lower (NII 0.06, OIII 3,
        # OII 2.5) 7.7329950; unit ratios (OII = Hb = 3, OIII = NII = 2.25) 8.589
        fluxes = pg16_spectrum(
            np.array([2.0, 2.5, 3.0]), np.array([0.9, 3.0, 2.25]), np.array([0.6, 0.06, 2.25]),
            1.0, hb=np.array([1.0, 1.0, 3.0]),
        )  # fmt: skip
        cal = calibrators.get("PG16_R")
        assert_allclose(cal.oh(fluxes), [8.4760759, 7.7329950, 8.589], atol=2e-7)
        assert_allclose(cal.branch(fluxes), [BRANCH_UPPER, BRANCH_LOWER, BRANCH_UPPER])

    def test_alias(self):
        assert calibrators.get("pg16") is calibrators.get("PG16_R")


class TestPG16S:
    def test_upper_by_hand(self):
        # Hb 1, NII 0.6, OIII 0.9, SII 0.8: log N2 = log 0.8 = -0.0969100,
        # log R3 = log 1.2 = 0.0791812, log S2 = log 0.8 = -0.0969100,
        # log(R3/S2) = log 1.5 = 0.1760913; bracket = -0.349 + 0.182 * 0.1760913
        # + 0.508 * -0.0969100 = -0.3661817
        expected = 8.424 + 0.030 * 0.1760913 + 0.751 * -0.0969100 + -0.3661817 * -0.0969100
        oh = calibrators.get("PG16_S").oh(pg16_spectrum(1.0, 0.9, 0.6, 0.8))
        assert_allclose(oh, expected, atol=3e-7)
        assert_allclose(oh, 8.3919900, atol=3e-7)

    def test_lower_by_hand(self):
        # Hb 1, NII 0.06, OIII 3, SII 0.3: log N2 = log 0.08 = -1.0969100,
        # log R3 = log 4 = 0.6020600, log S2 = log 0.3 = -0.5228787,
        # log(R3/S2) = 1.1249387; bracket = 1.069 - 0.170 * 1.1249387 + 0.022 * -1.0969100
        expected = (
            8.072 + 0.789 * 1.1249387 + 0.726 * -1.0969100
            + (1.069 - 0.170 * 1.1249387 + 0.022 * -1.0969100) * -0.5228787
        )  # fmt: skip
        cal = calibrators.get("PG16_S")
        fluxes = pg16_spectrum(1.0, 3.0, 0.06, 0.3)
        assert_allclose(cal.oh(fluxes), expected, atol=3e-7)
        assert_allclose(cal.oh(fluxes), 7.7168758, atol=3e-7)
        assert cal.branch(fluxes) == BRANCH_LOWER

    def test_unit_ratios(self):
        # N2 = R3 = S2 = 1 (NII = OIII = 0.75, SII = 1): every log is 0 -> 8.424
        assert_allclose(calibrators.get("PG16_S").oh(pg16_spectrum(1.0, 0.75, 0.75, 1.0)), 8.424)

    def test_lower_branch_signs(self):
        # regression guard: +0.170 for -0.170 and -0.022 for +0.022 give 7.4916494 here
        oh = calibrators.get("PG16_S").oh(pg16_spectrum(1.0, 3.0, 0.06, 0.3))
        assert abs(oh - 7.4916494) > 0.2

    @pytest.mark.parametrize("name", ["PG16_R", "PG16_S"])
    def test_split_at_minus_0_6(self, name):
        # regression guard: the split is at log N2 = -0.6, not +0.6. log N2 = 0, 0.5
        # and -0.59 are upper; -0.61 is lower (NII = 0.75 * 10**logN2 with Hb = 1)
        log_n2 = np.array([0.0, 0.5, -0.59, -0.61])
        fluxes = pg16_spectrum(1.0, 0.75, 0.75 * 10**log_n2, 1.0)
        codes = calibrators.get(name).branch(fluxes)
        assert_allclose(codes, [BRANCH_UPPER, BRANCH_UPPER, BRANCH_UPPER, BRANCH_LOWER])
        if name == "PG16_S":  # all other logs 0: upper 8.424 + 0.751 log N2
            oh = calibrators.get(name).oh(fluxes)
            assert_allclose(oh[:2], [8.424, 8.424 + 0.751 * 0.5], atol=1e-12)


# --- KK04, transcribed independently -------------------------------------------------


def kk04_reference(x, y, upper):
    """KK04 by fixed-point iteration on plain floats (start 8.7 upper, 8.2 lower)."""
    z = 8.7 if upper else 8.2
    for _ in range(200):
        log_q = (32.81 - 1.153 * y**2 + z * (-3.396 - 0.025 * y + 0.1444 * y**2)) / (
            4.603 - 0.3119 * y - 0.163 * y**2 + z * (-0.48 + 0.0271 * y + 0.02037 * y**2)
        )
        if upper:
            new = (
                9.72 - 0.777 * x - 0.951 * x**2 - 0.072 * x**3 - 0.811 * x**4
                - log_q * (0.0737 - 0.0713 * x - 0.141 * x**2 + 0.0373 * x**3 - 0.058 * x**4)
            )  # fmt: skip
        else:
            new = 9.40 + 4.65 * x - 3.17 * x**2 - log_q * (0.272 + 0.547 * x - 0.513 * x**2)
        if abs(new - z) < 1e-12:
            return new
        z = new
    raise AssertionError("reference iteration did not converge")


def kk04_spectrum(oii, oiii5008, nii, hb=1.0):
    """DAP channels, with the DR17 tie OIII-4960 = 0.35 OIII-5008."""
    return {
        "OII-3727": 0.4 * oii,
        "OII-3729": 0.6 * oii,
        "OIII-4960": 0.35 * oiii5008,
        "OIII-5008": oiii5008,
        "NII-6585": nii,
        "Hb-4862": hb,
    }


# (OII, OIII5008, NII): metal-rich upper, intermediate upper, metal-poor lower
KK04_CASES = [(2.0, 0.5, 0.8, True), (3.0, 2.0, 0.5, True), (1.5, 4.0, 0.05, False)]


class TestKK04:
    @pytest.mark.parametrize(("oii", "oiii", "nii", "upper"), KK04_CASES)
    def test_against_the_transcription(self, oii, oiii, nii, upper):
        x = math.log10(oii + 1.35 * oiii)  # R23 with Hb = 1, both [OIII] lines
        y = math.log10(1.35 * oiii / oii)  # O32 = [OIII]4959+5007 / [OII]
        cal = calibrators.get("KK04_R23")
        fluxes = kk04_spectrum(oii, oiii, nii)
        assert_allclose(cal.oh(fluxes), kk04_reference(x, y, upper), atol=1e-7)
        assert cal.branch(fluxes) == (BRANCH_UPPER if upper else BRANCH_LOWER)

    def test_values_are_sensible(self):
        # upper-branch metal-rich spectrum near solar; lower branch metal-poor
        cal = calibrators.get("KK04_R23")
        rich = cal.oh(kk04_spectrum(2.0, 0.5, 0.8))
        poor = cal.oh(kk04_spectrum(1.5, 4.0, 0.05))
        assert 8.7 < rich < 9.2 and 7.8 < poor < 8.5

    def test_o32_is_oiii_over_oii(self):
        # regression guard: feeding [OII]/[OIII] as O32 moves O/H (here by 0.26 dex on
        # the lower branch: 8.168 against 8.433)
        oii, oiii = 1.5, 4.0
        x = math.log10(oii + 1.35 * oiii)
        wrong = kk04_reference(x, math.log10(oii / (1.35 * oiii)), False)
        oh = calibrators.get("KK04_R23").oh(kk04_spectrum(oii, oiii, 0.05))
        assert_allclose(oh, kk04_reference(x, math.log10(1.35 * oiii / oii), False), atol=1e-7)
        assert abs(oh - wrong) > 0.2

    def test_not_the_mcgaugh_polynomial(self):
        # regression guard: 12+log(O/H) = 9.11 - 0.218 x - 0.0587 x^2 - ... (McGaugh 1991
        # via KKP99) is another calibration; at y = 0 its leading terms give 9.11 - 0.218 x
        oii, oiii = 3.0, 2.0
        x = math.log10(oii + 1.35 * oiii)
        oh = calibrators.get("KK04_R23").oh(kk04_spectrum(oii, oiii, 0.5))
        assert abs(oh - (9.11 - 0.218 * x - 0.0587 * x**2)) > 0.05

    def test_fixed_point_reached(self):
        cal = calibrators.get("KK04_R23")
        oii, oiii = 3.0, 2.0
        z = cal.oh(kk04_spectrum(oii, oiii, 0.5))
        x, y = math.log10(oii + 1.35 * oiii), math.log10(1.35 * oiii / oii)
        log_q = (32.81 - 1.153 * y**2 + z * (-3.396 - 0.025 * y + 0.1444 * y**2)) / (
            4.603 - 0.3119 * y - 0.163 * y**2 + z * (-0.48 + 0.0271 * y + 0.02037 * y**2)
        )
        again = (
            9.72 - 0.777 * x - 0.951 * x**2 - 0.072 * x**3 - 0.811 * x**4
            - log_q * (0.0737 - 0.0713 * x - 0.141 * x**2 + 0.0373 * x**3 - 0.058 * x**4)
        )  # fmt: skip
        assert abs(again - z) < 1e-8

    def test_branch_split_at_minus_1_2(self):
        # log([NII]/[OII]) = -1.19 -> upper, -1.21 -> lower (OII = 2)
        nii = 2.0 * 10 ** np.array([-1.19, -1.21])
        codes = calibrators.get("KK04_R23").branch(kk04_spectrum(2.0, 2.0, nii))
        assert_allclose(codes, [BRANCH_UPPER, BRANCH_LOWER])

    @pytest.mark.parametrize(
        ("x", "y", "upper", "inside"),
        [
            (0.2, -0.5, False, True),  # lower branch: Z = 7.6606 by the transcription
            (0.1, -0.5, False, False),  # Z = 7.5704 < 7.63, below the KD02 grid
            (-0.65, -1.0, True, True),  # upper branch: Z = 9.3988
            (-0.70, -1.0, True, False),  # Z = 9.4178 > 9.41
        ],
    )
    def test_validity_edges(self, x, y, upper, inside):
        total = 10.0**x  # ([OII] + [OIII]4959,5007) / Hb with Hb = 1
        oii = total / (1.0 + 10.0**y)
        fluxes = kk04_spectrum(oii, (total - oii) / 1.35, oii * (0.1 if upper else 0.01))
        oh = calibrators.get("KK04_R23").oh(fluxes)
        reference = kk04_reference(x, y, upper)
        assert (7.63 <= reference <= 9.41) == inside
        if inside:
            assert_allclose(oh, reference, atol=1e-7)
        else:
            assert np.isnan(oh)

    def test_branch_none_without_indicator(self):
        fluxes = kk04_spectrum(2.0, 0.5, np.nan)
        cal = calibrators.get("KK04_R23")
        assert cal.branch(fluxes) == BRANCH_NONE and np.isnan(cal.oh(fluxes))
