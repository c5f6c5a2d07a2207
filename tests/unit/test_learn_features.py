"""Feature sets and groups of correlated features."""

import numpy as np
import pandas as pd

from metgrad.learn.features import FEATURE_SETS, LOCAL, correlated_groups


def test_feature_sets_grow_as_the_issue_lists_them():
    a, b, c = FEATURE_SETS.values()
    assert a == LOCAL and set(a) < set(b) < set(c)
    assert set(b) - set(a) == {"r_re", "log_re", "log_phi_star"}
    assert set(c) - set(b) == {"v_esc"}


def test_correlated_features_are_grouped_and_independent_ones_are_not():
    rng = np.random.default_rng(0)
    x = rng.normal(size=5000)
    frame = pd.DataFrame(
        {
            "a": x,
            "b": np.exp(x) + 0.05 * rng.normal(size=5000),  # monotonic in a: Spearman ~1
            "c": rng.normal(size=5000),
            "d": -x + 0.1 * rng.normal(size=5000),
        }
    )
    assert correlated_groups(frame, ["a", "b", "c", "d"], threshold=0.7) == [("a", "b", "d")]
    assert correlated_groups(frame, ["a", "c"], threshold=0.7) == []
