"""First-order metallicity errors: hand-worked cases, finite differences, Monte Carlo.

The references are independent of the analytic propagation in the package: numbers
worked by hand from the calibrators' equations, central finite differences of the
public value functions (composed with balmer_ebv and deredden for the dust case),
and a seeded Monte Carlo of the same composition.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from metgrad import physics

LN10 = np.log(10.0)
WAVES = physics.LINE_WAVELENGTHS_VACUUM_AA


def m13_from_observed(oiii, hb, nii, ha):
    """M13 after a Balmer-decrement correction, composed from the public functions."""
    ebv = physics.balmer_ebv(ha, hb)
    return physics.oh_o3n2_m13(
        physics.deredden(oiii, WAVES["OIII-5008"], ebv),
        physics.deredden(hb, WAVES["Hb-4862"], ebv),
        physics.deredden(nii, WAVES["NII-6585"], ebv),
        physics.deredden(ha, WAVES["Ha-6564"], ebv),
    )


def pg16_from_observed(oii, hb, oiii, nii, ha):
    """PG16 after a Balmer-decrement correction, composed from the public functions."""
    ebv = physics.balmer_ebv(ha, hb)
    return physics.oh_r_pg16(
        physics.deredden(oii, physics.OII_DOUBLET_WAVELENGTH_VACUUM_AA, ebv),
        physics.deredden(hb, WAVES["Hb-4862"], ebv),
        physics.deredden(oiii, WAVES["OIII-5008"], ebv),
        physics.deredden(nii, WAVES["NII-6585"], ebv),
    )


def finite_difference_sigma(func, fluxes, errors, step=1e-6):
    """sqrt(sum_j (df/dF_j sigma_j)^2) with central differences in each flux."""
    variance = 0.0
    for j in range(len(fluxes)):
        up = [f * (1 + step) if i == j else f for i, f in enumerate(fluxes)]
        down = [f * (1 - step) if i == j else f for i, f in enumerate(fluxes)]
        derivative = (func(*up) - func(*down)) / (2 * step * fluxes[j])
        variance = variance + (derivative * errors[j]) ** 2
    return np.sqrt(variance)


def single_error(errors, j):
    """The error list with every entry but the j-th set to zero."""
    return [e if i == j else np.zeros_like(e) for i, e in enumerate(errors)]


class TestM13Error:
    def test_equal_relative_errors_by_hand(self):
        # y = 8.533 - 0.214 (l_O3 - l_Hb - l_N2 + l_Ha), l = log10 F, dl = (sigma/F)/ln 10
        # all sigma/F = 0.1: sigma_y = 0.214 * sqrt(4 * 0.01) / ln 10 = 0.0428 / 2.3025851
        #                   = 0.0185878
        sigma = physics.oh_o3n2_m13_error(1.0, 1.0, 0.1, 1.0, 0.1, 0.1, 0.01, 0.1)
        assert_allclose(sigma, 0.0185878, rtol=1e-5)

    def test_mixed_relative_errors_by_hand(self):
        # sigma/F = 0.05, 0.1, 0.2, 0.02: sqrt(0.0025 + 0.01 + 0.04 + 0.0004) = 0.23
        # sigma_y = 0.214 * 0.23 / 2.3025851 = 0.0213760
        sigma = physics.oh_o3n2_m13_error(2.0, 3.0, 0.5, 10.0, 0.1, 0.3, 0.1, 0.2)
        assert_allclose(sigma, 0.0213760, rtol=1e-5)

    def test_dust_correct_halpha_only_by_hand(self):
        # k at the DAP vacuum wavelengths (R_V = 3.1), worked as in test_physics_dust:
        # k(5008.240): x = 1.9967094, bracket = -2.156 + 3.0130345 - 0.7893960 + 0.0875664
        #              = 0.1552049, k = 2.659*0.1552049 + 3.1 = 3.5126898
        # k(6585.27):  x = 1.5185406, bracket = -1.857 + 1.5792822 = -0.2777178,
        #              k = 3.1 - 0.7384516 = 2.3615484
        # k(Hb) = 3.6465061, k(Ha) = 2.3747657, k(Hb) - k(Ha) = 1.2717404
        # corrected O3N2 = O3N2_obs + [(k5008 - kHb) - (k6585 - kHa)] / 1.2717404 * l_dec
        #   (k5008 - kHb) - (k6585 - kHa) = -0.1338163 + 0.0132173 = -0.1205990
        #   coefficient = -0.1205990 / 1.2717404 = -0.0948299
        # dy/dl_Ha = -0.214 * (1 - 0.0948299) = -0.1937064
        # sigma_Ha/F_Ha = 0.1 only: sigma_y = 0.1937064 * 0.1 / 2.3025851 = 0.0084126
        fluxes = (1.0, 1.0, 0.3, 4.0)
        sigma = physics.oh_o3n2_m13_error(*fluxes, 0.0, 0.0, 0.0, 0.4, dust_correct=True)
        assert_allclose(sigma, 0.0084126, rtol=2e-5)
        # same magnitude for Hbeta alone: dy/dl_Hb = +0.214 * (1 - 0.0948299)
        sigma = physics.oh_o3n2_m13_error(*fluxes, 0.0, 0.1, 0.0, 0.0, dust_correct=True)
        assert_allclose(sigma, 0.0084126, rtol=2e-5)
        # [OIII] alone is not involved in the decrement: 0.214 * 0.1 / ln 10 = 0.0092939
        sigma = physics.oh_o3n2_m13_error(*fluxes, 0.1, 0.0, 0.0, 0.0, dust_correct=True)
        assert_allclose(sigma, 0.0092939, rtol=2e-5)

    def test_fixed_ebv_same_for_observed_and_dereddened(self):
        ebv = 0.4
        fluxes = np.array([1.2, 1.0, 0.5, 4.0])
        errors = np.array([0.1, 0.05, 0.04, 0.2])
        waves = [WAVES[n] for n in ("OIII-5008", "Hb-4862", "NII-6585", "Ha-6564")]
        corrected = [physics.deredden(f, w, ebv) for f, w in zip(fluxes, waves, strict=True)]
        corrected_err = [physics.deredden(e, w, ebv) for e, w in zip(errors, waves, strict=True)]
        assert_allclose(
            physics.oh_o3n2_m13_error(*corrected, *corrected_err),
            physics.oh_o3n2_m13_error(*fluxes, *errors),
            rtol=1e-12,
        )

    @pytest.mark.parametrize("dust_correct", [False, True])
    def test_against_finite_differences(self, dust_correct):
        rng = np.random.default_rng(11)
        n = 50
        hb = rng.uniform(1.0, 10.0, n)
        fluxes = [hb * rng.uniform(0.1, 3.0, n), hb, hb * rng.uniform(0.3, 1.5, n)]
        fluxes.append(hb * rng.uniform(2.9, 6.0, n))
        errors = [f * rng.uniform(0.01, 0.3, n) for f in fluxes]
        func = m13_from_observed if dust_correct else physics.oh_o3n2_m13
        for j in range(4):
            one = single_error(errors, j)
            assert_allclose(
                physics.oh_o3n2_m13_error(*fluxes, *one, dust_correct=dust_correct),
                finite_difference_sigma(func, fluxes, one),
                rtol=1e-6,
            )
        assert_allclose(
            physics.oh_o3n2_m13_error(*fluxes, *errors, dust_correct=dust_correct),
            finite_difference_sigma(func, fluxes, errors),
            rtol=1e-6,
        )


class TestPG16Error:
    def test_upper_branch_unit_ratios_by_hand(self):
        # OII = Hb = 3, OIII = NII = 2.25: a = log R3 = 0, n = log N2 = 0, r = log R2 = 0,
        # upper branch. y = 8.589 + 0.022 (a - r) + 0.399 n + (-0.137 + 0.164 (a - r)
        # + 0.589 n) r, so at a = n = r = 0:
        #   dy/da = 0.022 + 0.164 r = 0.022     (-> [OIII])
        #   dy/dn = 0.399 + 0.589 r = 0.399     (-> [NII])
        #   dy/dr = -0.022 - 0.137 + 0.164 (a - 2r) + 0.589 n = -0.159   (-> [OII])
        #   Hbeta is in every denominator: -(0.022 + 0.399 - 0.159) = -0.262
        # all sigma/F = 0.1:
        #   sigma = 0.1 / ln 10 * sqrt(0.022^2 + 0.399^2 + 0.159^2 + 0.262^2)
        #         = 0.0434294 * sqrt(0.000484 + 0.159201 + 0.025281 + 0.068644)
        #         = 0.0434294 * sqrt(0.253610) = 0.0434294 * 0.5035971 = 0.0218709
        sigma = physics.oh_r_pg16_error(3.0, 3.0, 2.25, 2.25, 0.3, 0.3, 0.225, 0.225)
        assert_allclose(sigma, 0.0218709, rtol=1e-5)

    def test_lower_branch_by_hand(self):
        # OII = Hb = 3, OIII = 2.25, NII = 0.225: a = 0, r = 0, N2 = 4/3*0.075 = 0.1,
        # n = -1 < -0.6 -> lower branch, y = 7.932 + 0.695*(-1) = 7.237.
        #   dy/da = 0.944 - 0.291 r = 0.944
        #   dy/dn = 0.695 - 0.019 r = 0.695
        #   dy/dr = -0.944 + 0.970 - 0.291 (a - 2r) - 0.019 n = 0.026 + 0.019 = 0.045
        #   Hbeta: -(0.944 + 0.695 + 0.045) = -1.684
        # all sigma/F = 0.1: sum of squares = 0.891136 + 0.483025 + 0.002025 + 2.835856
        #   = 4.212042; sigma = 0.0434294 * 2.0523260 = 0.0891314
        assert_allclose(physics.oh_r_pg16(3.0, 3.0, 2.25, 0.225), 7.237, atol=1e-12)
        sigma = physics.oh_r_pg16_error(3.0, 3.0, 2.25, 0.225, 0.3, 0.3, 0.225, 0.0225)
        assert_allclose(sigma, 0.0891314, rtol=1e-5)

    @pytest.mark.parametrize("dust_correct", [False, True])
    def test_against_finite_differences_both_branches(self, dust_correct):
        rng = np.random.default_rng(12)
        n = 80
        # dust-corrected fluxes, log N2 from -1.4 to 0.2 but >= 0.05 dex from -0.6
        hb = rng.uniform(1.0, 10.0, n)
        log_n2 = rng.uniform(-1.4, 0.2, n)
        log_n2 = np.where(np.abs(log_n2 + 0.6) < 0.05, log_n2 + 0.1, log_n2)
        assert np.any(log_n2 < -0.6) and np.any(log_n2 > -0.6)
        corrected = [hb * rng.uniform(0.5, 6.0, n), hb, hb * rng.uniform(0.05, 4.0, n)]
        corrected += [0.75 * hb * 10.0**log_n2, 2.86 * hb]  # NII, Halpha
        waves = [physics.OII_DOUBLET_WAVELENGTH_VACUUM_AA, WAVES["Hb-4862"]]
        waves += [WAVES["OIII-5008"], WAVES["NII-6585"], WAVES["Ha-6564"]]
        if dust_correct:
            # observed = corrected reddened by E(B-V) in [0, 0.8]
            ebv = rng.uniform(0.0, 0.8, n)
            fluxes = [physics.deredden(f, w, -ebv) for f, w in zip(corrected, waves, strict=True)]
            func = pg16_from_observed
        else:
            fluxes = corrected[:4]
            func = physics.oh_r_pg16
        errors = [f * rng.uniform(0.01, 0.3, n) for f in fluxes]

        def analytic(errs):
            extra = {"ha": fluxes[4], "ha_err": errs[4]} if dust_correct else {}
            return physics.oh_r_pg16_error(
                *fluxes[:4], *errs[:4], dust_correct=dust_correct, **extra
            )

        for j in range(len(fluxes)):
            one = single_error(errors, j)
            assert_allclose(analytic(one), finite_difference_sigma(func, fluxes, one), rtol=1e-5)
        assert_allclose(analytic(errors), finite_difference_sigma(func, fluxes, errors), rtol=1e-5)

    def test_dust_correct_needs_halpha(self):
        with pytest.raises(ValueError, match="ha"):
            physics.oh_r_pg16_error(1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, dust_correct=True)


class TestMonteCarlo:
    """Small errors (1 %): the sample standard deviation approaches the first-order error."""

    N = 40000

    def test_m13_with_dust_correction(self):
        rng = np.random.default_rng(21)
        fluxes = np.array([1.5, 1.0, 0.8, 4.2])
        errors = 0.01 * fluxes
        draws = fluxes[:, None] + errors[:, None] * rng.standard_normal((4, self.N))
        mc = np.std(m13_from_observed(*draws), ddof=1)
        analytic = physics.oh_o3n2_m13_error(*fluxes, *errors, dust_correct=True)
        # relative standard error of a standard deviation from 40000 draws: 0.35 %
        assert_allclose(analytic, mc, rtol=0.02)

    def test_pg16_with_dust_correction(self):
        rng = np.random.default_rng(22)
        fluxes = np.array([3.0, 1.0, 1.2, 0.5, 4.0])  # OII, Hb, OIII, NII, Ha
        errors = 0.01 * fluxes
        draws = fluxes[:, None] + errors[:, None] * rng.standard_normal((5, self.N))
        mc = np.std(pg16_from_observed(*draws), ddof=1)
        analytic = physics.oh_r_pg16_error(
            *fluxes[:4], *errors[:4], dust_correct=True, ha=fluxes[4], ha_err=errors[4]
        )
        assert_allclose(analytic, mc, rtol=0.02)
