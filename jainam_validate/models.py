"""Normalised broker rows: positions, holdings and trades as typed, Decimal-valued models.

XTS payloads mix types freely: money as strings with thousands separators (``"2,853.50"``),
``"NaN"`` and empty strings for missing values, the instrument id under both
``ExchangeInstrumentId`` and ``ExchangeInstrumentID``, holdings as an ISIN-keyed object or as
a list. The models absorb that at the edge. They are built from payloads that are already
redacted, so identifier fields hold pseudonyms. A row that cannot be read is reported as a
:class:`MalformedRow` (field and error type, never the value) and the rest of the book stands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from jainam_validate.xts import Flow

_MISSING = frozenset({"", "nan", "null", "none", "-", "--"})


def to_decimal(value: Any) -> Decimal | None:
    """Read an XTS number: strips thousands separators; ``""``/``"NaN"``/None become None.

    Raises ValueError for text that is not a number at all (the row is then reported).
    """
    kind = type(value)
    if kind is str or kind is int:
        # a book repeats its prices and quantities, and --iterations reads the same book
        # again: each distinct text or number is read once (Decimals are immutable)
        return _remembered_decimal(value)
    if kind is float:  # by its repr: 0.0 and -0.0 are equal, and would share one answer
        return _remembered_float(repr(value))
    return _decimal(value)


@lru_cache(maxsize=1 << 16, typed=True)  # typed: 1 and "1" stay apart
def _remembered_decimal(value: str | int) -> Decimal | None:
    return _decimal(value)


@lru_cache(maxsize=1 << 16)
def _remembered_float(text: str) -> Decimal | None:
    return _decimal(float(text))


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        if value != value:
            return None
        if value in (float("inf"), float("-inf")):
            raise ValueError("not a finite number")
        return Decimal(repr(value))
    text = str(value).strip()
    if text.casefold() in _MISSING:
        return None
    # quirk XQ12: money and quantity strings carry thousands separators ("1,015.00").
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError("not a number") from None
    if number.is_nan():
        return None
    # quirk guard: "Infinity" or 1e999999 would break the arithmetic downstream
    if not number.is_finite() or abs(number.adjusted()) > 18:
        raise ValueError("not a finite number")
    return number


def to_instrument_id(value: Any) -> int | None:
    number = to_decimal(value)
    if number is None or number == 0:  # quirk XQ13: 0 means "no id on this exchange"
        return None
    return int(number)


def to_required_decimal(value: Any) -> Decimal:
    number = to_decimal(value)
    if number is None:
        raise ValueError("no number")
    return number


RequiredNumber = Annotated[Decimal, BeforeValidator(to_required_decimal)]
Money = Annotated[Decimal | None, BeforeValidator(to_decimal)]
InstrumentId = Annotated[int | None, BeforeValidator(to_instrument_id)]
# Text is validated natively (no Python call per field: ~4 µs a trade row): numbers such as
# AppOrderID become strings and whitespace is stripped by the model config below.
Text = str | None


class _Row(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        populate_by_name=True,
        coerce_numbers_to_str=True,
        str_strip_whitespace=True,
    )


class Position(_Row):
    """A net or day-wise position (``result.positionList[]``)."""

    account: Text = Field(None, validation_alias=AliasChoices("AccountID", "ClientID"))
    symbol: Text = Field(None, validation_alias="TradingSymbol")
    segment: Text = Field(None, validation_alias="ExchangeSegment")
    # quirk XQ13: the key is ExchangeInstrumentId in some payloads, ExchangeInstrumentID in others.
    instrument_id: InstrumentId = Field(
        None, validation_alias=AliasChoices("ExchangeInstrumentID", "ExchangeInstrumentId")
    )
    product: Text = Field(None, validation_alias="ProductType")
    quantity: Money = Field(None, validation_alias=AliasChoices("Quantity", "NetPosition"))
    buy_avg_price: Money = Field(None, validation_alias="BuyAveragePrice")
    sell_avg_price: Money = Field(None, validation_alias="SellAveragePrice")
    buy_amount: Money = Field(None, validation_alias=AliasChoices("BuyAmount", "BuyValue"))
    sell_amount: Money = Field(None, validation_alias=AliasChoices("SellAmount", "SellValue"))
    net_amount: Money = Field(None, validation_alias=AliasChoices("NetAmount", "NetValue"))
    mtm: Money = Field(None, validation_alias="MTM")
    realized_mtm: Money = Field(None, validation_alias="RealizedMTM")
    unrealized_mtm: Money = Field(None, validation_alias="UnrealizedMTM")

    def missing(self) -> list[str]:
        """What a position needs to say anything: which instrument, and how many."""
        gaps = []
        if self.instrument_id is None and not self.symbol:
            gaps.append("ExchangeInstrumentID|TradingSymbol")
        if self.quantity is None:
            gaps.append("Quantity|NetPosition")
        return gaps


class Holding(_Row):
    """A demat holding (``RMSHoldings.Holdings{ISIN: ...}`` or ``RMSHoldingList[]``)."""

    isin: str = Field(validation_alias="ISIN", min_length=1)
    symbol: Text = Field(None, validation_alias=AliasChoices("Symbol", "TradingSymbol"))
    nse_instrument_id: InstrumentId = Field(None, validation_alias="ExchangeNSEInstrumentId")
    bse_instrument_id: InstrumentId = Field(None, validation_alias="ExchangeBSEInstrumentId")
    quantity: RequiredNumber = Field(validation_alias="HoldingQuantity")
    buy_avg_price: Money = Field(None, validation_alias="BuyAvgPrice")
    collateral_quantity: Money = Field(None, validation_alias="CollateralQuantity")
    used_quantity: Money = Field(None, validation_alias="UsedQuantity")
    client: Text = Field(None, validation_alias=AliasChoices("ClientId", "ClientID"))


class Trade(_Row):
    """A trade-book row. Identifier fields hold pseudonyms."""

    order: Text = Field(None, validation_alias="AppOrderID")
    exchange_order: Text = Field(None, validation_alias="ExchangeOrderID")
    execution: Text = Field(None, validation_alias="ExecutionID")
    symbol: Text = Field(None, validation_alias="TradingSymbol")
    segment: Text = Field(None, validation_alias="ExchangeSegment")
    instrument_id: InstrumentId = Field(
        None, validation_alias=AliasChoices("ExchangeInstrumentID", "ExchangeInstrumentId")
    )
    side: Text = Field(None, validation_alias=AliasChoices("OrderSideAPI", "OrderSide"))
    product: Text = Field(None, validation_alias="ProductType")
    order_type: Text = Field(None, validation_alias="OrderType")
    status: Text = Field(None, validation_alias="OrderStatus")
    quantity: Money = Field(
        None, validation_alias=AliasChoices("LastTradedQuantity", "CumulativeQuantity")
    )
    # quirk XQ14: OrderAverageTradedPrice is a string with thousands separators ("2,853.50");
    # OrderAverageTradedPriceAPI is a number or "NaN". Prefer the API field, then the text one.
    price: Money = None
    traded_at: Text = Field(
        None, validation_alias=AliasChoices("ExchangeTransactTime", "OrderGeneratedDateTime")
    )

    def missing(self) -> list[str]:
        """What a fill needs to be checked: its order, instrument, side and quantity."""
        gaps = []
        if not self.order:
            gaps.append("AppOrderID")
        if self.instrument_id is None and not self.symbol:
            gaps.append("ExchangeInstrumentID|TradingSymbol")
        if not self.side:
            gaps.append("OrderSideAPI|OrderSide")
        if self.quantity is None:
            gaps.append("LastTradedQuantity|CumulativeQuantity")
        return gaps

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Trade:
        price = None
        for key in ("OrderAverageTradedPriceAPI", "OrderAverageTradedPrice", "LastTradedPrice"):
            price = to_decimal(row.get(key))
            if price is not None:
                break
        return cls.model_validate({**row, "price": price})


class MalformedRow(BaseModel):
    """A row the normaliser could not read: where and why, never the value."""

    model_config = ConfigDict(frozen=True)

    index: str
    fields: list[str]
    reason: str


class BookShapeError(ValueError):
    """The envelope's ``result`` does not have the shape of this book."""


