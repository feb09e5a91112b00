"""What the harness makes of the application under test's answers (openalgo.py): the envelope's
``status`` and HTTP status (``classify_app``), the symbol answer's token (``classify_symbol``,
``symbol_token``), analyzer mode, and the book rows (``read_book``). No network: every answer
is a ``RawExchange`` built here."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from jainam_validate.classify import SNIPPET_CHARS, classify
from jainam_validate.client import RawExchange
from jainam_validate.openalgo import (
    EXCHANGES,
    AppBook,
    AppHolding,
    AppPosition,
    AppTrade,
    classify_app,
    classify_symbol,
    exchange_of,
    in_analyzer_mode,
    read_book,
    symbol_token,
)
from jainam_validate.timing import Outcome
from jainam_validate.xts import Flow

JSON = "application/json"
HTML = "text/html; charset=utf-8"


def raw(
    status: int | None,
    body: Any = None,
    ctype: str | None = JSON,
    flow: str = Flow.APP_POSITIONS,
    **kw: Any,
) -> RawExchange:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = RawExchange(
        flow=flow,
        method="POST",
        route="/api/v1/positionbook",
        query_keys=[],
        requested_at="2026-11-30T10:00:00.000Z",
        started=0.0,
        status=status,
        content_type=ctype if status is not None else None,
        body=data if status is not None else b"",
    )
    for key, value in kw.items():
        setattr(answer, key, value)
    return answer


# -- classify_app ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "outcome", "code", "error"),
    [
        (200, {"status": "success", "data": []}, Outcome.OK, None, None),
        (
            200,
            {"status": "error", "message": "Invalid symbol"},
            Outcome.HTTP_ERROR,
            None,
            "HTTP 200: Invalid symbol (status is not success)",
        ),
        (200, {"data": []}, Outcome.HTTP_ERROR, None, "HTTP 200 (status is not success)"),
        (200, {"status": "SUCCESS"}, Outcome.HTTP_ERROR, None, "HTTP 200 (status is not success)"),
        (
            403,
            {"status": "error", "message": "Invalid openalgo apikey"},
            Outcome.AUTH_ERROR,
            "403",
            "HTTP 403: Invalid openalgo apikey",
        ),
        (
            500,
            {"status": "error", "message": "Failed to fetch positions"},
            Outcome.HTTP_ERROR,
            "500",
            "HTTP 500: Failed to fetch positions",
        ),
        (404, {"status": "error", "message": "Not Found"}, Outcome.HTTP_ERROR, "404", None),
        (400, {"status": "success"}, Outcome.HTTP_ERROR, "400", "HTTP 400"),
        (500, {"status": "error", "message": {"nested": 1}}, Outcome.HTTP_ERROR, "500", "HTTP 500"),
    ],
)
def test_classify_app_json_answers(
    status: int, body: dict[str, Any], outcome: Outcome, code: str | None, error: str | None
) -> None:
    verdict = classify_app(raw(status, body))
    assert verdict.outcome == outcome
    assert verdict.envelope == body
    assert verdict.code == code
    if error is not None or outcome == Outcome.OK:
        assert verdict.error == error
    assert verdict.body_text is None


def test_classify_app_cuts_a_long_message() -> None:
    message = "x" * (SNIPPET_CHARS + 50)
    verdict = classify_app(raw(500, {"status": "error", "message": message}))
    assert verdict.error == f"HTTP 500: {'x' * SNIPPET_CHARS}"


@pytest.mark.parametrize(
    ("status", "body", "ctype", "outcome"),
    [
        (500, b"<html><body>Internal Server Error</body></html>", HTML, Outcome.HTTP_ERROR),
        (502, b"<html>Bad Gateway</html>", HTML, Outcome.HTTP_ERROR),
        (403, b"<html>Forbidden</html>", HTML, Outcome.HTTP_ERROR),  # a proxy's, not the key
        (200, b"<html>OpenAlgo</html>", HTML, Outcome.BAD_RESPONSE),
        (200, b"pong", "text/plain", Outcome.BAD_RESPONSE),
        (200, b'{"status": "success"', JSON, Outcome.BAD_RESPONSE),  # cut JSON
        (200, b'{"status": "success"}', None, Outcome.BAD_RESPONSE),  # no content type
        (200, b'[{"symbol": "RELIANCE-EQ"}]', JSON, Outcome.BAD_RESPONSE),  # an array
        (200, b'"success"', JSON, Outcome.BAD_RESPONSE),
        (200, b"null", JSON, Outcome.BAD_RESPONSE),
        (500, b"[]", JSON, Outcome.HTTP_ERROR),
        (200, b"", JSON, Outcome.BAD_RESPONSE),
    ],
)
def test_classify_app_bodies_that_are_not_a_json_object(
    status: int, body: bytes, ctype: str | None, outcome: Outcome
) -> None:
    verdict = classify_app(raw(status, body, ctype))
    assert verdict.outcome == outcome
    assert verdict.envelope is None
    assert verdict.code is None
    # JSON that parses to something other than an object says so (as the broker's does)
    parsed = (
        ctype == JSON and body.strip() not in (b"", b'{"status": "success"') and body != b"null"
    )
    kind = "not a JSON object" if parsed else "non-JSON"
    assert verdict.error == f"HTTP {status} {kind} body ({ctype or 'no content type'})"
    assert verdict.body_text == body.decode()


def test_classify_app_keeps_at_most_64_kib_of_a_non_json_body() -> None:
    verdict = classify_app(raw(500, b"<p>" + b"e" * 100_000, HTML))
    assert verdict.body_text is not None
    assert len(verdict.body_text) == 64 * 1024  # the start only, as for the broker's pages
    assert verdict.body_text.startswith("<p>eee")


@pytest.mark.parametrize(
    ("kw", "outcome"),
    [
        ({"error_class": "ConnectError"}, Outcome.NETWORK_ERROR),
        ({"error_class": "ReadTimeout", "timed_out": True}, Outcome.TIMEOUT),
    ],
)
def test_classify_app_without_an_answer_is_the_network_classification(
    kw: dict[str, Any], outcome: Outcome
) -> None:
    answer = raw(None, **kw)
    verdict = classify_app(answer)
    assert verdict == classify(answer)
    assert verdict.outcome == outcome
    assert verdict.envelope is None
    assert verdict.error == f"{kw['error_class']}: no HTTP response"


def test_classify_app_with_a_cut_body_is_the_brokers_classification() -> None:
    answer = raw(200, {"status": "success", "data": []}, error_class="RemoteProtocolError")
    verdict = classify_app(answer)
    assert verdict == classify(answer)
    assert verdict.outcome == Outcome.BAD_RESPONSE
    assert verdict.envelope is None


# -- classify_symbol and symbol_token -------------------------------------------------------
SYMBOL_ANSWER = {
    "status": "success",
    "data": {
        "id": 1,
        "symbol": "RELIANCE",
        "brsymbol": "RELIANCE-EQ",
        "name": "RELIANCE INDUSTRIES LTD",
        "exchange": "NSE",
        "token": "2885",
        "lotsize": 1,
    },
}


def test_classify_symbol_renames_the_token() -> None:
    verdict = classify_symbol(raw(200, SYMBOL_ANSWER, flow=Flow.APP_SYMBOL))
    assert verdict.outcome == Outcome.OK
    assert verdict.envelope is not None
    data = verdict.envelope["data"]
    assert "token" not in data
    assert data == {
        "id": 1,
        "symbol": "RELIANCE",
        "brsymbol": "RELIANCE-EQ",
        "name": "RELIANCE INDUSTRIES LTD",
        "exchange": "NSE",
        "ExchangeInstrumentID": "2885",
        "lotsize": 1,
    }
    assert list(data) == [
        "id",
        "symbol",
        "brsymbol",
        "name",
        "exchange",
        "ExchangeInstrumentID",
        "lotsize",
    ]
    assert verdict.envelope["status"] == "success"
    assert symbol_token(data) == 2885


@pytest.mark.parametrize(
    ("status", "body", "ctype"),
    [
        (200, {"status": "success", "data": {"symbol": "RELIANCE", "exchange": "NSE"}}, JSON),
        (200, {"status": "success", "data": [{"token": "2885"}]}, JSON),
        (200, {"status": "success", "data": None, "token": "top-level"}, JSON),
        (200, {"status": "error", "message": "Symbol not found"}, JSON),
        (403, {"status": "error", "message": "Invalid openalgo apikey"}, JSON),
        (500, b"<html>oops</html>", HTML),
    ],
)
def test_classify_symbol_leaves_other_answers_alone(status: int, body: Any, ctype: str) -> None:
    answer = raw(status, body, ctype, flow=Flow.APP_SYMBOL)
    assert classify_symbol(answer) == classify_app(answer)


def test_classify_symbol_renames_in_an_error_answer_too() -> None:
    body = {"status": "error", "message": "stale", "data": {"token": "2885"}}
    verdict = classify_symbol(raw(200, body, flow=Flow.APP_SYMBOL))
    assert verdict.outcome == Outcome.HTTP_ERROR
    assert verdict.envelope == {
        "status": "error",
        "message": "stale",
        "data": {"ExchangeInstrumentID": "2885"},
    }


@pytest.mark.parametrize(
    ("data", "token"),
    [
        ({"ExchangeInstrumentID": 2885}, 2885),
        ({"ExchangeInstrumentID": "2885"}, 2885),
        ({"ExchangeInstrumentID": " 35003 "}, 35003),
        ({"ExchangeInstrumentID": "abc"}, None),
        ({"ExchangeInstrumentID": ""}, None),
        ({"ExchangeInstrumentID": "2885.5"}, None),
        ({"ExchangeInstrumentID": 2885.5}, None),  # a fraction is no instrument
        ({"ExchangeInstrumentID": True}, None),
        ({"ExchangeInstrumentID": None}, None),
        ({"token": "2885"}, None),  # not renamed: not read
        ({}, None),
        (["2885"], None),
        ("2885", None),
        (None, None),
    ],
)
def test_symbol_token(data: Any, token: int | None) -> None:
    assert symbol_token(data) == token


# -- analyzer mode --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("envelope", "analyze"),
    [
        ({"status": "success", "mode": "analyze", "data": []}, True),
        ({"status": "success", "data": {"mode": "analyze", "analyze_mode": False}}, True),
        ({"status": "success", "data": {"analyze_mode": True, "mode": "live"}}, True),
        ({"status": "success", "data": {"analyze_mode": True}}, True),
        ({"status": "success", "mode": "live", "data": []}, False),
        ({"status": "success", "data": {"analyze_mode": False, "mode": "live"}}, False),
        ({"status": "success", "data": {"analyze_mode": 1}}, False),  # only a real true
        ({"status": "success", "data": None}, False),
        ({"status": "success", "data": ["analyze"]}, False),
        ({}, False),
    ],
)
def test_in_analyzer_mode(envelope: dict[str, Any], analyze: bool) -> None:
    assert in_analyzer_mode(envelope) is analyze


# -- exchanges ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("segment", "exchange"),
    [
        ("NSECM", "NSE"),
        ("NSEFO", "NFO"),
        ("BSECM", "BSE"),
        ("BSEFO", "BFO"),
        ("MCXFO", "MCX"),
        ("NSECD", "CDS"),
        ("NEWSEG", "NEWSEG"),
        ("", ""),
        (None, ""),
    ],
)
def test_exchange_of(segment: str | None, exchange: str) -> None:
    assert exchange_of(segment) == exchange


def test_exchanges_table_is_the_adapters() -> None:
    assert EXCHANGES["NSECM"] == "NSE"
    assert EXCHANGES["NSEFO"] == "NFO"
    assert EXCHANGES["BSECM"] == "BSE"


# -- read_book ------------------------------------------------------------------------------
POSITION_ROW = {
    "symbol": "RELIANCE-EQ",
    "exchange": "NSE",
    "product": "MIS",
    "quantity": "-60",
    "average_price": "2443.05",
    "ltp": 0.0,
    "pnl": 0.0,
}


def test_read_book_positions() -> None:
    book = read_book(
        Flow.APP_POSITIONS,
        [POSITION_ROW, {**POSITION_ROW, "symbol": " INFY-EQ ", "quantity": "1,200"}],
    )
    assert book.unreadable == []
    assert book.cost_total is None
    assert all(isinstance(row, AppPosition) for row in book.rows)
    first, second = book.rows
    assert (first.symbol, first.exchange, first.product) == ("RELIANCE-EQ", "NSE", "MIS")
    assert first.quantity == Decimal(-60)
    assert first.average_price == Decimal("2443.05")
    assert (second.symbol, second.quantity) == ("INFY-EQ", Decimal(1200))


@pytest.mark.parametrize(
    ("total", "cost"),
    [
        ("1,234.50", Decimal("1234.50")),
        (1234.5, Decimal("1234.5")),
        (0, Decimal(0)),
        ("", None),
        ("abc", None),
        (None, None),
        ("123456789012345678901", None),  # too large to be a number: not a cost
    ],
)
def test_read_book_holdings_with_the_cost_total(total: Any, cost: Decimal | None) -> None:
    data = {
        "holdings": [
            {
                "symbol": "RELIANCE",
                "exchange": "NSE",
                "product": "CNC",
                "quantity": "1,200",
                "pnl": 0,
                "pnlpercent": 0,
            },
            {"symbol": "INE467B01029", "exchange": "NSE", "product": "CNC", "quantity": 5},
        ],
        "statistics": {"totalholdingvalue": 0, "totalinvvalue": total},
    }
    book = read_book(Flow.APP_HOLDINGS, data)
    assert book.cost_total == cost
    assert book.unreadable == []
    assert all(isinstance(row, AppHolding) for row in book.rows)
    assert [(r.symbol, r.quantity) for r in book.rows] == [
        ("RELIANCE", Decimal(1200)),
        ("INE467B01029", Decimal(5)),
    ]


@pytest.mark.parametrize("statistics", [None, [], "1234.50", {}])
def test_read_book_holdings_without_statistics(statistics: Any) -> None:
    data: dict[str, Any] = {"holdings": []}
    if statistics is not None:
        data["statistics"] = statistics
    assert read_book(Flow.APP_HOLDINGS, data) == AppBook([], [], None)


def test_read_book_trades() -> None:
    row = {
        "symbol": "RELIANCE-EQ",
        "exchange": "NSE",
        "product": "MIS",
        "action": "Buy",
        "quantity": 60,
        "average_price": 2443.05,
        "orderid": "order_5eeafe7b",
        "timestamp": "10:15:00 30-11-2026",
    }
    book = read_book(
        Flow.APP_TRADEBOOK,
        [row, {**row, "orderid": ""}, {**row, "orderid": None}, {**row, "orderid": 12345}],
    )
    assert book.unreadable == [1, 2]
    assert all(isinstance(r, AppTrade) for r in book.rows)
    assert [r.orderid for r in book.rows] == ["order_5eeafe7b", "12345"]
    assert book.rows[0].action == "Buy"
    assert book.rows[0].quantity == Decimal(60)


def test_read_book_puts_unreadable_rows_aside_by_index() -> None:
    rows: list[Any] = [
        POSITION_ROW,  # 0 fine
        {k: v for k, v in POSITION_ROW.items() if k != "symbol"},  # 1 no symbol
        {**POSITION_ROW, "quantity": "abc"},  # 2 not a number
        {**POSITION_ROW, "symbol": "   "},  # 3 blank symbol
        "RELIANCE-EQ",  # 4 not a row
        {k: v for k, v in POSITION_ROW.items() if k != "quantity"},  # 5 no quantity
        {**POSITION_ROW, "quantity": ""},  # 6 empty quantity
        {**POSITION_ROW, "quantity": "123456789012345678901"},  # 7 too large
        {**POSITION_ROW, "average_price": "n/a"},  # 8 average not a number
        {**POSITION_ROW, "symbol": "INFY-EQ"},  # 9 fine
        None,  # 10
    ]
    book = read_book(Flow.APP_POSITIONS, rows)
    assert book.unreadable == [1, 2, 3, 4, 5, 6, 7, 8, 10]
    assert [r.symbol for r in book.rows] == ["RELIANCE-EQ", "INFY-EQ"]


def test_read_book_keeps_odd_text_as_data() -> None:
    symbol = "A|B\n**C**"
    book = read_book(Flow.APP_POSITIONS, [{**POSITION_ROW, "symbol": symbol}])
    assert book.rows[0].symbol == symbol


def test_read_book_negative_zero() -> None:
    book = read_book(
        Flow.APP_POSITIONS, [{**POSITION_ROW, "quantity": "-0", "average_price": "-0.00"}]
    )
    assert book.rows[0].quantity == 0
    assert book.rows[0].average_price == 0


@pytest.mark.parametrize(
    ("flow", "data"),
    [
        (Flow.APP_POSITIONS, {"positions": []}),
        (Flow.APP_POSITIONS, "no positions"),
        (Flow.APP_POSITIONS, 0),
        (Flow.APP_TRADEBOOK, {"trades": []}),
        (Flow.APP_HOLDINGS, {"holdings": {"RELIANCE": 10}}),
        (Flow.APP_HOLDINGS, {"statistics": {"totalinvvalue": 0}}),  # no holdings at all
        (Flow.APP_HOLDINGS, None),
        (Flow.APP_HOLDINGS, "none"),
    ],
)
def test_read_book_data_not_a_list_raises(flow: str, data: Any) -> None:
    with pytest.raises(ValueError, match="not a list of rows"):
        read_book(flow, data)


@pytest.mark.parametrize("flow", [Flow.APP_POSITIONS, Flow.APP_TRADEBOOK])
def test_read_book_no_data_is_an_empty_book(flow: str) -> None:
    assert read_book(flow, None) == AppBook([], [], None)
    assert read_book(flow, []) == AppBook([], [], None)
