"""The mutation score of the last ``make mutants``, per module: how many of mutmut's mutants
the unit and integration tests killed (a time-out counts as killed: the mutant hung the code
under test, and a test noticed), how many survived, and how many no test reached. Read from
mutmut's own result files under ``mutants/``; prints the survivors by name so each can be
looked at with ``mutmut show NAME``. Target: at least 90 % killed of those checked."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

#: mutmut's exit codes (mutmut/stats.py): what each means for the score.
KILLED = {1, 3, 36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}
TARGET = 0.90


def status(code: int | None) -> str:
    if code is None:
        return "not checked"
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    return "other"


def main(root: Path = Path("mutants")) -> int:
    metas = sorted(root.rglob("*.py.meta"))
    if not metas:
        print(f"no mutmut results under {root}/: run `make mutants` first")
        return 2
    total: Counter[str] = Counter()
    survivors: list[str] = []
    heads = ("mutants", "killed", "survived", "no tests", "score")
    print(f"{'module':34} " + " ".join(f"{h:>8}" for h in heads))
    for meta in metas:
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        counts = Counter(status(code) for code in codes.values())
        total.update(counts)
        checked = counts["killed"] + counts["survived"] + counts["no tests"]
        score = counts["killed"] / checked if checked else 0.0
        name = str(meta.relative_to(root)).removesuffix(".meta")
        row = (len(codes), counts["killed"], counts["survived"], counts["no tests"])
        print(f"{name:34} " + " ".join(f"{n:8}" for n in row) + f" {score:8.1%}")
        survivors += [k for k, code in codes.items() if status(code) in ("survived", "no tests")]
    checked = total["killed"] + total["survived"] + total["no tests"]
    score = total["killed"] / checked if checked else 0.0
    row = (sum(total.values()), total["killed"], total["survived"], total["no tests"])
    print(
        f"{'all':34} " + " ".join(f"{n:8}" for n in row) + f" {score:8.1%}"
        f"  (target {TARGET:.0%}; not checked: {total['not checked']}, other: {total['other']})"
    )
    for name in survivors:
        print(f"  survived: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("mutants")))
