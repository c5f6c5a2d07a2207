"""The Python example of docs/api.md runs as written on a small demo run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_api_example_runs_on_a_demo_run(demo_run, capsys):
    text = (ROOT / "docs" / "api.md").read_text()
    example = re.findall(r"```python\n(.*?)```", text, flags=re.S)[0]
    assert 'open_run("demo/run")' in example
    code = example.replace('"demo/run"', repr(str(demo_run.run)))
    exec(compile(code, "docs/api.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "['m13', 'pg16']" in printed and "lowest BIC:" in printed
