"""One glibc heap for all threads: the analysis' peak memory without the allocator's spares.

glibc's ``malloc`` gives each new thread a heap ("arena") of its own, up to eight
per core, and keeps the memory freed in each for reuse by that heap. The analysis
fits gradients on a thread per core, each making and freeing bootstrap arrays of a
few hundred kB, while the main thread holds the spaxel tables: at the paper's scale
the spare memory kept in the threads' heaps added about a quarter to the peak
(measured with ``metgrad analyse`` on the run of ``benchmarks/bench_analysis.py``:
2.0 GB against 1.55 GB with ``MALLOC_ARENA_MAX=1``, at the same speed; 1.46 GB with
this module, the analysis' own savings included). The command line (:func:`metgrad.cli.main`)
therefore asks for a single heap, as the environment variable
``MALLOC_ARENA_MAX=1`` would; a Python program calling metgrad's functions can set
that variable itself, before Python starts.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys

__all__ = ["ARENA_ENV", "limit_malloc_arenas"]

#: The environment variable that sets the same limit when a program starts. When it
#: is set, :func:`limit_malloc_arenas` leaves the choice to it.
ARENA_ENV = "MALLOC_ARENA_MAX"
#: ``M_ARENA_MAX`` of glibc's ``<malloc.h>``.
_M_ARENA_MAX = -8


def limit_malloc_arenas(arenas: int = 1) -> bool:
    """Let glibc's allocator create at most ``arenas`` heaps from now on.

    Parameters
    ----------
    arenas : int, optional
        Most heaps shared by all threads; 1 keeps freed memory in one place, where
        any thread reuses it.

    Returns
    -------
    bool
        True if the limit was set; False where the C library is not glibc, where
        ``MALLOC_ARENA_MAX`` is already set in the environment (the user's choice
        stands), or if glibc refused it.

    Raises
    ------
    ValueError
        If ``arenas`` is not a positive integer.

    Notes
    -----
    Heaps that threads already have are kept; call this before starting threads.
    The limit changes where memory is reused, never what a program computes.
    """
    if isinstance(arenas, bool) or not isinstance(arenas, int) or arenas < 1:
        raise ValueError(f"arenas must be a positive integer, got {arenas!r}")
    if ARENA_ENV in os.environ:
        return False
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - a stripped or static libc
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt(_M_ARENA_MAX, arenas) == 1
