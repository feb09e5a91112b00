"""The IV2 matching rules: does the application show the books the broker just returned? Pure
functions over the broker's normalised, redacted rows (the pass's last usable samples) and the
application's rows (:mod:`~jainam_validate.openalgo`). Only what the application really maps is
compared: positions by (exchange, instrument, product): quantity and average price; holdings
by instrument (its symbol, or the ISIN it shows for an instrument outside its master
contract): quantity, and its cost total against the sum of quantity x average price; trades
grouped by order id (pseudonymised on both sides with the same key, so they still join): the
number of fills, side, instrument and product. LTP and P&L are never compared: the adapter
sends zeros for them. An application symbol is tied to the broker's instrument by the broker's
own trading symbol when they are equal, else by the token the application's ``/api/v1/symbol``
gave for it (``tokens``), else it stays unmatched and is named so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from jainam_validate.evidence import CheckResult
from jainam_validate.models import to_decimal
from jainam_validate.openalgo import AppBook, AppHolding, AppPosition, AppTrade, exchange_of
from jainam_validate.verdict import Status

#: (symbol, exchange) as the application names an instrument -> its token, or None (unknown).
Tokens = Mapping[tuple[str, str], int | None]
#: Differences named in a check's one-line detail; the report lists them all.
SHOWN = 3
#: What IV2 never compares, and why (report.md says it).
NOT_COMPARED = (
    "LTP and P&L are not compared: the application's Jainam XTS adapter sends 0 for them "
    "(its pages overlay live prices in the browser)."
)


@dataclass(frozen=True)
class Difference:
    """One field the two sides disagree on. ``item`` is a symbol (or an order's pseudonym)."""

    item: str
    exchange: str
    field: str
    broker: str
    app: str


@dataclass
class Comparison:
    """One book compared: how many items agree, the differences, what only one side has."""

    book: str
    matched: int = 0
    differences: list[Difference] = field(default_factory=list)
    only_broker: list[str] = field(default_factory=list)
    only_app: list[str] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)  # application rows, by index
    notes: list[str] = field(default_factory=list)  # what was not compared, and why

    def check(self) -> CheckResult:
        problems = [
            f"{d.item} ({d.exchange}) {d.field}: broker {d.broker}, app {d.app}"
            for d in self.differences
        ]
        problems += [f"{item}: at the broker, not in the app" for item in self.only_broker]
        problems += [f"{item}: in the app, not at the broker" for item in self.only_app]
        if self.unreadable:
            problems.append(f"{len(self.unreadable)} application rows could not be read")
        if not problems:
            unsaid = f" ({'; '.join(self.notes)})" if self.notes else ""
            return CheckResult(
                status=Status.PASS,
                detail=f"{self.matched} {_noun(self.book)} match the broker's{unsaid}",
            )
        more = f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        return CheckResult(
            status=Status.FAIL,
            detail=f"{len(problems)} difference(s), {self.matched} matched: "
            + "; ".join(problems[:SHOWN])
            + more,
        )

    def document(self) -> dict[str, Any]:
        """run.json's record of the comparison (everything the report's IV2 section shows)."""
        return {
            "matched": self.matched,
            "differences": [asdict(d) for d in self.differences],
            "only_broker": list(self.only_broker),
            "only_app": list(self.only_app),
            "unreadable_app_rows": list(self.unreadable),
            "notes": list(self.notes),
        }


def _noun(book: str) -> str:
    return {"positions": "positions", "holdings": "holdings", "tradebook": "orders"}[book]


def _dec(value: Any) -> Decimal | None:
    try:
        return value if isinstance(value, Decimal) else to_decimal(value)
    except ValueError:
        return None


def _text(value: Decimal | None) -> str:
    return "-" if value is None else f"{value.normalize():f}"


