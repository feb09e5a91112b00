"""Integration tests for the simulator's hostile fault kinds, over real HTTP on 127.0.0.1:
``forged_error`` (an HTTP 400 XTS error envelope whose code, description and ``X-Forged`` header
try to forge a markdown report or a terminal) on every flow, and ``unreadable_rows`` /
``missing_fields`` (HTTP 200 success books whose rows are not records, or lack the fields a row
needs) on every book, with every other flow left alone."""

from __future__ import annotations

import http.client
import json
import re
from typing import Any

import httpx
import pytest

from jainam_validate.simulator import (
    BOOK_ONLY_FAULTS,
    BROKER_FLOWS,
    FAULT_KINDS,
    FORGED_CODE,
    FORGED_HEADER,
    FORGED_INGREDIENTS,
    FORGED_TEXT,
    SimConfig,
    parse_flow_value,
)
from tests.support.simulator_calls import (
    BOOK_CODES,
    BOOKS,
    MD,
    assert_invalid_token,
    assert_untouched,
    book,
    book_rows,
    exercise,
    isin_valid,
    login_ia,
    login_md,
    run_sim,
    token_of,
)

# written out here rather than taken from FORGED_INGREDIENTS, so the constant cannot drift
HOSTILE = (
    "\r\n",
    "\x1b[31m",
    "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07",
    "\x00",
    "\x7f",
    "\u009b",
    "\u202e",
    "**PASS**: every check passed.",
    "[open the evidence](https://evil.example/phish)",
    "![x](https://evil.example/x.png)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "|",
    "``",
    "https://evil.example/auto",
    "$\\LaTeX$",
)
ID_KEYS = {
    "AccountID",
    "LoginID",
    "ClientID",
    "ClientId",
    "ClientName",
    "AppOrderID",
    "ExchangeOrderID",
    "ExecutionID",
    "OrderUniqueIdentifier",
    "OrderReferenceID",
    "MessageSynchronizeUniqueKey",
}
OLD_FAULT_KINDS = (
    "html500",
    "html404",
    "nginx502",
    "nginx503",
    "http429",
    "timeout",
    "reset",
    "truncated_json",
    "nonjson200",
    "type_error200",
    "invalid_token_once",
    "invalid_token_always",
    "data_not_available",
    "slow_drip",
    "huge_body",
    "plain_http_to_https",
)


# -- helpers ------------------------------------------------------------------------------------


def lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def assert_forged(resp: httpx.Response) -> None:
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    assert int(resp.headers["content-length"]) == len(resp.content)
    body = json.loads(resp.content)
    assert list(body) == ["type", "code", "description", "result"]
    assert body["type"] == "error" and body["result"] == {}
    assert body["description"] == FORGED_TEXT and body["code"] == FORGED_CODE
    for field in (body["description"], body["code"]):
        for piece in HOSTILE:
            assert piece in field, piece
        assert "# Verdict" in lines(field)  # a heading on a line of its own
        assert "\r" in field.replace("\r\n", "") and "\n" in field.replace("\r\n", "")
        # a plain broker error: neither a bad session nor an empty book
        assert "invalid token" not in field.casefold()
        assert "data not available" not in field.casefold()
    assert body["code"] != "e-session-0007" and not body["code"].endswith("-0005")
    header = resp.headers["x-forged"]
    assert header == FORGED_HEADER
    assert "\x1b[31m" in header and "\x1b]8;;https://evil.example/\x07" in header
    assert "# Verdict" in header and "<script>alert(1)</script>" in header
    assert not {"\r", "\n", "\x00"} & set(header)


def assert_book_envelope(resp: httpx.Response, flow: str) -> Any:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    body = resp.json()
    assert list(body) == ["type", "code", "description", "result"]
    assert (body["type"], body["code"], body["description"]) == ("success", *BOOK_CODES[flow])
    return body["result"]


def keys_anywhere(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_anywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_anywhere(v)}
    return set()


# -- fault kinds and config ---------------------------------------------------------------------


def test_new_fault_kinds_are_appended_in_order() -> None:
    hostile = (*OLD_FAULT_KINDS, "forged_error", "unreadable_rows", "missing_fields")
    # the leaky kinds follow (test_simulator_leaky.py)
    assert FAULT_KINDS[: len(hostile)] == hostile
    assert BOOK_ONLY_FAULTS >= {"unreadable_rows", "missing_fields"}
    assert set(FORGED_INGREDIENTS) >= set(HOSTILE) | {"# Verdict"}


