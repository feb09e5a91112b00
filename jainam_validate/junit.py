"""The JUnit XML a CI server reads for a run (``--junit``), rendered from a run folder alone, and
its documented mapping. One ``<testsuites>`` holds one ``<testsuite>``, both named
``jainam-validate`` whatever the run (the run id, target kind, command, verdict, headline, exit
code, tool version, label, cassette and, for anything but a live run, the ``evidence`` banner are
``<property>`` entries listed first). There is exactly one ``<testcase>`` per entry of
``run.json`` ``checks``, in that order, named after the check, with classname
``jainam-validate.<first word of the command>``: ``pass`` is an empty testcase; ``fail`` is
``<failure type="fail">``; ``not_proven`` is ``<failure type="not_proven">`` (it makes the run
INCONCLUSIVE, exit 5, so CI must not read it green); ``waived`` and ``not_applicable`` are
``<skipped>`` with messages ``waived: ...`` and ``not applicable: ...``; any other status is
``<failure type="unknown_status">``. A run that did not complete normally gets ONE extra testcase
``run`` with one ``<error>`` whose message joins every reason and whose type is the first that
applies of ``interrupted`` (``interrupted`` flag or exit 130), ``leak_guard`` (exit 7),
``stopped`` (``error`` set, or exit 2, 3 or 4), ``incomplete`` (no exit code recorded) and
``exit_code`` (exit 1 or 5 that no check explains, or an unknown non-zero exit): so the file
reads green (no failure, no error) only when the verdict is PASS. The counts ``tests``,
``failures``, ``errors`` (and ``skipped`` on ``<testsuite>``; the JUnit 10 schema forbids it on
``<testsuites>``) are counted from the elements emitted. ``time`` is in seconds (3 decimals), the
sum of ``total_ms`` of the timing records of the check's flow: ``flow:X`` and ``latency:X`` read
flow X, ``session:interactive`` ``login_interactive``, ``session:market`` ``login_market``,
``holdings_pnl`` ``quotes``, ``live_capture`` and ``run`` every record, any other check 0.000;
the suite's is ``ended_at - started_at`` when both parse, else the sum over every record, and its
``timestamp`` is the UTC start as ``YYYY-MM-DDTHH:MM:SS``. Every text taken from the folder goes
through :func:`jainam_validate.inert.visible`, then loses every character XML 1.0 forbids, then
is escaped by the serialiser, so any ``run.json`` yields well-formed XML that validates against
the Jenkins xUnit ``junit-10.xsd``.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from jainam_validate.errors import ExitCode
from jainam_validate.inert import visible
from jainam_validate.verdict import (
    EXIT_MEANING,
    Status,
    TargetKind,
    banner,
    headline,
    status_of,
    verdict_of,
)
from jainam_validate.xts import Flow

if TYPE_CHECKING:
    from jainam_validate.report import RunView
    from jainam_validate.timing import TimingRecord

SUITE_NAME = "jainam-validate"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

#: Everything outside XML 1.0's Char production (#x9 | #xA | #xD | [#x20-#xD7FF] |
#: [#xE000-#xFFFD] | [#x10000-#x10FFFF]): C0 controls, lone surrogates, U+FFFE and U+FFFF.
_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

#: Checks whose time is the sum over one named flow (``flow:X``/``latency:X`` read X itself).
_CHECK_FLOW = {
    "session:interactive": Flow.LOGIN_INTERACTIVE,
    "session:market": Flow.LOGIN_MARKET,
    "holdings_pnl": Flow.QUOTES,
}
#: Checks whose time is the sum over every record (the whole capture).
_WHOLE_RUN = frozenset({"live_capture", "run"})
#: Exit codes that stop a run before its checks complete (usage, credentials, reachability).
_STOPPING_EXITS = frozenset({ExitCode.USAGE, ExitCode.AUTH, ExitCode.UNREACHABLE})


def xml_text(value: object) -> str:
    """Any value as text safe for an XML attribute or element: control characters made
    visible by :func:`~jainam_validate.inert.visible`, then every character XML 1.0 forbids
    removed (escaping ``<``, ``&`` and quotes is left to the serialiser)."""
    return _ILLEGAL_XML.sub("", visible(str(value)))


def _ms_sum(records: Iterable[TimingRecord]) -> float:
    return sum(r.total_ms for r in records if math.isfinite(r.total_ms) and r.total_ms > 0)


def _seconds(ms: float) -> str:
    return f"{max(ms, 0.0) / 1000.0:.3f}"


def case_ms(name: str, records: list[TimingRecord]) -> float:
    """The milliseconds a check's testcase reports (see the module docstring's mapping)."""
    if name in _WHOLE_RUN:
        return _ms_sum(records)
    kind, sep, rest = name.partition(":")
    flow = rest if sep and kind in ("flow", "latency") else _CHECK_FLOW.get(name)
    if flow is None:
        return 0.0
    return _ms_sum(r for r in records if r.flow == flow)


def _parse(moment: str | None) -> datetime | None:
    if not moment:
        return None
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _suite_ms(started_at: str, ended_at: str | None, records: list[TimingRecord]) -> float:
    start, end = _parse(started_at), _parse(ended_at)
    if start is not None and end is not None:
        try:
            elapsed = (end - start).total_seconds() * 1000.0
        except OverflowError:
            elapsed = -1.0
        if elapsed >= 0:
            return elapsed
    return _ms_sum(records)


def _timestamp(started_at: str) -> str | None:
    """The start in the JUnit form (``YYYY-MM-DDTHH:MM:SS``, UTC, no zone); None if unparsable."""
    start = _parse(started_at)
    if start is None:
        return None
    try:
        t = start.astimezone(UTC)
    except OverflowError:
        return None
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"


def _run_error(view: RunView, statuses: list[Status]) -> tuple[str, str] | None:
    """(type, message) of the ``run`` testcase's error, or None when the run ended normally."""
    m = view.manifest
    code = m.exit_code
    reasons: list[tuple[str, str]] = []
    if m.interrupted or code == ExitCode.INTERRUPTED:
        reasons.append(("interrupted", EXIT_MEANING[ExitCode.INTERRUPTED]))
    if code == ExitCode.LEAK:
        reasons.append(("leak_guard", EXIT_MEANING[ExitCode.LEAK]))
    if m.error:
        reasons.append(("stopped", m.error))
    elif code in _STOPPING_EXITS:
        reasons.append(("stopped", EXIT_MEANING[code]))
    if code is None:
        reasons.append(("incomplete", "the run did not record how it ended"))
    elif (
        (code == ExitCode.CHECKS_FAILED and Status.FAIL not in statuses)
        or (code == ExitCode.INCONCLUSIVE and Status.NOT_PROVEN not in statuses)
        or (code != 0 and code not in EXIT_MEANING)
    ):
        reasons.append(("exit_code", f"exit code {code}, which no check explains"))
    if not reasons:
        return None
    return reasons[0][0], "; ".join(message for _, message in reasons)


