"""The compiled LAD and LOESS kernels see one array type, whatever the caller passes.

numba compiles a kernel again for every new combination of argument types, and a read-only
or strided (non-contiguous) array is a different type from a plain one. A first analysis
compiled ``lad_rows`` three times and ``smooth_groups`` twice this way (about 7 of the 32
CPU seconds of compilation of a first run), because catalogue columns read through pandas
and pyarrow come read-only and columns of 2-D arrays come strided. ``lad_line``,
``lad_slopes_trusted`` and ``loess_2d`` now hand their kernels C-contiguous, writable
float64 arrays. Here: calls with read-only, strided and float32 input add no compiled
version to the one a plain call uses, and give the plain call's answer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metgrad.stats import _lad_kernel, _loess_kernel
from metgrad.stats.lad import lad_line, lad_slopes_trusted
from metgrad.stats.loess import loess_2d


def _read_only(values: np.ndarray) -> np.ndarray:
    out = np.array(values)
    out.setflags(write=False)
    return out


def _strided(values: np.ndarray) -> np.ndarray:
    wide = np.zeros((values.size, 3))
    wide[:, 1] = values
    return wide[:, 1]  # a column: not C-contiguous


def _from_arrow(values: np.ndarray) -> np.ndarray:
    return pd.Series(values, dtype="double[pyarrow]").to_numpy(dtype=np.float64)


AWKWARD = {
    "read-only": _read_only,
    "strided": _strided,
    "float32": lambda v: v.astype(np.float32),
    "pyarrow": _from_arrow,
}


def _signatures(*kernels) -> list[set]:
    return [set(kernel.signatures) for kernel in kernels]


@pytest.fixture(scope="module")
def line_data():
    rng = np.random.default_rng(4)
    x = rng.uniform(0.5, 2.0, 60)
    y = 8.6 - 0.1 * x + rng.normal(0, 0.05, 60)
    return x, y


@pytest.mark.parametrize("kind", list(AWKWARD))
def test_lad_line_compiles_no_other_version(line_data, kind):
    x, y = line_data
    plain = lad_line(x, y)
    trusted = lad_slopes_trusted(x, np.stack([y, y[::-1]]), start=plain.slope)
    before = _signatures(_lad_kernel.lad_rows)
    make = AWKWARD[kind]
    if kind == "pyarrow":
        assert not _from_arrow(x).flags.writeable  # the case this guards against
    got = lad_line(make(x), make(y))
    got_trusted = lad_slopes_trusted(make(x), np.stack([y, y[::-1]]), start=plain.slope)
    assert _signatures(_lad_kernel.lad_rows) == before
    if kind == "float32":  # other numbers: only the compiled versions are compared
        return
    assert (got.slope, got.intercept) == (plain.slope, plain.intercept)
    np.testing.assert_array_equal(got_trusted, trusted)


@pytest.fixture(scope="module")
def surface():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(2, 300))
    z = 1.0 + 0.5 * x - 0.2 * y + rng.normal(0, 0.1, 300)
    gx, gy = (g.ravel().astype(float) for g in np.mgrid[0:12, 0:12])  # tied neighbours
    return x, y, z, gx, gy, np.sin(gx) + 0.1 * gy


@pytest.mark.parametrize("kind", list(AWKWARD))
@pytest.mark.parametrize("rescale", [False, True])
def test_loess_2d_compiles_no_other_version(surface, kind, rescale):
    x, y, z, gx, gy, gz = surface
    kernels = (_loess_kernel.smooth_groups, _loess_kernel.smooth_given,
               _loess_kernel.biweight_scales)  # fmt: skip
    plain = loess_2d(x, y, z, frac=0.3, rescale=rescale)
    plain_grid = loess_2d(gx, gy, gz, frac=0.2, rescale=rescale)
    before = _signatures(*kernels)
    make = AWKWARD[kind]
    got = loess_2d(make(x), make(y), make(z), frac=0.3, rescale=rescale)
    got_grid = loess_2d(make(gx), make(gy), make(gz), frac=0.2, rescale=rescale)
    assert _signatures(*kernels) == before
    if kind == "float32":
        return
    for g, p in ((got, plain), (got_grid, plain_grid)):
        np.testing.assert_array_equal(g[0], p[0])
        np.testing.assert_array_equal(g[1], p[1])
