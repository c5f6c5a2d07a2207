"""Every figure of Boardman et al. (2022), registered for the report: :data:`FIGURES`.

Each :class:`FigureSpec` names one figure of the paper and the function that
draws it from the analysis tables of one calibrator
(``RUN/analysis/<calibrator>/``); :func:`draw_figures` draws them all into
``RUN/report/figures/<id>.<format>``, recording a one-line error for a figure
that cannot be drawn (e.g. too few galaxies in a small run) instead of raising.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

from .. import calibration
from ..layout import RunLayout
from . import appendix, azimuthal, correlations, maps, massize, subsamples, trends
from ._style import save_figure

__all__ = [
    "FIGURES", "FORMATS", "PAPER_APPENDIX_B", "DrawnFigure", "FigureSpec",
    "appendix_b_figures", "draw_figures", "figure_specs",
]  # fmt: skip

#: File formats :func:`draw_figures` can write.
FORMATS = ("png", "pdf", "svg")


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the paper.

    Attributes
    ----------
    id : str
        File stem and key: ``'fig01'`` ... ``'fig15'``, ``'figA1'``, ``'figB1'`` ... ``'figB7'``
        (PG16, the paper's), ``'figB1_<key>'`` ... for another calibrator's Appendix B.
    number : str
        The paper's figure number (``'1'``, ``'A1'``, ``'B1'``).
    title : str
        Short title.
    caption : str
        What the figure shows, in a few sentences.
    calibrator : str
        Key of the calibrator (``'m13'``, ``'pg16'``, ``'c20_r23'``, ...): which
        ``RUN/analysis/<calibrator>/`` it is drawn from.
    draw : callable
        ``draw(analysis_dir: Path) -> matplotlib.figure.Figure``.
    """

    id: str
    number: str
    title: str
    caption: str
    calibrator: str
    draw: Callable[[Path], Figure] = field(repr=False)


@dataclass(frozen=True)
class DrawnFigure:
    """The outcome of drawing one figure.

    Attributes
    ----------
    spec : FigureSpec
    paths : dict of str to Path
        Format -> file written (empty if the figure failed).
    error : str or None
        One-line reason the figure could not be drawn, else None.
    """

    spec: FigureSpec
    paths: dict[str, Path]
    error: str | None = None


#: The calibrator whose Appendix B figures the paper shows (ids figB1 ... figB7).
PAPER_APPENDIX_B = "pg16"


def appendix_b_figures(key: str, label: str | None = None) -> list[FigureSpec]:
    """Figs B1-B7 (:data:`~.appendix.APPENDIX_B`) drawn from one calibrator's analysis.

    Parameters
    ----------
    key : str
        Calibrator key (:data:`metgrad.calibration.CALIBRATORS`).
    label : str, optional
        Its name in titles and captions (default its calibration label).

    Returns
    -------
    list of FigureSpec
        Ids ``figB1`` ... ``figB7`` for PG16 (the paper's), ``figB1_<key>`` ... else.
    """
    cal = calibration.get(key)
    label = label or cal.label
    suffix = "" if cal.key == PAPER_APPENDIX_B else f"_{cal.key}"
    return [
        FigureSpec(f"fig{b.number}{suffix}", b.number, b.title.format(label=label),
                   b.caption.format(label=label), cal.key, b.draw)
        for b in appendix.APPENDIX_B
    ]  # fmt: skip


_CONTOURS = "Contours enclose about 90, 50 and 10 % of the model-fitting spaxels."
_MAP_NOTE = (
    "Each galaxy is a point in the mass-size plane; the diverging colour scale is centred "
    "on zero and shared by all panels."
)


def _corr(cal: str, target: str, fig: str) -> str:
    return (
        f"Absolute Spearman correlation coefficient between {target} ({cal}) and each "
        "parameter, over the model-fitting spaxels (galaxy M* and R_e assigned to each "
        f"spaxel). Red bars: positive rho; blue bars: negative. p-values of 0.01 or more are "
        f"printed beside their bar. As the paper's Fig {fig}."
    )