@pytest.mark.parametrize("flow", BROKER_FLOWS)
def test_which_flows_take_the_new_faults(flow: str) -> None:
    assert SimConfig(faults={flow: "forged_error"}).faults == {flow: "forged_error"}
    assert parse_flow_value(f"{flow}=forged_error", kind="fault") == (flow, "forged_error")
    for kind in ("unreadable_rows", "missing_fields"):
        if flow in BOOKS:
            assert SimConfig(faults={flow: kind}).faults == {flow: kind}
            assert parse_flow_value(f"{flow}={kind}", kind="fault") == (flow, kind)
            continue
        with pytest.raises(ValueError, match="book flows only") as info:
            SimConfig(faults={flow: kind})
        assert flow in str(info.value)
        with pytest.raises(ValueError, match=r"^--fault: .*book flows only") as info:
            parse_flow_value(f"{flow}={kind}", kind="fault")
        assert "\n" not in str(info.value)


# -- forged_error -------------------------------------------------------------------------------


@pytest.mark.parametrize("flow", BROKER_FLOWS)
def test_forged_error_on_every_flow_and_nothing_else(flow: str) -> None:
    s, c = run_sim(SimConfig(faults={flow: "forged_error"}))
    with s, c:
        answers = exercise(c)
    assert_forged(answers.pop(flow))
    expected = set(BROKER_FLOWS) - {flow}
    if flow == "login_interactive":  # no interactive token: its flows cannot run
        expected -= {*BOOKS, "logout_interactive"}
    if flow == "login_market":
        expected -= {"quotes", "logout_market"}
    assert set(answers) == expected
    assert_untouched(answers)
    assert [e.status for e in s.request_log if e.flow == flow] == [400]


def test_forged_error_header_and_body_through_the_stdlib_client() -> None:
    s, c = run_sim(SimConfig(faults={"holdings": "forged_error"}))
    with s, c:
        token = token_of(login_ia(c))
        assert token is not None
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        try:
            conn.request("GET", "/interactive/portfolio/holdings", headers={"Authorization": token})
            resp = conn.getresponse()
            raw = resp.read()
            assert resp.status == 400
            assert resp.getheader("X-Forged") == FORGED_HEADER
            assert resp.getheader("Content-Type") == "application/json; charset=utf-8"
        finally:
            conn.close()
    assert raw.startswith(b'{"type":"error","code":"e-forged-0400')
    assert b"\\u0000" in raw and b"\\u001b[31m" in raw  # control bytes are JSON escapes
    assert "\u202e".encode() in raw and "\u009b".encode() in raw  # others go as UTF-8
    body = json.loads(raw)
    assert body["description"] == FORGED_TEXT and body["code"] == FORGED_CODE


def test_forged_error_replaces_only_a_successful_answer() -> None:
    s, c = run_sim(SimConfig(faults={"positions": "forged_error", "login_market": "forged_error"}))
    with s, c:
        assert_invalid_token(c.get("/interactive/portfolio/positions", params={"dayOrNet": "Net"}))
        token = token_of(login_ia(c))
        assert token is not None
        bad = c.get("/interactive/portfolio/positions", headers={"Authorization": token})
        assert bad.status_code == 400 and bad.json()["description"] == "Bad Request"
        assert_forged(book(c, "positions", token))
        wrong = {"appKey": "sim-md-key-0b62", "secretKey": "nope"}
        rejected = c.post(f"{MD}/auth/login", json=wrong)
        assert rejected.json()["description"] == "Invalid appKey or secretKey"
        assert_forged(login_md(c))


def test_forged_error_on_dealer_routes() -> None:
    config = SimConfig(
        profile="dealer",
        dealer_client_ids=("*****", "JC9001"),
        faults={"tradebook": "forged_error", "positions": "forged_error"},
    )
    s, c = run_sim(config)
    with s, c:
        auth = {"Authorization": token_of(login_ia(c)) or ""}
        for path, params in (
            ("/interactive/orders/dealertradebook", {"clientID": "JC9001"}),
            (
                "/interactive/portfolio/dealerpositions",
                {"clientID": "*****", "dayOrNet": "DayWise"},
            ),
        ):
            assert_forged(c.get(path, params=params, headers=auth))
        holdings = c.get(
            "/interactive/portfolio/holdings", params={"clientID": "*****"}, headers=auth
        )
        assert holdings.status_code == 200 and holdings.json()["type"] == "success"


# -- unreadable_rows and missing_fields ---------------------------------------------------------

ROW_CASES = [("positions", "map"), ("tradebook", "map"), ("holdings", "map"), ("holdings", "list")]


