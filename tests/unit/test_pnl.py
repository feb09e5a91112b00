from __future__ import annotations

import json
import random
from decimal import Decimal

import httpx
import pytest
import respx

from jainam_validate.pnl import (
    batches,
    evaluate,
    instrument_of,
    money,
    parse_quotes,
    quotes_body,
)
from jainam_validate.settings import AccountType
from jainam_validate.timing import Outcome
from tests.support.xts_fakes import ROOT, TOKEN_I, envelope, make, md_login_ok


def quote_string(segment: int, instrument: int, ltp: object, *, root: bool = False) -> str:
    body: dict[str, object] = {
        "MessageCode": 1502,
        "ExchangeSegment": segment,
        "ExchangeInstrumentID": instrument,
    }
    if root:
        body["LastTradedPrice"] = ltp
    else:
        body["Touchline"] = {"LastTradedPrice": ltp, "Close": 1.0}
    return json.dumps(body)


def holding(
    isin: str,
    qty: object,
    avg: object,
    nse: int | None = None,
    bse: int | None = None,
    symbol: str | None = None,
) -> dict[str, object]:
    return {
        "isin": isin,
        "symbol": symbol,
        "quantity": qty,
        "buy_avg_price": avg,
        "nse_instrument_id": nse,
        "bse_instrument_id": bse,
    }


def test_instrument_prefers_nse_then_bse_with_numeric_segments() -> None:
    assert instrument_of(holding("A", "1", "1", nse=2885, bse=500325)) == (1, 2885)
    assert instrument_of(holding("B", "1", "1", bse=543877)) == (11, 543877)
    assert instrument_of(holding("C", "1", "1")) is None
    body = quotes_body([(1, 2885), (11, 543877)])
    assert body == {
        "instruments": [
            {"exchangeSegment": 1, "exchangeInstrumentID": 2885},
            {"exchangeSegment": 11, "exchangeInstrumentID": 543877},
        ],
        "xtsMessageCode": 1502,
        "publishFormat": "JSON",
    }


def test_batches_hold_at_most_50_unique_instruments() -> None:
    items = [(1, i) for i in range(120)] + [(1, 5)]
    assert [len(b) for b in batches(items)] == [50, 50, 20]


def test_quotes_are_json_strings_matched_by_key_not_position() -> None:
    result = {
        "listQuotes": [
            quote_string(11, 543877, 144.2),
            quote_string(1, 2885, "2,901.5"),
            quote_string(1, 11536, 3999, root=True),
            "{not json",
            json.dumps({"x": 1}),
        ]
    }
    parsed = parse_quotes(result)
    assert parsed.ltp == {
        (11, 543877): Decimal("144.2"),
        (1, 2885): Decimal("2901.5"),
        (1, 11536): Decimal(3999),
    }
    assert parsed.unreadable == 2


def test_wrong_result_shape_is_an_error() -> None:
    with pytest.raises(ValueError):
        parse_quotes([{"LastTradedPrice": 1}])  # the old harness's assumed shape


def test_hand_computed_pnl_and_rounding_half_up() -> None:
    rows = [
        holding("INE1", "10", "100.005", nse=1, symbol="AAA"),
        holding("INE2", "3", "2,853.50", bse=2, symbol="BBB"),
    ]
    ltp = {(1, 1): Decimal("110.10"), (11, 2): Decimal("2800")}
    result = evaluate(rows, ltp)
    # invested 1000.05 + 8560.50 = 9560.55; current 1101.00 + 8400.00 = 9501.00
    assert result.status == "pass"
    check = result.check()
    assert check["invested"] == "9560.55" and check["current"] == "9501.00"
    assert check["total_pnl"] == "-59.55"
    assert result.rows[0]["pnl"] == "100.95" and result.rows[1]["pnl"] == "-160.50"
    assert result.rows[1]["pnl_pct"] == "-1.87"
    assert money(Decimal("0.125")) == "0.13" and money(Decimal("-0.125")) == "-0.13"


@pytest.mark.parametrize(
    ("ltp", "problem"),
    [({}, "no quote"), ({(1, 1): Decimal(0)}, "LTP is 0")],
)
def test_unpriced_holdings_fail_the_check_by_name(ltp: dict, problem: str) -> None:  # type: ignore[type-arg]
    result = evaluate(
        [
            holding("INE1", "10", "100", nse=1, symbol="AAA"),
            holding("INE2", "0", "5", nse=9, symbol="SOLD"),
        ],
        ltp,
    )
    assert result.status == "fail"
    assert len(result.problems) == 1 and result.problems[0].startswith("AAA:")
    assert problem in result.problems[0]
    assert result.check()["total_pnl"] is None


