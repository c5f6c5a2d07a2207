"""Every default of the paper's method, changed, changes the outcome as the paper implies.

Each case changes one option of :mod:`metgrad.config` away from Boardman et al.'s (2022)
value and re-runs only the step that uses it, on data the session has already made:

- spaxel cuts (§2.2; ``[selection]`` options fixed at ingest): one galaxy of the ingest
  survey is re-tabulated by :func:`metgrad.spaxels.spaxel_table` from its files with the
  changed cut. A stricter cut must select a strict subset, and the spaxels it drops must be
  exactly those whose quantity lies between the paper's threshold and the new one
  (computed here from the table's own columns);
- galaxy cuts and models (§2.2-3.3, §4.2): the demo run's selected spaxels go through the
  analysis steps (:mod:`metgrad.analysis`) with the changed option; a stricter galaxy cut
  drops exactly the galaxies beyond it, coarser model bins or a higher bin minimum fit fewer
  bins, a larger LOESS fraction gives smoother maps.

The BPT line itself (Kauffmann et al. 2003) is checked where the cut is made: the flag must
be the published hyperbola, evaluated here on the dust-corrected fluxes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from metgrad import calibration
from metgrad import columns as C
from metgrad.analysis.final_sample import select_final_sample
from metgrad.analysis.fit_models import fit_model_sets
from metgrad.analysis.load import load_selected_spaxels
from metgrad.analysis.massize_plane import massize_plane
from metgrad.analysis.observed import measure_observed_gradients
from metgrad.analysis.sample import repeat_observations, select_sample
from metgrad.config import RunConfig, SelectionConfig
from metgrad.galaxy import read_galaxy_files
from metgrad.io.pipe3d import read_pipe3d
from metgrad.parallel import thread_pool
from metgrad.spaxels import GalaxyInfo, spaxel_table

# ------------------------------------------------------------------ spaxel cuts (ingest)


@pytest.fixture(scope="module")
def galaxy_files(ingested_survey):
    """The ingest survey's best-sampled galaxy: its DAP and Pipe3D maps and catalogue values."""
    galaxies = pd.read_parquet(ingested_survey.run / "galaxies.parquet")
    row = galaxies[galaxies["mode"] == "full"].sort_values("n_selected").iloc[-1]
    root = ingested_survey.root
    (maps,) = root.glob(f"maps/**/manga-{row['plateifu']}-MAPS-*.fits.gz")
    (cube,) = root.glob(f"pipe3d/**/manga-{row['plateifu']}.Pipe3D.cube.fits.gz")
    info = GalaxyInfo(row["plateifu"], z=row["z"], ba=row["ba"], re_arcsec=row["re_arcsec"],
                      log_mstar=row["log_mstar"])  # fmt: skip
    dap = read_galaxy_files(maps, plateifu=row["plateifu"]).dap
    return dap, read_pipe3d(cube), info


def _min_snr(t):
    return np.min([t[f"snr_{line}"] for line in ("hb", "oiii", "nii", "ha", "oii")], axis=0)


#: (option, paper's value, stricter value, the quantity it cuts, from the table's columns)
SPAXEL_CUTS = [
    ("snr_min", 3.0, 6.0, _min_snr),
    ("ew_ha_min", 10.0, 20.0, lambda t: t["ew_ha"]),
    ("balmer_min", 2.86, 3.5, lambda t: t["balmer_ratio"]),
    ("r_re_min", 0.5, 0.8, lambda t: t["r_re"]),
    ("r_re_max", 2.0, 1.5, lambda t: t["r_re"]),
    ("d4000_max", 2.0, 1.35, lambda t: t["d4000"]),
    ("oh_m13_min", 8.17, 8.42, lambda t: t["oh_m13"]),
    ("oh_m13_max", 8.77, 8.49, lambda t: t["oh_m13"]),
]


@pytest.mark.parametrize(("option", "paper", "stricter", "quantity"), SPAXEL_CUTS,
                         ids=[c[0] for c in SPAXEL_CUTS])  # fmt: skip
def test_a_stricter_spaxel_cut_drops_exactly_the_spaxels_between_the_thresholds(
    galaxy_files, option, paper, stricter, quantity
):
    dap, pipe3d, info = galaxy_files
    assert getattr(SelectionConfig(), option) == paper  # the paper's value is the default
    before = spaxel_table(dap, info, pipe3d).columns
    changed = SelectionConfig(**{option: stricter})
    after = spaxel_table(dap, info, pipe3d, selection=changed).columns
    kept, now = before["selected"], after["selected"]
    assert not (now & ~kept).any()  # stricter: a subset
    dropped = kept & ~now
    assert dropped.sum() >= 5, f"{option}: the change must matter on this galaxy"
    value = np.asarray(quantity(before))
    low, high = sorted((paper, stricter))
    between = (value >= low) & (value <= high)
    # the spaxels that go are the selected ones between the thresholds (equality at either
    # threshold depends on the cut's inclusive side, so it is left out of the comparison)
    strict = (value > low) & (value < high)
    assert (dropped <= between).all()
    assert (dropped[kept & strict] == True).all()  # noqa: E712


