"""Mass-size maps of gradients and gradient offsets (paper Figs 1, 10, 11, 12, B6, B7).

Each galaxy is a point in the log M* - log R_e plane coloured by a (mostly
LOESS-smoothed) value from ``galaxies.parquet``, with a diverging colour map
centred on 0 and one colour scale shared by all panels of a figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._style import (
    DIVERGING,
    DOUBLE_COLUMN,
    LABELS,
    SINGLE_COLUMN,
    add_density_contours,
    centred_norm,
    colorbar_extend,
    new_figure,
    read_json,
    read_table,
    styled,
)

__all__ = [
    "MIN_GALAXIES",
    "draw_gradient_maps",
    "draw_massize_bins",
    "draw_observed_gradients",
    "draw_offset_maps",
]

#: Fewest final galaxies for which a mass-size map is drawn.
MIN_GALAXIES = 10

OFFSET_LABEL = r"($\nabla$[O/H]$_{\rm obs}$ $-$ $\nabla$[O/H]$_{\rm model}$) / $\sigma_{\rm base}$"


def _galaxies(analysis_dir: Path) -> pd.DataFrame:
    gal = read_table(analysis_dir, "galaxies")
    ok = np.isfinite(gal["log_mstar"]) & np.isfinite(gal["log_re"])
    if ok.sum() < MIN_GALAXIES:
        raise ValueError(
            f"only {int(ok.sum())} final galaxies; a mass-size map needs {MIN_GALAXIES}"
        )
    return gal[ok].reset_index(drop=True)


def _marker_size(n: int) -> float:
    """Marker area (pt^2): larger for small samples, about 4 for the paper's ~2000 galaxies."""
    return float(np.clip(8000.0 / max(n, 1), 4.0, 22.0))


def _scatter(ax, gal: pd.DataFrame, column: str, norm):
    """Galaxies in the mass-size plane coloured by ``column``; largest |value| drawn on top."""
    v = gal[column].to_numpy(dtype=float)
    ok = np.isfinite(v)
    if not ok.any():
        raise ValueError(f"galaxies.parquet: column {column} has no finite value")
    order = np.argsort(np.abs(v[ok]), kind="stable")
    m = gal["log_mstar"].to_numpy()[ok][order]
    r = gal["log_re"].to_numpy()[ok][order]
    edge = 0.2 if len(gal) < 600 else 0.08  # thin outlines, so crowded points keep their colour
    sc = ax.scatter(m, r, c=v[ok][order], cmap=DIVERGING, norm=norm,
                    s=_marker_size(len(gal)), linewidths=edge, edgecolors="0.3")  # fmt: skip
    return sc


def _limits(axes, gal: pd.DataFrame) -> None:
    """Same padded limits on every panel."""
    for col, setter in (("log_mstar", "set_xlim"), ("log_re", "set_ylim")):
        v = gal[col].to_numpy()
        lo, hi = float(np.min(v)), float(np.max(v))
        pad = 0.06 * (hi - lo) if hi > lo else 0.1
        for ax in np.ravel(axes):
            getattr(ax, setter)(lo - pad, hi + pad)


def _panels(gal: pd.DataFrame, columns, titles, cbar_label: str, *, width: float,
            height: float):  # fmt: skip
    """A row of mass-size panels sharing axes and one centred colour scale."""
    fig, axes = new_figure(width, height, 1, len(columns), sharex=True, sharey=True,
                           squeeze=False)  # fmt: skip
    axes = axes[0]
    values = [gal[c] for c in columns]
    norm = centred_norm(*values)
    for ax, column, title in zip(axes, columns, titles, strict=True):
        sc = _scatter(ax, gal, column, norm)
        ax.set_title(title)
        ax.set_xlabel(LABELS["log_mstar"])
    axes[0].set_ylabel(LABELS["log_re"])
    _limits(axes, gal)
    fig.colorbar(sc, ax=list(axes), label=cbar_label, extend=colorbar_extend(norm, *values),
                 fraction=0.05, pad=0.02, aspect=25)  # fmt: skip
    return fig, axes


