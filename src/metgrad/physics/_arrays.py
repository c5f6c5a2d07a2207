"""Private array helpers shared by the physics modules.

Every public physics function converts its inputs with :func:`as_float`, builds
a validity mask with :func:`positive_finite` (or :func:`finite`), evaluates its
formula under ``np.errstate(all="ignore")`` and hands the result to
:func:`to_output`, so that scalars come back as numpy scalars, arrays keep their
broadcast shape, and invalid inputs give NaN silently.
"""

import numpy as np

__all__ = [
    "as_float",
    "axis_ratio_or_nan",
    "finite",
    "positive_finite",
    "require_positive_scalar",
    "to_output",
]


def as_float(value):
    """Return ``value`` as a float64 `~numpy.ndarray` (0-d for scalars)."""
    return np.asarray(value, dtype=np.float64)


def finite(*arrays):
    """Return the broadcast mask of elements that are finite in every array."""
    mask = np.ones(np.broadcast_shapes(*(np.shape(a) for a in arrays)), dtype=bool)
    for array in arrays:
        mask &= np.isfinite(array)
    return mask


def positive_finite(*arrays):
    """Return the broadcast mask of elements that are finite and > 0 in every array."""
    mask = finite(*arrays)
    for array in arrays:
        mask &= np.asarray(array) > 0  # comparisons with NaN are False, silently
    return mask


def require_positive_scalar(value, name):
    """Return ``value`` as a float, raising `ValueError` unless it is finite and > 0."""
    number = np.asarray(value, dtype=np.float64)
    if number.ndim != 0 or not np.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a finite positive scalar, got {value!r}")
    return float(number)


def to_output(values, valid):
    """Set ``values`` to NaN where ``valid`` is False; 0-d results become numpy scalars."""
    result = np.where(valid, values, np.nan)
    return result[()]


def axis_ratio_or_nan(ba):
    """Return the axis ratio b/a as a float array, NaN where it is not in (0, 1]."""
    ba = as_float(ba)
    return np.where(positive_finite(ba) & (ba <= 1.0), ba, np.nan)