@pytest.mark.parametrize(("flow", "shape"), ROW_CASES, ids=[f"{f}-{s}" for f, s in ROW_CASES])
def test_unreadable_rows(flow: str, shape: str) -> None:
    s, c = run_sim(SimConfig(faults={flow: "unreadable_rows"}, holdings_shape=shape))  # type: ignore[arg-type]
    with s, c:
        answers = exercise(c)
        secrets = s.sensitive_values()
    resp = answers.pop(flow)
    rows = book_rows(assert_book_envelope(resp, flow), flow, shape)
    assert rows and not any(isinstance(row, dict) for row in rows)  # not one record
    kinds = {type(row) for row in rows}
    if flow == "holdings" and shape == "map":
        # values of the ISIN-keyed object: strings, numbers and nulls only
        assert kinds <= {str, int, float, type(None)}
        assert {str, type(None)} <= kinds and kinds & {int, float}
    else:
        assert {str, int, type(None), bool, list} <= kinds  # a mixed bag
    assert not keys_anywhere(resp.json()) & ID_KEYS
    assert not [v for v in secrets if v in resp.text]
    if shape == "map":
        assert_untouched(answers)
    assert set(answers) == set(BROKER_FLOWS) - {flow}


@pytest.mark.parametrize(("flow", "shape"), ROW_CASES, ids=[f"{f}-{s}" for f, s in ROW_CASES])
def test_missing_fields(flow: str, shape: str) -> None:
    s, c = run_sim(SimConfig(faults={flow: "missing_fields"}, holdings_shape=shape))  # type: ignore[arg-type]
    with s, c:
        answers = exercise(c)
        secrets = s.sensitive_values()
    resp = answers.pop(flow)
    result = assert_book_envelope(resp, flow)
    rows = book_rows(result, flow, shape)
    assert len(rows) >= 2
    assert all(isinstance(row, dict) and row for row in rows)  # real, non-empty records
    every_key = {k for row in rows for k in row}
    assert not any("quantity" in k.casefold() for k in every_key)
    if flow == "tradebook":
        assert not every_key & {"AppOrderID", "TradingSymbol", "ExchangeInstrumentID"}
        assert not every_key & {"ExchangeInstrumentId", "OrderQuantity", "LastTradedQuantity"}
        assert all("ProductType" in row and "ExchangeSegment" in row for row in rows)
    elif flow == "positions":
        assert not every_key & {"ExchangeInstrumentID", "ExchangeInstrumentId", "TradingSymbol"}
        assert not every_key & {"Quantity", "NetPosition", "OpenBuyQuantity", "OpenSellQuantity"}
        assert all("ProductType" in row and "ExchangeSegment" in row for row in rows)
    else:
        assert "HoldingQuantity" not in every_key
        assert all(isin_valid(row["ISIN"]) and row["Symbol"] for row in rows)
        if shape == "map":
            holdings = result["RMSHoldings"]["Holdings"]
            assert all(isin == row["ISIN"] for isin, row in holdings.items())
    assert not keys_anywhere(resp.json()) & ID_KEYS
    assert not [v for v in secrets if v in resp.text]
    if shape == "map":
        assert_untouched(answers)
    assert set(answers) == set(BROKER_FLOWS) - {flow}


@pytest.mark.parametrize("kind", ["unreadable_rows", "missing_fields"])
def test_row_faults_on_dealer_routes_keep_the_dealer_envelope(kind: str) -> None:
    config = SimConfig(
        profile="dealer",
        dealer_client_ids=("*****", "JC9001"),
        faults={"tradebook": kind, "positions": kind},
    )
    s, c = run_sim(config)
    with s, c:
        auth = {"Authorization": token_of(login_ia(c)) or ""}
        trades = c.get(
            "/interactive/orders/dealertradebook", params={"clientID": "JC9001"}, headers=auth
        )
        positions = c.get(
            "/interactive/portfolio/dealerpositions",
            params={"clientID": "JC9001", "dayOrNet": "NetWise"},
            headers=auth,
        )
        # an error answer stays an error answer
        unmapped = c.get(
            "/interactive/orders/dealertradebook", params={"clientID": "JC0000"}, headers=auth
        )
    body = trades.json()
    assert trades.status_code == 200
    assert (body["type"], body["code"]) == ("success", "s-dealertrade-0001")
    rows = body["result"]
    assert rows and not any(isinstance(row, dict) and "AppOrderID" in row for row in rows)
    assert "JC9001" not in trades.text and "JC9001" not in positions.text
    assert positions.status_code == 200 and positions.json()["type"] == "success"
    assert unmapped.status_code == 400
    assert unmapped.json()["description"] == "Supplied client not mapped under dealer"


def test_row_fault_bodies_do_not_depend_on_seed_or_book_size() -> None:
    bodies: list[list[bytes]] = []
    for config in (
        SimConfig(faults=dict.fromkeys(BOOKS, "unreadable_rows")),
        SimConfig(faults=dict.fromkeys(BOOKS, "unreadable_rows"), seed=99, n_trades=5000),
    ):
        s, c = run_sim(config)
        with s, c:
            token = token_of(login_ia(c))
            assert token is not None
            bodies.append([book(c, flow, token).content for flow in BOOKS])
    assert bodies[0] == bodies[1]
    assert all(len(body) < 1000 for body in bodies[0])
