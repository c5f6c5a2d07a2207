"""Matplotlib figures of Boardman et al. (2022), drawn from the analysis tables alone.

One module per figure family: :mod:`.massize` (Figs 1, 10-12, B6, B7),
:mod:`.correlations` (Figs 2, 4, B1, B3), :mod:`.maps` (Figs 3, 5, 7, 8,
B2, B4, B5), :mod:`.trends` (Figs 6, 9), :mod:`.subsamples` (Figs 13-15) and
:mod:`.appendix` (Fig A1, and Figs B1-B7 as templates for any calibrator);
:mod:`.registry` lists them all in :data:`FIGURES` (:func:`figure_specs` adds the
Appendix B figures of other calibrators) and :func:`draw_figures` writes them as
PNG (report) and PDF (papers);
:func:`save_figure` saves one drawn figure the same way (style, no timestamps).
"""

from ._style import save_figure
from .registry import (
    FIGURES,
    FORMATS,
    DrawnFigure,
    FigureSpec,
    appendix_b_figures,
    draw_figures,
    figure_specs,
)

__all__ = [
    "FIGURES", "FORMATS", "DrawnFigure", "FigureSpec", "appendix_b_figures", "draw_figures",
    "figure_specs", "save_figure",
]  # fmt: skip
