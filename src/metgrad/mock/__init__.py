"""Synthetic MaNGA-like survey with known truth (the demo default and the test bed).

``metgrad mock --galaxies N --out DIR [--seed S]`` writes DAP MAPS files,
Pipe3D cubes, a drpall-like table, a GSWLC-2X-like table, a ``survey.toml``
and truth tables, in the formats of ``datamodel.md``; see :mod:`.survey`.
"""

from .config import MockConfig
from .survey import SurveyResult, generate_survey, make_galaxy

__all__ = ["MockConfig", "SurveyResult", "generate_survey", "make_galaxy"]
