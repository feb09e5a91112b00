"""The IV2 matching rules (iv2.py): the broker's normalised, redacted rows against the rows the
application's Jainam XTS adapter emits, read as the harness reads them (``openalgo.read_book``).
Each table pins what ties two rows, what is a difference and what the check says about it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from jainam_validate.iv2 import (
    COMPARERS,
    SHOWN,
    Comparison,
    Difference,
    compare_holdings,
    compare_positions,
    compare_trades,
)
from jainam_validate.openalgo import AppBook, read_book
from jainam_validate.verdict import Status
from jainam_validate.xts import Flow

ORDER = "order_5eeafe7b"
OTHER_ORDER = "order_0c1d2e3f"
RELIANCE_ISIN = "INE002A01018"
TCS_ISIN = "INE467B01029"
NO_TOKENS: dict[tuple[str, str], int | None] = {}


# -- builders -------------------------------------------------------------------------------
def position(
    symbol: str | None = "RELIANCE-EQ",
    iid: int | None = 2885,
    segment: str = "NSECM",
    product: str | None = "MIS",
    quantity: Any = "-60",
    buy: Any = "2440.10",
    sell: Any = "2443.05",
) -> dict[str, Any]:
    """A broker position row as the pass's samples hold it."""
    return {
        "segment": segment,
        "instrument_id": iid,
        "symbol": symbol,
        "product": product,
        "quantity": quantity,
        "buy_avg_price": buy,
        "sell_avg_price": sell,
    }


def app_position(
    symbol: str = "RELIANCE-EQ",
    exchange: str = "NSE",
    product: str | None = "MIS",
    quantity: Any = "-60",
    average_price: Any = "2443.05",
) -> dict[str, Any]:
    """A position row as the adapter emits it (ltp and pnl always 0)."""
    return {
        "symbol": symbol,
        "exchange": exchange,
        "product": product,
        "quantity": quantity,
        "average_price": average_price,
        "ltp": 0.0,
        "pnl": 0.0,
    }


def positions_book(*rows: Any) -> AppBook:
    return read_book(Flow.APP_POSITIONS, list(rows))


def holding(
    isin: str = RELIANCE_ISIN,
    symbol: str | None = "RELIANCE",
    nse_id: int | None = 2885,
    quantity: Any = "10",
    avg: Any = "2443.05",
) -> dict[str, Any]:
    return {
        "isin": isin,
        "symbol": symbol,
        "nse_instrument_id": nse_id,
        "quantity": quantity,
        "buy_avg_price": avg,
    }


def app_holding(symbol: str = "RELIANCE", quantity: Any = 10) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "exchange": "NSE",
        "product": "CNC",
        "quantity": quantity,
        "pnl": 0,
        "pnlpercent": 0,
    }


def holdings_book(*rows: Any, total: Any = None) -> AppBook:
    data: dict[str, Any] = {"holdings": list(rows)}
    if total is not None:
        data["statistics"] = {
            "totalholdingvalue": 0,
            "totalinvvalue": total,
            "totalprofitandloss": 0,
            "totalpnlpercentage": 0,
        }
    return read_book(Flow.APP_HOLDINGS, data)


def fill(
    order: str = ORDER,
    quantity: Any = "10",
    side: str | None = "BUY",
    product: str | None = "MIS",
    iid: int | None = 2885,
    symbol: str | None = "RELIANCE-EQ",
    segment: str = "NSECM",
) -> dict[str, Any]:
    """A broker trade-book row: one fill of an order."""
    return {
        "order": order,
        "segment": segment,
        "instrument_id": iid,
        "symbol": symbol,
        "side": side,
        "product": product,
        "quantity": quantity,
    }


def app_trade(
    orderid: str = ORDER,
    quantity: Any = 30,
    action: str = "Buy",
    product: str | None = "MIS",
    symbol: str = "RELIANCE-EQ",
    exchange: str = "NSE",
) -> dict[str, Any]:
    """An application trade row: one per broker fill, carrying the ORDER's quantity."""
    return {
        "symbol": symbol,
        "exchange": exchange,
        "product": product,
        "action": action,
        "quantity": quantity,
        "average_price": 2443.05,
        "orderid": orderid,
        "timestamp": "10:15:00 30-11-2026",
    }


def trades_book(*rows: Any) -> AppBook:
    return read_book(Flow.APP_TRADEBOOK, list(rows))


