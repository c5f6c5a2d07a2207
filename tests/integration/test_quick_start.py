"""The README's quick start and the docs' Python example, on a fresh clone (issue #17).

The commands of the README's "Quick start" block run as written in a clone of this
repository, in a shell, with the demo at a small size (``make demo``'s 400 galaxies take
minutes; the commands around it are the same); then docs/api.md's example runs with the
clone's own environment on that demo.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start\n.*?```\n(.*?)```", text, flags=re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    return [c for c in commands if c and not c.startswith("git clone")]


@pytest.mark.slow
def test_readme_quick_start_and_api_example_on_a_fresh_clone(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "metgrad"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    commands = _quick_start_commands()
    assert commands[:3] == ["make demo", ". .venv/bin/activate", "metgrad --help"], commands
    # make demo, at a small size: the same set-up (make's venv), then the demo command
    commands[0] = "make .venv/.installed && .venv/bin/metgrad demo --galaxies 20 --no-progress"
    script = " && ".join(["set -e", f"cd {clone}", *commands[:3]])
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PYTHON"] = sys.executable
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                          timeout=1500)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "report.html" in done.stdout + done.stderr
    assert "analyse" in done.stdout  # `metgrad --help` lists the subcommands
    example = re.findall(r"```python\n(.*?)```", (clone / "docs" / "api.md").read_text(),
                         flags=re.S)[0].replace('"demo/run"', repr(str(clone / "demo" / "run")))
    ran = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", example], env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "lowest BIC:" in ran.stdout
