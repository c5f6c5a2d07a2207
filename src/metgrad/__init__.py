"""metgrad: gas-phase metallicity gradients from integral-field surveys.

Implements, as reusable software, the method of Boardman et al. (2022, MNRAS),
"How well do local relations predict gas-phase metallicity gradients? Results
from SDSS-IV MaNGA", and extends it.

The pure, exact core lives in :mod:`metgrad.physics` (dust, star formation,
IMF factors, BPT classification, strong-line calibrators) and
:mod:`metgrad.stats` (IDL ``ROBUST_SIGMA``, exact least-absolute-deviation
lines, 2-D LOESS, binned statistics).

The pipeline, one call per stage::

    from metgrad import load_config, run_ingest, analyse_run, build_report, open_run
    config = load_config("survey.toml")
    run_ingest(config, workers=2)              # RUN/spaxels/, galaxies.parquet
    analyse_run(config.output.dir)             # RUN/analysis/<calibrator>/
    build_report(config.output.dir)            # RUN/report/report.html
    run = open_run(config.output.dir)          # the results as pandas tables
    run.galaxies("m13")

The stages are imported on first use, so ``import metgrad`` stays light.
"""

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "analyse_run",
    "build_report",
    "load_config",
    "open_run",
    "run_ingest",
]

_LAZY = {
    "analyse_run": ("metgrad.analysis", "analyse_run"),
    "build_report": ("metgrad.report", "build_report"),
    "load_config": ("metgrad.config", "load_config"),
    "open_run": ("metgrad.results", "open_run"),
    "run_ingest": ("metgrad.survey", "run_ingest"),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'metgrad' has no attribute {name!r}")