def _outcome(status: str, detail: str) -> tuple[str, dict[str, str], str] | None:
    """(element, attributes, body) a check's status maps to; None for ``pass``."""
    if status == Status.PASS:
        return None
    if status == Status.FAIL:
        return "failure", {"type": "fail", "message": detail}, detail
    if status == Status.NOT_PROVEN:
        return "failure", {"type": "not_proven", "message": f"not proven: {detail}"}, detail
    if status == Status.WAIVED:
        return "skipped", {"message": f"waived: {detail}"}, ""
    if status == Status.NOT_APPLICABLE:
        return "skipped", {"message": f"not applicable: {detail}"}, ""
    message = f"unknown status {status!r}: {detail}"
    return "failure", {"type": "unknown_status", "message": message}, detail


def _properties(view: RunView, statuses: list[Status]) -> list[tuple[str, str]]:
    m = view.manifest
    kind = m.target.get("kind")
    kind_text = str(kind) if kind else None
    code = m.exit_code
    checks = {name: status_of(check.status) for name, check in m.checks.items()}
    props = [
        ("run_id", m.run_id),
        ("target", kind_text or "unknown"),
        ("command", m.command),
        ("verdict", verdict_of(statuses, code, interrupted=m.interrupted).value),
        ("headline", headline(checks, code, interrupted=m.interrupted)),
        ("exit_code", "none" if code is None else str(code)),
        ("tool_version", m.tool_version),
    ]
    if m.label:
        props.append(("label", m.label))
    cassette = m.target.get("cassette") or m.cassette
    if cassette:
        props.append(("cassette", str(cassette)))
    if kind_text != TargetKind.LIVE:
        props.append(("evidence", banner(kind_text) or ""))
    return props


def render_junit(view: RunView) -> str:
    """The JUnit XML of a run (the mapping is the module docstring), UTF-8 text with its
    XML declaration; the same folder always renders the same text."""
    m = view.manifest
    records = view.records
    statuses = [status_of(check.status) for check in m.checks.values()]
    words = m.command.split()
    classname = xml_text(f"{SUITE_NAME}.{words[0] if words else 'unknown'}")

    suite = ET.Element("testsuite", name=SUITE_NAME)
    props = ET.SubElement(suite, "properties")
    for name, value in _properties(view, statuses):
        ET.SubElement(props, "property", name=name, value=xml_text(value))

    counts = {"failure": 0, "error": 0, "skipped": 0}

    def add_case(name: str, ms: float, outcome: tuple[str, dict[str, str], str] | None) -> None:
        case = ET.SubElement(
            suite, "testcase", name=xml_text(name), classname=classname, time=_seconds(ms)
        )
        if outcome is None:
            return
        tag, attributes, body = outcome
        element = ET.SubElement(case, tag, {k: xml_text(v) for k, v in attributes.items()})
        if body:
            element.text = xml_text(body)
        counts[tag] += 1

    for name, check in m.checks.items():
        add_case(name, case_ms(name, records), _outcome(check.status, check.detail))
    stopped = _run_error(view, statuses)
    if stopped is not None:
        kind, message = stopped
        add_case("run", case_ms("run", records), ("error", {"type": kind, "message": message}, ""))

    tests = len(suite.findall("testcase"))
    elapsed = _seconds(_suite_ms(m.started_at, m.ended_at, records))
    suite.set("tests", str(tests))
    suite.set("failures", str(counts["failure"]))
    suite.set("errors", str(counts["error"]))
    suite.set("skipped", str(counts["skipped"]))
    suite.set("time", elapsed)
    stamp = _timestamp(m.started_at)
    if stamp is not None:
        suite.set("timestamp", stamp)

    root = ET.Element(
        "testsuites",
        name=SUITE_NAME,
        tests=str(tests),
        failures=str(counts["failure"]),
        errors=str(counts["error"]),
        time=elapsed,
    )
    root.append(suite)
    ET.indent(root)
    return f"{DECLARATION}\n{ET.tostring(root, encoding='unicode')}\n"
