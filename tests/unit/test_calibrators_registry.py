"""The calibrator registry's interface: names, metadata, inputs, shapes, batch evaluation."""

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from metgrad import physics
from metgrad.physics import calibrators

NAMES = (
    "M13_O3N2", "M13_N2", "PP04_N2", "PP04_N2_cubic", "PP04_O3N2", "PG16_R", "PG16_S",
    "D16_N2S2", "KD02_N2O2", "KK04_R23", "C20_N2", "C20_O3N2", "C20_R3", "C20_R2",
    "C20_R23", "C20_O3O2", "C20_S2", "C20_RS32", "C20_O3S2",
)  # fmt: skip
# DR17 EMLINE_GFLUX channel names of the lines used (datamodel.md section 2.4)
DAP_CHANNELS = {"OII-3727", "OII-3729", "Hb-4862", "OIII-4960", "OIII-5008", "NII-6549",
                "Ha-6564", "NII-6585", "SII-6718", "SII-6732"}  # fmt: skip
SPECTRUM = {"Hb-4862": 1.0, "Ha-6564": 3.6, "OIII-5008": 0.8, "OIII-4960": 0.28,
            "NII-6585": 1.2, "NII-6549": 0.408, "OII-3727": 1.0, "OII-3729": 1.3,
            "SII-6718": 0.45, "SII-6732": 0.35}  # fmt: skip


def test_available_lists_the_nineteen():
    assert calibrators.available() == NAMES


def test_aliases():
    assert calibrators.get("m13") is calibrators.get("M13_O3N2")
    assert calibrators.get("pg16") is calibrators.get("PG16_R")


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"unknown calibrator 'T04'.*M13_O3N2.*C20_O3S2"):
        calibrators.get("T04")


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    cal = calibrators.get(name)
    assert cal.name == name
    assert set(cal.lines) <= DAP_CHANNELS and len(set(cal.lines)) == len(cal.lines)
    photoionisation = {"D16_N2S2", "KD02_N2O2", "KK04_R23"}
    assert cal.scale == ("photoionisation" if name in photoionisation else "Te")
    assert cal.reference and cal.description
    assert isinstance(cal.validity, calibrators.Validity)
    branched = {"PG16_R", "PG16_S", "KK04_R23", "C20_R2", "C20_R3", "C20_R23", "C20_S2",
                "C20_RS32"}  # fmt: skip
    assert cal.branched == (name in branched)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cal.name = "other"


def test_usable():
    channels = ["Hb-4862", "OIII-5008", "NII-6585", "Ha-6564"]
    expected = ("M13_O3N2", "M13_N2", "PP04_N2", "PP04_N2_cubic", "PP04_O3N2", "C20_N2",
                "C20_O3N2")  # fmt: skip
    assert calibrators.usable(channels) == expected
    assert calibrators.usable(SPECTRUM) == NAMES
    assert calibrators.usable([]) == ()


def test_register_rejects_duplicates_and_non_calibrators():
    with pytest.raises(ValueError, match="already registered"):
        calibrators.register(calibrators.get("C20_N2"))
    with pytest.raises(ValueError, match="only Calibrator"):
        calibrators.register("C20_N2")


def test_missing_channel_is_named():
    with pytest.raises(ValueError, match=r"M13_O3N2 needs the DAP channel\(s\) \['Ha-6564'\]"):
        calibrators.get("M13_O3N2").oh({"OIII-5008": 1.0, "Hb-4862": 1.0, "NII-6585": 1.0})
    with pytest.raises(ValueError, match=r"dust_correct=True needs.*Hb-4862"):
        calibrators.get("C20_N2").oh({"NII-6585": 1.0, "Ha-6564": 3.0}, dust_correct=True)


def test_missing_error_is_named():
    errors = {k: 0.01 for k in SPECTRUM if k != "Hb-4862"}
    with pytest.raises(ValueError, match=r"C20_N2 errors needs.*'Hb-4862'"):
        calibrators.get("C20_N2").oh_error(SPECTRUM, errors)  # Hb enters through E(B-V)


def test_scalars_and_shapes():
    cal = calibrators.get("C20_R23")
    scalar = cal.oh(SPECTRUM, dust_correct=True)
    assert isinstance(scalar, np.float64) and np.isfinite(scalar)
    assert isinstance(cal.branch(SPECTRUM), np.int8)
    grid = {k: np.full((3, 4), v) for k, v in SPECTRUM.items()}
    grid["Hb-4862"] = np.full(4, 1.0)  # broadcasts
    estimate = cal.estimate(grid, grid, dust_correct=True)
    assert estimate.oh.shape == estimate.error.shape == estimate.branch.shape == (3, 4)
    assert_allclose(estimate.oh, scalar)


