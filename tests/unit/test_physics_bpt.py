"""BPT [NII] classification against hand-evaluated Kauffmann (2003) / Kewley (2001) lines.

K03: log([OIII]/Hb) = 0.61 / (log([NII]/Ha) - 0.05) + 1.3, star-forming strictly below
and left of the asymptote log([NII]/Ha) = 0.05. K01: 0.61 / (x - 0.47) + 1.19.
"""

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from metgrad import physics


def fluxes_at(log_nii_ha, log_oiii_hb):
    """(nii, ha, oiii, hb) with the requested log ratios (Halpha = 3, Hbeta = 1)."""
    ha, hb = 3.0, 1.0
    return ha * 10.0**log_nii_ha, ha, hb * 10.0**log_oiii_hb, hb


class TestCurves:
    def test_kauffmann_by_hand(self):
        # x = -0.5: 0.61 / -0.55 = -1.1090909 -> 0.1909091
        # x = -1.0: 0.61 / -1.05 = -0.5809524 -> 0.7190476
        # x =  0.0: 0.61 / -0.05 = -12.2      -> -10.9
        assert_allclose(
            physics.kauffmann03_curve([-0.5, -1.0, 0.0]), [0.1909091, 0.7190476, -10.9], atol=1e-7
        )

    def test_kewley_by_hand(self):
        # x = -0.5: 0.61 / -0.97 = -0.6288660 -> 0.5611340
        # x =  0.0: 0.61 / -0.47 = -1.2978723 -> -0.1078723
        assert_allclose(physics.kewley01_curve([-0.5, 0.0]), [0.5611340, -0.1078723], atol=1e-7)

    def test_nan_at_and_right_of_asymptote(self):
        assert np.isnan(physics.kauffmann03_curve([0.05, 0.3])).all()
        assert np.isnan(physics.kewley01_curve([0.47, 1.0])).all()


class TestKauffmann03:
    def test_just_below_and_above_the_curve(self):
        # at x = -0.5 the curve is at y = 0.1909091
        below = fluxes_at(-0.5, 0.1909091 - 1e-4)
        above = fluxes_at(-0.5, 0.1909091 + 1e-4)
        assert physics.is_star_forming_k03(*below)
        assert not physics.is_star_forming_k03(*above)

    def test_guard_at_and_right_of_asymptote(self):
        # x = 0.05: the curve diverges; x = 0.06 gives 0.61/0.01 + 1.3 = 62.3, so a point
        # with y = -3 is "below" that branch of the hyperbola but must not count.
        assert not physics.is_star_forming_k03(*fluxes_at(0.05, -3.0))
        assert not physics.is_star_forming_k03(*fluxes_at(0.06, -3.0))
        # x = 0.04: the curve is at 0.61/-0.01 + 1.3 = -59.7; y = -3 is above it
        assert not physics.is_star_forming_k03(*fluxes_at(0.04, -3.0))

    def test_typical_hii_region_and_agn(self):
        # HII region: x = -0.8 (curve 0.61/-0.85 + 1.3 = 0.5823529), y = 0.0
        # Seyfert: x = 0.2 (right of the asymptote), y = 1.0
        assert physics.is_star_forming_k03(*fluxes_at(-0.8, 0.0))
        assert not physics.is_star_forming_k03(*fluxes_at(0.2, 1.0))

    def test_vectorised_and_boolean(self):
        nii, ha, oiii, hb = fluxes_at(np.array([-0.8, -0.5, 0.2]), np.array([0.0, 0.5, 1.0]))
        result = physics.is_star_forming_k03(nii, ha, oiii, hb)
        assert result.dtype == bool
        assert_array_equal(result, [True, False, False])


class TestKewley01:
    def test_composite_region(self):
        # x = -0.5, y = 0.3: above K03 (0.1909) but below K01 (0.5611) -> composite
        point = fluxes_at(-0.5, 0.3)
        assert not physics.is_star_forming_k03(*point)
        assert physics.is_below_kewley01(*point)

    def test_guard(self):
        # x = 0.5 > 0.47: right of the asymptote, never below
        assert not physics.is_below_kewley01(*fluxes_at(0.5, -3.0))
