"""The whole analysis of one calibrator, as the writer and the summary take it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..calibration import Calibrator
from .final_gradients import FinalGradients
from .fit_models import FittedModels
from .massize_plane import MassSizePlane
from .metrics import ModelTables
from .relations import RelationTables
from .sample import RepeatObservations

__all__ = ["CalibratorResult"]


@dataclass(frozen=True)
class CalibratorResult:
    """Every step's result for one calibrator.

    Attributes
    ----------
    calibrator : Calibrator
    spaxels : pandas.DataFrame
        The model-fitting sample (its predictions are in ``fitted``).
    fitted : FittedModels
    tables : ModelTables
    gradients : FinalGradients
        Its ``final`` holds the final rows and every sample step.
    relations : RelationTables
    plane : MassSizePlane
        Its ``galaxies`` is the final galaxy table.
    repeats : RepeatObservations
    """

    calibrator: Calibrator
    spaxels: pd.DataFrame
    fitted: FittedModels
    tables: ModelTables
    gradients: FinalGradients
    relations: RelationTables
    plane: MassSizePlane
    repeats: RepeatObservations

    @property
    def final_spaxels(self) -> pd.DataFrame:
        """The final spaxels (the columns the gradients read, predictions included)."""
        return self.gradients.spaxels

    @property
    def steps(self) -> pd.DataFrame:
        """Spaxels and galaxies after every sample step."""
        return self.gradients.final.steps.table()
