"""Scenario configuration for the XTS simulator: the demo credentials, the names of the flows a
scenario can shape (``FLOWS``), the fault kinds it can inject (``FAULT_KINDS``), the frozen
``SimConfig`` that fixes everything the simulator serves (profile, prefixes, empty books, delays,
faults, book sizes, seed), and ``parse_flow_value`` for ``FLOW=VALUE`` command-line flags. This
module has no I/O and imports nothing from the rest of the package.

Most fault kinds apply to any flow. The hostile ones at the end of ``FAULT_KINDS``:
``forged_error`` (any flow) answers HTTP 400 with an XTS error envelope whose code and
description (``FORGED_CODE``, ``FORGED_TEXT``) and ``X-Forged`` header (``FORGED_HEADER``) try
to forge a markdown report or a terminal; ``unreadable_rows`` (book flows only) answers 200
success whose rows are not records (strings, numbers, nulls, booleans, lists); and
``missing_fields`` (book flows only) answers 200 success whose rows are objects without the
fields a row needs (instrument, symbol, quantity, order id).

The leaky fault kinds after them echo the simulator's own identifiers where a harness might not
look for them (their payloads are built in ``leaky``); every value they echo is in
``Simulator.sensitive_values()``. ``header_echo`` (any flow) keeps the answer (a success, or a
book's HTTP 400 "Data Not Available") and adds ``X-Account``, ``X-Client-Code`` and an
``acct=`` parameter of ``Content-Type``; ``leaky_utf8``, ``leaky_cut`` and ``leaky_text`` (book
flows only) answer a body no client can parse that names an order and a client first: JSON with
one invalid UTF-8 byte or JSON cut short (both HTTP 200), or a ``text/plain`` HTTP 500; the id
of the account in those four is its trading account id, which a normal pass meets only in the
trade book (its rows carry it as ``AccountID`` when one of them is configured); the order id is
the account's first ``AppOrderID``. ``odd_id_keys`` (book flows only) adds made-up personal and
order ids under keys outside the usual set (``"Client ID"``, ``UCC``, ``PANNumber``,
``MobileNumber``, ``EmailID``, ``userIds`` ...); ``nested_ids`` (trade book only) hides the row's
ids in JSON-in-a-string, base64, URL-encoded, zero-padded and glued-on text, and serves every
third row as a JSON string; ``deep_json`` (any flow) answers 200 success whose ``result`` is
nested 2 000 objects deep; ``userid_list`` (logins only) answers a login whose
``userID`` is a list of two user ids; ``huge_numbers`` (holdings only) adds holdings with
21-digit quantities and prices; ``long_symbol`` (book flows only) makes one row's symbol 150 000
characters long with an ``@`` in the middle. ``fault_flows`` names the flows a kind applies to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

FLOWS: tuple[str, ...] = (
    "login_interactive",
    "login_market",
    "positions",
    "holdings",
    "tradebook",
    "quotes",
    "logout_interactive",
    "logout_market",
    # the application under test (OpenAlgo's REST API, see ``openalgo``)
    "app_ping",
    "app_analyzer",
    "app_positions",
    "app_holdings",
    "app_tradebook",
    "app_symbol",
)
APP_FLOWS: frozenset[str] = frozenset(f for f in FLOWS if f.startswith("app_"))
#: The broker's own flows (XTS), in ``FLOWS`` order.
BROKER_FLOWS: tuple[str, ...] = tuple(f for f in FLOWS if f not in APP_FLOWS)
#: The generic fault kinds that make sense in front of the application too (HTTP and transport).
APP_TRANSPORT_FAULTS: frozenset[str] = frozenset(
    {"html500", "nginx502", "nginx503", "http429", "timeout", "reset", "truncated_json"}
)

FAULT_KINDS: tuple[str, ...] = (
    "html500",
    "html404",
    "nginx502",
    "nginx503",
    "http429",
    "timeout",
    "reset",
    "truncated_json",
    "nonjson200",
    "type_error200",
    "invalid_token_once",
    "invalid_token_always",
    "data_not_available",
    "slow_drip",
    "huge_body",
    "plain_http_to_https",
    "forged_error",  # any flow: HTTP 400 error envelope with hostile code/description/header
    "unreadable_rows",  # books only: 200 success, rows are scalars/lists, not records
    "missing_fields",  # books only: 200 success, row objects without the fields a row needs
    "header_echo",  # any flow: the answer (or a book's 400 DNA) + headers echoing account ids
    "leaky_utf8",  # books only: 200, JSON naming an order and client, then one invalid UTF-8 byte
    "leaky_cut",  # books only: 200, JSON naming an order and client, cut short
    "leaky_text",  # books only: 500 text/plain "order <id> for client <id> failed"
    "odd_id_keys",  # books only: 200 success, rows with made-up ids under unusual keys
    "nested_ids",  # trade book only: ids in JSON strings, base64, URL-encoded and glued text
    "deep_json",  # any flow: 200 success, result nested 2 000 objects deep
    "userid_list",  # logins only: 200 success, userID is a list of two user ids
    "huge_numbers",  # holdings only: 200 success, plus rows with 21-digit quantity and price
    "long_symbol",  # books only: 200 success, one row's symbol is 150 000 characters long
    # the application's (IV2), each on one app flow
    "stale_holding",  # app_holdings: one holding one share short of the broker's
    "missing_trade",  # app_tradebook: the last fill missing
    "analyzer_mode",  # app_analyzer: the application is in analyzer (sandbox) mode
    "session_broken",  # app_positions: position book HTTP 500, the other books empty
)
BOOK_FLOWS: frozenset[str] = frozenset({"positions", "holdings", "tradebook"})
#: Fault kinds that apply to every book flow and to nothing else.
BOOK_ONLY_FAULTS: frozenset[str] = frozenset(
    {
        "unreadable_rows",
        "missing_fields",
        "leaky_utf8",
        "leaky_cut",
        "leaky_text",
        "odd_id_keys",
        "long_symbol",
    }
)
#: Fault kinds that apply to a few named flows only (other than exactly the book flows).
FLOW_ONLY_FAULTS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "nested_ids": frozenset({"tradebook"}),
        "userid_list": frozenset({"login_interactive", "login_market"}),
        "huge_numbers": frozenset({"holdings"}),
        "stale_holding": frozenset({"app_holdings"}),
        "missing_trade": frozenset({"app_tradebook"}),
        "analyzer_mode": frozenset({"app_analyzer"}),
        "session_broken": frozenset({"app_positions"}),
    }
)

PRO_CLIENT_ID = "*****"
#: Response header the simulator (and a cassette replay) sends on every answer: evidence from
#: a run that saw it is marked as simulator evidence, never as live.
SIMULATOR_HEADER = "X-Jainam-Simulator"


@dataclass(frozen=True)
class SimCredentials:
    """The two XTS app key pairs the simulator accepts (interactive and market data)."""

    interactive_key: str
    interactive_secret: str
    market_key: str
    market_secret: str

    def __repr__(self) -> str:
        return "SimCredentials(<redacted>)"

    def values(self) -> tuple[str, str, str, str]:
        return (self.interactive_key, self.interactive_secret, self.market_key, self.market_secret)


DEMO_CREDENTIALS = SimCredentials(
    interactive_key="sim-ia-key-7f3a",
    interactive_secret="sim-ia-secret$#1",
    market_key="sim-md-key-0b62",
    market_secret="sim-md-secret@$2",
)
#: The application's API key the simulator accepts by default (public, like the four above).
DEMO_APP_KEY = "sim-app-key-5d1e9c0a"


def _frozen_map(value: Mapping[str, object]) -> MappingProxyType[str, object]:
    return MappingProxyType(dict(value))


@dataclass(frozen=True)
class SimConfig:
    """Everything the simulator serves; equal configs serve byte-identical books."""

    profile: Literal["investor", "dealer"] = "investor"
    credentials: SimCredentials = DEMO_CREDENTIALS
    app_key: str = DEMO_APP_KEY
    md_prefixes: tuple[str, ...] = ("/apibinarymarketdata",)
    dealer_client_ids: tuple[str, ...] = (PRO_CLIENT_ID,)
    empty_flows: frozenset[str] = frozenset()
    delays_ms: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    faults: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    holdings_shape: Literal["map", "list"] = "map"
    n_positions: int = 6
    n_holdings: int = 5
    n_trades: int = 8
    token_ttl_s: int = 86400
    seed: int = 7
    timeout_fault_s: float = 30.0

    def __post_init__(self) -> None:
        if self.profile not in ("investor", "dealer"):
            raise ValueError(f"profile must be 'investor' or 'dealer', not {self.profile!r}")
        if self.holdings_shape not in ("map", "list"):
            raise ValueError(f"holdings_shape must be 'map' or 'list', not {self.holdings_shape!r}")
        if not self.md_prefixes:
            raise ValueError("md_prefixes must name at least one market-data prefix")
        for prefix in self.md_prefixes:
            bad = not prefix.startswith("/") or prefix.endswith("/")
            if bad or prefix.startswith("/interactive"):
                raise ValueError(f"md prefix must look like '/apibinarymarketdata': {prefix!r}")
        if any(not cid for cid in self.dealer_client_ids):
            raise ValueError("dealer_client_ids must not contain an empty client id")
        object.__setattr__(self, "empty_flows", frozenset(self.empty_flows))
        object.__setattr__(self, "md_prefixes", tuple(self.md_prefixes))
        object.__setattr__(self, "dealer_client_ids", tuple(self.dealer_client_ids))
        _check_flows(self.empty_flows, "empty_flows")
        _check_flows(self.delays_ms, "delays_ms")
        _check_flows(self.faults, "faults")
        for flow, delay in self.delays_ms.items():
            if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
                raise ValueError(f"delay for {flow} must be a non-negative int (ms): {delay!r}")
        for flow, kind in self.faults.items():
            if kind not in FAULT_KINDS:
                raise ValueError(
                    f"unknown fault {kind!r} for {flow}; fault kinds: {', '.join(FAULT_KINDS)}"
                )
            if flow not in fault_flows(kind):
                raise ValueError(_flow_only_message(kind, flow))
        object.__setattr__(self, "delays_ms", _frozen_map(self.delays_ms))
        object.__setattr__(self, "faults", _frozen_map(self.faults))
        for name in ("n_positions", "n_holdings", "n_trades", "token_ttl_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, not {value!r}")
        if self.timeout_fault_s < 0:
            raise ValueError("timeout_fault_s must not be negative")

    def __hash__(self) -> int:
        return hash(
            (
                self.profile,
                self.credentials,
                self.app_key,
                self.md_prefixes,
                self.dealer_client_ids,
                self.empty_flows,
                tuple(sorted(self.delays_ms.items())),
                tuple(sorted(self.faults.items())),
                self.holdings_shape,
                self.n_positions,
                self.n_holdings,
                self.n_trades,
                self.token_ttl_s,
                self.seed,
                self.timeout_fault_s,
            )
        )


def _check_flows(names: Mapping[str, object] | frozenset[str], what: str) -> None:
    for name in names:
        if name not in FLOWS:
            raise ValueError(f"unknown flow {name!r} in {what}; flows: {', '.join(FLOWS)}")


def fault_flows(kind: str) -> tuple[str, ...]:
    """The flows (in ``FLOWS`` order) a fault kind applies to; raises ValueError for an unknown
    kind."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault {kind!r}; fault kinds: {', '.join(FAULT_KINDS)}")
    if kind in BOOK_ONLY_FAULTS:
        return tuple(f for f in FLOWS if f in BOOK_FLOWS)
    only = FLOW_ONLY_FAULTS.get(kind)
    if only is None:  # the broker's flows, and the application's for HTTP and transport ones
        return tuple(f for f in FLOWS if f not in APP_FLOWS or kind in APP_TRANSPORT_FAULTS)
    return tuple(f for f in FLOWS if f in only)


