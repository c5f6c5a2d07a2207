"""The helpers of metgrad.stats.loess that set how the points are visited, by their promise.

None of them changes a fitted value (every output point's fit is independent), so the
comparisons with Cappellari's ``loess_2d`` cannot see them; each is checked here against
what its docstring says, on inputs worked out by hand:

- `_spatial_order` sorts points along a Hilbert curve: on a regular grid of cells, each
  point is in the same cell as the one before it or in a cell sharing a side with it;
- `_coincident` flags exactly the points that share their position with another;
- `_in_threads` maps in the calling thread for one worker or one part, and otherwise on
  ``workers`` threads at once;
- `_smooth` fits a probe of a tenth of the groups, then the other groups once each, in
  4 parts per worker (one when serial).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import metgrad.stats.loess as loess
from metgrad.stats.loess import _coincident, _in_threads, _spatial_order


def _grid_with_corners(n, lo, hi):
    """The centres of an n x n grid of cells on the square [lo, hi]^2, shuffled, and its
    two corners (lo, lo) and (hi, hi), which fix the bounding box to the square, so that
    the quantisation grid (65536 cells per axis) nests the n x n cells. Returns x, y and
    each point's cell (i, j)."""
    i, j = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    i, j = np.concatenate([i, [0, n - 1]]), np.concatenate([j, [0, n - 1]])
    size = (hi - lo) / n
    x = np.concatenate([lo + (i[:-2] + 0.5) * size, [lo, hi]])
    y = np.concatenate([lo + (j[:-2] + 0.5) * size, [lo, hi]])
    shuffle = np.random.default_rng(n).permutation(x.size)
    return x[shuffle], y[shuffle], i[shuffle], j[shuffle]


@pytest.mark.parametrize(("n", "lo", "hi"), [(2, 0.0, 1.0), (4, 3.0, 5.0), (8, -7.0, -2.0)])
def test_spatial_order_steps_to_a_side_neighbour_on_a_grid(n, lo, hi):
    # A Hilbert curve fills each cell before it leaves it, and leaves it through a side.
    x, y, i, j = _grid_with_corners(n, lo, hi)
    order = _spatial_order(x, y)
    assert sorted(order.tolist()) == list(range(x.size))
    steps = np.abs(np.diff(i[order])) + np.abs(np.diff(j[order]))
    assert steps.max() == 1
    # every cell once, each corner point beside its cell's centre: n * n - 1 side steps
    assert (steps == 1).sum() == n * n - 1


def test_spatial_order_of_a_rectangle_uses_each_axis_own_range():
    # x spans 0-800 and y 0-1: each axis is quantised over its own range, so the 4 x 4
    # cells of the rescaled plane are visited as on the unit square.
    x, y, i, j = _grid_with_corners(4, 0.0, 1.0)
    order = _spatial_order(800.0 * x, y)
    assert (np.abs(np.diff(i[order])) + np.abs(np.diff(j[order]))).max() == 1


def test_spatial_order_down_to_the_finest_cells():
    # Integer points 0-7 on both axes and one point at (65535, 65535): the quantisation
    # cell of each point is then its integer position, and the 8 x 8 block of the finest
    # cells at the origin is a block of the curve, visited in side steps.
    i, j = (a.ravel() for a in np.meshgrid(np.arange(8), np.arange(8), indexing="ij"))
    x = np.append(i, 65535).astype(float)
    y = np.append(j, 65535).astype(float)
    order = _spatial_order(x, y)
    block = order[order < 64]
    assert (np.abs(np.diff(i[block])) + np.abs(np.diff(j[block]))).tolist() == [1] * 63


def test_spatial_order_of_points_on_a_line():
    # zero span in y: the order follows x along the curve's first column or row, so
    # neighbours in the order are neighbours on the line
    x = np.array([0.7, 0.1, 0.4, 0.9, 0.2, 0.0, 1.0])
    order = _spatial_order(x, np.full(x.size, 3.0))
    visited = np.sort(x)
    assert np.array_equal(x[order], visited) or np.array_equal(x[order], visited[::-1])