def test_no_holdings_is_not_applicable_not_a_pass() -> None:
    assert evaluate([], {}).status == "not_applicable"
    assert evaluate([], {}).check()["total_pnl"] == "0.00"
    assert evaluate([holding("INE1", "0", "1", nse=1)], {}).status == "not_applicable"


def test_120_holdings_take_three_calls_and_match_rows_out_of_order() -> None:
    router = respx.Router(base_url=ROOT)
    sizes: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["publishFormat"] == "JSON" and body["xtsMessageCode"] == 1502
        sizes.append(len(body["instruments"]))
        rows = [
            quote_string(
                i["exchangeSegment"], i["exchangeInstrumentID"], i["exchangeInstrumentID"] / 10
            )
            for i in body["instruments"]
        ]
        random.Random(len(sizes)).shuffle(rows)
        return httpx.Response(200, json=envelope({"listQuotes": rows}, code="s-quotes-0001"))

    router.post("/apibinarymarketdata/instruments/quotes").mock(side_effect=answer)
    harness, records = make(router)
    session = harness.reuse(TOKEN_I, "md-token", AccountType.INVESTOR, "env")
    rows = [holding(f"INE{i:03d}", "2", "1", nse=1000 + i) for i in range(120)]
    ltp: dict = {}  # type: ignore[type-arg]
    for batch in batches(instrument_of(r) for r in rows):  # type: ignore[misc]
        quoted = harness.quotes(session, batch)
        assert quoted.outcome is Outcome.OK and quoted.parsed is not None
        ltp.update(quoted.parsed.ltp)
    assert sizes == [50, 50, 20]
    assert [r.sample for r in records] == [1, 2, 3] and {r.flow for r in records} == {"quotes"}
    result = evaluate(rows, ltp)
    assert result.status == "pass"
    # every row got its own instrument's price: ltp = id / 10, invested = 2 * 1
    expected = sum(Decimal(2) * Decimal(1000 + i) / 10 - 2 for i in range(120))
    assert result.total_pnl == expected


def test_invalid_token_on_quotes_renews_the_market_session_once_then_retries() -> None:
    router = respx.Router(base_url=ROOT)
    invalid = httpx.Response(
        400, json=envelope({}, code="e-session-0007", type_="error", description="Invalid Token")
    )
    ok = httpx.Response(200, json=envelope({"listQuotes": [quote_string(1, 7, 10)]}))
    router.post("/apibinarymarketdata/instruments/quotes").mock(side_effect=[invalid, ok])
    router.post("/apibinarymarketdata/auth/login").mock(return_value=md_login_ok())
    harness, records = make(router)
    session = harness.reuse(TOKEN_I, "stale-md-token", AccountType.INVESTOR, "env")
    quoted = harness.quotes(session, [(1, 7)])
    assert quoted.outcome is Outcome.OK
    assert [(r.flow, r.sample, r.attempt, r.outcome.value) for r in records] == [
        ("quotes", 1, 1, "auth_error"),
        ("login_market", 1, 1, "ok"),
        ("quotes", 1, 2, "ok"),
    ]
    assert router.calls[2].request.headers["Authorization"] != "stale-md-token"


def test_unreadable_holdings_rows_fail_the_pnl_check() -> None:
    rows = [{"isin": "INE1", "quantity": "1", "buy_avg_price": "10", "nse_instrument_id": 1}]
    one_bad = evaluate(rows, {(1, 1): Decimal(12)}, ["INE2"])
    assert one_bad.status == "fail" and one_bad.problems == ["INE2: holdings row could not be read"]
    assert evaluate([], {}, ["INE9"]).status == "fail"


# -- the quotes answer ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "result",
    [[{"LastTradedPrice": 1}], {"listQuotes": "[]"}, {"listQuotes": None}, {}, None],
    ids=["list", "string", "null", "no-key", "none"],
)
def test_a_quotes_result_of_another_shape_is_named_in_the_error(result: object) -> None:
    # the text ends up in the quotes record's error ("HTTP 200: result.listQuotes ...")
    with pytest.raises(ValueError) as caught:
        parse_quotes(result)
    assert str(caught.value) == "result.listQuotes is not a list"


