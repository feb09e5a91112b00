"""Holdings P&L from live quotes (release check AC3): pure functions, Decimal arithmetic.

From holdings rows: quote instruments (``ExchangeNSEInstrumentId`` -> segment 1, else
``ExchangeBSEInstrumentId`` -> segment 11; no instrument master needed), batches of at most 50,
parsing of the quotes answer (``result.listQuotes`` is a list of JSON *strings*, matched back by
(segment, instrument id), never by position), and per-holding invested value, current value,
P&L and P&L %. The check passes only when every holding with quantity > 0 has a live LTP > 0;
an account with no holdings is not applicable, never a pass. Money is rounded (half up, to the
paisa) only for display.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from jainam_validate.models import to_decimal
from jainam_validate.xts import BSE_CM, NSE_CM, QUOTES_BATCH, QUOTES_MESSAGE_CODE

PAISA = Decimal("0.01")

Instrument = tuple[int, int]  # (exchangeSegment, exchangeInstrumentID)


#: Wide enough for any product of two values the models accept (18 digits each) and their
#: sums: a broker's huge numbers give an exact, if absurd, figure, never InvalidOperation.
WIDE = Context(prec=100, rounding=ROUND_HALF_UP)


def money(value: Decimal | None) -> str | None:
    """A decimal string rounded half up to two places, e.g. ``"-1234.50"``."""
    if value is None:
        return None
    return str(value.quantize(PAISA, rounding=ROUND_HALF_UP, context=WIDE))


def instrument_of(row: Mapping[str, Any]) -> Instrument | None:
    """The quote instrument of a normalised holding row: NSE first, BSE as fallback."""
    if row.get("nse_instrument_id"):
        return (NSE_CM, int(row["nse_instrument_id"]))
    if row.get("bse_instrument_id"):
        return (BSE_CM, int(row["bse_instrument_id"]))
    return None


def batches(instruments: Iterable[Instrument], size: int = QUOTES_BATCH) -> list[list[Instrument]]:
    unique = list(dict.fromkeys(instruments))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


def quotes_body(batch: Sequence[Instrument]) -> dict[str, Any]:
    """The quotes request: 1502 (market depth) as JSON; publishFormat is required."""
    return {
        "instruments": [{"exchangeSegment": s, "exchangeInstrumentID": i} for s, i in batch],
        "xtsMessageCode": QUOTES_MESSAGE_CODE,
        "publishFormat": "JSON",
    }


@dataclass
class QuoteParse:
    """LTPs by instrument, and how many listQuotes items could not be read."""

    ltp: dict[Instrument, Decimal] = field(default_factory=dict)
    unreadable: int = 0


def parse_quotes(result: Any) -> QuoteParse:
    """Read ``result.listQuotes``; raises ValueError when ``result`` has another shape."""
    if not isinstance(result, Mapping) or not isinstance(result.get("listQuotes"), list):
        raise ValueError("result.listQuotes is not a list")
    parsed = QuoteParse()
    for item in result["listQuotes"]:
        # quirk XQ09: each item is a JSON-encoded string of a 1502 object, not an object.
        try:
            quote = json.loads(item) if isinstance(item, str) else item
            key = (int(quote["ExchangeSegment"]), int(quote["ExchangeInstrumentID"]))
        except (ValueError, TypeError, KeyError, OverflowError, RecursionError):
            parsed.unreadable += 1
            continue
        touchline = quote.get("Touchline")
        # quirk XQ09: LTP sits under Touchline in 1502; some 1501 layouts have it at the root.
        raw = touchline.get("LastTradedPrice") if isinstance(touchline, Mapping) else None
        if raw is None:
            raw = quote.get("LastTradedPrice")
        try:
            ltp = to_decimal(raw)
        except ValueError:
            ltp = None
        if ltp is None:
            parsed.unreadable += 1
            continue
        parsed.ltp[key] = ltp
    return parsed


@dataclass(frozen=True)
class PnlResult:
    """Enriched holdings rows, totals and the AC3 check outcome."""

    rows: list[dict[str, Any]]
    status: str  # pass | fail | not_applicable
    detail: str
    invested: Decimal
    current: Decimal
    problems: list[str]

    @property
    def total_pnl(self) -> Decimal:
        return self.current - self.invested

    def check(self) -> dict[str, Any]:
        """The ``checks.holdings_pnl`` entry of run.json."""
        with localcontext(WIDE):  # the total too: exact, like the rows and the detail
            total = self.total_pnl
            pct = total / self.invested * 100 if self.invested else None
        return {
            "status": self.status,
            "detail": self.detail,
            # Only a fully priced book has a total worth stating (a partial sum would mislead);
            # an account without holdings has a true total of 0.00.
            "total_pnl": money(total) if self.status != "fail" else None,
            "invested": money(self.invested) if self.status == "pass" else None,
            "current": money(self.current) if self.status == "pass" else None,
            "pnl_pct": money(pct) if self.status == "pass" else None,
            "holdings": len(self.rows),
            "problems": self.problems,
        }


def _label(row: Mapping[str, Any]) -> str:
    return str(row.get("symbol") or row.get("isin") or "?")


def _evaluate(
    rows: Sequence[Mapping[str, Any]],
    ltp: Mapping[Instrument, Decimal],
    unreadable: Sequence[str] = (),
) -> PnlResult:
    """The arithmetic of :func:`evaluate`, in its wide decimal context."""
    enriched: list[dict[str, Any]] = []
    problems: list[str] = [f"{where}: holdings row could not be read" for where in unreadable]
    invested_total = Decimal(0)
    current_total = Decimal(0)
    for row in rows:
        quantity = to_decimal(row.get("quantity")) or Decimal(0)
        avg = to_decimal(row.get("buy_avg_price"))
        instrument = instrument_of(row)
        price = ltp.get(instrument) if instrument else None
        out = dict(row)
        out["quote_instrument"] = list(instrument) if instrument else None
        out["ltp"] = str(price) if price is not None else None
        invested = quantity * avg if avg is not None else None
        current = quantity * price if price is not None and price > 0 else None
        out["invested"] = money(invested)
        out["current"] = money(current)
        out["pnl"] = (
            money(current - invested) if current is not None and invested is not None else None
        )
        out["pnl_pct"] = (
            money((current - invested) / invested * 100)
            if current is not None and invested
            else None
        )
        if quantity > 0:
            if instrument is None:
                problems.append(f"{_label(row)}: no NSE or BSE instrument id to quote")
            elif price is None:
                problems.append(
                    f"{_label(row)}: no quote for segment {instrument[0]} id {instrument[1]}"
                )
            elif price <= 0:
                problems.append(f"{_label(row)}: LTP is {price}")
            elif avg is None:
                problems.append(f"{_label(row)}: no buy average price")
            if current is not None and invested is not None:
                invested_total += invested
                current_total += current
        enriched.append(out)
    held = [r for r in rows if (to_decimal(r.get("quantity")) or 0) > 0]
    if not held and not problems:
        return PnlResult(enriched, "not_applicable", "no holdings with quantity > 0",
                         Decimal(0), Decimal(0), [])  # fmt: skip
    if problems:
        return PnlResult(
            enriched, "fail",
            f"{len(problems)} of {len(held) + len(unreadable)} holdings could not be read or "
            "priced from live quotes",
            invested_total, current_total, problems,
        )  # fmt: skip
    total, spent = money(current_total - invested_total), money(invested_total)
    return PnlResult(
        enriched, "pass",
        f"{len(held)} holdings priced from live LTP: total P&L {total} on {spent} invested",
        invested_total, current_total, [],
    )  # fmt: skip


def evaluate(
    rows: Sequence[Mapping[str, Any]],
    ltp: Mapping[Instrument, Decimal],
    unreadable: Sequence[str] = (),
) -> PnlResult:
    """Per-holding and total P&L from live LTPs; names every holding that could not be priced,
    and every holdings row that could not even be read (``unreadable``: ISINs or indexes)."""
    with localcontext(WIDE):
        return _evaluate(rows, ltp, unreadable)
