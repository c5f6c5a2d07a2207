"""Propagated errors of every registered calibrator against a Monte Carlo of the fluxes.

The reference draws the independent observed line fluxes (1% Gaussian errors, tied
weak doublet members following their strong line as in the DAP fits), corrects each
draw with its own Balmer decrement through the package's independent dust functions
(:func:`metgrad.physics.calibrators.deredden_lines`: balmer_ebv and the Calzetti
curve), evaluates the calibrator, and takes the standard deviation. With 20000 draws
its sampling error is 0.5%; the first-order error must agree within 3%.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from metgrad import physics
from metgrad.physics import calibrators

# observed spectra (Hb = 1), DR17 ties OIII-4960 = 0.35 OIII-5008, NII-6549 = 0.34 NII-6585
RICH = {"Hb-4862": 1.0, "Ha-6564": 3.6, "OIII-5008": 0.8, "NII-6585": 1.2,
        "OII-3727": 1.5, "OII-3729": 2.0, "SII-6718": 0.45, "SII-6732": 0.35}  # fmt: skip
RICH_LOW_OII = {**RICH, "OII-3727": 0.9, "OII-3729": 1.2}
POOR = {"Hb-4862": 1.0, "Ha-6564": 3.2, "OIII-5008": 4.0, "NII-6585": 0.06,
        "OII-3727": 1.0, "OII-3729": 1.3, "SII-6718": 0.15, "SII-6732": 0.11}  # fmt: skip
POOR_BRIGHT_OIII = {**POOR, "OIII-5008": 5.0}
TIES = {"OIII-4960": ("OIII-5008", 0.35), "NII-6549": ("NII-6585", 0.34)}

# every calibrator on an upper-branch (or single-valued) spectrum, the branched ones
# also on a lower-branch spectrum
CASES = [(name, RICH) for name in calibrators.available() if name != "C20_R2"]
CASES += [("C20_R2", RICH_LOW_OII)]
CASES += [(name, POOR) for name in ("PG16_R", "PG16_S", "KK04_R23", "C20_R23", "C20_S2")]
CASES += [(name, POOR_BRIGHT_OIII) for name in ("C20_R3", "C20_RS32", "C20_R2")]

RELATIVE_ERROR = 0.01
DRAWS = 20000


def with_ties(fluxes):
    out = dict(fluxes)
    for weak, (strong, ratio) in TIES.items():
        out[weak] = ratio * np.asarray(fluxes[strong])
    return out


def monte_carlo_sigma(cal, spectrum, *, dust_correct):
    rng = np.random.default_rng(20220)
    draws = {
        name: flux * (1.0 + RELATIVE_ERROR * rng.standard_normal(DRAWS))
        for name, flux in spectrum.items()
    }
    draws = with_ties(draws)
    fluxes = calibrators.deredden_lines(draws) if dust_correct else draws
    oh = cal.oh(fluxes)
    assert np.all(np.isfinite(oh)), "the Monte Carlo left the validity range"
    return np.std(oh)


@pytest.mark.parametrize(
    ("name", "spectrum"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)]
)
@pytest.mark.parametrize("dust_correct", [True, False])
def test_against_monte_carlo(name, spectrum, dust_correct):
    cal = calibrators.get(name)
    fluxes = with_ties(spectrum)
    errors = {line: RELATIVE_ERROR * flux for line, flux in fluxes.items()}
    if not dust_correct:  # the error of corrected fluxes with E(B-V) held fixed
        fluxes = calibrators.deredden_lines(fluxes)
        errors = {line: RELATIVE_ERROR * flux for line, flux in fluxes.items()}
    estimate = cal.estimate(fluxes, errors, dust_correct=dust_correct)
    assert np.isfinite(estimate.oh) and estimate.error > 0
    reference = monte_carlo_sigma(cal, dict(spectrum) if dust_correct else {
        line: fluxes[line] for line in spectrum
    }, dust_correct=dust_correct)  # fmt: skip
    assert_allclose(estimate.error, reference, rtol=0.03)


def test_oh_error_matches_estimate():
    cal = calibrators.get("C20_R23")
    fluxes = with_ties(POOR)
    errors = {line: 0.02 * flux for line, flux in fluxes.items()}
    assert cal.oh_error(fluxes, errors) == cal.estimate(fluxes, errors, dust_correct=True).error


def test_balmer_errors_enter_through_the_dust_correction():
    # C20_N2 does not use Hbeta: its error grows with the Hbeta error only via E(B-V)
    cal = calibrators.get("C20_N2")
    fluxes = with_ties(RICH)
    errors = {line: 0.0 * flux for line, flux in fluxes.items()}
    errors["Hb-4862"] = 0.05
    assert cal.oh_error(fluxes, errors, dust_correct=False) == 0.0
    assert cal.oh_error(fluxes, errors, dust_correct=True) > 0.0


def test_tied_weak_line_error_is_not_read():
    cal = calibrators.get("KK04_R23")
    fluxes = with_ties(RICH)
    errors = {line: 0.01 * flux for line, flux in fluxes.items()}
    base = cal.oh_error(fluxes, errors)
    errors["OIII-4960"] = 1e3
    assert cal.oh_error(fluxes, errors) == base
    del errors["OIII-4960"]
    assert cal.oh_error(fluxes, errors) == base


class TestAgainstTheOriginalFunctions:
    """The registry and the original explicit-gradient functions, two implementations."""

    def test_m13_error_through_dust(self):
        rng = np.random.default_rng(3)
        f = {k: v * rng.uniform(0.8, 1.2, 50) for k, v in RICH.items()}
        e = {k: 0.03 * v for k, v in f.items()}
        registry = calibrators.get("m13").oh_error(f, e, dust_correct=True)
        original = physics.oh_o3n2_m13_error(
            f["OIII-5008"], f["Hb-4862"], f["NII-6585"], f["Ha-6564"],
            e["OIII-5008"], e["Hb-4862"], e["NII-6585"], e["Ha-6564"], dust_correct=True,
        )  # fmt: skip
        assert_allclose(registry, original, rtol=1e-12)

    def test_pg16_values_and_errors(self):
        rng = np.random.default_rng(4)
        f = {k: v * rng.uniform(0.3, 3.0, 200) for k, v in RICH.items()}
        e = {k: 0.03 * v for k, v in f.items()}
        oii = f["OII-3727"] + f["OII-3729"]
        oii_err = np.hypot(e["OII-3727"], e["OII-3729"])
        cal = calibrators.get("pg16")
        assert_allclose(
            cal.oh(f), physics.oh_r_pg16(oii, f["Hb-4862"], f["OIII-5008"], f["NII-6585"]),
            rtol=0, atol=1e-13,
        )  # fmt: skip
        original = physics.oh_r_pg16_error(
            oii, f["Hb-4862"], f["OIII-5008"], f["NII-6585"],
            oii_err, e["Hb-4862"], e["OIII-5008"], e["NII-6585"],
        )  # fmt: skip
        assert_allclose(cal.oh_error(f, e, dust_correct=False), original, rtol=1e-12)
        # through the dust correction the [OII] channels are corrected at their own
        # wavelengths (the original uses the doublet's mean): agreement to 0.2%
        original_dust = physics.oh_r_pg16_error(
            oii, f["Hb-4862"], f["OIII-5008"], f["NII-6585"],
            oii_err, e["Hb-4862"], e["OIII-5008"], e["NII-6585"],
            dust_correct=True, ha=f["Ha-6564"], ha_err=e["Ha-6564"],
        )  # fmt: skip
        assert_allclose(cal.oh_error(f, e, dust_correct=True), original_dust, rtol=2e-3)
