"""Summarise a ``mutmut run`` (``make mutation``): score per module group and the survivors.

Reads mutmut's per-file result files (``mutants/src/metgrad/**/*.py.meta``, JSON) and
writes ``benchmarks/out/mutation_summary.md``: for each module group the numbers of
mutants killed, timed out, surviving, not covered by the selected tests and not yet
checked, the score ``(killed + timeout) / (checked)``, and the list of surviving and
uncovered mutant names (``mutmut show NAME`` prints the diff of one).

Run from the repository root after ``mutmut run``::

    .venv/bin/python benchmarks/mutation_report.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants" / "src" / "metgrad"
OUT = ROOT / "benchmarks" / "out" / "mutation_summary.md"

#: mutmut 3 exit codes of one mutant's test run, as named in ``mutmut.stats``.
STATUS_BY_EXIT_CODE = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "segfault",
    -9: "segfault",
    None: "not checked",
}

#: The groups reported, in the order of the issue (#19): a path prefix under metgrad/.
GROUPS = ("physics", "stats", "models", "gradients.py", "spaxels.py", "analysis")


def group_of(meta: Path) -> str:
    """The module group (one of :data:`GROUPS`) of a ``.meta`` file."""
    relative = meta.relative_to(MUTANTS).as_posix()
    for group in GROUPS:
        if relative == f"{group}.meta" or relative.startswith(group):
            return group
    raise ValueError(f"{meta}: not in any of the mutation-tested groups {GROUPS}")


def collect(mutants: Path = MUTANTS) -> dict[str, dict[str, list[str]]]:
    """Mutant names by status, by group, from every ``.meta`` under ``mutants``.

    A survivor that ``benchmarks/mutation_recheck.py`` killed in a fresh interpreter
    (``recheck.json``) counts as killed.
    """
    if not mutants.is_dir():
        raise ValueError(f"{mutants}: no mutmut results; run `make mutation` first")
    recheck_file = mutants.parents[1] / "recheck.json"
    recheck = json.loads(recheck_file.read_text()) if recheck_file.exists() else {}
    by_group: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for meta in sorted(mutants.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in codes.items():
            status = STATUS_BY_EXIT_CODE.get(code, "suspicious")
            if status == "survived" and recheck.get(name) == "killed":
                status = "killed"
            by_group[group_of(meta)][status].append(name)
    return by_group


def score(counts: Counter) -> float:
    """Killed (or timed out) over checked mutants; NaN when none was checked."""
    checked = counts["killed"] + counts["timeout"] + counts["survived"] + counts["segfault"]
    checked += counts["suspicious"]
    if checked == 0:
        return float("nan")
    return (counts["killed"] + counts["timeout"] + counts["segfault"]) / checked


def summary(by_group: dict[str, dict[str, list[str]]]) -> str:
    """The Markdown summary: a table of counts and scores, then the surviving names."""
    columns = ("killed", "timeout", "survived", "no tests", "not checked", "suspicious")
    lines = [
        "| group | mutants | " + " | ".join(columns) + " | score |",
        "|---" * (len(columns) + 3) + "|",
    ]
    total: Counter = Counter()
    for group in GROUPS:
        counts = Counter({k: len(v) for k, v in by_group.get(group, {}).items()})
        total += counts
        cells = " | ".join(str(counts[c]) for c in columns)
        lines.append(
            f"| {group} | {sum(counts.values())} | {cells} | {100 * score(counts):.1f} % |"
        )
    cells = " | ".join(str(total[c]) for c in columns)
    lines.append(f"| all | {sum(total.values())} | {cells} | {100 * score(total):.1f} % |")
    for status in ("survived", "no tests", "suspicious"):
        names = sorted(n for g in by_group.values() for n in g.get(status, []))
        if names:
            lines += ["", f"## {status} ({len(names)})", ""]
            lines += [f"- `{name}`" for name in names]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write :data:`OUT` and print the table."""
    text = summary(collect())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(text.split("\n\n")[0])
    print(f"written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
