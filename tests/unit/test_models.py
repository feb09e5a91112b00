from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from jainam_validate.models import (
    BookShapeError,
    holdings_from,
    positions_from,
    to_decimal,
    trades_from,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2,853.50", Decimal("2853.50")),
        ("1,00,000", Decimal("100000")),
        (12, Decimal(12)),
        (1.5, Decimal("1.5")),
        ("", None),
        ("NaN", None),
        (None, None),
        (float("nan"), None),
        (" -1,015.00 ", Decimal("-1015.00")),
    ],
)
def test_to_decimal_reads_xts_numbers(raw: object, expected: Decimal | None) -> None:
    assert to_decimal(raw) == expected


def test_to_decimal_rejects_text() -> None:
    with pytest.raises(ValueError):
        to_decimal("twelve")


def test_positions_accept_both_instrument_id_spellings_and_separators() -> None:
    rows, bad = positions_from(
        {
            "positionList": [
                {
                    "ExchangeInstrumentId": "2885",
                    "BuyAmount": "1,015.00",
                    "Quantity": "10",
                    "MTM": "5.0000001",
                },
                {
                    "ExchangeInstrumentID": 11536,
                    "NetAmount": "-1,671.00",
                    "Quantity": "0",
                    "SellAmount": "NaN",
                },
            ]
        }
    )
    assert bad == []
    assert [r.instrument_id for r in rows] == [2885, 11536]
    assert rows[0].buy_amount == Decimal("1015.00")
    assert rows[1].net_amount == Decimal("-1671.00")
    assert rows[1].quantity == 0 and rows[1].sell_amount is None


def test_holdings_map_and_list_shapes_give_the_same_rows() -> None:
    row = {
        "ExchangeNSEInstrumentId": 2885,
        "ExchangeBSEInstrumentId": 500325,
        "HoldingQuantity": "1,200",
        "BuyAvgPrice": "2,853.50",
    }
    from_map, _ = holdings_from({"RMSHoldings": {"Holdings": {"INE002A01018": row}}})
    from_list, _ = holdings_from({"RMSHoldingList": [{**row, "ISIN": "INE002A01018"}]})
    assert from_map == from_list
    assert from_map[0].quantity == Decimal(1200)
    assert from_map[0].buy_avg_price == Decimal("2853.50")


def test_a_malformed_row_is_reported_without_its_value_and_the_rest_stands() -> None:
    rows, bad = holdings_from(
        {
            "RMSHoldings": {
                "Holdings": {
                    "INE1": {"HoldingQuantity": 5, "BuyAvgPrice": 10},
                    "INE2": {"HoldingQuantity": "lots", "BuyAvgPrice": "SECRET-LOOKING"},
                    "INE3": "not a row",
                }
            }
        }
    )
    assert [r.isin for r in rows] == ["INE1"]
    # named by position: a key is broker text and could be anything
    assert [b.index for b in bad] == ["1", "2"]
    assert bad[0].fields == ["BuyAvgPrice", "HoldingQuantity"] and bad[1].reason == "not an object"
    assert "lots" not in repr(bad) and "SECRET-LOOKING" not in repr(bad)


def test_nse_id_zero_means_absent() -> None:
    rows, _ = holdings_from(
        {
            "RMSHoldings": {
                "Holdings": {
                    "INE9": {
                        "ExchangeNSEInstrumentId": 0,
                        "ExchangeBSEInstrumentId": 500112,
                        "HoldingQuantity": 1,
                    }
                }
            }
        }
    )
    assert rows[0].nse_instrument_id is None and rows[0].bse_instrument_id == 500112


def test_trade_price_prefers_api_field_then_text_with_separators() -> None:
    fill = {
        "AppOrderID": 1,
        "TradingSymbol": "X",
        "OrderSide": "BUY",
        "LastTradedQuantity": 1,
    }
    rows, bad = trades_from(
        [
            {**fill, "OrderAverageTradedPriceAPI": 101.5, "OrderAverageTradedPrice": "101.50"},
            {**fill, "OrderAverageTradedPriceAPI": "NaN", "OrderAverageTradedPrice": "2,853.50"},
            {**fill, "LastTradedPrice": 99},
        ]
    )
    assert bad == []
    assert [r.price for r in rows] == [Decimal("101.5"), Decimal("2853.50"), Decimal(99)]


@pytest.mark.parametrize(
    ("normaliser", "result", "fields"),
    [
        (positions_from, {"positionList": [{"ProductType": "NRML"}]},
         ["ExchangeInstrumentID|TradingSymbol", "Quantity|NetPosition"]),
        (positions_from, {"positionList": [{"TradingSymbol": "A", "Quantity": "NaN"}]},
         ["Quantity|NetPosition"]),
        (trades_from, [{"ExchangeSegment": "NSECM"}],
         ["AppOrderID", "ExchangeInstrumentID|TradingSymbol", "OrderSideAPI|OrderSide",
          "LastTradedQuantity|CumulativeQuantity"]),
        (trades_from, [{"AppOrderID": 7, "ExchangeInstrumentID": 22, "OrderSide": "BUY"}],
         ["LastTradedQuantity|CumulativeQuantity"]),
        (holdings_from, {"RMSHoldingList": [{"ISIN": "INE1"}]}, ["HoldingQuantity"]),
    ],
)  # fmt: skip
def test_a_row_without_what_its_book_needs_is_unreadable(
    normaliser: Any, result: object, fields: list[str]
) -> None:
    rows, bad = normaliser(result)
    assert rows == [] and [b.fields for b in bad] == [fields]
    assert all(b.index == "0" for b in bad)


@pytest.mark.parametrize("row", ["AppOrderID=1", 42, None, True, [1, 2], 3.5])
def test_a_row_that_is_not_a_record_is_named_by_index(row: object) -> None:
    rows, bad = trades_from([row])
    assert rows == [] and bad[0].index == "0" and bad[0].fields == ["row"]
    assert bad[0].reason == "not an object" and repr(row) not in repr(bad)


@pytest.mark.parametrize(
    ("normaliser", "result"),
    [(positions_from, {"positionList": "x"}), (holdings_from, []), (trades_from, {"a": 1})],
)
def test_wrong_shapes_raise_book_shape_error(normaliser: object, result: object) -> None:
    with pytest.raises(BookShapeError):
        normaliser(result)  # type: ignore[operator]


@pytest.mark.parametrize("value", ["Infinity", "1e999999", "-inf"])
def test_non_finite_numbers_make_a_row_unreadable_not_a_crash(value: str) -> None:
    from jainam_validate.models import holdings_from

    rows, bad = holdings_from(
        {"RMSHoldings": {"Holdings": {"INE1": {"HoldingQuantity": 1, "BuyAvgPrice": value}}}}
    )
    assert rows == [] and [b.index for b in bad] == ["0"]
