"""Curti et al. (2020) registered calibrators: exact inversion, branches, edges, bugs.

References: log R evaluated by hand-typed arithmetic, sum c_i x^i with x = O/H - 8.69
and the C20 Table 2 coefficients typed again below, at chosen metallicities; the
calibrator must return those metallicities. An exact solver (companion-matrix roots,
numpy.polynomial.polynomial.polyroots, per spaxel) checks the inversion at random.
"""

import numpy as np
import pytest
from numpy.polynomial import polynomial as npoly
from numpy.testing import assert_allclose

from metgrad.physics import calibrators
from metgrad.physics.calibrators import BRANCH_LOWER, BRANCH_NONE, BRANCH_UPPER

# C20 Table 2, typed from the paper
TABLE2 = {
    "R2": [0.435, -1.362, -5.655, -4.851, -0.478, 0.736],
    "R3": [-0.277, -3.549, -3.593, -0.981],
    "O3O2": [-0.691, -2.944, -1.308],
    "R23": [0.527, -1.569, -1.652, -0.421],
    "N2": [-0.489, 1.513, -2.554, -5.293, -2.867],
    "O3N2": [0.281, -4.765, -2.268],
    "S2": [-0.442, -0.360, -6.271, -8.339, -3.559],
    "RS32": [-0.054, -2.546, -1.970, 0.082, 0.222],
    "O3S2": [0.191, -4.292, -2.538, 0.053, 0.332],
}
DOUBLE_VALUED = ("R2", "R3", "R23", "S2", "RS32")


def log_r(ratio, oh):
    x = oh - 8.69
    return sum(c * x**i for i, c in enumerate(TABLE2[ratio]))


def turnover(ratio):
    """The zero of dP/dx inside 7.6-8.9 (as 12+log(O/H)), found from the typed table."""
    c = TABLE2[ratio]
    roots = np.roots([i * c[i] for i in range(len(c) - 1, 0, -1)])
    real = roots[np.isreal(roots)].real + 8.69
    return real[(real > 7.6) & (real < 8.9)]


def spectrum(ratio, log_ratio, upper=True):
    """DAP fluxes with R = 10**log_ratio; [NII]/[OII] = 0.2 (upper) or 0.02 (lower)."""
    r = 10.0 ** np.asarray(log_ratio, dtype=float)
    f = {"Hb-4862": 1.0, "Ha-6564": 2.86, "OII-3727": 0.8, "OII-3729": 1.2, "OIII-5008": 1.0,
         "SII-6718": 0.3, "SII-6732": 0.2}  # fmt: skip
    if ratio == "R2":
        f["OII-3727"], f["OII-3729"] = 0.4 * r, 0.6 * r
    elif ratio == "R3":
        f["OIII-5008"] = r
    elif ratio == "O3O2":
        f["OIII-5008"] = 2.0 * r
    elif ratio == "R23":  # [OII] = 0.3 R, [OIII]4959+5007 = 1.35 [OIII]5007 = 0.7 R
        f["OII-3727"], f["OII-3729"] = 0.12 * r, 0.18 * r
        f["OIII-5008"] = 0.7 * r / 1.35
    elif ratio == "N2":
        f["NII-6585"] = 2.86 * r
    elif ratio == "O3N2":  # [NII]/Ha = 0.1
        f["NII-6585"], f["OIII-5008"] = 0.286, 0.1 * r
    elif ratio == "S2":
        f["SII-6718"], f["SII-6732"] = 0.6 * 2.86 * r, 0.4 * 2.86 * r
    elif ratio == "RS32":  # [OIII]/Hb = 0.6 R, [SII]/Ha = 0.4 R
        f["OIII-5008"] = 0.6 * r
        f["SII-6718"], f["SII-6732"] = 0.24 * 2.86 * r, 0.16 * 2.86 * r
    elif ratio == "O3S2":  # [SII]/Ha = 0.5 / 2.86
        f["OIII-5008"] = r * 0.5 / 2.86
    f["OIII-4960"] = 0.35 * np.asarray(f["OIII-5008"])
    if "NII-6585" not in f:
        f["NII-6585"] = np.where(upper, 0.2, 0.02) * (f["OII-3727"] + f["OII-3729"])
    return f


# (12+log(O/H), upper branch?) for each ratio; double-valued ones cover both branches
CASES = {
    "N2": [(7.7, True), (8.2, True), (8.7, True)],
    "O3N2": [(7.8, True), (8.3, True), (8.8, True)],
    "O3O2": [(7.7, True), (8.2, True), (8.8, True)],
    "O3S2": [(7.7, True), (8.3, True), (8.8, True)],
    "R2": [(7.8, False), (8.3, False), (8.7, True)],  # turnover 8.54
    "R3": [(7.7, False), (8.3, True), (8.7, True)],  # turnover 8.00
    "R23": [(7.8, False), (8.4, True), (8.8, True)],  # turnover 8.07
    "S2": [(7.9, False), (8.4, False), (8.8, True)],  # turnover 8.66
    "RS32": [(7.7, False), (8.3, True), (8.7, True)],  # turnover 8.00
}


@pytest.mark.parametrize("ratio", list(CASES))
def test_recovers_the_metallicity(ratio):
    cal = calibrators.get(f"C20_{ratio}")
    for oh, upper in CASES[ratio]:
        fluxes = spectrum(ratio, log_r(ratio, oh), upper)
        assert_allclose(cal.oh(fluxes), oh, atol=1e-9, err_msg=f"{ratio} at {oh}")
        expected = (BRANCH_UPPER if upper else BRANCH_LOWER) if cal.branched else BRANCH_NONE
        assert cal.branch(fluxes) == expected


