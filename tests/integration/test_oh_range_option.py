"""``[analysis] oh_range``: the paper's M13 range cut for every calibrator, or each one's own.

The ingest tests' synthetic survey (``ingested_survey``) is ingested once more with a
narrower M13 range (8.35-8.50: the mock's M13 values, 8.2-8.55, never reach the
paper's 8.17-8.77, so that cut would remove nothing), about 3 s. Checked against
the spaxel tables read directly: which rows the analysis loads, and which the
sample step keeps.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from metgrad import calibration
from metgrad.analysis.load import load_selected_spaxels
from metgrad.analysis.sample import repeat_observations, select_sample
from metgrad.config import AnalysisConfig, ConfigError, RunConfig, config_from_dict
from metgrad.survey import run_ingest

#: The narrower M13 range of the run checked here.
M13_RANGE = (8.35, 8.50)


def _config(oh_range: str) -> RunConfig:
    selection = dataclasses.replace(RunConfig().selection, oh_m13_min=M13_RANGE[0],
                                    oh_m13_max=M13_RANGE[1])  # fmt: skip
    return dataclasses.replace(
        RunConfig(), selection=selection, analysis=AnalysisConfig(oh_range=oh_range)
    )


@pytest.fixture(scope="module")
def run(ingested_survey, tmp_path_factory):
    """The survey ingested with the narrower M13 range."""
    config = ingested_survey.config_for(tmp_path_factory.mktemp("narrow_m13") / "run")
    config = dataclasses.replace(config, selection=_config("m13").selection)
    return run_ingest(config, workers=1, progress=False).out_dir


@pytest.fixture(scope="module")
def tables(run) -> pd.DataFrame:
    """Every covered spaxel of the run, read with pandas."""
    files = sorted((run / "spaxels").glob("*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


@pytest.fixture(scope="module")
def loaded(run):
    own = load_selected_spaxels(run, oh_range="own")
    # loaded after "own": the one-file cache must be rebuilt, not reused
    m13 = load_selected_spaxels(run, oh_range="m13")
    return {"own": own, "m13": m13}


def _keys(frame: pd.DataFrame) -> set:
    return set(zip(frame["plateifu"], frame["r_re"], frame["oh_m13"], strict=True))


def test_own_range_loads_the_spaxels_failing_only_the_m13_range(tables, loaded):
    m13, own = loaded["m13"][0], loaded["own"][0]
    selected = tables[tables["selected"]]
    only_m13 = tables[tables["reject_reason"] == "oh_m13"]
    # spaxels that pass every cut but the M13 range exist, else this test could not fail
    assert len(only_m13) > 50
    assert not only_m13["ok_oh_m13"].any() and (
        only_m13[[c for c in tables if c.startswith("ok_") and c != "ok_oh_m13"]].all().all()
    )
    assert _keys(m13) == _keys(selected)
    assert _keys(own) == _keys(selected) | _keys(only_m13)
    assert (~own["oh_m13"].between(*M13_RANGE)).sum() == len(only_m13)


def test_each_calibrator_keeps_the_spaxels_of_its_own_validity_range(loaded):
    (m13_spx, galaxies), (own_spx, _) = loaded["m13"], loaded["own"]
    kept = repeat_observations(galaxies, rule="most_spaxels").kept
    kd02 = calibration.get("kd02_n2o2")
    others = [c for k, c in calibration.CALIBRATORS.items() if k not in (kd02.key, "m13")]
    paper = select_sample(m13_spx, kd02, _config("m13"), observations=kept, others=others)
    own = select_sample(own_spx, kd02, _config("own"), observations=kept, others=others)
    # KD02 returns values on 8.6-9.41 only (NaN outside): every kept spaxel is inside it
    assert own.spaxels[kd02.oh_column].between(8.6, 9.41).all()
    # in the galaxies of both, the M13-range sample is the own-range one inside the M13 range
    in_m13 = own.spaxels["oh_m13"].between(*M13_RANGE)
    assert (~in_m13).sum() > 50
    both = own.spaxels["plateifu"].isin(paper.spaxels["plateifu"])
    assert _keys(own.spaxels[in_m13 & both]) == _keys(paper.spaxels)
    assert "but the M13 range" in own.steps.table()["description"].iloc[0]


def test_secondaries_take_the_reference_galaxies_with_their_own_spaxels(loaded):
    spaxels, galaxies = loaded["own"]
    kept = repeat_observations(galaxies, rule="most_spaxels").kept
    ref = calibration.get("m13")
    ref_sample = select_sample(spaxels, ref, _config("own"), observations=kept)
    # the M13 validity range (-1.1 < O3N2 < 1.7, 12+log(O/H) 8.169-8.768), not the run's cut
    assert ref_sample.spaxels["oh_m13"].between(8.168, 8.769).all()
    assert (~ref_sample.spaxels["oh_m13"].between(*M13_RANGE)).any()
    # reference rows narrower than a secondary's own range (the inner 0.5-1.5 R_e)
    rows = ref_sample.spaxels.index[ref_sample.spaxels["r_re"].between(0.5, 1.5).to_numpy()]
    c20 = calibration.get("c20_r23")
    sample = select_sample(spaxels, c20, _config("own"), observations=kept,
                           reference_rows=rows)  # fmt: skip
    assert not sample.from_reference  # cut again, as with recut_secondary
    galaxies_ref = set(spaxels.loc[rows, "plateifu"])
    assert set(sample.spaxels["plateifu"]) <= galaxies_ref
    in_galaxies = spaxels["plateifu"].isin(sample.spaxels["plateifu"])
    own_valid = np.isfinite(spaxels[c20.oh_column]) & in_galaxies & spaxels["plateifu"].isin(kept)
    assert set(sample.spaxels.index) == set(spaxels.index[own_valid])
    assert (sample.spaxels["r_re"] > 1.5).any()
    paper = select_sample(spaxels, c20, _config("m13"), observations=kept,
                          reference_rows=rows)  # fmt: skip
    assert paper.from_reference and paper.spaxels.index.isin(rows).all()


def test_option_is_checked_and_read_from_toml():
    with pytest.raises(ConfigError, match=r"analysis\.oh_range"):
        AnalysisConfig(oh_range="pg16")
    assert config_from_dict({"analysis": {"oh_range": "own"}}).analysis.oh_range == "own"
    assert RunConfig().analysis.oh_range == "m13"
    with pytest.raises(ValueError, match="oh_range"):
        load_selected_spaxels(".", oh_range="none")