# -- positions ------------------------------------------------------------------------------
def test_positions_exact_match_passes_and_names_the_count() -> None:
    broker = [
        position(),
        position(symbol="INFY-EQ", iid=1594, product="NRML", quantity="25", buy="1500.50"),
    ]
    app = positions_book(
        app_position(),
        app_position(symbol="INFY-EQ", product="NRML", quantity="25", average_price="1500.50"),
    )
    out = compare_positions(broker, app, NO_TOKENS)
    assert (out.matched, out.differences, out.only_broker, out.only_app) == (2, [], [], [])
    result = out.check()
    assert result.status == Status.PASS
    assert result.status == "pass"
    assert result.detail == "2 positions match the broker's"


def test_positions_quantity_difference_names_symbol_exchange_field_and_both_values() -> None:
    out = compare_positions([position()], positions_book(app_position(quantity="-50")), NO_TOKENS)
    assert out.matched == 0
    assert out.differences == [Difference("RELIANCE-EQ MIS", "NSE", "quantity", "-60", "-50")]
    result = out.check()
    assert result.status == "fail"
    assert result.detail == (
        "1 difference(s), 0 matched: RELIANCE-EQ MIS (NSE) quantity: broker -60, app -50"
    )


@pytest.mark.parametrize(
    ("broker_qty", "app_qty", "app_avg"),
    [
        (Decimal(-60), "-60", "2443.05"),
        (Decimal(1200), "1,200", "2440.10"),
        (Decimal(42), " 42 ", "2440.10"),
        ("1,200", 1200, "2440.10"),
        ("-60", -60.0, "2443.05"),
    ],
)
def test_positions_quantity_text_on_either_side_equals_the_number(
    broker_qty: Any, app_qty: Any, app_avg: str
) -> None:
    out = compare_positions(
        [position(quantity=broker_qty)],
        positions_book(app_position(quantity=app_qty, average_price=app_avg)),
        NO_TOKENS,
    )
    assert out.differences == []
    assert out.matched == 1
    assert out.check().status == "pass"


@pytest.mark.parametrize("broker_qty", ["0", Decimal(0), 0, "-0.00"])
def test_flat_position_ignores_the_brokers_nonzero_averages(broker_qty: Any) -> None:
    broker = [position(quantity=broker_qty, buy="2440.10", sell="2443.05")]
    app = positions_book(app_position(quantity="0", average_price="0.00"))
    out = compare_positions(broker, app, NO_TOKENS)
    assert out.differences == []
    assert out.matched == 1


def test_flat_position_with_an_app_average_is_a_difference() -> None:
    out = compare_positions(
        [position(quantity="0")],
        positions_book(app_position(quantity="0", average_price="2440.10")),
        NO_TOKENS,
    )
    assert out.differences == [Difference("RELIANCE-EQ MIS", "NSE", "average_price", "0", "2440.1")]


@pytest.mark.parametrize(
    ("quantity", "app_avg", "broker_avg_shown"),
    [
        ("10", "2440.10", None),  # long: the buy average
        ("10", "2443.05", "2440.1"),  # long shown with the sell average
        ("-10", "2443.05", None),  # short: the sell average
        ("-10", "2440.10", "2443.05"),  # short shown with the buy average
    ],
)
def test_open_side_average_long_buy_short_sell(
    quantity: str, app_avg: str, broker_avg_shown: str | None
) -> None:
    out = compare_positions(
        [position(quantity=quantity, buy="2440.10", sell="2443.05")],
        positions_book(app_position(quantity=quantity, average_price=app_avg)),
        NO_TOKENS,
    )
    if broker_avg_shown is None:
        assert out.differences == []
        assert out.matched == 1
    else:
        assert out.differences == [
            Difference(
                "RELIANCE-EQ MIS",
                "NSE",
                "average_price",
                broker_avg_shown,
                str(Decimal(app_avg).normalize()),
            )
        ]
        assert out.matched == 0


