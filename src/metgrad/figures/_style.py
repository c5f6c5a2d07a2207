"""Shared look of the paper's figures: sizes, fonts, labels, colour scales, density contours.

Every figure is drawn on a bare :class:`matplotlib.figure.Figure` (Agg canvas, no
pyplot state), inside :func:`paper_style`, at MNRAS column widths so that the
same file serves the HTML report (PNG) and a manuscript (PDF).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import CenteredNorm, Normalize
from matplotlib.figure import Figure
from scipy.ndimage import gaussian_filter

from ..atomic import atomic_path
from ..layout import ANALYSIS_FILES, AnalysisLayout

__all__ = [
    "DIVERGING",
    "DOUBLE_COLUMN",
    "LABELS",
    "PARAMETER_LABELS",
    "RC",
    "SEQUENTIAL",
    "SINGLE_COLUMN",
    "SUBSAMPLE_COLOURS",
    "DensityContours",
    "add_density_contours",
    "centred_norm",
    "colorbar_extend",
    "density_contours",
    "new_figure",
    "oh_column",
    "paper_style",
    "read_json",
    "read_table",
    "robust_limits",
    "save_figure",
    "styled",
]

#: MNRAS text widths (inches): one column (84 mm) and the full page (174 mm).
SINGLE_COLUMN = 3.32
DOUBLE_COLUMN = 6.85

#: Colour maps: diverging (centred on 0) for signed quantities, sequential otherwise.
DIVERGING = "RdBu_r"
SEQUENTIAL = "viridis"
#: Colours of the three gradient-offset subsamples (paper Figs 14-15).
SUBSAMPLE_COLOURS = {"steep": "tab:blue", "small": "tab:green", "shallow": "tab:red"}

#: Axis labels (with units) of the analysis-table columns.
LABELS: dict[str, str] = {
    "log_mstar": r"log$_{10}$(M$_*$/M$_\odot$)",
    "log_re": r"log$_{10}$(R$_e$/kpc)",
    "log_sigma_star": r"log$_{10}$($\Sigma_*$/M$_\odot$ kpc$^{-2}$)",
    "log_sigma_sfr": r"log$_{10}$($\Sigma_{\rm SFR}$/M$_\odot$ yr$^{-1}$ kpc$^{-2}$)",
    "log_ssfr": r"log$_{10}$(sSFR$_{\rm local}$/yr$^{-1}$)",
    "log_ew_ha": r"log$_{10}$(EW(H$\alpha$)/$\mathrm{\AA}$)",
    "d4000": "D4000",
    "log_age_lw": r"log$_{10}$(t$_{\rm LW}$/yr)",
    "r_re": r"R/R$_e$",
    "gradient": r"$\nabla$[O/H] (dex/R$_e$)",
    "oh": "12+log(O/H) (dex)",
    "residual_base": r"log(O/H)$_{\rm obs}$ $-$ log(O/H)$_{\rm base}$ (dex)",
    "residual_sfh": r"log(O/H)$_{\rm obs}$ $-$ log(O/H)$_{\rm SFH}$ (dex)",
}

#: Display names of the correlation parameters (``correlations.csv`` ``parameter`` column).
PARAMETER_LABELS: dict[str, str] = {
    "M*": r"M$_*$",
    "R_e": r"R$_e$",
    "Sigma_*": r"$\Sigma_*$",
    "Sigma_SFR": r"$\Sigma_{\rm SFR}$",
    "sSFR_local": r"sSFR$_{\rm local}$",
    "EW(Halpha)": r"EW(H$\alpha$)",
    "D4000": "D4000",
    "t_LW": r"t$_{\rm LW}$",
    "A_V": r"A$_V$",
    "A_V/Sigma_*": r"A$_V$/$\Sigma_*$",
    "Sigma_SFR/A_V": r"$\Sigma_{\rm SFR}$/A$_V$",
}

#: Matplotlib settings of every figure (8 pt text, inward ticks on all sides).
RC: dict[str, object] = {
    "font.size": 8.0,
    "axes.titlesize": 8.0,
    "axes.labelsize": 8.0,
    "xtick.labelsize": 7.0,
    "ytick.labelsize": 7.0,
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "axes.linewidth": 0.6,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "xtick.minor.visible": False,
    "ytick.minor.visible": False,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "ytick.minor.width": 0.4,
    "lines.linewidth": 1.0,
    "errorbar.capsize": 1.5,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.hashsalt": "metgrad",
    "image.cmap": SEQUENTIAL,
    "axes.formatter.useoffset": False,
}


def paper_style():
    """Context manager that applies :data:`RC` (on top of matplotlib's defaults)."""
    return mpl.rc_context(RC)


def styled(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """Decorator: run a figure-drawing function inside :func:`paper_style`."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with paper_style():
            return draw(*args, **kwargs)

    return wrapper


def new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1, **kwargs):
    """A figure (constrained layout, Agg canvas) and its grid of axes.

    Parameters
    ----------
    width, height : float
        Size in inches.
    nrows, ncols : int, optional
        Grid of axes.
    **kwargs
        Passed to :meth:`matplotlib.figure.Figure.subplots` (``sharex``, ``squeeze``...).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or ndarray of Axes
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02, wspace=0.03, hspace=0.03)
    axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes


def _analysis_file(analysis_dir: Path, key: str) -> Path:
    """Path of a table of the analysis folder by its key (:data:`~metgrad.layout.ANALYSIS_FILES`,
    or ``map_<name>`` / ``trend_<name>``)."""
    layout = AnalysisLayout(Path(analysis_dir))
    if key in ANALYSIS_FILES:
        return getattr(layout, key)
    kind, _, name = key.partition("_")
    if kind == "map":
        return layout.map(name)
    if kind == "trend":
        return layout.trend(name)
    raise ValueError(f"no analysis table {key!r}")


def read_table(analysis_dir: Path, key: str) -> pd.DataFrame:
    """Read a table of the analysis folder (CSV or Parquet); a clear error if it is missing.

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.
    key : str
        The table's key in :data:`metgrad.layout.ANALYSIS_FILES` (``'galaxies'``,
        ``'spaxels'``, ...), or ``'map_<name>'`` / ``'trend_<name>'``.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FileNotFoundError
        If the table does not exist (e.g. a map too sparse to fit in a small run).
    """
    path = _analysis_file(analysis_dir, key)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path.parent.name}/{path.name} is missing from the analysis tables"
        )
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path)


