"""Behaviour of metgrad.gradients the tests did not pin down, found by ``make mutation``.

Expected values are worked by hand (two points fix a line; zero model errors leave
every noise refit equal to the fit). benchmarks/MUTATION.md lists the mutants killed.
"""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

import metgrad.gradients
from independent_references import highs_lad_line, idl_robust_sigma
from metgrad.gradients import Gradient, galaxy_gradients, model_gradient, observed_gradient

R = np.linspace(0.5, 2.0, 12)
OH = 8.6 - 0.1 * R + 0.01 * np.sin(7 * R)


def _ten_galaxies():
    """Galaxy g0 has one spaxel (no line); g1..g9 have two spaxels each."""
    plateifu = ["g0"] + [f"g{i}" for i in range(1, 10) for _ in range(2)]
    r = [1.0] + [x for i in range(1, 10) for x in (0.5, 1.5)]
    oh = [8.5] + [y for i in range(1, 10) for y in (8.6, 8.6 - 0.01 * i)]
    return np.array(plateifu), np.array(r), np.array(oh)


def test_two_spaxel_galaxies_get_the_line_through_both_points():
    # With 10 galaxies and one thread the galaxies go in 8 chunks, g0 and g1 together:
    # g0 (one spaxel) is left out and g1..g9 still fitted, each exactly through its
    # two points: slope = -0.01 i / (1.5 - 0.5), intercept = 8.6 + 0.5 * 0.01 i.
    plateifu, r, oh = _ten_galaxies()
    frame = galaxy_gradients(plateifu, r, oh, seed=1, stream="t", n_refits=2)
    assert list(frame.index) == [f"g{i}" for i in range(1, 10)]
    i = np.arange(1, 10)
    assert_allclose(frame["slope"], -0.01 * i, atol=1e-12)
    assert_allclose(frame["intercept"], 8.6 + 0.005 * i, atol=1e-12)
    assert (frame["n_spaxels"] == 2).all()


def test_zero_model_errors_give_zero_slope_error():
    # Noise refits with zero errors are the fit itself: their robust sigma is 0.
    fit = model_gradient(R, OH, np.zeros_like(R), n_noise=2, rng=np.random.default_rng(3))
    assert fit.slope_err == 0.0
    assert fit.n_spaxels == R.size
    plateifu = np.array(["a"] * R.size)
    frame = galaxy_gradients(
        plateifu, R, OH, np.zeros_like(R), seed=1, stream="t", n_refits=2
    )
    assert frame.loc["a", "slope_err"] == 0.0


