"""The sections of report.md about what the books hold: the holdings P&L priced from live quotes
(AC3), and the IV2 cross-check with the application under test (a table per book: matched,
differing, on one side only; every difference named; the application's service latency beside
the broker's). Pure functions of what ``run.json`` and the samples say; every value is made
inert for markdown.
"""

from __future__ import annotations

from typing import Any

from jainam_validate.evidence import RunManifest
from jainam_validate.inert import cell
from jainam_validate.iv2 import NOT_COMPARED
from jainam_validate.verdict import status_of
from jainam_validate.xts import BOOKS


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def holdings_pnl(m: RunManifest, rows: list[dict[str, Any]]) -> list[str]:
    """AC3: the check's result, the unpriced holdings, and each holding's P&L."""
    check = m.checks.get("holdings_pnl")
    if check is None:
        return []
    extra = check.model_extra or {}
    lines = [
        "",
        "## Holdings P&L from live quotes (AC3)",
        "",
        f"Result: {status_of(check.status).value}. {cell(check.detail)}",
    ]
    problems = extra.get("problems") or []
    lines += [f"- not priced: {cell(p)}" for p in problems]
    if not rows or "ltp" not in rows[0]:
        return lines
    lines += [
        "",
        "| symbol | ISIN | qty | avg price | LTP | invested | current | P&L | P&L % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [row.get(k) for k in ("symbol", "isin", "quantity", "buy_avg_price", "ltp",
                                      "invested", "current", "pnl", "pnl_pct")]  # fmt: skip
        lines.append("| " + " | ".join("-" if c is None else cell(c) for c in cells) + " |")
    if check.status == "pass":
        lines.append(
            f"| **total** | | | | | {cell(extra.get('invested'))} | "
            f"{cell(extra.get('current'))} | **{cell(extra.get('total_pnl'))}** | "
            f"{cell(extra.get('pnl_pct'))} |"
        )
    return lines


def iv2_section(m: RunManifest) -> list[str]:
    """IV2: what the application showed against what the broker returned in the same pass."""
    if m.iv2 is None:
        if m.command != "run":
            return []
        return [
            "",
            "## Application cross-check (IV2)",
            "",
            "Not run: `JAINAM_APP_URL` was not set, so this run does not show that the "
            "application displays the broker's data.",
        ]
    doc = m.iv2
    if not isinstance(doc.get("books"), dict):
        return [
            "",
            "## Application cross-check (IV2)",
            "",
            f"Application at {cell(doc.get('app_host'))}: {cell(doc.get('reason') or 'not run')}.",
        ]
    books = doc["books"]
    lines = [
        "",
        "## Application cross-check (IV2)",
        "",
        f"Application at {cell(doc.get('app_host'))}, broker {cell(doc.get('broker') or '-')}, "
        f"mode {cell(doc.get('mode') or 'not confirmed')}. Its position book, holdings and "
        "trade book were read right after the broker's, in the same pass, and compared on "
        "what the application maps: positions by exchange, instrument and product (quantity, "
        "average price); holdings by instrument (quantity) and the cost total; orders by "
        "order id (fills, side, instrument, product).",
        "",
        "| book | result | matched | differing | only at the broker | only in the app | "
        "broker p50 / p95 ms | application p50 / p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    differences: list[str] = []
    for book in (b.value for b in BOOKS):
        entry = books.get(book) if isinstance(books, dict) else None
        if not isinstance(entry, dict):
            continue
        broker, app = m.flows.get(book), m.flows.get(f"app_{book}")
        check = m.checks.get(f"iv2:{book}")
        result = status_of(check.status).value if check else "-"
        if "reason" in entry:
            counts = ["-", "-", "-", "-"]
            differences.append(f"- {cell(book)}: {cell(entry['reason'])}")
        else:
            diffs = entry.get("differences") or []
            only_b, only_a = entry.get("only_broker") or [], entry.get("only_app") or []
            counts = [str(entry.get("matched", 0)), str(len(diffs)), str(len(only_b)),
                      str(len(only_a))]  # fmt: skip
            differences += [
                f"- {cell(book)}: {cell(d.get('item'))} ({cell(d.get('exchange'))}) "
                f"{cell(d.get('field'))}: broker {cell(d.get('broker'))}, application "
                f"{cell(d.get('app'))}"
                for d in diffs
                if isinstance(d, dict)
            ]
            differences += [f"- {cell(book)}: {cell(i)}: at the broker only" for i in only_b]
            differences += [f"- {cell(book)}: {cell(i)}: in the application only" for i in only_a]
            unread = entry.get("unreadable_app_rows") or []
            if unread:
                differences.append(f"- {cell(book)}: {len(unread)} application rows unreadable")
            differences += [f"- {cell(book)}: {cell(n)}" for n in entry.get("notes") or []]
        timing = [
            f"{_ms(s.p50_ms)} / {_ms(s.p95_ms)}" if s is not None else "-" for s in (broker, app)
        ]
        lines.append(f"| {cell(book)} | {result} | " + " | ".join(counts + timing) + " |")
    lines += ["", "### Differences", ""] + (differences or ["None."])
    lines += ["", cell(doc.get("not_compared") or NOT_COMPARED)]
    return lines