def read_json(analysis_dir: Path, key: str = "summary") -> dict:
    """Read a JSON file of the analysis folder by its key (``summary``)."""
    path = _analysis_file(analysis_dir, key)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path.parent.name}/{path.name} is missing from the analysis tables"
        )
    return json.loads(path.read_text())


def oh_column(frame: pd.DataFrame) -> str:
    """Name of the observed 12+log(O/H) column of a spaxel table (``oh_m13``, ``oh_pg16``)."""
    names = [c for c in frame.columns if c.startswith("oh_") and not c.endswith("_err")]
    if len(names) != 1:
        raise ValueError(f"expected one observed metallicity column oh_*, found {names}")
    return names[0]


def centred_norm(*values, percentile: float = 98.0, floor: float = 1e-6) -> CenteredNorm:
    """A colour scale centred on 0 with symmetric limits from a robust percentile of |values|.

    Parameters
    ----------
    *values : array_like
        Every array that will share the scale.
    percentile : float, optional
        Percentile of the absolute finite values used as the half range (98 so
        that a few outliers do not wash out the map; they saturate instead).
    floor : float, optional
        Smallest half range (all-zero data still get a valid scale).

    Returns
    -------
    matplotlib.colors.CenteredNorm
        Centre 0, half range as above.
    """
    v = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in values])
    v = np.abs(v[np.isfinite(v)])
    if not v.size:
        raise ValueError("no finite values to colour")
    return CenteredNorm(vcenter=0.0, halfrange=max(float(np.percentile(v, percentile)), floor))


def robust_limits(*values, percentile: float = 99.0) -> Normalize:
    """Sequential colour limits from the central ``percentile`` % of the finite values."""
    v = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in values])
    v = v[np.isfinite(v)]
    if not v.size:
        raise ValueError("no finite values to colour")
    lo, hi = np.percentile(v, [(100 - percentile) / 2, (100 + percentile) / 2])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return Normalize(vmin=lo, vmax=hi)


def colorbar_extend(norm: Normalize, *values) -> str:
    """``'neither'``, ``'min'``, ``'max'`` or ``'both'``: which ends of the data saturate."""
    v = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in values])
    v = v[np.isfinite(v)]
    low, high = bool((v < norm.vmin).any()), bool((v > norm.vmax).any())
    return {(False, False): "neither", (True, False): "min", (False, True): "max"}.get(
        (low, high), "both"
    )


@dataclass(frozen=True)
class DensityContours:
    """A smoothed 2-D point density and the levels enclosing given fractions of the points.

    Attributes
    ----------
    x, y : ndarray
        Grid centres along each axis (data units).
    density : ndarray, shape (len(y), len(x))
        Smoothed counts per grid cell (arbitrary normalisation).
    fractions : tuple of float
        Fractions of the points enclosed, sorted so that ``levels`` increase
        (largest fraction first).
    levels : ndarray
        Density level of each contour; the points where the density is at or
        above ``levels[i]`` are ``fractions[i]`` of all points.
    """

    x: np.ndarray
    y: np.ndarray
    density: np.ndarray
    fractions: tuple[float, ...]
    levels: np.ndarray