def test_a_quote_sent_as_an_object_rather_than_a_string_is_read_too() -> None:
    parsed = parse_quotes(
        {
            "listQuotes": [
                {"ExchangeSegment": 1, "ExchangeInstrumentID": 2885, "LastTradedPrice": "2,901.5"},
                json.loads(quote_string(11, 543877, 144.2)),
            ]
        }
    )
    assert parsed.ltp == {(1, 2885): Decimal("2901.5"), (11, 543877): Decimal("144.2")}
    assert parsed.unreadable == 0


def test_quotes_without_a_readable_ltp_are_counted_and_the_rest_still_read() -> None:
    result = {
        "listQuotes": [
            quote_string(1, 1, "abc"),  # not a number
            quote_string(1, 2, "NaN"),  # "no value"
            quote_string(1, 3, None),  # no LTP under Touchline, none at the root either
            json.dumps({"ExchangeSegment": 1, "ExchangeInstrumentID": 4, "Touchline": "x"}),
            quote_string(1, 5, "12.5"),
            json.dumps({"ExchangeSegment": 1, "ExchangeInstrumentID": 6, "Touchline": 7}),
            json.dumps(
                {"ExchangeSegment": "11", "ExchangeInstrumentID": "7", "LastTradedPrice": 3}
            ),
        ]
    }
    parsed = parse_quotes(result)
    assert parsed.ltp == {(1, 5): Decimal("12.5"), (11, 7): Decimal(3)}
    assert parsed.unreadable == 5


# -- the check entry and the enriched rows ------------------------------------------------------
def test_a_fully_priced_book_states_every_total_of_the_check() -> None:
    rows = [
        holding("INE1", "10", "100.005", nse=1, symbol="AAA"),
        holding("INE2", "3", "2,853.50", bse=2, symbol="BBB"),
    ]
    result = evaluate(rows, {(1, 1): Decimal("110.10"), (11, 2): Decimal("2800")})
    assert result.check() == {
        "status": "pass",
        "detail": "2 holdings priced from live LTP: total P&L -59.55 on 9560.55 invested",
        "total_pnl": "-59.55",
        "invested": "9560.55",
        "current": "9501.00",
        "pnl_pct": "-0.62",  # -59.55 / 9560.55 * 100 = -0.6229
        "holdings": 2,
        "problems": [],
    }
    assert result.rows[0] == {
        **rows[0],
        "quote_instrument": [1, 1],
        "ltp": "110.10",
        "invested": "1000.05",
        "current": "1101.00",
        "pnl": "100.95",
        "pnl_pct": "10.09",  # 100.95 / 1000.05 * 100 = 10.0945
    }
    assert result.rows[1] == {
        **rows[1],
        "quote_instrument": [11, 2],
        "ltp": "2800",
        "invested": "8560.50",
        "current": "8400.00",
        "pnl": "-160.50",
        "pnl_pct": "-1.87",
    }


def test_a_single_share_priced_under_one_rupee_is_a_pass() -> None:
    row = holding("INE1", "1", "0.40", nse=7, symbol="PENNY")
    result = evaluate([row], {(1, 7): Decimal("0.50")})
    assert result.check() == {
        "status": "pass",
        "detail": "1 holdings priced from live LTP: total P&L 0.10 on 0.40 invested",
        "total_pnl": "0.10",
        "invested": "0.40",
        "current": "0.50",
        "pnl_pct": "25.00",
        "holdings": 1,
        "problems": [],
    }
    assert result.rows[0]["current"] == "0.50" and result.rows[0]["pnl_pct"] == "25.00"


def test_a_failed_check_states_no_total_and_names_what_failed() -> None:
    rows = [
        holding("INE1", "1", "100", nse=1, symbol="AAA"),
        holding("INE2", "4", "10", nse=2, symbol="OK"),
        holding("INE3", "0", "5", nse=9, symbol="SOLD"),
    ]
    result = evaluate(rows, {(1, 2): Decimal("12")}, ["INE4", "7"])
    assert result.check() == {
        "status": "fail",
        "detail": "3 of 4 holdings could not be read or priced from live quotes",
        "total_pnl": None,
        "invested": None,
        "current": None,
        "pnl_pct": None,
        "holdings": 3,
        "problems": [
            "INE4: holdings row could not be read",
            "7: holdings row could not be read",
            "AAA: no quote for segment 1 id 1",
        ],
    }
    # the priced holding keeps its own figures; the totals hold only what was priced
    assert result.rows[1]["current"] == "48.00" and result.rows[1]["pnl"] == "8.00"
    assert (result.invested, result.current) == (Decimal(40), Decimal(48))


