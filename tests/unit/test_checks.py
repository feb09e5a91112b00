"""Every release check of checks.py, one table per check function: each scenario pins the whole
``CheckResult`` (status, the exact detail a release owner reads as the reason and what to do,
and any extra field), so neither a decision nor its explanation can change unnoticed."""

from __future__ import annotations

from typing import Any

import pytest

from jainam_validate.checks import (
    CHECK_KINDS,
    PassFacts,
    book_check,
    capture_check,
    check_rank,
    latency_check,
    pnl_check,
    release_checks,
    session_checks,
)
from jainam_validate.evidence import CheckResult
from jainam_validate.stats import FlowSummary, summarise
from jainam_validate.timing import Outcome, Phases, TimingRecord
from jainam_validate.verdict import Status
from jainam_validate.xts import FLOW_ORDER

P, F, N, W, A = (Status.PASS, Status.FAIL, Status.NOT_PROVEN, Status.WAIVED,
                 Status.NOT_APPLICABLE)  # fmt: skip
T0, T0_DONE = "2026-11-30T10:00:00.000Z", "2026-11-30T10:00:00.010Z"
STOP = "the run was interrupted"
BOOKS_DETAIL = (
    "nothing was validated. If this account should hold data, check JAINAM_ACCOUNT_TYPE and "
    "JAINAM_CLIENT_ID; if it is truly empty, waive it with --allow-empty"
)


