"""Partial dependence of a model whose dependence is known exactly."""

import numpy as np
import pandas as pd

from metgrad.learn.dependence import feature_grids, partial_dependence


class _Model:
    """y = 0.1 a + b^2."""

    def predict(self, frame):
        return 0.1 * frame["a"].to_numpy() + frame["b"].to_numpy() ** 2


def test_partial_dependence_is_the_mean_prediction_at_each_value():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    grids = {"a": np.array([-1.0, 0.0, 2.0]), "b": np.array([0.0, 1.0]), "absent": np.ones(2)}
    rows = pd.DataFrame(partial_dependence(_Model(), frame, grids))
    a = rows[rows["feature"] == "a"]
    mean_b2 = np.mean(frame["b"] ** 2)
    np.testing.assert_allclose(a["prediction"], 0.1 * a["value"] + mean_b2)
    b = rows[rows["feature"] == "b"]
    np.testing.assert_allclose(b["prediction"], 0.1 * frame["a"].mean() + b["value"] ** 2)
    assert set(rows["feature"]) == {"a", "b"}


def test_grids_span_the_central_90_percent():
    frame = pd.DataFrame({"a": np.arange(101.0), "n": np.nan})
    grids = feature_grids(frame, ["a", "n"], points=3)
    np.testing.assert_allclose(grids["a"], [5.0, 50.0, 95.0])
    assert "n" not in grids
