"""The XTS application behind the simulator's HTTP server: routing of the interactive and
market-data paths to flows, the two kinds of session token (JWT-shaped, HMAC-signed, raw in
``Authorization``, one market-data session per key pair), the investor and dealer route rules
with their quirks, the quotes endpoint, cached book bodies, and the per-flow empty/delay/fault
treatment from ``SimConfig`` (the leaky faults' payloads come from ``leaky``). It maps a
parsed ``Request`` to a ``Reply`` and never touches a socket, so the HTTP layer only delivers
what it is given."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

from jainam_validate.simulator import leaky
from jainam_validate.simulator import responses as r
from jainam_validate.simulator.book import (
    Account,
    Book,
    JsonObj,
    missing_fields_result,
    synthetic_isin,
    unreadable_result,
)
from jainam_validate.simulator.responses import Response
from jainam_validate.simulator.scenario import (
    BOOK_FLOWS,
    PRO_CLIENT_ID,
    SimConfig,
)

Delivery = Literal["normal", "truncated", "drip", "reset"]
Handler = Callable[["Request"], Response]

HUGE_BODY_BYTES = 20_000_000
MAX_QUOTE_INSTRUMENTS = 50
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
_GATEWAY_FAULTS = frozenset(
    {
        "html500",
        "html404",
        "nginx502",
        "nginx503",
        "http429",
        "reset",
        "nonjson200",
        "plain_http_to_https",
        "invalid_token_once",
        "invalid_token_always",
    }
)
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


@dataclass(frozen=True)
class _Session:
    kind: Literal["interactive", "market"]
    app_key: str
    exp: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


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
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._gen_lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._md_current: dict[str, str] = {}
        self._issued: list[str] = []
        self._seen_flows: set[str] = set()
        self._cache: dict[tuple[str, ...], bytes] = {}
        self._huge_cache: dict[tuple[str, bytes], bytes] = {}
        self._leaky_cache: dict[tuple[str, str, bytes], bytes] = {}
        self._trade_ids: set[str] = set()
        self._routes = self._build_routes()

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
        return routes

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
        if fault in _GATEWAY_FAULTS:
            early = self._gateway_fault(flow, fault)
            if early is not None:
                return early
        resp = handler(req)
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
                resp = self._leaky(flow, fault, req, resp)
        if fault == "header_echo" and (
            resp.status == 200 or (flow in BOOK_FLOWS and _is_data_not_available(resp))
        ):
            resp = leaky.echo_headers(self.book, self._account_of(req), resp)
        if fault == "truncated_json":
            return Reply(flow, resp, "truncated")
        if fault == "slow_drip":
            return Reply(flow, resp, "drip")
        return Reply(flow, resp)

    def _gateway_fault(self, flow: str, fault: str | None) -> Reply | None:
        """Faults raised in front of the application: they ignore the request's content."""
        if fault == "reset":
            return Reply(flow, None, "reset")
        if fault == "invalid_token_once":
            with self._lock:
                first = flow not in self._seen_flows
                self._seen_flows.add(flow)
            return Reply(flow, r.invalid_token()) if first else None
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
        return Reply(flow, pages[fault]()) if fault in pages else None

    # -- tokens ------------------------------------------------------------------------------

    def _issue(self, kind: Literal["interactive", "market"], app_key: str) -> str:
        now = int(time.time())
        exp = now + self.config.token_ttl_s
        header = _b64(b'{"alg":"HS256","typ":"JWT"}')
        claims = {
            "userID": f"{self.book.user_id}_{app_key}",
            "publicKey": app_key,
            "iat": now,
            "exp": exp,
            "jti": secrets.token_hex(8),
        }  # jti: makes every login's token differ
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        signing_input = f"{header}.{payload}".encode("ascii")
        signature = _b64(hmac.new(self._key, signing_input, hashlib.sha256).digest())
        token = f"{header}.{payload}.{signature}"
        with self._lock:
            # inferred: interactive logins may hold several sessions (the reference states the
            # one-session rule for market data only)
            self._sessions[token] = _Session(kind, app_key, exp)
            self._issued.append(token)
            if kind == "market":
                # quirk: one market-data session per key pair; a new login kicks the old token
                old = self._md_current.get(app_key)
                if old is not None:
                    self._sessions.pop(old, None)
                self._md_current[app_key] = token
        return token

    def _session(self, req: Request, kind: Literal["interactive", "market"]) -> str | None:
        """The token if the request carries a live one of this kind, else None."""
        token = req.headers.get("authorization")
        # quirk: the token goes raw in Authorization; "Bearer <token>" is just an unknown token
        if not token or token.count(".") != 2:
            return None
        signing_input, _, signature = token.rpartition(".")
        expected = _b64(
            hmac.new(
                self._key, signing_input.encode("utf-8", "surrogatepass"), hashlib.sha256
            ).digest()
        )
        if not hmac.compare_digest(
            signature.encode("utf-8", "surrogatepass"), expected.encode("ascii")
        ):
            return None
        with self._lock:
            session = self._sessions.get(token)
        if session is None or session.kind != kind or time.time() >= session.exp:
            return None
        return token

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

    def _login_interactive(self, req: Request) -> Response:
        fields = self._login_fields(req)
        if isinstance(fields, Response):
            return fields
        creds = self.config.credentials
        # byte-for-byte comparison: secrets may hold $, ${, #, quotes and backslashes
        ok_key = _same(fields["appKey"], creds.interactive_key)
        ok_secret = _same(fields["secretKey"], creds.interactive_secret)
        if not (ok_key and ok_secret):
            return _invalid_credentials()
        token = self._issue("interactive", creds.interactive_key)
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
        fields = self._login_fields(req)
        if isinstance(fields, Response):
            return fields
        creds = self.config.credentials
        ok_key = _same(fields["appKey"], creds.market_key)
        ok_secret = _same(fields["secretKey"], creds.market_secret)
        if not (ok_key and ok_secret):
            return _invalid_credentials()
        token = self._issue("market", creds.market_key)
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

    def _logout(self, req: Request, kind: Literal["interactive", "market"]) -> Response:
        token = self._session(req, kind)
        if token is None:
            return r.invalid_token()
        with self._lock:
            self._sessions.pop(token, None)
            for key, current in list(self._md_current.items()):
                if current == token:
                    del self._md_current[key]
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
                quote = self.book.quote(seg, iid, mdp)
                if quote is not None:
                    rows.append(json.dumps(quote, separators=(",", ":")))
        # quirk: an empty listQuotes still comes with type "success"
        return r.success(
            "s-quotes-0001",
            "Get quotes successfully!",
            {"mdp": mdp, "quotesList": instruments, "listQuotes": rows},
        )

    # -- rows that are not usable ------------------------------------------------------------

    def _bad_rows(self, flow: str, fault: str, resp: Response) -> Response:
        """The book's own success envelope (type, code, description) around the rows of the
        unreadable_rows or missing_fields fault."""
        if flow not in BOOK_FLOWS:  # SimConfig refuses this; keep the answer as it is
            return resp
        head = _envelope_head(resp.body)
        build = unreadable_result if fault == "unreadable_rows" else missing_fields_result
        result = build(flow, self.config.holdings_shape)
        body = r.envelope(
            str(head.get("type")), str(head.get("code")), str(head.get("description")), result
        )
        return Response(resp.status, r.dumps(body), resp.content_type, resp.headers)

    # -- leaky answers ---------------------------------------------------------------------------

    def _account_of(self, req: Request) -> Account:
        """The account a request is answered for: the investor's whatever clientID says; a
        dealer's mapped client (its own account without clientID or with ``*****``)."""
        return self.book.account_for(req.query.get("clientID") or None)

    def _leaky(self, flow: str, fault: str, req: Request, resp: Response) -> Response:
        """A successful answer turned into the answer of a leaky fault (see ``leaky``)."""
        account = self._account_of(req)
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
            body = self._leaky_body(flow, fault, account, resp.body)
            if flow in BOOK_FLOWS:  # a login answer differs every time (its token)
                with self._lock:
                    self._leaky_cache[key] = body
        return Response(resp.status, body, resp.content_type, resp.headers)

    def _leaky_body(self, flow: str, fault: str, account: Account, body: bytes) -> bytes:
        payload = json.loads(body)
        result = payload.get("result")
        if fault == "userid_list":
            # invented: a login whose userID is a list of the user id and another one
            second = leaky.personal_ids(self.book.seed, account).user_ids[0]
            result = {**result, "userID": [self.book.user_id, second]}
        elif fault == "odd_id_keys":
            result = leaky.odd_id_keys(result, leaky.personal_ids(self.book.seed, account))
        elif fault == "nested_ids":
            result = leaky.nested_ids(result)
        elif fault == "long_symbol":
            result = leaky.long_symbol(result, flow)
        elif fault == "huge_numbers":
            result = leaky.huge_numbers(result, self.book, account)
        out = r.dumps({**payload, "result": result})
        return leaky.huge_numbers_bytes(out) if fault == "huge_numbers" else out

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

    # -- secrets -------------------------------------------------------------------------------

    def sensitive_values(self) -> list[str]:
        values: set[str] = set(self.config.credentials.values())
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
        with self._lock:
            values.update(self._issued)
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
