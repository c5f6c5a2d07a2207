"""The calibrators compared: gradient differences, Table 1 winners, the size term."""

import numpy as np
import pandas as pd
import pytest

from metgrad.analysis.compare import compare_calibrators, size_coefficient
from metgrad.calibration import get


def galaxies(rng, n, size_term):
    m = rng.uniform(9.0, 11.0, n)
    r = 0.3 * (m - 10) + 0.5 + rng.normal(0, 0.1, n)
    grad = -0.05 + rng.normal(0, 0.01, n)
    off = 0.01 * (m - 10) + size_term * (r - 0.5) + rng.normal(0, 0.005, n)
    index = pd.Index([f"{i}-1" for i in range(n)], name="plateifu")
    return pd.DataFrame({"log_mstar": m, "log_re": r, "grad_obs": grad, "offset_sfh": off},
                        index=index)  # fmt: skip


def table1(bics):
    return pd.DataFrame({"model": list(bics), "bic": list(bics.values())})


def test_size_coefficient_recovers_an_exact_plane():
    # offset = 0.2 - 0.01 log M* - 0.05 log R_e exactly: c = -0.05, standard error ~0
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"log_mstar": rng.uniform(9, 11, 50), "log_re": rng.uniform(0, 1, 50)})
    frame["offset_sfh"] = 0.2 - 0.01 * frame["log_mstar"] - 0.05 * frame["log_re"]
    c, err = size_coefficient(frame)
    assert c == pytest.approx(-0.05, abs=1e-12) and err < 1e-12
    assert np.isnan(size_coefficient(frame.iloc[:5])[0])


def test_comparison_of_two_calibrators():
    rng = np.random.default_rng(2)
    m13 = galaxies(rng, 300, size_term=-0.04)
    pg16 = m13.copy()
    pg16["grad_obs"] = m13["grad_obs"] + 0.02  # flatter by 0.02 dex/Re everywhere
    pg16["offset_sfh"] = 0.01 * (m13["log_mstar"] - 10) + rng.normal(0, 0.005, 300)
    out = compare_calibrators({
        "m13": {"calibrator": get("m13"), "galaxies": m13,
                "table1": table1({"base": 10.0, "SFH": 5.0, "D4000": 7.0})},
        "pg16": {"calibrator": get("pg16"), "galaxies": pg16,
                 "table1": table1({"base": 4.0, "SFH": 5.0})},
    })  # fmt: skip
    s = out.summary.set_index("calibrator")
    assert s.loc["m13", "gradient_difference_median"] == 0.0
    assert s.loc["pg16", "gradient_difference_median"] == pytest.approx(0.02, abs=1e-12)
    assert s.loc["pg16", "gradient_difference_dispersion"] == pytest.approx(0.0, abs=1e-12)
    assert s.loc["m13", "sfh_lowest_bic"] and not s.loc["pg16", "sfh_lowest_bic"]
    assert s.loc["pg16", "best_model_bic"] == "base"
    assert s.loc["m13", "offsets_size_dependent"] and not s.loc["pg16", "offsets_size_dependent"]
    assert s.loc["m13", "size_coefficient"] == pytest.approx(-0.04, abs=0.01)
    assert list(out.gradients.columns) == ["m13", "pg16"] and len(out.gradients) == 300
    assert set(out.table1["calibrator"]) == {"m13", "pg16"}
