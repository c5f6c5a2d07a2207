"""The one exception type readers raise for unusable input files."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

__all__ = ["InputFileError"]


class InputFileError(ValueError):
    """An input file is missing, unreadable, truncated, foreign or lacks what is needed.

    The message is one line that starts with the file name, so that a survey
    run can record it in ``failures.csv`` and a user can act on it.

    Parameters
    ----------
    path : str or path-like
        The offending file.
    problem : str
        What is wrong with it, in a few words.
    """

    def __init__(self, path: str | PathLike[str], problem: str):
        self.path = Path(path)
        self.problem = " ".join(str(problem).split())
        super().__init__(f"{self.path.name}: {self.problem}")
