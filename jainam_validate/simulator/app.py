"""The XTS application behind the simulator's HTTP server: routing of the interactive and
market-data paths to flows, the two logins (credentials compared byte for byte; the session
tokens come from ``sessions``) and logouts, the investor and dealer route rules with their
quirks, the book routes with their cached bodies (rows from ``book``), the quotes endpoint
(quotes from ``market``), and every secret and identifier served (``sensitive_values``). Each
flow's configured delay and empty book are applied here, its fault by ``faults``. It maps a
parsed ``Request`` to a ``Reply`` and never touches a socket, so the HTTP layer only delivers
what it is given."""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

from jainam_validate.simulator import leaky
from jainam_validate.simulator import responses as r
from jainam_validate.simulator.book import Account, Book
from jainam_validate.simulator.faults import Faults
from jainam_validate.simulator.openalgo import APP_FLOWS, OpenAlgoApp
from jainam_validate.simulator.responses import JsonObj, Response
from jainam_validate.simulator.scenario import PRO_CLIENT_ID, SimConfig
from jainam_validate.simulator.sessions import SessionKind, Sessions

Delivery = Literal["normal", "truncated", "drip", "reset"]
Handler = Callable[["Request"], Response]

MAX_QUOTE_INSTRUMENTS = 50
_ENUMS: JsonObj = {  # a small subset of the login enums
    "socketEvent": ["joined", "error", "order", "trade", "position", "tradeConversion", "logout"],
    "orderSide": ["BUY", "SELL"],
    "orderSource": ["WebAPI", "TWSAPI", "MobileAPI"],
    "positionSqureOffMode": ["DayWise", "NetWise"],
    "positionSquareOffQuantityType": ["Percentage", "ExactQty"],
    "dayOrNet": ["DAY", "NET"],
    "instrumentType": ["Futures", "Options", "Spread", "Equity"],
    "exchangeSegment": {"NSECM": 1, "NSEFO": 2, "NSECD": 3, "BSECM": 11, "BSEFO": 12, "MCXFO": 51},
    "exchangeInfo": {
        "NSECM": {"productType": ["CNC", "MIS", "NRML"]},
        "NSEFO": {"productType": ["MIS", "NRML"]},
        "BSECM": {"productType": ["CNC", "MIS", "NRML"]},
    },
}
# invented: element shape of exchangeSegmentArray
_SEGMENT_ARRAY = [
    {"key": "NSECM", "value": 1},
    {"key": "NSEFO", "value": 2},
    {"key": "BSECM", "value": 11},
]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Reply:
    flow: str | None
    response: Response | None  # None only for a reset
    delivery: Delivery = "normal"


def _same(given: object, expected: str) -> bool:
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