def density_contours(
    x, y, *, fractions: Iterable[float] = (0.1, 0.5, 0.9), n_grid: int = 100, pad: float = 0.1
) -> DensityContours:
    """Density of points on a grid and the contour levels enclosing given fractions of them.

    The density is a binned Gaussian kernel estimate: counts on an ``n_grid`` x
    ``n_grid`` grid, smoothed with a Gaussian whose width on each axis is
    Scott's 2-D bandwidth (``n**(-1/6)`` times the axis's robust spread). The
    level for a fraction ``f`` is the ``1 - f`` quantile of the density at the
    points themselves, so the contour encloses about ``f`` of the points (as
    the paper's 10/50/90 % contours do).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Point coordinates; non-finite pairs are ignored.
    fractions : iterable of float, optional
        Fractions of the points to enclose, each in (0, 1).
    n_grid : int, optional
        Grid cells per axis.
    pad : float, optional
        Margin added around the data range, as a fraction of the range, so that
        the outer contour closes.

    Returns
    -------
    DensityContours

    Raises
    ------
    ValueError
        Fewer than 10 finite points, a degenerate axis, or a fraction outside (0, 1).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError("x and y must have the same shape")
    frac = np.sort(np.asarray(list(fractions), dtype=float))[::-1]
    if not ((frac > 0) & (frac < 1)).all():
        raise ValueError(f"fractions must lie in (0, 1), got {frac.tolist()}")
    good = np.isfinite(x) & np.isfinite(y)
    x, y = x[good], y[good]
    n = x.size
    if n < 10:
        raise ValueError(f"density contours need at least 10 points, got {n}")
    ranges, sigmas = [], []
    for a in (x, y):
        lo, hi = float(a.min()), float(a.max())
        if not hi > lo:
            raise ValueError("density contours need points spread along both axes")
        q25, q75 = np.percentile(a, [25, 75])
        spread = min(float(np.std(a)), float(q75 - q25) / 1.349) or float(np.std(a))
        width = hi - lo
        ranges.append((lo - pad * width, hi + pad * width))
        sigmas.append(spread * n ** (-1.0 / 6.0))
    counts, xe, ye = np.histogram2d(x, y, bins=n_grid, range=ranges)
    cell = np.array([xe[1] - xe[0], ye[1] - ye[0]])
    density = gaussian_filter(counts, sigma=np.array(sigmas) / cell, mode="constant")
    ix = np.clip(((x - xe[0]) / cell[0]).astype(np.int64), 0, n_grid - 1)
    iy = np.clip(((y - ye[0]) / cell[1]).astype(np.int64), 0, n_grid - 1)
    at_points = density[ix, iy]
    levels = np.quantile(at_points, 1.0 - frac)
    return DensityContours(
        x=0.5 * (xe[1:] + xe[:-1]),
        y=0.5 * (ye[1:] + ye[:-1]),
        density=density.T,
        fractions=tuple(float(f) for f in frac),
        levels=levels,
    )


def add_density_contours(ax, x, y, *, color: str = "0.15", label: bool = True, **kwargs):
    """Draw the 90/50/10 % enclosed-fraction contours of points ``(x, y)`` on ``ax``.

    Outer (90 %) contours are thin, inner (10 %) thick; with ``label`` each
    contour is tagged with its percentage. ``kwargs`` go to :func:`density_contours`.

    Returns
    -------
    DensityContours
    """
    dc = density_contours(x, y, **kwargs)
    levels, keep = np.unique(dc.levels, return_index=True)  # strictly increasing
    fractions = [dc.fractions[i] for i in keep]
    widths = np.linspace(0.5, 1.1, len(levels))
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white", alpha=0.8)]
    cs = ax.contour(dc.x, dc.y, dc.density, levels=levels, colors=color, linewidths=widths)
    cs.set_path_effects(halo)
    if label:
        fmt = {lev: f"{round(100 * f)}%" for lev, f in zip(cs.levels, fractions, strict=True)}
        texts = ax.clabel(cs, fmt=fmt, fontsize=5.5, inline=True, inline_spacing=1)
        for text in texts:
            text.set_path_effects(halo)
    return dc


def save_figure(fig: Figure, stem: Path, formats: Iterable[str]) -> dict[str, Path]:
    """Write ``fig`` as ``stem.<format>`` for each format, atomically and without timestamps.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure drawn by one of the ``draw`` functions.
    stem : Path
        Output path without suffix (e.g. ``RUN/report/figures/fig01``).
    formats : iterable of str
        ``'png'`` (200 dpi), ``'pdf'`` (TrueType fonts embedded) or ``'svg'``.

    Returns
    -------
    dict
        Format -> path written.
    """
    metadata = {
        "png": {"Software": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
        "svg": {"Date": None, "Creator": None},
    }
    paths = {}
    with paper_style():
        for fmt in formats:
            path = Path(f"{stem}.{fmt}")
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, metadata=metadata.get(fmt))
            paths[fmt] = path
    return paths