@pytest.mark.parametrize(
    ("broker_avg", "app_avg", "equal"),
    [
        (Decimal("2443.050"), "2443.05", True),
        ("2443.05", "2443.050", True),
        (Decimal("2443.0549"), "2443.05", True),  # below a paisa: the same two decimals
        ("2,443.05", "2443.05", True),
        (Decimal("2443.06"), "2443.05", False),
        ("2443.05", "2443.04", False),
    ],
)
def test_average_compared_to_two_decimals(broker_avg: Any, app_avg: str, equal: bool) -> None:
    out = compare_positions(
        [position(quantity="-60", sell=broker_avg)],
        positions_book(app_position(quantity="-60", average_price=app_avg)),
        NO_TOKENS,
    )
    assert (out.differences == []) is equal
    if not equal:
        assert [d.field for d in out.differences] == ["average_price"]


def test_an_average_missing_on_one_side_is_a_difference_not_a_skip() -> None:
    out = compare_positions(
        [position()], positions_book(app_position(average_price=None)), NO_TOKENS
    )
    assert out.differences == [
        Difference("RELIANCE-EQ MIS", "NSE", "average_price", "2443.05", "missing")
    ]
    assert out.matched == 0


@pytest.mark.parametrize(
    ("segment", "exchange"), [("NSECM", "NSE"), ("NSEFO", "NFO"), ("BSECM", "BSE")]
)
def test_app_symbol_equal_to_the_trading_symbol_ties_without_tokens(
    segment: str, exchange: str
) -> None:
    out = compare_positions(
        [position(segment=segment)],
        positions_book(app_position(exchange=exchange)),
        NO_TOKENS,
    )
    assert out.matched == 1
    assert (out.only_app, out.only_broker) == ([], [])


def test_trading_symbol_ties_only_on_the_same_exchange() -> None:
    out = compare_positions(
        [position(segment="NSECM")], positions_book(app_position(exchange="BSE")), NO_TOKENS
    )
    assert out.matched == 0
    assert out.only_broker == ["RELIANCE-EQ MIS (NSE)"]
    assert out.only_app == ["RELIANCE-EQ MIS (BSE)"]


def test_app_symbol_resolved_by_tokens_ties_and_is_named_by_the_broker() -> None:
    out = compare_positions(
        [position()],
        positions_book(app_position(symbol="RELIANCE", quantity="-61")),
        {("RELIANCE", "NSE"): 2885},
    )
    assert (out.only_app, out.only_broker) == ([], [])
    assert out.differences == [Difference("RELIANCE-EQ MIS", "NSE", "quantity", "-60", "-61")]


@pytest.mark.parametrize(
    "tokens",
    [
        {},
        {("RELIANCE", "NSE"): None},  # the application did not know it
        {("RELIANCE", "NSE"): 9999},  # another instrument
        {("RELIANCE", "BSE"): 2885},  # the token of another exchange
        {("RELIANCE-EQ", "NSE"): 2885},  # another symbol's token
    ],
)
def test_unresolved_app_symbol_is_only_in_the_app(
    tokens: dict[tuple[str, str], int | None],
) -> None:
    out = compare_positions([position()], positions_book(app_position(symbol="RELIANCE")), tokens)
    assert out.matched == 0
    assert out.differences == []
    assert out.only_app == ["RELIANCE MIS (NSE)"]
    assert out.only_broker == ["RELIANCE-EQ MIS (NSE)"]
    detail = out.check().detail
    assert "RELIANCE MIS (NSE): in the app, not at the broker" in detail
    assert "RELIANCE-EQ MIS (NSE): at the broker, not in the app" in detail


def test_broker_row_without_an_instrument_id_ties_by_its_symbol() -> None:
    out = compare_positions([position(iid=None)], positions_book(app_position()), NO_TOKENS)
    assert out.matched == 1


def test_same_instrument_with_another_product_is_not_a_match() -> None:
    out = compare_positions(
        [position(product="MIS")], positions_book(app_position(product="NRML")), NO_TOKENS
    )
    assert out.matched == 0
    assert out.only_broker == ["RELIANCE-EQ MIS (NSE)"]
    assert out.only_app == ["RELIANCE-EQ NRML (NSE)"]


def test_two_broker_rows_shown_as_one_are_a_difference_even_when_quantities_sum() -> None:
    broker = [
        position(quantity="30", buy="100.00"),
        position(quantity="30", buy="110.00"),
    ]
    # the sums agree, but one row cannot show two averages: never a silent pass
    out = compare_positions(
        broker, positions_book(app_position(quantity="60", average_price="105.00")), NO_TOKENS
    )
    assert out.differences == [Difference("RELIANCE-EQ MIS", "NSE", "rows", "2", "1")]
    assert out.matched == 0


