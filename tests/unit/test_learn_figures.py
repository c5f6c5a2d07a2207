"""The learn figures draw from hand-made learn tables."""

import numpy as np
import pandas as pd
import pytest

from metgrad.learn import figures


@pytest.fixture
def learn_dir(tmp_path):
    rng = np.random.default_rng(0)
    models = ["base", "SFH", "learned_local", "learned_radius"]
    pd.DataFrame({"model": models, "kind": ["binned"] * 2 + ["learned"] * 2,
                  "oof_residual_dispersion": [0.04, 0.035, 0.033, 0.030]}).to_csv(
        tmp_path / "scores.csv", index=False)  # fmt: skip
    n = 60
    m, r = rng.uniform(9, 11, n), rng.normal(0.5, 0.2, n)
    size = r - 0.5
    rows = []
    for name, slope in zip(models, [-0.3, -0.3, -0.25, 0.0], strict=True):
        rows.append(pd.DataFrame({
            "plateifu": [f"1-{i}" for i in range(n)], "model": name, "fold": np.arange(n) % 5,
            "log_mstar": m, "log_re": r, "size_offset": size, "n_spaxels": 50,
            "grad_obs": -0.1 + slope * size, "grad_pred": np.full(n, -0.1),
            "offset": slope * size,
        }))  # fmt: skip
    pd.concat(rows).to_parquet(tmp_path / "galaxies.parquet")
    pd.DataFrame({"model": "learned_radius", "feature": ["r_re", "log_re", "r_re+log_re"],
                  "kind": ["feature", "feature", "group"], "importance": [0.01, 0.002, 0.012],
                  "importance_std": 0.001}).to_csv(tmp_path / "importance.csv", index=False)  # fmt: skip
    grid = np.linspace(0.5, 2, 5)
    pd.DataFrame({"model": "learned_radius", "feature": ["r_re"] * 5 + ["log_re"] * 5,
                  "value": np.r_[grid, grid / 4], "prediction": 8.5 - 0.05 * np.r_[grid, grid],
                  "prediction_std": 0.002}).to_csv(tmp_path / "partial_dependence.csv",
                                                   index=False)  # fmt: skip
    return tmp_path


def test_best_learned_model_has_the_lowest_dispersion(learn_dir):
    assert figures.best_learned_model(learn_dir) == "learned_radius"


@pytest.mark.parametrize(
    ("draw", "n_axes"),
    [
        (figures.draw_gradient_maps, 4 + 1),  # observed, base, SFH, best + colour bar
        (figures.draw_offset_maps, 3 + 1),
        (figures.draw_offset_against_size, 1),
        (figures.draw_importance, 1),
        (figures.draw_partial_dependence, 2),
    ],
)
def test_figures_draw(learn_dir, draw, n_axes):
    fig = draw(learn_dir)
    assert len(fig.axes) == n_axes


def test_offset_against_size_shows_each_model(learn_dir):
    ax = figures.draw_offset_against_size(learn_dir).axes[0]
    slopes = {}
    for line in ax.get_lines()[:4]:
        x, y = line.get_data()
        slopes[line.get_label()] = np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)[0]
    assert slopes["base"] == pytest.approx(-0.3, abs=1e-9)
    assert slopes["learned_radius"] == pytest.approx(0.0, abs=1e-9)
