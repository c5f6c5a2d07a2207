"""The configuration options as a Markdown reference, made from :mod:`metgrad.config` itself.

``docs/configuration.md`` is this module's output (``python -m metgrad.config_docs >
docs/configuration.md``); a test checks the file against it, so the documented options,
types, defaults and descriptions cannot drift from the code.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing

from . import config as config_module
from .config import RunConfig

__all__ = ["options_markdown", "section_options"]


def _attribute_docs(cls) -> dict[str, str]:
    """``name -> description`` from the numpydoc Attributes section of a class docstring.

    A line ``a, b : type`` documents several names with one description.
    """
    doc = inspect.getdoc(cls) or ""
    if "Attributes" not in doc:
        return {}
    body = doc.split("Attributes", 1)[1].split("\n", 2)[2]  # after the underline
    out: dict[str, str] = {}
    names: list[str] = []
    for line in body.splitlines():
        header = re.match(r"^(\w[\w, ]*) : ", line)
        if header:
            names = [n.strip() for n in header.group(1).split(",")]
            for n in names:
                out[n] = ""
        elif line.startswith("    ") and names:
            for n in names:
                out[n] = (out[n] + " " + line.strip()).strip()
    return out


def _type_name(annotation) -> str:
    text = str(annotation) if not isinstance(annotation, type) else annotation.__name__
    return text.replace("typing.", "").replace("pathlib.", "").replace(" | ", " or ")


def section_options(section: str) -> list[dict[str, str]]:
    """Name, type, default and description of each option of one section."""
    cls = {f.name: f for f in dataclasses.fields(RunConfig)}[section].default_factory
    hints = typing.get_type_hints(cls, vars(config_module))
    docs = _attribute_docs(cls)
    rows = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if isinstance(default, tuple):
            default = list(default)
        rows.append(
            {
                "name": f.name,
                "type": _type_name(hints[f.name]),
                "default": repr(default).replace("PosixPath", "Path"),
                "description": docs.get(f.name, ""),
            }
        )
    return rows


def options_markdown() -> str:
    """Every section and option of a survey configuration, as Markdown."""
    lines = [
        "# Configuration options",
        "",
        "Every option of a survey configuration (`survey.toml`), by section, with its type,",
        "its default (the paper's choice) and what it does. Generated from",
        "`src/metgrad/config.py` by `python -m metgrad.config_docs`; a test keeps them equal.",
        "Unknown keys, wrong types and values out of range are refused on load.",
        "",
    ]
    for f in dataclasses.fields(RunConfig):
        cls = f.default_factory
        summary = (inspect.getdoc(cls) or "").split("\n\n", 1)[0].replace("\n", " ")
        lines += [f"## [{f.name}]", "", summary, "", "| option | type | default | meaning |",
                  "|---|---|---|---|"]  # fmt: skip
        for row in section_options(f.name):
            desc = row["description"].replace("|", "\\|")
            lines.append(f"| `{row['name']}` | {row['type']} | `{row['default']}` | {desc} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(options_markdown(), end="")
