"""Figures of the ``learn`` stage, drawn from ``RUN/learn/<calibrator>/`` alone.

- :func:`draw_gradient_maps`: the paper's Fig 10 redrawn for held-out galaxies: LOESS
  observed gradients and those of base, SFH and the best learned model.
- :func:`draw_offset_maps`: Fig 11 redrawn: LOESS gradient offsets of the same models,
  normalised by the dispersion of the base offsets.
- :func:`draw_offset_against_size`: offsets against the offset from the mass-size
  relation (do the learned models remove the size-dependent offsets?).
- :func:`draw_importance`: permutation importances of one learned model.
- :func:`draw_partial_dependence`: partial dependence on its most important features.

Every function takes the folder and returns a :class:`matplotlib.figure.Figure`.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from ..figures._style import (
    DOUBLE_COLUMN,
    LABELS,
    SINGLE_COLUMN,
    centred_norm,
    colorbar_extend,
    new_figure,
    styled,
)
from ..massize import loess_map
from ..stats.robust import robust_sigma

__all__ = [
    "best_learned_model",
    "draw_gradient_maps",
    "draw_importance",
    "draw_offset_against_size",
    "draw_offset_maps",
    "draw_partial_dependence",
]

GRADIENT_LABEL = LABELS["gradient"]
#: Axis labels of the features the paper's figures do not label.
FEATURE_LABELS = {
    **LABELS,
    "log_phi_star": r"log$_{10}$($\Phi_*$ = M$_*$/R$_e$ / M$_\odot$ kpc$^{-1}$)",
    "v_esc": r"v$_{\rm esc}$ (km/s, stellar)",
}


def read_table(learn_dir: Path, name: str) -> pd.DataFrame:
    """A table of ``RUN/learn/<calibrator>/`` (CSV or Parquet); a clear error if missing."""
    path = Path(learn_dir) / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing (run `metgrad learn`)")
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def best_learned_model(learn_dir: Path) -> str:
    """The learned model with the smallest held-out residual dispersion."""
    scores = read_table(learn_dir, "scores.csv")
    learned = scores[scores["kind"] == "learned"]
    if learned.empty:
        raise ValueError(f"{learn_dir}: scores.csv has no learned model")
    return str(learned.loc[learned["oof_residual_dispersion"].idxmin(), "model"])


def _compared(learn_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    gal = read_table(learn_dir, "galaxies.parquet")
    missing = sorted({"base", "SFH"} - set(gal["model"]))
    if missing:
        raise ValueError(
            f"{learn_dir}: no held-out gradient of {', '.join(missing)} (the binned models "
            "predicted no held-out spaxel: too few galaxies)"
        )
    return gal, ["base", "SFH", best_learned_model(learn_dir)]


def _plane(learn_dir: Path, values: dict[str, pd.Series], label: str):
    """A row of mass-size panels of LOESS-smoothed values, one centred colour scale."""
    gal, _ = _compared(learn_dir)
    first = gal[gal["model"] == "base"].set_index("plateifu")
    m, r = first["log_mstar"].to_numpy(), first["log_re"].to_numpy()
    smoothed = {
        t: loess_map(m, r, v.reindex(first.index).to_numpy(), frac=0.2) for t, v in values.items()
    }
    fig, axes = new_figure(DOUBLE_COLUMN, 2.35, 1, len(values), sharex=True, sharey=True,
                           squeeze=False)  # fmt: skip
    norm = centred_norm(*smoothed.values())
    for ax, (title, z) in zip(axes[0], smoothed.items(), strict=True):
        sc = ax.scatter(m, r, c=z, cmap="RdBu_r", norm=norm, s=8, linewidths=0)
        ax.set_title(title)
        ax.set_xlabel(LABELS["log_mstar"])
    axes[0][0].set_ylabel(LABELS["log_re"])
    extend = colorbar_extend(norm, *smoothed.values())
    fig.colorbar(sc, ax=list(axes[0]), label=label, extend=extend, fraction=0.05, pad=0.02,
                 aspect=25)  # fmt: skip
    return fig


def _by_model(gal: pd.DataFrame, column: str) -> dict[str, pd.Series]:
    return {name: g.set_index("plateifu")[column] for name, g in gal.groupby("model", sort=False)}


@styled
def draw_gradient_maps(learn_dir: Path):
    """Fig 10 for held-out galaxies: LOESS observed, base, SFH and best learned gradients."""
    gal, names = _compared(Path(learn_dir))
    pred = _by_model(gal, "grad_pred")
    values = {"Observed": _by_model(gal, "grad_obs")["base"]}
    values.update({name: pred[name] for name in names})
    return _plane(Path(learn_dir), values, "LOESS " + GRADIENT_LABEL)


@styled
def draw_offset_maps(learn_dir: Path):
    """Fig 11 for held-out galaxies: LOESS offsets / ROBUST_SIGMA of the base offsets."""
    gal, names = _compared(Path(learn_dir))
    offsets = _by_model(gal, "offset")
    norm = float(robust_sigma(offsets["base"].to_numpy()))
    values = {name: offsets[name] / norm for name in names}
    label = f"LOESS offset / {norm:.3f} dex/R$_e$"
    return _plane(Path(learn_dir), values, label)


@styled
def draw_offset_against_size(learn_dir: Path):
    """Gradient offsets against the offset from the mass-size relation, per model."""
    gal = read_table(Path(learn_dir), "galaxies.parquet")
    fig, axes = new_figure(SINGLE_COLUMN * 1.3, 2.8)
    edges = np.quantile(gal["size_offset"], np.linspace(0, 1, 7))
    for name, g in gal.groupby("model", sort=False):
        centre, median = [], []
        for lo, hi in itertools.pairwise(edges):
            inside = g[(g["size_offset"] >= lo) & (g["size_offset"] <= hi)]
            centre.append(inside["size_offset"].median())
            median.append(inside["offset"].median())
        axes.plot(centre, median, marker="o", ms=3, label=name)
    axes.axhline(0, color="0.5", lw=0.6)
    axes.set_xlabel(r"$\Delta$ log R$_e$ from the mass-size relation (dex)")
    axes.set_ylabel("median gradient offset (dex/R$_e$)")
    axes.legend(fontsize="small")
    return fig


@styled
def draw_importance(learn_dir: Path, model: str | None = None):
    """Permutation importances (dex of dispersion lost) of one learned model (default: best)."""
    imp = read_table(Path(learn_dir), "importance.csv")
    model = model or best_learned_model(Path(learn_dir))
    rows = imp[imp["model"] == model].sort_values("importance")
    fig, ax = new_figure(SINGLE_COLUMN * 1.3, 0.3 + 0.22 * len(rows))
    colours = np.where(rows["kind"] == "group", "tab:orange", "tab:blue")
    ax.barh(rows["feature"], rows["importance"], xerr=rows["importance_std"], color=colours)
    ax.set_xlabel("held-out dispersion lost when permuted (dex)")
    ax.set_title(model)
    return fig


@styled
def draw_partial_dependence(learn_dir: Path, model: str | None = None, *, top: int = 4):
    """Partial dependence of one learned model on its ``top`` most important features."""
    learn_dir = Path(learn_dir)
    model = model or best_learned_model(learn_dir)
    imp = read_table(learn_dir, "importance.csv")
    imp = imp[(imp["model"] == model) & (imp["kind"] == "feature")]
    features = list(imp.sort_values("importance", ascending=False)["feature"][:top])
    pd_table = read_table(learn_dir, "partial_dependence.csv")
    fig, axes = new_figure(DOUBLE_COLUMN, 2.0, 1, len(features), sharey=True, squeeze=False)
    for ax, feature in zip(axes[0], features, strict=True):
        rows = pd_table[(pd_table["model"] == model) & (pd_table["feature"] == feature)]
        ax.plot(rows["value"], rows["prediction"], color="k")
        ax.fill_between(rows["value"], rows["prediction"] - rows["prediction_std"],
                        rows["prediction"] + rows["prediction_std"], color="0.8")  # fmt: skip
        ax.set_xlabel(FEATURE_LABELS.get(feature, feature))
    axes[0][0].set_ylabel("mean predicted 12+log(O/H)")
    return fig