def test_rows_a_side_equal_in_number_are_compared_row_by_row() -> None:
    broker = [position(quantity="30", buy="100.00"), position(quantity="30", buy="110.00")]
    same = positions_book(
        app_position(quantity="30", average_price="110.00"),
        app_position(quantity="30", average_price="100.00"),
    )
    assert compare_positions(broker, same, NO_TOKENS).differences == []
    other = positions_book(
        app_position(quantity="30", average_price="100.00"),
        app_position(quantity="30", average_price="999.00"),
    )
    (diff,) = compare_positions(broker, other, NO_TOKENS).differences
    assert (diff.field, diff.broker, diff.app) == ("average_price", "110", "999")


def test_duplicate_app_rows_sum_and_a_short_sum_is_a_difference() -> None:
    app = positions_book(app_position(quantity="-20"), app_position(quantity="-30"))
    out = compare_positions([position(quantity="-60")], app, NO_TOKENS)
    assert out.differences == [
        Difference("RELIANCE-EQ MIS", "NSE", "quantity", "-60", "-50"),
        Difference("RELIANCE-EQ MIS", "NSE", "rows", "1", "2"),
    ]


def test_unreadable_app_rows_fail_the_check_by_index() -> None:
    app = positions_book(
        app_position(),
        {"exchange": "NSE", "product": "MIS", "quantity": "1"},  # no symbol
        app_position(symbol="INFY-EQ", quantity="abc"),
    )
    assert app.unreadable == [1, 2]
    out = compare_positions([position()], app, NO_TOKENS)
    assert out.matched == 1
    assert out.unreadable == [1, 2]
    result = out.check()
    assert result.status == "fail"
    assert result.detail == "1 difference(s), 1 matched: 2 application rows could not be read"


def test_positions_empty_on_both_sides_pass() -> None:
    result = compare_positions([], positions_book(), NO_TOKENS).check()
    assert (result.status, result.detail) == ("pass", "0 positions match the broker's")


# -- holdings -------------------------------------------------------------------------------
def test_app_symbol_as_isin_ties_to_the_holding() -> None:
    out = compare_holdings(
        [holding(symbol="RELIANCE-EQ", nse_id=None)],
        holdings_book(app_holding(symbol=RELIANCE_ISIN)),
        NO_TOKENS,
    )
    assert out.matched == 1
    assert (out.differences, out.only_app, out.only_broker) == ([], [], [])


@pytest.mark.parametrize(
    ("tokens", "ties"),
    [
        ({("RELIANCE", "NSE"): 2885}, True),
        ({}, False),  # no token, and the broker names it otherwise
        ({("RELIANCE", "NSE"): 1594}, False),  # the token of another instrument
    ],
)
def test_app_symbol_resolved_via_tokens_to_the_nse_instrument_id(
    tokens: dict[tuple[str, str], int | None], ties: bool
) -> None:
    out = compare_holdings(
        [holding(symbol="RELIANCE-EQ", nse_id=2885)],
        holdings_book(app_holding(symbol="RELIANCE")),
        tokens,
    )
    assert out.matched == int(ties)
    if not ties:
        assert out.only_app == ["RELIANCE (NSE)"]
        assert out.only_broker == [f"RELIANCE-EQ (ISIN {RELIANCE_ISIN})"]


def test_app_symbol_equal_to_the_brokers_name_ties_without_a_token() -> None:
    out = compare_holdings(
        [holding(symbol="RELIANCE", nse_id=None)],
        holdings_book(app_holding(symbol="RELIANCE")),
        {("RELIANCE", "NSE"): None},
    )
    assert out.matched == 1


@pytest.mark.parametrize(("broker_qty", "app_qty"), [("10", 10), (Decimal(1200), "1,200")])
def test_holding_quantity_equal_in_any_spelling(broker_qty: Any, app_qty: Any) -> None:
    out = compare_holdings(
        [holding(quantity=broker_qty)], holdings_book(app_holding(quantity=app_qty)), NO_TOKENS
    )
    assert out.differences == []
    assert out.matched == 1


def test_stale_holding_quantity_names_the_holding() -> None:
    out = compare_holdings(
        [holding(quantity="10")], holdings_book(app_holding(quantity=8)), NO_TOKENS
    )
    assert out.matched == 0
    assert out.differences == [Difference("RELIANCE", "NSE", "quantity", "10", "8")]
    assert "RELIANCE (NSE) quantity: broker 10, app 8" in out.check().detail


