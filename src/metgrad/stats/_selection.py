"""Branch-free quickselect, shared by the compiled kernels of metgrad.stats."""

from __future__ import annotations

from numba import njit

__all__ = ["median_of_three", "select"]


@njit(cache=True, nogil=True, error_model="numpy")
def median_of_three(a, b, c):
    """The middle one of three values: the quickselects' pivot."""
    if a > b:
        a, b = b, a
    if b > c:
        b = c
        if a > b:
            b = a
    return b


@njit(cache=True, nogil=True, error_model="numpy")
def select(values, count, kth):
    """``kth`` smallest (0-based) of ``values[:count]``, moved to ``values[kth]``; in place.

    Afterwards ``values[:kth]`` hold values <= it. A quickselect whose partition is
    branch-free (Lomuto's scheme with an unconditional swap and a conditional advance):
    the comparisons of noisy data are unpredictable, and a mispredicted branch costs more
    than the swap.
    """
    lo, hi = 0, count - 1
    while hi > lo:
        pivot = median_of_three(values[lo], values[(lo + hi) // 2], values[hi])
        store = lo
        for i in range(lo, hi + 1):  # values[lo:store] < pivot <= values[store:i]
            v = values[i]
            values[i] = values[store]
            values[store] = v
            store += v < pivot
        if kth < store:
            hi = store - 1
        elif store > lo:
            lo = store
        else:  # the pivot is the smallest value left: move its copies to the front
            for i in range(lo, hi + 1):
                v = values[i]
                values[i] = values[store]
                values[store] = v
                store += v == pivot
            if kth < store:
                return pivot
            lo = store
    return values[kth]
