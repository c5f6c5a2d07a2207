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


# --- second round (issue #19): the survivors of the full pass of physics/ ---------------

class TestDualArithmetic:
    """Forward-mode derivatives against derivatives worked by hand."""

    def test_negation_reciprocal_and_powers(self):
        from metgrad.physics.calibrators._dual import Dual

        x = Dual(np.array([0.5, 2.0]), {"a": np.array([1.0, 3.0])})
        neg = -x
        np.testing.assert_array_equal(neg.value, [-0.5, -2.0])
        np.testing.assert_array_equal(neg.grad["a"], [-1.0, -3.0])
        inverse = 2.0 / x  # d(2/x) = -2 dx / x^2
        assert_allclose(inverse.value, [4.0, 1.0], rtol=1e-15)
        assert_allclose(inverse.grad["a"], [-8.0, -1.5], rtol=1e-15)
        one = x**1
        np.testing.assert_array_equal(one.value, x.value)
        np.testing.assert_array_equal(one.grad["a"], [1.0, 3.0])
        assert one.grad["a"].dtype == np.float64
        cube = x**3  # d(x^3) = 3 x^2 dx
        assert_allclose(cube.value, [0.125, 8.0], rtol=1e-15)
        assert_allclose(cube.grad["a"], [0.75, 36.0], rtol=1e-15)

    def test_division_by_two_and_minus_two_in_the_factor(self):
        # 1 / 0.5 = 2 and 1 / -0.5 = -2 are the factors of d(x / c) = dx / c
        from metgrad.physics.calibrators._dual import Dual

        x = Dual(3.0, {"a": np.float64(1.0)})
        assert (x / Dual(0.5)).grad["a"] == 2.0
        assert (x / Dual(-0.5)).grad["a"] == -2.0
        assert (x / Dual(-1.0)).grad["a"] == -1.0

    def test_powers_other_than_positive_integers_are_refused(self):
        from metgrad.physics.calibrators._dual import Dual

        x = Dual(2.0, {"a": np.float64(1.0)})
        for exponent in (2.5, 0, -1):
            with pytest.raises(ValueError, match=r"^Dual powers take a positive integer exponent"):
                x**exponent

    def test_values_are_float64(self):
        from metgrad.physics.calibrators._dual import Dual

        assert Dual(np.array([1, 2])).value.dtype == np.float64

    def test_where_keeps_each_sides_own_derivatives(self):
        from metgrad.physics.calibrators._dual import Dual, where

        p = Dual(np.array([1.0, 2.0]), {"p": np.array([10.0, 20.0])})
        q = Dual(np.array([3.0, 4.0]), {"q": np.array([30.0, 40.0])})
        chosen = where(np.array([True, False]), p, q)
        np.testing.assert_array_equal(chosen.value, [1.0, 4.0])
        assert set(chosen.grad) == {"p", "q"}
        np.testing.assert_array_equal(chosen.grad["p"], [10.0, 0.0])
        np.testing.assert_array_equal(chosen.grad["q"], [0.0, 40.0])

    def test_substituted_skips_only_the_arguments_the_function_ignores(self):
        # f(a, b) = b^2 with b = b(u, v): df/du = 2 b db/du, df/dv = 2 b db/dv
        from metgrad.physics.calibrators._dual import Dual, substituted

        a = Dual(2.0, {"u": np.float64(1.0)})
        b = Dual(3.0, {"u": np.float64(2.0), "v": np.float64(1.0)})
        out, partials = substituted(lambda a_, b_: b_ * b_, a, b)
        assert out.value == 9.0
        assert set(partials) == {1}
        assert out.grad == {"u": 12.0, "v": 6.0}


