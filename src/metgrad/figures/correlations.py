"""Bar charts of Spearman |rho| coloured by sign (paper Figs 2, 4, B1, B3).

Drawn from ``correlations.csv``: ``rho`` / ``p_value`` of the observed
metallicity (Figs 2, B1) and ``rho_residual`` / ``p_value_residual`` of the
base-model residuals (Figs 4, B3), one bar per parameter in the table's order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.patches import Patch

from ._style import PARAMETER_LABELS, SINGLE_COLUMN, new_figure, read_table, styled

__all__ = ["P_THRESHOLD", "draw_correlation_bars", "draw_metallicity_correlations",
           "draw_residual_correlations"]  # fmt: skip

#: p-values at or above this are printed beside their bar (the paper quotes p << 0.01 otherwise).
P_THRESHOLD = 0.01
POSITIVE, NEGATIVE = "tab:red", "tab:blue"


def draw_correlation_bars(analysis_dir: Path, *, rho: str, p_value: str, xlabel: str):
    """Horizontal bars of |rho| for every parameter with a finite coefficient.

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.
    rho, p_value : str
        Columns of ``correlations.csv`` to draw.
    xlabel : str
        Label of the |rho| axis.

    Returns
    -------
    matplotlib.figure.Figure
    """
    table = read_table(Path(analysis_dir), "correlations")
    for col in (rho, p_value, "parameter"):
        if col not in table.columns:
            raise ValueError(f"correlations.csv has no column {col!r}")
    table = table[np.isfinite(table[rho].to_numpy(dtype=float))].reset_index(drop=True)
    if table.empty:
        raise ValueError(f"correlations.csv: no finite {rho}")
    r = table[rho].to_numpy(dtype=float)
    p = table[p_value].to_numpy(dtype=float)
    names = [PARAMETER_LABELS.get(n, n) for n in table["parameter"]]
    pos = np.arange(len(r))
    fig, ax = new_figure(SINGLE_COLUMN, 0.45 + 0.2 * len(r))
    ax.barh(pos, np.abs(r), height=0.7, color=np.where(r >= 0, POSITIVE, NEGATIVE))
    ax.set_yticks(pos, names)
    ax.tick_params(axis="y", which="both", length=0)
    ax.invert_yaxis()
    top = max(float(np.abs(r).max()), 0.05)
    ax.set_xlim(0, min(1.0, top * 1.32))
    for y, value, pv in zip(pos, np.abs(r), p, strict=True):
        text = f"{value:.2f}"
        if np.isfinite(pv) and pv >= P_THRESHOLD:
            text += f"  (p = {pv:.2g})"
        ax.text(value + 0.01 * top, y, text, va="center", ha="left", fontsize=6)
    ax.set_xlabel(xlabel)
    ax.legend(handles=[Patch(color=POSITIVE, label=r"$\rho > 0$"),
                       Patch(color=NEGATIVE, label=r"$\rho < 0$")],
              loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, handlelength=1.0,
              borderaxespad=0.2)  # fmt: skip
    return fig


@styled
def draw_metallicity_correlations(analysis_dir: Path):
    """Paper Figs 2 / B1: |rho| between observed 12+log(O/H) and each parameter."""
    return draw_correlation_bars(
        analysis_dir, rho="rho", p_value="p_value",
        xlabel=r"|$\rho$| with 12+log(O/H)$_{\rm obs}$",
    )  # fmt: skip


@styled
def draw_residual_correlations(analysis_dir: Path):
    """Paper Figs 4 / B3: |rho| between base-model residuals and each parameter."""
    return draw_correlation_bars(
        analysis_dir, rho="rho_residual", p_value="p_value_residual",
        xlabel=r"|$\rho$| with log(O/H)$_{\rm obs}$ $-$ log(O/H)$_{\rm base}$",
    )  # fmt: skip
