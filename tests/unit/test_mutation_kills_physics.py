"""Behaviour the physics tests did not pin down, found by ``make mutation`` (issue #19).

Each test states a documented property of a formula and checks it against a number
worked from the published formula or from astropy's cosmology, never against the
function's earlier output. benchmarks/MUTATION.md lists the mutants they kill.
"""

import warnings

import numpy as np
import pytest
from astropy.cosmology import FlatLambdaCDM
from numpy.testing import assert_allclose

from metgrad import physics
from metgrad.physics import bpt

#: A cosmology other than the default, so that a call that drops it is seen.
OTHER_COSMOLOGY = FlatLambdaCDM(H0=100.0, Om0=0.3)
ARCSEC_IN_RAD = np.pi / 648000.0


def _spaxel_area_kpc2(z, side_arcsec, cosmology):
    """Physical area of a square spaxel from astropy's angular-diameter distance."""
    d_a_kpc = cosmology.angular_diameter_distance(z).to_value("kpc")
    return (side_arcsec * ARCSEC_IN_RAD * d_a_kpc) ** 2


class TestCalzettiEdges:
    def test_infinite_r_v_gives_nan(self):
        # The docstring promises NaN for non-finite inputs, R_V included (array path,
        # as the scalar path is memoised).
        k = physics.calzetti_k(np.array([5000.0, 8000.0]), np.array([np.inf, np.inf]))
        assert np.isnan(k).all()

    def test_6300_angstrom_on_the_red_branch_array_path(self):
        # Calzetti et al. (2000) eq. 4: the red branch holds for 0.63 <= lambda <= 2.2 um.
        # At 0.63 um: 2.659 * (-1.857 + 1.040 / 0.63) + 3.1 = 2.551697 (the blue branch
        # would give 2.526623).
        red = 2.659 * (-1.857 + 1.040 / 0.63) + 3.1
        k = physics.calzetti_k(np.array([6300.0]), 3.1)
        assert_allclose(k, [red], rtol=0, atol=1e-9)

    def test_av_is_nan_for_infinite_r_v_without_warnings(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            av = physics.av_from_ebv(np.array([0.0, 0.2]), r_v=np.inf)
        assert np.isnan(av).all()


class TestDereddeningUsesRv:
    def test_corrected_flux_with_calzetti_r_v(self):
        # With R_V = 4.05 (Calzetti's own value), the [NII] 6585 correction is
        # 10**(0.4 E(B-V) k), k = 2.659 (-1.857 + 1.040 / 0.658527) + 4.05.
        from metgrad.physics.calibrators._propagation import corrected

        ha, hb = 4.0, 1.0
        k_hb = 2.659 * np.polynomial.polynomial.polyval(
            1e4 / 4862.683, (-2.156, 1.509, -0.198, 0.011)
        )
        k_ha = 2.659 * (-1.857 + 1.040 / 0.6564608)
        ebv = 2.5 / (k_hb - k_ha) * np.log10(ha / hb / 2.86)
        k_nii = 2.659 * (-1.857 + 1.040 / 0.658527) + 4.05
        out = corrected({"NII-6585": 1.0}, ha, hb, 2.86, 4.05)
        assert_allclose(out["NII-6585"], 10 ** (0.4 * ebv * k_nii), rtol=1e-9)


class TestSurfaceDensities:
    def test_stellar_mass_density_other_spaxel_and_cosmology(self):
        # Sigma = 10**logM * dezonification * (b/a) * 0.62 / A_spaxel (Boardman+22, 2.1)
        z, side = 0.05, 1.0
        area = _spaxel_area_kpc2(z, side, OTHER_COSMOLOGY)
        expected = 10.0**7.0 * 1.5 * 0.8 * 0.62 / area
        sigma = physics.sigma_star_pipe3d(
            7.0, 1.5, z, 0.8, spaxel_arcsec=side, cosmology=OTHER_COSMOLOGY
        )
        assert_allclose(sigma, expected, rtol=1e-9)

    def test_overflowing_mass_is_nan_without_warnings(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sigma = physics.sigma_star_pipe3d(np.array([400.0, 7.0]), 1.0, 0.03, 0.5)
        assert np.isnan(sigma[0])
        assert np.isfinite(sigma[1])

    def test_mass_density_message_names_the_imf_factor(self):
        with pytest.raises(ValueError, match=r"^imf_factor must be"):
            physics.sigma_star_pipe3d(7.0, 1.0, 0.03, 0.5, imf_factor=-1.0)

    def test_sfr_density_other_spaxel_and_cosmology(self):
        # Sigma_SFR = 5.5e-42 * 4 pi D_L^2 F * 1e-17 * (b/a) / A_spaxel (Kennicutt+09)
        z, side, flux = 0.05, 1.0, 20.0
        d_l = OTHER_COSMOLOGY.luminosity_distance(z).to_value("cm")
        area = _spaxel_area_kpc2(z, side, OTHER_COSMOLOGY)
        expected = 5.5e-42 * 4 * np.pi * d_l**2 * flux * 1e-17 * 0.8 / area
        sigma = physics.sigma_sfr_halpha(
            flux, z, 0.8, spaxel_arcsec=side, cosmology=OTHER_COSMOLOGY
        )
        assert_allclose(sigma, expected, rtol=1e-9)


class TestBptBoundary:
    def test_point_on_the_kauffmann_line_is_not_star_forming(self):
        # Kauffmann et al. (2003) eq. 1: star-forming strictly below
        # log([OIII]/Hb) = 0.61 / (log([NII]/Ha) - 0.05) + 1.3.
        # [NII]/Ha = 0.1 gives x = -1 and the line at y = 0.61 / -1.05 + 1.3; the
        # [OIII] flux 10**y is checked to round-trip exactly through log10.
        y_line = 0.61 / (-1.0 - 0.05) + 1.3
        oiii = 10.0**y_line
        assert np.log10(oiii) == y_line
        on_line = bpt.is_star_forming_k03(0.1, 1.0, oiii, 1.0)
        just_below = bpt.is_star_forming_k03(0.1, 1.0, oiii * (1 - 1e-9), 1.0)
        assert not on_line
        assert just_below


def _calzetti_k_by_hand(wave_aa, r_v=3.1):
    """Calzetti et al. (2000) eq. 4, written out again for the test."""
    x = 1e4 / wave_aa
    if wave_aa < 6300.0:
        return 2.659 * (-2.156 + 1.509 * x - 0.198 * x**2 + 0.011 * x**3) + r_v
    return 2.659 * (-1.857 + 1.040 * x) + r_v


def _deredden_by_hand(fluxes, intrinsic):
    """Balmer-decrement correction of every channel, from the published formulas."""
    from metgrad.physics.dust import LINE_WAVELENGTHS_VACUUM_AA as waves

    ratio = np.asarray(fluxes["Ha-6564"]) / np.asarray(fluxes["Hb-4862"])
    k_diff = _calzetti_k_by_hand(waves["Hb-4862"]) - _calzetti_k_by_hand(waves["Ha-6564"])
    ebv = 2.5 / k_diff * np.log10(ratio / intrinsic)
    return {
        name: np.asarray(f) * 10 ** (0.4 * ebv * _calzetti_k_by_hand(waves[name]))
        for name, f in fluxes.items()
    }


def _hii_spectra():
    """Five DAP spectra of star-forming regions, log N2 from about -1.1 to -0.4."""
    nii = np.array([0.25, 0.45, 0.7, 0.95, 1.2])
    return {
        "OII-3727": np.array([1.4, 1.3, 1.2, 1.1, 1.0]),
        "OII-3729": np.array([1.9, 1.7, 1.6, 1.4, 1.3]),
        "Hb-4862": np.full(5, 1.0),
        "OIII-4960": np.array([1.0, 0.7, 0.45, 0.3, 0.2]),
        "OIII-5008": np.array([3.0, 2.1, 1.35, 0.9, 0.6]),
        "NII-6549": nii / 3.0,
        "Ha-6564": np.array([3.6, 3.9, 4.2, 4.6, 5.0]),
        "NII-6585": nii,
        "SII-6718": np.array([0.45, 0.5, 0.55, 0.6, 0.6]),
        "SII-6732": np.array([0.32, 0.36, 0.4, 0.42, 0.44]),
    }


class TestCalibratorsAreRatios:
    def test_every_calibrator_is_scale_invariant(self):
        # Every strong-line calibrator uses flux ratios only: multiplying all
        # fluxes by one number cannot change 12+log(O/H) or the branch.
        from metgrad.physics import calibrators

        fluxes = _hii_spectra()
        scaled = {name: 3.7 * f for name, f in fluxes.items()}
        finite_seen = 0
        for name in calibrators.available():
            cal = calibrators.get(name)
            oh = cal.oh(fluxes)
            assert_allclose(cal.oh(scaled), oh, rtol=0, atol=1e-12, err_msg=name)
            np.testing.assert_array_equal(cal.branch(scaled), cal.branch(fluxes), name)
            finite_seen += np.isfinite(oh).sum()
        assert finite_seen > 20

    def test_batch_dust_correction_uses_the_given_intrinsic_ratio(self):
        # estimate_all(dust_correct=True, intrinsic=3.1) in chunks of 2 spaxels equals the
        # calibrations of the fluxes dereddened by hand with Halpha/Hbeta = 3.1.
        from metgrad.physics import calibrators
        from metgrad.physics.calibrators import estimate_all

        fluxes = _hii_spectra()
        errors = {name: 0.05 * f for name, f in fluxes.items()}
        by_hand = _deredden_by_hand(fluxes, 3.1)
        case_b = _deredden_by_hand(fluxes, 2.86)
        got = estimate_all(fluxes, errors, dust_correct=True, intrinsic=3.1, chunk_size=2)
        assert len(got) > 5
        for name, estimate in got.items():
            cal = calibrators.get(name)
            assert_allclose(estimate.oh, cal.oh(by_hand), rtol=0, atol=1e-9, err_msg=name)
            np.testing.assert_array_equal(estimate.branch, cal.branch(by_hand), name)
            branch = cal.branch(fluxes, dust_correct=True, intrinsic=3.1)
            np.testing.assert_array_equal(branch, cal.branch(by_hand), name)
            # the default intrinsic ratio is case B, 2.86 (Boardman et al. 2022, 2.1)
            branch = cal.branch(fluxes, dust_correct=True)
            np.testing.assert_array_equal(branch, cal.branch(case_b), name)

    def test_batch_dust_correction_of_a_calibrator_without_balmer_lines(self):
        # KD02 N2O2 uses [NII] and [OII] only: with dust_correct the batch must still
        # bring in Halpha and Hbeta for E(B-V).
        from metgrad.physics import calibrators
        from metgrad.physics.calibrators import estimate_all

        fluxes = _hii_spectra()
        errors = {name: 0.05 * f for name, f in fluxes.items()}
        got = estimate_all(fluxes, errors, dust_correct=True, names=["KD02_N2O2"])
        expected = calibrators.get("KD02_N2O2").oh(_deredden_by_hand(fluxes, 2.86))
        assert_allclose(got["KD02_N2O2"].oh, expected, rtol=0, atol=1e-9)

    def test_batch_names_the_missing_channels(self):
        from metgrad.physics.calibrators import estimate_all

        fluxes = {k: v for k, v in _hii_spectra().items() if k != "Hb-4862"}
        with pytest.raises(ValueError, match=r"^estimate_all needs the DAP channel\(s\) \['Hb-4862'\]"):
            estimate_all(fluxes, fluxes, dust_correct=True, names=["KD02_N2O2"])

    def test_one_spaxel_chunks_are_allowed(self):
        from metgrad.physics.calibrators import estimate_all

        fluxes = _hii_spectra()
        errors = {name: 0.05 * f for name, f in fluxes.items()}
        one = estimate_all(fluxes, errors, dust_correct=False, chunk_size=1)
        whole = estimate_all(fluxes, errors, dust_correct=False)
        for name, estimate in whole.items():
            assert_allclose(one[name].oh, estimate.oh, rtol=0, atol=0, err_msg=name)


class TestEdgesAndMessages:
    def test_pg16_r_calibration_nan_for_infinite_indices(self):
        oh = physics.pg16_r_calibration(
            np.array([np.inf, -0.3, -0.3]), np.array([0.3, np.inf, 0.3]),
            np.array([0.1, 0.1, -np.inf]),
        )
        assert np.isnan(oh).all()

    def test_pg16_error_needs_both_halpha_flux_and_error(self):
        with pytest.raises(ValueError, match=r"^dust_correct=True needs the observed Halpha"):
            physics.oh_r_pg16_error(
                3.0, 1.0, 1.0, 0.5, 0.1, 0.05, 0.05, 0.05, dust_correct=True, ha=3.5
            )

    def test_m13_error_message_names_the_intrinsic_ratio(self):
        with pytest.raises(ValueError, match=r"^intrinsic must be"):
            physics.oh_o3n2_m13_error(
                1.0, 1.0, 0.5, 3.5, 0.1, 0.1, 0.05, 0.1, dust_correct=True, intrinsic=-1.0
            )

    def test_messages_name_the_flux_unit_and_spaxel_size(self):
        with pytest.raises(ValueError, match=r"^flux_unit must be"):
            physics.line_luminosity(1.0, 0.03, flux_unit=0.0)
        with pytest.raises(ValueError, match=r"^spaxel_arcsec must be"):
            physics.spaxel_area_kpc2(0.03, spaxel_arcsec=-0.5)

    def test_face_on_axis_ratio_is_valid(self):
        # b/a = 1 is a face-on disc, a valid axis ratio (the deprojection factor is 1).
        sigma = physics.sigma_star_pipe3d(7.0, 1.0, 0.03, 1.0)
        area = _spaxel_area_kpc2(0.03, 0.5, FlatLambdaCDM(H0=71.0, Om0=0.27))
        assert_allclose(sigma, 1e7 * 0.62 / area, rtol=1e-9)

    def test_overflows_give_silent_results(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lum = physics.line_luminosity(np.array([1e300, 1.0]), 0.03)
            flux = physics.deredden(np.array([1.0, 1.0]), 5000.0, np.array([1e3, 0.1]))
        assert np.isfinite(lum[1]) and not np.isfinite(lum[0])
        assert np.isnan(flux[0]) and np.isfinite(flux[1])


class TestDereddenLines:
    def test_each_line_with_calzetti_r_v(self):
        # deredden_lines is public: each channel's own correction depends on R_V.
        from metgrad.physics.calibrators import deredden_lines

        fluxes = {name: f[:2] for name, f in _hii_spectra().items()}
        waves = physics.LINE_WAVELENGTHS_VACUUM_AA
        ratio = fluxes["Ha-6564"] / fluxes["Hb-4862"]
        k_diff = _calzetti_k_by_hand(waves["Hb-4862"]) - _calzetti_k_by_hand(waves["Ha-6564"])
        ebv = 2.5 / k_diff * np.log10(ratio / 2.86)
        got = deredden_lines(fluxes, r_v=4.05)
        for name, flux in fluxes.items():
            k = _calzetti_k_by_hand(waves[name], r_v=4.05)
            assert_allclose(got[name], flux * 10 ** (0.4 * ebv * k), rtol=1e-9, err_msg=name)

    def test_unknown_channel_and_missing_balmer_lines_are_named(self):
        from metgrad.physics.calibrators import deredden_lines

        with pytest.raises(ValueError, match=r"no rest wavelength for channel\(s\) \['OI-6302'\]"):
            deredden_lines({"Ha-6564": 3.0, "Hb-4862": 1.0, "OI-6302": 0.1})
        with pytest.raises(ValueError, match=r"^dust correction needs the DAP channel"):
            deredden_lines({"Ha-6564": 3.0})
