"""The quick look at one galaxy: its O/H map and radial profile with the LAD gradients.

Drawn by ``metgrad galaxy`` (and usable for any spaxel table), from the same
spaxel table and gradients as a survey run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..calibration import CALIBRATORS
from ..galaxy import calibrator_rows

__all__ = ["draw_galaxy"]


#: Line styles of the model gradients drawn over the observed ones.
MODEL_STYLES = {"base": "--", "sfh": ":"}
#: Display names of the model gradients.
MODEL_NAMES = {"base": "base", "sfh": "SFH"}


def draw_galaxy(
    table: pd.DataFrame,
    gradients: dict[str, dict],
    *,
    shape: tuple[int, int],
    plateifu: str,
    models: dict[str, dict[str, dict]] | None = None,
    oh_range: str = "m13",
    figsize: tuple[float, float] = (10, 4.2),
    constrained: bool = True,
) -> Figure:
    """O/H map of the selected spaxels (reference calibrator) and every calibrator's profile.

    Parameters
    ----------
    table : pandas.DataFrame
        A spaxel table (:attr:`metgrad.spaxels.SpaxelTable.table`).
    gradients : dict
        Calibrator key -> ``{"slope", "slope_err", "intercept"}`` (None values
        when no gradient could be fitted); the profiles of these calibrators are drawn.
    shape : (int, int)
        Shape of the maps (rows, columns).
    plateifu : str
        For the title.
    models : dict, optional
        Calibrator key -> model tag (``'base'``, ``'sfh'``) -> ``{"slope", "intercept"}``
        (dex/R_e, dex): model gradients drawn as dashed / dotted lines over the
        observed ones (a survey run's ``galaxies.parquet``).
    oh_range : {'m13', 'own'}, optional
        The spaxels drawn for each calibrator: those its gradient is fitted on
        (:func:`metgrad.galaxy.calibrator_rows`; ``'own'`` needs the table's
        ``reject_reason`` column).
    figsize : (float, float), optional
        Figure size in inches.
    constrained : bool, optional
        Constrained layout (default); False places the panels at fixed fractions of
        the figure, about twice as fast to draw (the report's galaxy pages).

    Returns
    -------
    matplotlib.figure.Figure
    """
    reference = next(iter(CALIBRATORS.values()))
    sel = table[calibrator_rows(table, reference.oh_column, oh_range=oh_range)]
    fig = Figure(figsize=figsize, layout="constrained" if constrained else None)
    ax_map, ax_prof = fig.subplots(1, 2)
    if not constrained:
        bottom = 0.32 if models else 0.13  # room for the legend below the profile
        fig.subplots_adjust(left=0.06, right=0.985, bottom=bottom, top=0.92, wspace=0.3)
    image = np.full(shape, np.nan)
    image[sel["y"].to_numpy(), sel["x"].to_numpy()] = sel[reference.oh_column].to_numpy()
    im = ax_map.imshow(image, origin="lower", cmap="viridis")
    ax_map.set_title(f"{plateifu}: selected spaxels" if oh_range == "m13"
                     else f"{plateifu}: spaxels of the {reference.label} gradient")  # fmt: skip
    ax_map.set_xlabel('x (spaxel, 0.5")')
    ax_map.set_ylabel('y (spaxel, 0.5")')
    fig.colorbar(im, ax=ax_map, label=f"12+log(O/H) ({reference.label})")
    r = np.linspace(0.5, 2.0, 2)
    for i, (key, cal) in enumerate(CALIBRATORS.items()):
        if cal.oh_column not in sel.columns or key not in gradients:
            continue
        colour = f"C{i}"
        used = table[calibrator_rows(table, cal.oh_column, oh_range=oh_range)]
        ax_prof.scatter(used["r_re"], used[cal.oh_column], s=4, alpha=0.4, color=colour)
        g = gradients.get(key, {})
        if g.get("slope") is not None:
            label = f"{cal.label}: {g['slope']:+.3f} ± {g['slope_err']:.3f} dex/R$_e$"
            ax_prof.plot(r, g["intercept"] + g["slope"] * r, color=colour, label=label)
        for tag, m in ((models or {}).get(key) or {}).items():
            if m.get("slope") is None or not np.isfinite(m["slope"]):
                continue
            label = f"{cal.label} {MODEL_NAMES.get(tag, tag)} model: {m['slope']:+.3f}"
            ax_prof.plot(r, m["intercept"] + m["slope"] * r, color=colour,
                         ls=MODEL_STYLES.get(tag, "-."), lw=1.2, label=label)  # fmt: skip
    ax_prof.set_xlabel("R / R$_e$")
    ax_prof.set_ylabel("12+log(O/H)")
    ax_prof.set_title(
        "profile and LAD gradients (0.5-2 R$_e$)" if models else "radial profile and LAD gradients"
    )
    if not ax_prof.get_legend_handles_labels()[0]:  # no gradient drawn: no legend (no warning)
        return fig
    if models:  # six lines or more: below the panel, clear of the spaxels
        ax_prof.legend(loc="upper center", bbox_to_anchor=(0.42, -0.16), ncol=2, fontsize=7.5,
                       frameon=False)  # fmt: skip
    else:
        ax_prof.legend(loc="best", fontsize=8)
    return fig