def _money(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return value.quantize(Decimal("0.01"))
    except InvalidOperation:  # past the context's 28 digits: compared as it is
        return value


def _instrument(
    symbol: str, exchange: str, by_symbol: Mapping[tuple[str, str], int], tokens: Tokens
) -> int | str:
    """The broker instrument an application symbol names: by the broker's trading symbol, then
    by the application's token; else the symbol itself (kept apart as ``symbol:...``)."""
    known = by_symbol.get((exchange, symbol))
    if known is not None:
        return known
    token = tokens.get((symbol, exchange))
    return token if token is not None else f"symbol:{symbol}"


# -- positions ----------------------------------------------------------------------------
def compare_positions(
    broker: Iterable[Mapping[str, Any]], app: AppBook, tokens: Tokens
) -> Comparison:
    """By (exchange, instrument, product): quantity, and the average price of the open side
    (the adapter's ``average_price``: buy average when long, sell average when short, 0 when
    flat)."""
    seen: dict[tuple[str, int | str, str], list[tuple[Decimal | None, Decimal | None]]]
    seen = defaultdict(list)
    names: dict[tuple[str, int | str, str], str] = {}
    by_symbol: dict[tuple[str, str], int] = {}
    for row in broker:
        exchange = exchange_of(row.get("segment"))
        iid = row.get("instrument_id")
        key = (
            exchange,
            iid if iid is not None else f"symbol:{row.get('symbol')}",
            str(row.get("product") or ""),
        )
        qty = _dec(row.get("quantity"))
        side = "buy_avg_price" if qty is not None and qty > 0 else "sell_avg_price"
        avg = _dec(row.get(side)) if qty else (Decimal(0) if qty is not None else None)
        seen[key].append((qty, avg))
        names[key] = str(row.get("symbol") or iid)
        if iid is not None and row.get("symbol"):
            by_symbol[(exchange, str(row["symbol"]))] = int(iid)
    shown: dict[tuple[str, int | str, str], list[tuple[Decimal | None, Decimal | None]]]
    shown = defaultdict(list)
    for a in app.rows:
        assert isinstance(a, AppPosition)
        key = (a.exchange, _instrument(a.symbol, a.exchange, by_symbol, tokens), a.product or "")
        shown[key].append((a.quantity, a.average_price))
        names.setdefault(key, a.symbol)
    out = Comparison("positions", unreadable=list(app.unreadable))
    for key in sorted(set(seen) | set(shown), key=str):
        label = f"{names[key]} {key[2]}".strip()
        if key not in shown:
            out.only_broker.append(f"{label} ({key[0]})")
            continue
        if key not in seen:
            out.only_app.append(f"{label} ({key[0]})")
            continue
        diffs = _quantity_and_price(seen[key], shown[key], label, key[0])
        out.differences += diffs
        out.matched += not diffs
    return out


def _quantity_and_price(
    broker: list[tuple[Decimal | None, Decimal | None]],
    app: list[tuple[Decimal | None, Decimal | None]],
    label: str,
    exchange: str,
) -> list[Difference]:
    if any(q is None for q, _ in broker) or any(q is None for q, _ in app):
        # a quantity that cannot be read is never taken for 0 (and so for a flat position)
        def told(rows: list[tuple[Decimal | None, Decimal | None]]) -> str:
            return ", ".join("unreadable" if q is None else _text(q) for q, _ in rows)

        return [Difference(label, exchange, "quantity", told(broker), told(app))]
    total = sum((q for q, _ in broker if q is not None), Decimal(0))
    shown = sum((q for q, _ in app if q is not None), Decimal(0))
    diffs = []
    if total != shown:
        diffs.append(Difference(label, exchange, "quantity", _text(total), _text(shown)))
    if len(broker) != len(app):
        # one position shown as two rows (or two as one): its averages cannot be told apart
        diffs.append(Difference(label, exchange, "rows", str(len(broker)), str(len(app))))
        return diffs
    # row by row (sorted): a missing average on either side is a difference, never a skip
    for (_, b), (_, a) in zip(sorted(broker, key=_by_row), sorted(app, key=_by_row), strict=True):
        if _money(b) != _money(a):
            diffs.append(Difference(label, exchange, "average_price", _told(b), _told(a)))
    return diffs


def _by_row(row: tuple[Decimal | None, Decimal | None]) -> tuple[Decimal, Decimal]:
    qty, avg = row
    return (qty if qty is not None else Decimal(0), avg if avg is not None else Decimal(-1))


def _told(value: Decimal | None) -> str:
    return "missing" if value is None else _text(_money(value))


# -- holdings -----------------------------------------------------------------------------
def compare_holdings(
    broker: Iterable[Mapping[str, Any]], app: AppBook, tokens: Tokens
) -> Comparison:
    """By instrument: the application shows a holding under its NSE symbol (tied to the
    broker's NSE instrument id through ``tokens``) or, outside its master contract, under the
    ISIN. Quantity per holding; the cost total against the broker's quantity x average."""
    rows = list(broker)
    by_isin = {str(r.get("isin")): r for r in rows if r.get("isin")}
    by_token = {int(r["nse_instrument_id"]): r for r in rows if r.get("nse_instrument_id")}
    by_name = {str(r.get("symbol")): r for r in rows if r.get("symbol")}
    out = Comparison("holdings", unreadable=list(app.unreadable))
    matched: set[str] = set()
    for a in app.rows:
        assert isinstance(a, AppHolding)
        token = tokens.get((a.symbol, a.exchange or "NSE"))
        row = by_isin.get(a.symbol) or (by_token.get(token) if token else None)
        if row is None and token is None:
            row = by_name.get(a.symbol)  # no token to go by: the broker's own name, if equal
        if row is None or str(row.get("isin")) in matched:
            out.only_app.append(f"{a.symbol} ({a.exchange or 'NSE'})")
            continue
        isin = str(row.get("isin"))
        matched.add(isin)
        label = str(row.get("symbol") or isin)
        qty = _dec(row.get("quantity"))
        if qty != a.quantity:
            out.differences.append(
                Difference(label, a.exchange or "NSE", "quantity", _text(qty), _text(a.quantity))
            )
        else:
            out.matched += 1
    for isin, row in by_isin.items():
        if isin not in matched:
            out.only_broker.append(f"{row.get('symbol') or isin} (ISIN {isin})")
    cost = _cost(rows)
    field = "cost (statistics.totalinvvalue)"
    if cost is None:
        out.notes.append("the cost total was not compared: a broker holding has no average")
    elif app.cost_total is None:
        # not compared, and said so (the report and the check name it)
        out.notes.append("the cost total was not compared: the application gave no statistics")
    elif abs(app.cost_total - cost) > Decimal("0.01") * max(len(rows), 1):
        # each side rounds its own products: a paisa a row apart is the same total
        out.differences.append(
            Difference("all holdings", "-", field, _told(cost), _told(app.cost_total))
        )
    return out


def _cost(rows: list[Mapping[str, Any]]) -> Decimal | None:
    total = Decimal(0)
    for row in rows:
        qty, avg = _dec(row.get("quantity")), _dec(row.get("buy_avg_price"))
        if qty is None or avg is None:
            return None  # a holding without its average: no total to compare
        total += qty * avg
    return total


# -- trade book ---------------------------------------------------------------------------
def compare_trades(broker: Iterable[Mapping[str, Any]], app: AppBook, tokens: Tokens) -> Comparison:
    """Grouped by order (a pseudonym on both sides): the number of fills, the side, the
    instrument and the product. The application's quantity and price are the order's, not the
    fill's, so they are not compared per fill."""
    fills: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    by_symbol: dict[tuple[str, str], int] = {}
    for row in broker:
        fills[str(row.get("order"))].append(row)
        if row.get("instrument_id") is not None and row.get("symbol"):
            by_symbol[(exchange_of(row.get("segment")), str(row["symbol"]))] = int(
                row["instrument_id"]
            )
    shown: dict[str, list[AppTrade]] = defaultdict(list)
    for a in app.rows:
        assert isinstance(a, AppTrade)
        shown[a.orderid].append(a)
    out = Comparison("tradebook", unreadable=list(app.unreadable))
    for order in sorted(set(fills) | set(shown)):
        ours, theirs = fills.get(order, []), shown.get(order, [])
        if not theirs:
            out.only_broker.append(f"order {order} ({len(ours)} fills)")
            continue
        if not ours:
            out.only_app.append(f"order {order} ({len(theirs)} rows)")
            continue
        first = ours[0]
        exchange = exchange_of(first.get("segment"))
        item = f"order {order}"
        diffs = []
        if len(ours) != len(theirs):
            diffs.append(Difference(item, exchange, "fills", str(len(ours)), str(len(theirs))))
        # every fill of an order shares its side and product: the sets must agree
        sides = sorted({str(r.get("side") or "").upper() for r in ours})
        actions = sorted({t.action.upper() for t in theirs})
        if sides != actions:
            told = ("/".join(sides) or "-", "/".join(actions) or "-")
            diffs.append(Difference(item, exchange, "side", *told))
        products = sorted({str(r.get("product") or "") for r in ours})
        shown_products = sorted({t.product or "" for t in theirs})
        if products != shown_products:
            diffs.append(
                Difference(item, exchange, "product", "/".join(products), "/".join(shown_products))
            )
        # every row's instrument, not the first's: a fill without an instrument id is tied by
        # its trading symbol, as positions are
        instruments = {_fill_instrument(r) for r in ours}
        shown_instruments = {
            (t.exchange, _instrument(t.symbol, t.exchange, by_symbol, tokens)) for t in theirs
        }
        if shown_instruments != instruments:
            named = {f"{r.get('symbol')} ({exchange_of(r.get('segment'))})" for r in ours}
            shown_named = {f"{t.symbol} ({t.exchange})" for t in theirs}
            told = (", ".join(sorted(named)), ", ".join(sorted(shown_named)))
            diffs.append(Difference(item, exchange, "instrument", *told))
        out.differences += diffs
        out.matched += not diffs
    return out


def _fill_instrument(row: Mapping[str, Any]) -> tuple[str, int | str]:
    iid = row.get("instrument_id")
    exchange = exchange_of(row.get("segment"))
    return (exchange, int(iid) if iid is not None else f"symbol:{row.get('symbol')}")


COMPARERS = {
    "positions": compare_positions,
    "holdings": compare_holdings,
    "tradebook": compare_trades,
}
