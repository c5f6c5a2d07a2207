"""The process pool loses only the item of a dead or hung worker, and its workers die with it."""

from __future__ import annotations

import os
import signal
import time

import pytest

from metgrad.parallel import LostItem, WorkerLostError, max_workers, open_executor
from metgrad.procpool import ProcessPool


def _work(item):
    """Squares, except: 'kill' kills its own process, 'hang' sleeps, 'raise' raises."""
    if item == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if item == "hang":
        time.sleep(60)
    if item == "raise":
        raise ValueError("bad item")
    return item * item


def test_a_killed_worker_loses_only_its_item():
    items = [(i, i) for i in range(6)] + [("k", "kill")] + [(i, i) for i in range(6, 10)]
    with ProcessPool(2) as pool:
        got = dict(pool.imap_unordered(_work, items))
    assert {k: v for k, v in got.items() if k != "k"} == {i: i * i for i in range(10)}
    assert got["k"] == LostItem("worker process killed by SIGKILL (out of memory?)")


def test_a_hung_item_is_stopped_at_the_time_limit():
    start = time.monotonic()
    with ProcessPool(2, time_limit=1.0) as pool:
        got = dict(pool.imap_unordered(_work, [(0, 3), (1, "hang"), (2, 4)]))
    assert got == {0: 9, 1: LostItem("stopped after the time limit of 1 s"), 2: 16}
    assert time.monotonic() - start < 20


def test_an_exception_is_raised_for_its_item():
    with ProcessPool(2) as pool, pytest.raises(ValueError, match="bad item"):
        list(pool.imap_unordered(_work, [(0, 1), (1, "raise")]))


@pytest.mark.parametrize("workers", [1, 2])
def test_executor_reports_lost_items_or_raises(workers):
    with open_executor(workers=workers, time_limit=1.0) as executor:
        got = dict(executor.imap_unordered(_work, [(0, 2), (1, "hang")], keep_lost=True))
        assert got == {0: 4, 1: LostItem("stopped after the time limit of 1 s")}
        with pytest.raises(WorkerLostError, match=r"^1: stopped after the time limit"):
            list(executor.imap_unordered(_work, [(0, 2), (1, "hang")]))


def test_workers_are_bounded():
    with pytest.raises(ValueError, match=r"--workers 100000 is more than 4 per core"):
        open_executor(workers=100000)
    assert open_executor(workers=max_workers()).workers == max_workers()


def test_workers_exit_when_their_parent_dies():
    """A pool's workers, whose parent is SIGKILLed, are gone within seconds."""
    read, write = os.pipe()
    parent = os.fork()
    if parent == 0:  # the parent-to-be: starts a pool, reports its workers, waits to be killed
        os.close(read)
        with ProcessPool(2) as pool:
            pids = [w.process.pid for w in pool._workers]
            os.write(write, (" ".join(map(str, pids)) + "\n").encode())
            time.sleep(60)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        workers = [int(p) for p in fh.readline().split()]
    os.kill(parent, signal.SIGKILL)
    os.waitpid(parent, 0)
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in workers if _alive(p)]
    assert len(workers) == 2 and alive == []


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie awaiting its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False