def _malformed(index: str, exc: ValidationError) -> MalformedRow:
    fields = sorted({".".join(str(p) for p in err["loc"]) or "row" for err in exc.errors()})
    reasons = sorted({err["type"] for err in exc.errors()})
    return MalformedRow(index=index, fields=fields, reason=", ".join(reasons))


def _rows(
    items: Iterable[tuple[str, Any]], build: Any, keep: Callable[[Any], Any] | None = None
) -> tuple[list[Any], list[MalformedRow]]:
    """Build every row; a row that is not an object, fails validation or lacks what its book
    needs (``missing()``) is reported by index and field path, never by value."""
    rows: list[Any] = []
    bad: list[MalformedRow] = []
    for index, item in items:
        if not isinstance(item, Mapping):
            bad.append(MalformedRow(index=index, fields=["row"], reason="not an object"))
            continue
        try:
            row = build(item)
        except ValidationError as exc:
            bad.append(_malformed(index, exc))
            continue
        gaps = row.missing() if hasattr(row, "missing") else []
        if gaps:
            bad.append(MalformedRow(index=index, fields=gaps, reason="missing"))
        else:
            rows.append(row if keep is None else keep(row))
    return rows, bad


def positions_from(
    result: Any, keep: Callable[[Any], Any] | None = None
) -> tuple[list[Any], list[MalformedRow]]:
    """``result.positionList`` -> positions (or what ``keep`` makes of each, as it is read:
    a 100,000-row book's models need not all exist at once)."""
    if not isinstance(result, Mapping) or not isinstance(result.get("positionList"), list):
        raise BookShapeError("result.positionList is not a list")
    return _rows(
        ((str(i), r) for i, r in enumerate(result["positionList"])), Position.model_validate, keep
    )


