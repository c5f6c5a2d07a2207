"""The scientific core, as steps in the paper's order: sample, gradients, models, plane.

:func:`analyse_run` reads an ingested run (``metgrad ingest``) and writes, for
each calibrator, every number and table the paper reports (Boardman et al.
2022, §2.3, §3, §4, Appendices A-B) under ``RUN/analysis/<calibrator>/``
(file names: :data:`metgrad.layout.ANALYSIS_FILES`):

==============================  ==========================================================
file                            contents
==============================  ==========================================================
``sample_steps.csv``            spaxels and galaxies after each selection step
``galaxies.parquet/.csv``       final galaxies: gradients (observed, azimuthal, and each
                                model set of ``[gradients] models``), errors, offsets,
                                LOESS maps, mass third, size class, bin, subsample
``spaxels.parquet``             model-fitting sample: parameters, O/H, every model's
                                prediction and error, ``final`` flag
``model_metrics.csv``           all seven models on their common spaxels
``table1.csv``/``tableA1.csv``  the paper's Tables 1 and A1
``correlations.csv``            Spearman rho, p of O/H and of base residuals (Figs 2, 4)
``trend_<x>.csv``               binned residual trends (Figs 5, 6, 9)
``map_<name>.csv``              2-D binned maps (Figs 3, 5, 7, 8)
``massize_relation.csv``        the median mass-size relation
``profiles.csv``                radial profiles per mass-size bin and subsample (Figs 14-15)
``repeat_observations.csv``     galaxies observed more than once, and which was kept
``summary.json``                the headline numbers the paper quotes in its text
==============================  ==========================================================

The steps, one module each (:mod:`.driver` calls them in order): :mod:`.load`,
:mod:`.sample` (§2.2), :mod:`.observed` (§2.3), :mod:`.fit_models` (§3, App. A),
:mod:`.metrics` (Tables 1, A1), :mod:`.final_sample` (§3.3),
:mod:`.final_gradients` (§4.1) with :mod:`.azimuthal` (§2.3's check),
:mod:`.relations` (Figs 2-9), :mod:`.massize_plane` (§4.2), :mod:`.summary`,
:mod:`.write`.
"""

from ..gradients import galaxy_gradients
from .driver import analyse_calibrator, analyse_run
from .metrics import TABLE1_MODELS, TABLEA1_MODELS

__all__ = [
    "TABLE1_MODELS",
    "TABLEA1_MODELS",
    "analyse_calibrator",
    "analyse_run",
    "galaxy_gradients",
]
