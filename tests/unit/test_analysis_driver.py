"""analyse_run end to end on the synthetic run (about 2 s per analysis of three calibrators),
and the driver's parts: configuration checks, calibrator keys, lanes and the step clock."""

import json
import re
import shutil
import threading

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from analysis_synthetic import build, write_run_folder

from metgrad.analysis import driver
from metgrad.analysis.driver import analyse_run
from metgrad.analysis.sample import SampleSteps
from metgrad.analysis.write import SPAXEL_OUTPUT_COLUMNS
from metgrad.config import RunConfig, config_from_dict
from metgrad.layout import ANALYSIS_FILES, RunLayout
from metgrad.parallel import SerialPool
from mutant_runs import mutmut_phase

#: The analysis options of the tiny run: ten refits, wide model bins with small counts, and
#: one-dimensional corrections needing more spaxels than any bin has (D4000 and EW_Ha
#: cannot be fitted, as in a very small survey).
CONFIG = {
    "gradients": {"n_bootstrap": 10, "n_noise": 10},
    "models": {
        "base_bin_mstar": 0.5, "base_bin_sigma": 0.3, "base_min_count": 5,
        "corr1d_min_count": 1000, "d4000_bin": 0.2, "log_ew_bin": 0.3, "sfh_bin_d4000": 0.2,
        "sfh_bin_log_ew": 0.3, "sfh_bin_log_age": 0.3, "corr2d_min_count": 5,
    },
    "trends": {"min_count": 10, "sfr_map_min_count": 5},
}  # fmt: skip
KEYS = ["m13", "m13_n2", "pg16"]
#: The binned trends and maps of analysis/relations.py, one file each.
TRENDS_AND_MAPS = [
    "trend_d4000.csv", "trend_log_ew_ha.csv", "trend_log_mstar_base.csv",
    "trend_log_mstar_sfh.csv", "trend_log_ssfr.csv", "map_base.csv", "map_sfh_correction.csv",
    "map_sfh_ha_correction.csv", "map_sigma_sfr_residual.csv",
]  # fmt: skip


@pytest.fixture(scope="module")
def synthetic():
    return build()


def _module_unless_mutating(fixture_name, config):
    """Module scope, but one run per test in mutmut's coverage run.

    mutmut first runs the tests once to learn which test calls which function
    (``MUTANT_UNDER_TEST`` is ``"stats"`` then) and credits what a module fixture calls to
    the first test that uses it only, so the other tests reading the analysed run would never
    be run against the driver's mutants. When mutmut then runs a mutant's tests, module scope
    builds the run once, with the mutant active, for all of them (one run per test there cost
    four analyses before every test of every stats and analysis mutant they cover).
    """
    return "function" if mutmut_phase() == "stats" else "module"


@pytest.fixture(scope=_module_unless_mutating)
def analysed(tmp_path_factory, synthetic):
    """The run analysed once, serially, with the configuration its manifest records."""
    folder = write_run_folder(tmp_path_factory.mktemp("driver") / "run", synthetic, config=CONFIG)
    lines = []
    summaries = analyse_run(folder, calibrators="all", say=lambda s: lines.append(
        (threading.current_thread().name, s)))  # fmt: skip
    return folder, summaries, lines


def expected_final_galaxies(synthetic):
    """The final galaxies by hand: one observation per target (most spaxels), b/a >= 0.6,
    >= 20 spaxels, observed gradient error <= 0.1 (only the noisy galaxy spanning 0.5-0.6
    R_e fails it), log M* >= 8.9."""
    g = synthetic.galaxies
    best = g.sort_values(["mangaid", "n_selected"], ascending=[True, False])
    kept = best[~best["mangaid"].duplicated()]
    kept = kept[(kept["ba"] >= 0.6) & (kept["n_selected"] >= 20) & (kept["log_mstar"] >= 8.9)]
    noisy = synthetic.truth.index[synthetic.truth["r_max"] < 1]
    return sorted(set(kept.index) - set(noisy))