def test_coincident_flags_each_point_that_shares_its_position():
    x = np.array([0.0, 1.0, 0.0, 2.0, 1.0, 0.0, 1.0])
    y = np.array([0.0, 1.0, 0.0, 0.0, 2.0, 1.0, 1.0])
    # (0, 0) twice (0 and 2), (1, 1) twice (1 and 6); 3, 4 and 5 share one coordinate only
    flags = _coincident(x, y)
    assert flags.dtype == bool
    assert flags.tolist() == [True, True, True, False, False, False, True]


def test_coincident_flags_nothing_among_distinct_points():
    flags = _coincident(np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0]))
    assert flags.dtype == bool
    assert not flags.any()


def _threads_used(parts, workers):
    names = []

    def record(part):
        names.append(threading.current_thread().name)
        return part * 10

    return _in_threads(record, parts, workers), names


@pytest.mark.parametrize(("parts", "workers"), [([1, 2, 3], 1), ([4], 2), ([4], 1)])
def test_in_threads_maps_in_the_calling_thread(parts, workers):
    results, names = _threads_used(parts, workers)
    assert results == [10 * p for p in parts]
    assert set(names) == {threading.current_thread().name}


@pytest.mark.parametrize("workers", [2, 3])
def test_in_threads_runs_two_parts_at_once_on_two_or_more_workers(workers):
    # each part waits for the other: a serial map would break the barrier (2 s timeout)
    barrier = threading.Barrier(2, timeout=2.0)

    def meet(part):
        barrier.wait()
        return threading.current_thread().name, part

    results = _in_threads(meet, [1, 2], workers)
    assert [part for _, part in results] == [1, 2]
    assert threading.current_thread().name not in {name for name, _ in results}


# ------------------------------------------------------------- how the groups are scheduled
# `_smooth` fits the output points in groups of 32 consecutive points of the visiting
# order: first a probe of a tenth of the groups (at least one), which shows whether the
# points are mostly tied; then, for scattered points, the other groups in 4 parts per
# worker (one part when serial), contiguous and as equal as whole groups allow. Every group
# is fitted once. A spy on the compiled kernel records the groups of each call.


def _scheduled_parts(monkeypatch, n_points, workers):
    calls = []
    real = loess.smooth_groups

    def spy(*args):
        starts = args[8]
        calls.append((int(starts[0]) // 32, (int(starts[-1]) + 31) // 32))
        return real(*args)

    monkeypatch.setattr(loess, "smooth_groups", spy)
    rng = np.random.default_rng(n_points)
    x, y = rng.uniform(0.0, 1.0, (2, n_points))  # scattered: no ties, no coincident points
    z = 2.0 * x - y + rng.normal(0.0, 0.1, n_points)
    loess.loess_2d(x, y, z, frac=0.05, workers=workers)
    return calls


@pytest.mark.parametrize(
    ("n_groups", "workers", "probe", "n_parts"),
    [(29, 1, 2, 1), (30, 1, 3, 1), (30, 2, 3, 8), (40, 3, 4, 12), (5, 2, 1, 4), (31, 2, 3, 8)],
)
def test_smooth_fits_a_probe_then_each_group_once_in_parts_per_worker(
    monkeypatch, n_groups, workers, probe, n_parts
):
    n_points = 32 * (n_groups - 1) + 7  # the last group holds 7 points
    calls = _scheduled_parts(monkeypatch, n_points, workers)
    assert calls[0] == (0, probe)
    parts = sorted(calls[1:])
    assert len(parts) == n_parts
    # contiguous, together the groups after the probe, each once
    assert [p[0] for p in parts] == [probe] + [p[1] for p in parts[:-1]]
    assert parts[-1][1] == n_groups
    sizes = [hi - lo for lo, hi in parts]
    assert min(sizes) >= 1 and max(sizes) - min(sizes) <= 1
