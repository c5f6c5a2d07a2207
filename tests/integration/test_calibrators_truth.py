"""Every calibrator recovers its own truth on the synthetic survey (issue #15).

The mock records, per spaxel, what each of the 19 calibrators returns on the
noise-free, dust-free lines of the injected O/H (``truth/spaxels``, ``oh_<key>``,
written by the mock's own formulas). The run of ``analysed_truth_survey`` (no PSF,
no diffuse gas: see ``conftest.py``) measured every calibrator at ingest from the
noisy, reddened fluxes. As the analysis does for every calibrator by default
(Boardman et al. 2022, Appendix B), the gradients here are fitted on the reference
(M13) calibrator's final spaxels, each calibrator on those where it has a value:
the same least-absolute-deviation fit (:func:`metgrad.stats.lad_line`, checked
against an exact linear program in ``test_analysis_truth.py``) is applied to the
measured and to the true values, so their difference isolates what the calibrator,
the line measurements and the dust correction do to a gradient. Its median over
the galaxies must be within 0.003 dex/R_e (the issue's tolerance) of zero.

Fitting the 19 x 2 gradients of ~120 galaxies here costs a few seconds, where
analysing all 19 calibrators would cost minutes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from metgrad.calibration import CALIBRATORS
from metgrad.stats import lad_line

pytestmark = pytest.mark.slow

#: Largest |median (measured - true) gradient| over the galaxies, dex/R_e (issue #15).
TOLERANCE = 0.003
#: Fewest galaxies a calibrator must be measured in for its median to be tested.
MIN_GALAXIES = 50


def _galaxy_spaxels(survey, plateifu: str, rows: pd.DataFrame) -> pd.DataFrame:
    """One galaxy's final spaxels with every calibrator's measured and true O/H.

    ``spaxels.parquet`` of the analysis has no pixel coordinates: each row is matched
    to the run's selected spaxel with the same R/R_e and M13 O/H (exact floats),
    whose (x, y) are the truth table's (spaxel_col, spaxel_row).
    """
    columns = [c.oh_column for c in CALIBRATORS.values()]
    run = pd.read_parquet(survey.run / "spaxels" / f"{plateifu}.parquet",
                          columns=["x", "y", "r_re", "selected", *columns])  # fmt: skip
    run = run[run["selected"]].drop(columns="selected")
    matched = rows.merge(run, on=["r_re", "oh_m13"], how="left", validate="one_to_one")
    truth = pq.read_table(survey.root / "truth" / "spaxels" / f"{plateifu}.parquet",
                          columns=["spaxel_col", "spaxel_row", *columns]).to_pandas()  # fmt: skip
    truth = truth.rename(columns={"spaxel_col": "x", "spaxel_row": "y"})
    truth = truth.rename(columns={c: f"true_{c}" for c in columns})
    return matched.merge(truth, on=["x", "y"], how="left", validate="one_to_one")


def _slope(r: np.ndarray, oh: np.ndarray) -> float:
    return float(lad_line(r, oh).slope) if r.size >= 3 else np.nan


@pytest.fixture(scope="module")
def offsets(analysed_truth_survey) -> pd.DataFrame:
    """Per galaxy and calibrator: measured and true gradients over the same spaxels."""
    survey = analysed_truth_survey
    fit = pd.read_parquet(survey.analysis / "spaxels.parquet",
                          columns=["plateifu", "r_re", "oh_m13", "final"])  # fmt: skip
    fit = fit[fit["final"]].drop(columns="final")
    records = []
    for plateifu, rows in fit.groupby("plateifu", sort=False):
        s = _galaxy_spaxels(survey, plateifu, rows)
        assert s["true_oh_m13"].notna().all(), f"{plateifu}: spaxels without a truth row"
        r = s["r_re"].to_numpy(float)
        for key, cal in CALIBRATORS.items():
            measured = s[cal.oh_column].to_numpy(float)
            true = s[f"true_{cal.oh_column}"].to_numpy(float)
            use = np.isfinite(measured) & np.isfinite(true)
            records.append({
                "plateifu": plateifu, "calibrator": key, "n": int(use.sum()),
                "measured": _slope(r[use], measured[use]), "true": _slope(r[use], true[use]),
            })  # fmt: skip
    out = pd.DataFrame.from_records(records)
    out["offset"] = out["measured"] - out["true"]
    return out


def test_every_calibrator_was_measured(offsets):
    per = offsets[offsets["n"] >= 20].groupby("calibrator")["plateifu"].nunique()
    assert set(per.index) == set(CALIBRATORS), set(CALIBRATORS) - set(per.index)
    assert (per >= MIN_GALAXIES).all(), per[per < MIN_GALAXIES].to_dict()


@pytest.mark.parametrize("key", list(CALIBRATORS))
def test_calibrator_recovers_its_own_true_gradient(offsets, key):
    mine = offsets[(offsets["calibrator"] == key) & (offsets["n"] >= 20)]
    true = mine["true"].to_numpy()
    # the true gradients differ from galaxy to galaxy far more than the tolerance
    assert np.std(true) > 10 * TOLERANCE
    median = float(np.median(mine["offset"]))
    assert abs(median) < TOLERANCE, (
        f"{key}: median measured - true gradient {median:+.4f} dex/R_e over {len(mine)} galaxies"
    )
