"""Step 1 (§2.2) on the synthetic run: every count of select_sample recomputed from the table."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from analysis_synthetic import build

from metgrad import calibration
from metgrad.analysis.sample import SampleSteps, repeat_observations, select_sample
from metgrad.config import RunConfig

M13, PG16 = calibration.get("m13"), calibration.get("pg16")
OTHERS_OF_M13 = [c for k, c in calibration.CALIBRATORS.items() if k != "m13"]


@pytest.fixture(scope="module")
def run():
    return build()


def with_options(config=None, **sections):
    """A RunConfig with ``section={key: value}`` replaced."""
    config = config or RunConfig()
    for section, values in sections.items():
        config = dataclasses.replace(
            config, **{section: dataclasses.replace(getattr(config, section), **values)}
        )
    return config


def kept_observations(galaxies):
    """One plate-ifu per mangaid: most selected spaxels, ties to the lowest name (by hand)."""
    kept = []
    for _, group in galaxies.groupby("mangaid"):
        kept.append(sorted(group.index, key=lambda p: (-group.loc[p, "n_selected"], p))[0])
    return sorted(kept)


def counted(plateifu, mask):
    return int(mask.sum()), len(set(plateifu[mask]))


def expected_counts(run, oh, err, *, ba_min=0.6, n_min=20):
    s = run.spaxels
    p = s["plateifu"].to_numpy()
    steps = {"spaxel_cuts": counted(p, np.ones(len(s), bool))}
    keep = np.isin(p, kept_observations(run.galaxies))
    steps["one_observation"] = counted(p, keep)
    keep &= np.isfinite(s[oh].to_numpy()) & (s[err].to_numpy() > 0)
    steps["calibrator"] = counted(p, keep)
    keep &= s["ba"].to_numpy() >= ba_min
    steps["axis_ratio"] = counted(p, keep)
    sizes = pd.Series(p[keep]).value_counts()
    keep &= np.isin(p, sizes.index[sizes >= n_min])
    steps["min_spaxels"] = counted(p, keep)
    return steps, keep


def as_counts(steps: SampleSteps):
    return {r["step"]: (r["n_spaxels"], r["n_galaxies"]) for r in steps.rows}


def test_reference_sample_counts_and_columns(run):
    sample = select_sample(
        run.spaxels, M13, RunConfig(), observations=pd.Index(kept_observations(run.galaxies)),
        others=OTHERS_OF_M13,
    )  # fmt: skip
    expected, keep = expected_counts(run, "oh_m13", "oh_m13_err")
    assert as_counts(sample.steps) == expected
    # the built-in features: one repeat, two inclined, one small galaxy; the threshold
    # galaxies (b/a = 0.6, 20 spaxels) are kept
    assert [n for _, n in expected.values()] == [36, 35, 35, 33, 32]
    assert list(sample.spaxels.index) == list(np.flatnonzero(keep))
    assert not sample.from_reference and sample.calibrator is M13
    # this calibrator's O/H and the log columns stay; the other calibrators' and the
    # linear columns the logs are made from go
    cols = set(sample.spaxels.columns)
    assert {"oh_m13", "oh_m13_err", "log_sigma_star", "log_ssfr", "r_re", "ba"} <= cols
    assert not cols & {"oh_pg16", "oh_pg16_err", "sigma_star", "ssfr_local", "ew_ha"}
    table = sample.steps.table()
    assert list(table.columns) == ["step", "description", "n_spaxels", "n_galaxies"]
    assert table["description"].tolist() == [
        "spaxels passing every spaxel cut (§2.2)",
        "one observation per galaxy (mangaid)",
        "finite 12+log(O/H) and error from M13 O3N2",
        "galaxies with b/a >= 0.6",
        "galaxies with >= 20 spaxels",
    ]


def test_thresholds_come_from_the_configuration(run):
    config = with_options(selection={"ba_min": 0.7, "min_spaxels": 45})
    obs = pd.Index(kept_observations(run.galaxies))
    sample = select_sample(run.spaxels, PG16, config, observations=obs)
    expected, keep = expected_counts(run, "oh_pg16", "oh_pg16_err", ba_min=0.7, n_min=45)
    assert as_counts(sample.steps) == expected
    assert expected["calibrator"][0] < expected["one_observation"][0]  # PG16's NaNs
    assert list(sample.spaxels.index) == list(np.flatnonzero(keep))
    assert sample.steps.rows[3]["description"] == "galaxies with b/a >= 0.7"
    assert sample.steps.rows[4]["description"] == "galaxies with >= 45 spaxels"
    # no others given: every loaded O/H column stays
    assert {"oh_m13", "oh_pg16"} <= set(sample.spaxels.columns)


def test_a_zero_or_missing_error_leaves_the_sample(run):
    spaxels = run.spaxels.copy()
    spaxels.loc[[0, 1], "oh_m13_err"] = [0.0, np.nan]
    spaxels.loc[2, "oh_m13"] = np.inf
    sample = select_sample(spaxels, M13, RunConfig(), observations=pd.Index(run.galaxies.index))
    assert sample.steps.count("calibrator", "n_spaxels") == len(spaxels) - 3
    assert not sample.spaxels.index.isin([0, 1, 2]).any()


def test_secondary_takes_the_reference_rows(run):
    obs = pd.Index(kept_observations(run.galaxies))
    # reference rows: the first 25 spaxels of every galaxy with at least 30
    s = run.spaxels
    rank = s.groupby("plateifu").cumcount()
    big = s.groupby("plateifu")["r_re"].transform("size") >= 30
    rows = s.index[(rank < 25) & big]
    sample = select_sample(s, PG16, RunConfig(), observations=obs, reference_rows=rows)
    finite = np.isfinite(s["oh_pg16"].to_numpy())
    in_obs = s["plateifu"].isin(obs).to_numpy()
    expected = s.index[s.index.isin(rows) & finite & in_obs]
    assert list(sample.spaxels.index) == list(expected)
    assert sample.from_reference
    last = sample.steps.rows[-1]
    assert last["step"] == "reference_sample"
    assert last["description"] == "the reference calibrator's final galaxies and spaxels (App. B)"
    assert (last["n_spaxels"], last["n_galaxies"]) == counted(
        s["plateifu"].to_numpy(), s.index.isin(expected)
    )


def test_recut_secondary_takes_the_reference_galaxies_and_cuts_again(run):
    obs = pd.Index(kept_observations(run.galaxies))
    s = run.spaxels
    names = sorted(set(s["plateifu"]))[::2]  # every other galaxy, inclined ones included
    rows = s.index[s["plateifu"].isin(names) & (s.groupby("plateifu").cumcount() < 3)]
    config = with_options(analysis={"recut_secondary": True})
    sample = select_sample(s, PG16, config, observations=obs, reference_rows=rows)
    assert not sample.from_reference
    # every spaxel of those galaxies, then b/a and the spaxel count again
    p = s["plateifu"].to_numpy()
    base = np.isin(p, obs) & np.isfinite(s["oh_pg16"].to_numpy()) & np.isin(p, names)
    ref = counted(p, base)
    base &= s["ba"].to_numpy() >= 0.6
    sizes = pd.Series(p[base]).value_counts()
    base &= np.isin(p, sizes.index[sizes >= 20])
    counts = as_counts(sample.steps)
    assert counts["reference_sample"] == ref
    assert counts["min_spaxels"] == counted(p, base)
    assert list(sample.spaxels.index) == list(np.flatnonzero(base))
    assert sample.steps.rows[3]["description"] == (
        "the reference calibrator's final galaxies (App. B)"
    )
    assert [r["step"] for r in sample.steps.rows] == [
        "spaxel_cuts", "one_observation", "calibrator", "reference_sample", "axis_ratio",
        "min_spaxels",
    ]  # fmt: skip


def test_own_ranges_say_so_and_recut(run):
    obs = pd.Index(run.galaxies.index)
    s = run.spaxels
    config = with_options(analysis={"oh_range": "own"})
    rows = s.index[s["plateifu"] == s["plateifu"].iloc[-1]]
    sample = select_sample(s, PG16, config, observations=obs, reference_rows=rows)
    desc = [r["description"] for r in sample.steps.rows]
    assert desc[0] == "spaxels passing every spaxel cut but the M13 range (own ranges) (§2.2)"
    assert desc[2] == "finite 12+log(O/H) and error from PG16 R (inside its validity range)"
    assert desc[3] == "the reference calibrator's final galaxies (App. B)"
    assert not sample.from_reference
    assert set(sample.spaxels["plateifu"]) == {s["plateifu"].iloc[-1]}


def test_an_empty_sample_is_refused_naming_the_calibrator(run):
    config = with_options(selection={"min_spaxels": 1000})
    with pytest.raises(ValueError, match=r"^m13: no spaxel left after the sample cuts$"):
        select_sample(run.spaxels, M13, config, observations=pd.Index(run.galaxies.index))


def test_repeat_rule_keeps_the_observation_with_most_spaxels(run):
    rep = repeat_observations(run.galaxies, rule="most_spaxels")
    assert list(rep.kept) == kept_observations(run.galaxies)
    assert rep.kept.name == "plateifu"
    assert list(rep.table.columns) == ["mangaid", "plateifu", "n_selected", "kept", "rule"]
    assert len(rep.table) == 2 and set(rep.table["rule"]) == {"most_spaxels"}
    dup = run.galaxies[run.galaxies["mangaid"].duplicated(keep=False)]
    best = dup["n_selected"].idxmax()
    assert rep.table.set_index("plateifu")["kept"].to_dict() == {p: p == best for p in dup.index}
    assert rep.table["n_selected"].tolist() == dup.sort_index()["n_selected"].tolist()
    # without n_selected every observation counts 0: the lowest plate-ifu is kept
    plain = run.galaxies.drop(columns="n_selected")
    kept = repeat_observations(plain, rule="most_spaxels").kept
    assert min(dup.index) in kept and max(dup.index) not in kept


def test_repeat_table_columns_and_integer_counts(run):
    columns = ["mangaid", "plateifu", "n_selected", "kept", "rule"]
    # without mangaid every plate-ifu is its own galaxy: an empty table, same columns
    plain = repeat_observations(run.galaxies.drop(columns="mangaid"), rule="first")
    assert list(plain.table.columns) == columns and plain.table.empty
    assert list(plain.kept) == list(run.galaxies.index)
    # counts read as floats are written as integers; without them, zeros
    floats = run.galaxies.astype({"n_selected": float})
    table = repeat_observations(floats, rule="most_spaxels").table
    assert table["n_selected"].dtype == np.int64
    table = repeat_observations(run.galaxies.drop(columns="n_selected"), rule="first").table
    assert table["n_selected"].tolist() == [0, 0] and table["n_selected"].dtype == np.int64
    assert list(table.index) == [0, 1] and set(table["rule"]) == {"first"}


def test_no_steps_yet_is_an_empty_table_with_the_columns():
    table = SampleSteps().table()
    assert table.empty and list(table.columns) == [
        "step", "description", "n_spaxels", "n_galaxies",
    ]  # fmt: skip
