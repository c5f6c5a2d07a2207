"""The feature sets of the learned models, and groups of correlated features.

Column names are those of the analysis spaxel table (:mod:`metgrad.learn.inputs`):

==================  ==================================================================
``log_mstar``       galaxy stellar mass, log10(M*/Msun) (Kroupa)
``log_sigma_star``  stellar-mass surface density, log10(Msun/kpc^2), face-on
``d4000``           4000-A break (Pipe3D)
``log_age_lw``      light-weighted stellar age, log10(yr) (Pipe3D)
``log_ew_ha``       EW(Halpha), log10(A)
``r_re``            deprojected radius / R_e
``log_re``          log10(R_e / kpc)
``log_phi_star``    potential proxy log10(M*/R_e / (Msun/kpc))
``v_esc``           stellar-only spherical escape velocity, km/s
                    (:func:`metgrad.physics.spherical_escape_velocity`)
==================  ==================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

__all__ = ["DEPENDENT_GROUPS", "FEATURE_SETS", "MONOTONIC", "correlated_groups", "feature_groups"]

#: The paper's local parameters (its base, D4000, EW and SFH models use them).
LOCAL = ("log_mstar", "log_sigma_star", "d4000", "log_age_lw", "log_ew_ha")
#: ... plus the radius and the galaxy's size and potential proxy.
RADIUS = (*LOCAL, "r_re", "log_re", "log_phi_star")
#: ... plus the local escape velocity.
POTENTIAL = (*RADIUS, "v_esc")

#: Learned model name -> its features, in the order of the issue: (a), (b), (c).
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "learned_local": LOCAL,
    "learned_radius": RADIUS,
    "learned_potential": POTENTIAL,
}

#: Features along which the metallicity may only rise (``[learn] monotonic``): the
#: mass-metallicity relations, global and local, and the escape velocity
#: (Barrera-Ballesteros et al. 2018). Every other feature is free.
MONOTONIC: dict[str, int] = {"log_mstar": 1, "log_sigma_star": 1, "v_esc": 1}


#: Features that are functions of one another, always permuted together as well:
#: log Phi* = log M* - log R_e, so shuffling one alone makes galaxies no mass-size
#: relation allows (the galaxy's place in the mass-size plane).
DEPENDENT_GROUPS: tuple[tuple[str, ...], ...] = (("log_mstar", "log_re", "log_phi_star"),)


def feature_groups(frame: pd.DataFrame, features, *, threshold: float, seed: int = 0):
    """The correlated groups of :func:`correlated_groups` and the :data:`DEPENDENT_GROUPS`.

    Returns
    -------
    list of tuple of str
        Each group once, the dependent groups last (only those whose members are all
        in ``features``).
    """
    groups = correlated_groups(frame, features, threshold=threshold, seed=seed)
    for group in DEPENDENT_GROUPS:
        if set(group) <= set(features) and not any(set(group) == set(g) for g in groups):
            groups.append(group)
    return groups


def correlated_groups(
    frame: pd.DataFrame, features, *, threshold: float = 0.7, max_rows: int = 20000, seed: int = 0
) -> list[tuple[str, ...]]:
    """Groups of features whose absolute Spearman correlation exceeds ``threshold``.

    Features are clustered by average linkage on ``1 - |rho|`` and cut at
    ``1 - threshold``: on average, members of a group correlate more strongly
    than ``threshold``. Permuting one member of such a group underestimates what
    the group carries (the others stand in for it), so the group is also
    permuted as one.

    Parameters
    ----------
    frame : pandas.DataFrame
        Spaxels with the feature columns.
    features : sequence of str
        Columns to group.
    threshold : float, optional
        |rho| above which features are grouped.
    max_rows : int, optional
        Rows used (a seeded random subset of larger tables).
    seed : int, optional
        Seed of that subset.

    Returns
    -------
    list of tuple of str
        Groups of at least two features, each in the order of ``features``.
    """
    features = list(features)
    if len(features) < 2:
        return []
    data = frame[features]
    if len(data) > max_rows:
        rows = np.random.default_rng(seed).choice(len(data), max_rows, replace=False)
        data = data.iloc[np.sort(rows)]
    rho = data.corr(method="spearman").abs().fillna(0.0).to_numpy()
    distance = np.clip(1.0 - rho, 0.0, 1.0)
    np.fill_diagonal(distance, 0.0)
    labels = fcluster(
        linkage(squareform(distance, checks=False), method="average"),
        t=1.0 - threshold, criterion="distance",
    )  # fmt: skip
    groups = []
    for label in pd.unique(labels):
        members = tuple(f for f, lab in zip(features, labels, strict=True) if lab == label)
        if len(members) > 1:
            groups.append(members)
    return groups
