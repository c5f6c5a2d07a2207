"""The mock's truth on every calibrator's scale (issue #15): its own formulas against the pipeline's.

:mod:`metgrad.mock.scales` writes every calibrator again for the truth tables
(closed forms in Horner form, C20 and KK04 solved by grid bracketing and bisection);
the pipeline's registry (:mod:`metgrad.physics.calibrators`: Newton inversion,
fixed-point iteration) is independent code. On the same noise-free lines the two
must agree wherever the pipeline's validity range lets it return a value, on both
branches of the double-valued calibrations. A few values are worked by hand.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from metgrad.mock.config import MockConfig
from metgrad.mock.scales import SCALES, hii_fluxes, oh_on_scale, oh_on_scales, truth_column
from metgrad.mock.scales_inverted import C20_PIECES, kk04_solve
from metgrad.physics import calibrators

CONFIG = MockConfig()
# true O/H from below the C20 range to above it, ionisation offsets of +-4 sigma
OH, LOG_U = (a.ravel() for a in np.meshgrid(np.linspace(7.4, 9.0, 81), np.linspace(-0.4, 0.4, 9)))


@pytest.fixture(scope="module")
def truth():
    return oh_on_scales(OH, LOG_U, CONFIG)


@pytest.fixture(scope="module")
def fluxes():
    return hii_fluxes(OH, LOG_U, CONFIG)


def test_every_registered_calibrator_has_a_truth_column(truth):
    names = [name for name, _ in SCALES.values()]
    assert names == list(calibrators.available())
    assert truth_column("M13_O3N2") == "oh_m13" and truth_column("PG16_R") == "oh_pg16"
    assert truth_column("C20_R23") == truth_column("c20_r23") == "oh_c20_r23"
    assert set(truth) == {truth_column(k) for k in SCALES}


@pytest.mark.parametrize("key", list(SCALES))
def test_mock_truth_equals_the_pipeline_formula_on_noise_free_lines(key, truth, fluxes):
    name = SCALES[key][0]
    cal = calibrators.get(name)
    pipeline = cal.oh(fluxes)
    mock = truth[truth_column(key)]
    assert_allclose(mock, oh_on_scale(key, OH, LOG_U, CONFIG))
    agree = np.isfinite(pipeline)
    assert agree.sum() > 200, f"{name}: only {agree.sum()} values in range"
    # KK04: the pipeline stops its iteration at 1e-8 dex
    assert_allclose(
        mock[agree], pipeline[agree], rtol=0, atol=1e-7 if key == "kk04_r23" else 1e-10
    )
    if name.startswith("C20_"):  # NaN exactly where no root lies on the spaxel's piece
        np.testing.assert_array_equal(np.isfinite(mock), agree)
    if cal.branched:  # both branches are exercised
        branch = cal.branch(fluxes)[agree]
        assert (branch == 1).any() and (branch == -1).any(), name


def test_values_worked_by_hand():
    # O3N2 = 0, N2 = -1 at [OIII]/Hb = 0.1, [NII]/Ha = 0.1
    f = {"OIII-5008": 0.1, "Hb-4862": 1.0, "NII-6585": 0.1, "Ha-6564": 1.0}
    f = {k: np.array([v]) for k, v in f.items()}
    for key, expected in (("m13", 8.533), ("m13_n2", 8.743 - 0.462),
                          ("pp04_n2", 8.90 - 0.57), ("pp04_n2_cubic", 9.37 - 2.03 + 1.26 - 0.32),
                          ("pp04_o3n2", 8.73)):  # fmt: skip
        assert_allclose(SCALES[key][1](f), expected, atol=1e-12)
    # C20 N2 at x = -0.2 (12+log(O/H) = 8.49): log N2 = -0.8560032 (Table 2 by hand)
    f = {"NII-6585": np.array([10**-0.8560032]), "Ha-6564": np.array([1.0])}
    assert_allclose(SCALES["c20_n2"][1](f), 8.49, atol=1e-9)
    # the turnovers the pieces are split at (calibrators.md: R3 near 8.0, N2 at 8.87)
    assert_allclose(C20_PIECES["R3"][0][1] + 8.69, 8.00, atol=0.01)
    assert_allclose(C20_PIECES["N2"][0][1] + 8.69, 8.87, atol=0.01)
    assert C20_PIECES["O3O2"][1] is None and C20_PIECES["R23"][1] is not None


def test_kk04_solution_satisfies_its_equations():
    # x = log R23 = 0.9, y = log O32 = 0 on the upper branch: Z = Z_up(x, log q(Z, y))
    z = kk04_solve(np.array([0.9]), np.array([0.0]), np.array([True]))[0]
    log_q = (32.81 - 3.396 * z) / (4.603 - 0.48 * z)
    x = 0.9
    z_up = (9.72 - 0.777 * x - 0.951 * x**2 - 0.072 * x**3 - 0.811 * x**4
            - log_q * (0.0737 - 0.0713 * x - 0.141 * x**2 + 0.0373 * x**3 - 0.058 * x**4))  # fmt: skip
    assert_allclose(z, z_up, atol=1e-12)
    assert 8.4 < z < 9.0


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="unknown scale"):
        oh_on_scale("kk04", OH, 0.0, CONFIG)