def holdings_from(
    result: Any, keep: Callable[[Any], Any] | None = None
) -> tuple[list[Any], list[MalformedRow]]:
    """``result.RMSHoldings.Holdings{ISIN: row}`` or ``result.RMSHoldingList[row]`` -> holdings
    (or what ``keep`` makes of each)."""
    if isinstance(result, Mapping):
        rms = result.get("RMSHoldings")
        if isinstance(rms, Mapping) and isinstance(rms.get("Holdings"), Mapping):
            # The ISIN is the key; older rows may omit it inside the row. Rows are named by
            # position, not by key: a key is broker text and could be anything.
            items = (
                (str(i), {"ISIN": isin, **row} if isinstance(row, Mapping) else row)
                for i, (isin, row) in enumerate(rms["Holdings"].items())
            )
            return _rows(items, Holding.model_validate, keep)
        if isinstance(result.get("RMSHoldingList"), list):
            return _rows(
                ((str(i), r) for i, r in enumerate(result["RMSHoldingList"])),
                Holding.model_validate,
                keep,
            )
    raise BookShapeError("result has neither RMSHoldings.Holdings nor RMSHoldingList")


def trades_from(
    result: Any, keep: Callable[[Any], Any] | None = None
) -> tuple[list[Any], list[MalformedRow]]:
    """``result[]`` -> trades (or what ``keep`` makes of each). With ``keep`` the caller hands
    ``result`` over: each parsed row is let go as soon as it is read, so a 100,000-row book's
    parsed rows make room for what is kept of them instead of living beside it."""
    if not isinstance(result, list):
        raise BookShapeError("result is not a list")
    rows = enumerate(result) if keep is None else _taken(result)
    return _rows(((str(i), r) for i, r in rows), Trade.from_row, keep)


def _taken(items: list[Any]) -> Iterator[tuple[int, Any]]:
    """``enumerate(items)``, emptying each slot once it has been handed out."""
    for i in range(len(items)):
        item, items[i] = items[i], None
        yield i, item


#: Fields of the normalised rows that hold identifiers, with their pseudonym kind (the same
#: kinds as the raw keys they come from: AppOrderID -> order, AccountID -> acct, ...).
IDENTIFIER_FIELDS: dict[str, str] = {
    "account": "acct",
    "client": "client",
    "order": "order",
    "exchange_order": "xorder",
    "execution": "exec",
}

NORMALISERS: dict[
    str, Callable[[Any, Callable[[Any], Any] | None], tuple[list[Any], list[MalformedRow]]]
] = {
    Flow.POSITIONS: positions_from,
    Flow.HOLDINGS: holdings_from,
    Flow.TRADEBOOK: trades_from,
}
