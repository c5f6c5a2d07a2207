"""Fixtures of the ingest integration tests: one small synthetic survey, ingested once.

The survey is ``metgrad.mock`` with its default parameters, 8 galaxies, seed 121.
That seed was chosen (by drawing galaxy-level properties only) so that the
small survey exercises what ingest must handle: one galaxy missing from
GSWLC-2X, one with GSWLC mass -99, a foreground star, a quenched centre with
LINER-like gas, b/a below 0.6, and only the smaller IFU bundles (fast).
``test_survey_exercises_the_cases`` in ``test_ingest_truth.py`` checks that
this stays true.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest

from metgrad.config import RunConfig, load_config
from metgrad.mock import MockConfig, generate_survey
from metgrad.survey import run_ingest

MOCK_SEED = 121
MOCK_GALAXIES = 8


@dataclass(frozen=True)
class IngestedSurvey:
    """A synthetic survey and its reference (serial, uninterrupted) ingest run.

    Attributes
    ----------
    root : Path
        The survey folder written by ``generate_survey`` (``truth/`` inside).
    toml : Path
        Its ``survey.toml``.
    config : RunConfig
        The configuration loaded from ``toml``.
    run : Path
        Output folder of the reference run (``workers=1``, in this process).
    """

    root: Path
    toml: Path
    config: RunConfig
    run: Path

    def config_for(self, out: Path) -> RunConfig:
        """The survey's configuration writing to ``out`` instead."""
        return dataclasses.replace(
            self.config, output=dataclasses.replace(self.config.output, dir=out)
        )


@pytest.fixture(scope="session")
def ingested_survey(tmp_path_factory) -> IngestedSurvey:
    """Write the synthetic survey and ingest it once, serially (a few seconds)."""
    root = tmp_path_factory.mktemp("ingest_survey")
    result = generate_survey(MockConfig(n_galaxies=MOCK_GALAXIES, seed=MOCK_SEED), root)
    config = load_config(result.toml_path)
    run_ingest(config, workers=1, progress=False)
    return IngestedSurvey(
        root=root, toml=result.toml_path, config=config, run=Path(config.output.dir)
    )
