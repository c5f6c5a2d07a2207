"""The command line keeps one glibc heap for all threads (peak memory of the analysis)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

from metgrad.malloc import ARENA_ENV, limit_malloc_arenas

glibc_only = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="glibc's allocator only",
)

# Counts glibc's heaps from its own report (malloc_info writes one <heap nr=...> per
# arena) after four threads have each allocated and freed arrays at the same time.
_COUNT_HEAPS = textwrap.dedent(
    """
    import ctypes, sys, tempfile, threading
    import numpy as np
    if sys.argv[1] == "cli":  # the command line, as `metgrad` with no command runs it
        from metgrad.cli import main
        main([])
    barrier = threading.Barrier(4)
    def work():
        barrier.wait()
        for _ in range(50):
            np.ones(300_000).sum()
    threads = [threading.Thread(target=work) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    libc = ctypes.CDLL(None)
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
    libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
    libc.fclose.argtypes = (ctypes.c_void_p,)
    with tempfile.NamedTemporaryFile(suffix=".xml") as tmp:
        stream = libc.fopen(tmp.name.encode(), b"w")
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        print(open(tmp.name).read().count("<heap nr="))
    """
)


def _heaps(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != ARENA_ENV}
    out = subprocess.run([sys.executable, "-c", _COUNT_HEAPS, mode], env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return int(out.stdout.split()[-1])


@glibc_only
def test_one_heap_for_all_threads():
    assert _heaps("default") > 1  # glibc's default: a heap per thread
    assert _heaps("cli") == 1


def test_the_environment_variable_wins(monkeypatch):
    monkeypatch.setenv(ARENA_ENV, "4")
    assert limit_malloc_arenas() is False


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1"])
def test_bad_arena_counts(bad):
    with pytest.raises(ValueError, match="positive integer"):
        limit_malloc_arenas(bad)
