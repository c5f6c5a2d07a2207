"""Halpha SFR, Sigma_SFR, Sigma_*, distances and IMF factors, checked by hand.

Distances: the only numbers taken from astropy are D_L and D_A at z = 0.03 for
FlatLambdaCDM(H0=71, Om0=0.27); they are checked here against an independent
numerical integral of the Friedmann equation, and every step around them is worked
by hand.
"""

import numpy as np
import pytest
from astropy.cosmology import FlatLambdaCDM
from numpy.testing import assert_allclose
from scipy.integrate import quad

from metgrad import physics

MPC_CM = 3.0856775814913673e24  # 1 Mpc in cm (IAU 2015 pc)
KPC_CM = 3.0856775814913673e21
C_KM_S = 299792.458

# astropy FlatLambdaCDM(H0=71, Om0=0.27) at z = 0.03:
DL_MPC = 129.67437853  # luminosity distance
DA_MPC = 122.23053872  # angular-diameter distance


def comoving_distance_mpc(z, h0=71.0, om0=0.27):
    """D_C = c/H0 * int_0^z dz' / sqrt(Om (1+z')^3 + 1 - Om), by quadrature."""
    integral = quad(lambda zz: 1.0 / np.sqrt(om0 * (1 + zz) ** 3 + 1 - om0), 0.0, z)[0]
    return C_KM_S / h0 * integral


class TestDistances:
    def test_literals_match_independent_integral(self):
        # D_C = 4222.4290 Mpc * 0.0298164 = 125.89745 Mpc; D_L = 1.03 D_C, D_A = D_C / 1.03
        d_c = comoving_distance_mpc(0.03)
        assert_allclose(d_c, 125.89745, rtol=1e-6)
        assert_allclose(DL_MPC, 1.03 * d_c, rtol=1e-8)
        assert_allclose(DA_MPC, d_c / 1.03, rtol=1e-8)

    def test_package_distances(self):
        assert_allclose(physics.luminosity_distance_cm(0.03), DL_MPC * MPC_CM, rtol=1e-8)
        assert_allclose(physics.angular_diameter_distance_kpc(0.03), DA_MPC * 1e3, rtol=1e-8)

    def test_default_cosmology_parameters(self):
        cosmo = physics.DEFAULT_COSMOLOGY
        assert cosmo.H0.value == 71.0
        assert cosmo.Om0 == 0.27
        assert_allclose(cosmo.Ode0, 0.73, atol=1e-12)

    def test_cosmology_override(self):
        other = FlatLambdaCDM(H0=70.0, Om0=0.3)
        expected = 1.03 * comoving_distance_mpc(0.03, 70.0, 0.3) * MPC_CM
        assert_allclose(physics.luminosity_distance_cm(0.03, cosmology=other), expected, rtol=1e-7)
        assert not np.isclose(physics.luminosity_distance_cm(0.03), expected, rtol=1e-3)

    def test_spaxel_area_by_hand(self):
        # 0.5" = 0.5 * pi / 648000 rad = 2.4240684e-6 rad; D_A = 122230.53872 kpc
        # side = 2.4240684e-6 * 122230.53872 = 0.2962952 kpc; area = 0.0877908 kpc^2
        assert_allclose(physics.spaxel_area_kpc2(0.03), 0.0877908, rtol=1e-6)
        # a 1" spaxel has four times the area
        assert_allclose(physics.spaxel_area_kpc2(0.03, spaxel_arcsec=1.0), 0.3511633, rtol=1e-6)

    @pytest.mark.parametrize("bad", [0.0, -0.5, np.nan, np.inf, [0.5, 0.5]])
    def test_bad_spaxel_size_raises(self, bad):
        with pytest.raises(ValueError, match="spaxel_arcsec"):
            physics.spaxel_area_kpc2(0.03, spaxel_arcsec=bad)


