"""The mock's own Calzetti law and distances against published numbers and astropy."""

import numpy as np
import pytest
from astropy.cosmology import FlatLambdaCDM
from numpy.testing import assert_allclose

from metgrad.mock.cosmology import comoving_distance_mpc, distance_tables
from metgrad.mock.dust import attenuation_k


def test_calzetti_by_hand_from_the_paper():
    # Calzetti et al. (2000) eq. 4 evaluated by hand with R_V = 4.05 (their value):
    # 0.5 um (x = 2): 2.659 (-2.156 + 3.018 - 0.792 + 0.088) + 4.05 = 2.659 x 0.158 + 4.05
    #               = 4.470122
    # 1.0 um (x = 1): 2.659 (-1.857 + 1.040) + 4.05 = 4.05 - 2.172403 = 1.877597
    assert_allclose(attenuation_k([5000.0, 10000.0], 4.05), [4.470122, 1.877597], atol=2e-6)
    # reference-notes §2.4 (R_V = 3.1, air wavelengths): k(Hb) = 3.648, k(Ha) = 2.376
    assert_allclose(attenuation_k(np.array([4861.0, 6563.0])), [3.648, 2.376], atol=2e-3)


def test_calzetti_pieces_meet_and_range_is_enforced():
    # as published, the blue piece ends at 2.5266 and the red one starts at 2.5517 (R_V 3.1):
    # 2.659 (-2.156 + 1.509/0.63 - 0.198/0.63^2 + 0.011/0.63^3) + 3.1 = 2.526623,
    # 2.659 (-1.857 + 1.040/0.63) + 3.1 = 2.551697
    blue, red = attenuation_k([6299.999, 6300.0])
    assert_allclose([blue, red], [2.526623, 2.551697], atol=2e-6)
    with pytest.raises(ValueError, match="1200-22000"):
        attenuation_k([1000.0])


def test_calzetti_agrees_with_the_pipeline_implementation():
    # two independent writings of the same published law (the pipeline's is not used by
    # the mock): any typo in either shows here
    from metgrad import physics

    waves = np.array([3727.092, 4862.683, 5008.24, 6564.608, 6585.27, 6732.674, 9000.0])
    assert_allclose(attenuation_k(waves), physics.calzetti_k(waves), rtol=0, atol=2e-6)


@pytest.mark.parametrize(("h0", "om0"), [(71.0, 0.27), (100.0, 0.27), (70.0, 0.3)])
def test_distances_match_astropy(h0, om0):
    z = np.linspace(0.002, 0.4, 200)
    cosmo = FlatLambdaCDM(H0=h0, Om0=om0)
    tables = distance_tables(z, h0, om0)
    arcsec = np.pi / 180 / 3600
    assert_allclose(
        tables["kpc_per_arcsec"],
        cosmo.angular_diameter_distance(z).to_value("kpc") * arcsec,
        rtol=1e-9,
    )
    assert_allclose(tables["dl_cm"], cosmo.luminosity_distance(z).to_value("cm"), rtol=1e-9)


def test_comoving_distance_limits():
    # Einstein-de Sitter (Om = 1): D_C = 2 c/H0 (1 - 1/sqrt(1+z)), exact
    z = np.array([0.0, 0.1, 1.0, 3.0])
    assert_allclose(
        comoving_distance_mpc(z, 70.0, 1.0),
        2 * 299792.458 / 70.0 * (1 - 1 / np.sqrt(1 + z)),
        rtol=1e-10,
    )
    with pytest.raises(ValueError, match="increasing"):
        comoving_distance_mpc(np.array([0.2, 0.1]), 70.0, 0.3)
