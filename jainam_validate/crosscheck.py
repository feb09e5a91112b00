"""The IV2 step of a pass: after the broker books, ask the application under test for its own
(``JAINAM_APP_URL``, OpenAlgo's REST API) and compare. A cheap preflight first: ``ping`` (the
key is accepted, the application talks to Jainam XTS) and ``analyzer`` (it must be in live
mode: a sandbox's books prove nothing about the broker's). Then its position book, holdings and
trade book, each one timed request recorded as ``app_positions`` / ``app_holdings`` /
``app_tradebook`` (the *service* latency, next to the broker's), and the ``/api/v1/symbol``
lookups that tie its symbols to the broker's instruments (``app_symbol``). Every request is sent
once: a rejected key (HTTP 403) stops the step at once and is never retried, since the
application bans an address after repeated bad keys; other failures are recorded with their
status and fail the check they concern. The key goes only into request bodies, which are
never written; the redactor knows it as a secret all the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from jainam_validate import iv2, openalgo
from jainam_validate.attempts import AttemptLog, interpret
from jainam_validate.client import Timeouts, XtsClient
from jainam_validate.evidence import CheckResult
from jainam_validate.redact import Redactor
from jainam_validate.resilience import RateLimiter
from jainam_validate.timing import Outcome, TimingRecord
from jainam_validate.verdict import Status
from jainam_validate.xts import APP_BOOKS, Flow

#: The application's own limit when none is configured (Flask-Limiter, per client address).
APP_RATE_PER_S = 10.0
#: Symbols looked up per pass at most: a book of thousands of instruments is compared on
#: what the broker's own trading symbols tie, and the rest is named as unresolved.
MAX_LOOKUPS = 200
REJECTED = (
    "application key rejected (HTTP 403): check JAINAM_APP_API_KEY; not retried, since the "
    "application bans an address after repeated bad keys"
)
ANALYZER = (
    "the application is in analyzer (sandbox) mode: its books are the sandbox's, not the "
    "broker's; switch it to live mode and run again"
)
BROKEN = "application session broken"
DISPLACED = (
    "; this pass logged in to the broker itself, which may have replaced the application's "
    "broker session (one session per key pair): reuse the application's session through "
    "JAINAM_INTERACTIVE_SESSION_TOKEN, or validate with a key pair of its own"
)
_ALLOWED = frozenset(("POST", route) for route in openalgo.ROUTES.values())


@dataclass(frozen=True)
class AppTarget:
    """Where the application is and how to talk to it."""

    url: str
    key: SecretStr
    rate_per_s: float = APP_RATE_PER_S

    @property
    def host(self) -> str:
        """Host and port only: safe to write into evidence."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


@dataclass
class Answer:
    """One application request: its outcome, its redacted envelope, and its record."""

    outcome: Outcome
    envelope: dict[str, Any] | None
    record: TimingRecord
    book: openalgo.AppBook | None = None
    problem: str | None = None  # why a usable answer could not be read


@dataclass
class CrossCheckResult:
    """The three ``iv2:*`` checks and run.json's ``iv2`` document."""

    checks: dict[str, CheckResult] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict)


def _book(flow: Flow) -> str:
    return flow.value.removeprefix("app_")


def _shown(book: str) -> str:
    return {"tradebook": "trade book"}.get(book, book)


