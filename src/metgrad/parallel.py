"""Executors for per-galaxy work: serial, local processes, or a Dask cluster, behind one interface.

Per-galaxy work in metgrad is a pure function of its input files, so it can
run anywhere. :func:`open_executor` returns a :class:`GalaxyExecutor` whose
:meth:`~GalaxyExecutor.imap_unordered` yields ``(key, result)`` pairs as they
finish, whichever backend runs them:

- ``workers=1`` and no scheduler: in this process (simplest to debug);
- ``workers=N``: a :class:`metgrad.procpool.ProcessPool` (a dead or hung worker
  loses only its item; workers die with their parent);
- ``scheduler="tcp://host:port"`` (or ``"local"`` for a throw-away
  ``LocalCluster``): :mod:`dask.distributed`, installed with the ``dask``
  extra (``pip install metgrad[dask]``).

Outputs never depend on the backend: results are keyed, and callers write
them in a fixed order or to per-key files.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import os
import signal
import threading
import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from .procpool import LostItem, ProcessPool

__all__ = [
    "LOCAL_CLUSTER_CONFIG",
    "MAX_WORKERS_PER_CORE",
    "GalaxyExecutor",
    "LostItem",
    "SerialPool",
    "ThreadPool",
    "WorkerLostError",
    "dask_chunk_sizes",
    "max_workers",
    "open_executor",
    "resolve_workers",
    "thread_pool",
]

#: ``--workers`` may ask for at most this many processes per core of the machine.
MAX_WORKERS_PER_CORE = 4


def max_workers() -> int:
    """Most local worker processes accepted: :data:`MAX_WORKERS_PER_CORE` per core."""
    return MAX_WORKERS_PER_CORE * (os.cpu_count() or 1)


class WorkerLostError(RuntimeError):
    """A worker died or ran out of time with an item (``keep_lost=False``)."""


class _TimeLimit(BaseException):
    """Raised by SIGALRM in the serial backend; a BaseException so that ``fn`` cannot catch it."""


def _serial_call(fn: Callable[[Any], Any], item: Any, time_limit: float | None) -> Any:
    """``fn(item)`` in this process, stopped after ``time_limit`` seconds where signals allow."""
    usable = (
        time_limit is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        return fn(item)

    def expire(signum, frame):
        raise _TimeLimit

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        return fn(item)
    except _TimeLimit:
        return LostItem(f"stopped after the time limit of {time_limit:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class GalaxyExecutor(AbstractContextManager):
    """Run ``fn(item)`` for many items and yield results as they complete.

    Use :func:`open_executor` to make one; use it as a context manager so
    that worker processes or cluster connections are closed.

    Parameters
    ----------
    backend : {'serial', 'processes', 'dask'}
        What runs the work.
    workers : int
        Number of local worker processes (``'processes'``), or of workers of
        a local Dask cluster (``'dask'`` with ``scheduler='local'``).
    scheduler : str or None
        Dask scheduler address, or ``'local'``.
    time_limit : float or None
        Seconds one item may run (None: no limit). A worker process past it is
        killed; in this process (``'serial'``) a SIGALRM stops Python code (not a
        call blocked inside a C library); Dask tasks are not limited.
    """

    def __init__(
        self,
        backend: str,
        *,
        workers: int = 1,
        scheduler: str | None = None,
        time_limit: float | None = None,
    ):
        if backend not in ("serial", "processes", "dask"):
            raise ValueError(f"backend must be serial, processes or dask, got {backend!r}")
        if time_limit is not None and not time_limit > 0:
            raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit}")
        self.backend = backend
        self.workers = int(workers)
        self.scheduler = scheduler
        self.time_limit = time_limit
        self._pool: ProcessPool | None = None
        self._client = None
        self._cluster = None

    def __enter__(self) -> GalaxyExecutor:
        if self.backend == "processes":
            self._pool = ProcessPool(self.workers, time_limit=self.time_limit).__enter__()
        elif self.backend == "dask":
            try:
                from dask.distributed import Client, LocalCluster
            except ImportError:  # pragma: no cover - depends on the environment
                raise ValueError(
                    "a Dask scheduler was requested but dask.distributed is not installed; "
                    "install the extra: pip install 'metgrad[dask]'"
                ) from None
            if self.scheduler == "local":
                import dask

                # Workers sample their own stacks every 10 ms for the dashboard's profile;
                # on per-galaxy Python work that cost 15-20% of the CPU time
                # (benchmarks/bench_ingest.py). A throw-away cluster does without it.
                with dask.config.set(LOCAL_CLUSTER_CONFIG):
                    self._cluster = LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=":0",  # any free port: never collide with 8787
                    )
                self._client = Client(self._cluster)
            else:
                self._client = Client(self.scheduler)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._pool is not None:
            self._pool.__exit__(None, None, None)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def imap_unordered(
        self,
        fn: Callable[[Any], Any],
        items: Iterable[tuple[Hashable, Any]],
        *,
        keep_lost: bool = False,
    ) -> Iterator[tuple[Hashable, Any]]:
        """Apply ``fn`` to every ``(key, item)``; yield ``(key, fn(item))`` as each finishes.

        Parameters
        ----------
        fn : callable
            A picklable, module-level function of one argument.
        items : iterable of (key, item)
            Work to do, each with a key that identifies its result.
        keep_lost : bool, optional
            An item whose worker died or ran past the time limit is yielded as
            ``(key, LostItem(reason))`` (True) or raises :class:`WorkerLostError` (False).

        Yields
        ------
        key, result
            In completion order (input order for the serial backend). An
            exception raised by ``fn`` is re-raised here for its item; callers
            that must go on should catch errors inside ``fn``.
        """
        for key, value in self._results(fn, list(items)):
            if isinstance(value, LostItem) and not keep_lost:
                raise WorkerLostError(f"{key}: {value.reason}")
            yield key, value

    def _results(self, fn, items: list) -> Iterator[tuple[Hashable, Any]]:
        if self.backend == "serial":
            for key, item in items:
                yield key, _serial_call(fn, item, self.time_limit)
            return
        if self.backend == "processes":
            if self._pool is None:
                raise RuntimeError("use the executor inside a 'with' block")
            yield from self._pool.imap_unordered(fn, items)
            return
        yield from self._dask_results(fn, items)

    def _dask_results(self, fn, items: list) -> Iterator[tuple[Hashable, Any]]:
        from dask.distributed import as_completed
        from distributed.scheduler import KilledWorker

        if self._client is None:
            raise RuntimeError("use the executor inside a 'with' block")
        n_workers = max(1, len(self._client.scheduler_info().get("workers", {})))
        bounds = itertools.accumulate(dask_chunk_sizes(len(items), n_workers), initial=0)
        chunks = [items[a:b] for a, b in itertools.pairwise(bounds)]
        # a key of this call only: another run on the same scheduler may hold the same items
        token = uuid.uuid4().hex[:12]
        keys = {}  # Dask key -> our keys of its items
        futures = []
        for chunk in chunks:
            fut = self._client.submit(
                _run_chunk,
                fn,
                [item for _, item in chunk],
                key=f"metgrad-{token}-{chunk[0][0]}-{len(chunk)}",
                pure=False,
            )
            keys[fut.key] = [key for key, _ in chunk]
            futures.append(fut)
        for fut in as_completed(futures):
            try:
                outcomes = fut.result()
            except KilledWorker as exc:  # the chunk's worker died: its galaxies are lost
                lost = LostItem(f"Dask worker died ({exc.__class__.__name__})")
                outcomes = [(True, lost)] * len(keys[fut.key])
            for key, (ok, value) in zip(keys[fut.key], outcomes, strict=True):
                if not ok:
                    raise value
                yield key, value

    def __repr__(self) -> str:
        where = f", scheduler={self.scheduler!r}" if self.scheduler else ""
        return f"GalaxyExecutor({self.backend!r}, workers={self.workers}{where})"


#: Dask configuration of the workers of a throw-away ``LocalCluster``.
LOCAL_CLUSTER_CONFIG = {"distributed.worker.profile.enabled": False}


def dask_chunk_sizes(
    n_items: int, n_workers: int, *, rounds: int = 4, most: int = 16
) -> list[int]:
    """Items per Dask task, in submission order: large tasks first, single items last.

    Every Dask task costs several milliseconds of scheduler, worker and client time
    (about 9 ms for a galaxy on a 2-core machine, `benchmarks/bench_ingest.py`), taken
    from the workers on a small machine; a task of a few galaxies costs the same.
    Each task takes ``1 / (rounds * n_workers)`` of the items still unassigned
    (guided self-scheduling, Polychronopoulos & Kuck 1987), at most ``most``, so
    there are few tasks, yet the last ones are small and the workers finish close
    together.

    Parameters
    ----------
    n_items : int
        Items to run.
    n_workers : int
        Workers of the cluster.
    rounds : int, optional
        Each task takes at most ``1 / (rounds * n_workers)`` of the remaining items.
    most : int, optional
        Largest number of items in one task (bounds the work lost to a killed
        worker and the time between progress updates).

    Returns
    -------
    list of int
        Positive sizes, non-increasing, summing to ``n_items``.

    Examples
    --------
    >>> dask_chunk_sizes(10, 2)
    [2, 1, 1, 1, 1, 1, 1, 1, 1]
    >>> sizes = dask_chunk_sizes(150, 2)
    >>> len(sizes), sizes[:4], sizes[-4:], sum(sizes)
    (27, [16, 16, 15, 13], [1, 1, 1, 1], 150)
    """
    if n_items < 0 or n_workers < 1 or rounds < 1 or most < 1:
        raise ValueError(
            f"need n_items >= 0 and n_workers, rounds, most >= 1; got {n_items}, "
            f"{n_workers}, {rounds}, {most}"
        )
    sizes = []
    remaining = n_items
    while remaining:
        size = min(most, -(-remaining // (rounds * n_workers)))
        sizes.append(size)
        remaining -= size
    return sizes


def _run_chunk(fn: Callable[[Any], Any], items: list[Any]) -> list[tuple[bool, Any]]:
    """``fn`` of every item, as ``(True, result)`` or ``(False, exception)``: one item's
    error neither hides the others' results nor stops them."""
    out = []
    for item in items:
        try:
            out.append((True, fn(item)))
        except Exception as exc:  # re-raised by the caller, for its item
            out.append((False, exc))
    return out


