"""Step 8 (§4.2, Figs 10-15): the final galaxies across the mass-size plane.

LOESS maps of the gradients and offsets (``[massize] loess_frac``, the paper's
20 %), mass thirds, the median mass-size relation and the six mass-size bins,
the steep / small / shallow subsamples by SFH offset within each bin, and their
stacked radial profiles of metallicity and SFH residual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import columns as C
from ..config import RunConfig
from ..massize import (
    extended_flags,
    loess_map,
    mass_thirds,
    massize_bins,
    offset_subsamples,
    radial_profile,
)

__all__ = ["LOESS_COLUMNS", "SUBSAMPLES", "MassSizePlane", "massize_plane"]

#: Galaxy columns smoothed over the mass-size plane.
LOESS_COLUMNS = ("grad_obs", "grad_base", "grad_sfh", "offset_base_norm", "offset_sfh_norm")
#: Subsamples of §4.2, in the order of the paper's Figs 14-15.
SUBSAMPLES = ("steep", "small", "shallow")


@dataclass(frozen=True)
class MassSizePlane:
    """The mass-size plane of the final galaxies.

    Attributes
    ----------
    galaxies : pandas.DataFrame
        The galaxy table with ``loess_<column>`` for :data:`LOESS_COLUMNS`,
        ``mass_third``, ``extended``, ``massize_bin`` and ``subsample``.
    relation : pandas.DataFrame
        The median mass-size relation.
    third_edges : ndarray, shape (2,)
        log M* tertiles.
    profiles : pandas.DataFrame
        Radial profiles per bin, subsample and quantity.
    """

    galaxies: pd.DataFrame
    relation: pd.DataFrame
    third_edges: np.ndarray
    profiles: pd.DataFrame


def _profiles(gal, f, oh_column, config) -> pd.DataFrame:
    edges = config.massize.profile_edges
    # one integer per (mass-size bin, subsample) pair, looked up per spaxel once
    pairs = pd.MultiIndex.from_arrays([gal["massize_bin"], gal["subsample"]])
    pair_code, pair_names = pd.factorize(pairs)
    code_of = {pair: i for i, pair in enumerate(pair_names)}
    code = pd.Series(pair_code, index=gal.index).reindex(f[C.PLATEIFU]).to_numpy()
    r = f[C.R_RE].to_numpy()
    quantities = {"oh": f[oh_column].to_numpy(),
                  "residual_sfh": (f[oh_column] - f[C.pred("SFH")]).to_numpy()}  # fmt: skip
    keys, profiles = [], []
    for b in sorted(set(gal["massize_bin"]) - {""}):
        for sub in SUBSAMPLES:
            at = code_of.get((b, sub), -1)  # -1 (no galaxy): matches nothing
            member = code == at
            n_gal = int((pair_code == at).sum())
            for quantity, values in quantities.items():
                profiles.append(radial_profile(r[member], values[member], edges=edges))
                keys.append((b, sub, quantity, n_gal))
    table = pd.concat(profiles, ignore_index=True)
    n_rows = [len(p) for p in profiles]
    for position, name in enumerate(("massize_bin", "subsample", "quantity", "n_galaxies")):
        table.insert(position, name, np.repeat([k[position] for k in keys], n_rows))
    return table


def massize_plane(
    galaxies: pd.DataFrame, final_spaxels: pd.DataFrame, oh_column: str, config: RunConfig,
    *, pool,
) -> MassSizePlane:  # fmt: skip
    """Maps, classes, subsamples and profiles of the final galaxies.

    Parameters
    ----------
    galaxies : pandas.DataFrame
        :attr:`~.final_gradients.FinalGradients.galaxies`.
    final_spaxels : pandas.DataFrame
        The final spaxels (with ``pred_SFH``).
    oh_column : str
        Observed 12+log(O/H).
    config : RunConfig
        ``[massize]`` options.
    pool : object with ``map``
        The maps are smoothed on its threads.
    """
    ms = config.massize
    gal = galaxies.copy()
    m, lr = gal[C.LOG_MSTAR].to_numpy(), gal[C.LOG_RE].to_numpy()

    def smooth(col):
        return loess_map(m, lr, gal[col].to_numpy(), frac=ms.loess_frac)

    for col, smoothed in zip(LOESS_COLUMNS, pool.map(smooth, LOESS_COLUMNS), strict=True):
        gal[C.loess(col)] = smoothed
    gal["mass_third"], third_edges = mass_thirds(m)
    gal["extended"], relation = extended_flags(m, lr, bin_width=ms.relation_bin)
    gal["massize_bin"] = massize_bins(m, lr, bin_width=ms.relation_bin)
    gal["subsample"] = offset_subsamples(
        gal[C.offset("SFH")].to_numpy(), gal["massize_bin"].to_numpy(),
        low_percentile=ms.steep_percentile, high_percentile=ms.shallow_percentile,
        small=ms.small_offset,
    )  # fmt: skip
    profiles = _profiles(gal, final_spaxels, oh_column, config)
    return MassSizePlane(gal, relation, third_edges, profiles)
