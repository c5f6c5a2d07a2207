"""The README's quick start and the docs' Python example, on a fresh clone (issue #17).

The commands of the README's "Quick start" block run as written in a clone of this
repository, in a shell, with the demo at a small size (``make demo``'s 400 galaxies take
minutes; the commands around it are the same); then docs/api.md's example runs with the
clone's own environment on that demo.

Two costs of a first run are not this test's subject and are taken from the running checkout
(CI's ``make test`` on a clean clone pays both, so they stay tested there):

- the clone's ``.venv`` is made before ``make`` runs (so ``make`` skips only its
  ``python -m venv`` line), with a ``.pth`` file that puts this interpreter's installed
  packages on its path: ``make``'s two ``pip install`` lines then run as written, resolve
  every dependency as installed and install the clone itself, editable, in seconds instead
  of a minute of wheel installs;
- numba's compiled kernels (its on-disk cache beside each source file in ``__pycache__``)
  are copied from this checkout for each kernel module whose source is byte-identical in the
  clone, with that file's time stamp (numba keys its cache on the source's time stamp and
  size, and each kernel's bytecode); any other module compiles in the clone as on a fresh
  machine.

The test checks that the clone's ``metgrad`` is imported from the clone, not from here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start\n.*?```\n(.*?)```", text, flags=re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    return [c for c in commands if c and not c.startswith("git clone")]


def _venv_on_these_packages(clone: Path) -> None:
    """``clone/.venv`` made by this interpreter, seeing its installed packages (a ``.pth``)."""
    subprocess.run([sys.executable, "-m", "venv", str(clone / ".venv")], check=True)
    paths = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    found = list((clone / ".venv" / "lib").glob("python*/site-packages"))
    assert len(found) == 1, found
    (found[0] / "running_checkout_packages.pth").write_text("".join(f"{p}\n" for p in paths))


def _copy_numba_cache(clone: Path) -> int:
    """Copy this checkout's numba kernel cache into ``clone``; the number of modules copied."""
    copied = 0
    for cache in (ROOT / "src").rglob("__pycache__"):
        for source in cache.parent.glob("*.py"):
            files = list(cache.glob(f"{source.stem}.*.nb[ic]"))
            twin = clone / source.relative_to(ROOT)
            if not files or not twin.exists() or twin.read_bytes() != source.read_bytes():
                continue
            (twin.parent / "__pycache__").mkdir(exist_ok=True)
            for file in files:
                shutil.copyfile(file, twin.parent / "__pycache__" / file.name)
            stat = source.stat()
            os.utime(twin, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            copied += 1
    return copied


@pytest.mark.slow
def test_readme_quick_start_and_api_example_on_a_fresh_clone(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "metgrad"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    _venv_on_these_packages(clone)
    _copy_numba_cache(clone)
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
    where = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c",
                            "import metgrad; print(metgrad.__file__)"], env=env,
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(clone / "src"), where.stdout
    example = re.findall(r"```python\n(.*?)```", (clone / "docs" / "api.md").read_text(),
                         flags=re.S)[0].replace('"demo/run"', repr(str(clone / "demo" / "run")))
    ran = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", example], env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "lowest BIC:" in ran.stdout