class TestStarFormation:
    def test_k09_coefficient(self):
        # Kennicutt et al. (2009): SFR = 5.5e-42 L(Ha); L = 2e41 erg/s -> 1.1 Msun/yr
        assert_allclose(physics.sfr_halpha_k09(2e41), 1.1, rtol=1e-12)

    def test_luminosity_by_hand(self):
        # F = 10 * 1e-17 = 1e-16 erg/s/cm^2; D_L = 129.67437853 Mpc = 4.0013332e26 cm
        # D_L^2 = 1.6010668e53 cm^2; L = 4 pi * 1.6010668e53 * 1e-16 = 2.0119598e38 erg/s
        assert_allclose(physics.line_luminosity(10.0, 0.03), 2.0119598e38, rtol=1e-7)
        # the same flux given in erg/s/cm^2
        assert_allclose(
            physics.line_luminosity(1e-16, 0.03, flux_unit=1.0), 2.0119598e38, rtol=1e-7
        )

    def test_sigma_sfr_by_hand(self):
        # SFR = 5.5e-42 * 2.0119598e38 = 1.1065779e-3 Msun/yr
        # Sigma_SFR = 1.1065779e-3 * (b/a = 0.8) / 0.0877908 kpc^2 = 1.0083767e-2
        assert_allclose(physics.sigma_sfr_halpha(10.0, 0.03, 0.8), 1.0083767e-2, rtol=1e-6)

    def test_sigma_sfr_is_a_surface_brightness(self):
        # Independent of the distances: D_L = (1+z)^2 D_A, so
        # Sigma_SFR = 5.5e-42 * 4 pi F (1+z)^4 (kpc in cm)^2 * (b/a) / theta^2
        #   = 5.5e-42 * 12.566371 * 1e-16 * 1.1255088 * 9.5214061e42 * 0.8 / 5.8761076e-12
        #   = 1.0083767e-2 Msun/yr/kpc^2, whatever the cosmology
        theta = 0.5 * np.pi / 648000
        expected = 5.5e-42 * 4 * np.pi * 1e-16 * 1.03**4 * KPC_CM**2 * 0.8 / theta**2
        assert_allclose(expected, 1.0083767e-2, rtol=1e-7)
        other = FlatLambdaCDM(H0=60.0, Om0=0.35)
        assert_allclose(
            physics.sigma_sfr_halpha(10.0, 0.03, 0.8, cosmology=other), expected, rtol=1e-9
        )

    def test_broadcast_over_spaxels(self):
        flux = np.array([[10.0, 20.0], [5.0, 0.0]])
        sigma = physics.sigma_sfr_halpha(flux, 0.03, 0.8)
        assert sigma.shape == (2, 2)
        assert_allclose(sigma[:1], [[1.0083767e-2, 2.0167534e-2]], rtol=1e-6)
        assert_allclose(sigma[1, 0], 5.0418835e-3, rtol=1e-6)
        assert np.isnan(sigma[1, 1])

    @pytest.mark.parametrize("ba", [0.0, -0.3, 1.2, np.nan])
    def test_bad_axis_ratio_gives_nan(self, ba):
        assert np.isnan(physics.sigma_sfr_halpha(10.0, 0.03, ba))

    def test_bad_flux_unit_raises(self):
        with pytest.raises(ValueError, match="flux_unit"):
            physics.sigma_sfr_halpha(10.0, 0.03, 0.8, flux_unit=0.0)


class TestSigmaStar:
    def test_by_hand(self):
        # log M = 7 -> 1e7 Msun/spaxel; x dezonification 1.2 x b/a 0.8 x 0.62 = 5.952e6
        # / 0.0877908 kpc^2 = 6.7797508e7 Msun/kpc^2
        assert_allclose(physics.sigma_star_pipe3d(7.0, 1.2, 0.03, 0.8), 6.7797508e7, rtol=1e-6)

    def test_imf_factor_keyword(self):
        # Salpeter kept: 1e7 * 1.2 * 0.8 / 0.0877908 = 1.0935082e8
        assert_allclose(
            physics.sigma_star_pipe3d(7.0, 1.2, 0.03, 0.8, imf_factor=1.0), 1.0935082e8, rtol=1e-6
        )

    def test_pipe3d_empty_spaxels_are_nan(self):
        out = physics.sigma_star_pipe3d([0.0, 7.0, 7.0], [1.0, 0.0, 1.0], 0.03, 0.8)
        assert np.isnan(out[:2]).all() and np.isfinite(out[2])

    def test_bad_imf_factor_raises(self):
        with pytest.raises(ValueError, match="imf_factor"):
            physics.sigma_star_pipe3d(7.0, 1.0, 0.03, 0.8, imf_factor=-1.0)


def test_imf_factors_are_the_papers():
    # Boardman et al. (2022) section 2.1: Salpeter -> Kroupa x 0.62, Chabrier -> Kroupa x 1.06
    assert physics.SALPETER_TO_KROUPA == 0.62
    assert physics.CHABRIER_TO_KROUPA == 1.06
