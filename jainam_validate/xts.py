"""Every fact about the XTS API the harness relies on, in one place: flows, routes, prefixes,
envelope codes, the pro-account placeholder, which route each book takes for each account
type, and the table of broker quirks (``QUIRKS``). A branch that handles a quirk says so in a
``# quirk XQnn:`` comment with the id from this table; docs/xts-quirks.md explains each one.
The built-in simulator deliberately does not import this module: it is written from the public
description of the API on its own, so a wrong fact here is caught by the tests, not mirrored.
"""

from __future__ import annotations

from enum import StrEnum


class Flow(StrEnum):
    """One kind of call a pass makes; the ``flow`` of every timing record."""

    LOGIN_INTERACTIVE = "login_interactive"
    LOGIN_MARKET = "login_market"
    POSITIONS = "positions"
    HOLDINGS = "holdings"
    TRADEBOOK = "tradebook"
    QUOTES = "quotes"
    # the application under test (IV2): its own REST API, after the broker books
    APP_PING = "app_ping"
    APP_ANALYZER = "app_analyzer"
    APP_POSITIONS = "app_positions"
    APP_HOLDINGS = "app_holdings"
    APP_TRADEBOOK = "app_tradebook"
    APP_SYMBOL = "app_symbol"


#: The three books, in the order a pass reads them.
BOOKS: tuple[Flow, ...] = (Flow.POSITIONS, Flow.HOLDINGS, Flow.TRADEBOOK)
#: The application's books, each the counterpart of the broker book of the same position.
APP_BOOKS: tuple[Flow, ...] = (Flow.APP_POSITIONS, Flow.APP_HOLDINGS, Flow.APP_TRADEBOOK)
#: Flows in the order a pass runs them (reports list them so, whatever run.json sorts to).
FLOW_ORDER: tuple[Flow, ...] = tuple(Flow)


def flow_rank(flow: str) -> tuple[int, str]:
    return (FLOW_ORDER.index(Flow(flow)) if flow in FLOW_ORDER else len(FLOW_ORDER), flow)


# -- routes --------------------------------------------------------------------------------
LOGIN_INTERACTIVE = "/interactive/user/session"
POSITIONS = "/interactive/portfolio/positions"
DEALER_POSITIONS = "/interactive/portfolio/dealerpositions"
HOLDINGS = "/interactive/portfolio/holdings"
# quirk XQ01: the trade book is /interactive/orders/trades; /interactive/trades is an nginx 404.
TRADEBOOK = "/interactive/orders/trades"
DEALER_TRADEBOOK = "/interactive/orders/dealertradebook"
#: Market-data routes, under a prefix (XQ05).
MARKET_LOGIN = "/auth/login"
MARKET_LOGOUT = "/auth/logout"
MARKET_QUOTES = "/instruments/quotes"
#: quirk XQ05: Jainam serves market data under /apibinarymarketdata (smpa/b/c, jtrade:5000);
#: other XTS brokers and the older Jainam host use /apimarketdata. The harness tries the other
#: prefix once when the first answers 404 (or 400 "only enabled for ctcl").
MARKET_DATA_PREFIXES: tuple[str, ...] = ("/apibinarymarketdata", "/apimarketdata")

#: quirk XQ02: a dealer/pro login addresses its own account with this literal clientID.
PRO_CLIENT_ID = "*****"


def is_login_route(route: str) -> bool:
    return route == LOGIN_INTERACTIVE or route.endswith(MARKET_LOGIN)


