"""Run-level figures comparing every analysed calibrator (``RUN/analysis/``, not one folder).

- :func:`draw_gradient_against_mass`: the observed gradient of the final galaxies
  against log M*, as running medians in mass bins, one line per calibrator.

The functions take the run folder and read only what ``metgrad analyse`` wrote:
``analysis/calibrators.csv`` (labels, scales, the reference first),
``analysis/gradients_calibrators.parquet`` (the gradients) and the reference
calibrator's ``galaxies.parquet`` (log M*).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from scipy.stats import binned_statistic

from .. import columns as C
from ..layout import RunLayout
from ._style import DOUBLE_COLUMN, LABELS, new_figure, styled

__all__ = ["MASS_BIN_DEX", "MIN_GALAXIES_PER_BIN", "draw_gradient_against_mass", "running_median"]

#: Width of the mass bins of the running medians (dex).
MASS_BIN_DEX = 0.2
#: Fewest galaxies a mass bin needs for its median to be drawn (2, so that a demo-sized run
#: of a dozen galaxies still shows a line; at survey scale nearly every bin holds many).
MIN_GALAXIES_PER_BIN = 2


def running_median(
    x, y, *, width: float = MASS_BIN_DEX, min_count: int = MIN_GALAXIES_PER_BIN
) -> tuple[np.ndarray, np.ndarray]:
    """Median of ``y`` in bins of ``x`` of fixed width, aligned on multiples of ``width``.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Abscissa (e.g. log M*, dex) and values; non-finite pairs are ignored.
    width : float, optional
        Bin width, in the units of ``x``.
    min_count : int, optional
        Bins with fewer points are left out.

    Returns
    -------
    centre, median : ndarray
        Bin centres and medians of the bins kept (empty if none).
    """
    if not width > 0:
        raise ValueError(f"bin width must be positive, got {width}")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    good = np.isfinite(x) & np.isfinite(y)
    x, y = x[good], y[good]
    if not x.size:
        return np.empty(0), np.empty(0)
    lo = np.floor(x.min() / width) * width
    n_bins = max(int(np.ceil((x.max() - lo) / width + 1e-9)), 1)
    edges = lo + width * np.arange(n_bins + 1)
    median, _, _ = binned_statistic(x, y, statistic="median", bins=edges)
    count, _, _ = binned_statistic(x, y, statistic="count", bins=edges)
    keep = count >= min_count
    return (0.5 * (edges[1:] + edges[:-1]))[keep], median[keep]


def _comparison(run_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The calibrators compared and their gradients with log M*; clear errors if missing."""
    layout = RunLayout(run_dir)
    for path in (layout.calibrator_comparison, layout.gradients_by_calibrator):
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing (run `metgrad analyse`)")
    summary = pd.read_csv(layout.calibrator_comparison)
    if summary.empty:
        raise ValueError(f"{layout.calibrator_comparison}: no calibrator")
    reference = str(summary["calibrator"].iloc[0])  # compare_calibrators: the reference first
    galaxies = layout.analysis(reference).galaxies
    if not galaxies.is_file():
        raise FileNotFoundError(f"{galaxies}: missing (run `metgrad analyse`)")
    mass = pd.read_parquet(galaxies, columns=[C.PLATEIFU, C.LOG_MSTAR]).set_index(C.PLATEIFU)
    grads = pd.read_parquet(layout.gradients_by_calibrator).set_index(C.PLATEIFU)
    return summary, grads.join(mass, how="inner")


@styled
def draw_gradient_against_mass(run_dir: Path):
    """Observed gradient against log M*: running medians, one line per calibrator.

    Medians in :data:`MASS_BIN_DEX` dex bins of log M* with at least
    :data:`MIN_GALAXIES_PER_BIN` galaxies; photoionisation-scale calibrators are
    dashed, Te-scale ones solid. The galaxies are the reference calibrator's final
    sample (each calibrator's gradient of the same galaxies).

    Parameters
    ----------
    run_dir : Path
        The run folder (``RUN/``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    summary, grads = _comparison(Path(run_dir))
    summary = summary[summary["calibrator"].isin(grads.columns)]
    fig, ax = new_figure(DOUBLE_COLUMN, 3.0)
    # one distinct colour per calibrator (tab10 repeats after ten)
    palette = colormaps["tab10" if len(summary) <= 10 else "turbo"]
    shades = (
        np.linspace(0.0, 1.0, 10) if len(summary) <= 10 else np.linspace(0.05, 0.95, len(summary))
    )
    drawn = 0
    for row, shade in zip(summary.itertuples(index=False), shades, strict=False):
        centre, median = running_median(grads[C.LOG_MSTAR], grads[row.calibrator])
        if not centre.size:
            continue
        style = "--" if row.scale == "photoionisation" else "-"
        ax.plot(centre, median, style, color=palette(shade), marker="o", ms=2.5,
                label=f"{row.label} ({row.scale})")  # fmt: skip
        drawn += 1
    if not drawn:
        raise ValueError(
            f"no mass bin holds {MIN_GALAXIES_PER_BIN} galaxies with a gradient of any calibrator"
        )
    ax.axhline(0, color="0.6", lw=0.5)
    ax.set_xlabel(LABELS["log_mstar"])
    ax.set_ylabel(f"median {LABELS['gradient']}")
    fig.legend(loc="outside right upper", fontsize=5.5, ncols=2 if drawn > 12 else 1)
    return fig