class CrossCheck:
    """One pass's IV2 step against ``target``; records through the pass's ``log``."""

    def __init__(
        self,
        target: AppTarget,
        log: AttemptLog,
        redactor: Redactor,
        *,
        timeouts: Timeouts | None = None,
        transport: Any = None,
        logged_in: bool = False,
        allow_empty: frozenset[str] = frozenset(),
    ) -> None:
        self.target = target
        self.log = log
        self.redactor = redactor
        self.logged_in = logged_in  # this pass made its own broker login (the DISPLACED hint)
        self.allow_empty = allow_empty  # books the user said may be empty (--allow-empty)
        redactor.add_secret(target.key.get_secret_value(), "secret:JAINAM_APP_API_KEY")
        self.client = XtsClient(
            target.url,
            transport=transport,
            timeouts=timeouts or Timeouts(),
            rate_limiter=RateLimiter(target.rate_per_s, burst=1),
            only=_ALLOWED,
        )
        self._samples: dict[str, int] = {}

    # -- requests -------------------------------------------------------------------------
    def call(self, flow: Flow, **extra: str) -> Answer:
        """One request, sent once, recorded; the envelope is redacted before it is kept."""
        body = {"apikey": self.target.key.get_secret_value(), **extra}
        raw = self.client.exchange(flow.value, "POST", openalgo.ROUTES[flow], json_body=body)
        sample = self._samples[flow] = self._samples.get(flow, 0) + 1

        def then(verdict: Any) -> tuple[Any, openalgo.AppBook | None, str | None]:
            safe = self.redactor.redact(verdict.envelope) if verdict.envelope is not None else None
            if verdict.outcome is not Outcome.OK or flow not in APP_BOOKS or safe is None:
                return safe, None, None
            try:
                return safe, openalgo.read_book(flow, safe.get("data")), None
            except ValueError as exc:
                return safe, None, f"HTTP {raw.status}: {exc}"

        classifier = openalgo.classify_symbol if flow is Flow.APP_SYMBOL else openalgo.classify_app
        verdict, (safe, book, problem), transform_ms = interpret(raw, then, classifier=classifier)
        outcome = Outcome.BAD_RESPONSE if problem else verdict.outcome
        record = self.log.record(
            raw,
            verdict,
            learned=verdict.envelope is not None,
            sample=sample,
            attempt=1,
            sample_started=raw.started,
            transform_ms=transform_ms,
            outcome=outcome,
            error=problem,
            rows=len(book.rows) if book is not None else None,
        )
        raw.release_body()
        return Answer(outcome, safe, record, book, problem)

    # -- the step -------------------------------------------------------------------------
    def run(self, broker: Mapping[str, list[dict[str, Any]] | None]) -> CrossCheckResult:
        """Preflight, the three books, the symbol lookups, the comparisons. ``broker`` maps
        each book to the rows of its last usable sample (None: the broker's failed)."""
        out = CrossCheckResult(document={"app_host": self.target.host, "books": {}})
        try:
            stop = self._preflight(out.document)
            answers: dict[str, Answer] = {}
            if stop is None:
                stop, answers = self._books()
            tokens: dict[tuple[str, str], int | None] = {}
            if stop is None:
                stop, tokens = self._tokens(answers, broker)
        finally:
            self.client.close()
        for flow in APP_BOOKS:
            book = _book(flow)
            check, document = self._judge(book, answers.get(book), broker.get(book), tokens, stop)
            out.checks[f"iv2:{book}"] = check
            out.document["books"][book] = {**document, "status": check.status}
        out.document["not_compared"] = iv2.NOT_COMPARED
        return out

    def _preflight(self, document: dict[str, Any]) -> CheckResult | None:
        """Ping and analyzer; the result every IV2 check gets when they stop the step."""
        ping = self.call(Flow.APP_PING)
        if ping.outcome is Outcome.AUTH_ERROR:
            return CheckResult(status=Status.FAIL, detail=REJECTED)
        if ping.outcome is not Outcome.OK:
            return CheckResult(
                status=Status.FAIL,
                detail=f"the application did not answer ping: {ping.record.error or ping.outcome}",
            )
        data = (ping.envelope or {}).get("data")
        broker = str(data.get("broker")) if isinstance(data, dict) else ""
        document["broker"] = broker
        if broker != openalgo.JAINAM_BROKER:
            return CheckResult(
                status=Status.FAIL,
                detail=f"the application talks to broker '{broker or '?'}', not "
                f"'{openalgo.JAINAM_BROKER}': its books are not Jainam's",
            )
        mode = self.call(Flow.APP_ANALYZER)
        if mode.outcome is Outcome.AUTH_ERROR:
            return CheckResult(status=Status.FAIL, detail=REJECTED)
        if mode.outcome is not Outcome.OK or mode.envelope is None:
            return CheckResult(
                status=Status.NOT_PROVEN,
                detail="could not confirm that the application is in live mode: "
                f"{mode.record.error or mode.outcome}",
            )
        if openalgo.in_analyzer_mode(mode.envelope):
            document["mode"] = "analyze"
            return CheckResult(status=Status.NOT_PROVEN, detail=ANALYZER)
        if not openalgo.in_live_mode(mode.envelope):
            return CheckResult(
                status=Status.NOT_PROVEN,
                detail="could not confirm that the application is in live mode: its analyzer "
                "answer says neither live nor analyze",
            )
        document["mode"] = "live"
        return None

    def _books(self) -> tuple[CheckResult | None, dict[str, Answer]]:
        answers: dict[str, Answer] = {}
        for flow in APP_BOOKS:
            answer = self.call(flow)
            if answer.outcome is Outcome.AUTH_ERROR:
                return CheckResult(status=Status.FAIL, detail=REJECTED), answers
            answers[_book(flow)] = answer
        return None, answers

    def _tokens(
        self, answers: Mapping[str, Answer], broker: Mapping[str, list[dict[str, Any]] | None]
    ) -> tuple[CheckResult | None, dict[tuple[str, str], int | None]]:
        """Look up the application symbols the broker's own names do not tie (at most
        ``MAX_LOOKUPS``); a symbol that cannot be looked up stays unresolved. A rejected key
        stops the step (never a lookup more, and no comparison on half the symbols)."""
        tokens: dict[tuple[str, str], int | None] = {}
        for symbol, exchange in _untied(answers, broker):
            if len(tokens) >= MAX_LOOKUPS:
                break
            answer = self.call(Flow.APP_SYMBOL, symbol=symbol, exchange=exchange)
            if answer.outcome is Outcome.AUTH_ERROR:
                return CheckResult(status=Status.FAIL, detail=REJECTED), tokens
            found = (answer.envelope or {}).get("data") if answer.outcome is Outcome.OK else None
            # an answer about another symbol (or a replay's, served out of order) ties nothing
            asked = isinstance(found, dict) and (found.get("symbol"), found.get("exchange")) in (
                (symbol, exchange),
                (None, None),
            )
            tokens[(symbol, exchange)] = openalgo.symbol_token(found) if asked else None
        return None, tokens

    def _judge(
        self,
        book: str,
        answer: Answer | None,
        rows: list[dict[str, Any]] | None,
        tokens: iv2.Tokens,
        stop: CheckResult | None,
    ) -> tuple[CheckResult, dict[str, Any]]:
        """One book's IV2 check, and what run.json keeps of it."""
        if stop is not None:
            return stop, {"reason": stop.detail}
        assert answer is not None
        hint = DISPLACED if self.logged_in else ""
        if answer.outcome is not Outcome.OK or answer.book is None:
            said = answer.problem or answer.record.error or answer.outcome.value
            if book == "positions" and answer.record.status == 500 and rows == []:
                # the adapter cannot map an empty position book (it answers HTTP 500): with no
                # position at the broker there is nothing to compare, not a broken session
                return self._nothing(book, f"the broker has no positions and the application "
                                     f"answers an empty book with {said}")  # fmt: skip
            if book == "positions" and answer.record.status == 500:
                # the adapter's positions mapping fails on an empty or error broker answer,
                # so a 500 here is the application's broker session, not a mapping difference
                detail = f"{BROKEN}: the application's position book answered {said}{hint}"
            else:
                detail = f"the application's {book} answered {said}"
            return CheckResult(status=Status.FAIL, detail=detail), {"reason": detail}
        if answer.envelope is not None and openalgo.in_analyzer_mode(answer.envelope):
            return CheckResult(status=Status.NOT_PROVEN, detail=ANALYZER), {"reason": ANALYZER}
        if rows is None:
            detail = f"the broker's {book} could not be fetched in this pass: nothing to compare"
            return CheckResult(status=Status.NOT_PROVEN, detail=detail), {"reason": detail}
        if rows and not answer.book.rows and not answer.book.unreadable:
            # the adapter answers an expired or displaced broker session with empty books
            shown = f"no {_shown(book)} while the broker has {len(rows)}"
            detail = f"{BROKEN}: the application shows {shown}"
            return CheckResult(status=Status.FAIL, detail=detail + hint), {"reason": detail}
        if not rows and not answer.book.rows and not answer.book.unreadable:
            return self._nothing(book, f"both sides show no {_shown(book)}")
        try:
            comparison = iv2.COMPARERS[book](rows, answer.book, tokens)
        except Exception as exc:  # a comparison that cannot be made never passes
            detail = f"the {_shown(book)} could not be compared ({type(exc).__name__})"
            return CheckResult(status=Status.FAIL, detail=detail), {"reason": detail}
        return comparison.check(), comparison.document()

    def _nothing(self, book: str, why: str) -> tuple[CheckResult, dict[str, Any]]:
        """A book with nothing to compare: not proven, or waived with --allow-empty."""
        waived = book in self.allow_empty
        detail = f"{why}: nothing to compare" + ("; waived with --allow-empty" if waived else "")
        status = Status.WAIVED if waived else Status.NOT_PROVEN
        return CheckResult(status=status, detail=detail), {"reason": detail}


