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
