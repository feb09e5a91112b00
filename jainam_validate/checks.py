"""The release checks of a pass, decided from what the pass recorded: one pure function each.

A check is ``pass`` only when the run exercised it and it held: a session that answered, a book
with rows in a usable sample, a p95 under its threshold measured on real answers, holdings
priced from live quotes. A book that only ever answered "Data Not Available" proved nothing, so
its check (and the latency and P&L checks it prevents) is ``not_proven``, or ``waived`` when the
user named it with ``--allow-empty``; a check the run never reached is ``not_proven``; live
capture cannot apply to the simulator or a replay (``not_applicable``). Every command gets the
same set of checks every time, whatever happened, so CI sees one test case per check. Details
are our own words plus, at most, a redacted broker message: renderers must still treat them as
untrusted text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jainam_validate.evidence import CheckResult
from jainam_validate.stats import FlowSummary
from jainam_validate.timing import Outcome, TimingRecord
from jainam_validate.verdict import Status, TargetKind
from jainam_validate.xts import BOOKS, Flow, flow_rank

#: Checks are listed in the order a pass exercises them.
CHECK_KINDS = ("session", "live_capture", "flow", "latency", "holdings_pnl", "iv2")


def check_rank(name: str) -> tuple[int, tuple[int, str]]:
    kind, _, rest = name.partition(":")
    order = CHECK_KINDS.index(kind) if kind in CHECK_KINDS else len(CHECK_KINDS)
    if kind == "session":
        rest = {"interactive": Flow.LOGIN_INTERACTIVE, "market": Flow.LOGIN_MARKET}.get(rest, rest)
    return (order, flow_rank(rest))


def allowed_empty(choices: Sequence[str]) -> frozenset[str]:
    """The books ``--allow-empty`` names (``all`` is every book)."""
    books = {book.value for book in BOOKS}
    return frozenset(books if "all" in choices else books & set(choices))


@dataclass(frozen=True)
class PassFacts:
    """What a finished pass knows, as far as the checks are concerned."""

    books: tuple[str, ...]
    market_session: bool
    pnl: bool
    target_kind: str
    allow_empty: frozenset[str] = frozenset()
    thresholds_ms: Mapping[str, float] = field(default_factory=dict)
    session_origin: str | None = None  # login, env or cache; None: no session was established
    session_error: str | None = None  # why there is no interactive session
    market_prefix: str | None = None  # the prefix of a market-data login that succeeded
    market_error: str | None = None
    stopped: str | None = None  # why the pass ended early (interrupted, or the exit's meaning)
    interrupted: bool = False
    priced: Mapping[str, Any] | None = None  # PnlResult.check() of the last priced holdings
    iterations: int = 1  # samples asked for per book (warm-up excluded)
    iv2: Mapping[str, CheckResult] | None = None  # the cross-check's, when it ran


def _not_reached(facts: PassFacts) -> CheckResult:
    return CheckResult(
        status=Status.NOT_PROVEN, detail=f"not reached: {facts.stopped or 'the run stopped'}"
    )


def _answered(records: Sequence[TimingRecord], flows: set[str]) -> tuple[bool, bool]:
    """(some answer accepted the token, some answer rejected it) among ``flows``, every
    attempt counted: a token rejected once and renewed by a login was still rejected."""
    accepted = any(
        r.status is not None and r.outcome is not Outcome.AUTH_ERROR
        for r in records
        if r.flow in flows
    )
    rejected = any(r.outcome is Outcome.AUTH_ERROR for r in records if r.flow in flows)
    return accepted, rejected


def _logged_in(records: Sequence[TimingRecord], flow: str) -> bool:
    return any(r.flow == flow and r.outcome is Outcome.OK for r in records)


def session_checks(facts: PassFacts, records: Sequence[TimingRecord]) -> dict[str, CheckResult]:
    checks: dict[str, CheckResult] = {}
    origin = facts.session_origin
    if origin is None:
        checks["session:interactive"] = (
            CheckResult(status=Status.FAIL, detail=facts.session_error)
            if facts.session_error
            else _not_reached(facts)
        )
    elif origin == "login":
        checks["session:interactive"] = CheckResult(status=Status.PASS, detail="logged in")
    else:
        accepted, rejected = _answered(records, set(facts.books))
        if rejected and accepted and _logged_in(records, Flow.LOGIN_INTERACTIVE):
            checks["session:interactive"] = CheckResult(
                status=Status.PASS,
                detail=f"session token reused from {origin} was rejected ('Invalid Token'); "
                "a fresh login renewed the session",
            )
        elif rejected:
            checks["session:interactive"] = CheckResult(
                status=Status.FAIL,
                detail=f"session token reused from {origin} was rejected by the broker",
            )
        elif accepted:
            checks["session:interactive"] = CheckResult(
                status=Status.PASS,
                detail=f"session token reused from {origin}; the broker accepted it",
            )
        else:
            checks["session:interactive"] = CheckResult(
                status=Status.NOT_PROVEN,
                detail=f"session token reused from {origin}, but no call answered with it",
            )
    if not facts.market_session:
        return checks
    if facts.market_error:
        checks["session:market"] = CheckResult(status=Status.FAIL, detail=facts.market_error)
    elif origin is None:
        checks["session:market"] = _not_reached(facts)
    elif _logged_in(records, Flow.LOGIN_MARKET):
        # a market-data login in this run answered with a token
        checks["session:market"] = CheckResult(
            status=Status.PASS, detail=f"logged in under {facts.market_prefix or '-'}"
        )
    else:
        accepted, rejected = _answered(records, {Flow.QUOTES})
        if rejected:
            detail, status = "market-data token was rejected by the broker", Status.FAIL
        elif accepted:
            detail = "market-data token reused; the broker answered quotes with it"
            status = Status.PASS
        else:
            detail = "market-data token reused, but no quote answered with it"
            status = Status.WAIVED if "holdings" in facts.allow_empty else Status.NOT_PROVEN
        checks["session:market"] = CheckResult(status=status, detail=detail)
    return checks


def capture_check(facts: PassFacts, records: Sequence[TimingRecord]) -> CheckResult:
    """Release check "live run captured with timestamps"."""
    if facts.target_kind != TargetKind.LIVE:
        return CheckResult(
            status=Status.NOT_APPLICABLE,
            detail=f"target is {facts.target_kind or 'not recorded'}: no live broker was called",
        )
    if not records:
        return CheckResult(status=Status.FAIL, detail="no HTTP attempt was recorded")
    answered = [r for r in records if r.status is not None]
    if not answered:
        return CheckResult(
            status=Status.FAIL, detail=f"{len(records)} attempts, none answered by the broker"
        )
    first = records[0].requested_at
    last = max((r.responded_at or r.requested_at) for r in records)
    detail = f"{len(records)} HTTP attempts from {first} to {last} in timings.jsonl"
    if facts.interrupted:
        return CheckResult(status=Status.NOT_PROVEN, detail=f"partial: {detail}")
    return CheckResult(status=Status.PASS, detail=detail)


def _empty_only(summary: FlowSummary) -> bool:
    """Every usable sample answered an empty book (rows unknown in old logs: by outcome)."""
    if summary.ok == 0:
        return False
    if summary.max_rows is not None:
        return summary.max_rows == 0
    return not summary.outcomes.get(Outcome.OK.value)


def book_check(flow: str, summary: FlowSummary | None, facts: PassFacts) -> CheckResult:
    if summary is None:
        return _not_reached(facts)
    if summary.failed:
        outcomes = ", ".join(f"{k}={v}" for k, v in summary.outcomes.items())
        return CheckResult(
            status=Status.FAIL,
            detail=f"{summary.failed}/{summary.samples} samples failed ({outcomes})",
        )
    if summary.warmup_failed:
        return CheckResult(
            status=Status.FAIL,
            detail=f"{summary.warmup_failed} warm-up sample(s) failed (see Deviations)",
        )
    if facts.stopped and summary.samples < facts.iterations:
        return CheckResult(
            status=Status.NOT_PROVEN,
            detail=f"partial: {summary.samples} of {facts.iterations} samples before "
            f"{facts.stopped}",
        )
    if _empty_only(summary):
        said = f"every sample ({summary.samples}) answered an empty book, 0 rows"
        if flow in facts.allow_empty:
            return CheckResult(
                status=Status.WAIVED, detail=f"{said}; waived with --allow-empty {flow}"
            )
        return CheckResult(
            status=Status.NOT_PROVEN,
            detail=(
                f"{said}: nothing was validated. If this account should hold data, check "
                f"JAINAM_ACCOUNT_TYPE and JAINAM_CLIENT_ID; if it is truly empty, waive it with "
                f"--allow-empty {flow}"
            ),
        )
    rows = f"; {summary.rows} rows in the last usable sample" if summary.rows is not None else ""
    return CheckResult(
        status=Status.PASS, detail=f"{summary.ok}/{summary.samples} samples usable{rows}"
    )


def latency_check(
    flow: str, limit: float, summary: FlowSummary | None, book: CheckResult | None,
    facts: PassFacts,
) -> CheckResult:  # fmt: skip
    """The p95 of usable samples is under the threshold (strictly: the target is "< 5 s")."""
    if summary is None:
        if facts.stopped:
            return _not_reached(facts)
        # a gated flow this run never called (quotes with nothing to price, a reused login)
        waived = flow == "quotes" and "holdings" in facts.allow_empty
        return CheckResult(
            status=Status.WAIVED if waived else Status.NOT_PROVEN,
            detail=f"no {flow} sample in this run to compare with {limit:g} ms",
        )
    if summary.p95_ms is None:
        if book is not None and book.status in (Status.NOT_PROVEN, Status.WAIVED):
            # (the application's empty position book is an HTTP 500 by design: IV2 says so)
            return CheckResult(
                status=book.status, detail=f"no usable sample; {book.status}: {book.detail}"
            )
        return CheckResult(
            status=Status.FAIL, detail=f"no usable sample to compare with {limit:g} ms"
        )
    measured = f"p95 {summary.p95_ms:.1f} ms vs threshold {limit:g} ms"
    if summary.p95_ms >= limit:
        return CheckResult(status=Status.FAIL, detail=measured)
    if book is not None and book.status in (Status.NOT_PROVEN, Status.WAIVED):
        # An empty answer is fast by nature: it says nothing about a real book's latency.
        return CheckResult(status=book.status, detail=f"{measured}, measured on empty answers only")
    return CheckResult(status=Status.PASS, detail=measured)


def pnl_check(
    facts: PassFacts,
    holdings: FlowSummary | None,
    holdings_check: CheckResult | None,
    quotes: FlowSummary | None = None,
) -> CheckResult:
    """Release check AC3: non-zero P&L from live quotes, in every sample that priced."""
    priced = facts.priced
    if quotes is not None and (quotes.failed or quotes.warmup_failed):
        # an earlier sample's quotes failed: the last sample's success does not undo it
        outcomes = ", ".join(f"{k}={v}" for k, v in quotes.outcomes.items())
        return CheckResult.model_validate(
            {
                "status": Status.FAIL,
                "detail": f"quotes failed in some samples ({outcomes}): P&L was not verified "
                "in each",
                "total_pnl": None,  # a partial or earlier total would mislead
                "problems": list((priced or {}).get("problems") or []),
            }
        )
    if priced is not None:
        status, detail = str(priced["status"]), str(priced["detail"])
        extra = {k: v for k, v in priced.items() if k not in ("status", "detail")}
        if status == "not_applicable":  # nothing to price: the check was not exercised
            waived = "holdings" in facts.allow_empty
            status = Status.WAIVED if waived else Status.NOT_PROVEN
            detail = f"{detail}: P&L from live quotes was not exercised" + (
                "; waived with --allow-empty holdings" if waived else ""
            )
        return CheckResult(status=status, detail=detail, **extra)
    if facts.market_error:
        return CheckResult(status=Status.FAIL, detail=f"P&L not verified: {facts.market_error}")
    if holdings is None:
        return _not_reached(facts)
    if holdings_check is not None and holdings_check.status == Status.FAIL:
        return CheckResult(
            status=Status.FAIL, detail="holdings could not be fetched, so P&L was not verified"
        )
    if facts.stopped:
        return _not_reached(facts)
    return CheckResult(status=Status.FAIL, detail="P&L not verified: no market-data session")


def release_checks(
    facts: PassFacts, summaries: Mapping[str, FlowSummary], records: Sequence[TimingRecord]
) -> dict[str, CheckResult]:
    """Every release check of a command, always the same set, in pass order."""
    checks = session_checks(facts, records)
    checks["live_capture"] = capture_check(facts, records)
    for flow in facts.books:
        checks[f"flow:{flow}"] = book_check(flow, summaries.get(flow), facts)
    iv2 = facts.iv2 or {}
    for flow, limit in sorted(facts.thresholds_ms.items(), key=lambda kv: flow_rank(kv[0])):
        # an application book's latency says as much as its IV2 check proved
        book = checks.get(f"flow:{flow}") or iv2.get(f"iv2:{flow.removeprefix('app_')}")
        if flow.startswith("app_") and not iv2:
            continue  # no application was asked in this pass: nothing to gate
        checks[f"latency:{flow}"] = latency_check(flow, limit, summaries.get(flow), book, facts)
    if facts.pnl:
        checks["holdings_pnl"] = pnl_check(
            facts, summaries.get("holdings"), checks.get("flow:holdings"), summaries.get("quotes")
        )
    checks.update(iv2)
    return checks
