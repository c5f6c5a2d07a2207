"""The analysis steps on small hand-made inputs: repeat observations, azimuthal gradients,
sample steps, the whole-folder writer, the run layout."""

import numpy as np
import pandas as pd
import pytest

from metgrad.analysis.azimuthal import azimuthal_gradients
from metgrad.analysis.sample import SampleSteps, repeat_observations
from metgrad.analysis.write import replace_folder
from metgrad.layout import ANALYSIS_FILES, RunLayout


def galaxies_table():
    # 12345-A observed twice (8000-1 with 30 selected spaxels, 9000-2 with 50), 12345-B once,
    # 12345-C twice with equal counts (ties go to the lowest plate-ifu)
    return pd.DataFrame(
        {
            "plateifu": ["8000-1", "9000-2", "8000-3", "8100-1", "8000-9"],
            "mangaid": ["12345-A", "12345-A", "12345-B", "12345-C", "12345-C"],
            "n_selected": [30, 50, 40, 25, 25],
        }
    ).set_index("plateifu")


def test_repeat_observations_keep_the_best_sampled_one():
    rep = repeat_observations(galaxies_table(), rule="most_spaxels")
    assert list(rep.kept) == ["8000-3", "8000-9", "9000-2"]
    table = rep.table.set_index("plateifu")
    assert set(table.index) == {"8000-1", "9000-2", "8000-9", "8100-1"}  # repeats only
    assert table.loc["9000-2", "kept"] and not table.loc["8000-1", "kept"]
    assert table.loc["8000-9", "kept"] and not table.loc["8100-1", "kept"]  # tie: lowest name


def test_repeat_observations_first_rule_and_no_mangaid():
    rep = repeat_observations(galaxies_table(), rule="first")
    assert list(rep.kept) == ["8000-1", "8000-3", "8000-9"]
    plain = galaxies_table().drop(columns="mangaid")
    rep = repeat_observations(plain, rule="most_spaxels")
    assert list(rep.kept) == list(plain.index) and rep.table.empty


def test_azimuthal_gradient_of_an_exact_line_is_its_slope():
    # spaxels on 12+log(O/H) = 8.7 - 0.1 R/Re: every annulus mean lies on the line
    rng = np.random.default_rng(3)
    r = rng.uniform(0.5, 2.0, 400)
    slope = azimuthal_gradients(["g"] * r.size, r, 8.7 - 0.1 * r, width=0.1)
    assert slope.loc["g"] == pytest.approx(-0.1, abs=1e-12)


def test_azimuthal_gradient_by_hand():
    # two spaxels per annulus: annuli [0.5,0.6) mean (0.55, 8.60); [0.6,0.7) mean
    # (0.65, 8.50); [0.7,0.8) mean (0.75, 8.46). LAD through three points: the line
    # through two of them with the smallest total absolute deviation. Through the
    # first and third: slope (8.46 - 8.60) / 0.2 = -0.7, at 0.65 it gives 8.53 (|dev|
    # 0.03); through the first two: -1.0 (dev at 0.75: 8.40 vs 8.46, 0.06); through the
    # last two: -0.4 (dev at 0.55: 8.54 vs 8.60, 0.06). So -0.7.
    r = [0.52, 0.58, 0.61, 0.69, 0.71, 0.79]
    oh = [8.58, 8.62, 8.49, 8.51, 8.45, 8.47]
    slope = azimuthal_gradients(["g"] * 6, r, oh, width=0.1, r_min=0.5)
    assert slope.loc["g"] == pytest.approx(-0.7, abs=1e-9)
    # fewer occupied annuli than min_annuli: no gradient
    assert np.isnan(azimuthal_gradients(["g"] * 2, r[:2], oh[:2]).loc["g"])


def test_sample_steps_are_immutable_records():
    a = SampleSteps().add("one", "first step", np.array(["g1", "g1", "g2"]))
    b = a.add("two", "second step", np.array(["g1"]))
    assert len(a.rows) == 1 and len(b.rows) == 2
    assert b.count("one") == 2 and b.count("one", "n_spaxels") == 3 and b.count("two") == 1


