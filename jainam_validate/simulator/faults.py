"""Fault injection for the XTS simulator: for a flow's configured fault kind, the answer raised
in front of the application (nginx and Express pages, HTTP 429, a plain-text 200, an invalid
token once or always; ``Faults.gateway``) or the application's answer reworked
(``Faults.answer``): an empty book's "Data Not Available", an error wrapped in HTTP 200, the
hostile ``forged_error``, rows that are not usable (``unreadable_result`` and
``missing_fields_result``, fixed payloads with no client, account or order identifiers), a
body of at least ``HUGE_BODY_BYTES``, and the leaky kinds (their payloads come from ``leaky``).
A successful answer is the only one reworked: a bad token or request keeps its error. The
kinds that change how or when an answer is delivered (timeout, reset, truncated_json,
slow_drip) are left to the application and the HTTP layer."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from jainam_validate.simulator import leaky
from jainam_validate.simulator import responses as r
from jainam_validate.simulator.book import TRADE_DATE_ISO, Account, Book
from jainam_validate.simulator.market import EQUITIES, make_isin, synthetic_isin
from jainam_validate.simulator.responses import JsonObj, Response
from jainam_validate.simulator.scenario import BOOK_FLOWS

HUGE_BODY_BYTES = 20_000_000
_AREA = {  # e-<area>-0005 "Data Not Available" per flow
    "positions": "portfolio",
    "holdings": "holdings",
    "tradebook": "tradeBook",  # quirk: camel case, as the live server spells it
    # invented: the areas below have no documented empty answer
    "login_interactive": "user",
    "logout_interactive": "user",
    "login_market": "auth",
    "logout_market": "auth",
    "quotes": "quotes",
}
#: Faults raised in front of the application: they ignore the request's content.
_GATEWAY_FAULTS = frozenset(
    {
        "html500",
        "html404",
        "nginx502",
        "nginx503",
        "http429",
        "nonjson200",
        "plain_http_to_https",
        "invalid_token_once",
        "invalid_token_always",
    }
)
#: Faults that replace or rework a successful answer.
_ANSWER_FAULTS = frozenset(
    {
        "data_not_available",
        "type_error200",
        "huge_body",
        "forged_error",
        "unreadable_rows",
        "missing_fields",
        *leaky.LEAKY_BODY_FAULTS,
        *leaky.ROW_FAULTS,
        "deep_json",
        "userid_list",
    }
)


class Faults:
    """The answers of the faults configured for one Book's SimConfig; thread-safe."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self._lock = threading.Lock()
        self._seen_flows: set[str] = set()
        self._huge_cache: dict[tuple[str, bytes], bytes] = {}
        self._leaky_cache: dict[tuple[str, str, bytes], bytes] = {}

    def gateway(self, flow: str, fault: str | None) -> Response | None:
        """The answer of a fault raised in front of the application (it ignores the request's
        content), or None to let the application answer."""
        if fault not in _GATEWAY_FAULTS:
            return None
        if fault == "invalid_token_once":
            with self._lock:
                first = flow not in self._seen_flows
                self._seen_flows.add(flow)
            return r.invalid_token() if first else None
        pages: dict[str, Callable[[], Response]] = {
            "html500": r.express_500,
            "html404": lambda: r.nginx(404),
            "nginx502": lambda: r.nginx(502),
            "nginx503": lambda: r.nginx(503),
            "http429": r.too_many_requests,
            "nonjson200": r.plain_text_200,
            "plain_http_to_https": r.nginx_plain_http_to_https,
            "invalid_token_always": r.invalid_token,
        }
        return pages[fault]() if fault in pages else None

    def answer(
        self, flow: str, fault: str | None, query: Mapping[str, str], resp: Response
    ) -> Response:
        """The application's answer ``resp`` (to a request with this query) as the fault turns
        it; unchanged for the kinds that are not about what is answered."""
        if resp.status == 200 and fault in _ANSWER_FAULTS:
            # these replace a successful answer only: a bad token or request keeps its error
            if fault == "data_not_available":
                resp = r.data_not_available(_AREA[flow])
            elif fault == "type_error200":
                resp = r.type_error_200()
            elif fault == "forged_error":
                resp = r.forged_error()
            elif fault in ("unreadable_rows", "missing_fields"):
                resp = self._bad_rows(flow, fault, resp)
            elif fault == "huge_body":
                resp = self._huge(flow, resp)
            else:
                resp = self._leaky(flow, fault, query, resp)
        if fault == "header_echo" and (
            resp.status == 200 or (flow in BOOK_FLOWS and _is_data_not_available(resp))
        ):
            resp = leaky.echo_headers(self.book, self._account_of(query), resp)
        return resp

    # -- rows that are not usable ------------------------------------------------------------

    def _bad_rows(self, flow: str, fault: str, resp: Response) -> Response:
        """The book's own success envelope (type, code, description) around the rows of the
        unreadable_rows or missing_fields fault."""
        if flow not in BOOK_FLOWS:  # SimConfig refuses this; keep the answer as it is
            return resp
        head = _envelope_head(resp.body)
        build = unreadable_result if fault == "unreadable_rows" else missing_fields_result
        result = build(flow, self.book.config.holdings_shape)
        body = r.envelope(
            str(head.get("type")), str(head.get("code")), str(head.get("description")), result
        )
        return Response(resp.status, r.dumps(body), resp.content_type, resp.headers)

    # -- leaky answers ---------------------------------------------------------------------------

    def _account_of(self, query: Mapping[str, str]) -> Account:
        """The account a request is answered for: the investor's whatever clientID says; a
        dealer's mapped client (its own account without clientID or with ``*****``)."""
        return self.book.account_for(query.get("clientID") or None)

    def _leaky(self, flow: str, fault: str, query: Mapping[str, str], resp: Response) -> Response:
        """A successful answer turned into the answer of a leaky fault (see ``leaky``)."""
        account = self._account_of(query)
        head = _envelope_head(resp.body)
        if fault in leaky.LEAKY_BODY_FAULTS:
            return leaky.leaky_answer(fault, flow, head, self.book, account, resp.status)
        if fault == "deep_json":
            return Response(
                resp.status, leaky.deep_json(head, account.code), resp.content_type, resp.headers
            )
        key = (fault, account.code, resp.body)
        body = self._leaky_cache.get(key)
        if body is None:
            body = leaky.rewrite_answer(flow, fault, self.book, account, resp.body)
            if flow in BOOK_FLOWS:  # a login answer differs every time (its token)
                with self._lock:
                    self._leaky_cache[key] = body
        return Response(resp.status, body, resp.content_type, resp.headers)

    # -- huge bodies ---------------------------------------------------------------------------

    def _huge(self, flow: str, resp: Response) -> Response:
        if len(resp.body) >= HUGE_BODY_BYTES:
            return resp
        key = (flow, resp.body)
        cacheable = flow in ("positions", "holdings", "tradebook")
        body = self._huge_cache.get(key) if cacheable else None
        if body is None:
            body = _enlarge(resp.body)
            if cacheable:
                with self._lock:
                    self._huge_cache[key] = body
        return Response(resp.status, body, resp.content_type, resp.headers)