#: Every figure, in the paper's order (then this tool's checks): a new figure is one more
#: entry here (its ``draw`` function lives in the module of its family).
m13, pg16 = "M13 O3N2", "PG16 R2"
gm = massize.draw_gradient_maps
om = massize.draw_offset_maps
mc = correlations.draw_metallicity_correlations
rc = correlations.draw_residual_correlations
FIGURES: list[FigureSpec] = [
    FigureSpec("fig01", "1", "Observed gradients across the mass-size plane",
               f"Effective radius against stellar mass for the final galaxies, coloured by "
               f"the observed {m13} metallicity gradient (0.5-2 R_e) before (left) and "
               f"after (right) LOESS smoothing (20 % of galaxies per local fit). Contours "
               f"on the left enclose about 90, 50 and 10 % of the galaxies. {_MAP_NOTE}",
               "m13", massize.draw_observed_gradients),
    FigureSpec("fig02", "2", "Correlations of metallicity with local and global parameters",
               _corr(m13, "the observed 12+log(O/H)", "2"), "m13", mc),
    FigureSpec("fig03", "3", "Mean metallicity over stellar mass and density (base models)",
               f"Mean observed 12+log(O/H) ({m13}) in bins of log M* and log Sigma_*, "
               f"with weak LOESS smoothing; blank cells hold fewer than the minimum "
               f"number of spaxels. This map is the base model. {_CONTOURS}",
               "m13", maps.draw_base_map),
    FigureSpec("fig04", "4", "Correlations of base-model residuals",
               _corr(m13, "the base-model residuals (observed minus base 12+log(O/H))",
                     "4"), "m13", rc),
    FigureSpec("fig05", "5", "Base-model residuals against local star formation",
               f"Observed minus base-model 12+log(O/H) ({m13}). Top: against sSFR_local, "
               f"points are medians with robust dispersions in bins of at least 100 "
               f"spaxels. Bottom: smoothed mean residual in bins of Sigma_* and Sigma_SFR "
               f"(at least 10 spaxels per bin); a local fundamental metallicity relation "
               f"shows as a colour change along Sigma_SFR at fixed Sigma_*. {_CONTOURS}",
               "m13", maps.draw_sfr_residuals),
    FigureSpec("fig06", "6", "Base-model residuals against D4000 and EW(Halpha)",
               f"Observed minus base-model 12+log(O/H) ({m13}) against D4000 (top) and "
               f"EW(Halpha) (bottom); points are medians with robust dispersions in bins "
               f"of at least 100 spaxels. These binned medians are the D4000 and EW(Halpha)"
               f" model corrections. {_CONTOURS}", "m13", trends.draw_residual_trends),
    FigureSpec("fig07", "7", "Base-model residuals over D4000 and light-weighted age",
               f"Smoothed mean observed minus base-model 12+log(O/H) ({m13}) in bins of "
               f"D4000 and log t_LW (at least 10 spaxels per bin): the correction that "
               f"turns the base models into the SFH models. {_CONTOURS}",
               "m13", maps.draw_age_map),
    FigureSpec("fig08", "8", "Base-model residuals over EW(Halpha) and light-weighted age",
               f"Smoothed mean observed minus base-model 12+log(O/H) ({m13}) in bins of "
               f"log EW(Halpha) and log t_LW (at least 10 spaxels per bin): the correction "
               f"of the SFH-Halpha models. {_CONTOURS}", "m13", maps.draw_age_ew_map),
    FigureSpec("fig09", "9", "Model residuals against stellar mass",
               f"Observed minus model 12+log(O/H) ({m13}) against galaxy stellar mass for "
               f"the base (top) and SFH (bottom) models, over the final-sample spaxels; "
               f"points are medians with robust dispersions in 0.1 dex bins of at least "
               f"100 spaxels. Contours enclose about 90, 50 and 10 % of those spaxels.",
               "m13", trends.draw_mass_residuals),
    FigureSpec("fig10", "10", "Observed and predicted gradients across the mass-size plane",
               f"LOESS-smoothed metallicity gradients ({m13}) of the final galaxies: "
               f"observed (left), predicted by the base models (middle) and by the SFH "
               f"models (right). {_MAP_NOTE}", "m13", gm),
    FigureSpec("fig11", "11", "Gradient offsets across the mass-size plane",
               f"LOESS-smoothed offsets between observed and model gradients ({m13}), "
               f"normalised by the robust dispersion of the base-model offsets: base "
               f"models (left) and SFH models (right). Negative (blue): observed gradient "
               f"steeper than predicted. {_MAP_NOTE}", "m13", om),
    FigureSpec("fig12", "12", "The six mass-size bins",
               "The SFH-model panel of Fig 11 with the six mass-size bins: dashed lines "
               "split the sample into mass thirds, and the step line is the median "
               "log R_e in 0.2 dex bins of log M* (galaxies above it are extended). "
               "Each bin is labelled with its number of galaxies.",
               "m13", massize.draw_massize_bins),
    FigureSpec("fig13", "13", "Selecting the gradient-offset subsamples",
               f"Distribution of the offsets between observed and SFH-model gradients "
               f"({m13}) in the extended mid-mass bin. Galaxies at or below the 10th "
               f"percentile (left red dashed line) are steep-gradient galaxies, at or "
               f"above the 90th (right red dashed line) shallow-gradient galaxies, and "
               f"those between the blue lines (|offset| <= 0.02 dex/R_e) small-residual "
               f"galaxies.", "m13", subsamples.draw_subsample_selection),
    FigureSpec("fig14", "14", "Metallicity profiles of the subsamples",
               f"Radial profiles of observed 12+log(O/H) ({m13}) in the six mass-size "
               f"bins for steep-gradient (blue), small-residual (green) and "
               f"shallow-gradient (red) galaxies: medians of the pooled spaxels in "
               f"0.2 R_e bins, error bars spanning the central 68 %. Points are shifted "
               f"slightly in radius for legibility; numbers give the galaxies per "
               f"subsample.", "m13", subsamples.draw_oh_profiles),
    FigureSpec("fig15", "15", "Residual profiles of the subsamples",
               f"As Fig 14, for observed minus SFH-model 12+log(O/H) ({m13}).",
               "m13", subsamples.draw_residual_profiles),
    FigureSpec("figA1", "A1", "Dependence of the SFH models on parameter order",
               f"Differences between the SFH model metallicities ({m13}) and the SFH-a "
               f"(top; base in Sigma_*-D4000, correction in M*-t_LW) and SFH-b (bottom; "
               f"base in M*-D4000, correction in Sigma_*-t_LW) models, over the spaxels "
               f"all three predict. Red solid line: mean; blue dashed lines: mean +- "
               f"robust dispersion; the data-model dispersion of the SFH models is quoted "
               f"for scale.", "m13", appendix.draw_model_order),
    *appendix_b_figures("pg16", pg16),
    FigureSpec("figS1", "S1", "Spaxel and azimuthally averaged gradients",
               f"The observed {m13} gradient of each final galaxy fitted to its spaxels "
               f"(horizontal) and to the mean metallicities of 0.1 R_e annuli (vertical), "
               f"with the one-to-one line: the check of the paper's section 2.3, which "
               f"reports similar gradients either way.", "m13",
               azimuthal.draw_azimuthal_check),
]  # fmt: skip
del m13, pg16, gm, om, mc, rc