def test_bad_fluxes_give_nan_silently():
    cal = calibrators.get("KK04_R23")
    fluxes = {k: np.array([v, v, v]) for k, v in SPECTRUM.items()}
    fluxes["OII-3727"] = np.array([1.0, 0.0, np.nan])
    fluxes["Hb-4862"] = np.array([1.0, 1.0, -1.0])
    estimate = cal.estimate(fluxes, fluxes, dust_correct=True)
    assert np.isfinite(estimate.oh[0]) and np.all(np.isnan(estimate.oh[1:]))
    assert np.isfinite(estimate.error[0]) and np.all(np.isnan(estimate.error[1:]))


def test_negative_error_gives_nan():
    errors = {k: 0.01 for k in SPECTRUM}
    errors["NII-6585"] = -0.01
    cal = calibrators.get("M13_N2")
    assert np.isnan(cal.oh_error(SPECTRUM, errors)) and np.isfinite(cal.oh(SPECTRUM))


def test_deredden_lines_matches_the_dust_functions():
    corrected = calibrators.deredden_lines(SPECTRUM)
    ebv = physics.balmer_ebv(SPECTRUM["Ha-6564"], SPECTRUM["Hb-4862"])
    for name, flux in SPECTRUM.items():
        expected = physics.deredden(flux, physics.LINE_WAVELENGTHS_VACUUM_AA[name], ebv)
        assert_allclose(corrected[name], expected, rtol=1e-13)


def test_dust_correct_inside_equals_outside():
    corrected = calibrators.deredden_lines(SPECTRUM)
    for name in NAMES:
        cal = calibrators.get(name)
        assert_allclose(cal.oh(SPECTRUM, dust_correct=True), cal.oh(corrected), rtol=1e-13)


def test_estimate_all_equals_one_by_one():
    rng = np.random.default_rng(11)
    fluxes = {k: v * rng.uniform(0.3, 3.0, (5, 7)) for k, v in SPECTRUM.items()}
    for weak, strong, tie in (("OIII-4960", "OIII-5008", 0.35), ("NII-6549", "NII-6585", 0.34)):
        fluxes[weak] = tie * fluxes[strong]
    fluxes["Ha-6564"][0, 0] = np.nan
    errors = {k: 0.05 * v for k, v in fluxes.items()}
    batch = calibrators.estimate_all(fluxes, errors, dust_correct=True, chunk_size=4)
    assert tuple(batch) == NAMES
    for name, estimate in batch.items():
        single = calibrators.get(name).estimate(fluxes, errors, dust_correct=True)
        assert estimate.oh.shape == (5, 7)
        assert_allclose(estimate.oh, single.oh, rtol=0, atol=1e-11, equal_nan=True)
        assert_allclose(estimate.error, single.error, rtol=1e-9, equal_nan=True)
        assert_array_equal(estimate.branch, single.branch)


def test_estimate_all_selected_names_and_bad_chunk():
    result = calibrators.estimate_all(SPECTRUM, SPECTRUM, dust_correct=False, names=["m13"])
    assert list(result) == ["M13_O3N2"]
    assert_allclose(result["M13_O3N2"].oh, calibrators.get("m13").oh(SPECTRUM))
    with pytest.raises(ValueError, match="chunk_size"):
        calibrators.estimate_all(SPECTRUM, SPECTRUM, dust_correct=False, chunk_size=0)


def test_original_names_from_both_places():
    for name in ("oh_o3n2_m13", "oh_o3n2_m13_error", "oh_r_pg16", "oh_r_pg16_error",
                 "o3n2_index", "pg16_log_ratios", "pg16_r_calibration", "M13_O3N2_INTERCEPT",
                 "M13_O3N2_SLOPE", "PG16_BRANCH_LOG_N2", "PG16_DOUBLET_FACTOR"):  # fmt: skip
        assert getattr(physics, name) is getattr(calibrators, name)


def test_docs_table_lists_every_calibrator_with_its_channels():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "calibrators.md"
    rows = {
        line.split("|")[1].strip(" `"): line.split("|")
        for line in doc.read_text().splitlines()
        if line.startswith("| `")
    }
    assert tuple(rows) == NAMES
    for name, cells in rows.items():
        cal = calibrators.get(name)
        assert cells[2].strip() == cal.scale
        assert tuple(c.strip() for c in cells[3].split(",")) == cal.lines
        assert (cells[5].strip() != "") == cal.branched