def test_two_refits_are_allowed():
    # n_bootstrap = 2 is the documented minimum (the slope is the fit to all spaxels)
    fit = observed_gradient(R, OH, n_bootstrap=2, rng=np.random.default_rng(3))
    assert np.isfinite(fit.slope) and fit.n_spaxels == R.size


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: observed_gradient(R, np.r_[OH[:-1], np.nan]), "R/Re and 12+log(O/H) must be finite"),
        (lambda: observed_gradient(R, OH, n_bootstrap=1), "n_bootstrap must be at least 2, got 1"),
        (lambda: model_gradient(R, np.r_[OH[:-1], np.nan], 0 * R), "R/Re and model 12+log(O/H) must be finite"),
        (lambda: model_gradient(R, OH, np.r_[R[:-1], np.nan]), "R/Re and model errors must be finite"),
        (lambda: model_gradient(R, OH, -R), "model errors must be non-negative"),
        (lambda: model_gradient(R, OH, 0 * R, n_noise=1), "n_noise must be at least 2, got 1"),
        (lambda: galaxy_gradients(np.array(["a"] * 12), R, OH, seed=1, stream="t", workers=0), "workers must be at least 1, got 0"),
        (lambda: galaxy_gradients(np.array(["a"] * 12), R, np.r_[OH[:-1], np.nan], seed=1, stream="t"), "R/Re and 12+log(O/H) must be finite"),
        (lambda: galaxy_gradients(np.array(["a"] * 12), R, OH, np.r_[R[:-1], np.nan], seed=1, stream="t"), "R/Re and model errors must be finite"),
        (lambda: galaxy_gradients(np.array(["a"] * 12), R, OH, -R, seed=1, stream="t"), "model errors must be non-negative"),
        (lambda: galaxy_gradients(np.array(["a"] * 12), R, OH, seed=1, stream="t", n_refits=1), "n_refits must be at least 2, got 1"),
        (lambda: galaxy_gradients(np.array(["a", "b"] * 6), R, OH, seed=1, stream="t"), "galaxy_gradients: each galaxy's spaxels must be contiguous"),
    ],
)
def test_messages_name_the_input_and_the_problem(call, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        call()


# ------------------------------------------------ refits against an independent LAD solver


class _ChosenDraws:
    """Stands in for a numpy Generator and returns draws chosen by the test.

    ``integers`` and ``standard_normal`` keep numpy's signatures (``integers(n)`` means
    0..n-1, as ``integers(0, n)``); the shapes asked for are recorded.
    """

    def __init__(self, *, picks=None, normal=None):
        self.picks, self.normal, self.asked = picks, normal, []

    def integers(self, low, high=None, size=None):
        low, high = (0, low) if high is None else (low, high)
        self.asked.append(("integers", low, high, size))
        return np.broadcast_to(self.picks, size).copy()

    def standard_normal(self, size):
        self.asked.append(("standard_normal", size))
        return np.broadcast_to(self.normal, size).copy()


def test_noise_refits_add_the_noise_to_the_model_values():
    # Injected noise z (5 refits x 7 spaxels): refit k is the LAD slope of oh + err z_k.
    r = np.array([0.5, 0.7, 0.9, 1.2, 1.4, 1.7, 2.0])
    oh = np.array([8.60, 8.52, 8.57, 8.41, 8.47, 8.30, 8.36])  # not on a line
    err = np.array([0.02, 0.05, 0.03, 0.04, 0.02, 0.06, 0.03])
    z = np.random.default_rng(11).standard_normal((5, r.size))
    draws = _ChosenDraws(normal=z)
    fit = model_gradient(r, oh, err, n_noise=5, rng=draws)
    slopes = [highs_lad_line(r, oh + err * row)[1] for row in z]
    assert fit.slope == pytest.approx(highs_lad_line(r, oh)[1], abs=1e-9)
    assert fit.slope_err == pytest.approx(idl_robust_sigma(slopes), rel=1e-6)
    assert draws.asked == [("standard_normal", (5, 7))]


def test_every_refit_starts_from_the_full_fits_slope(monkeypatch):
    # the documented warm start: the refits are handed the slope of the fit to all
    # spaxels (HiGHS's line of the data), and their slopes are used as returned
    real = metgrad.gradients.lad_slopes_trusted
    calls = []

    def recording(x, y, *, start=None):
        calls.append((start, real(x, y, start=start)))
        return calls[-1][1]

    monkeypatch.setattr(metgrad.gradients, "lad_slopes_trusted", recording)
    r = np.array([0.5, 0.7, 0.9, 1.2, 1.4, 1.7, 2.0])
    oh = np.array([8.60, 8.52, 8.57, 8.41, 8.47, 8.30, 8.36])  # not on a line
    fits = [
        observed_gradient(r, oh, n_bootstrap=6, rng=np.random.default_rng(2)),
        model_gradient(r, oh, np.full(7, 0.03), n_noise=6, rng=np.random.default_rng(2)),
    ]
    assert len(calls) == 2
    for fit, (start, slopes) in zip(fits, calls, strict=True):
        assert start == fit.slope
        assert start == pytest.approx(highs_lad_line(r, oh)[1], abs=1e-9)
        assert fit.slope_err == pytest.approx(idl_robust_sigma(slopes), rel=1e-12)


def test_the_paper_makes_100_refits_by_default():
    r = np.linspace(0.5, 2.0, 6)
    oh = 8.6 - 0.1 * r
    draws = _ChosenDraws(picks=np.arange(6))
    observed_gradient(r, oh, rng=draws)
    assert draws.asked == [("integers", 0, 6, (100, 6))]
    draws = _ChosenDraws(normal=np.zeros(6))
    model_gradient(r, oh, 0 * r, rng=draws)
    assert draws.asked == [("standard_normal", (100, 6))]
    plateifu = np.array(["a"] * R.size)
    default = galaxy_gradients(plateifu, R, OH, seed=4, stream="t")
    assert default.equals(galaxy_gradients(plateifu, R, OH, seed=4, stream="t", n_refits=100))
    assert not default.equals(galaxy_gradients(plateifu, R, OH, seed=4, stream="t", n_refits=101))


def test_without_a_generator_a_fresh_one_is_used():
    # two points fix the line; every resample of exact residuals is the line itself
    r, oh = np.array([1.0, 3.0]), np.array([9.0, 8.0])
    for fit in (observed_gradient(r, oh), model_gradient(r, oh, np.zeros(2))):
        assert (fit.slope, fit.intercept, fit.slope_err, fit.n_spaxels) == (-0.5, 9.5, 0.0, 2)


def test_object_arrays_are_fitted_as_float():
    # e.g. the values of a pandas column of dtype object: numbers, fitted as float64
    r, oh = np.array([1.0, 3.0], dtype=object), np.array([9.0, 8.0], dtype=object)
    fit = observed_gradient(r, oh, rng=np.random.default_rng(1))
    assert (fit.slope, fit.intercept, fit.slope_err) == (-0.5, 9.5, 0.0)
    fit = model_gradient(r, oh, np.array([0.0, 0.0], dtype=object), rng=np.random.default_rng(1))
    assert (fit.slope, fit.intercept, fit.slope_err) == (-0.5, 9.5, 0.0)


def test_integer_input_is_fitted_as_float():
    r, oh = np.array([1, 3]), np.array([9, 8])  # int64 arrays
    fit = observed_gradient(r, oh, rng=np.random.default_rng(1))
    assert (fit.slope, fit.intercept, fit.slope_err) == (-0.5, 9.5, 0.0)
    fit = model_gradient(r, oh, np.array([0, 0]), rng=np.random.default_rng(1))
    assert (fit.slope, fit.intercept, fit.slope_err) == (-0.5, 9.5, 0.0)
    frame = galaxy_gradients(np.array(["a", "a"]), r, oh, np.array([0, 0]), seed=1, stream="t")
    assert frame.loc["a", "slope"] == -0.5 and frame.loc["a", "slope_err"] == 0.0


def test_a_pool_without_a_size_attribute_is_used_as_given():
    # any executor with map() will do (the docstring); the result does not depend on it
    from concurrent.futures import ThreadPoolExecutor

    plateifu, r, oh = _ten_galaxies()
    alone = galaxy_gradients(plateifu, r, oh, seed=1, stream="t", n_refits=2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        pooled = galaxy_gradients(plateifu, r, oh, seed=1, stream="t", n_refits=2, pool=pool)
    assert pooled.equals(alone)


def test_gradient_as_a_plain_dictionary():
    record = Gradient(slope=-0.1, intercept=8.6, slope_err=0.02, n_spaxels=40).to_dict()
    assert record == {"slope": -0.1, "intercept": 8.6, "slope_err": 0.02, "n_spaxels": 40}
