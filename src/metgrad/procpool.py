"""A process pool that outlives its workers: one item per worker, each with a time limit.

:class:`concurrent.futures.ProcessPoolExecutor` breaks for good when one worker
dies (``BrokenProcessPool``: a galaxy that drives its worker out of memory
stops a whole survey), cannot stop one hung item, and leaves its workers
running when the parent is killed. :class:`ProcessPool` gives each worker one
item at a time, so it always knows which item a dead or hung worker held:

- a worker that dies (killed by the out-of-memory killer, a crash in a C
  library) loses only its item, reported as :class:`LostItem`, and is replaced;
- an item running longer than ``time_limit`` seconds has its worker killed and
  is reported as lost;
- workers die with their parent (``prctl(PR_SET_PDEATHSIG)`` on Linux, and a
  watchdog thread that polls the parent's id everywhere), and ignore Ctrl-C,
  which the parent handles: it stops the workers and exits.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

__all__ = ["LostItem", "ProcessPool", "die_with_parent"]

_PR_SET_PDEATHSIG = 1
#: Seconds between the watchdog's checks that the parent is alive.
WATCHDOG_PERIOD_S = 1.0


@dataclass(frozen=True)
class LostItem:
    """An item whose worker died or ran out of time; ``reason`` says which, in a few words."""

    reason: str


def die_with_parent(parent_pid: int) -> None:
    """Make this process exit when ``parent_pid`` is no longer its parent.

    On Linux the kernel sends SIGKILL at the parent's death
    (``prctl(PR_SET_PDEATHSIG)``); everywhere a daemon thread checks
    ``os.getppid()`` every :data:`WATCHDOG_PERIOD_S` seconds and exits the process.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - exotic libc
            pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(WATCHDOG_PERIOD_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="metgrad-parent-watchdog", daemon=True).start()


def _worker_main(conn: Connection, parent_pid: int) -> None:
    """Receive ``(fn, item)``, send ``(True, result)`` or ``(False, exception)``, until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    die_with_parent(parent_pid)
    while True:
        try:
            fn, item = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = (True, fn(item))
        except Exception as exc:  # re-raised by the parent for this item
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result or exception
            text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            conn.send((False, RuntimeError(f"result could not be sent back: {text}")))


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if -exitcode == signal.SIGKILL else ""
        return f"worker process killed by {name}{hint}"
    return f"worker process exited with status {exitcode}"


class _Worker:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, os.getpid()), daemon=True)
        self.process.start()
        child.close()
        self.key: Hashable | None = None
        self.busy = False
        self.started = 0.0

    def give(self, fn, key, item) -> bool:
        """Send the item; False if the worker had died while idle."""
        try:
            self.conn.send((fn, item))
        except (BrokenPipeError, ConnectionResetError):
            return False
        self.key, self.busy, self.started = key, True, time.monotonic()
        return True

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


class ProcessPool:
    """``workers`` processes running ``fn(item)``, one item each at a time.

    Parameters
    ----------
    workers : int
        Processes to start (at least 1).
    time_limit : float or None, optional
        Seconds an item may run; its worker is killed after that. None: no limit.

    Notes
    -----
    Use it as a context manager: leaving the block kills the workers.
    """

    def __init__(self, workers: int, *, time_limit: float | None = None):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.n_workers = int(workers)
        self.time_limit = time_limit
        self._ctx = mp.get_context()
        self._workers: list[_Worker] = []

    def __enter__(self) -> ProcessPool:
        self._workers = [_Worker(self._ctx) for _ in range(self.n_workers)]
        return self

    def __exit__(self, *exc_info) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        self._workers[self._workers.index(worker)] = _Worker(self._ctx)

    def _wait_timeout(self) -> float | None:
        if self.time_limit is None:
            return None
        now = time.monotonic()
        ends = [w.started + self.time_limit - now for w in self._workers if w.busy]
        return max(0.0, min(ends)) if ends else None

    def imap_unordered(
        self, fn: Callable[[Any], Any], items: Iterable[tuple[Hashable, Any]]
    ) -> Iterator[tuple[Hashable, Any]]:
        """Yield ``(key, fn(item))`` as items finish, or ``(key, LostItem)`` for a lost one.

        An exception raised by ``fn`` is re-raised here for its item.
        """
        if not self._workers:
            raise RuntimeError("use the pool inside a 'with' block")
        pending = list(items)[::-1]
        while True:
            for i in range(len(self._workers)):
                if not self._workers[i].busy and pending:
                    key, item = pending.pop()
                    if not self._workers[i].give(fn, key, item):
                        self._replace(self._workers[i])
                        self._workers[i].give(fn, key, item)
            busy = [w for w in self._workers if w.busy]
            if not busy:
                return
            by_handle: dict[Any, _Worker] = {}
            for w in busy:
                by_handle[w.conn] = w
                by_handle[w.process.sentinel] = w
            ready = wait(list(by_handle), timeout=self._wait_timeout())
            done = {id(by_handle[h]): by_handle[h] for h in ready}
            for worker in done.values():
                key = worker.key
                try:
                    ok, value = worker.conn.recv()
                except (EOFError, OSError):  # the worker died with the item
                    worker.process.join()
                    reason = _death_reason(worker.process.exitcode)
                    worker.busy = False
                    self._replace(worker)
                    yield key, LostItem(reason)
                    continue
                worker.busy = False
                if not ok:
                    raise value
                yield key, value
            if self.time_limit is not None:
                now = time.monotonic()
                for worker in [w for w in self._workers if w.busy]:
                    if now - worker.started >= self.time_limit:
                        worker.busy = False
                        self._replace(worker)
                        yield (
                            worker.key,
                            LostItem(f"stopped after the time limit of {self.time_limit:g} s"),
                        )
