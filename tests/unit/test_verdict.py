"""Statuses, verdict and exit code (verdict.py) and the release checks that feed them
(checks.py): a PASS only for what was exercised and held."""

from __future__ import annotations

from typing import Any

import pytest

from jainam_validate.checks import (
    PassFacts,
    allowed_empty,
    book_check,
    capture_check,
    latency_check,
    pnl_check,
    release_checks,
    session_checks,
)
from jainam_validate.errors import ExitCode, worst_exit
from jainam_validate.stats import summarise
from jainam_validate.timing import Outcome, Phases, TimingRecord
from jainam_validate.verdict import (
    Status,
    Verdict,
    banner,
    exit_codes,
    headline,
    status_of,
    verdict_of,
)

P, F, N, W, A = (Status.PASS, Status.FAIL, Status.NOT_PROVEN, Status.WAIVED,
                 Status.NOT_APPLICABLE)  # fmt: skip


@pytest.mark.parametrize(
    ("statuses", "exit_code", "interrupted", "expected"),
    [
        ([P, P], 0, False, Verdict.PASS),
        ([P, W, A], 0, False, Verdict.PASS),
        ([], 0, False, Verdict.PASS),
        ([P, N], 5, False, Verdict.INCONCLUSIVE),
        ([P, N], 0, False, Verdict.INCONCLUSIVE),  # statuses decide, whatever the code says
        ([P, F, N], 1, False, Verdict.FAIL),
        ([P], 1, False, Verdict.FAIL),  # a failing exit code with no failed check
        ([P], 3, False, Verdict.FAIL),
        ([P], 4, False, Verdict.FAIL),
        ([P], 2, False, Verdict.FAIL),
        ([P], 7, False, Verdict.FAIL),
        ([P], 130, True, Verdict.INCONCLUSIVE),
        ([P], 130, False, Verdict.INCONCLUSIVE),
        ([P], None, False, Verdict.INCONCLUSIVE),
        ([F], 130, True, Verdict.FAIL),
    ],
)
def test_verdict_of(
    statuses: list[Status], exit_code: int | None, interrupted: bool, expected: Verdict
) -> None:
    assert verdict_of(statuses, exit_code, interrupted=interrupted) is expected


def test_unknown_status_counts_as_failed_never_as_passed() -> None:
    assert status_of("PASS") is Status.FAIL and status_of("") is Status.FAIL
    assert status_of("not_proven") is Status.NOT_PROVEN


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([ExitCode.INCONCLUSIVE], ExitCode.INCONCLUSIVE),
        ([ExitCode.INCONCLUSIVE, ExitCode.CHECKS_FAILED], ExitCode.CHECKS_FAILED),
        ([ExitCode.INCONCLUSIVE, ExitCode.UNREACHABLE], ExitCode.UNREACHABLE),
        ([ExitCode.INCONCLUSIVE, ExitCode.INTERRUPTED], ExitCode.INTERRUPTED),
        ([ExitCode.LEAK, ExitCode.USAGE], ExitCode.LEAK),
        ([ExitCode.USAGE, ExitCode.AUTH], ExitCode.USAGE),
        ([], ExitCode.OK),
    ],
)
def test_exit_precedence_130_7_2_3_4_1_5(codes: list[ExitCode], expected: ExitCode) -> None:
    assert worst_exit(codes) is expected


def test_checks_call_for_1_and_5() -> None:
    assert exit_codes([P, W, A]) == []
    assert exit_codes([P, N]) == [ExitCode.INCONCLUSIVE]
    assert exit_codes([F, N]) == [ExitCode.CHECKS_FAILED, ExitCode.INCONCLUSIVE]


def test_headlines_name_what_decided_them() -> None:
    assert headline({"a": P}, 0, interrupted=False) == "PASS: every check passed."
    waived = headline({"a": P, "flow:holdings": W}, 0, interrupted=False)
    assert waived.startswith("PASS with 1 waiver:") and "flow:holdings" in waived
    unproven = headline({"flow:x": N, "flow:y": N}, 5, interrupted=False)
    assert unproven.startswith("INCONCLUSIVE: nothing failed, but 2 check(s) were not proven")
    failed = headline({"session:interactive": F}, 3, interrupted=False)
    assert (
        failed.startswith("FAIL (exit 3: the broker rejected") and "session:interactive" in failed
    )
    assert headline({}, 130, interrupted=True).startswith("INCONCLUSIVE: the run was interrupted")


def test_banner_for_everything_but_live() -> None:
    assert banner("live") is None
    for kind in ("simulator", "replay", None, "something else"):
        text = banner(kind)
        assert text is not None and "not the broker" in text


def test_allow_empty_choices() -> None:
    assert allowed_empty(["all"]) == {"positions", "holdings", "tradebook"}
    assert allowed_empty(["holdings", "holdings"]) == {"holdings"}
    assert allowed_empty([]) == frozenset()