def figure_specs(calibrators: Iterable[str] = ()) -> list[FigureSpec]:
    """:data:`FIGURES`, then the Appendix B figures of each other calibrator of ``calibrators``.

    The reference M13 (the main-text figures) and PG16 (the paper's Appendix B, in
    :data:`FIGURES`) get no second set.
    """
    specs = list(FIGURES)
    for key in dict.fromkeys(calibration.get(k).key for k in calibrators):
        if key not in (calibration.REFERENCE, PAPER_APPENDIX_B):
            specs += appendix_b_figures(key)
    return specs


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no message'}"


def draw_figures(
    run_dir: str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    formats: Iterable[str] = ("png", "pdf"),
    ids: Iterable[str] | None = None,
    calibrators: Iterable[str] = (),
) -> list[DrawnFigure]:
    """Draw the paper's figures from a run's analysis tables.

    Parameters
    ----------
    run_dir : str or path-like
        Run folder holding ``analysis/<calibrator>/`` (written by ``metgrad analyse``).
    out_dir : str or path-like, optional
        Where to write ``<id>.<format>`` (default ``run_dir/report/figures``).
    formats : iterable of str, optional
        Any of :data:`FORMATS`.
    ids : iterable of str, optional
        Figure ids to draw (default all of :func:`figure_specs`, in order).
    calibrators : iterable of str, optional
        Calibrator keys whose Appendix B figures (``figB1_<key>`` ...) are drawn too
        (:func:`figure_specs`), e.g. every calibrator ``metgrad analyse`` analysed.

    Returns
    -------
    list of DrawnFigure
        One per requested figure, in :func:`figure_specs` order. A figure that cannot
        be drawn (missing table, too few galaxies...) has empty ``paths`` and a
        one-line ``error``; the others are drawn regardless.

    Raises
    ------
    ValueError
        Unknown figure id or format.

    Examples
    --------
    >>> from metgrad.figures import draw_figures
    >>> drawn = draw_figures("runs/demo")  # doctest: +SKIP
    >>> [d.spec.id for d in drawn if d.error]  # doctest: +SKIP
    []
    """
    run_dir = Path(run_dir)
    formats = tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"unsupported figure format(s) {bad or formats}; choose from {FORMATS}")
    specs = figure_specs(calibrators)
    known = {spec.id: spec for spec in specs}
    if ids is None:
        chosen = specs
    else:
        wanted = list(ids)
        unknown = [i for i in wanted if i not in known]
        if unknown:
            raise ValueError(f"unknown figure id(s) {unknown}; known ids are {list(known)}")
        chosen = [spec for spec in specs if spec.id in set(wanted)]
    layout = RunLayout(run_dir)
    out = Path(out_dir) if out_dir is not None else layout.figures_dir
    out.mkdir(parents=True, exist_ok=True)
    drawn = []
    for spec in chosen:
        try:
            fig = spec.draw(layout.analysis(spec.calibrator).dir)
            paths = save_figure(fig, out / spec.id, formats)
        except Exception as exc:
            for fmt in formats:  # no stale file from an earlier run may pass for this one
                Path(out / f"{spec.id}.{fmt}").unlink(missing_ok=True)
            drawn.append(DrawnFigure(spec, {}, _one_line(exc)))
            continue
        drawn.append(DrawnFigure(spec, paths))
    return drawn