TWO_HOLDINGS = [
    holding(),  # 10 x 2443.05 = 24430.50
    holding(isin=TCS_ISIN, symbol="TCS", nse_id=11536, quantity="5", avg="100.10"),  # 500.50
]  # cost 24931.00; two rows: two paise of rounding allowed


@pytest.mark.parametrize(
    ("total", "passes"),
    [
        ("24,931.00", True),
        (24931, True),
        ("24931.02", True),
        ("24930.98", True),
        ("24931.03", False),
        ("24930.97", False),
        ("25931.00", False),
    ],
)
def test_cost_total_against_quantity_times_average(total: Any, passes: bool) -> None:
    app = holdings_book(app_holding(), app_holding(symbol="TCS", quantity=5), total=total)
    out = compare_holdings(TWO_HOLDINGS, app, NO_TOKENS)
    assert out.matched == 2
    result = out.check()
    assert result.status == ("pass" if passes else "fail")
    if not passes:
        [diff] = out.differences
        assert (diff.item, diff.exchange, diff.field) == (
            "all holdings",
            "-",
            "cost (statistics.totalinvvalue)",
        )
        assert diff.broker == "24931"
        assert "cost" in result.detail


def test_holding_missing_at_the_app_is_only_at_the_broker() -> None:
    out = compare_holdings(TWO_HOLDINGS, holdings_book(app_holding()), NO_TOKENS)
    assert out.matched == 1
    assert out.only_broker == [f"TCS (ISIN {TCS_ISIN})"]
    assert f"TCS (ISIN {TCS_ISIN}): at the broker, not in the app" in out.check().detail


def test_broker_holding_matched_twice_counts_the_second_as_app_only() -> None:
    app = holdings_book(app_holding(symbol=RELIANCE_ISIN), app_holding(symbol="RELIANCE"))
    out = compare_holdings([holding()], app, {("RELIANCE", "NSE"): 2885})
    assert out.matched == 1
    assert out.only_app == ["RELIANCE (NSE)"]
    assert out.only_broker == []


@pytest.mark.parametrize(
    "broker",
    [
        [holding(avg=None)],
        [holding(), holding(isin=TCS_ISIN, symbol="TCS", nse_id=11536, avg="NaN")],
    ],
)
def test_holdings_without_an_average_skip_the_cost(broker: list[dict[str, Any]]) -> None:
    app = holdings_book(*(app_holding(symbol=str(r["symbol"])) for r in broker), total="1.00")
    out = compare_holdings(broker, app, NO_TOKENS)
    assert out.differences == []
    assert out.check().status == "pass"


def test_no_statistics_at_the_app_is_said_not_silently_skipped() -> None:
    out = compare_holdings([holding()], holdings_book(app_holding()), NO_TOKENS)
    check = out.check()
    assert check.status == "pass"  # the quantities were compared and agree
    assert "the cost total was not compared: the application gave no statistics" in check.detail
    assert out.document()["notes"] == [
        "the cost total was not compared: the application gave no statistics"
    ]


def test_unreadable_holding_rows_fail() -> None:
    app = holdings_book(app_holding(), {"symbol": "TCS", "quantity": "abc"})
    out = compare_holdings([holding()], app, NO_TOKENS)
    assert out.unreadable == [1]
    assert out.matched == 1
    assert out.check().status == "fail"


# -- trade book -----------------------------------------------------------------------------
def test_partial_fills_pass_and_the_orders_quantity_is_not_compared_per_fill() -> None:
    broker = [fill(quantity="10"), fill(quantity="20"), fill(quantity="30")]
    app = trades_book(*(app_trade(quantity=60) for _ in range(3)))
    out = compare_trades(broker, app, NO_TOKENS)
    assert out.differences == []
    assert out.matched == 1
    result = out.check()
    assert (result.status, result.detail) == ("pass", "1 orders match the broker's")


def test_a_missing_fill_is_a_fills_difference() -> None:
    broker = [fill(quantity="10"), fill(quantity="20"), fill(quantity="30")]
    out = compare_trades(broker, trades_book(app_trade(), app_trade()), NO_TOKENS)
    assert out.differences == [Difference(f"order {ORDER}", "NSE", "fills", "3", "2")]
    assert out.matched == 0


