"""The application under test as the simulator plays it: an OpenAlgo server whose Jainam XTS
adapter maps the simulator's own books, for the IV2 cross-check offline. Its REST API answers
``POST /api/v1/{ping,analyzer,positionbook,holdings,tradebook,symbol}`` with the key in the
JSON body (any other key is HTTP 403), and maps rows the way the adapter is described to:
positions keep the broker's ``Quantity`` text, an ``average_price`` of the open side as a
"%.2f" string, and LTP and P&L of 0; a position row whose instrument id arrives under
``ExchangeInstrumentID`` (not the ``ExchangeInstrumentId`` the adapter reads) keeps the broker's
trading symbol; holdings show the NSE symbol of the master contract, or the ISIN for an
instrument outside it, always ``NSE``/``CNC``, with the cost total in ``statistics``; trade
rows carry the order's quantity and average, one row per fill. Its master contract names NSE
equities without the ``-EQ`` series. Faults: ``stale_holding`` (one holding one share short),
``missing_trade`` (the last fill dropped), ``analyzer_mode`` (the sandbox answers),
``session_broken`` (position book HTTP 500, the other books empty). A book the broker answers
as empty (``--empty``) is empty here too, except the position book: the adapter cannot map an
empty one and answers HTTP 500. It imports nothing of the harness."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jainam_validate.simulator.book import Account, Book
from jainam_validate.simulator.responses import Response, json_response

APP_FLOWS: dict[str, str] = {
    "/api/v1/ping": "app_ping",
    "/api/v1/analyzer": "app_analyzer",
    "/api/v1/positionbook": "app_positions",
    "/api/v1/holdings": "app_holdings",
    "/api/v1/tradebook": "app_tradebook",
    "/api/v1/symbol": "app_symbol",
}
_EXCHANGES = {
    "NSECM": "NSE", "BSECM": "BSE", "NSEFO": "NFO", "BSEFO": "BFO", "MCXFO": "MCX",
    "NSECD": "CDS",
}  # fmt: skip


def _number(value: Any) -> float:
    return float(str(value).replace(",", "")) if value not in (None, "", "NaN") else 0.0


def _ok(data: Any, *, sandbox: bool = False) -> Response:
    body: dict[str, Any] = {"status": "success", "data": data}
    if sandbox:
        body["mode"] = "analyze"
    return json_response(200, body)


def _error(status: int, message: str) -> Response:
    return json_response(status, {"status": "error", "message": message})


class OpenAlgoApp:
    """Answers the application's routes from ``book`` (the simulator's own)."""

    def __init__(
        self, book: Book, key: str, faults: dict[str, str], same: Callable[[object, str], bool]
    ) -> None:
        self.book = book
        self.key = key
        self.faults = faults
        self._same = same
        # the account the application's broker session belongs to (a dealer's: its own)
        self.account: Account = book.account_for(None)
        market = book.market
        # master contract: (symbol, exchange) <-> token; NSE equities without their series
        self.symbols: dict[tuple[str, str], str] = {}
        for c in market.contracts:
            exchange = _EXCHANGES.get(c.segment, c.segment)
            name = c.symbol.removesuffix("-EQ") if c.segment == "NSECM" else c.symbol
            self.symbols[(exchange, str(c.instrument_id))] = name

    @property
    def analyzer(self) -> bool:
        return self.faults.get("app_analyzer") == "analyzer_mode"

    def handle(self, flow: str, body: bytes) -> Response:
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "Invalid JSON")
        if not isinstance(request, dict) or not isinstance(request.get("apikey"), str):
            return _error(400, "apikey: Missing data for required field.")
        if not self._same(request["apikey"], self.key):
            return _error(403, "Invalid openalgo apikey")
        if flow == "app_symbol":
            return self._symbol(request)
        handler: Callable[[], Response] = {
            "app_ping": self._ping,
            "app_analyzer": self._analyzer,
            "app_positions": self._positions,
            "app_holdings": self._holdings,
            "app_tradebook": self._tradebook,
        }[flow]
        return handler()

    def _ping(self) -> Response:
        return _ok({"message": "pong", "broker": "jainamxts"})

    def _analyzer(self) -> Response:
        mode = "analyze" if self.analyzer else "live"
        return _ok({"analyze_mode": self.analyzer, "mode": mode, "total_logs": 0})

    def _empty(self, book: str) -> bool:
        # the broker answers "Data Not Available"; the adapter maps it to an empty book
        return book in self.book.config.empty_flows

    def _symbol_of(self, exchange: str, token: Any) -> str | None:
        return self.symbols.get((exchange, str(token))) if token not in (None, "", 0) else None

    def _positions(self) -> Response:
        if self.analyzer:
            return _ok([], sandbox=True)
        empty = "positions" in self.book.config.empty_flows
        if self.faults.get("app_positions") == "session_broken" or empty:
            # the adapter calls .get on the [] it maps an error or empty broker answer to
            return _error(500, "'list' object has no attribute 'get'")
        rows = []
        for p in self.book.positions(self.account):
            exchange = str(_EXCHANGES.get(p["ExchangeSegment"], p["ExchangeSegment"]))
            qty = _number(p["Quantity"])
            side = p["BuyAveragePrice"] if qty > 0 else p["SellAveragePrice"] if qty < 0 else 0
            # the adapter reads ExchangeInstrumentId only (lower-case d)
            symbol = self._symbol_of(exchange, p.get("ExchangeInstrumentId")) or p["TradingSymbol"]
            rows.append(
                {
                    "symbol": symbol,
                    "exchange": exchange,
                    "product": p["ProductType"],
                    "quantity": p["Quantity"],
                    "average_price": f"{_number(side):.2f}",
                    "ltp": 0.0,
                    "pnl": 0.0,
                }
            )
        return _ok(rows)

    def _holdings(self) -> Response:
        empty = {"holdings": [], "statistics": _statistics(0.0)}
        if self.analyzer:
            return _ok(empty, sandbox=True)
        if self.faults.get("app_positions") == "session_broken" or self._empty("holdings"):
            return _ok(empty)
        rows, cost = [], 0.0
        for i, h in enumerate(self.book.holdings(self.account)):
            qty = h["HoldingQuantity"]
            if i == 0 and self.faults.get("app_holdings") == "stale_holding":
                qty = int(_number(qty)) - 1
            cost += _number(h["HoldingQuantity"]) * _number(h["BuyAvgPrice"])
            symbol = self._symbol_of("NSE", h["ExchangeNSEInstrumentId"]) or h["ISIN"]
            rows.append(
                {
                    "symbol": symbol,
                    "exchange": "NSE",
                    "product": "CNC",
                    "quantity": qty,
                    "pnl": 0.0,
                    "pnlpercent": 0.0,
                }
            )
        return _ok({"holdings": rows, "statistics": _statistics(cost)})

    def _tradebook(self) -> Response:
        if self.analyzer:
            return _ok([], sandbox=True)
        if self.faults.get("app_positions") == "session_broken" or self._empty("tradebook"):
            return _ok([])
        rows = []
        for text, _ids in self.book.iter_trade_json(self.account):
            t = json.loads(text)
            exchange = str(_EXCHANGES.get(t["ExchangeSegment"], t["ExchangeSegment"]))
            qty, avg = int(t["OrderQuantity"]), _number(t["OrderAverageTradedPrice"])
            rows.append(
                {
                    "symbol": self._symbol_of(exchange, t["ExchangeInstrumentID"])
                    or t["TradingSymbol"],
                    "exchange": exchange,
                    "product": t["ProductType"],
                    "action": t["OrderSide"],
                    "quantity": qty,
                    "average_price": avg,
                    "trade_value": round(qty * avg, 2),
                    "orderid": str(int(float(t["AppOrderID"]))),
                    "timestamp": t["OrderGeneratedDateTime"],
                }
            )
        if rows and self.faults.get("app_tradebook") == "missing_trade":
            rows.pop()
        return _ok(rows)

    def _symbol(self, request: dict[str, Any]) -> Response:
        wanted = (str(request.get("exchange", "")), str(request.get("symbol", "")))
        for (exchange, token), name in self.symbols.items():
            if (exchange, name) == wanted:
                return _ok(
                    {
                        "symbol": name,
                        "exchange": exchange,
                        "brexchange": next(
                            (k for k, v in _EXCHANGES.items() if v == exchange), exchange
                        ),
                        "token": token,
                        "lotsize": 1,
                    }
                )
        return _error(404, "Symbol not found")


def _statistics(cost: float) -> dict[str, float]:
    return {
        "totalholdingvalue": round(cost, 2),
        "totalinvvalue": round(cost, 2),
        "totalprofitandloss": 0,
        "totalpnlpercentage": 0,
    }
