"""The recovery checks' exact LAD slope (dual linear program) against hand values and the primal."""

from __future__ import annotations

import numpy as np
import pytest

from independent_references import highs_lad_line
from metgrad.recovery import lad_slope, robust_width


def test_five_points_on_a_line_and_one_outlier():
    # y = 1 + 2x through five points; a sixth far off does not move the LAD line
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 2.5])
    y = np.array([1.0, 3.0, 5.0, 7.0, 9.0, 40.0])
    assert lad_slope(x, y) == pytest.approx(2.0, abs=1e-12)
    assert lad_slope(x, -y) == pytest.approx(-2.0, abs=1e-12)  # either sign of multiplier


@pytest.mark.parametrize("n", [10, 300, 1500])
def test_dual_and_primal_give_the_same_slope(n):
    rng = np.random.default_rng(n)
    x = rng.uniform(0.5, 2.0, n)
    y = 8.5 - 0.05 * x + 0.03 * rng.standard_t(3, n)
    # the primal: independent_references.highs_lad_line
    assert lad_slope(x, y) == pytest.approx(highs_lad_line(x, y)[1], abs=1e-10)


def test_robust_width_is_the_gaussian_sigma():
    # 1.4826 MAD of the quantiles of a unit normal (evenly spaced in probability) is ~1
    from scipy.stats import norm

    values = norm.ppf((np.arange(20001) + 0.5) / 20001)
    assert robust_width(values) == pytest.approx(1.0, abs=1e-3)
    assert np.isnan(robust_width([np.nan]))


def test_a_dual_that_stops_short_falls_back_to_the_primal(monkeypatch):
    """HiGHS once left a galaxy's dual program unsolved (status not 0) on a 5000-galaxy demo;
    the primal then gives the slope, and the checks go on."""
    import numpy as np
    from scipy.optimize import linprog as real_linprog

    import metgrad.recovery as recovery

    x = np.array([0.55, 0.65, 0.75])
    y = np.array([8.60, 8.50, 8.46])  # the LAD line passes through the 1st and 3rd: -0.7
    calls = []

    def flaky(c, **kwargs):
        calls.append(len(c))
        result = real_linprog(c, **kwargs)
        if len(c) == x.size:  # the dual program (one variable per point)
            result.status = 4
        return result

    monkeypatch.setattr(recovery, "linprog", flaky)
    assert abs(recovery.lad_slope(x, y) - (-0.7)) < 1e-9
    assert calls == [3, 8]  # dual, then primal (2 + 2n variables)