def _flow_only_message(kind: str, flow: str) -> str:
    flows = ", ".join(fault_flows(kind))
    if kind in BOOK_ONLY_FAULTS:
        return f"fault {kind!r} applies to the book flows only ({flows}), not to {flow!r}"
    return f"fault {kind!r} applies to {flows} only, not to {flow!r}"


def parse_flow_value(text: str, *, kind: str) -> tuple[str, str]:
    """Parse ``FLOW=VALUE`` from a ``--fault`` or ``--delay`` flag (``kind`` is ``"fault"`` or
    ``"delay"``). Returns ``(flow, value)``; a delay value comes back as a canonical decimal string.
    Raises ValueError with a one-line message that lists what is accepted."""
    if kind not in ("fault", "delay"):
        raise ValueError(f"kind must be 'fault' or 'delay', not {kind!r}")
    what = "FLOW=KIND" if kind == "fault" else "FLOW=MS"
    flows = ", ".join(FLOWS)
    flow, sep, value = text.partition("=")
    flow, value = flow.strip(), value.strip()
    if not sep or not flow or not value:
        raise ValueError(f"--{kind} expects {what}, got {text!r}; flows: {flows}")
    if flow not in FLOWS:
        raise ValueError(f"--{kind}: unknown flow {flow!r}; flows: {flows}")
    if kind == "fault":
        if value not in FAULT_KINDS:
            raise ValueError(
                f"--fault: unknown fault kind {value!r}; fault kinds: {', '.join(FAULT_KINDS)}"
            )
        if flow not in fault_flows(value):
            raise ValueError(f"--fault: {_flow_only_message(value, flow)}")
        return flow, value
    if not value.isascii() or not value.isdigit():
        raise ValueError(
            f"--delay: {value!r} is not a delay; expected a non-negative integer of milliseconds"
        )
    return flow, str(int(value))