# -- checks ---------------------------------------------------------------------------------
def rec(flow: str, sample: int, outcome: Outcome, *, rows: int | None = None,
        status: int | None = 200, attempt: int = 1, ms: float = 10.0) -> TimingRecord:  # fmt: skip
    return TimingRecord(
        run_id="r", flow=flow, sample=sample, attempt=attempt, method="GET", route="/x",
        query_keys=[], status=status, outcome=outcome, requested_at="2026-11-30T10:00:00.000Z",
        responded_at="2026-11-30T10:00:00.010Z", api_ms=ms, transform_ms=0.1, total_ms=ms,
        sample_ms=ms, phases=Phases(), conn_reused=True, bytes=1, rows=rows,
    )  # fmt: skip


def facts(**changes: Any) -> PassFacts:
    base: dict[str, Any] = {
        "books": ("positions", "holdings", "tradebook"),
        "market_session": True,
        "pnl": True,
        "target_kind": "live",
        "thresholds_ms": {"positions": 5000.0, "holdings": 5000.0, "tradebook": 5000.0},
        "session_origin": "login",
        "market_prefix": "/apibinarymarketdata",
    }
    return PassFacts(**{**base, **changes})


def test_a_book_empty_in_every_sample_is_not_proven_and_waivable() -> None:
    records = [rec("holdings", n, Outcome.EMPTY, rows=0, status=400) for n in (1, 2)]
    summary = summarise(records)["holdings"]
    check = book_check("holdings", summary, facts())
    assert check.status == N and "--allow-empty holdings" in check.detail
    assert "JAINAM_CLIENT_ID" in check.detail
    waived = book_check("holdings", summary, facts(allow_empty=frozenset({"holdings"})))
    assert waived.status == W


def test_one_sample_with_rows_proves_the_book() -> None:
    records = [rec("holdings", 1, Outcome.EMPTY, rows=0), rec("holdings", 2, Outcome.OK, rows=3)]
    check = book_check("holdings", summarise(records)["holdings"], facts())
    assert check.status == P and "3 rows in the last usable sample" in check.detail


def test_old_logs_without_row_counts_decide_by_outcome() -> None:
    summary = summarise([rec("positions", 1, Outcome.EMPTY)])["positions"]
    assert book_check("positions", summary, facts()).status == N


def test_a_failed_sample_fails_and_a_book_never_reached_is_not_proven() -> None:
    records = [rec("tradebook", 1, Outcome.OK, rows=2), rec("tradebook", 2, Outcome.BAD_RESPONSE)]
    assert book_check("tradebook", summarise(records)["tradebook"], facts()).status == F
    stopped = book_check("tradebook", None, facts(stopped="the run was interrupted"))
    assert stopped.status == N and "not reached: the run was interrupted" in stopped.detail


@pytest.mark.parametrize(
    ("ms", "expected"), [(4999.9, Status.PASS), (5000.0, Status.FAIL), (7000.0, Status.FAIL)]
)
def test_latency_target_is_strictly_under_the_threshold(ms: float, expected: Status) -> None:
    summary = summarise([rec("positions", 1, Outcome.OK, rows=1, ms=ms)])["positions"]
    assert latency_check("positions", 5000.0, summary, None, facts()).status == expected


def test_latency_measured_on_empty_answers_proves_nothing_unless_it_is_already_too_slow() -> None:
    fast = summarise([rec("holdings", 1, Outcome.EMPTY, rows=0, ms=3)])["holdings"]
    book = book_check("holdings", fast, facts())
    check = latency_check("holdings", 5000.0, fast, book, facts())
    assert check.status == N and "empty answers only" in check.detail
    slow = summarise([rec("holdings", 1, Outcome.EMPTY, rows=0, ms=6000)])["holdings"]
    assert latency_check("holdings", 5000.0, slow, book, facts()).status == F


def test_pnl_with_nothing_to_price_is_not_proven_or_waived_with_holdings() -> None:
    priced = {"status": "not_applicable", "detail": "no holdings with quantity > 0",
              "total_pnl": "0.00"}  # fmt: skip
    summary = summarise([rec("holdings", 1, Outcome.EMPTY, rows=0)])["holdings"]
    check = pnl_check(facts(priced=priced), summary, None)
    assert check.status == N and (check.model_extra or {})["total_pnl"] == "0.00"
    waived = pnl_check(facts(priced=priced, allow_empty=frozenset({"holdings"})), summary, None)
    assert waived.status == W
    # waiving another book does not waive P&L
    other = pnl_check(facts(priced=priced, allow_empty=frozenset({"positions"})), summary, None)
    assert other.status == N


def test_pnl_fails_when_it_could_not_be_verified() -> None:
    summary = summarise([rec("holdings", 1, Outcome.HTTP_ERROR, status=500)])["holdings"]
    failed_book = book_check("holdings", summary, facts())
    assert pnl_check(facts(), summary, failed_book).status == F
    assert pnl_check(facts(market_error="market-data login rejected"), None, None).status == F
    assert pnl_check(facts(stopped="the run was interrupted"), None, None).status == N