def rec(flow: str, sample: int, outcome: Outcome, *, rows: int | None = None,
        status: int | None = 200, attempt: int = 1, ms: float = 10.0, at: str = T0,
        done: str | None = T0_DONE) -> TimingRecord:  # fmt: skip
    return TimingRecord(
        run_id="r", flow=flow, sample=sample, attempt=attempt, method="GET", route="/x",
        query_keys=[], status=status, outcome=outcome, requested_at=at, responded_at=done,
        api_ms=ms, transform_ms=0.1, total_ms=ms, sample_ms=ms, phases=Phases(),
        conn_reused=True, bytes=1, rows=rows,
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


def summary(*records: TimingRecord, warmup: int = 0) -> FlowSummary:
    (only,) = summarise(records, warmup=warmup).values()
    return only


def result(status: Status, detail: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "detail": detail, **extra}


def dump(check: CheckResult | None) -> dict[str, Any] | None:
    return None if check is None else check.model_dump()


# -- check_rank: the order checks are listed in (report.md, run.json) -------------------------
#: flows this version knows; unknown names rank after them
KNOWN = len(FLOW_ORDER)


@pytest.mark.parametrize(
    ("name", "rank"),
    [
        ("session:interactive", (0, (0, "login_interactive"))),
        ("session:market", (0, (1, "login_market"))),
        ("session:other", (0, (KNOWN, "other"))),  # unknown: after the known ones, as named
        ("live_capture", (1, (KNOWN, ""))),
        ("flow:positions", (2, (2, "positions"))),
        ("flow:tradebook", (2, (4, "tradebook"))),
        ("latency:interactive", (3, (KNOWN, "interactive"))),  # only session names are aliases
        ("latency:quotes", (3, (5, "quotes"))),
        ("holdings_pnl", (4, (KNOWN, ""))),
        ("iv2:positions", (5, (2, "positions"))),
        ("other:positions", (6, (2, "positions"))),  # a kind this version does not know: last
    ],
)
def test_check_rank(name: str, rank: tuple[int, tuple[int, str]]) -> None:
    assert check_rank(name) == rank


def test_checks_sort_in_the_order_a_pass_exercises_them() -> None:
    order = [
        "session:interactive", "session:market", "live_capture", "flow:positions",
        "flow:holdings", "flow:tradebook", "latency:login_interactive", "latency:positions",
        "latency:holdings", "latency:tradebook", "latency:quotes", "holdings_pnl",
        "iv2:positions",
    ]  # fmt: skip
    backwards = order[::-1]
    assert sorted(backwards, key=check_rank) == order
    assert CHECK_KINDS == ("session", "live_capture", "flow", "latency", "holdings_pnl", "iv2")


# -- session_checks ---------------------------------------------------------------------------
LOGIN_OK = rec("login_interactive", 1, Outcome.OK)
MARKET_OK = rec("login_market", 1, Outcome.OK)
BOOK_OK = rec("positions", 1, Outcome.OK, rows=2)
BOOK_REJECTED = rec("positions", 1, Outcome.AUTH_ERROR, status=400)
BOOK_RENEWED = rec("positions", 1, Outcome.OK, rows=2, attempt=2)
BOOK_UNANSWERED = rec("positions", 1, Outcome.NETWORK_ERROR, status=None, done=None)
QUOTES_OK = rec("quotes", 1, Outcome.OK, rows=3)
QUOTES_REJECTED = rec("quotes", 1, Outcome.AUTH_ERROR, status=400)
NO_QUOTE = "market-data token reused, but no quote answered with it"
REUSED = {"session_origin": "env", "market_prefix": None}


@pytest.mark.parametrize(
    ("changes", "records", "expected"),
    [
        pytest.param(
            {"session_origin": None, "session_error": "AuthError: Invalid credentials",
             "stopped": "the broker rejected the credentials or the session token"},
            [rec("login_interactive", 1, Outcome.AUTH_ERROR, status=400)],
            {"session:interactive": result(F, "AuthError: Invalid credentials"),
             "session:market": result(
                 N, "not reached: the broker rejected the credentials or the session token")},
            id="interactive-login-rejected",
        ),
        pytest.param(
            {"session_origin": None, "market_prefix": None},
            [],
            {"session:interactive": result(N, "not reached: the run stopped"),
             "session:market": result(N, "not reached: the run stopped")},
            id="no-session-and-no-reason-recorded",
        ),
        pytest.param(
            {"session_origin": None, "market_error": "AuthError: Invalid key", "stopped": STOP},
            [],
            {"session:interactive": result(N, f"not reached: {STOP}"),
             "session:market": result(F, "AuthError: Invalid key")},
            id="market-error-wins-over-not-reached",
        ),
        pytest.param(
            {}, [LOGIN_OK, MARKET_OK],
            {"session:interactive": result(P, "logged in"),
             "session:market": result(P, "logged in under /apibinarymarketdata")},
            id="both-logged-in",
        ),
        pytest.param(
            {"market_prefix": None}, [LOGIN_OK, MARKET_OK],
            {"session:interactive": result(P, "logged in"),
             "session:market": result(P, "logged in under -")},
            id="market-login-with-no-prefix-recorded",
        ),
        pytest.param(
            {"market_error": "AuthError: Invalid key"},
            [LOGIN_OK, rec("login_market", 1, Outcome.AUTH_ERROR, status=400)],
            {"session:interactive": result(P, "logged in"),
             "session:market": result(F, "AuthError: Invalid key")},
            id="market-login-rejected",
        ),
        pytest.param(
            {"market_session": False}, [LOGIN_OK],
            {"session:interactive": result(P, "logged in")},
            id="fetch-has-no-market-session",
        ),
        pytest.param(
            REUSED, [BOOK_OK, QUOTES_OK],
            {"session:interactive": result(
                P, "session token reused from env; the broker accepted it"),
             "session:market": result(
                 P, "market-data token reused; the broker answered quotes with it")},
            id="reused-and-accepted",
        ),
        pytest.param(
            {**REUSED, "session_origin": "cache"}, [BOOK_REJECTED, LOGIN_OK, BOOK_RENEWED],
            {"session:interactive": result(
                P, "session token reused from cache was rejected ('Invalid Token'); a fresh "
                "login renewed the session"),
             "session:market": result(N, NO_QUOTE)},
            id="reused-rejected-then-renewed-by-a-login",
        ),
        pytest.param(
            REUSED, [BOOK_REJECTED],
            {"session:interactive": result(
                F, "session token reused from env was rejected by the broker"),
             "session:market": result(N, NO_QUOTE)},
            id="reused-and-rejected",
        ),
        pytest.param(
            # a renewal login answered, but no call ever accepted a token: still rejected
            REUSED, [BOOK_REJECTED, LOGIN_OK],
            {"session:interactive": result(
                F, "session token reused from env was rejected by the broker"),
             "session:market": result(N, NO_QUOTE)},
            id="reused-rejected-and-the-renewal-never-answered-a-book",
        ),
        pytest.param(
            # a login in the run does not turn an accepted reuse into a renewal
            REUSED, [LOGIN_OK, BOOK_OK],
            {"session:interactive": result(
                P, "session token reused from env; the broker accepted it"),
             "session:market": result(N, NO_QUOTE)},
            id="reused-accepted-with-a-login-in-the-run",
        ),
        pytest.param(
            REUSED, [LOGIN_OK],
            {"session:interactive": result(
                N, "session token reused from env, but no call answered with it"),
             "session:market": result(N, NO_QUOTE)},
            id="reused-and-only-a-login-answered",
        ),
        pytest.param(
            REUSED, [],
            {"session:interactive": result(
                N, "session token reused from env, but no call answered with it"),
             "session:market": result(N, NO_QUOTE)},
            id="reused-and-nothing-called",
        ),
        pytest.param(
            # no HTTP answer at all is not an answer that accepted the token
            REUSED, [BOOK_UNANSWERED],
            {"session:interactive": result(
                N, "session token reused from env, but no call answered with it"),
             "session:market": result(N, NO_QUOTE)},
            id="reused-and-the-book-call-never-answered",
        ),
        pytest.param(
            # only the pass's books count: a flow it did not ask for proves nothing
            {**REUSED, "books": ("holdings",)}, [BOOK_OK],
            {"session:interactive": result(
                N, "session token reused from env, but no call answered with it"),
             "session:market": result(N, NO_QUOTE)},
            id="reused-and-answers-outside-the-books",
        ),
        pytest.param(
            REUSED, [BOOK_OK, QUOTES_REJECTED],
            {"session:interactive": result(
                P, "session token reused from env; the broker accepted it"),
             "session:market": result(F, "market-data token was rejected by the broker")},
            id="market-token-reused-and-rejected",
        ),
        pytest.param(
            {**REUSED, "allow_empty": frozenset({"holdings"})}, [BOOK_OK],
            {"session:interactive": result(
                P, "session token reused from env; the broker accepted it"),
             "session:market": result(W, NO_QUOTE)},
            id="no-quote-waived-with-empty-holdings",
        ),
        pytest.param(
            {**REUSED, "allow_empty": frozenset({"positions", "tradebook"})}, [BOOK_OK],
            {"session:interactive": result(
                P, "session token reused from env; the broker accepted it"),
             "session:market": result(N, NO_QUOTE)},
            id="no-quote-not-waived-by-other-books",
        ),
    ],
)  # fmt: skip
def test_session_checks(
    changes: dict[str, Any], records: list[TimingRecord], expected: dict[str, Any]
) -> None:
    checks = session_checks(facts(**changes), records)
    assert {name: dump(check) for name, check in checks.items()} == expected
    assert list(checks) == list(expected)


# -- capture_check ----------------------------------------------------------------------------
LATER = rec("positions", 1, Outcome.OK, at="2026-11-30T10:00:01.000Z",
            done="2026-11-30T10:00:01.250Z")  # fmt: skip
SPAN = "2 HTTP attempts from 2026-11-30T10:00:00.000Z to 2026-11-30T10:00:01.250Z in timings.jsonl"


@pytest.mark.parametrize(
    ("changes", "records", "expected"),
    [
        pytest.param({"target_kind": "simulator"}, [LOGIN_OK],
                     result(A, "target is simulator: no live broker was called"), id="simulator"),
        pytest.param({"target_kind": "replay"}, [LOGIN_OK],
                     result(A, "target is replay: no live broker was called"), id="replay"),
        pytest.param({"target_kind": ""}, [LOGIN_OK],
                     result(A, "target is not recorded: no live broker was called"),
                     id="kind-not-recorded"),
        pytest.param({}, [], result(F, "no HTTP attempt was recorded"), id="no-attempt"),
        pytest.param({}, [BOOK_UNANSWERED, BOOK_UNANSWERED],
                     result(F, "2 attempts, none answered by the broker"), id="none-answered"),
        pytest.param({}, [LOGIN_OK, LATER], result(P, SPAN), id="captured"),
        pytest.param({"interrupted": True}, [LOGIN_OK, LATER], result(N, f"partial: {SPAN}"),
                     id="interrupted"),
        pytest.param(
            # the last moment is the latest answer, or the request of an attempt never answered
            {}, [LATER, rec("positions", 2, Outcome.TIMEOUT, status=None, done=None,
                            at="2026-11-30T10:00:02.000Z"), LOGIN_OK],
            result(P, "3 HTTP attempts from 2026-11-30T10:00:01.000Z to "
                   "2026-11-30T10:00:02.000Z in timings.jsonl"),
            id="an-unanswered-attempt-ends-at-its-request",
        ),
    ],
)  # fmt: skip
def test_capture_check(
    changes: dict[str, Any], records: list[TimingRecord], expected: dict[str, Any]
) -> None:
    assert dump(capture_check(facts(**changes), records)) == expected


# -- book_check -------------------------------------------------------------------------------
def empty(n: int, flow: str = "holdings") -> list[TimingRecord]:
    return [rec(flow, i, Outcome.EMPTY, rows=0, status=400) for i in range(1, n + 1)]


@pytest.mark.parametrize(
    ("flow", "records", "warmup", "changes", "expected"),
    [
        pytest.param("positions", None, 0, {"stopped": STOP},
                     result(N, f"not reached: {STOP}"), id="never-reached"),
        pytest.param("positions", None, 0, {},
                     result(N, "not reached: the run stopped"), id="never-reached-no-reason"),
        pytest.param(
            "tradebook",
            [rec("tradebook", 1, Outcome.OK, rows=2), rec("tradebook", 2, Outcome.BAD_RESPONSE)],
            0, {}, result(F, "1/2 samples failed (bad_response=1, ok=1)"), id="a-sample-failed",
        ),
        pytest.param(
            "tradebook",
            [rec("tradebook", 1, Outcome.HTTP_ERROR, status=500), rec("tradebook", 2, Outcome.OK,
                                                                     rows=4)],
            1, {}, result(F, "1 warm-up sample(s) failed (see Deviations)"),
            id="a-warm-up-sample-failed",
        ),
        pytest.param(
            "positions", [rec("positions", 1, Outcome.OK, rows=3)], 0,
            {"stopped": STOP, "interrupted": True, "iterations": 3},
            result(N, f"partial: 1 of 3 samples before {STOP}"), id="cut-short-by-a-stop",
        ),
        pytest.param(
            "positions",
            [rec("positions", 1, Outcome.OK, rows=3), rec("positions", 2, Outcome.OK, rows=5)],
            0, {"stopped": STOP, "iterations": 2},
            result(P, "2/2 samples usable; 5 rows in the last usable sample"),
            id="every-sample-taken-before-the-stop",
        ),
        pytest.param(
            # without a stop the samples there are decide (the count is not second-guessed)
            "positions", [rec("positions", 1, Outcome.OK, rows=3)], 0, {"iterations": 3},
            result(P, "1/1 samples usable; 3 rows in the last usable sample"),
            id="fewer-samples-without-a-stop",
        ),
        pytest.param(
            "holdings", empty(2), 0, {},
            result(N, f"every sample (2) answered an empty book, 0 rows: {BOOKS_DETAIL} holdings"),
            id="empty-in-every-sample",
        ),
        pytest.param(
            "holdings", empty(2), 0, {"allow_empty": frozenset({"holdings"})},
            result(W, "every sample (2) answered an empty book, 0 rows; waived with "
                   "--allow-empty holdings"),
            id="empty-and-waived",
        ),
        pytest.param(
            "tradebook", empty(1, "tradebook"), 0, {"allow_empty": frozenset({"holdings"})},
            result(N, f"every sample (1) answered an empty book, 0 rows: {BOOKS_DETAIL} "
                   "tradebook"),
            id="empty-and-another-book-waived",
        ),
        pytest.param(
            "holdings",
            [rec("holdings", 1, Outcome.OK, rows=3), rec("holdings", 2, Outcome.EMPTY, rows=0)],
            0, {}, result(P, "2/2 samples usable; 0 rows in the last usable sample"),
            id="rows-in-one-sample-prove-the-book",
        ),
        pytest.param(
            # old logs hold no row counts: the outcome decides
            "positions", [rec("positions", 1, Outcome.OK)], 0, {},
            result(P, "1/1 samples usable"), id="old-log-ok",
        ),
        pytest.param(
            "positions", [rec("positions", 1, Outcome.EMPTY)], 0, {},
            result(N, f"every sample (1) answered an empty book, 0 rows: {BOOKS_DETAIL} "
                   "positions"),
            id="old-log-empty",
        ),
    ],
)  # fmt: skip
def test_book_check(
    flow: str,
    records: list[TimingRecord] | None,
    warmup: int,
    changes: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    flow_summary = None if records is None else summary(*records, warmup=warmup)
    assert dump(book_check(flow, flow_summary, facts(**changes))) == expected


# -- latency_check ----------------------------------------------------------------------------
def timed(flow: str, *ms: float, outcome: Outcome = Outcome.OK) -> FlowSummary:
    rows = 0 if outcome is Outcome.EMPTY else 1
    return summary(*(rec(flow, n, outcome, rows=rows, ms=v) for n, v in enumerate(ms, 1)))


EMPTY_BOOK = CheckResult(status=N, detail="every sample (1) answered an empty book, 0 rows")
WAIVED_BOOK = CheckResult(status=W, detail="waived")
FAILED_BOOK = CheckResult(status=F, detail="1/2 samples failed (http_error=1, ok=1)")
PASSED_BOOK = CheckResult(status=P, detail="1/1 samples usable")
HOLDINGS_WAIVED = {"allow_empty": frozenset({"holdings"})}


@pytest.mark.parametrize(
    ("flow", "limit", "flow_summary", "book", "changes", "expected"),
    [
        pytest.param("positions", 5000.0, None, None, {"stopped": STOP},
                     result(N, f"not reached: {STOP}"), id="never-reached"),
        pytest.param("quotes", 2000.0, None, None, HOLDINGS_WAIVED,
                     result(W, "no quotes sample in this run to compare with 2000 ms"),
                     id="no-quotes-with-holdings-waived"),
        pytest.param("quotes", 2000.0, None, None, {},
                     result(N, "no quotes sample in this run to compare with 2000 ms"),
                     id="no-quotes"),
        pytest.param("quotes", 2000.0, None, None, {"allow_empty": frozenset({"positions"})},
                     result(N, "no quotes sample in this run to compare with 2000 ms"),
                     id="no-quotes-with-another-book-waived"),
        pytest.param("login_interactive", 1500.5, None, None, HOLDINGS_WAIVED,
                     result(N, "no login_interactive sample in this run to compare with "
                            "1500.5 ms"),
                     id="only-quotes-are-waived-with-holdings"),
        pytest.param("positions", 5000.0, summary(rec("positions", 1, Outcome.HTTP_ERROR,
                                                      status=500)), FAILED_BOOK, {},
                     result(F, "no usable sample to compare with 5000 ms"),
                     id="no-usable-sample"),
        pytest.param("positions", 5000.0, timed("positions", 7000.0), PASSED_BOOK, {},
                     result(F, "p95 7000.0 ms vs threshold 5000 ms"), id="over"),
        pytest.param("positions", 5000.0, timed("positions", 5000.0), PASSED_BOOK, {},
                     result(F, "p95 5000.0 ms vs threshold 5000 ms"), id="equal-fails"),
        pytest.param("positions", 5000.0, timed("positions", 4999.94), PASSED_BOOK, {},
                     result(P, "p95 4999.9 ms vs threshold 5000 ms"), id="under"),
        pytest.param("quotes", 800.0, timed("quotes", *[100.0] * 19, 900.0), None, {},
                     result(P, "p95 100.0 ms vs threshold 800 ms"), id="p95-not-max"),
        pytest.param("quotes", 800.0, timed("quotes", *[100.0] * 18, 900.0, 950.0), None, {},
                     result(F, "p95 900.0 ms vs threshold 800 ms"), id="p95-nearest-rank"),
        pytest.param("holdings", 5000.0, timed("holdings", 3.0, outcome=Outcome.EMPTY),
                     EMPTY_BOOK, {},
                     result(N, "p95 3.0 ms vs threshold 5000 ms, measured on empty answers only"),
                     id="fast-on-empty-answers-proves-nothing"),
        pytest.param("holdings", 5000.0, timed("holdings", 3.0, outcome=Outcome.EMPTY),
                     WAIVED_BOOK, HOLDINGS_WAIVED,
                     result(W, "p95 3.0 ms vs threshold 5000 ms, measured on empty answers only"),
                     id="fast-on-empty-answers-waived-with-its-book"),
        pytest.param("holdings", 5000.0, timed("holdings", 6000.0, outcome=Outcome.EMPTY),
                     EMPTY_BOOK, {},
                     result(F, "p95 6000.0 ms vs threshold 5000 ms"),
                     id="too-slow-even-on-empty-answers"),
        pytest.param("tradebook", 5000.0, timed("tradebook", 20.0), FAILED_BOOK, {},
                     result(P, "p95 20.0 ms vs threshold 5000 ms"),
                     id="latency-of-usable-samples-while-the-book-fails"),
    ],
)  # fmt: skip
def test_latency_check(
    flow: str,
    limit: float,
    flow_summary: FlowSummary | None,
    book: CheckResult | None,
    changes: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    assert dump(latency_check(flow, limit, flow_summary, book, facts(**changes))) == expected


# -- pnl_check --------------------------------------------------------------------------------
PRICED: dict[str, Any] = {
    "status": "pass", "detail": "2 holdings priced from live quotes", "total_pnl": "176100.00",
    "invested": "3424200.00", "current": "3600300.00", "pnl_pct": "5.14", "holdings": 2,
    "problems": [],
}  # fmt: skip
PARTLY: dict[str, Any] = {
    **PRICED, "status": "fail", "detail": "1 of 2 holdings could not be priced",
    "total_pnl": None, "invested": None, "current": None, "pnl_pct": None,
    "problems": ["INFY: no quote"],
}  # fmt: skip
NOTHING: dict[str, Any] = {"status": "not_applicable", "detail": "no holdings with quantity > 0",
           "total_pnl": "0.00", "invested": None, "current": None, "pnl_pct": None,
           "holdings": 0, "problems": []}  # fmt: skip
NOTHING_EXTRA = {k: v for k, v in NOTHING.items() if k not in ("status", "detail")}
HOLDINGS = summary(rec("holdings", 1, Outcome.OK, rows=2))
QUOTES_FAILED = summary(rec("quotes", 1, Outcome.OK, rows=2),
                        rec("quotes", 2, Outcome.HTTP_ERROR, status=500))  # fmt: skip
QUOTES_WARMUP_FAILED = summary(rec("quotes", 1, Outcome.TIMEOUT, status=None, done=None),
                               rec("quotes", 2, Outcome.OK, rows=2), warmup=1)  # fmt: skip
QUOTES_FINE = summary(rec("quotes", 1, Outcome.OK, rows=2))
NOT_NOTHING = "no holdings with quantity > 0: P&L from live quotes was not exercised"


@pytest.mark.parametrize(
    ("changes", "holdings", "holdings_check", "quotes", "expected"),
    [
        pytest.param(
            {"priced": {**PRICED, "problems": ["INFY: no quote"]}}, HOLDINGS, PASSED_BOOK,
            QUOTES_FAILED,
            result(F, "quotes failed in some samples (http_error=1, ok=1): P&L was not "
                   "verified in each", total_pnl=None, problems=["INFY: no quote"]),
            id="quotes-failed-in-an-earlier-sample",
        ),
        pytest.param(
            {}, HOLDINGS, PASSED_BOOK, QUOTES_WARMUP_FAILED,
            result(F, "quotes failed in some samples (ok=1): P&L was not verified in each",
                   total_pnl=None, problems=[]),
            id="quotes-failed-in-the-warm-up",
        ),
        pytest.param(
            {"priced": {**PRICED, "problems": None}}, HOLDINGS, PASSED_BOOK, QUOTES_FAILED,
            result(F, "quotes failed in some samples (http_error=1, ok=1): P&L was not "
                   "verified in each", total_pnl=None, problems=[]),
            id="quotes-failed-and-no-problems-recorded",
        ),
        pytest.param(
            {"priced": PRICED}, HOLDINGS, PASSED_BOOK, QUOTES_FINE, PRICED, id="priced",
        ),
        pytest.param({"priced": PARTLY}, HOLDINGS, PASSED_BOOK, None, PARTLY, id="partly-priced"),
        pytest.param(
            {"priced": NOTHING}, summary(*empty(1)), EMPTY_BOOK, None,
            result(N, NOT_NOTHING, **NOTHING_EXTRA), id="nothing-to-price",
        ),
        pytest.param(
            {"priced": NOTHING, **HOLDINGS_WAIVED}, summary(*empty(1)), WAIVED_BOOK, None,
            result(W, f"{NOT_NOTHING}; waived with --allow-empty holdings", **NOTHING_EXTRA),
            id="nothing-to-price-waived",
        ),
        pytest.param(
            {"priced": NOTHING, "allow_empty": frozenset({"positions", "tradebook"})},
            summary(*empty(1)), EMPTY_BOOK, None, result(N, NOT_NOTHING, **NOTHING_EXTRA),
            id="nothing-to-price-other-books-waived",
        ),
        pytest.param(
            {"market_error": "AuthError: Invalid key"}, HOLDINGS, PASSED_BOOK, None,
            result(F, "P&L not verified: AuthError: Invalid key"), id="no-market-session",
        ),
        pytest.param({"stopped": STOP}, None, None, None, result(N, f"not reached: {STOP}"),
                     id="holdings-never-reached"),
        pytest.param({}, None, None, None, result(N, "not reached: the run stopped"),
                     id="holdings-never-reached-no-reason"),
        pytest.param(
            {"stopped": STOP},
            summary(rec("holdings", 1, Outcome.HTTP_ERROR, status=500)), FAILED_BOOK, None,
            result(F, "holdings could not be fetched, so P&L was not verified"),
            id="holdings-failed",
        ),
        pytest.param({"stopped": STOP}, HOLDINGS, PASSED_BOOK, None,
                     result(N, f"not reached: {STOP}"), id="stopped-before-pricing"),
        pytest.param({}, HOLDINGS, PASSED_BOOK, None,
                     result(F, "P&L not verified: no market-data session"),
                     id="holdings-read-but-never-priced"),
        pytest.param({}, HOLDINGS, None, None,
                     result(F, "P&L not verified: no market-data session"),
                     id="holdings-read-no-book-check"),
    ],
)  # fmt: skip
def test_pnl_check(
    changes: dict[str, Any],
    holdings: FlowSummary | None,
    holdings_check: CheckResult | None,
    quotes: FlowSummary | None,
    expected: dict[str, Any],
) -> None:
    assert dump(pnl_check(facts(**changes), holdings, holdings_check, quotes)) == expected


# -- release_checks: the checks wired together ------------------------------------------------
def brief(checks: dict[str, CheckResult]) -> dict[str, tuple[str, str]]:
    return {name: (check.status, check.detail) for name, check in checks.items()}


def test_release_checks_of_a_run_with_an_empty_holdings_book_and_extra_thresholds() -> None:
    records = [
        LOGIN_OK, MARKET_OK, rec("positions", 1, Outcome.OK, rows=2, ms=40.0), *empty(1),
        rec("tradebook", 1, Outcome.OK, rows=7, ms=60.0),
    ]  # fmt: skip
    thresholds = {"quotes": 800.0, "tradebook": 5000.0, "positions": 30.0, "holdings": 5000.0,
                  "login_interactive": 9000.0}  # fmt: skip
    checks = release_checks(
        facts(thresholds_ms=thresholds, priced=NOTHING), summarise(records), records
    )
    expected = {
        "session:interactive": (P, "logged in"),
        "session:market": (P, "logged in under /apibinarymarketdata"),
        "live_capture": (P, f"5 HTTP attempts from {T0} to {T0_DONE} in timings.jsonl"),
        "flow:positions": (P, "1/1 samples usable; 2 rows in the last usable sample"),
        "flow:holdings": (
            N, f"every sample (1) answered an empty book, 0 rows: {BOOKS_DETAIL} holdings"),
        "flow:tradebook": (P, "1/1 samples usable; 7 rows in the last usable sample"),
        "latency:login_interactive": (P, "p95 10.0 ms vs threshold 9000 ms"),
        "latency:positions": (F, "p95 40.0 ms vs threshold 30 ms"),
        "latency:holdings": (
            N, "p95 10.0 ms vs threshold 5000 ms, measured on empty answers only"),
        "latency:tradebook": (P, "p95 60.0 ms vs threshold 5000 ms"),
        "latency:quotes": (N, "no quotes sample in this run to compare with 800 ms"),
        "holdings_pnl": (N, NOT_NOTHING),
    }  # fmt: skip
    # latency checks follow the pass order of their flows, whatever order the thresholds came in
    assert list(brief(checks).items()) == list(expected.items())


def test_release_checks_price_nothing_when_holdings_failed() -> None:
    records = [LOGIN_OK, MARKET_OK, rec("holdings", 1, Outcome.HTTP_ERROR, status=500)]
    checks = release_checks(facts(books=("holdings",)), summarise(records), records)
    assert brief(checks)["flow:holdings"] == (F, "1/1 samples failed (http_error=1)")
    assert dump(checks["holdings_pnl"]) == result(
        F, "holdings could not be fetched, so P&L was not verified"
    )


def test_release_checks_fail_pnl_when_an_earlier_sample_s_quotes_failed() -> None:
    records = [
        LOGIN_OK, MARKET_OK, rec("holdings", 1, Outcome.OK, rows=2),
        rec("quotes", 1, Outcome.HTTP_ERROR, status=500), rec("holdings", 2, Outcome.OK, rows=2),
        rec("quotes", 2, Outcome.OK, rows=2),
    ]  # fmt: skip
    checks = release_checks(
        facts(books=("holdings",), thresholds_ms={}, priced=PRICED), summarise(records), records
    )
    assert dump(checks["holdings_pnl"]) == result(
        F, "quotes failed in some samples (http_error=1, ok=1): P&L was not verified in each",
        total_pnl=None, problems=[],
    )  # fmt: skip


def test_release_checks_without_pnl_or_a_market_session() -> None:
    records = [LOGIN_OK, rec("positions", 1, Outcome.OK, rows=1)]
    checks = release_checks(
        facts(books=("positions",), market_session=False, pnl=False, thresholds_ms={}),
        summarise(records),
        records,
    )
    assert list(checks) == ["session:interactive", "live_capture", "flow:positions"]


def test_a_failed_warmup_sample_is_counted_for_the_check() -> None:
    records = [rec("positions", 1, Outcome.HTTP_ERROR), rec("positions", 2, Outcome.OK, rows=3)]
    summary = summarise(records, warmup=1)["positions"]
    assert summary.failed == 0 and summary.warmup_failed == 1
    only = PassFacts(books=("positions",), market_session=False, pnl=False, target_kind="live")
    assert book_check("positions", summary, only).status == "fail"
