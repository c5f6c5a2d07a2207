"""The paper's appendices: Fig A1, and the Appendix B figures of any calibrator.

- :func:`draw_model_order` (Fig A1): how much the SFH models change when their
  parameters are taken in another order. Histograms, over the spaxels that all
  three models predict, of the SFH model minus the SFH-a (top) and SFH-b (bottom)
  models, with the mean (red solid) and the mean +- robust dispersion (blue
  dashed), next to the data-model dispersion of the SFH models from
  ``tableA1.csv`` for scale.
- :data:`APPENDIX_B`: Figs B1-B7, the main-text Figs 2, 3, 4, 5, 7, 10 and 11 drawn
  again from another calibrator's analysis (the paper shows them for PG16 R). The
  registry (:func:`metgrad.figures.registry.appendix_b_figures`) makes them for
  every analysed calibrator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..stats import robust_sigma
from . import correlations, maps, massize
from ._style import SINGLE_COLUMN, new_figure, read_table, styled

__all__ = ["APPENDIX_B", "AppendixFigure", "draw_model_order"]


@dataclass(frozen=True)
class AppendixFigure:
    """One Appendix B figure, to be drawn for any calibrator.

    Attributes
    ----------
    number : str
        The paper's number, ``'B1'`` ... ``'B7'``.
    title, caption : str
        Templates with ``{label}``, the calibrator's label (e.g. ``"C20 R23"``).
    draw : callable
        ``draw(analysis_dir: Path) -> matplotlib.figure.Figure`` (the main-text figure's).
    """

    number: str
    title: str
    caption: str
    draw: Callable[[Path], Figure] = field(repr=False)


_SPEARMAN = (
    "absolute Spearman correlation coefficients over the model-fitting spaxels (red bars "
    "positive, blue negative; p-values of 0.01 or more printed beside their bar)"
)
#: Figs B1-B7 of Boardman et al. (2022): the main-text figure each redraws, for a calibrator.
APPENDIX_B: tuple[AppendixFigure, ...] = (
    AppendixFigure("B1", "Correlations of {label} metallicity",
                   f"As Fig 2, for the {{label}} calibrator: {_SPEARMAN} between the observed "
                   "12+log(O/H) and each parameter.",
                   correlations.draw_metallicity_correlations),
    AppendixFigure("B2", "Mean {label} metallicity over stellar mass and density",
                   "As Fig 3, for the {label} calibrator: the {label} base models.",
                   maps.draw_base_map),
    AppendixFigure("B3", "Correlations of {label} base-model residuals",
                   f"As Fig 4, for the {{label}} calibrator: {_SPEARMAN} between the "
                   "base-model residuals and each parameter.",
                   correlations.draw_residual_correlations),
    AppendixFigure("B4", "{label} base-model residuals against local star formation",
                   "As Fig 5, for the {label} calibrator.", maps.draw_sfr_residuals),
    AppendixFigure("B5", "{label} base-model residuals over D4000 and age",
                   "As Fig 7, for the {label} calibrator: the correction of the {label} SFH "
                   "models.", maps.draw_age_map),
    AppendixFigure("B6", "{label} gradients across the mass-size plane",
                   "As Fig 10, for the {label} calibrator: LOESS-smoothed observed, "
                   "base-model and SFH-model gradients of the {label} final sample.",
                   massize.draw_gradient_maps),
    AppendixFigure("B7", "{label} gradient offsets across the mass-size plane",
                   "As Fig 11, for the {label} calibrator: LOESS-smoothed offsets between "
                   "observed and model gradients, normalised by the robust dispersion of the "
                   "{label} base-model offsets.", massize.draw_offset_maps),
)  # fmt: skip


@styled
def draw_model_order(analysis_dir: Path):
    """Paper Fig A1: SFH minus SFH-a (top) and SFH minus SFH-b (bottom) model metallicities.

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The dispersion is :func:`metgrad.stats.robust_sigma`, as for every
    dispersion of the paper.
    """
    analysis_dir = Path(analysis_dir)
    spaxels = read_table(analysis_dir, "spaxels")
    preds = {m: spaxels[f"pred_{m}"].to_numpy(dtype=float) for m in ("SFH", "SFH_a", "SFH_b")}
    common = np.logical_and.reduce([np.isfinite(v) for v in preds.values()])
    if common.sum() < 10:
        raise ValueError(f"only {int(common.sum())} spaxels have SFH, SFH-a and SFH-b models")
    data_model = np.nan
    try:
        table = read_table(analysis_dir, "tableA1").set_index("model")
        data_model = float(table.loc["SFH", "residual_dispersion"])
    except (FileNotFoundError, KeyError):
        pass
    fig, axes = new_figure(SINGLE_COLUMN, 4.2, 2, 1)
    for ax, other, tag in zip(axes, ("SFH_a", "SFH_b"), ("a", "b"), strict=True):
        diff = preds["SFH"][common] - preds[other][common]
        mean, sigma = float(np.mean(diff)), float(robust_sigma(diff))
        half = max(5.0 * sigma, 1e-3)
        edges = np.linspace(mean - half, mean + half, 61)
        ax.hist(np.clip(diff, edges[0], edges[-1]), bins=edges, color="0.75",
                edgecolor="0.35", linewidth=0.4)  # fmt: skip
        ax.axvline(mean, color="tab:red", lw=1.1, label=f"mean = {mean:+.4f} dex")
        for x in (mean - sigma, mean + sigma):
            ax.axvline(x, color="tab:blue", ls="--", lw=1.0)
        ax.plot([], [], color="tab:blue", ls="--", label=f"dispersion = {sigma:.4f} dex")
        ax.set_xlim(edges[0], edges[-1])
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.set_ylim(0, ax.get_ylim()[1] * 1.6)
        ax.set_xlabel(rf"log(O/H)$_{{\rm SFH}}$ $-$ log(O/H)$_{{\rm SFH\text{{-}}{tag}}}$ (dex)")
        ax.set_ylabel("spaxels per bin")
        note = f"{int(common.sum())} spaxels"
        if np.isfinite(data_model):
            note += f"\nobs $-$ SFH dispersion: {data_model:.4f} dex"
        ax.legend(loc="upper left", handlelength=1.8, title=note, title_fontsize=6,
                  alignment="left", frameon=True, framealpha=0.9, edgecolor="none")  # fmt: skip
    return fig
