"""Permutation importance on held-out spaxels, in dex of residual dispersion lost.

For a fitted model and the spaxels of its held-out fold, a feature's importance
is how much the ROBUST_SIGMA of the residuals grows when that feature's column
is shuffled among the spaxels (Breiman 2001): 0 for a feature the model does
not use. A group of correlated features is shuffled as one (the same
permutation for all its columns), since each member alone can be stood in for
by the others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats.robust import robust_sigma

__all__ = ["group_name", "permutation_importance"]


def group_name(members) -> str:
    """Name of a feature group in ``importance.csv``: its members joined by ``+``."""
    return "+".join(members)


def permutation_importance(
    model, frame: pd.DataFrame, y, items, *, n_repeats: int, rng: np.random.Generator
) -> list[dict]:
    """Dispersion lost when each feature, or group, is permuted.

    Parameters
    ----------
    model : fitted model
        With ``predict(frame)`` (dex).
    frame : pandas.DataFrame
        Held-out spaxels.
    y : ndarray
        Their observed 12+log(O/H) (dex).
    items : sequence of tuple of str
        Each a feature (one-element tuple) or a group, permuted together.
    n_repeats : int
        Permutations per item.
    rng : numpy.random.Generator
        Source of the permutations.

    Returns
    -------
    list of dict
        One per item and repeat: ``feature`` (the item's name) and ``delta``
        (permuted minus original residual dispersion, dex).
    """
    y = np.asarray(y, dtype=float)
    baseline = robust_sigma(y - model.predict(frame))
    rows = []
    shuffled = frame.copy()
    for members in items:
        columns = list(members)
        original = frame[columns].to_numpy()
        for _ in range(n_repeats):
            shuffled[columns] = original[rng.permutation(len(frame))]
            delta = robust_sigma(y - model.predict(shuffled)) - baseline
            rows.append({"feature": group_name(members), "delta": float(delta)})
        shuffled[columns] = original
    return rows
