"""The executor gives the same keyed results whichever backend runs the work."""

from __future__ import annotations

import pytest

from metgrad.parallel import GalaxyExecutor, open_executor


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