def test_orders_only_at_the_broker_and_only_in_the_app() -> None:
    broker = [fill(order=ORDER), fill(order=ORDER)]
    out = compare_trades(broker, trades_book(app_trade(orderid=OTHER_ORDER)), NO_TOKENS)
    assert out.matched == 0
    assert out.only_broker == [f"order {ORDER} (2 fills)"]
    assert out.only_app == [f"order {OTHER_ORDER} (1 rows)"]
    detail = out.check().detail
    assert f"order {ORDER} (2 fills): at the broker, not in the app" in detail
    assert f"order {OTHER_ORDER} (1 rows): in the app, not at the broker" in detail


@pytest.mark.parametrize(
    ("side", "action", "difference"),
    [
        ("BUY", "Buy", None),
        ("BUY", "BUY", None),
        ("SELL", "sell", None),
        ("Sell", "SELL", None),
        ("BUY", "Sell", ("BUY", "SELL")),
        ("SELL", "Buy", ("SELL", "BUY")),
        (None, "Buy", ("-", "BUY")),
        ("BUY", "", ("BUY", "-")),
    ],
)
def test_side_is_compared_case_insensitively(
    side: str | None, action: str, difference: tuple[str, str] | None
) -> None:
    out = compare_trades([fill(side=side)], trades_book(app_trade(action=action)), NO_TOKENS)
    if difference is None:
        assert out.differences == []
        assert out.matched == 1
    else:
        assert out.differences == [Difference(f"order {ORDER}", "NSE", "side", *difference)]


def test_product_difference() -> None:
    out = compare_trades([fill(product="MIS")], trades_book(app_trade(product="CNC")), NO_TOKENS)
    assert out.differences == [Difference(f"order {ORDER}", "NSE", "product", "MIS", "CNC")]


@pytest.mark.parametrize(
    ("symbol", "exchange", "tokens", "same"),
    [
        ("RELIANCE-EQ", "NSE", {}, True),
        ("RELIANCE", "NSE", {("RELIANCE", "NSE"): 2885}, True),
        ("INFY", "NSE", {("INFY", "NSE"): 1594}, False),  # resolves to another instrument
        ("RELIANCE", "NSE", {}, False),  # unresolvable
        ("RELIANCE-EQ", "BSE", {("RELIANCE-EQ", "BSE"): 2885}, False),  # another exchange
    ],
)
def test_instrument_is_compared_by_id(
    symbol: str, exchange: str, tokens: dict[tuple[str, str], int | None], same: bool
) -> None:
    out = compare_trades([fill()], trades_book(app_trade(symbol=symbol, exchange=exchange)), tokens)
    if same:
        assert out.differences == []
    else:
        assert out.differences == [
            Difference(
                f"order {ORDER}",
                "NSE",
                "instrument",
                "RELIANCE-EQ (NSE)",
                f"{symbol} ({exchange})",
            )
        ]


def test_fill_without_an_instrument_id_ties_by_its_trading_symbol() -> None:
    out = compare_trades([fill(iid=None)], trades_book(app_trade()), NO_TOKENS)
    assert out.differences == []


def test_every_order_is_judged_on_its_own() -> None:
    broker = [fill(order=ORDER), fill(order=OTHER_ORDER, side="SELL")]
    app = trades_book(app_trade(orderid=ORDER), app_trade(orderid=OTHER_ORDER, action="Buy"))
    out = compare_trades(broker, app, NO_TOKENS)
    assert out.matched == 1
    assert out.differences == [Difference(f"order {OTHER_ORDER}", "NSE", "side", "SELL", "BUY")]


# -- Comparison.check() and document() ------------------------------------------------------
def _diff(n: int) -> Difference:
    return Difference(f"SYM{n}", "NSE", "quantity", str(n), str(n + 1))


def test_check_shows_at_most_three_problems_then_how_many_more() -> None:
    out = Comparison(
        "positions",
        matched=4,
        differences=[_diff(1), _diff(2)],
        only_broker=["B MIS (NSE)"],
        only_app=["A MIS (NSE)"],
        unreadable=[7],
    )
    result = out.check()
    assert result.status == "fail"
    assert result.detail == (
        "5 difference(s), 4 matched: SYM1 (NSE) quantity: broker 1, app 2; "
        "SYM2 (NSE) quantity: broker 2, app 3; B MIS (NSE): at the broker, not in the app"
        "; and 2 more"
    )
    assert SHOWN == 3