def test_sessions_reused_must_be_exercised() -> None:
    answered = [rec("positions", 1, Outcome.OK, rows=1)]
    rejected = [rec("positions", 1, Outcome.AUTH_ERROR, status=400)]
    reused = facts(session_origin="env", market_prefix=None)
    assert session_checks(reused, answered)["session:interactive"].status == P
    assert session_checks(reused, rejected)["session:interactive"].status == F
    assert session_checks(reused, [])["session:interactive"].status == N
    assert session_checks(reused, answered)["session:market"].status == N
    quoted = answered + [rec("quotes", 1, Outcome.OK, rows=5)]
    assert session_checks(reused, quoted)["session:market"].status == P


def test_a_failed_login_fails_its_session_and_leaves_the_rest_not_proven() -> None:
    stopped = facts(
        session_origin=None,
        market_prefix=None,
        session_error="interactive login rejected",
        stopped="the broker rejected the credentials or the session token",
    )
    checks = release_checks(stopped, {}, [rec("login_interactive", 1, Outcome.AUTH_ERROR)])
    assert checks["session:interactive"].status == F
    assert {n for n, c in checks.items() if c.status == N} == set(checks) - {
        "session:interactive",
        "live_capture",
    }


def test_every_command_gets_the_same_set_of_checks_whatever_happened() -> None:
    complete = release_checks(
        facts(),
        summarise([rec(b, 1, Outcome.OK, rows=1) for b in ("positions", "holdings", "tradebook")]),
        [rec("positions", 1, Outcome.OK, rows=1)],
    )
    stopped = release_checks(facts(session_origin=None, stopped="interrupted"), {}, [])
    assert list(complete) == list(stopped) == [
        "session:interactive", "session:market", "live_capture",
        "flow:positions", "flow:holdings", "flow:tradebook",
        "latency:positions", "latency:holdings", "latency:tradebook", "holdings_pnl",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "records", "interrupted", "expected"),
    [
        ("simulator", [rec("positions", 1, Outcome.OK)], False, Status.NOT_APPLICABLE),
        ("replay", [rec("positions", 1, Outcome.OK)], False, Status.NOT_APPLICABLE),
        ("live", [], False, Status.FAIL),
        ("live", [rec("login_interactive", 1, Outcome.NETWORK_ERROR, status=None)], False,
         Status.FAIL),
        ("live", [rec("positions", 1, Outcome.OK)], True, Status.NOT_PROVEN),
        ("live", [rec("positions", 1, Outcome.OK)], False, Status.PASS),
    ],
)  # fmt: skip
def test_live_capture(
    kind: str, records: list[TimingRecord], interrupted: bool, expected: Status
) -> None:
    check = capture_check(facts(target_kind=kind, interrupted=interrupted), records)
    assert check.status == expected


def test_a_book_cut_short_by_a_stop_is_not_proven() -> None:
    records = [rec("positions", 1, Outcome.OK, rows=3)]
    summary = summarise(records)["positions"]
    stopped = facts(stopped="the run was interrupted", interrupted=True, iterations=3)
    check = book_check("positions", summary, stopped)
    assert check.status == N and "partial: 1 of 3 samples" in check.detail
    assert book_check("positions", summary, facts(iterations=1)).status == P


@pytest.mark.parametrize(
    ("checks", "exit_code", "interrupted", "expected"),
    [
        ({"a": P, "b": W, "c": W}, 0, False,
         "PASS with 2 waivers: every other check passed or cannot apply (waived: b, c)."),
        ({"a": P, "b": W}, 0, False,
         "PASS with 1 waiver: every other check passed or cannot apply (waived: b)."),
        ({"a": P}, 0, True,
         "INCONCLUSIVE: the run was interrupted before it finished; the evidence is partial."),
        ({"a": F}, 0, False, "FAIL: 1 check(s) failed: a."),
        ({"a": F, "b": F}, 1, False, "FAIL: 2 check(s) failed: a, b."),
        ({"a": F}, 5, False, "FAIL: 1 check(s) failed: a."),
        ({"a": N}, 7, False,
         "FAIL (exit 7: the leak guard stopped an artifact from being written): "
         "the run did not complete its checks."),
        ({"a": P}, None, False, "INCONCLUSIVE: the run did not record how it ended."),
        ({"a": N, "b": P, "c": N}, 5, False,
         "INCONCLUSIVE: nothing failed, but 2 check(s) were not proven: a, c."),
    ],
)  # fmt: skip
def test_headline_words(
    checks: dict[str, Status], exit_code: int | None, interrupted: bool, expected: str
) -> None:
    assert headline(checks, exit_code, interrupted=interrupted) == expected


def test_banner_words() -> None:
    tail = "; it proves the harness, not the broker."
    start = "NOT LIVE EVIDENCE: this run talked to "
    assert banner("simulator") == f"{start}the built-in XTS simulator{tail}"
    assert banner("replay") == f"{start}a recorded cassette replayed on loopback{tail}"
    unrecorded = f"{start}an unrecorded target (run.json does not say which){tail}"
    assert banner(None) == banner("") == banner("mainframe") == unrecorded