def test_every_file_of_every_calibrator_is_written(analysed, synthetic):
    folder, summaries, _ = analysed
    layout = RunLayout(folder)
    assert list(summaries) == KEYS
    final = expected_final_galaxies(synthetic)
    for key in KEYS:
        out = layout.analysis(key)
        names = sorted(p.name for p in out.dir.iterdir())
        assert names == sorted([*ANALYSIS_FILES.values(), *TRENDS_AND_MAPS])
        assert json.loads(out.summary.read_text()) == json.loads(json.dumps(summaries[key]))
        galaxies = pd.read_parquet(out.galaxies)
        assert sorted(galaxies["plateifu"]) == final
        assert pd.read_csv(out.galaxies_csv)["plateifu"].tolist() == galaxies["plateifu"].tolist()
        assert summaries[key]["n_galaxies_final"] == len(final)
        spaxels = pq.read_table(out.spaxels)
        meta = spaxels.schema.metadata
        assert meta[b"metgrad.calibrator"] == key.encode()
        assert meta[b"metgrad.seed"] == str(summaries[key]["seed"]).encode()
        assert meta[b"metgrad.config_hash"] == summaries[key]["config_hash"].encode()
        assert json.loads(meta[b"metgrad.versions"]) == summaries[key]["versions"]
        versions = json.loads(meta[b"metgrad.versions"], object_pairs_hook=list)
        assert [k for k, _ in versions] == sorted(summaries[key]["versions"])  # reproducible
        galaxy_meta = pq.read_schema(out.galaxies).metadata
        assert {k: galaxy_meta[k] for k in meta} == meta
        names = spaxels.column_names
        assert names[: len(SPAXEL_OUTPUT_COLUMNS)] == list(SPAXEL_OUTPUT_COLUMNS)
        assert names[len(SPAXEL_OUTPUT_COLUMNS) : len(SPAXEL_OUTPUT_COLUMNS) + 2] == [
            f"oh_{key}", f"oh_{key}_err",
        ]  # fmt: skip
        assert names[-1] == "final" and "pred_SFH" in names and "err_base" in names
        table = spaxels.to_pandas()
        assert table["final"].sum() == summaries[key]["n_spaxels_final"]
        assert sorted(set(table.loc[table["final"], "plateifu"])) == final
        steps = pd.read_csv(out.sample_steps)
        assert steps.to_dict("records") == summaries[key]["sample_steps"]
        assert pd.read_csv(out.repeats)["plateifu"].nunique() == 2
    # the secondaries take the reference's final spaxels (PG16: less its NaNs)
    m13 = pd.read_parquet(layout.analysis("m13").spaxels)
    n2 = pd.read_parquet(layout.analysis("m13_n2").spaxels)
    pg16 = pd.read_parquet(layout.analysis("pg16").spaxels)
    reference = m13[m13["final"]]
    assert np.allclose(n2["oh_m13_n2"], reference["oh_m13"].to_numpy() + 0.02)
    pg16_of = synthetic.spaxels.set_index(["plateifu", "r_re"])["oh_pg16"]
    wanted = pg16_of.reindex(pd.MultiIndex.from_frame(reference[["plateifu", "r_re"]])).dropna()
    assert list(zip(pg16["plateifu"], pg16["r_re"], strict=True)) == list(wanted.index)
    assert np.allclose(pg16["oh_pg16"], wanted.to_numpy())
    assert pg16["final"].all() and n2["final"].all()
    # taken whole from the reference: not cut again (no final gradient-error re-check)
    for key in ("m13_n2", "pg16"):
        assert [r["step"] for r in summaries[key]["sample_steps"]] == [
            "spaxel_cuts", "one_observation", "calibrator", "reference_sample", "final",
        ]  # fmt: skip


def test_the_comparison_and_the_manifest(analysed):
    folder, summaries, _ = analysed
    layout = RunLayout(folder)
    manifest = json.loads(layout.analysis_manifest.read_text())
    assert manifest["stage"] == "analyse" and manifest["calibrators"] == KEYS
    recorded = {k: v for k, v in manifest["config"].items() if k not in ("inputs", "output")}
    assert config_from_dict(recorded) == config_from_dict(CONFIG)
    assert manifest["config"] == config_from_dict(CONFIG).to_dict()
    assert manifest["config_hash"] == summaries["m13"]["config_hash"]
    assert manifest["versions"] == summaries["m13"]["versions"]
    assert 0 < manifest["elapsed_s"] < 600
    gradients = pd.read_parquet(layout.gradients_by_calibrator)
    assert "plateifu" in gradients.columns
    table1 = pd.read_csv(layout.table1_by_calibrator)
    assert set(table1["calibrator"]) == set(KEYS)
    assert len(pd.read_csv(layout.calibrator_comparison)) > 0


def test_progress_lines_name_each_step(analysed):
    _, summaries, lines = analysed
    texts = [text for _, text in lines]
    assert len(texts) == 15
    pattern = r"^      (m13|m13_n2|pg16): (.+) \(\d+\.\d s\)$"
    assert all(re.match(pattern, t) for t in texts)
    m13 = [re.match(pattern, t).group(2) for t in texts if t.startswith("      m13: ")]
    steps = summaries["m13"]["sample_steps"]
    by = {r["step"]: f"{r['n_galaxies']} galaxies, {r['n_spaxels']} spaxels" for r in steps}
    assert m13 == [
        f"sample: {by['min_spaxels']}",
        f"observed gradients: {by['gradient_error']}",
        "5 model sets fitted (not fitted: D4000, EW_Ha)",
        f"final and model gradients: {by['final_gradient_error']}",
        "mass-size plane, correlations and trends",
    ]
    # by default one thread: every line from the caller's thread, in the order reference,
    # then the others
    assert {name for name, _ in lines} == {threading.current_thread().name}
    assert [t.split(":")[0].strip() for t in texts[::5]] == KEYS