def not_reached(target: AppTarget, why: str) -> CrossCheckResult:
    """The three checks of a pass that stopped before asking the application: not proven."""
    detail = f"not reached: {why}"
    checks = {
        f"iv2:{_book(f)}": CheckResult(status=Status.NOT_PROVEN, detail=detail) for f in APP_BOOKS
    }
    return CrossCheckResult(checks, {"app_host": target.host, "reason": detail})


def _untied(
    answers: Mapping[str, Answer], broker: Mapping[str, list[dict[str, Any]] | None]
) -> Iterator[tuple[str, str]]:
    """Distinct (symbol, exchange) of the application's rows that the broker's trading
    symbols (positions, trades) or ISINs (holdings) do not already tie, in book order."""
    seen: set[tuple[str, str]] = set()
    for book, answer in answers.items():
        if answer.book is None:
            continue
        rows = broker.get(book) or []
        if book == "holdings":
            known = {(str(r.get(k)), "NSE") for r in rows for k in ("isin", "symbol")}
        else:
            known = {(str(r.get("symbol")), openalgo.exchange_of(r.get("segment"))) for r in rows}
        for row in answer.book.rows:
            pair = (row.symbol, row.exchange or "NSE")
            if pair not in known and pair not in seen:
                seen.add(pair)
                yield pair