class XtsApp:
    """Request -> Reply for one SimConfig; thread-safe."""

    def __init__(self, config: SimConfig, sleep: Callable[[float], None]) -> None:
        self.config = config
        self.book = Book(config)
        self._sleep = sleep
        self._sessions = Sessions(self.book.user_id, config.token_ttl_s)
        self._faults = Faults(self.book)
        self._lock = threading.Lock()
        self._gen_lock = threading.Lock()
        self._cache: dict[tuple[str, ...], bytes] = {}
        self._trade_ids: set[str] = set()
        self._routes = self._build_routes()
        self.openalgo = OpenAlgoApp(self.book, config.app_key, dict(config.faults), _same)

    # -- routing -----------------------------------------------------------------------------

    def _build_routes(self) -> dict[tuple[str, str], tuple[str, Handler]]:
        routes: dict[tuple[str, str], tuple[str, Handler]] = {
            ("POST", "/interactive/user/session"): ("login_interactive", self._login_interactive),
            ("DELETE", "/interactive/user/session"): ("logout_interactive", self._logout_ia),
            ("GET", "/interactive/portfolio/positions"): ("positions", self._positions),
            ("GET", "/interactive/portfolio/dealerpositions"): (
                "positions",
                self._dealer_positions,
            ),
            ("GET", "/interactive/portfolio/holdings"): ("holdings", self._holdings),
            ("GET", "/interactive/orders/trades"): ("tradebook", self._trades),
            ("GET", "/interactive/orders/dealertradebook"): ("tradebook", self._dealer_trades),
        }
        # quirk: market data answers only under the configured prefixes; any other prefix
        # (e.g. /apimarketdata on a binary-only host) falls through to the nginx 404
        for md in self.config.md_prefixes:
            routes[("POST", f"{md}/auth/login")] = ("login_market", self._login_market)
            routes[("DELETE", f"{md}/auth/logout")] = ("logout_market", self._logout_md)
            routes[("POST", f"{md}/instruments/quotes")] = ("quotes", self._quotes)
        # the application under test on the same port (OpenAlgo accepts a trailing slash)
        for path, flow in APP_FLOWS.items():
            for route in (path, path + "/"):
                routes[("POST", route)] = (flow, self._application(flow))
        return routes

    def _application(self, flow: str) -> Handler:
        return lambda req: self.openalgo.handle(flow, req.body)

    def handle(self, req: Request) -> Reply:
        entry = self._routes.get((req.method, req.path))
        if entry is None:
            # quirk: unknown paths (including the old /interactive/trades) are nginx 404 HTML
            return Reply(None, r.nginx(404))
        flow, handler = entry
        delay_ms = self.config.delays_ms.get(flow, 0)
        if delay_ms:
            self._sleep(delay_ms / 1000)
        fault = self.config.faults.get(flow)
        if fault == "timeout":
            self._sleep(self.config.timeout_fault_s)
        if fault == "reset":
            return Reply(flow, None, "reset")
        early = self._faults.gateway(flow, fault)
        if early is not None:
            return Reply(flow, early)
        resp = self._faults.answer(flow, fault, req.query, handler(req))
        if fault == "truncated_json":
            return Reply(flow, resp, "truncated")
        if fault == "slow_drip":
            return Reply(flow, resp, "drip")
        return Reply(flow, resp)

    # -- sessions ----------------------------------------------------------------------------

    def _session(self, req: Request, kind: SessionKind) -> str | None:
        """The token if the request carries a live one of this kind, else None."""
        return self._sessions.check(req.headers.get("authorization"), kind)

    # -- logins ------------------------------------------------------------------------------

    def _login_fields(self, req: Request) -> dict[str, Any] | Response:
        ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            text = req.body.decode("utf-8")
        except UnicodeDecodeError:
            return r.bad_request([r.field_error("body", "body", "body must be UTF-8", "any")])
        fields: dict[str, Any]
        if ctype == "application/x-www-form-urlencoded" or (
            ctype != "application/json" and not text.lstrip().startswith("{")
        ):
            # the Python SDK posts the login as form fields; others send JSON
            fields = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        else:
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                return r.bad_request(
                    [r.field_error("body", "body", "body must be a JSON object", "object.base")]
                )
            fields = parsed
        errors = [
            r.field_error(name, "body", f'"{name}" is required', "any.required")
            for name in ("appKey", "secretKey")
            if not isinstance(fields.get(name), str)
        ]
        return r.bad_request(errors) if errors else fields

    def _session_for(
        self, req: Request, kind: SessionKind, key: str, secret: str
    ) -> Response | str:
        """A new session token for a login with this key pair, or the error answer."""
        fields = self._login_fields(req)
        if isinstance(fields, Response):
            return fields
        # byte-for-byte comparison: secrets may hold $, ${, #, quotes and backslashes
        if not (_same(fields["appKey"], key) and _same(fields["secretKey"], secret)):
            return _invalid_credentials()
        return self._sessions.issue(kind, key)

    def _login_interactive(self, req: Request) -> Response:
        creds = self.config.credentials
        token = self._session_for(
            req, "interactive", creds.interactive_key, creds.interactive_secret
        )
        if isinstance(token, Response):
            return token
        return r.success(
            "s-user-0001",
            "Valid User.",
            {
                "enums": _ENUMS,
                "clientCodes": self.book.client_codes(),
                "exchangeSegmentArray": _SEGMENT_ARRAY,
                "token": token,
                "userID": self.book.user_id,
                "isInvestorClient": not self.book.dealer,
                "isOneTouchUser": False,
            },
        )

    def _login_market(self, req: Request) -> Response:
        creds = self.config.credentials
        token = self._session_for(req, "market", creds.market_key, creds.market_secret)
        if isinstance(token, Response):
            return token
        # quirk: the market-data login's *success* code starts with "e-"
        return r.success(
            "e-response-0010",
            "Provided Valid Credentials",
            {
                "token": token,
                "userID": self.book.user_id,
                "appVersion": "5.0.15",
                "application_expiry_date": "30-12-2027",
            },
        )

    def _logout(self, req: Request, kind: SessionKind) -> Response:
        token = self._session(req, kind)
        if token is None:
            return r.invalid_token()
        self._sessions.end(token)
        if kind == "interactive":
            # invented: code and text of the interactive logout answer
            return r.success("s-session-0001", "User logged out successfully", {})
        # invented: code and text of the market-data logout answer
        return r.success("s-response-0011", "Logged out successfully", {})

    def _logout_ia(self, req: Request) -> Response:
        return self._logout(req, "interactive")

    def _logout_md(self, req: Request) -> Response:
        return self._logout(req, "market")

    # -- books -------------------------------------------------------------------------------

    def _empty(self, flow: str, size: int) -> bool:
        return flow in self.config.empty_flows or size == 0

    def _cached(self, key: tuple[str, ...], build: Callable[[], bytes]) -> bytes:
        body = self._cache.get(key)
        if body is None:
            with self._gen_lock:
                body = self._cache.get(key)
                if body is None:
                    body = build()
                    self._cache[key] = body
        return body

    def _dealer_client(self, req: Request, not_mapped_code: str) -> Account | Response:
        """The account a dealer request names with clientID, or the error to answer."""
        client = req.query.get("clientID", "")
        if not client:
            # invented: a dealer route without clientID is a validation error
            return r.bad_request(
                [r.field_error("clientID", "query", '"clientID" is required', "any.required")]
            )
        if client not in self.config.dealer_client_ids:
            return r.not_mapped(not_mapped_code)
        return self.book.account_for(client)

    def _day_or_net(self, req: Request) -> str | Response:
        value = req.query.get("dayOrNet")
        if value in ("NetWise", "DayWise"):
            return value
        if value is None:
            error = r.field_error("dayOrNet", "query", '"dayOrNet" is required', "any.required")
        else:
            error = r.field_error(
                "dayOrNet", "query", '"dayOrNet" must be one of [NetWise, DayWise]', "any.only"
            )
        return r.bad_request([error])

    def _positions(self, req: Request) -> Response:
        if self._session(req, "interactive") is None:
            return r.invalid_token()
        day_or_net = self._day_or_net(req)
        if isinstance(day_or_net, Response):
            return day_or_net
        if self.book.dealer:
            # quirk: a dealer login on the regular route looks like an empty book
            return r.data_not_available("portfolio")
        return self._positions_body(self.book.account_for(None), day_or_net)

    def _dealer_positions(self, req: Request) -> Response:
        if self._session(req, "interactive") is None:
            return r.invalid_token()
        day_or_net = self._day_or_net(req)
        if isinstance(day_or_net, Response):
            return day_or_net
        if not self.book.dealer:
            return _dealer_only()
        # invented: e-portfolio-00002, by analogy with the trade book's e-trade-00002
        account = self._dealer_client(req, "e-portfolio-00002")
        if isinstance(account, Response):
            return account
        return self._positions_body(account, day_or_net)

    def _positions_body(self, account: Account, day_or_net: str) -> Response:
        if self._empty("positions", self.config.n_positions):
            return r.data_not_available("portfolio")
        # unverified in the reference: s-portfolio-0005 "Get Net Position successfully!";
        # invented: the DayWise wording
        text = f"Get {'Net' if day_or_net == 'NetWise' else 'Day'} Position successfully!"

        def build() -> bytes:
            rows = self.book.positions(account)
            return r.dumps(r.envelope("success", "s-portfolio-0005", text, {"positionList": rows}))

        return _ok_bytes(self._cached(("positions", account.code, day_or_net), build))

    def _holdings(self, req: Request) -> Response:
        if self._session(req, "interactive") is None:
            return r.invalid_token()
        client = req.query.get("clientID", "")
        if self.book.dealer:
            if not client:
                # quirk: a dealer holdings call without clientID crashes the server: HTTP 500
                # Express HTML page, not JSON
                return r.express_500()
            if client not in self.config.dealer_client_ids:
                # invented: e-holdings-00002, by analogy with the trade book's e-trade-00002
                return r.not_mapped("e-holdings-00002")
        # an investor session ignores clientID (the SDKs send it only for dealers)
        account = self.book.account_for(client or None)
        if self._empty("holdings", self.config.n_holdings):
            return r.data_not_available("holdings")

        def build() -> bytes:
            result = self.book.holdings_result(account)
            # invented: success code and text of the holdings answer
            return r.dumps(
                r.envelope("success", "s-holdings-0001", "Get Holdings successfully!", result)
            )

        return _ok_bytes(self._cached(("holdings", account.code), build))

    def _trades(self, req: Request) -> Response:
        if self._session(req, "interactive") is None:
            return r.invalid_token()
        if self.book.dealer:
            if not req.query.get("clientID"):
                # quirk: a dealer on the regular trade book without clientID gets "empty"
                return r.data_not_available("tradeBook")
            # quirk: ... and with any clientID gets "not mapped"
            return r.not_mapped("e-trade-00002")
        account = self.book.account_for(None)
        if self._empty("tradebook", self.config.n_trades):
            return r.data_not_available("tradeBook")
        # invented: success code and text of the regular trade book answer
        return _ok_bytes(self._tradebook_body(account, "s-trade-0001", "Success trade book"))

    def _dealer_trades(self, req: Request) -> Response:
        if self._session(req, "interactive") is None:
            return r.invalid_token()
        if not self.book.dealer:
            return _dealer_only()
        account = self._dealer_client(req, "e-trade-00002")
        if isinstance(account, Response):
            return account
        if self._empty("tradebook", self.config.n_trades):
            # quirk: the dealer trade book answers an empty book with success and [] (live
            # s-dealertrade-0001 "Success trade book", result []), unlike the other books
            return r.success("s-dealertrade-0001", "Success trade book", [])
        return _ok_bytes(self._tradebook_body(account, "s-dealertrade-0001", "Success trade book"))

    def _tradebook_body(self, account: Account, code: str, text: str) -> bytes:
        def build() -> bytes:
            head = r.dumps(r.envelope("success", code, text, None))[: -len(b"null}")]
            parts: list[str] = []
            ids: set[str] = set()
            for row, row_ids in self.book.iter_trade_json(account):
                parts.append(row)
                ids.update(row_ids)
            with self._lock:
                self._trade_ids |= ids
            return head + b"[" + ",".join(parts).encode("utf-8") + b"]}"

        return self._cached(("tradebook", account.code, code), build)

    # -- quotes ------------------------------------------------------------------------------

    def _quotes(self, req: Request) -> Response:
        if self._session(req, "market") is None:
            return r.invalid_token()
        try:
            body = json.loads(req.body.decode("utf-8"))
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return r.bad_request(
                [r.field_error("body", "body", "body must be a JSON object", "object.base")]
            )
        errors: list[JsonObj] = []
        if body.get("publishFormat") is None:
            errors.append(
                r.field_error(
                    "publishFormat", "body", '"publishFormat" is required', "any.required"
                )
            )
        elif body["publishFormat"] != "JSON":
            # invented: only JSON is simulated (Binary is a real option)
            errors.append(
                r.field_error("publishFormat", "body", '"publishFormat" must be [JSON]', "any.only")
            )
        code = body.get("xtsMessageCode")
        mdp = code if type(code) is int and code in (1501, 1502) else 0
        if not mdp:
            # invented: other message codes exist but are not simulated
            errors.append(
                r.field_error(
                    "xtsMessageCode",
                    "body",
                    '"xtsMessageCode" must be one of [1501, 1502]',
                    "any.only",
                )
            )
        instruments = body.get("instruments")
        if not isinstance(instruments, list) or not instruments:
            errors.append(
                r.field_error(
                    "instruments", "body", '"instruments" must be a non-empty array', "array.base"
                )
            )
            return r.bad_request(errors)
        if errors:
            return r.bad_request(errors)
        if len(instruments) > MAX_QUOTE_INSTRUMENTS:
            # quirk: at most 50 instruments per quotes call (OA batches by 50);
            # invented: the code and text of the refusal
            return r.error(
                400,
                "e-quotes-0050",
                f"Maximum {MAX_QUOTE_INSTRUMENTS} instruments allowed per request",
            )
        wanted: list[tuple[int, int]] = []
        for i, item in enumerate(instruments):
            key = _instrument_key(item)
            if key is None:
                # quirk: exchangeSegment must be numeric (1, 2, 11), "NSECM" is a Bad Request
                errors.append(
                    r.field_error(
                        f"instruments[{i}]",
                        "body",
                        '"exchangeSegment" and "exchangeInstrumentID" must be numbers',
                        "number.base",
                    )
                )
            else:
                wanted.append(key)
        if errors:
            return r.bad_request(errors)
        rows: list[str] = []
        if "quotes" not in self.config.empty_flows:
            # quirk: rows come back in a different order than requested (match by segment+id);
            # unknown instruments are left out; listQuotes items are JSON *strings*
            for seg, iid in reversed(wanted):
                quote = self.book.market.quote(seg, iid, mdp)
                if quote is not None:
                    rows.append(json.dumps(quote, separators=(",", ":")))
        # quirk: an empty listQuotes still comes with type "success"
        return r.success(
            "s-quotes-0001",
            "Get quotes successfully!",
            {"mdp": mdp, "quotesList": instruments, "listQuotes": rows},
        )

    # -- secrets -------------------------------------------------------------------------------

    def sensitive_values(self) -> list[str]:
        values: set[str] = set(self.config.credentials.values())
        values.add(self.config.app_key)
        values.add(self.book.user_id)
        values.update(self.book.client_codes())
        for account in self.book.accounts():
            values.update((account.login_id, account.code, account.name))
            if self.config.n_trades:
                self._tradebook_body(
                    account,
                    "s-trade-0001" if not self.book.dealer else "s-dealertrade-0001",
                    "Success trade book",
                )
        values |= leaky.fault_values(self.book)
        values.update(self._sessions.issued())
        with self._lock:
            values |= self._trade_ids
        values.discard(PRO_CLIENT_ID)
        values.discard("")
        return sorted(values, key=lambda v: (-len(v), v))


def _ok_bytes(body: bytes) -> Response:
    return Response(200, body, r.JSON_TYPE, (("X-Powered-By", "Express"),))


def _invalid_credentials() -> Response:
    # invented: code and text; the code deliberately ends in 0005 so a client that reads every
    # *-0005 as "empty book" is caught
    return r.error(400, "e-user-0005", "Invalid appKey or secretKey")


def _dealer_only() -> Response:
    # invented: code and text for an investor session calling a dealer route
    return r.error(400, "e-user-0011", "Dealer API is not available for investor clients")


def _instrument_key(item: object) -> tuple[int, int] | None:
    if not isinstance(item, dict):
        return None
    seg = item.get("exchangeSegment")
    iid = item.get("exchangeInstrumentID")
    if isinstance(seg, bool) or not isinstance(seg, int):
        return None
    # reference silent on string ids; digit strings are accepted (positions carry string ids)
    if isinstance(iid, str) and iid.isascii() and iid.isdigit():
        iid = int(iid)
    if isinstance(iid, bool) or not isinstance(iid, int):
        return None
    return seg, iid