def test_check_with_exactly_three_problems_says_no_more() -> None:
    result = Comparison("holdings", differences=[_diff(1), _diff(2), _diff(3)]).check()
    assert result.detail.startswith("3 difference(s), 0 matched: ")
    assert "more" not in result.detail
    assert "SYM3 (NSE)" in result.detail


@pytest.mark.parametrize(
    ("book", "detail"),
    [
        ("positions", "3 positions match the broker's"),
        ("holdings", "3 holdings match the broker's"),
        ("tradebook", "3 orders match the broker's"),
    ],
)
def test_check_passes_with_the_books_noun(book: str, detail: str) -> None:
    result = Comparison(book, matched=3).check()
    assert (result.status, result.detail) == ("pass", detail)


def test_document_records_everything() -> None:
    out = Comparison(
        "tradebook",
        matched=2,
        differences=[Difference("order x", "NSE", "fills", "3", "2")],
        only_broker=["order y (1 fills)"],
        only_app=["order z (2 rows)"],
        unreadable=[0, 4],
    )
    assert out.document() == {
        "matched": 2,
        "differences": [
            {"item": "order x", "exchange": "NSE", "field": "fills", "broker": "3", "app": "2"}
        ],
        "only_broker": ["order y (1 fills)"],
        "only_app": ["order z (2 rows)"],
        "unreadable_app_rows": [0, 4],
        "notes": [],
    }
    doc = out.document()
    doc["only_app"].append("mutated")
    assert out.only_app == ["order z (2 rows)"]  # a copy, not the comparison's own list


def test_comparers_cover_the_three_books() -> None:
    assert COMPARERS == {
        "positions": compare_positions,
        "holdings": compare_holdings,
        "tradebook": compare_trades,
    }


# -- hostile and odd inputs -----------------------------------------------------------------
HOSTILE = ["EVIL|SYM", "LINE\nBREAK", "**bold** [x](http://e.invalid)", "<b>|</b>\r\n# h"]


@pytest.mark.parametrize("symbol", HOSTILE)
def test_hostile_symbol_ties_as_data(symbol: str) -> None:
    out = compare_positions(
        [position(symbol=symbol)], positions_book(app_position(symbol=symbol)), NO_TOKENS
    )
    assert out.matched == 1
    assert out.check().status == "pass"


@pytest.mark.parametrize("symbol", HOSTILE)
def test_hostile_symbol_is_named_as_given(symbol: str) -> None:
    positions = compare_positions([], positions_book(app_position(symbol=symbol)), NO_TOKENS)
    assert positions.only_app == [f"{symbol} MIS (NSE)"]
    assert f"{symbol} MIS (NSE): in the app, not at the broker" in positions.check().detail

    holdings = compare_holdings([], holdings_book(app_holding(symbol=symbol)), NO_TOKENS)
    assert holdings.only_app == [f"{symbol} (NSE)"]

    broker = [fill(order=symbol, symbol=symbol, iid=None)]
    trades = compare_trades(broker, trades_book(), NO_TOKENS)
    assert trades.only_broker == [f"order {symbol} (1 fills)"]
    assert f"order {symbol} (1 fills): at the broker, not in the app" in trades.check().detail


def test_hostile_quantity_difference_is_named_as_given() -> None:
    symbol = "A|B\nC"
    out = compare_positions(
        [position(symbol=symbol, quantity="5")],
        positions_book(app_position(symbol=symbol, quantity="6", average_price="2440.10")),
        NO_TOKENS,
    )
    assert out.check().detail.endswith(f"{symbol} MIS (NSE) quantity: broker 5, app 6")


def test_quantity_too_large_to_read_at_the_app_is_unreadable_not_matched() -> None:
    huge = "123456789012345678901"
    app = positions_book(app_position(quantity=huge))
    assert app.unreadable == [0]
    out = compare_positions([position(quantity=Decimal(huge))], app, NO_TOKENS)
    assert out.matched == 0
    assert out.only_broker == ["RELIANCE-EQ MIS (NSE)"]
    assert out.check().status == "fail"


