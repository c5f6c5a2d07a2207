"""Checked conversion of a spaxel table and a target to the float arrays the models use."""

from __future__ import annotations

import numpy as np

__all__ = ["checked_min_count", "feature_matrix", "target_vector"]


def feature_matrix(X, features):
    """The named feature columns of a spaxel table as one float array.

    Parameters
    ----------
    X : pandas.DataFrame or mapping of str to array_like
        The spaxel table; anything indexable by column name.
    features : sequence of str
        Column names, in order.

    Returns
    -------
    values : `~numpy.ndarray`, shape (n_spaxels, n_features)
        Float copy of the columns (NaN kept: such spaxels get no prediction).

    Raises
    ------
    ValueError
        If a column is missing, not 1-D, or the columns differ in length.
    """
    columns = []
    for name in features:
        try:
            column = X[name]
        except (KeyError, IndexError, TypeError):
            raise ValueError(f"the spaxel table has no column {name!r}") from None
        column = np.asarray(column, dtype=float)
        if column.ndim != 1:
            raise ValueError(f"column {name!r} must be 1-D, got shape {column.shape}")
        if columns and column.size != columns[0].size:
            raise ValueError(f"column {name!r} has {column.size} rows, expected {columns[0].size}")
        columns.append(column)
    return np.column_stack(columns)


def target_vector(y, n_spaxels, name="y"):
    """A 1-D float target with one value per spaxel.

    Parameters
    ----------
    y : array_like, shape (n_spaxels,)
        Target values (e.g. 12+log(O/H), dex); NaN marks spaxels to leave out.
    n_spaxels : int
        Rows of the spaxel table.
    name : str, optional
        Name used in error messages.

    Returns
    -------
    y : `~numpy.ndarray`, shape (n_spaxels,)

    Raises
    ------
    ValueError
        If ``y`` is not 1-D or its length differs from the table's.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {y.shape}")
    if y.size != n_spaxels:
        raise ValueError(f"{name} has {y.size} values but the spaxel table has {n_spaxels} rows")
    return y


def checked_min_count(min_count):
    """``min_count`` as an int, if it is an integer >= 1.

    Raises
    ------
    ValueError
        If ``min_count`` is not an integer (booleans included) or is below 1.
    """
    if isinstance(min_count, bool) or not isinstance(min_count, int | np.integer) or min_count < 1:
        raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
    return int(min_count)
