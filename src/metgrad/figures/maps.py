"""2-D binned maps with spaxel-density contours (paper Figs 3, 5, 7, 8, B2, B4, B5).

Each ``map_<name>.csv`` row is one occupied bin (centre ``x``, ``y``; raw
``mean``; LOESS ``smoothed``); the figures show the smoothed values, as the
paper does ("with weak smoothing applied"), on the regular grid the bins
define. Empty cells stay blank. Contours enclose 90, 50 and 10 % of the
spaxels of ``spaxels.parquet`` in the same plane.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._style import (
    DIVERGING,
    LABELS,
    SEQUENTIAL,
    SINGLE_COLUMN,
    add_density_contours,
    centred_norm,
    colorbar_extend,
    new_figure,
    oh_column,
    read_table,
    robust_limits,
    styled,
)
from .trends import spaxel_residuals, trend_panel

__all__ = [
    "draw_age_ew_map",
    "draw_age_map",
    "draw_base_map",
    "draw_sfr_residuals",
    "grid_of",
    "map_panel",
]

RESIDUAL_MAP_LABEL = r"mean log(O/H)$_{\rm obs}$ $-$ log(O/H)$_{\rm base}$ (dex)"


def _grid_step(centres: np.ndarray) -> float:
    """Bin width along one axis, from the bin centres alone.

    The analysis bins have edges at multiples of their width ``w``
    (:func:`metgrad.stats.binned.bin_index`), so every centre is ``(k + 1/2) w``.
    The width is the largest ``g / j`` (``g`` the smallest gap between distinct
    centres, ``j = 1, 2, ...``) that puts every centre there; this holds even when
    no two neighbouring bins are occupied. Without such a width, ``g`` is used.
    """
    u = np.unique(np.round(centres, 9))
    gaps = np.diff(u)
    gaps = gaps[gaps > 1e-9]
    if not gaps.size:
        raise ValueError("a map needs at least two distinct bin centres along each axis")
    smallest = float(gaps.min())
    for j in range(1, 101):
        width = smallest / j
        k = u / width - 0.5
        if np.allclose(k, np.rint(k), rtol=0.0, atol=1e-6):
            return width
    return smallest


def grid_of(table: pd.DataFrame, value: str = "smoothed"):
    """Place the bins of a ``map_<name>.csv`` table on their regular grid.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``x``, ``y`` (bin centres) and ``value``.
    value : str, optional
        Column to place.

    Returns
    -------
    x_edges, y_edges : ndarray
        Cell edges (data units).
    grid : numpy.ma.MaskedArray, shape (len(y_edges) - 1, len(x_edges) - 1)
        ``value`` per cell, masked where no bin was fitted.
    """
    if table.empty:
        raise ValueError("the map table has no bins")
    x = table["x"].to_numpy(dtype=float)
    y = table["y"].to_numpy(dtype=float)
    v = table[value].to_numpy(dtype=float)
    dx, dy = _grid_step(x), _grid_step(y)
    ix = np.rint((x - x.min()) / dx).astype(np.int64)
    iy = np.rint((y - y.min()) / dy).astype(np.int64)
    grid = np.full((iy.max() + 1, ix.max() + 1), np.nan)
    grid[iy, ix] = v
    x_edges = x.min() - 0.5 * dx + dx * np.arange(ix.max() + 2)
    y_edges = y.min() - 0.5 * dy + dy * np.arange(iy.max() + 2)
    return x_edges, y_edges, np.ma.masked_invalid(grid)


def map_panel(ax, table: pd.DataFrame, contour_x, contour_y, *, cmap: str, norm,
              xlabel: str, ylabel: str, cbar_label: str):  # fmt: skip
    """Smoothed map of binned values, spaxel-density contours and a colour bar.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    table : pandas.DataFrame
        A ``map_<name>.csv`` table.
    contour_x, contour_y : array_like
        Spaxel coordinates in the map's plane (for the 10/50/90 % contours).
    cmap : str
        Colour map.
    norm : matplotlib.colors.Normalize
        Colour scale.
    xlabel, ylabel, cbar_label : str
        Labels with units.
    """
    xe, ye, grid = grid_of(table)
    mesh = ax.pcolormesh(xe, ye, grid, cmap=cmap, norm=norm, linewidth=0, rasterized=True)
    cx = np.asarray(contour_x, dtype=float)
    cy = np.asarray(contour_y, dtype=float)
    good = np.isfinite(cx) & np.isfinite(cy)
    add_density_contours(ax, cx[good], cy[good])
    # limits: the map, widened to hold the central 99 % of the spaxels
    x0, x1 = np.percentile(cx[good], [0.5, 99.5])
    y0, y1 = np.percentile(cy[good], [0.5, 99.5])
    x0, x1 = min(x0, xe[0]), max(x1, xe[-1])
    y0, y1 = min(y0, ye[0]), max(y1, ye[-1])
    ax.set_xlim(x0 - 0.03 * (x1 - x0), x1 + 0.03 * (x1 - x0))
    ax.set_ylim(y0 - 0.03 * (y1 - y0), y1 + 0.03 * (y1 - y0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.figure.colorbar(mesh, ax=ax, label=cbar_label, pad=0.02, aspect=25,
                       extend=colorbar_extend(norm, grid.compressed()))  # fmt: skip
    return mesh


def _spaxels_with_base(analysis_dir: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Spaxels with a base-model prediction (the sample the residual maps were fitted on)."""
    spaxels, resid = spaxel_residuals(read_table(analysis_dir, "spaxels"), "base")
    keep = np.isfinite(resid)
    return spaxels[keep], resid[keep]


