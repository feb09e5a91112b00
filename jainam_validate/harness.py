"""The core of a validation pass: call each flow, retry, time, redact and record its samples.

Nothing here prints, exits or reads the environment. :class:`Harness` holds one pass's
:class:`~jainam_validate.sessions.Sessions` (login, reuse, renewal) and
:class:`~jainam_validate.attempts.AttemptLog` (every HTTP attempt becomes one redacted
:class:`~jainam_validate.timing.TimingRecord`, handed to the ``sink`` as soon as it is known),
and runs the call loop (retries, at most one re-login, the per-route circuit breaker) with the
per-flow transforms of books and quotes. Login problems raise the :mod:`errors` exception that
carries their exit code *after* their attempt has been recorded; book problems never raise: they
are recorded with their outcome and the pass goes on.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from jainam_validate import errors
from jainam_validate.attempts import AttemptLog, Sink, interpret
from jainam_validate.classify import Verdict
from jainam_validate.client import RawExchange, XtsClient
from jainam_validate.models import IDENTIFIER_FIELDS, NORMALISERS, BookShapeError, MalformedRow
from jainam_validate.pnl import Instrument, QuoteParse, parse_quotes, quotes_body
from jainam_validate.redact import Redactor
from jainam_validate.resilience import CircuitBreaker, Resilience
from jainam_validate.sessions import Origin, Session, Sessions, jwt_expiry
from jainam_validate.settings import AccountType, Settings
from jainam_validate.timing import Outcome, TimingRecord
from jainam_validate.xts import BOOKS, MARKET_QUOTES, Flow
from jainam_validate.xts import book_request as xts_book_request

__all__ = ["BOOKS", "FlowResult", "Harness", "Session", "book_request", "jwt_expiry"]
#: Turns a successful (raw) envelope into (outcome, redacted payload, error text); it must
#: learn the envelope's identifiers before anything of it is returned.
Transform = Callable[[dict[str, Any], RawExchange], tuple[Outcome, Any, "str | None"]]


@dataclass(frozen=True)
class Call:
    """What one sample sends and how its answer is read: the route, the session kind
    (``market``), the transform of a successful envelope and how rows are counted."""

    flow: str
    method: str
    route: str
    market: bool
    transform: Transform
    count: Callable[[Any], int]
    params: Mapping[str, str] | None = None
    json_body: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class QuoteResult:
    """One quotes sample: outcome, the LTPs read, and its (last) timing record."""

    outcome: Outcome
    parsed: QuoteParse | None
    record: TimingRecord


@dataclass
class FlowResult:
    """One sample of one flow, already redacted and normalised."""

    flow: str
    sample: int
    outcome: Outcome
    record: TimingRecord
    rows: list[dict[str, Any]] = field(default_factory=list)
    malformed: list[MalformedRow] = field(default_factory=list)
    code: str | None = None


def book_request(
    flow: str, account: AccountType, client_id: str, day_or_net: str
) -> tuple[str, dict[str, str]]:
    """Route and query for a book, by account type (see :func:`xts.book_request`)."""
    return xts_book_request(flow, account is AccountType.DEALER, client_id, day_or_net)


def _rows_of(outcome: Outcome, payload: Any, count: Callable[[Any], int]) -> int | None:
    """Rows a usable answer held: an empty one ("Data Not Available") held none."""
    if outcome is Outcome.EMPTY and payload is None:
        return 0
    return count(payload) if outcome.usable and payload is not None else None


def unreadable_rows(status: int | None, malformed: list[MalformedRow], read: Sized) -> str:
    """The error text of a book with unreadable rows: row indexes and field paths only."""
    shown = "; ".join(f"row {m.index}: {', '.join(m.fields)} ({m.reason})" for m in malformed[:10])
    more = f"; and {len(malformed) - 10} more" if len(malformed) > 10 else ""
    total = len(malformed) + len(read)
    return f"HTTP {status}: {len(malformed)} of {total} rows could not be read: {shown}{more}"


# -- per-flow transforms ----------------------------------------------------------------------
def quotes_transform(redactor: Redactor) -> Transform:
    """Quotes: redact the envelope, then read the LTPs of ``listQuotes``."""

    def transform(envelope: dict[str, Any], raw: RawExchange) -> tuple[Outcome, Any, str | None]:
        safe = redactor.redact(envelope)
        try:
            parsed = parse_quotes(safe.get("result"))
        except ValueError as exc:
            return Outcome.BAD_RESPONSE, None, f"HTTP {raw.status}: {exc}"
        if not parsed.ltp:
            # quirk XQ18: an empty listQuotes comes with type "success"
            return (
                (Outcome.EMPTY if not parsed.unreadable else Outcome.BAD_RESPONSE),
                parsed,
                None,
            )
        return Outcome.OK, parsed, None

    return transform


#: Rows are redacted this many at a time (a column at a time within), replacing their dumps.
REDACT_CHUNK = 10_000


def _dumped(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def book_transform(flow: str, redactor: Redactor) -> Transform:
    """A book: learn its identifiers, normalise its rows, redact the normalised rows only."""

    def transform(envelope: dict[str, Any], raw: RawExchange) -> tuple[Outcome, Any, str | None]:
        # Books are large: learn every identifier from the raw payload, normalise, then
        # redact only the normalised rows (not a full redacted copy of a 90 MB book).
        redactor.learn(envelope)
        # each row is read and dumped in turn: no list of 100,000 models; and the parsed rows,
        # learned already, go as they are read, unless a cassette records this envelope after
        # us (its body was kept): then the normaliser reads a copy of the list
        result = envelope.get("result")
        if raw.released is None and isinstance(result, list):
            result = list(result)
        try:
            rows, malformed = NORMALISERS[flow](result, _dumped)
        except BookShapeError as exc:
            return Outcome.BAD_RESPONSE, None, f"HTTP {raw.status}: unexpected shape: {exc}"
        if malformed:
            # A row that is not a record, or lacks what the book needs, makes the whole
            # sample unusable: a book read only in part proves nothing about the rest.
            return Outcome.BAD_RESPONSE, None, unreadable_rows(raw.status, malformed, rows)
        for start in range(0, len(rows), REDACT_CHUNK):  # each chunk's dumps go once redacted
            rows[start : start + REDACT_CHUNK] = redactor.redact_rows(
                rows[start : start + REDACT_CHUNK], IDENTIFIER_FIELDS
            )
        return (Outcome.OK if rows else Outcome.EMPTY), (rows, malformed), None

    return transform


def _read(
    raw: RawExchange, transform: Transform, *, keep_body: bool
) -> tuple[Verdict, tuple[Outcome, Any, str | None], float | None]:
    """Classify a call's answer and transform it if it succeeded, timed as one (see
    :func:`~jainam_validate.attempts.interpret`); any other verdict stays as it is. A parsed
    body is let go before the transform unless ``keep_body`` (a cassette records it)."""

    def then(verdict: Verdict) -> tuple[Outcome, Any, str | None]:
        if verdict.outcome is Outcome.OK and verdict.envelope is not None:
            if not keep_body:
                raw.release_body()
            return transform(verdict.envelope, raw)  # it redacts
        return verdict.outcome, None, None

    return interpret(raw, then)


class Harness:
    """Runs flows against one broker root and hands every attempt's record to ``sink``."""

    def __init__(
        self,
        settings: Settings,
        client: XtsClient,
        redactor: Redactor,
        sink: Sink,
        run_id: str,
        *,
        resilience: Resilience | None = None,
        sleep: Callable[[float], None] = time.sleep,
        recorder: Callable[[RawExchange, Verdict], None] | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.redactor = redactor
        self.sink = sink
        self.run_id = run_id
        self.log = AttemptLog(redactor, sink, run_id, recorder)
        self.sessions = Sessions(settings, client, redactor, self.log)
        self._quote_samples = 0
        resilience = resilience or Resilience()
        self.retry = resilience.retry
        self.breaker = CircuitBreaker(resilience.breaker_threshold)
        self._rng = random.Random()
        self._sleep = sleep

    @property
    def simulated(self) -> bool:
        """Some answer said it came from our simulator."""
        return self.log.simulated

    def describe(self, verdict: Verdict) -> str | None:
        """The error text of a verdict, scrubbed; for a non-JSON body with a snippet of it."""
        return self.log.describe(verdict)

    # -- sessions (see sessions.py) ---------------------------------------------------------
    def login_interactive(self) -> Session:
        """POST /interactive/user/session; raises AuthError/UnreachableError/NotAnXtsApi."""
        return self.sessions.login_interactive()

    def login_market(self, session: Session) -> Session:
        """POST {prefix}/auth/login, falling back to the other prefix once (quirk XQ05)."""
        return self.sessions.login_market(session)

    def reuse(
        self, interactive: str, market: str | None, account: AccountType, origin: Origin
    ) -> Session:
        """A session from tokens kept elsewhere (env or the keyring cache); nothing is sent."""
        return self.sessions.reuse(interactive, market, account, origin)

    # -- calls ------------------------------------------------------------------------------
    def _call(
        self, call: Call, session: Session, *, sample: int
    ) -> tuple[Outcome, Any, TimingRecord]:
        """One logical call: attempts with retries and at most one re-login, each recorded.

        Returns the final outcome, what ``transform`` made of the last usable answer, and the
        last attempt's record. Never raises for broker answers.
        """
        market = call.market
        started: float | None = None
        attempt = 0
        while True:
            attempt += 1
            token = session.market_token if market else session.interactive_token
            if token is None:
                raise errors.BrokerError(f"no {'market-data' if market else 'interactive'} session")
            raw = self.client.exchange(
                call.flow, call.method, call.route, token=token.get_secret_value(),
                params=call.params, json_body=call.json_body,
            )  # fmt: skip
            # The sample's clock starts when its first request is handed to httpx: time spent
            # waiting for the rate cap before it is not latency (later back-off and throttling
            # between attempts is, since the user waits for it).
            started = raw.started if started is None else started
            verdict, (outcome, payload, error), transform_ms = _read(
                raw, call.transform, keep_body=self.log.recorder is not None
            )
            record = self.log.record(
                raw,
                verdict,
                # a successful envelope went through the transform, which learned it
                learned=verdict.outcome is Outcome.OK and verdict.envelope is not None,
                sample=sample,
                attempt=attempt,
                sample_started=started,
                transform_ms=transform_ms,
                outcome=outcome,
                error=error,
                rows=_rows_of(outcome, payload, call.count),
            )
            if outcome is Outcome.AUTH_ERROR and self.sessions.renew(session, market=market):
                continue  # one fresh session, then one retry of the call
            if self.retry.should_retry(attempt, outcome, raw.status, raw.error_class):
                delay = self.retry.delay(attempt, raw.retry_after, self._rng)
                if delay is not None:
                    self._sleep(delay)
                    continue
            return outcome, payload, record

    def _sample(
        self, call: Call, session: Session, *, sample: int
    ) -> tuple[Outcome, Any, TimingRecord]:
        """One sample behind the route's circuit breaker: skipped (and recorded so) while the
        circuit is open, else :meth:`_call`, whose result then counts for the circuit."""
        if self.breaker.is_open(call.route):
            why = f"not sent: {self.breaker.threshold} consecutive failed samples on this route"
            record = self.log.skip(
                call.flow, call.method, call.route, sorted(call.params or {}),
                sample=sample, why=why,
            )  # fmt: skip
            return Outcome.SKIPPED, None, record
        outcome, payload, record = self._call(call, session, sample=sample)
        self.breaker.record(call.route, outcome.usable)
        return outcome, payload, record

    # -- quotes -----------------------------------------------------------------------------
    def quotes(self, session: Session, batch: list[Instrument]) -> QuoteResult:
        """One quotes call for at most 50 instruments, as its own sample of the ``quotes`` flow."""
        self._quote_samples += 1
        prefix = session.market_data_prefix or self.settings.market_data_prefix
        call = Call(
            Flow.QUOTES, "POST", f"{prefix}{MARKET_QUOTES}", market=True,
            transform=quotes_transform(self.redactor), count=lambda parsed: len(parsed.ltp),
            json_body=quotes_body(batch),
        )  # fmt: skip
        outcome, parsed, record = self._sample(call, session, sample=self._quote_samples)
        return QuoteResult(outcome, parsed, record)

    # -- books ------------------------------------------------------------------------------
    def fetch(
        self, flow: str, session: Session, *, sample: int = 1, day_or_net: str = "NetWise"
    ) -> FlowResult:
        """One sample of a book: request, classify, redact, normalise, record (with retries
        and one re-login). Never raises for broker answers."""
        route, params = book_request(
            flow, session.account_type, self.settings.client_id.get_secret_value(), day_or_net
        )
        call = Call(
            flow, "GET", route, market=False, transform=book_transform(flow, self.redactor),
            count=lambda payload: len(payload[0]), params=params,
        )  # fmt: skip
        outcome, payload, record = self._sample(call, session, sample=sample)
        rows, malformed = payload if payload is not None else ([], [])
        return FlowResult(
            flow=flow,
            sample=sample,
            outcome=outcome,
            record=record,
            rows=rows,
            malformed=malformed,
            code=record.code,
        )