def test_bpt_flag_is_the_kauffmann_line_on_dust_corrected_ratios(ingested_survey):
    tables = sorted((ingested_survey.run / "spaxels").glob("*.parquet"))
    t = pd.concat([pd.read_parquet(f, columns=["corr_nii", "corr_ha", "corr_oiii", "corr_hb",
                                               "ok_bpt"]) for f in tables])  # fmt: skip
    good = (t[["corr_nii", "corr_ha", "corr_oiii", "corr_hb"]] > 0).all(axis=1).to_numpy()
    t = t[good]
    x = np.log10(t["corr_nii"] / t["corr_ha"]).to_numpy()
    y = np.log10(t["corr_oiii"] / t["corr_hb"]).to_numpy()
    kauffmann = (x < 0.05) & (y < 0.61 / (x - 0.05) + 1.3)  # Kauffmann et al. 2003, eq. 1
    assert (~kauffmann).sum() >= 20 and kauffmann.sum() >= 20
    np.testing.assert_array_equal(t["ok_bpt"].to_numpy(), kauffmann)


# ------------------------------------------------------------ galaxy cuts and models


@pytest.fixture(scope="module")
def analysis_inputs(demo_run):
    """The demo run's selected spaxels and the paper's steps 1-5 on them (M13)."""
    spaxels, galaxies = load_selected_spaxels(demo_run.run, calibrators=("m13",))
    config = RunConfig()
    repeats = repeat_observations(galaxies, rule=config.analysis.repeat_rule)
    return spaxels, repeats.kept


def _steps(inputs, config: RunConfig, *, upto: str):
    spaxels, kept = inputs
    cal = calibration.get("m13")
    out = {"sample": select_sample(spaxels, cal, config, observations=kept)}
    if upto == "sample":
        return out
    with thread_pool(1) as pool:
        out["observed"] = measure_observed_gradients(out["sample"], config, pool=pool)
        if upto == "observed":
            return out
        s = out["observed"].sample
        out["fitted"] = fit_model_sets(s.spaxels, cal.oh_column, config, pool=pool)
    out["final"] = select_final_sample(s, out["fitted"], config)
    return out


def _with(section: str, **changes) -> RunConfig:
    config = RunConfig()
    return dataclasses.replace(config, **{section: dataclasses.replace(
        getattr(config, section), **changes)})  # fmt: skip


def _galaxies(out, step):
    if step == "sample":
        frame = out["sample"].spaxels
    elif step == "observed":
        frame = out["observed"].sample.spaxels
    else:
        frame = out["observed"].sample.spaxels.loc[out["final"].rows]
    return frame


#: (option, stricter value, step, per-galaxy value it cuts, keep-if predicate)
GALAXY_CUTS = [
    ("ba_min", 0.8, "sample", lambda f, o: f.groupby(C.PLATEIFU)[C.BA].first(),
     lambda v, cut: v >= cut),
    ("min_spaxels", 400, "sample", lambda f, o: f.groupby(C.PLATEIFU).size(),
     lambda v, cut: v >= cut),
    ("gradient_err_max", 0.003, "observed", lambda f, o: o["observed"].gradients["slope_err"],
     lambda v, cut: v <= cut),
    ("log_mstar_min", 10.0, "final", lambda f, o: f.groupby(C.PLATEIFU)[C.LOG_MSTAR].first(),
     lambda v, cut: v >= cut),
]  # fmt: skip


@pytest.mark.parametrize(("option", "stricter", "step", "value", "keeps"), GALAXY_CUTS,
                         ids=[c[0] for c in GALAXY_CUTS])  # fmt: skip
def test_a_stricter_galaxy_cut_drops_exactly_the_galaxies_beyond_it(
    analysis_inputs, option, stricter, step, value, keeps
):
    paper = _steps(analysis_inputs, RunConfig(), upto=step)
    changed = _steps(analysis_inputs, _with("selection", **{option: stricter}), upto=step)
    before = set(_galaxies(paper, step)[C.PLATEIFU])
    after = set(_galaxies(changed, step)[C.PLATEIFU])
    assert after < before, f"{option}: stricter must remove galaxies"
    values = value(_galaxies(paper, step), paper)
    expected = {g for g in before if keeps(values[g], stricter)}
    assert after == expected


@pytest.mark.parametrize(
    ("changes", "model"),
    [({"base_min_count": 40}, "base"), ({"base_bin_mstar": 0.2, "base_bin_sigma": 0.2}, "base"),
     ({"corr2d_min_count": 40}, "SFH")],
    ids=["base_min_count", "base_bin_width", "corr2d_min_count"],
)  # fmt: skip
def test_coarser_or_emptier_model_bins_fit_fewer_bins(analysis_inputs, changes, model):
    paper = _steps(analysis_inputs, RunConfig(), upto="final")["fitted"]
    changed = _steps(analysis_inputs, _with("models", **changes), upto="final")["fitted"]
    assert changed.n_params[model] < paper.n_params[model]
    if "base_min_count" in changes:  # fewer occupied bins: fewer spaxels with a prediction
        finite = [np.isfinite(f.pair("base")[0]).sum() for f in (paper, changed)]
        assert finite[1] < finite[0]


def test_a_larger_loess_fraction_smooths_the_mass_size_maps(demo_run):
    analysis = demo_run.run / "analysis" / "m13"
    galaxies = pd.read_parquet(analysis / "galaxies.parquet").set_index(C.PLATEIFU)
    spaxels = pd.read_parquet(analysis / "spaxels.parquet")
    spaxels = spaxels[spaxels["final"]]
    spread = {}
    for frac in (0.2, 0.6):
        config = _with("massize", loess_frac=frac)
        with thread_pool(1) as pool:
            plane = massize_plane(galaxies, spaxels, "oh_m13", config, pool=pool)
        spread[frac] = np.nanstd(plane.galaxies[C.loess("grad_obs")])
    assert RunConfig().massize.loess_frac == 0.2
    assert spread[0.6] < spread[0.2]
