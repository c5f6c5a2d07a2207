"""Per-spaxel truth: the stellar profile and the injected metallicity terms."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import quad

from metgrad.mock.config import MockConfig
from metgrad.mock.maps import (
    base_metallicity,
    metallicity_terms,
    smooth_field,
    stellar_surface_density,
    tlw_weight,
)

CONFIG = MockConfig()


@pytest.mark.parametrize("bulge_fraction", [0.0, 0.3])
def test_stellar_profile_integrates_to_the_total_mass(bulge_fraction):
    def ring(r):
        return 2.0 * np.pi * r * stellar_surface_density(r, 10.5, 4.0, bulge_fraction, CONFIG)

    total = quad(ring, 0.0, 1.0, limit=200)[0] + quad(ring, 1.0, 400.0, limit=200)[0]
    assert total == pytest.approx(10**10.5, rel=1e-4)


def test_pure_disc_half_mass_radius_is_re():
    # exponential disc: half the mass inside 1.678 h = R_e
    def ring(r):
        return 2.0 * np.pi * r * stellar_surface_density(r, 10.0, 3.0, 0.0, CONFIG)

    assert quad(ring, 0.0, 3.0)[0] == pytest.approx(0.5e10, rel=1e-3)


def test_base_metallicity_by_hand():
    # log M* = 10, log Sigma_* = 8.5: u = 0 -> centre 8.65
    assert base_metallicity(10.0, np.array(8.5), CONFIG) == pytest.approx(8.65)
    # log M* = 11, log Sigma = 9.5: u = 0.5 + 0.4 = 0.9; 8.65 + 0.165 tanh(1.5) = 8.65 + 0.165 *
    # 0.905148 = 8.799349
    assert base_metallicity(11.0, np.array(9.5), CONFIG) == pytest.approx(8.799349, abs=1e-6)


def test_metallicity_terms_sum_and_definitions():
    r_re = np.array([0.5, 1.25, 2.0])
    d4000 = np.array([1.2, 1.4, 1.6])
    log_tlw = np.array([9.0, 9.0, 9.0])
    noise = np.array([0.01, -0.02, 0.0])
    t = metallicity_terms(10.0, np.array([8.5, 8.0, 7.5]), d4000, log_tlw, r_re, 0.2, noise,
                          CONFIG)  # fmt: skip
    total = t["oh_base"] + t["oh_d4000"] + t["oh_tlw"] + t["oh_size"] + t["oh_scatter"]
    assert_allclose(t["oh_te"], total)
    # D4000 term: 0.25 (D4000 - 1.3)
    assert_allclose(t["oh_d4000"], [-0.025, 0.025, 0.075])
    # t_LW term at D4000 = 1.2: expected log t = 8.1 + 1.9 * 0.2 = 8.48, excess 0.52,
    # weight 1 -> -0.15 * 0.52 = -0.078; at 1.4: weight 0.5, expected 8.86, excess 0.14
    # -> -0.0105; at 1.6: weight 0
    assert_allclose(t["oh_tlw"], [-0.078, -0.0105, 0.0], atol=1e-12)
    # size term: -0.3 * 0.2 * (R/Re - 1.25): steeper gradient, zero at the pivot
    assert_allclose(t["oh_size"], [0.045, 0.0, -0.045], atol=1e-12)
    compact = metallicity_terms(10.0, np.array([8.0]), np.array([1.3]), np.array([9.0]),
                                np.array([2.0]), -0.3, np.zeros(1), CONFIG)  # fmt: skip
    assert compact["oh_size"][0] == 0.0


def test_tlw_weight_ramp():
    assert_allclose(tlw_weight(np.array([1.0, 1.3, 1.4, 1.5, 2.0]), CONFIG), [1, 1, 0.5, 0, 0])


def test_smooth_field_has_unit_variance():
    field = smooth_field(np.random.default_rng(3), (400, 400), 3.0)
    assert field.std() == pytest.approx(1.0, rel=0.1)
