"""Gradients and their bootstrap / noise errors against exact and asymptotic references."""

from __future__ import annotations

import numpy as np
import pytest

from metgrad.gradients import galaxy_rng, model_gradient, observed_gradient


def test_noise_free_line_is_exact_with_zero_error():
    r = np.linspace(0.5, 2.0, 60)
    oh = 8.6 - 0.05 * r
    g = observed_gradient(r, oh, rng=galaxy_rng(1, "1-1", "t"))
    assert g.slope == pytest.approx(-0.05, abs=1e-12)
    assert g.intercept == pytest.approx(8.6, abs=1e-12)
    # every resampled residual is 0 (to rounding), so every refit is the same line
    assert g.slope_err < 1e-12
    assert g.n_spaxels == 60


def test_bootstrap_error_matches_the_scatter_of_slopes():
    # LAD slope of n points with Gaussian scatter s has asymptotic standard error
    # sqrt(pi/2) * s / sqrt(Sxx) (efficiency 2/pi of least squares). With n = 300
    # uniform radii in [0.5, 2], Sxx = n * (1.5^2 / 12) = 56.25, s = 0.04:
    # SE = 1.2533 * 0.04 / 7.5 = 0.006684.
    rng = np.random.default_rng(11)
    n, s, trials = 300, 0.04, 150
    slopes, errors = [], []
    for i in range(trials):
        r = rng.uniform(0.5, 2.0, n)
        oh = 8.5 - 0.08 * r + rng.normal(0, s, n)
        g = observed_gradient(r, oh, rng=galaxy_rng(5, f"g{i}", "observed"))
        slopes.append(g.slope)
        errors.append(g.slope_err)
    expected = np.sqrt(np.pi / 2) * s / np.sqrt(n * 1.5**2 / 12)
    assert expected == pytest.approx(0.006684, rel=1e-3)
    assert np.std(slopes) == pytest.approx(expected, rel=0.15)
    assert np.median(errors) == pytest.approx(expected, rel=0.15)
    assert abs(np.mean(slopes) + 0.08) < 3 * expected / np.sqrt(trials)


def test_model_gradient_noise_error():
    # Model values exactly on a line with per-spaxel errors e = 0.03: refits of
    # line + N(0, e) have LAD slope scatter sqrt(pi/2) e / sqrt(Sxx).
    r = np.linspace(0.5, 2.0, 200)
    sxx = np.sum((r - r.mean()) ** 2)
    g = model_gradient(
        r, 8.4 - 0.1 * r, np.full(r.size, 0.03), n_noise=400, rng=galaxy_rng(2, "x", "m")
    )
    assert g.slope == pytest.approx(-0.1, abs=1e-12)
    assert g.slope_err == pytest.approx(np.sqrt(np.pi / 2) * 0.03 / np.sqrt(sxx), rel=0.12)


def test_reproducible_streams():
    r = np.linspace(0.5, 2, 50)
    oh = 8.5 + np.sin(7 * r) * 0.03
    a = observed_gradient(r, oh, rng=galaxy_rng(3, "1-2", "observed-m13"))
    b = observed_gradient(r, oh, rng=galaxy_rng(3, "1-2", "observed-m13"))
    c = observed_gradient(r, oh, rng=galaxy_rng(3, "1-2", "observed-pg16"))
    assert a == b
    assert a.slope == c.slope and a.slope_err != c.slope_err


def test_input_checks():
    with pytest.raises(ValueError, match="finite"):
        observed_gradient([0.5, 1.0, np.nan], [8.5, 8.4, 8.3])
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        observed_gradient([0.5, 1.0], [8.5, 8.4, 8.3])
    with pytest.raises(ValueError, match="non-negative"):
        model_gradient([0.5, 1.0, 1.5], [8.5, 8.4, 8.3], [0.1, -0.1, 0.1])


def test_galaxy_gradients_match_single_galaxy_fits_whatever_the_threads():
    # the batched, threaded path must give exactly the single-galaxy results: same random
    # streams (seed, plate-ifu, stream), same exact LAD lines, same ROBUST_SIGMA per row
    import pandas as pd

    from metgrad.gradients import galaxy_gradients, galaxy_rng, model_gradient, observed_gradient

    rng = np.random.default_rng(31)
    names = [f"8000-{i}" for i in range(7)]
    sizes = [30, 45, 25, 60, 3, 40, 50]
    pif = np.repeat(names, sizes)
    r = rng.uniform(0.5, 2.0, pif.size)
    r[pif == "8000-4"] = 1.0  # one radius only: no line, left out
    oh = 8.5 - 0.05 * r + rng.normal(0.0, 0.04, pif.size)
    err = rng.uniform(0.01, 0.05, pif.size)
    for errors in (None, err):
        frames = [
            galaxy_gradients(pif, r, oh, errors, seed=5, stream="s", n_refits=20, workers=w)
            for w in (1, 3)
        ]
        pd.testing.assert_frame_equal(frames[0], frames[1])
        assert list(frames[0].index) == [n for n in names if n != "8000-4"]
        for name in frames[0].index:
            sel = pif == name
            g = (
                observed_gradient(r[sel], oh[sel], n_bootstrap=20, rng=galaxy_rng(5, name, "s"))
                if errors is None
                else model_gradient(
                    r[sel], oh[sel], err[sel], n_noise=20, rng=galaxy_rng(5, name, "s")
                )
            )
            row = frames[0].loc[name]
            assert (row["slope"], row["slope_err"], row["intercept"]) == (
                g.slope,
                g.slope_err,
                g.intercept,
            )
            assert row["n_spaxels"] == sel.sum()


def test_galaxy_gradients_refuses_interleaved_galaxies():
    from metgrad.gradients import galaxy_gradients

    pif = np.array(["a", "b", "a", "b"])
    r = np.array([0.5, 0.6, 1.5, 1.6])
    with pytest.raises(ValueError, match="spaxels must be contiguous"):
        galaxy_gradients(pif, r, 8.5 - 0.1 * r, seed=1, stream="s", n_refits=10)
