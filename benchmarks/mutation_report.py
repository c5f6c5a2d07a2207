"""Summarise a ``mutmut run`` (``make mutation``): score per module group and the survivors.

Reads mutmut's per-file result files (``mutants/src/metgrad/**/*.py.meta``, JSON) and the
hand classification of the mutants that no test kills (``benchmarks/mutation/*.md``: one
table row per mutant, ``| `name` | E or O | reason |``, E = equivalent, O = open), and
writes ``benchmarks/out/mutation_summary.md``: for each module group the numbers of
mutants killed, timed out, surviving, not covered by any selected test and not yet
checked, how many of the survivors are classified equivalent, and the score of issue #19,
``(killed + timeout) / (mutants - equivalent)`` (a mutant no test reaches counts as not
killed); then every surviving and uncovered mutant with its verdict and reason, and
the unclassified ones (``mutmut show NAME`` prints the diff of one).

Run from the repository root after ``mutmut run``::

    .venv/bin/python benchmarks/mutation_report.py
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants" / "src" / "metgrad"
CLASSIFIED = ROOT / "benchmarks" / "mutation"
OUT = ROOT / "benchmarks" / "out" / "mutation_summary.md"

#: A classification row: the mutant's name in backticks, its verdict, the reason.
_ROW = re.compile(
    r"^\|\s*`(?P<name>metgrad\.[^`]+)`\s*\|\s*(?P<verdict>[EO])\s*\|(?P<reason>.*)\|\s*$"
)

#: mutmut 3 exit codes of one mutant's test run, as named in ``mutmut.stats``, except that
#: a test process killed by a signal is "crashed" (mutmut: "segfault", or "suspicious" for
#: SIGABRT).
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
    -11: "crashed",
    -9: "crashed",
    # glibc's abort on a heap it finds corrupt: a mutant that made a compiled kernel write
    # past an array (``lad_slopes_trusted`` 3 sizes the slopes by the points, not the rows)
    -6: "crashed",
    None: "not checked",
}

#: The groups reported, in the order of the issue (#19): a path prefix under metgrad/.
GROUPS = ("physics", "stats", "models", "gradients.py", "spaxels.py", "analysis")


def group_of(meta: Path, root: Path = MUTANTS) -> str:
    """The module group (one of :data:`GROUPS`) of a ``.meta`` file."""
    relative = meta.relative_to(root).as_posix()
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
            by_group[group_of(meta, mutants)][status].append(name)
    return by_group


def classified(folder: Path = CLASSIFIED) -> dict[str, tuple[str, str]]:
    """Verdict (``"E"`` or ``"O"``) and reason of each hand-classified mutant.

    Raises
    ------
    ValueError
        If a mutant is classified twice.
    """
    verdicts: dict[str, tuple[str, str]] = {}
    for path in sorted(folder.glob("*.md")):
        for line in path.read_text().splitlines():
            match = _ROW.match(line)
            if match is None:
                continue
            name = match["name"]
            if name in verdicts:
                raise ValueError(f"{path}: {name} is classified twice")
            verdicts[name] = (match["verdict"], match["reason"].strip())
    return verdicts


def score(counts: Counter) -> float:
    """Killed (timed out, or crashed by a signal) over all mutants but the equivalent ones;
    NaN when none."""
    relevant = sum(counts[c] for c in _COUNTED) - counts["equivalent"]
    if relevant == 0:
        return float("nan")
    return (counts["killed"] + counts["timeout"] + counts["crashed"]) / relevant


#: Statuses that are mutants of the score (``not checked`` and ``skipped`` are not).
_COUNTED = ("killed", "timeout", "crashed", "survived", "no tests", "suspicious")


def _counts(groups: dict[str, list[str]], verdicts: dict[str, tuple[str, str]]) -> Counter:
    counts = Counter({k: len(v) for k, v in groups.items()})
    for status in ("survived", "no tests", "suspicious"):
        for name in groups.get(status, []):
            verdict = verdicts.get(name, ("?", ""))[0]
            counts[{"E": "equivalent", "O": "open"}.get(verdict, "unclassified")] += 1
    return counts


def summary(by_group: dict[str, dict[str, list[str]]], verdicts=None) -> str:
    """The Markdown summary: a table of counts and scores, then the surviving names."""
    verdicts = classified() if verdicts is None else verdicts
    columns = ("killed", "timeout", "crashed", "survived", "no tests", "not checked", "equivalent",
               "open", "unclassified")  # fmt: skip
    lines = [
        "| group | mutants | " + " | ".join(columns) + " | score |",
        "|---" * (len(columns) + 3) + "|",
    ]
    total: Counter = Counter()
    for group in GROUPS:
        counts = _counts(by_group.get(group, {}), verdicts)
        total += counts
        cells = " | ".join(str(counts[c]) for c in columns)
        n = sum(counts[c] for c in (*_COUNTED, "not checked", "skipped"))
        lines.append(f"| {group} | {n} | {cells} | {100 * score(counts):.1f} % |")
    cells = " | ".join(str(total[c]) for c in columns)
    n = sum(total[c] for c in (*_COUNTED, "not checked", "skipped"))
    lines.append(f"| all | {n} | {cells} | {100 * score(total):.1f} % |")
    lines += ["", "score = (killed + timeout + crashed) / (mutants - equivalent); crashed = the",
              "tests' process died by a signal (segfault, or glibc's abort on a corrupt heap);",
              "a mutant no unit test reaches counts as not killed."]  # fmt: skip
    for status in ("survived", "no tests", "suspicious"):
        names = sorted(n for g in by_group.values() for n in g.get(status, []))
        if names:
            lines += ["", f"## {status} ({len(names)})", "", "| mutant | verdict | reason |",
                      "|---|---|---|"]  # fmt: skip
            for name in names:
                verdict, reason = verdicts.get(name, ("unclassified", ""))
                lines.append(f"| `{name}` | {verdict} | {reason} |")
    alive = {n for g in by_group.values() for s in ("survived", "no tests", "suspicious")
             for n in g.get(s, [])}  # fmt: skip
    stale = sorted(set(verdicts) - alive)
    if stale:
        lines += ["", f"## classified but killed or not generated ({len(stale)})", ""]
        lines += [f"- `{name}`" for name in stale]
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
