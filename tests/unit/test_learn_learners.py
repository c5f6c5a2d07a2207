"""The compared models: specs, monotonic trees, binned models without extrapolation."""

import numpy as np
import pandas as pd

from metgrad.config import LearnConfig, ModelConfig
from metgrad.learn.learners import BoostedTrees, ModelSpec, build_model, model_specs


def _frame(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "log_mstar": rng.uniform(9, 11, n), "log_sigma_star": rng.uniform(7, 9, n),
        "d4000": rng.uniform(1.1, 1.6, n), "log_age_lw": rng.uniform(8, 9.5, n),
        "log_ew_ha": rng.uniform(1, 2, n), "r_re": rng.uniform(0.5, 2, n),
    })  # fmt: skip


def test_specs_in_the_issue_order_and_without_the_escape_velocity_when_absent():
    names = [s.name for s in model_specs()]
    assert names == ["base", "SFH", "learned_local", "learned_radius", "learned_potential"]
    assert "learned_potential" not in [s.name for s in model_specs(with_potential=False)]


def test_monotonic_trees_never_fall_with_mass_even_when_the_data_do():
    x = _frame()
    # a dip in O/H with mass, against the physics the constraint encodes
    y = 8.5 + 0.3 * np.sin(3 * x["log_mstar"]) + 0.05 * x["r_re"]
    config = LearnConfig(max_iter=50, min_samples_leaf=20)
    grid = x.iloc[:200].assign(r_re=1.0)  # only the mass varies along the grid
    for monotonic, must_rise in ((True, True), (False, False)):
        cfg = LearnConfig(**{**config.__dict__, "monotonic": monotonic})
        model = BoostedTrees(("log_mstar", "r_re"), cfg).fit(x, y)
        grid["log_mstar"] = np.linspace(9, 11, 200)
        rises = np.all(np.diff(model.predict(grid)) >= -1e-12)
        assert rises == must_rise


def test_binned_model_predicts_nothing_outside_its_bins():
    x = _frame()
    y = 8.4 + 0.1 * (x["log_mstar"] - 10)
    base = build_model(ModelSpec("base", "binned", ("log_mstar", "log_sigma_star")),
                       learn=LearnConfig(),
                       models=ModelConfig(base_bin_mstar=0.5, base_bin_sigma=0.5)).fit(x, y)  # fmt: skip
    far = x.iloc[:3].assign(log_mstar=12.5)
    assert np.isnan(base.predict(far)).all()
    assert np.isfinite(base.predict(x.iloc[:100])).mean() > 0.5