@pytest.mark.parametrize("big", ["123456789012345678", "-999999999999999999"])
def test_large_readable_quantities_compare_exactly(big: str) -> None:
    avg = "2440.10" if not big.startswith("-") else "2443.05"
    same = compare_positions(
        [position(quantity=Decimal(big))],
        positions_book(app_position(quantity=big, average_price=avg)),
        NO_TOKENS,
    )
    assert same.differences == []
    off_by_one = compare_positions(
        [position(quantity=Decimal(big) + 1)],
        positions_book(app_position(quantity=big, average_price=avg)),
        NO_TOKENS,
    )
    assert [d.field for d in off_by_one.differences] == ["quantity"]
    assert off_by_one.differences[0].app == big


def test_large_holding_quantities() -> None:
    big = "123456789012345678"
    out = compare_holdings(
        [holding(quantity=big, avg="1")],
        holdings_book(app_holding(quantity=big), total=big),
        NO_TOKENS,
    )
    assert out.check().status == "pass"


@pytest.mark.parametrize(
    ("broker_qtys", "app_qtys", "broker_told", "app_told"),
    [
        (["123456789012345678901"], ["0"], "unreadable", "0"),  # past 18 digits
        ([None], ["0"], "unreadable", "0"),
        (["abc"], ["0"], "unreadable", "0"),
        (["5", "NaN"], ["5"], "5, unreadable", "5"),  # one unreadable row of two
    ],
)
def test_unreadable_broker_quantity_is_never_taken_for_a_flat_position(
    broker_qtys: list[Any], app_qtys: list[str], broker_told: str, app_told: str
) -> None:
    broker = [position(quantity=q) for q in broker_qtys]
    app = positions_book(*(app_position(quantity=q, average_price="0.00") for q in app_qtys))
    out = compare_positions(broker, app, NO_TOKENS)
    assert out.matched == 0
    assert out.differences == [
        Difference("RELIANCE-EQ MIS", "NSE", "quantity", broker_told, app_told)
    ]
    assert out.check().status == "fail"


def test_unreadable_broker_holding_quantity_is_a_difference() -> None:
    out = compare_holdings(
        [holding(quantity="123456789012345678901")],
        holdings_book(app_holding(quantity=0)),
        NO_TOKENS,
    )
    assert out.differences == [Difference("RELIANCE", "NSE", "quantity", "-", "0")]


@pytest.mark.parametrize(
    ("broker_qty", "app_qty", "app_avg"),
    [(Decimal(0), "-0", "-0.00"), ("-0.00", "0", "0.00"), ("-0", "-0.00", "-0.00")],
)
def test_negative_zero_is_zero(broker_qty: Any, app_qty: str, app_avg: str) -> None:
    out = compare_positions(
        [position(quantity=broker_qty)],
        positions_book(app_position(quantity=app_qty, average_price=app_avg)),
        NO_TOKENS,
    )
    assert out.differences == []
    assert out.matched == 1


def test_negative_zero_cost_total_equals_an_empty_book() -> None:
    out = compare_holdings([], holdings_book(total="-0.00"), NO_TOKENS)
    assert out.check().status == "pass"


def test_negative_zero_average_on_an_open_position_is_a_difference() -> None:
    out = compare_positions(
        [position(quantity="-60")],
        positions_book(app_position(quantity="-60", average_price="-0.00")),
        NO_TOKENS,
    )
    assert [(d.field, d.broker) for d in out.differences] == [("average_price", "2443.05")]


def test_every_fill_of_an_order_counts_not_only_the_first() -> None:
    # the app's second row of the order says SELL: a difference, though the first row agrees
    broker = [fill(), fill()]
    out = compare_trades(broker, trades_book(app_trade(), app_trade(action="Sell")), NO_TOKENS)
    assert [(d.field, d.broker, d.app) for d in out.differences] == [("side", "BUY", "BUY/SELL")]
    out = compare_trades(broker, trades_book(app_trade(), app_trade(product="NRML")), NO_TOKENS)
    assert [(d.field, d.broker, d.app) for d in out.differences] == [("product", "MIS", "MIS/NRML")]


def test_a_second_fill_on_another_instrument_is_a_difference() -> None:
    app = trades_book(app_trade(), app_trade(symbol="INFY-EQ"))
    out = compare_trades([fill(), fill()], app, NO_TOKENS)
    (diff,) = out.differences
    assert diff.field == "instrument" and "INFY-EQ (NSE)" in diff.app
