"""Spearman tables and average ranks, against scipy.stats (an independent implementation)."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from metgrad.parallel import thread_pool
from metgrad.trends import average_ranks, spearman_table


def test_average_ranks_by_hand():
    # values 3, 1, 3, 2: 1 -> rank 1, 2 -> rank 2, the two 3s share ranks 3 and 4 -> 3.5
    assert_allclose(average_ranks(np.array([3.0, 1.0, 3.0, 2.0])), [3.5, 1.0, 3.5, 2.0])


def test_average_ranks_match_scipy_with_many_ties():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 50, 5000).astype(float)
    assert_allclose(average_ranks(values), stats.rankdata(values), rtol=0, atol=0)


@pytest.mark.parametrize("workers", [1, 3])
def test_spearman_table_matches_scipy(workers):
    rng = np.random.default_rng(4)
    n = 3000
    target = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "linear": 0.3 * target + rng.normal(size=n),  # finite everywhere
            "rounded": np.round(-0.5 * target + rng.normal(size=n), 1),  # ties
            "gappy": np.where(rng.random(n) < 0.2, np.nan, target**2 + rng.normal(size=n)),
            "unrelated": rng.normal(size=n),
        }
    )
    target[rng.random(n) < 0.1] = np.nan
    params = {"a": "linear", "b": "rounded", "c": "gappy", "d": "unrelated"}
    with thread_pool(workers) as pool:
        table = spearman_table(frame, target, params, pool=pool).set_index("parameter")
    for label, column in params.items():
        x = frame[column].to_numpy()
        good = np.isfinite(x) & np.isfinite(target)
        ref = stats.spearmanr(x[good], target[good])
        assert table.loc[label, "n"] == good.sum()
        assert_allclose(table.loc[label, "rho"], ref.statistic, rtol=1e-12, atol=1e-15)
        assert_allclose(table.loc[label, "p_value"], ref.pvalue, rtol=1e-9, atol=1e-300)
    assert table.loc["a", "rho"] > 0.2 and table.loc["b", "rho"] < -0.3


def test_spearman_table_too_few_pairs_and_constant_column():
    frame = pd.DataFrame({"few": [1.0, np.nan, np.nan, 2.0], "flat": [1.0, 1.0, 1.0, 1.0]})
    table = spearman_table(frame, np.array([1.0, 2.0, 3.0, 4.0]), {"f": "few", "k": "flat"})
    assert table.loc[0, "n"] == 2 and np.isnan(table.loc[0, "rho"])
    assert table.loc[1, "n"] == 4 and np.isnan(table.loc[1, "rho"])
