"""Galaxy-level draws: determinism, the mass-size relation and the selection fractions."""

import numpy as np
import pytest

from metgrad.mock.config import MockConfig
from metgrad.mock.population import (
    draw_galaxy,
    draw_observation,
    mass_size_median,
    n_observations,
    repeat_plan,
)

N = 3000
CONFIG = MockConfig(n_galaxies=N, seed=7)


@pytest.fixture(scope="module")
def galaxies():
    return [draw_galaxy(CONFIG, i) for i in range(N)]


def binomial_ok(count, n, p, sigmas=4.0):
    return abs(count - n * p) <= sigmas * np.sqrt(n * p * (1 - p))


def test_galaxy_is_a_function_of_seed_and_index_only():
    small = MockConfig(n_galaxies=20, seed=7)
    for i in (0, 5, 19):
        assert draw_galaxy(small, i) == draw_galaxy(CONFIG, i)
    assert draw_galaxy(MockConfig(n_galaxies=20, seed=8), 5) != draw_galaxy(small, 5)
    with pytest.raises(ValueError, match="index"):
        draw_galaxy(small, 20)


def test_plate_ifus_are_unique_and_manga_like(galaxies):
    names = [g.plateifu for g in galaxies]
    assert len(set(names)) == N
    assert all(g.ifudsgn // 100 == g.fibres for g in galaxies)
    assert len({g.mangaid for g in galaxies}) == N


def test_flat_mass_distribution(galaxies):
    logm = np.array([g.logm_kroupa for g in galaxies])
    assert logm.min() >= 8.7 and logm.max() <= 11.6
    counts, _ = np.histogram(logm, bins=10, range=(8.7, 11.6))
    assert all(binomial_ok(c, N, 0.1) for c in counts)


def test_mass_size_relation_as_configured(galaxies):
    logm = np.array([g.logm_kroupa for g in galaxies])
    log_re = np.log10([g.re_kpc for g in galaxies])
    slope, intercept = np.polyfit(logm - 10.0, log_re, 1)
    resid = log_re - (intercept + slope * (logm - 10.0))
    # standard errors: 0.18 / sqrt(N) / std(logm) ~ 0.004 (slope), 0.0033 (intercept)
    assert slope == pytest.approx(CONFIG.size_slope, abs=0.02)
    assert intercept == pytest.approx(CONFIG.size_intercept, abs=0.015)
    assert resid.std() == pytest.approx(CONFIG.size_scatter, rel=0.05)
    residual = np.array([g.size_residual_dex for g in galaxies])
    np.testing.assert_allclose(residual, log_re - mass_size_median(logm, CONFIG), atol=1e-12)


def test_selection_fractions(galaxies):
    def count(flag):
        return sum(bool(flag(g)) for g in galaxies)

    # below 10^8.9 (removed by the paper's mass cut): 0.2 / 2.9 of a flat distribution
    assert binomial_ok(count(lambda g: g.logm_kroupa < 8.9), N, 0.2 / 2.9)
    # b/a < 0.6 (removed by the axis-ratio cut): 0.4 / 0.8 of U(0.2, 1)
    assert binomial_ok(count(lambda g: g.ba < 0.6), N, 0.5)
    assert binomial_ok(count(lambda g: g.primary), N, 2.0 / 3.0)
    assert binomial_ok(count(lambda g: not g.in_gswlc), N, CONFIG.gswlc_missing_fraction)
    assert binomial_ok(count(lambda g: g.rejuvenated), N, CONFIG.rejuvenated_fraction)
    # quenched centres only in massive galaxies
    assert all(g.logm_kroupa > CONFIG.quench_centre_logm for g in galaxies if g.quenched_centre)
    assert count(lambda g: g.quenched_centre) > 0.1 * N


def test_ifu_coverage_and_redshifts(galaxies):
    z = np.array([g.z for g in galaxies])
    assert z.min() >= 0.01 and z.max() <= 0.15
    unclipped = [g for g in galaxies if 0.0101 < g.z < 0.1499]
    assert len(unclipped) > 0.8 * N
    for g in unclipped:
        assert g.coverage_re == pytest.approx(g.coverage_target_re, rel=1e-3)


def test_repeat_observations_are_the_same_galaxy_on_another_plate():
    config = MockConfig(n_galaxies=400, seed=3)
    plan = repeat_plan(config)
    assert len(plan) == 8 and list(plan) == sorted(set(plan))  # round(0.02 x 400)
    assert n_observations(config) == 408
    assert repeat_plan(config.replace(repeat_fraction=0.0)) == ()
    names = [draw_observation(config, i).plateifu for i in range(408)]
    assert len(set(names)) == 408
    for r, original in enumerate(plan):
        first, again = draw_galaxy(config, original), draw_observation(config, 400 + r)
        assert again.repeat_of == first.plateifu and first.repeat_of == ""
        assert again.galaxy_index == first.galaxy_index == original and again.index == 400 + r
        assert again.mangaid == first.mangaid and (again.ra, again.dec) == (first.ra, first.dec)
        assert again.fibres == first.fibres and again.plate > max(g.plate for g in [first])
        assert again.plate >= config.first_plate + 24  # after the 24 plates of first visits
        assert again.depth != first.depth
        same = {
            k: v
            for k, v in again.row().items()
            if k not in ("index", "plate", "ifudsgn", "plateifu", "depth", "repeat_of")
        }
        assert same == {k: first.row()[k] for k in same}  # fmt: skip
    with pytest.raises(ValueError, match="observation index"):
        draw_observation(config, 408)