def book_request(
    flow: str, dealer: bool, client_id: str, day_or_net: str
) -> tuple[str, dict[str, str]]:
    """Route and query for a book, by account type.

    quirk XQ02: a dealer/pro login (``isInvestorClient: false``) must use the dealer routes with
    a ``clientID`` (``*****`` addresses the pro account itself); on the regular routes it gets
    "Data Not Available". quirk XQ03: holdings has no dealer route: the regular one with
    ``clientID`` (without it the server answers an Express HTML 500).
    """
    if dealer:
        return {
            Flow.POSITIONS: (DEALER_POSITIONS, {"dayOrNet": day_or_net, "clientID": client_id}),
            Flow.HOLDINGS: (HOLDINGS, {"clientID": client_id}),
            Flow.TRADEBOOK: (DEALER_TRADEBOOK, {"clientID": client_id}),
        }[Flow(flow)]
    return {
        Flow.POSITIONS: (POSITIONS, {"dayOrNet": day_or_net}),
        Flow.HOLDINGS: (HOLDINGS, {}),
        Flow.TRADEBOOK: (TRADEBOOK, {}),
    }[Flow(flow)]


# -- envelope codes --------------------------------------------------------------------------
#: quirk XQ04: an empty book is HTTP 400 "Data Not Available" with a per-area code, not an
#: empty list. Only these book codes count: other codes end in 0005 too (a rejected login can).
DATA_NOT_AVAILABLE_CODES = frozenset(
    {
        "e-portfolio-0005",
        "e-tradebook-0005",  # live casing is e-tradeBook-0005; compared case-folded
        "e-orders-0005",
        "e-holdings-0005",
        "e-funds-0005",
        "e-balance-0005",
    }
)
#: quirk XQ06: a stale, foreign or kicked session is HTTP 400 (not 401) e-session-0007
#: "Invalid Token"; on market data it has been reported as HTTP 200 with type "error".
INVALID_TOKEN_CODE = "e-session-0007"

#: Quotes (market data): message code 1502 (full market data), JSON format.
QUOTES_MESSAGE_CODE = 1502
#: quirk XQ10: quotes take numeric segments (1 = NSECM, 11 = BSECM), unlike interactive.
NSE_CM, BSE_CM = 1, 11
#: quirk XQ11: XTS answers at most 50 instruments per quotes call.
QUOTES_BATCH = 50

#: Every broker quirk the harness handles: id -> what the broker does. The ids appear in the
#: code (``# quirk XQnn:``), in tests that pin the branch, and in docs/xts-quirks.md.
QUIRKS: dict[str, str] = {
    "XQ01": "the trade book is /interactive/orders/trades (/interactive/trades is a 404)",
    "XQ02": "dealer/pro logins read books through dealer routes with clientID; ***** is the "
    "pro account itself",
    "XQ03": "holdings has no dealer route; without clientID a dealer gets an Express HTML 500",
    "XQ04": "an empty book is HTTP 400 'Data Not Available' with a per-area e-*-0005 code",
    "XQ05": "market data lives under /apibinarymarketdata or /apimarketdata depending on host",
    "XQ06": "'Invalid Token' is HTTP 400 e-session-0007 (HTTP 200 type error on market data)",
    "XQ07": "success is decided by the envelope's type, never by its code",
    "XQ08": "the session token goes raw in Authorization, without 'Bearer'",
    "XQ09": "each quotes item is a JSON-encoded string, not an object; LTP under Touchline",
    "XQ10": "quotes take numeric exchange segments (1 NSECM, 11 BSECM)",
    "XQ11": "at most 50 instruments per quotes call",
    "XQ12": "numbers arrive as strings with thousands separators, 'NaN' and empty strings",
    "XQ13": "the instrument id key is ExchangeInstrumentId in some payloads, "
    "ExchangeInstrumentID in others; 0 means no id on that exchange",
    "XQ14": "OrderAverageTradedPrice is text with separators; the API field is a number or NaN",
    "XQ15": "nginx answers plain HTTP on the TLS port with an HTML 400",
    "XQ16": "nginx and Express answer errors with HTML pages, not JSON",
    "XQ17": "one market-data session per key pair: a new login can kick another app off",
    "XQ18": "an empty listQuotes comes with type success",
    "XQ19": "secrets may hold '$'; .env is read with interpolation off",
}
