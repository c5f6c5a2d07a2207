"""The synthetic survey shares no code with what it validates (issue #19).

``metgrad.mock`` must import nothing of the pipeline's physics, statistics, readers or
analysis (and no astropy.cosmology: its distances are its own). Checked twice: by
walking the syntax tree of every module file (every import, wherever it sits, lazy
ones in functions included), and by importing every mock module in a fresh
interpreter and looking at ``sys.modules``.
"""

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import metgrad.mock

FORBIDDEN = (
    "metgrad.physics", "metgrad.stats", "metgrad.io", "metgrad.spaxels", "metgrad.survey",
    "metgrad.analysis", "metgrad.gradients", "metgrad.models", "metgrad.sample",
    "metgrad.massize", "astropy.cosmology",
)  # fmt: skip
MOCK_DIR = Path(metgrad.mock.__file__).parent


def forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def imported_names(source: str, package: str = "metgrad.mock") -> list[str]:
    """Absolute names of every module an import statement in ``source`` may bind."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.append(module)
            names += [f"{module}.{alias.name}" for alias in node.names]
    return names


def test_relative_imports_are_resolved():
    # the walker must see through `from .. import physics` and `from ..stats import x`,
    # including imports inside functions
    source = (
        "from .. import physics\nfrom ..stats import lad\nfrom .dust import attenuation_k\n"
        "def f():\n    import metgrad.io.maps\n"
    )
    names = imported_names(source)
    assert {"metgrad.physics", "metgrad.stats", "metgrad.mock.dust", "metgrad.io.maps"} <= set(
        names
    )
    assert forbidden("metgrad.physics.dust") and forbidden("metgrad.io.maps")
    assert not forbidden("metgrad.parallel") and not forbidden("metgrad.mock.dust")


def test_no_mock_file_imports_the_pipeline():
    files = sorted(MOCK_DIR.rglob("*.py"))
    assert len(files) > 10
    bad = {
        str(f.relative_to(MOCK_DIR)): [n for n in imported_names(f.read_text()) if forbidden(n)]
        for f in files
    }
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"metgrad.mock imports pipeline code: {bad}"


def test_importing_every_mock_module_loads_no_pipeline_module():
    modules = ["metgrad.mock"] + [
        f"metgrad.mock.{m.name}" for m in pkgutil.iter_modules([str(MOCK_DIR)])
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)  # fmt: skip
    loaded = json.loads(out.stdout)
    assert "metgrad.mock.survey" in loaded and "metgrad.mock.cli" in loaded
    assert not [n for n in loaded if forbidden(n)]
