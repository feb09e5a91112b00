"""The IV2 step against an application that misbehaves in one way at a time, over real HTTP on
loopback: what each check says, and which requests were sent (a rejected key is never asked
again; live mode is never assumed from silence; an answer about another symbol ties nothing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from jainam_validate.attempts import AttemptLog
from jainam_validate.crosscheck import AppTarget, CrossCheck
from jainam_validate.redact import Redactor
from jainam_validate.simulator import Simulator
from jainam_validate.simulator import responses as r
from jainam_validate.simulator.app import Reply, Request
from jainam_validate.timing import TimingRecord

ROUTES = {
    "/api/v1/ping": "app_ping", "/api/v1/analyzer": "app_analyzer",
    "/api/v1/positionbook": "app_positions", "/api/v1/holdings": "app_holdings",
    "/api/v1/tradebook": "app_tradebook", "/api/v1/symbol": "app_symbol",
}  # fmt: skip
BROKER = {
    "positions": [
        {"segment": "NSECM", "instrument_id": 2885, "symbol": "RELIANCE-EQ", "product": "MIS",
         "quantity": "10", "buy_avg_price": "2443.05", "sell_avg_price": "0"},
    ],
    "holdings": [],
    "tradebook": [],
}  # fmt: skip


def ok(data: Any) -> tuple[int, Any]:
    return 200, {"status": "success", "data": data}


HEALTHY: dict[str, Callable[[dict[str, Any]], tuple[int, Any]]] = {
    "app_ping": lambda _: ok({"message": "pong", "broker": "jainamxts"}),
    "app_analyzer": lambda _: ok({"analyze_mode": False, "mode": "live"}),
    "app_positions": lambda _: ok(
        [
            {
                "symbol": "RELIANCE",
                "exchange": "NSE",
                "product": "MIS",
                "quantity": "10",
                "average_price": "2443.05",
            }
        ]  # fmt: skip
    ),
    "app_holdings": lambda _: ok({"holdings": [], "statistics": {"totalinvvalue": 0}}),
    "app_tradebook": lambda _: ok([]),
    "app_symbol": lambda body: ok(
        {"symbol": body.get("symbol"), "exchange": body.get("exchange"), "token": "2885"}
    ),
}


class Application:
    """The healthy application, with some routes answered otherwise."""

    def __init__(self, **answers: Callable[[dict[str, Any]], tuple[int, Any]]) -> None:
        self.answers = {**HEALTHY, **answers}

    def sensitive_values(self) -> list[str]:
        return []

    def handle(self, req: Request) -> Reply:
        import json

        flow = ROUTES[req.path]
        status, body = self.answers[flow](json.loads(req.body or b"{}"))
        return Reply(flow, r.json_response(status, body))


def cross_check(
    application: Application,
) -> tuple[dict[str, tuple[str, str]], list[TimingRecord]]:
    records: list[TimingRecord] = []
    redactor = Redactor(b"k" * 32)
    with Simulator(app=lambda _sleep: application) as server:
        target = AppTarget(server.base_url, SecretStr("oa-test-key-123456"), rate_per_s=0)
        log = AttemptLog(redactor, records.append, "run-1")
        result = CrossCheck(target, log, redactor).run(BROKER)
    checks = {name: (c.status, c.detail) for name, c in result.checks.items()}
    return checks, records


def test_a_healthy_application_ties_its_symbol_by_token_and_passes() -> None:
    checks, records = cross_check(Application())
    assert checks["iv2:positions"][0] == "pass"
    assert [r.flow for r in records].count("app_symbol") == 1


def test_a_403_on_a_symbol_lookup_stops_everything_and_names_the_key() -> None:
    rejected = Application(app_symbol=lambda _: (403, {"status": "error", "message": "no"}))
    checks, records = cross_check(rejected)
    assert {status for status, _ in checks.values()} == {"fail"}
    assert all("application key rejected" in detail for _, detail in checks.values())
    assert [r.flow for r in records][-1] == "app_symbol"  # nothing sent after the 403


@pytest.mark.parametrize(
    "data", [{}, {"mode": "maybe"}, {"analyze_mode": None}, None, {"total_logs": 3}]
)
def test_live_mode_is_never_assumed_from_silence(data: Any) -> None:
    checks, records = cross_check(Application(app_analyzer=lambda _: ok(data)))
    assert {status for status, _ in checks.values()} == {"not_proven"}
    assert "app_positions" not in {r.flow for r in records}  # nothing compared on a guess


def test_an_answer_about_another_symbol_ties_nothing() -> None:
    other = Application(
        app_symbol=lambda _: ok({"symbol": "INFY", "exchange": "NSE", "token": "2885"})
    )
    checks, _ = cross_check(other)
    status, detail = checks["iv2:positions"]
    assert status == "fail" and "in the app, not at the broker" in detail


def test_a_symbol_token_is_never_learned_as_a_secret() -> None:
    # "token" would make the redactor scrub 2885 from every book: it is renamed first
    checks, records = cross_check(Application())
    assert checks["iv2:positions"][0] == "pass"
    assert all("[redacted]" not in (r.error or "") for r in records)
