"""Behaviour of metgrad.gradients the tests did not pin down, found by ``make mutation``.

Expected values are worked by hand (two points fix a line; zero model errors leave
every noise refit equal to the fit). benchmarks/MUTATION.md lists the mutants killed.
"""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from metgrad.gradients import galaxy_gradients, model_gradient, observed_gradient

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