def open_executor(
    *, workers: int | None = 1, scheduler: str | None = None, time_limit: float | None = None
) -> GalaxyExecutor:
    """Choose the backend for ``workers`` local processes or a Dask ``scheduler``.

    Parameters
    ----------
    workers : int or None, optional
        Local worker processes; 1 runs in this process; None or 0 uses every
        core (``os.cpu_count()``).
    scheduler : str or None, optional
        Dask scheduler address (``tcp://...``) or ``'local'`` for a
        ``LocalCluster`` of ``workers`` single-threaded worker processes.
    time_limit : float or None, optional
        Seconds one item may run (see :class:`GalaxyExecutor`).

    Returns
    -------
    GalaxyExecutor
        Not yet started: use it in a ``with`` block.
    """
    workers = resolve_workers(workers)
    if scheduler is not None:
        return GalaxyExecutor("dask", workers=workers, scheduler=scheduler, time_limit=time_limit)
    if workers == 1:
        return GalaxyExecutor("serial", time_limit=time_limit)
    return GalaxyExecutor("processes", workers=workers, time_limit=time_limit)


# --- threads: the analysis's one pool -------------------------------------------------


def resolve_workers(workers: int | None) -> int:
    """``workers`` as a count: None or 0 means one per core (``os.cpu_count()``).

    Every command's ``--workers`` goes through here, so it means the same
    everywhere: processes for ingest and the mock, threads for the analysis.
    """
    if workers is None or workers == 0:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"workers must be a non-negative integer, got {workers!r}")
    if workers > max_workers():  # thousands of processes (or threads) help nobody
        raise ValueError(
            f"--workers {workers} is more than {MAX_WORKERS_PER_CORE} per core "
            f"({max_workers()} on this machine of {os.cpu_count() or 1} cores); "
            "use 0 for one per core"
        )
    return workers


