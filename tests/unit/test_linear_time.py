"""Every regular expression of the package, and the redactor's and the scanner's public entry
points, run in time linear in their input.

The defect: the e-mail rule backtracked over a long run of its own characters, so a
150,000-character symbol containing ``@`` cost 13 s and an audit of a 2 MB one-line file ran for
minutes. The test is a growth ratio, not a wall-clock bound: each job is timed on 100 KB and on
1 MB of adversarial text (best of 3 each); linear work grows about 10x, quadratic about 100x,
and the ratio must stay under 30x.

Nothing is listed by hand that can be discovered: the rules are every ``re.Pattern`` that a
module of ``jainam_validate`` (the simulator excepted) holds, and the one a configured
``Redactor`` holds, if any; their adversarial inputs come from each pattern's own character
classes and literals (``bench/regex_linear.py`` has the machinery and prints the same figures
as a table). Every run happens in a forked worker that is killed on time-out, so a quadratic
rule fails in seconds instead of hanging: a 100 KB run over ``GUARD_S`` is not waited for, nor a
1 MB run once it has taken 30x the 100 KB time.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import regex_linear as rl

WORKDIR = Path(tempfile.gettempdir()) / f"jv-linear-time-{os.getpid()}"  # audit's one-line files

DISCOVERY = rl.discover([("redact.Redactor()", rl.make_redactor())])
REGISTRY: dict[str, rl.Job] = {}
RULE_JOBS = {rule.name: rl.register_rule(REGISTRY, rule) for rule in DISCOVERY.rules}
ENTRY_CASES = rl.register_entries(REGISTRY, WORKDIR)


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@%=:.\"'*+_/-]+", "_", text)


@pytest.fixture(scope="module")
def worker() -> Iterator[rl.Worker]:
    WORKDIR.mkdir(parents=True, exist_ok=True)
    timer = rl.Worker(REGISTRY)
    try:
        yield timer
    finally:
        timer.stop()
        shutil.rmtree(WORKDIR, ignore_errors=True)


def test_the_package_regexes_are_discovered() -> None:
    # a module that does not import would have its rules silently left out
    assert not DISCOVERY.import_errors, f"modules that did not import: {DISCOVERY.import_errors}"
    assert DISCOVERY.rules, f"no compiled regex found in {DISCOVERY.modules}"
    for rule in DISCOVERY.rules:
        assert RULE_JOBS[rule.name], f"no adversarial input derived for {rule.name}"


@pytest.mark.parametrize("rule", DISCOVERY.rules, ids=lambda rule: rule.name)
def test_regex_rule_runs_in_linear_time(rule: rl.Rule, worker: rl.Worker) -> None:
    result = rl.check_rule(worker, rule, RULE_JOBS[rule.name])
    if not result.linear:
        pytest.fail(f"{rule.pattern.pattern!r} ({'+'.join(rule.ops)}):\n{result.explain()}")


@pytest.mark.parametrize(
    "case", ENTRY_CASES, ids=lambda case: _id(f"{case.entry}-{case.attack.label}")
)
def test_entry_point_runs_in_linear_time(case: rl.EntryCase, worker: rl.Worker) -> None:
    growth = rl.growth(worker, case.key, case.entry, case.attack.label)
    if not growth.linear:
        pytest.fail(growth.explain())


@pytest.mark.parametrize(
    "case",
    [c for c in ENTRY_CASES if c.entry == "audit" and c.attack.label in rl.AUDIT_2MB_INPUTS],
    ids=lambda case: _id(case.attack.label),
)
def test_audit_of_a_2mb_line_grows_linearly_from_1mb(case: rl.EntryCase, worker: rl.Worker) -> None:
    growth = rl.growth(
        worker,
        case.key,
        case.entry,
        case.attack.label,
        small=rl.LARGE,
        large=rl.HUGE,
        limit=rl.HUGE_LIMIT,
        guard=rl.MAX_WAIT_S,
    )
    if not growth.linear:
        pytest.fail(growth.explain())
