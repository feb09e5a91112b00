"""What the harness knows of the application under test, an OpenAlgo server with its Jainam XTS
adapter, for the IV2 cross-check: its REST routes (every one a ``POST`` with the key in the JSON
body), how to read its answers (``classify_app``: its envelope says ``status``, not XTS's
``type``, and a rejected key is HTTP 403), and its book rows as typed models. The rows are read
after redaction, so an ``orderid`` is already the pseudonym the broker's ``AppOrderID`` got.
What the application maps from the broker, and what it cannot show, is in docs/iv2.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jainam_validate.classify import SNIPPET_CHARS, Verdict, json_object
from jainam_validate.client import RawExchange
from jainam_validate.models import Money, RequiredNumber, to_decimal
from jainam_validate.timing import Outcome
from jainam_validate.xts import Flow

PING = "/api/v1/ping"
ANALYZER = "/api/v1/analyzer"  # the status only: /api/v1/analyzer/toggle is never sent
POSITIONBOOK = "/api/v1/positionbook"
HOLDINGS = "/api/v1/holdings"
TRADEBOOK = "/api/v1/tradebook"
SYMBOL = "/api/v1/symbol"
ROUTES: dict[str, str] = {
    Flow.APP_PING: PING,
    Flow.APP_ANALYZER: ANALYZER,
    Flow.APP_POSITIONS: POSITIONBOOK,
    Flow.APP_HOLDINGS: HOLDINGS,
    Flow.APP_TRADEBOOK: TRADEBOOK,
    Flow.APP_SYMBOL: SYMBOL,
}
#: The broker name OpenAlgo's ``ping`` gives for the Jainam XTS adapter.
JAINAM_BROKER = "jainamxts"
#: The application's answers when it is in analyzer (sandbox) mode carry this ``mode``.
ANALYZE_MODE = "analyze"
#: XTS exchange segments as OpenAlgo names them (its adapters' map; others pass through).
EXCHANGES: dict[str, str] = {
    "NSECM": "NSE",
    "BSECM": "BSE",
    "NSEFO": "NFO",
    "BSEFO": "BFO",
    "MCXFO": "MCX",
    "NSECD": "CDS",
}


def exchange_of(segment: str | None) -> str:
    """OpenAlgo's exchange for an XTS segment."""
    return EXCHANGES.get(segment or "", segment or "")


def classify_app(raw: RawExchange) -> Verdict:
    """What one application answer means. A 403 is the key rejected (``AUTH_ERROR``); any
    other status from 400, or a ``status`` that is not ``success``, is an HTTP error with the
    application's ``message``; a body that is not a JSON object is a bad response."""
    if raw.status is None or raw.error_class is not None:
        from jainam_validate.classify import classify

        return classify(raw)  # no answer, or a cut one: the broker's words apply as they are
    envelope = json_object(raw)
    if isinstance(envelope, Verdict):
        return envelope  # an HTML page of a proxy, or any body that is no JSON object
    message = envelope.get("message")
    said = message if isinstance(message, str) else ""
    described = f"HTTP {raw.status}: {said[:SNIPPET_CHARS]}".rstrip(": ")
    if raw.status == 403:
        return Verdict(Outcome.AUTH_ERROR, envelope, "403", described)
    if raw.status >= 400:
        return Verdict(Outcome.HTTP_ERROR, envelope, str(raw.status), described)
    if envelope.get("status") != "success":
        return Verdict(Outcome.HTTP_ERROR, envelope, None, f"{described} (status is not success)")
    return Verdict(Outcome.OK, envelope, None, None)


def in_analyzer_mode(envelope: dict[str, Any]) -> bool:
    """An answer from the sandbox: ``mode: analyze`` at the top, or in ``data`` (analyzer)."""
    data = envelope.get("data")
    inner = data.get("mode") if isinstance(data, dict) else None
    return ANALYZE_MODE in (envelope.get("mode"), inner) or (
        isinstance(data, dict) and data.get("analyze_mode") is True
    )


def in_live_mode(envelope: dict[str, Any]) -> bool:
    """The analyzer's answer says live, in so many words (``mode: live`` or
    ``analyze_mode: false``): live mode is never assumed from silence."""
    data = envelope.get("data")
    if not isinstance(data, dict):
        return False
    return data.get("mode") == "live" or data.get("analyze_mode") is False


# -- rows (OpenAlgo passes the broker's strings through: "1,200", "0.00") ------------------
class _AppRow(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="ignore", coerce_numbers_to_str=True, str_strip_whitespace=True
    )

    symbol: str = Field(min_length=1)
    exchange: str = ""
    product: str | None = None


class AppPosition(_AppRow):
    quantity: RequiredNumber
    average_price: Money = None


class AppHolding(_AppRow):
    quantity: RequiredNumber


class AppTrade(_AppRow):
    action: str = ""
    quantity: Money = None
    orderid: str = Field(min_length=1)


@dataclass(frozen=True)
class AppBook:
    """One application book as read: its rows, the rows it could not read (by index), and
    for holdings the cost total it states (``statistics.totalinvvalue``)."""

    rows: list[Any]
    unreadable: list[int]
    cost_total: Decimal | None = None


_MODELS: dict[str, type[_AppRow]] = {
    Flow.APP_POSITIONS: AppPosition,
    Flow.APP_HOLDINGS: AppHolding,
    Flow.APP_TRADEBOOK: AppTrade,
}


def read_book(flow: str, data: Any) -> AppBook:
    """The rows of an application book's ``data`` (a list; holdings: ``{holdings, statistics}``).
    Raises ValueError when ``data`` has neither shape."""
    cost: Decimal | None = None
    items = data
    if flow == Flow.APP_HOLDINGS and isinstance(data, dict):
        items = data.get("holdings")
        stats = data.get("statistics")
        try:
            cost = to_decimal(stats.get("totalinvvalue")) if isinstance(stats, dict) else None
        except ValueError:
            cost = None
    if items is None and flow != Flow.APP_HOLDINGS:
        items = []
    if not isinstance(items, list):
        raise ValueError(f"data is {type(items).__name__}, not a list of rows")
    model = _MODELS[flow]
    rows, unreadable = [], []
    for i, item in enumerate(items):
        try:
            rows.append(model.model_validate(item))
        except ValidationError:
            unreadable.append(i)
    return AppBook(rows, unreadable, cost)


def classify_symbol(raw: RawExchange) -> Verdict:
    """:func:`classify_app`, with the ``/api/v1/symbol`` answer's ``token`` renamed
    ``ExchangeInstrumentID`` before anything reads it. The application names the instrument
    token ``token``, which every secret rule takes for a session token (and learning it as a
    secret would scrub that number from every book); it is the broker's instrument id (its
    master contract stores it so), and it is kept, recorded and replayed under that name."""
    verdict = classify_app(raw)
    envelope = verdict.envelope
    data = envelope.get("data") if envelope is not None else None
    if envelope is None or not isinstance(data, dict) or "token" not in data:
        return verdict
    renamed = {("ExchangeInstrumentID" if k == "token" else k): v for k, v in data.items()}
    return replace(verdict, envelope={**envelope, "data": renamed})


def symbol_token(data: Any) -> int | None:
    """The instrument of a ``/api/v1/symbol`` answer, as :func:`classify_symbol` left it."""
    token = data.get("ExchangeInstrumentID") if isinstance(data, dict) else None
    try:
        return int(str(token).strip()) if token is not None else None
    except ValueError:
        return None