def _is_data_not_available(resp: Response) -> bool:
    if resp.status != 400 or not resp.content_type.startswith("application/json"):
        return False
    head = _envelope_head(resp.body)
    return head.get("type") == "error" and head.get("description") == "Data Not Available"


def _envelope_head(body: bytes) -> JsonObj:
    """type, code and description of an envelope written by ``r.dumps`` (``result`` comes last),
    without parsing what may be a very large ``result``."""
    cut = body.find(b',"result":')
    head = json.loads(body[:cut] + b"}" if cut > 0 else body)
    return head if isinstance(head, dict) else {}


def _renamed_holdings(rows: Iterator[tuple[int, JsonObj]]) -> Iterator[JsonObj]:
    for k, row in rows:
        yield {**row, "ISIN": synthetic_isin(1_000_000 + k)}


def _copies(rows: Any) -> int:
    # 2% slack: copies differ from the original rows by a few bytes (ISINs, commas)
    return -(-HUGE_BODY_BYTES * 102 // 100 // max(len(r.dumps(rows)), 1))


def _enlarge(body: bytes) -> bytes:
    """A valid success body of at least HUGE_BODY_BYTES: the rows repeated (holding copies get
    fresh ISINs so keys stay unique); bodies without rows get a padding field."""
    payload = json.loads(body)
    result = payload.get("result")
    if isinstance(result, list) and result:
        payload["result"] = result * _copies(result)
    elif isinstance(result, dict) and result.get("positionList"):
        result["positionList"] = result["positionList"] * _copies(result["positionList"])
    elif isinstance(result, dict) and result.get("RMSHoldingList"):
        rows = result["RMSHoldingList"]
        copies = _copies(rows)
        extra = _renamed_holdings(enumerate(row for _ in range(copies - 1) for row in rows))
        result["RMSHoldingList"] = [*rows, *extra]
    elif isinstance(result, dict) and result.get("RMSHoldings", {}).get("Holdings"):
        holdings = result["RMSHoldings"]["Holdings"]
        rows = list(holdings.values())
        copies = _copies(holdings)
        extra = _renamed_holdings(enumerate(row for _ in range(copies - 1) for row in rows))
        holdings.update({row["ISIN"]: row for row in extra})
    elif isinstance(result, dict) and result.get("listQuotes"):
        copies = _copies(result["listQuotes"])
        result["listQuotes"] = result["listQuotes"] * copies
        result["quotesList"] = result["quotesList"] * copies
    else:
        # invented: XTS has no such field; it only makes a row-less answer large
        payload["padding"] = "x" * HUGE_BODY_BYTES
    return r.dumps(payload)


# -- the unreadable_rows and missing_fields faults --------------------------------------------
# invented: both are fixed payloads with no client, account or order identifiers.


def unreadable_result(flow: str, holdings_shape: str) -> Any:
    """The ``result`` of a book whose rows are not records: scalars, nulls, booleans, lists."""
    rows: list[Any] = ["AppOrderID=1", 42, None, True, [1, 2], "x"]
    if flow == "tradebook":
        return rows
    if flow == "positions":
        return {"positionList": rows}
    if holdings_shape == "list":
        return {"RMSHoldingList": rows}
    values: list[Any] = ["HoldingQuantity=10", 42, None, 3.5, "x"]
    isins = [make_isin(body) for _sym, body, *_ in EQUITIES[: len(values)]]
    return {"RMSHoldings": {"Holdings": dict(zip(isins, values, strict=True))}}


def missing_fields_result(flow: str, holdings_shape: str) -> Any:
    """The ``result`` of a book whose rows are objects without the fields a row needs: trades
    without AppOrderID, TradingSymbol, ExchangeInstrumentID or any quantity; positions without
    instrument id, TradingSymbol or quantity; holdings without HoldingQuantity."""
    if flow == "tradebook":
        return [
            {
                "ExchangeSegment": segment,
                "OrderSide": side.title(),
                "OrderSideAPI": side,
                "OrderType": "Market",
                "ProductType": product,
                "TimeInForce": "DAY",
                "OrderStatus": "Filled",
                "ExchangeTransactTime": f"{TRADE_DATE_ISO}T10:1{k}:00+05:30",
                "MessageCode": 9005,
            }
            for k, (segment, side, product) in enumerate(
                (("NSECM", "BUY", "CNC"), ("NSEFO", "SELL", "NRML"), ("NSECM", "SELL", "MIS"))
            )
        ]
    if flow == "positions":
        rows = [
            {
                "ExchangeSegment": segment,
                "ProductType": product,
                "BuyAveragePrice": "0.00",
                "SellAveragePrice": "0.00",
                "MTM": "0",
                "statisticsLevel": "ParentLevel",
                "MessageCode": 9002,
            }
            for segment, product in (("NSECM", "MIS"), ("NSEFO", "NRML"), ("NSECM", "CNC"))
        ]
        return {"positionList": rows}
    holdings = [
        {
            "ISIN": make_isin(body),
            "Symbol": symbol,
            "ExchangeNSEInstrumentId": nse,
            "ExchangeBSEInstrumentId": bse,
            "BuyAvgPrice": float(rupees),
            "IsBuyAvgPriceProvided": True,
        }
        for symbol, body, nse, bse, rupees in EQUITIES[:3]
    ]
    if holdings_shape == "list":
        return {"RMSHoldingList": holdings}
    return {"RMSHoldings": {"Holdings": {row["ISIN"]: row for row in holdings}}}
