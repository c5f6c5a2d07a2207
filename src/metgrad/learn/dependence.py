"""Partial dependence of a fitted model on each feature (Friedman 2001), on held-out spaxels.

For a grid of values of one feature, the mean prediction over a set of spaxels
with that feature set to each value, every other feature left as observed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["feature_grids", "partial_dependence"]


def feature_grids(frame: pd.DataFrame, features, *, points: int = 20) -> dict[str, np.ndarray]:
    """Evenly spaced values between each feature's 5th and 95th percentiles.

    Features without a finite value get no grid.
    """
    grids = {}
    for feature in features:
        values = frame[feature].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if values.size:
            grids[feature] = np.linspace(*np.percentile(values, [5.0, 95.0]), points)
    return grids


def partial_dependence(model, frame: pd.DataFrame, grids: dict[str, np.ndarray]) -> list[dict]:
    """Mean prediction (dex) at each grid value of each feature.

    Parameters
    ----------
    model : fitted model
        With ``predict(frame)`` (dex).
    frame : pandas.DataFrame
        Spaxels averaged over (e.g. a held-out subset), with the model's columns.
    grids : dict of str to ndarray
        Feature -> values to set it to (the feature's unit); features the frame
        lacks are skipped.

    Returns
    -------
    list of dict
        ``feature``, ``value``, ``prediction`` (mean 12+log(O/H), dex).
    """
    rows = []
    n = len(frame)
    for feature, grid in grids.items():
        if feature not in frame.columns or not n:
            continue
        # every grid value at once: one prediction call (each call has a fixed cost)
        varied = pd.concat([frame] * len(grid), ignore_index=True)
        varied[feature] = np.repeat(np.asarray(grid, dtype=float), n)
        means = model.predict(varied).reshape(len(grid), n).mean(axis=1)
        rows.extend({"feature": feature, "value": float(v), "prediction": float(p)}
                    for v, p in zip(grid, means, strict=True))  # fmt: skip
    return rows
