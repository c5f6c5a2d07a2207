"""Input handling shared by all physics functions: bad values, shapes, scalars, exports."""

import warnings

import numpy as np
import pytest

import metgrad.physics
from metgrad import physics

# one good value followed by zero, negative, NaN, +inf and -inf
BAD = np.array([1.0, 0.0, -1.0, np.nan, np.inf, -np.inf])


def bad_in(position, n_args, good=1.0):
    """n_args arguments, all scalar ``good`` except the one at ``position`` = BAD."""
    return [BAD if i == position else good for i in range(n_args)]


FLOAT_FUNCTIONS = {
    "oh_o3n2_m13": (physics.oh_o3n2_m13, 4),
    "o3n2_index": (physics.o3n2_index, 4),
    "oh_r_pg16": (physics.oh_r_pg16, 4),
    "balmer_ebv": (lambda ha, hb: physics.balmer_ebv(ha, hb), 2),
    "sfr_halpha_k09": (physics.sfr_halpha_k09, 1),
    "line_luminosity": (lambda f, z: physics.line_luminosity(f, 0.03 * z), 2),
    "sigma_sfr_halpha": (lambda f, z, ba: physics.sigma_sfr_halpha(f, 0.03 * z, 0.8 * ba), 3),
    "spaxel_area_kpc2": (lambda z: physics.spaxel_area_kpc2(0.03 * z), 1),
    "sigma_star_pipe3d": (
        lambda m, d, z, ba: physics.sigma_star_pipe3d(7.0 * m, d, 0.03 * z, 0.8 * ba),
        4,
    ),
    "oh_o3n2_m13_error": (
        lambda *a: physics.oh_o3n2_m13_error(*a[:4], *(0.1 * np.asarray(x) for x in a[4:])),
        8,
    ),
    "oh_r_pg16_error": (
        lambda *a: physics.oh_r_pg16_error(*a[:4], *(0.1 * np.asarray(x) for x in a[4:])),
        8,
    ),
    "oh_o3n2_m13_error_dust": (
        lambda *a: physics.oh_o3n2_m13_error(
            3.0 * np.asarray(a[0]),
            *a[1:4],
            *(0.1 * np.asarray(x) for x in a[4:]),
            dust_correct=True,
        ),
        8,
    ),
    "oh_r_pg16_error_dust": (
        lambda *a: physics.oh_r_pg16_error(
            *a[:4],
            *(0.1 * np.asarray(x) for x in a[4:8]),
            dust_correct=True,
            ha=3.0 * np.asarray(a[8]),
            ha_err=0.1 * np.asarray(a[9]),
        ),
        10,
    ),
}


@pytest.mark.parametrize("name", sorted(FLOAT_FUNCTIONS))
def test_bad_inputs_give_nan_silently(name):
    func, n_args = FLOAT_FUNCTIONS[name]
    for position in range(n_args):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = func(*bad_in(position, n_args))
        assert out.shape == BAD.shape
        assert np.isfinite(out[0]), (name, position)
        # a zero flux error is legitimate, every other bad value gives NaN
        is_error_zero = "error" in name and position in (4, 5, 6, 7, 9)
        bad = out[2:] if is_error_zero else out[1:]
        assert np.isnan(bad).all(), (name, position, out)


@pytest.mark.parametrize(
    "func", [physics.is_star_forming_k03, physics.is_below_kewley01], ids=["k03", "k01"]
)
def test_bpt_bad_inputs_are_false_silently(func):
    for position in range(4):
        args = [0.3, 1.0, 1.0, 1.0]
        args[position] = BAD * args[position]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = func(*args)
        assert out.dtype == bool
        assert out[0] and not out[1:].any(), (position, out)


def test_curves_and_dust_silent_on_bad_values():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(physics.kauffmann03_curve(BAD[3:])).all()
        assert np.isnan(physics.kewley01_curve(BAD[3:])).all()
        assert np.isnan(physics.calzetti_k(BAD * 5000.0)[1:]).all()
        assert np.isnan(physics.deredden(BAD[3:], 5000.0, 0.1)).all()
        assert np.isnan(physics.deredden(1.0, 5000.0, BAD[3:])).all()
        assert np.isnan(physics.av_from_ebv(BAD[3:])).all()
        assert np.isnan(physics.pg16_r_calibration(BAD[3:], 0.0, 0.0)).all()
        assert np.isnan(physics.luminosity_distance_cm(BAD[1:])).all()


def test_scalars_return_numpy_scalars():
    results = [
        physics.calzetti_k(5000.0),
        physics.balmer_ebv(3.0, 1.0),
        physics.deredden(1.0, 5000.0, 0.1),
        physics.av_from_ebv(0.1),
        physics.oh_o3n2_m13(1.0, 1.0, 0.1, 1.0),
        physics.oh_r_pg16(3.0, 3.0, 2.25, 2.25),
        physics.oh_o3n2_m13_error(1.0, 1.0, 0.1, 1.0, 0.1, 0.1, 0.01, 0.1),
        physics.oh_r_pg16_error(3.0, 3.0, 2.25, 2.25, 0.3, 0.3, 0.2, 0.2),
        physics.sigma_sfr_halpha(10.0, 0.03, 0.8),
        physics.sigma_star_pipe3d(7.0, 1.0, 0.03, 0.8),
        physics.spaxel_area_kpc2(0.03),
        physics.oh_o3n2_m13(np.nan, 1.0, 1.0, 1.0),
    ]
    for value in results:
        assert isinstance(value, np.float64), type(value)
    assert isinstance(physics.is_star_forming_k03(0.3, 1.0, 1.0, 1.0), np.bool_)


def test_arrays_keep_their_broadcast_shape():
    rng = np.random.default_rng(3)
    oiii, hb, nii, ha = rng.uniform(0.5, 3.0, (4, 2, 3, 5))
    assert physics.oh_o3n2_m13(oiii, hb, nii, ha).shape == (2, 3, 5)
    assert physics.oh_r_pg16(oiii, hb, nii[0], ha).shape == (2, 3, 5)
    assert physics.balmer_ebv(ha, hb[0, 0]).shape == (2, 3, 5)
    assert physics.calzetti_k(np.full((2, 3), 5000.0)).shape == (2, 3)
    errors = physics.oh_r_pg16_error(oiii, hb, nii, ha, 0.1, 0.1, 0.1, 0.1)
    assert errors.shape == (2, 3, 5)
    assert physics.is_star_forming_k03(nii, ha, oiii, hb).shape == (2, 3, 5)
    assert physics.sigma_sfr_halpha(ha, np.array([0.02, 0.03, 0.04])[:, None], 0.8).shape == (
        2,
        3,
        5,
    )


def test_public_names_are_exported():
    # design.md section 4 signatures, callable as written there
    physics.calzetti_k(5000.0, r_v=3.1)
    physics.balmer_ebv(3.0, 1.0, intrinsic=2.86, r_v=3.1)
    physics.deredden(1.0, 5000.0, 0.1, r_v=3.1)
    physics.oh_o3n2_m13(1.0, 1.0, 0.1, 1.0)
    physics.oh_r_pg16(3.0, 3.0, 2.25, 2.25)
    physics.is_star_forming_k03(0.3, 1.0, 1.0, 1.0)
    for name in metgrad.physics.__all__:
        assert hasattr(metgrad.physics, name), name
    assert len(set(metgrad.physics.__all__)) == len(metgrad.physics.__all__)