class SerialPool:
    """A pool of one: ``map`` and ``submit`` run in the calling thread.

    Has the calling conventions of `concurrent.futures.ThreadPoolExecutor`
    that the analysis uses, so steps take either.
    """

    #: Threads of the pool.
    workers = 1

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        """``map(fn, *iterables)``, evaluated now."""
        return iter([fn(*args) for args in zip(*iterables, strict=False)])

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        """Run ``fn(*args, **kwargs)`` now; return a finished future."""
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # delivered by future.result(), as a pool would
            future.set_exception(exc)
        return future

    def __enter__(self) -> SerialPool:
        return self

    def __exit__(self, *exc_info) -> None:
        return None


class ThreadPool(cf.ThreadPoolExecutor):
    """`concurrent.futures.ThreadPoolExecutor` that says how many threads it has."""

    def __init__(self, workers: int):
        super().__init__(max_workers=workers, thread_name_prefix="metgrad")
        self.workers = workers


def thread_pool(workers: int | None) -> SerialPool | ThreadPool:
    """The one thread pool of an analysis: ``workers`` threads (1: this thread).

    The steps of the analysis receive it and never start threads of their own,
    so the cores are never oversubscribed; a step running on the pool must not
    wait on another task of the same pool. Use as a context manager.
    """
    n = resolve_workers(workers)
    return SerialPool() if n == 1 else ThreadPool(n)


#: Help text of every command's ``--workers``.
WORKERS_HELP = (
    "cores to use: worker processes for ingest and the mock, threads for the analysis "
    "(default 0 = every core; results do not depend on it)"
)


def add_workers_option(parser) -> None:
    """Add the ``--workers`` option every command shares (same meaning, same default)."""
    parser.add_argument("--workers", type=int, default=0, help=WORKERS_HELP)