def test_replace_folder_is_whole_or_nothing(tmp_path):
    target = tmp_path / "m13"
    replace_folder(target, lambda d: (d / "a.csv").write_text("new"))
    assert (target / "a.csv").read_text() == "new"

    def fails(d):
        (d / "a.csv").write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        replace_folder(target, fails)
    assert (target / "a.csv").read_text() == "new"  # the old result stands
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m13"]  # no temporary left
    replace_folder(target, lambda d: (d / "b.csv").write_text("b"))
    assert sorted(p.name for p in target.iterdir()) == ["b.csv"]  # no stale file kept


def test_run_layout_names_every_file_once(tmp_path):
    layout = RunLayout(tmp_path)
    a = layout.analysis("m13")
    paths = [getattr(a, key) for key in ANALYSIS_FILES]
    assert len(set(paths)) == len(paths)
    assert all(p.parent == tmp_path / "analysis" / "m13" for p in paths)
    assert layout.spaxel_table("1-2") == tmp_path / "spaxels" / "1-2.parquet"
    assert layout.analysed_calibrators() == []
    a.dir.mkdir(parents=True)
    a.summary.write_text("{}")
    assert layout.analysed_calibrators() == ["m13"]


def test_check_analysis_refuses_folders_of_another_analysis(tmp_path):
    import json

    from metgrad.results import check_analysis

    layout = RunLayout(tmp_path)
    for key, chash in (("m13", "aaa"), ("pg16", "aaa")):
        layout.analysis(key).dir.mkdir(parents=True)
        layout.analysis(key).summary.write_text(json.dumps({"config_hash": chash}))
    layout.analysis_manifest.write_text(json.dumps({"config_hash": "aaa"}))
    assert check_analysis(layout)["config_hash"] == "aaa"
    layout.analysis("pg16").summary.write_text(json.dumps({"config_hash": "bbb"}))
    with pytest.raises(ValueError, match=r"pg16: made with configuration bbb.*re-run"):
        check_analysis(layout)
    layout.analysis_manifest.write_text("{not json")
    with pytest.raises(ValueError, match="not a readable analysis manifest"):
        check_analysis(layout)


def test_a_model_set_that_cannot_be_fitted_is_left_out():
    """In a tiny sample a 2-D correction may have no bin of 10 spaxels: that set is
    reported and left out of the metrics, the others (base, SFH) go on."""
    from metgrad.analysis.fit_models import fit_model_sets
    from metgrad.analysis.metrics import model_tables
    from metgrad.config import RunConfig
    from metgrad.parallel import thread_pool

    rng = np.random.default_rng(8)
    n = 3000
    frame = pd.DataFrame({
        "log_mstar": rng.choice([9.52, 10.02, 10.52], n), "log_sigma_star": rng.uniform(7, 9, n),
        "d4000": rng.choice([1.205, 1.305, 1.405], n),
        "log_age_lw": rng.choice([8.61, 9.01, 9.41], n),
        "log_ew_ha": rng.uniform(1.0, 2.0, n),
    })  # fmt: skip
    # every spaxel in an EW(Halpha) bin of its own: no bin of the EW_Ha and SFH_Ha
    # corrections reaches its minimum count; base and SFH do not use EW(Halpha)
    frame.loc[:, "log_ew_ha"] = 0.5 + 0.2 * np.arange(n)
    frame["oh"] = 8.5 + 0.1 * (frame["log_mstar"] - 10) + rng.normal(0, 0.02, n)
    with thread_pool(1) as pool:
        fitted = fit_model_sets(frame, "oh", RunConfig(), pool=pool)
    assert set(fitted.failed) == {"EW_Ha", "SFH_Ha"}
    assert "no ('log_ew_ha', 'log_age_lw') bin" in fitted.failed["SFH_Ha"] or (
        "log_ew_ha" in fitted.failed["SFH_Ha"]
    )
    assert {"base", "SFH"} <= set(fitted.models) and np.isnan(fitted.pair("SFH_Ha")[0]).all()
    tables = model_tables(frame["oh"].to_numpy(), np.full(n, 0.02), fitted)
    assert "SFH_Ha" not in tables.all_models.index and "EW_Ha" not in tables.table1.index
    assert {"base", "SFH", "D4000"} <= set(tables.table1.index)
