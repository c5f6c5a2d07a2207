"""Permutation importance: a feature the model ignores scores zero; a used one its share."""

import numpy as np
import pandas as pd

from metgrad.learn.importance import permutation_importance


class _Linear:
    """y = 0.1 a + 0.0 b: a model whose dependence is known exactly."""

    def predict(self, frame):
        return 0.1 * frame["a"].to_numpy()


def test_importances_of_a_known_model():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=20000), "b": rng.normal(size=20000)})
    y = 0.1 * frame["a"].to_numpy()  # exact: baseline dispersion 0
    rows = permutation_importance(
        _Linear(), frame, y, [("a",), ("b",), ("a", "b")], n_repeats=2, rng=rng
    )
    got = pd.DataFrame(rows).groupby("feature")["delta"].mean()
    # permuting a: residual 0.1 (a - a'), a difference of two unit normals: sigma 0.1 sqrt(2)
    assert abs(got["a"] - 0.1 * np.sqrt(2)) < 0.005
    assert got["b"] == 0.0
    assert abs(got["a+b"] - got["a"]) < 0.005
    assert frame.shape == (20000, 2) and np.isfinite(frame.to_numpy()).all()
