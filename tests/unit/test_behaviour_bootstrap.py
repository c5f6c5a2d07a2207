"""The residual bootstrap of the observed gradients, redone independently in the test.

Boardman et al. (2022, §2.3): the error of a gradient is the ``robust_sigma`` of the slopes
of 100 refits, each of the best line plus its residuals resampled *with replacement*. Here
every step is written again from its definition, sharing no code with
``metgrad.gradients`` or ``metgrad.stats``:

- the draws: the test's own seeded generator, ``n`` indices drawn with replacement per
  refit (``Generator.integers``, the documented convention of the pipeline), and the
  per-galaxy generator of :func:`metgrad.gradients.galaxy_rng` rebuilt from its documented
  definition (seed and CRC-32 of ``"plateifu|stream"``);
- every refit: the exact least-absolute-deviation line as a linear program (HiGHS,
  ``independent_references.highs_lad_line``), its optimality certified by strong duality;
- ``robust_sigma``: the biweight of Freudenreich's IDL ``ROBUST_SIGMA`` (Beers, Flynn &
  Gebhardt 1990, eq. 9), written as a plain loop from its published steps.

The refit slopes and the error must then be equal. Resampling without replacement (a
permutation of the residuals), another draw count or another generator changes the slopes,
so the test fails (tried by hand: see the report of issue #19).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from independent_references import highs_lad_line, idl_robust_sigma
from metgrad import gradients

#: Refits per gradient in these tests (the paper: 100; fewer keeps the LPs cheap).
N_REFITS = 60
#: Every LAD line of the test certified optimal by strong duality to these tolerances.
CERTIFIED = {"certify_rtol": 1e-9, "certify_atol": 1e-12}


def residual_bootstrap_slopes(r, oh, picks) -> tuple[float, np.ndarray]:
    """Best LAD slope and the slopes of the refits of ``line + residuals[picks]``."""
    a, b, _ = highs_lad_line(r, oh, **CERTIFIED)
    model = a + b * r
    residuals = oh - model
    return b, np.array([highs_lad_line(r, model + residuals[row], **CERTIFIED)[1] for row in picks])


def galaxy_profile(seed: int, n: int = 40):
    """Radii (R/R_e) and a metallicity profile with Gaussian scatter and 10 % outliers."""
    rng = np.random.default_rng(seed)
    r = np.sort(rng.uniform(0.5, 2.0, n))
    oh = 8.55 - 0.07 * r + rng.normal(0.0, 0.04, n)
    wild = rng.random(n) < 0.1
    oh[wild] += rng.normal(0.0, 0.2, wild.sum())
    return r, oh


def test_idl_robust_sigma_reference_on_a_hand_worked_case():
    # [1, 2, 3, 4, 100]: median 3, MAD = 1 / 0.6745 = 1.48258; u_i = (y - 3) / 8.8955;
    # 100 is outside the window. Sum over the other four of d^2 (1-u^2)^4 and of
    # (1-u^2)(1-5u^2), worked by hand: 5.151287 and 3.559423; sigma^2 = 5 * 5.151287 /
    # (3.559423 * 2.559423) = 2.827248.
    assert idl_robust_sigma([1.0, 2.0, 3.0, 4.0, 100.0]) == pytest.approx(
        np.sqrt(2.827248), rel=1e-6
    )


def test_bootstrap_refits_are_the_independent_resampling():
    r, oh = galaxy_profile(seed=8)
    seed = 20220525
    picks = np.random.default_rng(seed).integers(0, r.size, size=(N_REFITS, r.size))
    best, slopes = residual_bootstrap_slopes(r, oh, picks)

    fitted = gradients.observed_gradient(
        r, oh, n_bootstrap=N_REFITS, rng=np.random.default_rng(seed)
    )
    _, refits = gradients._bootstrap_refits(r, oh, N_REFITS, np.random.default_rng(seed))

    assert fitted.slope == pytest.approx(best, abs=1e-10)
    np.testing.assert_allclose(refits, slopes, rtol=0, atol=1e-9)
    assert fitted.slope_err == pytest.approx(idl_robust_sigma(slopes), rel=1e-9)
    assert fitted.slope_err > 0.005  # the resamples differ: the test can tell them apart


def test_galaxy_gradients_draw_from_each_galaxys_documented_stream():
    # the pipeline's call site (analysis step 2): several galaxies, one stream each
    seed, stream = 7, "observed-m13"
    names = ["8440-12701", "8441-3703", "8485-1901"]
    profiles = [galaxy_profile(seed=s, n=30 + 5 * i) for i, s in enumerate((3, 4, 5))]
    plateifu = np.concatenate([[p] * r.size for p, (r, _) in zip(names, profiles, strict=True)])
    r_all = np.concatenate([r for r, _ in profiles])
    oh_all = np.concatenate([oh for _, oh in profiles])

    table = gradients.galaxy_gradients(
        plateifu, r_all, oh_all, seed=seed, stream=stream, n_refits=N_REFITS
    )
    for name, (r, oh) in zip(names, profiles, strict=True):
        key = zlib.crc32(f"{name}|{stream}".encode())
        draws = np.random.default_rng([seed, key])
        best, slopes = residual_bootstrap_slopes(
            r, oh, draws.integers(0, r.size, size=(N_REFITS, r.size))
        )
        assert table.loc[name, "slope"] == pytest.approx(best, abs=1e-10)
        assert table.loc[name, "slope_err"] == pytest.approx(idl_robust_sigma(slopes), rel=1e-9)
