"""Check statuses, the run verdict and its exit code: the one place a PASS is decided.

Every release check ends in one :class:`Status`. A check the run could not exercise (an empty
book, holdings with nothing to price, a flow never reached) is ``not_proven``, never ``pass``;
the user may waive an empty book with ``--allow-empty`` (``waived``); a check that cannot apply
to the target (live capture on the simulator) is ``not_applicable``. :func:`verdict_of` turns the
statuses and the run's exit code into PASS, FAIL or INCONCLUSIVE, and :func:`headline` into the
one sentence every surface (report, terminal, JUnit, job summary) shows. All of it reads only
statuses, names and numbers, never a check's detail text, so nothing the broker sends can change
what the verdict says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from jainam_validate.errors import ExitCode


class Status(StrEnum):
    """The status of one release check (``run.json`` ``checks.*.status``)."""

    PASS = "pass"
    FAIL = "fail"
    NOT_PROVEN = "not_proven"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"


class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


class TargetKind(StrEnum):
    """What the run talked to (``run.json`` ``target.kind``)."""

    LIVE = "live"
    SIMULATOR = "simulator"
    REPLAY = "replay"


#: Exit codes that mean the run itself failed (usage, credentials, reachability, leak guard).
#: Exit codes the checks themselves explain (the headline names the checks, not the code).
_SAID_BY_CHECKS = frozenset({ExitCode.OK, ExitCode.CHECKS_FAILED, ExitCode.INCONCLUSIVE})
_FAILING_EXITS = frozenset(
    {ExitCode.CHECKS_FAILED, ExitCode.USAGE, ExitCode.AUTH, ExitCode.UNREACHABLE, ExitCode.LEAK}
)

#: What a failing exit code means, in a release owner's words.
EXIT_MEANING: dict[int, str] = {
    1: "at least one check failed",
    2: "a usage or configuration error stopped the run",
    3: "the broker rejected the credentials or the session token",
    4: "the broker could not be reached (no HTTP response was ever received)",
    5: "nothing failed, but a check was not proven",
    7: "the leak guard stopped an artifact from being written",
    130: "the run was interrupted before it finished; the evidence is partial",
}


def status_of(value: str) -> Status:
    """A status read back from a folder; anything unknown counts as ``fail`` (never a pass)."""
    try:
        return Status(value)
    except ValueError:
        return Status.FAIL


def exit_codes(statuses: Iterable[Status]) -> list[ExitCode]:
    """The exit codes the checks themselves call for: 1 for a failure, 5 for not proven."""
    codes: list[ExitCode] = []
    seen = set(statuses)
    if Status.FAIL in seen:
        codes.append(ExitCode.CHECKS_FAILED)
    if Status.NOT_PROVEN in seen:
        codes.append(ExitCode.INCONCLUSIVE)
    return codes


def verdict_of(statuses: Iterable[Status], exit_code: int | None, *, interrupted: bool) -> Verdict:
    """FAIL if a check failed or the run failed; INCONCLUSIVE if nothing failed but a check was
    not proven or the run did not finish (or did not record how it ended); else PASS."""
    seen = set(statuses)
    if Status.FAIL in seen or (exit_code is not None and exit_code in _FAILING_EXITS):
        return Verdict.FAIL
    if (
        Status.NOT_PROVEN in seen
        or interrupted
        or exit_code is None
        or exit_code == ExitCode.INTERRUPTED
        or exit_code == ExitCode.INCONCLUSIVE
    ):
        return Verdict.INCONCLUSIVE
    return Verdict.PASS


def names_with(checks: Mapping[str, Status], status: Status) -> list[str]:
    return [name for name, s in checks.items() if s is status]


def headline(checks: Mapping[str, Status], exit_code: int | None, *, interrupted: bool) -> str:
    """The verdict in one plain sentence (no markup): ``PASS with 1 waiver: ...``."""
    verdict = verdict_of(checks.values(), exit_code, interrupted=interrupted)
    failed = names_with(checks, Status.FAIL)
    unproven = names_with(checks, Status.NOT_PROVEN)
    waived = names_with(checks, Status.WAIVED)
    if verdict is Verdict.PASS:
        if waived:
            plural = "waiver" if len(waived) == 1 else "waivers"
            return (
                f"PASS with {len(waived)} {plural}: every other check passed or cannot apply "
                f"(waived: {', '.join(waived)})."
            )
        return "PASS: every check passed."
    if verdict is Verdict.FAIL:
        stopped = (
            f" (exit {exit_code}: {EXIT_MEANING[exit_code]})"
            if exit_code is not None
            and exit_code not in _SAID_BY_CHECKS
            and exit_code in EXIT_MEANING
            else ""
        )
        if failed:
            return f"FAIL{stopped}: {len(failed)} check(s) failed: {', '.join(failed)}."
        return f"FAIL{stopped}: the run did not complete its checks."
    if interrupted or exit_code == ExitCode.INTERRUPTED:
        return f"INCONCLUSIVE: {EXIT_MEANING[ExitCode.INTERRUPTED]}."
    if exit_code is None:
        return "INCONCLUSIVE: the run did not record how it ended."
    return (
        f"INCONCLUSIVE: nothing failed, but {len(unproven)} check(s) were not proven: "
        f"{', '.join(unproven)}."
    )


def banner(kind: str | None) -> str | None:
    """The line shown above the verdict for anything but a live run; None for live."""
    if kind == TargetKind.LIVE:
        return None
    what = {
        TargetKind.SIMULATOR.value: "the built-in XTS simulator",
        TargetKind.REPLAY.value: "a recorded cassette replayed on loopback",
    }.get(kind or "", "an unrecorded target (run.json does not say which)")
    return f"NOT LIVE EVIDENCE: this run talked to {what}; it proves the harness, not the broker."
