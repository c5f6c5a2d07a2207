"""The analysis's one thread pool and the meaning of --workers."""

import os
import threading

import pytest

from metgrad.gradients import galaxy_gradients
from metgrad.parallel import SerialPool, ThreadPool, resolve_workers, thread_pool


def test_workers_mean_cores_everywhere():
    assert resolve_workers(None) == resolve_workers(0) == (os.cpu_count() or 1)
    assert resolve_workers(3) == 3
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="workers must be a non-negative integer"):
            resolve_workers(bad)


def test_one_worker_is_this_thread():
    with thread_pool(1) as pool:
        assert isinstance(pool, SerialPool) and pool.workers == 1
        names = list(pool.map(lambda _: threading.current_thread().name, range(3)))
        assert names == [threading.current_thread().name] * 3
        assert pool.submit(lambda a, b: a + b, 2, 3).result() == 5
        assert pool.submit(lambda a, *, b: a - b, 2, b=3).result() == -1  # as executors take
        failed = pool.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failed.result()


def test_pool_of_two_uses_at_most_two_threads():
    seen = set()
    lock = threading.Lock()

    def note(_):
        with lock:
            seen.add(threading.current_thread().name)

    with thread_pool(2) as pool:
        assert isinstance(pool, ThreadPool) and pool.workers == 2
        list(pool.map(note, range(50)))
    assert 1 <= len(seen) <= 2 and all(name.startswith("metgrad") for name in seen)


def test_gradients_on_a_pool_equal_serial_fits():
    import numpy as np

    rng = np.random.default_rng(5)
    names = np.repeat([f"g{i}" for i in range(12)], 40)
    r = rng.uniform(0.5, 2.0, names.size)
    y = 8.6 - 0.05 * r + rng.normal(0, 0.03, names.size)
    serial = galaxy_gradients(names, r, y, seed=1, stream="s", n_refits=20)
    with thread_pool(2) as pool:
        pooled = galaxy_gradients(names, r, y, seed=1, stream="s", n_refits=20, pool=pool)
    assert serial.equals(pooled)
