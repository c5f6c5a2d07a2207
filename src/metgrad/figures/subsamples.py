"""Gradient-offset subsamples and their radial profiles (paper Figs 13, 14, 15).

Fig 13 shows how the steep / small / shallow subsamples are cut from the
distribution of SFH-model gradient offsets (``galaxies.parquet``) in one
mass-size bin; Figs 14 and 15 show the stacked radial profiles of
``profiles.csv`` (median and central 68 %) in the six bins.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from ..massize import MASS_LABELS, SIZE_LABELS, offset_subsamples
from ._style import (
    DOUBLE_COLUMN,
    LABELS,
    SINGLE_COLUMN,
    SUBSAMPLE_COLOURS,
    new_figure,
    read_table,
    styled,
)

__all__ = [
    "DEMO_BIN",
    "draw_oh_profiles",
    "draw_residual_profiles",
    "draw_subsample_selection",
    "profile_grid",
]

#: The mass-size bin of the paper's Fig 13.
DEMO_BIN = "mid-extended"
_DEFAULTS = inspect.signature(offset_subsamples).parameters
#: Percentiles and the small-offset half width (dex/R_e), used when a run's summary.json
#: does not record the ones the analysis selected with.
LOW_PERCENTILE = float(_DEFAULTS["low_percentile"].default)
HIGH_PERCENTILE = float(_DEFAULTS["high_percentile"].default)
SMALL_OFFSET = float(_DEFAULTS["small"].default)


def _thresholds(analysis_dir: Path) -> tuple[float, float, float]:
    """(low percentile, high percentile, small offset) the analysis used for this run."""
    path = Path(analysis_dir) / "summary"
    summary = json.loads(path.read_text()) if path.is_file() else {}
    low, high = summary.get("subsample_percentiles", (LOW_PERCENTILE, HIGH_PERCENTILE))
    small = summary.get("subsample_small_offset", SMALL_OFFSET)
    return float(low), float(high), float(small)


SUBSAMPLES = ("steep", "small", "shallow")
SUBSAMPLE_NAMES = {"steep": "steep gradient", "small": "small residual",
                   "shallow": "shallow gradient"}  # fmt: skip


@styled
def draw_subsample_selection(analysis_dir: Path, *, massize_bin: str = DEMO_BIN):
    """Paper Fig 13: the distribution of SFH-model gradient offsets in one mass-size bin.

    Red dashed lines: the 10th and 90th percentiles (steep at or below, shallow
    at or above); blue solid lines: +-0.02 dex/R_e (small residual between).

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.
    massize_bin : str, optional
        Bin to show (default the paper's extended mid-mass bin).

    Returns
    -------
    matplotlib.figure.Figure
    """
    gal = read_table(Path(analysis_dir), "galaxies")
    member = gal[gal["massize_bin"] == massize_bin]
    off = member["offset_sfh"].to_numpy(dtype=float)
    off = off[np.isfinite(off)]
    if off.size < 5:
        raise ValueError(f"only {off.size} galaxies in the {massize_bin} bin; need 5")
    low_pct, high_pct, small = _thresholds(analysis_dir)
    lo, hi = np.percentile(off, [low_pct, high_pct])
    counts = member["subsample"].value_counts()
    fig, ax = new_figure(SINGLE_COLUMN, 2.5)
    edges = np.histogram_bin_edges(off, bins="auto")
    ax.hist(off, bins=edges, color="0.75", edgecolor="0.35", linewidth=0.5)
    for x in (lo, hi):
        ax.axvline(x, color="tab:red", ls="--", lw=1.0)
    for x in (-small, small):
        ax.axvline(x, color="tab:blue", ls="-", lw=1.0)
    ax.set_xlabel(r"$\nabla$[O/H]$_{\rm obs}$ $-$ $\nabla$[O/H]$_{\rm SFH}$ (dex/R$_e$)")
    ax.set_ylabel("galaxies per bin")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.5)
    mass, size = massize_bin.split("-")
    ax.set_title(f"{size} {mass}-mass bin: {off.size} galaxies")
    n = {sub: int(counts.get(sub, 0)) for sub in SUBSAMPLES}
    ax.plot([], [], color="tab:red", ls="--",
            label=f"{low_pct:.0f}th / {high_pct:.0f}th percentiles "
                  f"(steep {n['steep']}, shallow {n['shallow']})")  # fmt: skip
    ax.plot([], [], color="tab:blue", ls="-",
            label=rf"$\pm${small:g} dex/R$_e$ (small residual {n['small']})")  # fmt: skip
    ax.legend(loc="upper left", frameon=True, framealpha=0.9, edgecolor="none",
              handlelength=2.0)  # fmt: skip
    return fig


def profile_grid(profiles: pd.DataFrame, quantity: str, *, ylabel: str,
                 zero_line: bool = False, sharey: bool = False):  # fmt: skip
    """A 2 x 3 grid (size x mass) of radial profiles, three subsamples per panel.

    Parameters
    ----------
    profiles : pandas.DataFrame
        ``profiles.csv``.
    quantity : str
        ``'oh'`` or ``'residual_sfh'``.
    ylabel : str
        Label of the profile values with units.
    zero_line : bool, optional
        Draw a dotted line at 0.
    sharey : bool, optional
        One y range for all panels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows = profiles[(profiles["quantity"] == quantity) & np.isfinite(profiles["median"])]
    if rows.empty:
        raise ValueError(f"profiles.csv has no finite {quantity} profile")
    fig, axes = new_figure(DOUBLE_COLUMN, 4.0, len(SIZE_LABELS), len(MASS_LABELS),
                           sharex=True, sharey=sharey, squeeze=False)  # fmt: skip
    shift = {"steep": -0.04, "small": 0.0, "shallow": 0.04}  # R/R_e, so error bars do not overlap
    r_lo, r_hi = float(profiles["r_lo"].min()), float(profiles["r_hi"].max())
    for i, size in enumerate(SIZE_LABELS):
        for j, mass in enumerate(MASS_LABELS):
            ax = axes[i, j]
            name = f"{mass}-{size}"
            panel = rows[rows["massize_bin"] == name]
            all_rows = profiles[(profiles["massize_bin"] == name)
                                & (profiles["quantity"] == quantity)]  # fmt: skip
            notes = []
            for sub in SUBSAMPLES:
                p = panel[panel["subsample"] == sub]
                n_gal = all_rows.loc[all_rows["subsample"] == sub, "n_galaxies"]
                n_gal = int(n_gal.iloc[0]) if len(n_gal) else 0
                notes.append((sub, n_gal))
                if p.empty:
                    continue
                med = p["median"].to_numpy()
                yerr = np.vstack([med - p["p16"].to_numpy(), p["p84"].to_numpy() - med])
                ax.errorbar(p["r_mid"] + shift[sub], med, yerr=yerr, fmt="o", ms=2.5,
                            color=SUBSAMPLE_COLOURS[sub], elinewidth=0.7,
                            label=SUBSAMPLE_NAMES[sub])  # fmt: skip
            if panel.empty:
                ax.text(0.5, 0.5, "no galaxies in this bin", transform=ax.transAxes,
                        ha="center", va="center", fontsize=7, color="0.4")  # fmt: skip
            counts = " / ".join(str(n_gal) for _, n_gal in notes)
            ax.set_title(f"{size}, {mass} mass ({counts})")
            if zero_line:
                ax.axhline(0.0, color="0.5", lw=0.6, ls=":")
            ax.set_xlim(r_lo - 0.05, r_hi + 0.05)
            if i == len(SIZE_LABELS) - 1:
                ax.set_xlabel(LABELS["r_re"])
    fig.supylabel(ylabel, fontsize=8)  # one label: a long one does not fit each row
    handles = [Line2D([], [], color=SUBSAMPLE_COLOURS[s], marker="o", ms=3, ls="",
                      label=f"{SUBSAMPLE_NAMES[s]} galaxies") for s in SUBSAMPLES]  # fmt: skip
    fig.legend(handles=handles, loc="outside upper center", ncol=3,
               title="numbers in brackets: galaxies per subsample (steep / small / shallow)",
               title_fontsize=6.5)  # fmt: skip
    return fig


@styled
def draw_oh_profiles(analysis_dir: Path):
    """Paper Fig 14: radial profiles of observed 12+log(O/H) for the three subsamples per bin.

    All six panels share their axes, so profiles compare across the mass-size plane.

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    profiles = read_table(Path(analysis_dir), "profiles")
    return profile_grid(profiles, "oh", ylabel=LABELS["oh"], sharey=True)


@styled
def draw_residual_profiles(analysis_dir: Path):
    """Paper Fig 15: radial profiles of observed minus SFH-model metallicity per subsample.

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    profiles = read_table(Path(analysis_dir), "profiles")
    return profile_grid(profiles, "residual_sfh", ylabel=LABELS["residual_sfh"],
                        zero_line=True, sharey=True)  # fmt: skip
