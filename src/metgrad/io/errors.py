"""The one exception type readers raise for unusable input files."""

from __future__ import annotations

import functools
from os import PathLike
from pathlib import Path

__all__ = ["InputFileError", "names_the_file", "printable"]


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
        self.problem = printable(" ".join(str(problem).split()))
        super().__init__(f"{printable(self.path.name)}: {self.problem}")


def printable(text: str) -> str:
    """Show every unprintable character of ``text`` as ``?``.

    An escape sequence in a crafted header value or file name would otherwise drive the
    terminal that prints the message.
    """
    return "".join(c if c.isprintable() else "?" for c in text)


def names_the_file(reader):
    """Turn any failure of ``reader(path, ...)`` into one :class:`InputFileError` naming the file.

    The readers raise :class:`InputFileError` for every fault they check; this catches
    what they did not foresee (astropy's ``VerifyError`` on a malformed card, a
    ``MemoryError``, ...), so that one file never stops a survey with a traceback.
    """

    @functools.wraps(reader)
    def read(path, *args, **kwargs):
        try:
            return reader(path, *args, **kwargs)
        except InputFileError:
            raise
        except Exception as exc:
            text = " ".join(str(exc).split())[:200] or "no message"
            raise InputFileError(path, f"unreadable ({type(exc).__name__}: {text})") from exc

    return read
