"""Every file and folder of a run, named in one place: :class:`RunLayout`.

A run folder holds what each stage wrote::

    RUN/
      manifest.json              ingest: configuration, versions, inputs, counts
      galaxies.parquet           ingest: one row per ingested galaxy
      failures.csv               ingest: one row per galaxy that could not be ingested
      spaxels/PLATE-IFU.parquet  ingest: every covered spaxel of one galaxy
      cache/selected_spaxels.parquet
                                 analyse: the selected spaxels of every galaxy, one file
      analysis/manifest.json     analyse: configuration and versions of the analysis
      analysis/calibrators.csv, table1_calibrators.csv, gradients_calibrators.parquet
                                 analyse: the calibrators compared
      analysis/<calibrator>/     analyse: the tables of one calibrator (:class:`AnalysisLayout`)
      learn/<calibrator>/        learn: held-out scores of the learned models
      report/report.html         report: the page; report/figures/<id>.png|pdf
      report/galaxies/PLATE-IFU.html
                                 report: one page per final galaxy

Code that reads or writes a run asks a :class:`RunLayout` (or the
:class:`AnalysisLayout` of one calibrator) for the path instead of spelling
the name, so a name changes in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

__all__ = ["ANALYSIS_FILES", "AnalysisLayout", "RunLayout"]

#: File names of one calibrator's analysis folder: key -> name.
ANALYSIS_FILES: dict[str, str] = {
    "sample_steps": "sample_steps.csv",
    "galaxies": "galaxies.parquet",
    "galaxies_csv": "galaxies.csv",
    "spaxels": "spaxels.parquet",
    "model_metrics": "model_metrics.csv",
    "table1": "table1.csv",
    "tableA1": "tableA1.csv",
    "correlations": "correlations.csv",
    "massize_relation": "massize_relation.csv",
    "profiles": "profiles.csv",
    "repeats": "repeat_observations.csv",
    "summary": "summary.json",
}


@dataclass(frozen=True)
class AnalysisLayout:
    """The files of one calibrator's analysis, ``RUN/analysis/<calibrator>/``.

    Attributes
    ----------
    dir : Path
        The folder. Every file of :data:`ANALYSIS_FILES` is an attribute of
        the same name (``layout.galaxies``, ``layout.summary``, ...).
    """

    dir: Path

    def __getattr__(self, key: str) -> Path:
        try:
            return self.dir / ANALYSIS_FILES[key]
        except KeyError:
            raise AttributeError(key) from None

    def trend(self, name: str) -> Path:
        """Binned residual trend against one parameter (``trend_<name>.csv``)."""
        return self.dir / f"trend_{name}.csv"

    def map(self, name: str) -> Path:
        """A 2-D binned map (``map_<name>.csv``)."""
        return self.dir / f"map_{name}.csv"


@dataclass(frozen=True)
class RunLayout:
    """The files and folders of one run.

    Parameters
    ----------
    root : path-like
        The run folder (``[output] dir`` of the survey configuration).

    Examples
    --------
    >>> layout = RunLayout("run")
    >>> layout.spaxel_table("8485-1901").as_posix()
    'run/spaxels/8485-1901.parquet'
    >>> layout.analysis("m13").summary.as_posix()
    'run/analysis/m13/summary.json'
    """

    root: Path

    def __init__(self, root: str | PathLike[str]):
        object.__setattr__(self, "root", Path(root))

    # --- ingest ------------------------------------------------------------------------
    @property
    def manifest(self) -> Path:
        """Ingest manifest: configuration, versions, inputs and counts."""
        return self.root / "manifest.json"

    @property
    def galaxies(self) -> Path:
        """One row per ingested galaxy."""
        return self.root / "galaxies.parquet"

    @property
    def failures(self) -> Path:
        """One row per galaxy that could not be ingested."""
        return self.root / "failures.csv"

    @property
    def spaxel_dir(self) -> Path:
        """Folder of the per-galaxy spaxel tables."""
        return self.root / "spaxels"

    def spaxel_table(self, plateifu: str) -> Path:
        """The spaxel table of one galaxy."""
        return self.spaxel_dir / f"{plateifu}.parquet"

    # --- analysis ----------------------------------------------------------------------
    @property
    def cache_dir(self) -> Path:
        """Folder of files the analysis rebuilds when they are stale."""
        return self.root / "cache"

    @property
    def selected_cache(self) -> Path:
        """The selected spaxels of every galaxy in one file."""
        return self.cache_dir / "selected_spaxels.parquet"

    @property
    def analysis_dir(self) -> Path:
        """Folder of every calibrator's analysis."""
        return self.root / "analysis"

    @property
    def analysis_manifest(self) -> Path:
        """Analysis manifest: calibrators, configuration and versions."""
        return self.analysis_dir / "manifest.json"

    @property
    def calibrator_comparison(self) -> Path:
        """The calibrators side by side: gradient differences, Table 1 winners, size terms."""
        return self.analysis_dir / "calibrators.csv"

    @property
    def table1_by_calibrator(self) -> Path:
        """Table 1 of every analysed calibrator in one table."""
        return self.analysis_dir / "table1_calibrators.csv"

    @property
    def gradients_by_calibrator(self) -> Path:
        """The observed gradient of every final galaxy under every analysed calibrator."""
        return self.analysis_dir / "gradients_calibrators.parquet"

    def analysis(self, calibrator: str) -> AnalysisLayout:
        """The analysis folder of one calibrator."""
        return AnalysisLayout(self.analysis_dir / calibrator)

    def analysed_calibrators(self) -> list[str]:
        """Calibrators with a finished analysis (a ``summary.json``), sorted."""
        if not self.analysis_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.analysis_dir.iterdir() if self.analysis(p.name).summary.is_file()
        )

    # --- learn and report --------------------------------------------------------------
    def learn_dir(self, calibrator: str) -> Path:
        """Held-out scores of the learned models of one calibrator."""
        return self.root / "learn" / calibrator

    @property
    def report_dir(self) -> Path:
        """Folder of the report."""
        return self.root / "report"

    @property
    def report_html(self) -> Path:
        """The report page."""
        return self.report_dir / "report.html"

    @property
    def figures_dir(self) -> Path:
        """Figures of the report (PNG and PDF)."""
        return self.report_dir / "figures"

    @property
    def galaxy_pages_dir(self) -> Path:
        """One HTML page per final galaxy, linked from the report's mass-size plane."""
        return self.report_dir / "galaxies"

    def galaxy_page(self, plateifu: str) -> Path:
        """The page of one galaxy."""
        return self.galaxy_pages_dir / f"{plateifu}.html"
