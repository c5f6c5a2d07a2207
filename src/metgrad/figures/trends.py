"""Binned residual trends over spaxel-density contours (paper Figs 6 and 9; Fig 5 top).

Points are the medians of ``trend_<x>.csv`` with the robust dispersion as
error bars; the contours enclose 90, 50 and 10 % of the spaxels of
``spaxels.parquet`` in the same plane.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._style import (
    LABELS,
    SINGLE_COLUMN,
    add_density_contours,
    new_figure,
    oh_column,
    read_table,
    styled,
)

__all__ = ["draw_mass_residuals", "draw_residual_trends", "spaxel_residuals", "trend_panel"]

TREND_COLOUR = "tab:red"


def spaxel_residuals(spaxels: pd.DataFrame, model: str, *, final_only: bool = False):
    """Observed minus ``model`` metallicity of each spaxel (dex), NaN where unpredicted.

    Parameters
    ----------
    spaxels : pandas.DataFrame
        ``spaxels.parquet``.
    model : str
        Model name, e.g. ``'base'`` or ``'SFH'`` (column ``pred_<model>``).
    final_only : bool, optional
        Keep only the final-sample spaxels (``final`` flag).

    Returns
    -------
    frame : pandas.DataFrame
        The (possibly filtered) spaxels.
    residual : ndarray
    """
    column = f"pred_{model}"
    if column not in spaxels.columns:
        raise ValueError(f"spaxels.parquet has no column {column}")
    if final_only:
        spaxels = spaxels[spaxels["final"].to_numpy(dtype=bool)]
    resid = spaxels[oh_column(spaxels)].to_numpy(dtype=float) - spaxels[column].to_numpy(float)
    return spaxels, resid


def _trend(analysis_dir: Path, name: str) -> pd.DataFrame:
    table = read_table(analysis_dir, f"trend_{name}")
    if table.empty:
        raise ValueError(f"trend_{name}.csv has no bin with enough spaxels")
    return table


def _span(values, lo: float = 0.5, hi: float = 99.5) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    a, b = np.percentile(v, [lo, hi])
    return float(a), float(b)


def trend_panel(ax, x, residual, trend: pd.DataFrame, *, xlabel: str, ylabel: str) -> None:
    """Spaxel-density contours of ``(x, residual)`` with the binned medians and dispersions.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x, residual : array_like
        Spaxel values of the binned parameter and of the residual (dex).
    trend : pandas.DataFrame
        A ``trend_<x>.csv`` table (``x_mid``, ``median``, ``dispersion``).
    xlabel, ylabel : str
        Axis labels with units.
    """
    x = np.asarray(x, dtype=float)
    residual = np.asarray(residual, dtype=float)
    good = np.isfinite(x) & np.isfinite(residual)
    add_density_contours(ax, x[good], residual[good])
    ax.axhline(0.0, color="0.5", lw=0.6, ls=":")
    ax.errorbar(trend["x_mid"], trend["median"], yerr=trend["dispersion"], fmt="o",
                ms=2.5, color=TREND_COLOUR, ecolor=TREND_COLOUR, elinewidth=0.8,
                label="median $\\pm$ dispersion")  # fmt: skip
    x0, x1 = _span(x[good])
    # every binned point inside the axes, with the half bin around it
    x0 = min(x0, float(trend["x_lo"].min()))
    x1 = max(x1, float(trend["x_hi"].max()))
    y0, y1 = _span(residual[good], 1.0, 99.0)
    y0 = min(y0, float((trend["median"] - trend["dispersion"]).min()))
    y1 = max(y1, float((trend["median"] + trend["dispersion"]).max()))
    ax.set_xlim(x0 - 0.04 * (x1 - x0), x1 + 0.04 * (x1 - x0))
    ax.set_ylim(y0 - 0.08 * (y1 - y0), y1 + 0.08 * (y1 - y0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper right", handlelength=1.0)


@styled
def draw_residual_trends(analysis_dir: Path):
    """Paper Fig 6: base-model residuals against D4000 (top) and EW(Halpha) (bottom).

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    analysis_dir = Path(analysis_dir)
    spaxels, resid = spaxel_residuals(read_table(analysis_dir, "spaxels"), "base")
    fig, axes = new_figure(SINGLE_COLUMN, 4.6, 2, 1)
    for ax, name in zip(axes, ("d4000", "log_ew_ha"), strict=True):
        trend_panel(ax, spaxels[name], resid, _trend(analysis_dir, name),
                    xlabel=LABELS[name], ylabel=LABELS["residual_base"])  # fmt: skip
    return fig


@styled
def draw_mass_residuals(analysis_dir: Path):
    """Paper Fig 9: final-sample residuals against M* for base (top) and SFH (bottom) models.

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    analysis_dir = Path(analysis_dir)
    spaxels = read_table(analysis_dir, "spaxels")
    fig, axes = new_figure(SINGLE_COLUMN, 4.6, 2, 1, sharex=True)
    for ax, model, name in zip(axes, ("base", "SFH"), ("base", "sfh"), strict=True):
        final, resid = spaxel_residuals(spaxels, model, final_only=True)
        trend_panel(ax, final["log_mstar"], resid, _trend(analysis_dir, f"log_mstar_{name}"),
                    xlabel=LABELS["log_mstar"], ylabel=LABELS[f"residual_{name}"])  # fmt: skip
    axes[0].set_xlabel("")
    lows, highs = zip(*(ax.get_ylim() for ax in axes), strict=True)
    for ax in axes:  # one residual scale, so the two models compare by eye
        ax.set_ylim(min(lows), max(highs))
    return fig