class StartThenLater:
    """A clock read first at 100 s, then always at 101.23456 s."""

    def __init__(self):
        self.calls = 0

    def perf_counter(self):
        self.calls += 1
        return 100.0 if self.calls == 1 else 101.23456


def test_lanes_give_the_files_of_a_serial_run(analysed, synthetic, tmp_path, monkeypatch):
    serial = RunLayout(analysed[0])
    folder = write_run_folder(tmp_path / "run", synthetic, config=CONFIG)
    monkeypatch.setattr(driver, "time", StartThenLater())
    names = []
    analyse_run(folder, calibrators=("pg16", "m13_n2"), config=config_from_dict(CONFIG),
                workers=2, say=lambda s: names.append(threading.current_thread().name))  # fmt: skip
    # the two secondaries ran on the two calibrator lanes
    assert sum(n.startswith("metgrad-calibrator") for n in names) == 10
    lanes = RunLayout(folder)
    for key in KEYS:
        for path in sorted(serial.analysis(key).dir.iterdir()):
            other = lanes.analysis(key).dir / path.name
            if path.suffix == ".parquet":
                pd.testing.assert_frame_equal(pd.read_parquet(path), pd.read_parquet(other))
            else:
                assert path.read_bytes() == other.read_bytes(), path.name
    # the manifest records the analysis's wall time, in seconds to the millisecond
    assert json.loads(lanes.analysis_manifest.read_text())["elapsed_s"] == 1.235
    for name in ("calibrators.csv", "table1_calibrators.csv"):
        assert (serial.analysis_dir / name).read_bytes() == (
            lanes.analysis_dir / name
        ).read_bytes()


