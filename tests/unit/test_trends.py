"""Spearman tables and average ranks, against scipy.stats (an independent implementation)."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from metgrad.parallel import thread_pool
from metgrad.trends import ColumnOrders, average_ranks, spearman_table


def test_average_ranks_by_hand():
    # values 3, 1, 3, 2: 1 -> rank 1, 2 -> rank 2, the two 3s share ranks 3 and 4 -> 3.5
    assert_allclose(average_ranks(np.array([3.0, 1.0, 3.0, 2.0])), [3.5, 1.0, 3.5, 2.0])


def test_average_ranks_match_scipy_with_many_ties():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 50, 5000).astype(float)
    assert_allclose(average_ranks(values), stats.rankdata(values), rtol=0, atol=0)


def test_column_orders_rank_any_subset_as_scipy_does():
    rng = np.random.default_rng(5)
    n = 4000
    values = np.round(rng.normal(size=n), 1)  # many ties
    values[rng.random(n) < 0.05] = np.nan
    labels = rng.permutation(10 * n)[:n]  # index labels that are not positions
    frame = pd.DataFrame({"v": values}, index=labels)
    orders = ColumnOrders(frame)
    for _trial in range(3):
        keep = np.isfinite(values) & (rng.random(n) < 0.6)
        rows = frame.index[keep][rng.permutation(int(keep.sum()))]  # any order of the rows
        assert_allclose(orders.ranks("v", rows), stats.rankdata(frame.loc[rows, "v"]),
                        rtol=0, atol=0)  # fmt: skip
    with pytest.raises(ValueError, match="not in the table"):
        orders.ranks("v", pd.Index([-1]))
    with pytest.raises(ValueError, match="repeated"):
        orders.ranks("v", frame.index[[0, 0]])


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("shared_orders", [False, True])
def test_spearman_table_matches_scipy(workers, shared_orders):
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
    orders = None
    if shared_orders:  # the frame as a subset of a larger table, ranked through its orders
        extra = pd.DataFrame(rng.normal(size=(500, 4)), columns=frame.columns)
        whole = pd.concat([extra, frame], ignore_index=True).sample(frac=1.0, random_state=1)
        frame.index = frame.index + len(extra)
        orders = ColumnOrders(whole)
    with thread_pool(workers) as pool:
        table = spearman_table(frame, target, params, pool=pool, orders=orders)
    table = table.set_index("parameter")
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