@pytest.mark.parametrize(
    ("row", "ltp", "problem"),
    [
        (holding("I1", "5", "10", symbol="CCC"), {}, "CCC: no NSE or BSE instrument id to quote"),
        (
            holding("I1", "5", "10", nse=2885, symbol="CCC"),
            {},
            "CCC: no quote for segment 1 id 2885",
        ),
        (
            holding("I1", "5", "10", bse=543877, symbol="CCC"),
            {},
            "CCC: no quote for segment 11 id 543877",
        ),
        (holding("I1", "5", "10", nse=1, symbol="CCC"), {(1, 1): Decimal(0)}, "CCC: LTP is 0"),
        (
            holding("I1", "5", "10", nse=1, symbol="CCC"),
            {(1, 1): Decimal("-1.5")},
            "CCC: LTP is -1.5",
        ),
        (
            holding("I1", "5", None, nse=1, symbol="CCC"),
            {(1, 1): Decimal(9)},
            "CCC: no buy average price",
        ),
        (holding("INE9", "5", "10", nse=1), {}, "INE9: no quote for segment 1 id 1"),
        ({"quantity": "5", "buy_avg_price": "10"}, {}, "?: no NSE or BSE instrument id to quote"),
    ],
    ids=["no-id", "nse", "bse", "ltp-0", "ltp-negative", "no-average", "isin", "unnamed"],
)
def test_each_unpriced_holding_is_named_with_its_reason(
    row: dict[str, object], ltp: dict[tuple[int, int], Decimal], problem: str
) -> None:
    result = evaluate([row], ltp)
    assert result.status == "fail"
    assert result.problems == [problem]
    assert result.detail == "1 of 1 holdings could not be read or priced from live quotes"


def test_an_unpriced_row_shows_what_it_lacks_as_null() -> None:
    no_id = holding("I1", "5", "10", symbol="A")
    zero = holding("I2", "5", "10", nse=1, symbol="B")
    no_avg = holding("I3", "5", None, nse=2, symbol="C")
    result = evaluate([no_id, zero, no_avg], {(1, 1): Decimal(0), (1, 2): Decimal("7.5")})
    figures = ("quote_instrument", "ltp", "invested", "current", "pnl", "pnl_pct")
    assert [[r[k] for k in figures] for r in result.rows] == [
        [None, None, "50.00", None, None, None],
        [[1, 1], "0", "50.00", None, None, None],  # an LTP of 0 is no current value
        [[1, 2], "7.5", None, "37.50", None, None],
    ]


def test_a_single_share_without_a_quote_fails_the_check() -> None:
    result = evaluate([holding("INE1", "1", "10", nse=1, symbol="ONE")], {})
    assert result.status == "fail" and result.problems == ["ONE: no quote for segment 1 id 1"]


def test_no_holdings_to_price_states_a_zero_total_and_nothing_else() -> None:
    expected: dict[str, object] = {
        "status": "not_applicable",
        "detail": "no holdings with quantity > 0",
        "total_pnl": "0.00",
        "invested": None,
        "current": None,
        "pnl_pct": None,
        "problems": [],
    }
    assert evaluate([], {}).check() == {**expected, "holdings": 0}
    sold = evaluate([holding("INE1", "0", "1", nse=1)], {})
    assert sold.check() == {**expected, "holdings": 1}


def test_huge_broker_numbers_give_exact_figures_everywhere() -> None:
    # 18-digit values (the most the models accept): every product, sum and ratio is exact,
    # and the check's total is the rows' and the detail's, to the paisa
    row = holding("INE1", "999999999999999999", "0.000000000000000001", nse=1, symbol="BIG")
    result = evaluate([row], {(1, 1): Decimal("999999999999999999.99")})
    total = "999999999999999998989999999999999999.01"
    assert result.rows[0]["current"] == "999999999999999998990000000000000000.01"
    assert result.rows[0]["pnl"] == total
    check = result.check()
    assert check["total_pnl"] == total and f"total P&L {total} on 1.00 invested" in check["detail"]
    assert check["pnl_pct"] == "99999999999999999998999999999999999900.00"