@styled
def draw_observed_gradients(analysis_dir: Path):
    """Paper Fig 1: observed gradients across the mass-size plane, raw (left) and LOESS (right).

    The left panel carries the contours enclosing 90, 50 and 10 % of the galaxies.

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    gal = _galaxies(Path(analysis_dir))
    fig, axes = _panels(
        gal, ("grad_obs", "loess_grad_obs"), ("Observed", "Observed, LOESS-smoothed"),
        LABELS["gradient"], width=DOUBLE_COLUMN * 0.72, height=2.55,
    )  # fmt: skip
    add_density_contours(axes[0], gal["log_mstar"], gal["log_re"])
    return fig


@styled
def draw_gradient_maps(analysis_dir: Path):
    """Paper Figs 10 / B6: LOESS-smoothed observed, base-model and SFH-model gradients.

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    gal = _galaxies(Path(analysis_dir))
    fig, _ = _panels(
        gal, ("loess_grad_obs", "loess_grad_base", "loess_grad_sfh"),
        ("Observed", "Base models", "SFH models"),
        "LOESS " + LABELS["gradient"], width=DOUBLE_COLUMN, height=2.35,
    )  # fmt: skip
    return fig


def _offset_label(analysis_dir: Path) -> str:
    """Colour-bar label of the normalised offsets, with the normalisation when known."""
    try:
        norm = float(read_json(analysis_dir, "summary")["offset_normalisation"])
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return "LOESS " + OFFSET_LABEL
    return f"LOESS {OFFSET_LABEL}\n" + rf"($\sigma_{{\rm base}}$ = {norm:.3f} dex/R$_e$)"


@styled
def draw_offset_maps(analysis_dir: Path):
    """Paper Figs 11 / B7: normalised, LOESS-smoothed gradient offsets (base left, SFH right).

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    analysis_dir = Path(analysis_dir)
    gal = _galaxies(analysis_dir)
    fig, _ = _panels(
        gal, ("loess_offset_base_norm", "loess_offset_sfh_norm"),
        ("Base models", "SFH models"), _offset_label(analysis_dir),
        width=DOUBLE_COLUMN * 0.72, height=2.55,
    )  # fmt: skip
    return fig


def _relation_line(relation: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Step line of the binned median relation, broken (NaN) across empty mass bins."""
    rel = relation.sort_values("log_mstar_lo")
    lo, hi = rel["log_mstar_lo"].to_numpy(), rel["log_mstar_hi"].to_numpy()
    med = rel["median_log_re"].to_numpy()
    gap = np.append(~np.isclose(lo[1:], hi[:-1]), False)
    blank = np.full(lo.shape, np.nan)
    keep = np.column_stack([np.ones_like(gap), np.ones_like(gap), gap]).ravel()
    x = np.column_stack([lo, hi, blank]).ravel()[keep]
    y = np.column_stack([med, med, blank]).ravel()[keep]
    return x, y


@styled
def draw_massize_bins(analysis_dir: Path):
    """Paper Fig 12: SFH-model offsets (Fig 11 right) with the six mass-size bins overlaid.

    Dashed vertical lines are the mass thirds; the step line is the median
    mass-size relation (galaxies above it are "extended").

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    analysis_dir = Path(analysis_dir)
    gal = _galaxies(analysis_dir)
    relation = read_table(analysis_dir, "massize_relation")
    edges = [
        float(e) for e in read_json(analysis_dir, "summary")["mass_third_edges_log_mstar"]
    ]
    fig, axes = _panels(
        gal, ("loess_offset_sfh_norm",), ("SFH models",), _offset_label(analysis_dir),
        width=SINGLE_COLUMN * 1.15, height=2.9,
    )  # fmt: skip
    ax = axes[0]
    for e in edges:
        ax.axvline(e, color="k", ls="--", lw=0.9)
    x, y = _relation_line(relation)
    ax.plot(x, y, color="k", lw=1.1, label="median relation")
    y0, y1 = ax.get_ylim()
    ax.set_ylim(y0 - 0.2 * (y1 - y0), y1 + 0.2 * (y1 - y0))  # room for the bin labels
    xlim = ax.get_xlim()
    bounds = [xlim[0], *edges, xlim[1]]
    for i, mass in enumerate(("low", "mid", "high")):
        xc = 0.5 * (bounds[i] + bounds[i + 1])
        for size, yfrac, va in (("compact", 0.03, "bottom"), ("extended", 0.97, "top")):
            n = int((gal["massize_bin"] == f"{mass}-{size}").sum())
            ax.text(xc, yfrac, f"{mass} mass\n{size}\n({n})", transform=ax.get_xaxis_transform(),
                    ha="center", va=va, fontsize=5.5, linespacing=1.0)  # fmt: skip
    return fig
