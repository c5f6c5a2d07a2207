"""The executor gives the same keyed results whichever backend runs the work."""

from __future__ import annotations

import itertools

import pytest

from metgrad.parallel import GalaxyExecutor, _run_chunk, dask_chunk_sizes, open_executor


def _square_plus_key(item):
    key, value = item
    return f"{key}:{value * value}"


ITEMS = [(f"g{i}", (f"g{i}", i)) for i in range(7)]
EXPECTED = {f"g{i}": f"g{i}:{i * i}" for i in range(7)}


def test_choice_of_backend():
    assert open_executor(workers=1).backend == "serial"
    assert open_executor(workers=2).backend == "processes"
    assert open_executor(workers=2, scheduler="local").backend == "dask"
    with pytest.raises(ValueError, match="workers must be a non-negative integer"):
        open_executor(workers=-1)
    with pytest.raises(ValueError, match="backend must be"):
        GalaxyExecutor("threads")


@pytest.mark.parametrize("kwargs", [{"workers": 1}, {"workers": 2}])
def test_local_backends_agree(kwargs):
    with open_executor(**kwargs) as ex:
        got = dict(ex.imap_unordered(_square_plus_key, ITEMS))
    assert got == EXPECTED


def test_dask_local_cluster_agrees():
    pytest.importorskip("dask.distributed")
    with open_executor(workers=2, scheduler="local") as ex:
        got = dict(ex.imap_unordered(_square_plus_key, ITEMS))
    assert got == EXPECTED


def _fail_on_13(item):
    key, value = item
    if value == 13:
        raise ValueError(f"{key} is unlucky")
    return f"{key}:{value * value}"


def test_dask_chunk_sizes_shrink_to_single_items():
    # worked by hand: each task takes ceil(remaining / (4 rounds * 2 workers)) items, <= 16
    assert dask_chunk_sizes(100, 2) == [13, 11, 10, 9, 8, 7, 6, 5, 4, 4, 3, 3, 3,
                                        2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]  # fmt: skip
    assert dask_chunk_sizes(10, 2) == [2] + [1] * 8
    assert dask_chunk_sizes(3, 2) == [1, 1, 1]
    assert dask_chunk_sizes(0, 2) == []
    big = dask_chunk_sizes(10_000, 2)
    assert sum(big) == 10_000 and max(big) == 16 and big[-8:] == [1] * 8
    assert all(a >= b for a, b in itertools.pairwise(big))
    assert dask_chunk_sizes(100, 2, rounds=1, most=100)[:3] == [50, 25, 13]
    with pytest.raises(ValueError, match="n_workers"):
        dask_chunk_sizes(10, 0)


def test_run_chunk_keeps_results_beside_an_error():
    out = _run_chunk(_fail_on_13, [("a", 2), ("b", 13), ("c", 3)])
    assert out[0] == (True, "a:4") and out[2] == (True, "c:9")
    assert out[1][0] is False and str(out[1][1]) == "b is unlucky"


def test_dask_chunks_give_every_result_and_each_error():
    pytest.importorskip("dask.distributed")
    items = [(f"g{i}", (f"g{i}", i)) for i in range(100)]  # chunks of 3 on 2 workers
    with open_executor(workers=2, scheduler="local") as ex:
        got = dict(ex.imap_unordered(_square_plus_key, items))
        assert got == {f"g{i}": f"g{i}:{i * i}" for i in range(100)}
        seen = {}
        with pytest.raises(ValueError, match="g13 is unlucky"):
            for key, value in ex.imap_unordered(_fail_on_13, items):
                seen[key] = value
    assert all(seen[k] == f"{k}:{int(k[1:]) ** 2}" for k in seen)