@styled
def draw_base_map(analysis_dir: Path):
    """Paper Figs 3 / B2: smoothed mean 12+log(O/H) in bins of M* and Sigma_* (base models).

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    analysis_dir = Path(analysis_dir)
    table = read_table(analysis_dir, "map_base")
    spaxels = read_table(analysis_dir, "spaxels")
    label = f"mean 12+log(O/H)$_{{\\rm {oh_column(spaxels)[3:].upper()}}}$ (dex)"
    fig, ax = new_figure(SINGLE_COLUMN, 2.75)
    map_panel(ax, table, spaxels["log_mstar"], spaxels["log_sigma_star"], cmap=SEQUENTIAL,
              norm=robust_limits(table["smoothed"]), xlabel=LABELS["log_mstar"],
              ylabel=LABELS["log_sigma_star"], cbar_label=label)  # fmt: skip
    return fig


def _residual_map(ax, analysis_dir: Path, name: str, xcol: str, ycol: str,
                  spaxels: pd.DataFrame) -> None:  # fmt: skip
    table = read_table(analysis_dir, f"map_{name}")
    map_panel(ax, table, spaxels[xcol], spaxels[ycol], cmap=DIVERGING,
              norm=centred_norm(table["smoothed"]), xlabel=LABELS[xcol], ylabel=LABELS[ycol],
              cbar_label=RESIDUAL_MAP_LABEL)  # fmt: skip


@styled
def draw_sfr_residuals(analysis_dir: Path):
    """Paper Figs 5 / B4: base residuals against sSFR_local (top) and over Sigma_*-Sigma_SFR.

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    analysis_dir = Path(analysis_dir)
    spaxels, resid = _spaxels_with_base(analysis_dir)
    trend = read_table(analysis_dir, "trend_log_ssfr")
    if trend.empty:
        raise ValueError("trend_log_ssfr.csv has no bin with enough spaxels")
    fig, axes = new_figure(SINGLE_COLUMN, 5.0, 2, 1)
    trend_panel(axes[0], spaxels["log_ssfr"], resid, trend, xlabel=LABELS["log_ssfr"],
                ylabel=LABELS["residual_base"])  # fmt: skip
    _residual_map(axes[1], analysis_dir, "sigma_sfr_residual", "log_sigma_star",
                  "log_sigma_sfr", spaxels)  # fmt: skip
    return fig


@styled
def draw_age_map(analysis_dir: Path):
    """Paper Figs 7 / B5: smoothed mean base residual over D4000 and t_LW (the SFH correction).

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    analysis_dir = Path(analysis_dir)
    spaxels, _ = _spaxels_with_base(analysis_dir)
    fig, ax = new_figure(SINGLE_COLUMN, 2.75)
    _residual_map(ax, analysis_dir, "sfh_correction", "d4000", "log_age_lw", spaxels)
    return fig


@styled
def draw_age_ew_map(analysis_dir: Path):
    """Paper Fig 8: smoothed mean base residual over EW(Halpha) and t_LW (the SFH-Ha correction).

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    analysis_dir = Path(analysis_dir)
    spaxels, _ = _spaxels_with_base(analysis_dir)
    fig, ax = new_figure(SINGLE_COLUMN, 2.75)
    _residual_map(ax, analysis_dir, "sfh_ha_correction", "log_ew_ha", "log_age_lw", spaxels)
    return fig
