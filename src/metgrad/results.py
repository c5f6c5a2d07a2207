"""A finished run's results as pandas tables: :func:`open_run`.

>>> run = open_run("demo/run")                        # doctest: +SKIP
>>> run.calibrators                                   # doctest: +SKIP
['m13', 'pg16']
>>> run.galaxies("m13")[["grad_obs", "grad_sfh"]]     # doctest: +SKIP
>>> run.metrics("m13", table="table1")                # doctest: +SKIP
>>> run.summary("pg16")["n_galaxies_final"]           # doctest: +SKIP

Everything is read from the files the pipeline wrote (their names come from
:class:`metgrad.layout.RunLayout`), so a run can be explored without re-running
anything.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path

import pandas as pd

from .layout import AnalysisLayout, RunLayout

__all__ = ["Run", "check_analysis", "open_run"]


def check_analysis(layout: RunLayout) -> dict:
    """The analysis manifest, after checking that every calibrator's folder belongs to it.

    Each ``analysis/<calibrator>/summary.json`` records the configuration hash it
    was made with; an interrupted re-analysis can leave folders of two analyses
    side by side. They must all match ``analysis/manifest.json``.

    Raises
    ------
    ValueError
        Naming the folder whose configuration differs, or a manifest that cannot
        be read.
    """
    path = layout.analysis_manifest
    try:
        manifest = json.loads(path.read_text())
        wanted = manifest["config_hash"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable analysis manifest ({exc})") from None
    for key in layout.analysed_calibrators():
        summary_path = layout.analysis(key).summary
        try:
            found = json.loads(summary_path.read_text()).get("config_hash")
        except (OSError, ValueError) as exc:
            raise ValueError(f"{summary_path}: unreadable ({exc})") from None
        if found != wanted:
            raise ValueError(
                f"{summary_path.parent}: made with configuration {found}, but {path.name} "
                f"records {wanted} (an interrupted analysis?); re-run `metgrad analyse`"
            )
    return manifest


class Run:
    """The results of one run folder, per calibrator.

    Parameters
    ----------
    run_dir : path-like
        A folder written by ``metgrad ingest`` and ``metgrad analyse``.

    Raises
    ------
    FileNotFoundError
        If the folder holds no ingested run.
    """

    def __init__(self, run_dir: str | PathLike[str]):
        self.layout = RunLayout(run_dir)
        if not self.layout.galaxies.is_file():
            raise FileNotFoundError(
                f"{self.layout.root}: not an ingested run (no {self.layout.galaxies.name})"
            )

    def __repr__(self) -> str:
        return f"Run({str(self.layout.root)!r}, calibrators={self.calibrators})"

    @property
    def calibrators(self) -> list[str]:
        """Calibrators with a finished analysis."""
        return self.layout.analysed_calibrators()

    def _analysis(self, calibrator: str) -> AnalysisLayout:
        if calibrator not in self.calibrators:
            raise ValueError(
                f"{self.layout.root}: no analysis of calibrator {calibrator!r} "
                f"(analysed: {', '.join(self.calibrators) or 'none'}; run `metgrad analyse`)"
            )
        return self.layout.analysis(calibrator)

    def ingested(self) -> pd.DataFrame:
        """One row per ingested galaxy (``galaxies.parquet`` of ingest), by plate-ifu."""
        return pd.read_parquet(self.layout.galaxies).set_index("plateifu")

    def failures(self) -> pd.DataFrame:
        """Galaxies that could not be ingested, with the stage, file and reason."""
        return pd.read_csv(self.layout.failures).fillna("")

    def galaxies(self, calibrator: str) -> pd.DataFrame:
        """Final galaxies: gradients, offsets, maps and classes, indexed by plate-ifu."""
        return pd.read_parquet(self._analysis(calibrator).galaxies).set_index("plateifu")

    def spaxels(self, calibrator: str, *, final_only: bool = False) -> pd.DataFrame:
        """Model-fitting spaxels with every model's prediction (``final`` flags the final ones)."""
        table = pd.read_parquet(self._analysis(calibrator).spaxels)
        return table[table["final"]].reset_index(drop=True) if final_only else table

    def metrics(self, calibrator: str, *, table: str = "model_metrics") -> pd.DataFrame:
        """Model metrics: ``'model_metrics'`` (all sets), ``'table1'`` or ``'tableA1'``."""
        if table not in ("model_metrics", "table1", "tableA1"):
            raise ValueError(f"table must be model_metrics, table1 or tableA1, got {table!r}")
        return pd.read_csv(getattr(self._analysis(calibrator), table)).set_index("model")

    def sample_steps(self, calibrator: str) -> pd.DataFrame:
        """Spaxels and galaxies after each selection step."""
        return pd.read_csv(self._analysis(calibrator).sample_steps)

    def profiles(self, calibrator: str) -> pd.DataFrame:
        """Radial profiles per mass-size bin and subsample."""
        return pd.read_csv(self._analysis(calibrator).profiles)

    def summary(self, calibrator: str) -> dict:
        """The headline numbers (``summary.json``)."""
        return json.loads(self._analysis(calibrator).summary.read_text())


def open_run(run_dir: str | PathLike[str]) -> Run:
    """Open a run folder to read its results; see :class:`Run`."""
    return Run(Path(run_dir))