def test_hand_value_r3():
    # O/H = 8.19: x = -0.5, log R3 = -0.277 + 1.7745 - 0.89825 + 0.122625 = 0.721875
    assert_allclose(log_r("R3", 8.19), 0.721875, atol=1e-12)
    oh = calibrators.get("C20_R3").oh(spectrum("R3", 0.721875, upper=True))
    assert_allclose(oh, 8.19, atol=1e-9)


def test_o3n2_intercept_is_positive():
    # regression guard: c0 = +0.281, so O3N2 = 0.281 is x = 0, O/H = 8.69 (with
    # c0 = -0.281 it would be 8.571)
    oh = calibrators.get("C20_O3N2").oh(spectrum("O3N2", 0.281))
    assert_allclose(oh, 8.69, atol=1e-12)


@pytest.mark.parametrize("ratio", list(CASES))
def test_range_edges(ratio):
    """Inside 7.6-8.9 -> finite; log R of a metallicity beyond the end -> NaN."""
    cal = calibrators.get(f"C20_{ratio}")
    ends = [(7.6, -1), (8.9, +1)]
    turn = turnover(ratio)
    if ratio == "N2":  # single-valued part ends at the turnover 8.871
        ends = [(7.6, -1)]
    if ratio == "O3N2":  # single-valued part starts at the turnover 7.6395
        ends = [(8.9, +1)]
    for end, side in ends:
        upper = side > 0 or ratio not in DOUBLE_VALUED
        inside = cal.oh(spectrum(ratio, log_r(ratio, end - side * 1e-4), upper))
        outside = cal.oh(spectrum(ratio, log_r(ratio, end + side * 1e-3), upper))
        assert_allclose(inside, end - side * 1e-4, atol=1e-9)
        assert np.isnan(outside), f"{ratio} beyond {end}"
    if ratio in ("N2", "O3N2"):  # above the maximum at the turnover: no root
        peak = log_r(ratio, turn[0])
        assert np.isnan(cal.oh(spectrum(ratio, peak + 1e-3)))
        assert np.isfinite(cal.oh(spectrum(ratio, peak - 1e-3)))


@pytest.mark.parametrize("ratio", DOUBLE_VALUED)
def test_no_root_beyond_the_turnover(ratio):
    # the turnover is a maximum of log R for R2, R3, R23, S2 and RS32: above it, no root
    (t,) = turnover(ratio)
    peak = log_r(ratio, t)
    cal = calibrators.get(f"C20_{ratio}")
    for upper in (True, False):
        assert np.isnan(cal.oh(spectrum(ratio, peak + 1e-3, upper)))
        assert np.isfinite(cal.oh(spectrum(ratio, peak - 1e-3, upper)))


@pytest.mark.parametrize("ratio", DOUBLE_VALUED)
def test_branch_rule_n2o2_minus_1_2(ratio):
    cal = calibrators.get(f"C20_{ratio}")
    fluxes = spectrum(ratio, log_r(ratio, 8.3))
    oii = fluxes["OII-3727"] + fluxes["OII-3729"]
    for log_n2o2, code in ((-1.19, BRANCH_UPPER), (-1.21, BRANCH_LOWER)):
        fluxes["NII-6585"] = oii * 10**log_n2o2
        assert cal.branch(fluxes) == code
        (t,) = turnover(ratio)
        oh = cal.oh(fluxes)
        assert (oh >= t) if code == BRANCH_UPPER else (oh <= t)


@pytest.mark.parametrize("ratio", list(CASES))
def test_against_an_exact_solver(ratio):
    rng = np.random.default_rng(7)
    cal = calibrators.get(f"C20_{ratio}")
    ohs = rng.uniform(7.6, 8.9, 60)
    upper = rng.random(60) < 0.5
    logs = log_r(ratio, ohs) + rng.normal(0, 0.02, 60)
    fluxes = spectrum(ratio, logs, upper)
    oh = cal.oh(fluxes)
    branch = cal.branch(fluxes)
    (t,) = turnover(ratio) if ratio in DOUBLE_VALUED else (None,)
    lo, hi = cal.validity.oh_range
    for i in range(60):
        shifted = np.array(TABLE2[ratio]) - np.eye(len(TABLE2[ratio]))[0] * logs[i]
        roots = npoly.polyroots(shifted)
        real = roots[np.abs(roots.imag) < 1e-9].real + 8.69
        if t is not None:
            lo, hi = (t, 8.9) if branch[i] == BRANCH_UPPER else (7.6, t)
        real = real[(real >= lo) & (real <= hi)]
        if real.size == 0:
            assert np.isnan(oh[i])
        else:
            assert_allclose(oh[i], real[0], atol=1e-9)


def test_lines_include_the_branch_indicator():
    for ratio in DOUBLE_VALUED:
        lines = calibrators.get(f"C20_{ratio}").lines
        assert {"NII-6585", "OII-3727", "OII-3729"} <= set(lines)
    assert calibrators.get("C20_N2").lines == ("NII-6585", "Ha-6564")


def test_inversion_refuses_a_non_monotonic_interval_and_passes_nan():
    from metgrad.physics.calibrators._polyinvert import invert_monotonic

    # x^2 - 1 on [-1, 1] turns over at 0
    with pytest.raises(ValueError, match="not monotonic"):
        invert_monotonic([-1.0, 0.0, 1.0], [0.0], -1.0, 1.0)
    # on [0, 2]: roots of x^2 - 1 = t are sqrt(1 + t); t = 3 has none there, NaN stays NaN
    roots = invert_monotonic([-1.0, 0.0, 1.0], [0.0, 2.0, 3.0 + 1e-9, np.nan], 0.0, 2.0)
    assert_allclose(roots[:2], [1.0, np.sqrt(3.0)], atol=1e-12)
    assert np.all(np.isnan(roots[2:]))