def test_a_different_spaxel_level_option_is_refused(tmp_path, synthetic):
    folder = write_run_folder(
        tmp_path / "run", synthetic, calibrators=("m13",),
        config={"selection": {"snr_min": 5.0, "ew_ha_min": 6.0}},
    )  # fmt: skip
    manifest = folder / "manifest.json"
    message = (
        f"{manifest}: the run was ingested with other spaxel-level options "
        "(selection.snr_min = 5.0 -> 3.0; selection.ew_ha_min = 6.0 -> 10.0); "
        "re-ingest with them (`metgrad ingest`) to apply them"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        analyse_run(folder, config=RunConfig())


def test_the_recorded_configuration_without_inputs_and_output(tmp_path):
    layout = RunLayout(tmp_path)
    assert driver._run_config(layout) == RunConfig()
    assert driver._checked_config(layout, None) == RunConfig()
    other = config_from_dict({"selection": {"snr_min": 1.0}})
    assert driver._checked_config(layout, other) is other  # no manifest: nothing to check
    recorded = {
        "inputs": {"drpall": 3}, "output": {"dir": 5},  # not valid here: must be left out
        "gradients": {"n_bootstrap": 17}, "selection": {"snr_min": 4.0},
    }  # fmt: skip
    layout.manifest.write_text(json.dumps({"config": recorded}))
    config = driver._run_config(layout)
    assert config.gradients.n_bootstrap == 17 and config.selection.snr_min == 4.0
    assert driver._checked_config(layout, None) == config
    same = config_from_dict({"selection": {"snr_min": 4.0}, "gradients": {"n_bootstrap": 30}})
    assert driver._checked_config(layout, same) is same


def test_calibrator_keys_reference_first_and_present():
    layout = RunLayout("run")
    config = RunConfig()
    present = ["m13", "m13_n2", "pg16"]
    keys = driver._calibrator_keys
    assert keys(None, config, present, layout) == ("m13", "pg16")
    assert keys("all", config, present, layout) == ("m13", "m13_n2", "pg16")
    assert keys(("all",), config, present, layout) == ("m13", "m13_n2", "pg16")
    assert keys(("pg16",), config, present, layout) == ("m13", "pg16")
    assert keys("PG16_R", config, present, layout) == ("m13", "pg16")
    message = (
        "run/spaxels: no metallicities of m13_n2, pg16 in the spaxel tables (their lines are "
        "missing from the MAPS files, or the run predates them: re-ingest); present: m13"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        keys(("pg16", "m13_n2"), config, ["m13"], layout)
    with pytest.raises(ValueError, match=r"of m13, pg16 in the spaxel tables .*; present: none$"):
        keys(None, config, [], layout)


class FakeClock:
    def __init__(self, *times):
        self.times = iter(times)

    def perf_counter(self):
        return next(self.times)


def test_step_clock_lines(monkeypatch):
    monkeypatch.setattr(driver, "time", FakeClock(10.0, 12.34, 12.5, 20.0, 0.0, 1.0))
    lines = []
    clock = driver._StepClock("pg16", lines.append)
    steps = SampleSteps().add("a", "first", ["x", "x", "y"]).add("b", "second", ["y", "y"])
    clock.done("sample", steps)
    clock.done("fitted")
    clock.done("empty", SampleSteps())
    assert lines == [
        "      pg16: sample: 1 galaxies, 2 spaxels (2.3 s)",
        "      pg16: fitted (0.2 s)",
        "      pg16: empty (7.5 s)",
    ]
    silent = driver._StepClock("m13", None)
    silent.done("x")  # nothing said, nothing raised


def test_calibrator_lanes():
    class Pool:
        workers = 4

    assert isinstance(driver._calibrator_lanes(Pool(), 1), SerialPool)
    assert isinstance(driver._calibrator_lanes(SerialPool(), 3), SerialPool)
    assert isinstance(driver._calibrator_lanes(object(), 3), SerialPool)
    with driver._calibrator_lanes(Pool(), 5) as lanes:
        names = set(lanes.map(lambda _: threading.current_thread().name, range(40)))
    assert names and all(n.startswith("metgrad-calibrator") for n in names)
    assert len({threading.current_thread().name} | names) >= 2
    assert lanes._max_workers == 2


def test_unknown_run_folder_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="not an ingested run"):
        analyse_run(tmp_path / "nothing", config=RunConfig())
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_calibrator_with_every_model_set_fitted_says_so(synthetic):
    from metgrad import calibration
    from metgrad.analysis.driver import analyse_calibrator
    from metgrad.analysis.sample import repeat_observations

    options = {**CONFIG, "models": {**CONFIG["models"], "corr1d_min_count": 10}}
    s = synthetic.spaxels
    rows = s.index[s["plateifu"].isin(expected_final_galaxies(synthetic))]
    lines = []
    result = analyse_calibrator(
        s, calibration.get("m13_n2"), config_from_dict(options),
        repeats=repeat_observations(synthetic.galaxies, rule="most_spaxels"),
        reference_rows=rows, pool=SerialPool(), say=lines.append,
    )  # fmt: skip
    assert re.fullmatch(r"      m13_n2: 7 model sets fitted \(\d+\.\d s\)", lines[2])
    assert len(result.fitted.models) == 7 and not result.fitted.failed
    assert list(result.gradients.final.rows) == list(rows)


def test_another_reference_calibrator_goes_first():
    config = config_from_dict({"analysis": {"reference_calibrator": "pg16"}})
    present = ["m13", "m13_n2", "pg16"]
    keys = driver._calibrator_keys(("m13_n2", "m13"), config, present, RunLayout("run"))
    assert keys == ("pg16", "m13", "m13_n2")
    with pytest.raises(ValueError, match=r"of c20_n2 in .*; present: m13, m13_n2, pg16$"):
        driver._calibrator_keys(("c20_n2",), config, present, RunLayout("run"))


class Stop(Exception):
    """Raised by a spy to end analyse_run once it has what it passes on."""


def test_analyse_run_passes_on_the_configured_rows_calibrators_and_rule(
    tmp_path, synthetic, monkeypatch
):
    folder = write_run_folder(tmp_path / "run", synthetic, config=CONFIG)
    seen = {}

    def load(root, **options):
        seen["load"] = (root, options)
        return synthetic.spaxels, synthetic.galaxies

    def repeats(galaxies, *, rule):
        seen["rule"] = rule
        raise Stop

    monkeypatch.setattr(driver, "load_selected_spaxels", load)
    monkeypatch.setattr(driver, "repeat_observations", repeats)
    options = {**CONFIG, "analysis": {"oh_range": "own", "repeat_rule": "first"}}
    with pytest.raises(Stop):
        analyse_run(folder, calibrators=("pg16",), config=config_from_dict(options))
    assert seen["load"] == (folder, {"calibrators": ("m13", "pg16"), "oh_range": "own"})
    assert seen["rule"] == "first"


def test_analyse_run_names_the_spaxel_folder_of_a_missing_calibrator(tmp_path, synthetic):
    folder = write_run_folder(tmp_path / "run", synthetic, config=CONFIG, calibrators=("m13",))
    message = f"{folder / 'spaxels'}: no metallicities of pg16 in the spaxel tables"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        analyse_run(folder)