class TestArraysAndBranchCodes:
    def test_as_float_gives_float64(self):
        from metgrad.physics._arrays import as_float

        assert as_float([1, 2]).dtype == np.float64
        assert as_float(3).dtype == np.float64

    def test_branch_codes_at_the_threshold_and_for_nan(self):
        # the split value itself belongs to the upper branch (documented); int8 codes
        from metgrad.physics.calibrators import branch_codes

        codes = branch_codes(np.array([-1.2, -1.2000001, np.nan, 0.0]), -1.2)
        assert codes.dtype == np.int8
        np.testing.assert_array_equal(codes, [1, -1, 0, 1])

    def test_validity_index_range_is_open_and_oh_range_closed(self):
        from metgrad.physics.calibrators import Validity

        validity = Validity(index_range=(-1.0, 1.0), oh_range=(8.0, 9.0))
        index = np.array([-1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
        oh = np.array([8.5, 8.5, 8.0, 9.0, 9.0 + 1e-9, 8.0 - 1e-9])
        np.testing.assert_array_equal(
            validity.mask(index=index, oh=oh), [False, False, True, True, False, False]
        )


def _stub_calibrator(name, lines, formula):
    from metgrad.physics.calibrators import Calibrator, Validity

    return Calibrator(name=name, lines=lines, scale="Te", reference="test", validity=Validity(),
                      branched=False, description="test", formula=formula)  # fmt: skip


class TestCalibratorObject:
    def test_bad_scale_and_unknown_channels_are_named(self):
        from metgrad.physics.calibrators import Calibrator, Validity

        with pytest.raises(ValueError, match=r"^X: scale must be one of \('Te', 'photoionisation'\), got 'te'$"):
            Calibrator(name="X", lines=("Ha-6564",), scale="te", reference="", validity=Validity(),
                       branched=False, description="", formula=None)  # fmt: skip
        with pytest.raises(ValueError, match=r"^X: unknown DAP channel\(s\) \['OI-6302'\]$"):
            _stub_calibrator("X", ("Ha-6564", "OI-6302"), None)

    def test_corrected_fluxes_defaults_are_case_b_and_r_v_3_1(self):
        from metgrad.physics.calibrators import corrected_fluxes

        fluxes = {name: _hii_spectra()[name][:2] for name in ("NII-6585", "Ha-6564", "Hb-4862")}
        values, valid = corrected_fluxes(fluxes, ["NII-6585"], dust_correct=True)
        assert list(values) == ["NII-6585"]
        expected = _deredden_by_hand(fluxes, 2.86)["NII-6585"]
        assert_allclose(values["NII-6585"], expected, rtol=1e-12)
        np.testing.assert_array_equal(valid, [True, True])
        with pytest.raises(ValueError, match=r"^intrinsic must be a finite positive scalar"):
            corrected_fluxes(fluxes, ["NII-6585"], dust_correct=True, intrinsic=0.0)

    def test_deredden_lines_overflow_is_silent(self):
        # E(B-V) of a decrement of 1e200 is ~390 mag: 10**(0.4 E k) overflows to inf
        from metgrad.physics.calibrators import deredden_lines

        fluxes = {"Ha-6564": np.array([1e200, 3.5]), "Hb-4862": np.array([1.0, 1.0])}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = deredden_lines(fluxes)
        assert not np.isfinite(got["Ha-6564"][0])
        assert np.isfinite(got["Ha-6564"][1])

    def test_cubic_n2_value_and_error_with_another_intrinsic_ratio(self):
        # PP04 cubic: 9.37 + 2.03 N2 + 1.26 N2^2 + 0.32 N2^3, on fluxes dereddened with
        # Halpha/Hbeta = 3.1: N2_corr = N2 + s log10((Ha/Hb)/3.1), s = (k_N - k_Ha)/(k_Hb - k_Ha)
        from metgrad.physics import calibrators

        cal = calibrators.get("PP04_N2_cubic")
        f = {"NII-6585": np.array([0.5, 1.0]), "Ha-6564": np.array([4.0, 4.5]),
             "Hb-4862": np.array([1.0, 1.2])}  # fmt: skip
        e = {"NII-6585": np.array([0.05, 0.04]), "Ha-6564": np.array([0.1, 0.2]),
             "Hb-4862": np.array([0.05, 0.06])}  # fmt: skip
        waves = physics.LINE_WAVELENGTHS_VACUUM_AA
        k = {name: _calzetti_k_by_hand(waves[name]) for name in f}
        s = (k["NII-6585"] - k["Ha-6564"]) / (k["Hb-4862"] - k["Ha-6564"])
        n2 = np.log10(f["NII-6585"] / f["Ha-6564"]) + s * np.log10(f["Ha-6564"] / f["Hb-4862"] / 3.1)
        oh = 9.37 + 2.03 * n2 + 1.26 * n2**2 + 0.32 * n2**3
        slope = 2.03 + 2 * 1.26 * n2 + 3 * 0.32 * n2**2
        d_n2 = {"NII-6585": 1.0, "Ha-6564": s - 1.0, "Hb-4862": -s}  # d N2 / d log10 F
        sigma = np.abs(slope) * np.sqrt(sum((d_n2[n] * e[n] / f[n]) ** 2 for n in f)) / np.log(10)
        assert_allclose(cal.oh(f, dust_correct=True, intrinsic=3.1), oh, rtol=1e-12)
        assert_allclose(cal.oh_error(f, e, intrinsic=3.1), sigma, rtol=1e-9)

    def test_evaluate_corrected_without_gradients_carries_none(self):
        from metgrad.physics import calibrators

        cal = calibrators.get("M13_O3N2")
        values = {name: _hii_spectra()[name] for name in cal.lines}
        oh, _, _ = cal.evaluate_corrected(values, np.array(True), with_grad=False)
        assert oh.grad == {}
        oh, _, _ = cal.evaluate_corrected(values, np.array(True), with_grad=True)
        assert set(oh.grad) == set(cal.lines)

    def test_a_weak_doublet_member_alone_takes_the_strong_lines_error(self):
        # The DAP ties OIII-4960 to OIII-5008, so a calibration of OIII-4960 / Hb carries
        # the strong line's relative error (the weak channel's error, here absurd, is unused):
        # sigma = sqrt((e5008 / f5008)^2 + (eHb / fHb)^2) / ln 10.
        from metgrad.physics.calibrators import Evaluation

        cal = _stub_calibrator(
            "TEST_O3weak", ("OIII-4960", "Hb-4862"),
            lambda d: Evaluation((d["OIII-4960"] / d["Hb-4862"]).log10(), np.array(True)),
        )  # fmt: skip
        f = {"OIII-4960": np.array([0.35, 0.7]), "OIII-5008": np.array([1.0, 2.0]),
             "Hb-4862": np.array([1.0, 1.5])}  # fmt: skip
        e = {"OIII-4960": np.array([9.0, 9.0]), "OIII-5008": np.array([0.1, 0.1]),
             "Hb-4862": np.array([0.05, 0.3])}  # fmt: skip
        got = cal.estimate(f, e, dust_correct=False)
        expected = np.hypot(e["OIII-5008"] / f["OIII-5008"], e["Hb-4862"] / f["Hb-4862"])
        assert_allclose(got.error, expected / np.log(10), rtol=1e-12)
        assert_allclose(got.oh, np.log10(f["OIII-4960"] / f["Hb-4862"]), rtol=1e-12)


class TestRegistry:
    def test_register_and_get_a_new_calibrator(self, monkeypatch):
        from metgrad.physics.calibrators import registry

        monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
        cal = _stub_calibrator("TEST_new", ("Ha-6564", "Hb-4862"), None)
        assert registry.register(cal) is cal
        assert registry.get("TEST_new") is cal
        assert registry.available()[-1] == "TEST_new"
        with pytest.raises(ValueError, match=r"^a calibrator named 'TEST_new' is already registered$"):
            registry.register(cal)
        with pytest.raises(ValueError, match=r"^a calibrator named 'm13' is already registered$"):
            registry.register(_stub_calibrator("m13", ("Ha-6564",), None))

    def test_unknown_name_message_lists_names_and_aliases(self):
        import re

        from metgrad.physics import calibrators

        expected = (
            f"unknown calibrator 'T04'; available: {', '.join(calibrators.available())} "
            "(aliases: m13 -> M13_O3N2, pg16 -> PG16_R)"
        )
        with pytest.raises(ValueError, match="^" + re.escape(expected) + "$"):
            calibrators.get("T04")


class TestBatchOutputs:
    def test_branch_codes_come_back_as_int8(self):
        from metgrad.physics.calibrators import estimate_all

        fluxes = _hii_spectra()
        errors = {name: 0.05 * f for name, f in fluxes.items()}
        got = estimate_all(fluxes, errors, dust_correct=False, names=["C20_R23", "M13_O3N2"])
        for estimate in got.values():
            assert estimate.branch.dtype == np.int8

    def test_balmer_lines_are_not_needed_without_dust_correction(self):
        from metgrad.physics import calibrators
        from metgrad.physics.calibrators import estimate_all

        lines = calibrators.get("KD02_N2O2").lines
        fluxes = {name: _hii_spectra()[name] for name in lines}
        errors = {name: 0.05 * f for name, f in fluxes.items()}
        got = estimate_all(fluxes, errors, dust_correct=False, names=["KD02_N2O2"])
        expected = calibrators.get("KD02_N2O2").oh(fluxes)
        assert np.isfinite(expected).sum() == 4  # the first spaxel is below the KD02 range
        assert_allclose(got["KD02_N2O2"].oh, expected, rtol=0, atol=1e-12)


def _c20_log_r(ratio, oh):
    from metgrad.physics.calibrators.c20 import C20_COEFFICIENTS

    return np.polynomial.polynomial.polyval(oh - 8.69, C20_COEFFICIENTS[ratio])


def _c20_turnovers(ratio):
    """Real zeros of dP/dx inside 7.6-8.9, in 12+log(O/H), by numpy.roots (highest first)."""
    from metgrad.physics.calibrators.c20 import C20_COEFFICIENTS

    roots = np.roots(np.polyder(np.array(C20_COEFFICIENTS[ratio][::-1])))
    real = np.sort(roots[np.isreal(roots)].real) + 8.69
    return real[(real > 7.6) & (real < 8.9)]


class TestC20Construction:
    """c20._pieces and c20._build run at import; here they are called again in the test."""

    def test_pieces_split_at_the_turnovers(self):
        from metgrad.physics.calibrators import c20

        (turn_r2,) = _c20_turnovers("R2")
        assert turn_r2 == pytest.approx(8.54, abs=0.005)  # C20, Table 2 / Fig. 2
        lower, upper = c20._pieces(c20.C20_COEFFICIENTS["R2"], True)
        assert_allclose(lower, (7.6 - 8.69, turn_r2 - 8.69), atol=1e-12)
        assert_allclose(upper, (turn_r2 - 8.69, 8.9 - 8.69), atol=1e-12)
        # single-valued: the longer monotonic piece (N2 turns over at 8.87, O3N2 at 7.64)
        (turn_n2,) = _c20_turnovers("N2")
        (turn_o3n2,) = _c20_turnovers("O3N2")
        piece, none = c20._pieces(c20.C20_COEFFICIENTS["N2"], False)
        assert none is None
        assert_allclose(piece, (7.6 - 8.69, turn_n2 - 8.69), atol=1e-12)
        piece, _ = c20._pieces(c20.C20_COEFFICIENTS["O3N2"], False)
        assert_allclose(piece, (turn_o3n2 - 8.69, 8.9 - 8.69), atol=1e-12)

    def test_a_monotonic_polynomial_cannot_be_double_valued(self):
        from metgrad.physics.calibrators import c20

        with pytest.raises(ValueError, match=r"^C20 polynomial \(-0\.691, -2\.944, -1\.308\) "
                                             r"has 0 turnovers in range$"):  # fmt: skip
            c20._pieces(c20.C20_COEFFICIENTS["O3O2"], True)

    def test_built_r2_calibrator(self, monkeypatch):
        from metgrad.physics.calibrators import c20

        monkeypatch.setattr(c20, "register", lambda calibrator: calibrator)
        cal = c20._build("R2")
        assert cal.name == "C20_R2"
        assert cal.lines == ("OII-3727", "OII-3729", "Hb-4862", "NII-6585")
        assert (cal.scale, cal.branched) == ("Te", True)
        assert cal.reference.startswith("Curti, M., et al. 2020, MNRAS, 491, 944")
        assert cal.validity.index == "log R, R = [OII]3727,29/Hb"
        assert_allclose(cal.validity.oh_range, (7.6, 8.9), atol=1e-12)
        (turn,) = _c20_turnovers("R2")
        assert cal.validity.note == (
            f"C20 range 7.6-8.9, double-valued: lower piece 7.60-{turn:.3f}, upper "
            f"{turn:.3f}-8.90; lower branch where log([NII]6584/[OII]) < -1.2; NaN where "
            "no root lies on the branch's piece"
        )
        assert cal.description == (
            "log R = sum c_i x^i, x = 12+log(O/H) - 8.69, R = [OII]3727,29/Hb"
        )
        # 8.3 on the lower branch (log [NII]/[OII] = -2), 8.8 on the upper one (-0.3)
        r2 = 10 ** _c20_log_r("R2", np.array([8.3, 8.8]))
        fluxes = {"OII-3727": 0.4 * r2, "OII-3729": 0.6 * r2, "Hb-4862": np.ones(2),
                  "NII-6585": r2 * np.array([0.01, 0.5])}  # fmt: skip
        assert_allclose(cal.oh(fluxes), [8.3, 8.8], atol=1e-9)
        np.testing.assert_array_equal(cal.branch(fluxes), [-1, 1])

    def test_built_n2_calibrator(self, monkeypatch):
        from metgrad.physics.calibrators import c20

        monkeypatch.setattr(c20, "register", lambda calibrator: calibrator)
        cal = c20._build("N2")
        (turn,) = _c20_turnovers("N2")
        assert cal.lines == ("NII-6585", "Ha-6564")
        assert not cal.branched
        assert_allclose(cal.validity.oh_range, (7.6, turn), atol=1e-12)
        assert f"single-valued on 7.600-{turn:.3f}" in cal.validity.note
        n2 = 10 ** _c20_log_r("N2", np.array([7.8, 8.5]))
        assert_allclose(cal.oh({"NII-6585": n2, "Ha-6564": np.ones(2)}), [7.8, 8.5], atol=1e-9)


class TestKK04Iteration:
    def test_broadcast_shapes_and_the_fixed_point_of_eqs_13_16_17(self):
        from metgrad.physics.calibrators.kk04 import kk04_iterate

        def log_q(z, y):  # KK04 eq. 13
            return (32.81 - 1.153 * y**2 + z * (-3.396 - 0.025 * y + 0.1444 * y**2)) / (
                4.603 - 0.3119 * y - 0.163 * y**2 + z * (-0.48 + 0.0271 * y + 0.02037 * y**2)
            )

        def z_upper(x, lq):  # KK04 eq. 17
            return (9.72 - 0.777 * x - 0.951 * x**2 - 0.072 * x**3 - 0.811 * x**4
                    - lq * (0.0737 - 0.0713 * x - 0.141 * x**2 + 0.0373 * x**3 - 0.058 * x**4))  # fmt: skip

        def z_lower(x, lq):  # KK04 eq. 16
            return 9.40 + 4.65 * x - 3.17 * x**2 - lq * (0.272 + 0.547 * x - 0.513 * x**2)

        x = np.array([0.7, 0.8, 0.9])
        z = kk04_iterate(x, 0.1, True)
        assert z.shape == (3,)
        assert_allclose(z, z_upper(x, log_q(z, 0.1)), rtol=0, atol=1e-7)
        y = np.array([-0.3, 0.0, 0.3])
        z = kk04_iterate(0.8, y, False)
        assert z.shape == (3,)
        assert_allclose(z, z_lower(0.8, log_q(z, y)), rtol=0, atol=1e-7)


class TestEscapeVelocityByHand:
    """Phi(r) = -G sum_j m_j / max(r, r_j), term by term (Binney & Tremaine 2008, 2.2.1)."""

    G = 4.30091727e-6  # kpc (km/s)^2 / Msun

    def _by_hand(self, at, shells):
        total = [sum(m / max(q, r) for r, m in shells) if np.isfinite(q) else np.nan for q in at]
        return np.sqrt(2 * self.G * np.array(total))

    def test_small_masses_missing_mass_and_unusable_elements(self):
        # usable shells (1 kpc, 0.5 Msun), (3 kpc, 2 Msun); a NaN radius, a zero mass at
        # 10 kpc and an infinite mass are left out; the missing 1.5 Msun of M* = 4 Msun
        # is a shell at the map's edge, 3 kpc.
        r = np.array([1.0, 3.0, np.nan, 10.0, 2.0])
        m = np.array([0.5, 2.0, 1.0, 0.0, np.inf])
        at = np.array([0.0, 0.5, 1.0, 2.0, 3.0, 5.0, np.inf, np.nan])
        shells = [(1.0, 0.5), (3.0, 2.0)]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with_rest = physics.spherical_escape_velocity(at, r, m, total_mass_msun=4.0)
            map_only = physics.spherical_escape_velocity(at, r, m)
            too_small_total = physics.spherical_escape_velocity(at, r, m, total_mass_msun=1.0)
        assert_allclose(with_rest, self._by_hand(at, [*shells, (3.0, 1.5)]), rtol=1e-7)
        assert_allclose(map_only, self._by_hand(at, shells), rtol=1e-7)
        assert_allclose(too_small_total, self._by_hand(at, shells), rtol=1e-7)
        assert np.isnan(with_rest[-2:]).all()


class TestDustEdges:
    def test_scalar_wavelength_with_several_r_v(self):
        # k(5000 A) = 2.659 (-2.156 + 1.509 x - 0.198 x^2 + 0.011 x^3) + R_V, x = 2
        blue = 2.659 * (-2.156 + 1.509 * 2 - 0.198 * 4 + 0.011 * 8)
        k = physics.calzetti_k(5000.0, np.array([3.1, 4.05]))
        assert_allclose(k, [blue + 3.1, blue + 4.05], rtol=1e-12)

    def test_balmer_ebv_names_the_intrinsic_ratio(self):
        with pytest.raises(ValueError, match=r"^intrinsic must be a finite positive scalar"):
            physics.balmer_ebv(3.0, 1.0, intrinsic=0.0)


class TestPG16BranchBoundary:
    def test_log_n2_exactly_minus_0_6_takes_eq_4(self):
        # PG16 (Boardman et al. 2022, App. B): eq. 4 holds for log N2 >= -0.6, with
        # N2 = 4/3 [NII]6584 / Hb; the [NII] flux is chosen so that log N2 is exactly -0.6.
        from metgrad.physics import calibrators

        nii = 0.75 * 10**-0.6
        log_n2 = np.log10(nii * (4.0 / 3.0) / 1.0)
        assert log_n2 == -0.6
        oiii, oii = 2.0, 3.0
        log_r3, log_r2 = np.log10(4.0 / 3.0 * oiii), np.log10(oii)
        a = log_r3 - log_r2
        eq4 = 8.589 + 0.022 * a + 0.399 * log_n2 + (-0.137 + 0.164 * a + 0.589 * log_n2) * log_r2
        fluxes = {"OII-3727": 1.2, "OII-3729": 1.8, "Hb-4862": 1.0, "OIII-5008": oiii,
                  "NII-6585": nii}  # fmt: skip
        assert calibrators.get("PG16_R").oh(fluxes) == pytest.approx(eq4, abs=1e-12)


class TestSilentWhateverTheCallersFloatSettings:
    """The physics functions evaluate under ``np.errstate(all="ignore")`` (physics._arrays)."""

    def test_pg16_error_of_an_overflowing_ratio_is_nan(self):
        # [OII]/Hb = 1e310 overflows to inf: log R2 = inf, and the gradients give inf - inf
        sigma = physics.oh_r_pg16_error(1e300, 1e-10, 1.0, 1.0, 1.0, 1e-11, 0.1, 0.1)
        assert np.isnan(sigma)

    def test_sfr_underflow_with_floating_point_errors_raised(self):
        # 5.5e-42 * 1e-300 underflows to 0 (below the smallest float64, 4.9e-324)
        with np.errstate(all="raise"):
            sfr = physics.sfr_halpha_k09(np.array([1e-300, 1e40]))
        np.testing.assert_array_equal(sfr, [0.0, 5.5e-42 * 1e40])

    def test_sigma_sfr_underflow_with_floating_point_errors_raised(self):
        # Sigma_SFR = 5.5e-42 * 4 pi D_L^2 F 1e-17 * (b/a) / A: here SFR * (b/a) is below
        # the smallest normal float64 (2.2e-308), an underflow
        cosmology = FlatLambdaCDM(H0=71.0, Om0=0.27)
        d_l = cosmology.luminosity_distance(0.03).to_value("cm")
        area = _spaxel_area_kpc2(0.03, 0.5, cosmology)
        expected = (5.5e-42 * 4 * np.pi * d_l**2 * 1e-17) * 1e-302 / area * 0.01
        with np.errstate(all="raise"):
            sigma = physics.sigma_sfr_halpha(1e-302, 0.03, 0.01)
        assert_allclose(sigma, expected, rtol=1e-3)  # F * 1e-17 is subnormal: ~4 digits
