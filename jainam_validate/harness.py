"""The core of a validation pass: establish sessions, call each flow, time, redact and record.

Nothing here prints, exits or reads the environment. Every HTTP attempt becomes one
:class:`~jainam_validate.timing.TimingRecord` handed to the ``sink`` (the evidence writer) as
soon as it is known, redacted. Login problems raise the :mod:`errors` exception that carries
their exit code *after* their attempt has been recorded; book problems never raise: they are
recorded with their outcome and the pass goes on.
"""

from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import SecretStr

from jainam_validate import errors
from jainam_validate.classify import SNIPPET_CHARS, Verdict, classify
from jainam_validate.client import RawExchange, XtsClient
from jainam_validate.models import IDENTIFIER_FIELDS, NORMALISERS, BookShapeError, MalformedRow
from jainam_validate.pnl import Instrument, QuoteParse, parse_quotes, quotes_body
from jainam_validate.redact import Redactor, decode_layers
from jainam_validate.resilience import CircuitBreaker, Resilience
from jainam_validate.settings import AccountType, Settings
from jainam_validate.timing import Outcome, Phases, TimingRecord, now_iso
from jainam_validate.xts import (
    BOOKS,
    LOGIN_INTERACTIVE,
    MARKET_DATA_PREFIXES,
    MARKET_LOGIN,
    MARKET_QUOTES,
    Flow,
)
from jainam_validate.xts import book_request as xts_book_request

__all__ = ["BOOKS", "FlowResult", "Harness", "Session", "book_request", "jwt_expiry"]
Sink = Callable[[TimingRecord], None]
Origin = Literal["login", "env", "cache"]
#: Turns a successful (raw) envelope into (outcome, redacted payload, error text); it must
#: learn the envelope's identifiers before anything of it is returned.
Transform = Callable[[dict[str, Any], RawExchange], tuple[Outcome, Any, "str | None"]]


@dataclass
class Session:
    """Session tokens for one pass. ``repr`` never shows a token."""

    interactive_token: SecretStr
    market_token: SecretStr | None
    account_type: AccountType
    origin: Origin
    user: str | None = None  # pseudonym
    interactive_expires: int | None = None
    market_expires: int | None = None
    market_data_prefix: str | None = None
    login_ms: dict[str, float] = field(default_factory=dict)
    renewed: set[bool] = field(default_factory=set)  # session kinds re-logged (True = market)


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


def _flag(value: object) -> object:
    """A JSON boolean, also when sent as the text "true"/"false"."""
    if isinstance(value, str) and value.strip().casefold() in ("true", "false"):
        return value.strip().casefold() == "true"
    return value


def jwt_expiry(token: str) -> int | None:
    """The ``exp`` claim of a JWT-shaped token (no signature check), or None."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = data.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            return None
        # some issuers write milliseconds; a date past the year 5000 is one of those
        return int(exp / 1000) if exp > 10**11 else int(exp)
    except (IndexError, ValueError, TypeError, AttributeError):
        return None


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
        self._market_logins = 0
        self._interactive_logins = 0
        self.simulated = False  # some answer said it came from our simulator
        self._quote_samples = 0
        resilience = resilience or Resilience()
        self.retry = resilience.retry
        self.breaker = CircuitBreaker(resilience.breaker_threshold)
        self._rng = random.Random()
        self._sleep = sleep
        self._recorder = recorder
        tokens = (settings.interactive_session_token, settings.market_session_token)
        redactor.seed(
            settings.client_id.get_secret_value(),
            [
                (s.value.get_secret_value(), "secret:credential")
                for s in settings.credentials.values()
            ]
            + [(t.get_secret_value(), "secret:token") for t in tokens if t is not None],
        )

    # -- recording --------------------------------------------------------------------------
    def _record(
        self,
        raw: RawExchange,
        verdict: Verdict,
        *,
        sample: int,
        attempt: int,
        sample_started: float,
        transform_ms: float | None,
        outcome: Outcome | None = None,
        error: str | None = None,
        learned: bool = False,
        rows: int | None = None,
    ) -> TimingRecord:
        if verdict.envelope is not None and not learned:
            self.redactor.learn(verdict.envelope)  # tokens and ids in the answer are now known
        # Text outside the JSON (header values, a body that could not be parsed) is broker data
        # too: ids named in it ("acct=…", "ClientID":"…") are learned before any of it is kept.
        for text in (raw.content_type, raw.retry_after, verdict.body_text, verdict.error):
            if text:
                self.redactor.learn_text(decode_layers(text))
        if self._recorder is not None:
            self._recorder(raw, verdict)
        self.simulated = self.simulated or raw.simulated
        text = error if error is not None else self.describe(verdict)
        content_type = self.redactor.scrub(raw.content_type) if raw.content_type else None
        now = time.perf_counter()
        record = TimingRecord(
            run_id=self.run_id,
            flow=raw.flow,
            sample=sample,
            attempt=attempt,
            method=raw.method,
            route=raw.route,
            query_keys=raw.query_keys,
            status=raw.status,
            outcome=outcome or verdict.outcome,
            requested_at=raw.requested_at,
            responded_at=raw.responded_at,
            api_ms=raw.api_ms,
            transform_ms=transform_ms,
            total_ms=round((now - raw.started) * 1000.0, 3),
            sample_ms=round((now - sample_started) * 1000.0, 3),
            phases=raw.phases,
            conn_reused=raw.conn_reused,
            bytes=len(raw.body) if raw.status is not None else None,
            content_type=content_type,
            code=self.redactor.scrub(verdict.code) if verdict.code else None,
            error=self.redactor.scrub(text) if text else None,
            rows=rows,
        )
        self.sink(record)
        return record

    def _classify_and_learn(self, raw: RawExchange) -> tuple[Verdict, float | None]:
        """Parse a login answer and learn its token and ids: a login's transform_ms."""
        t0 = time.perf_counter()
        verdict = classify(raw)
        if verdict.envelope is not None:
            self.redactor.learn(verdict.envelope)
        elapsed = round((time.perf_counter() - t0) * 1000.0, 3)
        return verdict, elapsed if raw.status is not None else None

    def describe(self, verdict: Verdict) -> str | None:
        """The error text of a verdict, scrubbed; for a non-JSON body with a snippet of it."""
        if verdict.error is None:
            return None
        if verdict.body_text:
            # scrub first, then cut: never a cut-off start of a known value at the end
            line = " ".join(decode_layers(verdict.body_text).split())
            return f"{verdict.error}: '{self.redactor.cut(line, SNIPPET_CHARS)}'"
        return verdict.error

    # -- sessions ---------------------------------------------------------------------------
    def login_interactive(self) -> Session:
        """POST /interactive/user/session; raises AuthError/UnreachableError/NotAnXtsApi."""
        s = self.settings
        body = {
            "appKey": s.secret("JAINAM_INTERACTIVE_API_KEY"),
            "secretKey": s.secret("JAINAM_INTERACTIVE_API_SECRET"),
            "source": s.source,
        }
        self._interactive_logins += 1
        raw = self.client.exchange(
            Flow.LOGIN_INTERACTIVE, "POST", LOGIN_INTERACTIVE, json_body=body
        )
        started = raw.started
        verdict, transform_ms = self._classify_and_learn(raw)
        record = self._record(
            raw,
            verdict,
            learned=True,
            sample=self._interactive_logins,
            attempt=1,
            sample_started=started,
            transform_ms=transform_ms,
        )
        result = self._login_result(raw, verdict, "interactive", LOGIN_INTERACTIVE)
        token = str(result["token"])
        investor = _flag(result.get("isInvestorClient"))
        if s.account_type is not None and isinstance(investor, bool):
            answered = AccountType.INVESTOR if investor else AccountType.DEALER
            if answered is not s.account_type:
                # Obeying the setting would send the wrong routes, which answer "Data Not
                # Available" and would pass as empty books: stop before any book call.
                raise errors.ConfigError(
                    f"JAINAM_ACCOUNT_TYPE is {s.account_type.value}, but the login answered "
                    f"isInvestorClient: {str(investor).lower()} (a {answered.value} account): "
                    f"set JAINAM_ACCOUNT_TYPE to {answered.value} or auto"
                )
        if s.account_type is not None:
            account = s.account_type
        elif isinstance(investor, bool):
            account = AccountType.INVESTOR if investor else AccountType.DEALER
        else:
            raise errors.BrokerError(
                "interactive login answered without isInvestorClient: set JAINAM_ACCOUNT_TYPE "
                "to investor or dealer"
            )
        user = result.get("userID")
        return Session(
            interactive_token=SecretStr(token),
            market_token=None,
            account_type=account,
            origin="login",
            user=self.redactor.add_identifier(user, "user") if user else None,
            interactive_expires=jwt_expiry(token),
            login_ms={Flow.LOGIN_INTERACTIVE.value: record.total_ms},
        )

    def login_market(self, session: Session) -> Session:
        """POST {prefix}/auth/login, falling back to the other prefix once (quirk XQ05)."""
        s = self.settings
        body = {
            "appKey": s.secret("JAINAM_MARKET_API_KEY"),
            "secretKey": s.secret("JAINAM_MARKET_API_SECRET"),
            "source": s.source,
        }
        prefixes = [s.market_data_prefix] + [
            p for p in MARKET_DATA_PREFIXES if p != s.market_data_prefix
        ]
        started: float | None = None
        self._market_logins += 1
        for attempt, prefix in enumerate(prefixes[:2], start=1):
            route = f"{prefix}{MARKET_LOGIN}"
            raw = self.client.exchange(Flow.LOGIN_MARKET, "POST", route, json_body=body)
            started = raw.started if started is None else started
            verdict, transform_ms = self._classify_and_learn(raw)
            record = self._record(
                raw,
                verdict,
                learned=True,
                sample=self._market_logins,
                attempt=attempt,
                sample_started=started,
                transform_ms=transform_ms,
            )
            # quirk XQ05: on smpb the standard prefix answers 404 and some hosts answer 400 "only
            # enabled for ctcl"; the other prefix is tried once and the one that answered kept.
            wrong_prefix = raw.status == 404 or (
                raw.status == 400 and b"only enabled for ctcl" in raw.body.lower()
            )
            if wrong_prefix and attempt == 1:
                continue
            if wrong_prefix:
                raise errors.BrokerError(
                    f"market-data login answered HTTP {raw.status} under both {prefixes[0]} and "
                    f"{prefixes[1]}: this host serves market data under another prefix; set "
                    "JAINAM_MARKET_DATA_PREFIX (ask the broker which one applies)"
                )
            result = self._login_result(raw, verdict, "market-data", route)
            token = str(result["token"])
            session.market_token = SecretStr(token)
            session.market_expires = jwt_expiry(token)
            session.market_data_prefix = prefix
            session.login_ms[Flow.LOGIN_MARKET.value] = record.sample_ms
            return session
        raise AssertionError("unreachable")  # pragma: no cover

    def _login_result(
        self, raw: RawExchange, verdict: Verdict, which: str, route: str
    ) -> Mapping[str, Any]:
        host = self.settings.host
        if verdict.outcome in (Outcome.TIMEOUT, Outcome.NETWORK_ERROR):
            raise errors.UnreachableError(
                f"{which} login: no answer from {host} ({raw.error_class}); check "
                "JAINAM_BASE_URL, the network/VPN and that the host is up"
            )
        # the header value is broker text: scrubbed like the rest (ids in it were learned)
        content_type = self.redactor.scrub(raw.content_type or "without content type")
        not_xts = errors.NotAnXtsApi(
            f"{which} login: POST {route} on {host} answered HTTP {raw.status} "
            f"{content_type}, not XTS JSON; check "
            "JAINAM_BASE_URL (the broker root, e.g. https://smpb.jainam.in:4143)"
        )
        if raw.error_class is not None or raw.status in (429, 502, 503, 504):
            # a cut-off body or an overloaded gateway: the broker is there, but not answering
            raise errors.BrokerError(
                f"{which} login: {self.redactor.scrub(self.describe(verdict) or 'no answer')}"
            )
        if raw.status == 404:
            raise not_xts  # JSON or not: that route does not exist on this host
        if verdict.envelope is None:
            # quirk XQ15: nginx answers plain HTTP on the TLS port with an HTML 400.
            if b"plain http request was sent to https port" in raw.body.lower():
                raise errors.UnreachableError(
                    f"{which} login: {host} expects HTTPS; use https:// in JAINAM_BASE_URL"
                )
            if raw.status is not None and raw.status < 500:
                raise not_xts
            raise errors.BrokerError(
                f"{which} login: {self.redactor.scrub(self.describe(verdict) or 'no answer')}"
            )
        if verdict.outcome is Outcome.OK:
            result = verdict.envelope.get("result")
            if isinstance(result, Mapping) and result.get("token"):
                self.redactor.add_secret(str(result["token"]), "secret:token")
                return result
            raise errors.BrokerError(f"{which} login answered success without a token")
        described = self.redactor.scrub(verdict.error or "")
        # A rejection is a 4xx error envelope; a 200 with type "error" or a 5xx is the broker
        # failing, not the credentials.
        if raw.status is not None and 400 <= raw.status < 500:
            hint = (
                "JAINAM_INTERACTIVE_API_KEY/SECRET"
                if which == "interactive"
                else ("JAINAM_MARKET_API_KEY/SECRET")
            )
            raise errors.AuthError(
                f"{which} login rejected ({described}); check {hint} "
                "(single-quote secrets in .env; `store-creds --check` shows what is used)"
            )
        raise errors.BrokerError(f"{which} login failed: {described}")

    def reuse(
        self, interactive: str, market: str | None, account: AccountType, origin: Origin
    ) -> Session:
        """A session from tokens kept elsewhere (env or the keyring cache); nothing is sent."""
        self.redactor.add_secret(interactive, "secret:token")
        if market:
            self.redactor.add_secret(market, "secret:token")
        return Session(
            interactive_token=SecretStr(interactive),
            market_token=SecretStr(market) if market else None,
            account_type=account,
            origin=origin,
            interactive_expires=jwt_expiry(interactive),
            market_expires=jwt_expiry(market) if market else None,
        )

    # -- calls ----------------------------------------------------------------------------
    def _call(
        self,
        flow: str,
        method: str,
        route: str,
        session: Session,
        *,
        sample: int,
        market: bool,
        transform: Transform,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        count: Callable[[Any], int] = lambda _payload: 0,
    ) -> tuple[Outcome, Any, TimingRecord]:
        """One logical call: attempts with retries and at most one re-login, each recorded.

        Returns the final outcome, what ``transform`` made of the last usable answer, and the
        last attempt's record. Never raises for broker answers.
        """
        started: float | None = None
        attempt = 0
        while True:
            attempt += 1
            token = session.market_token if market else session.interactive_token
            if token is None:
                raise errors.BrokerError(f"no {'market-data' if market else 'interactive'} session")
            raw = self.client.exchange(
                flow, method, route, token=token.get_secret_value(), params=params,
                json_body=json_body,
            )  # fmt: skip
            # The sample's clock starts when its first request is handed to httpx: time spent
            # waiting for the rate cap before it is not latency (later back-off and throttling
            # between attempts is, since the user waits for it).
            started = raw.started if started is None else started
            t0 = time.perf_counter()  # transform_ms covers parsing too (docs/contract.md)
            verdict = classify(raw)
            outcome, payload, error = verdict.outcome, None, None
            learned = False
            if outcome is Outcome.OK and verdict.envelope is not None:
                outcome, payload, error = transform(verdict.envelope, raw)  # it redacts
                learned = True
            record = self._record(
                raw,
                verdict,
                learned=learned,
                sample=sample,
                attempt=attempt,
                sample_started=started,
                transform_ms=round((time.perf_counter() - t0) * 1000.0, 3)
                if raw.status is not None
                else None,
                outcome=outcome,
                error=error,
                rows=_rows_of(outcome, payload, count),
            )
            if outcome is Outcome.AUTH_ERROR and self._renew(session, market=market):
                continue  # one fresh session, then one retry of the call
            if self.retry.should_retry(attempt, outcome, raw.status, raw.error_class):
                delay = self.retry.delay(attempt, raw.retry_after, self._rng)
                if delay is not None:
                    self._sleep(delay)
                    continue
            return outcome, payload, record

    def _renew(self, session: Session, *, market: bool) -> bool:
        """Log in again once per session kind and pass (XTS "Invalid Token": the session was
        replaced by another login or expired). False when not possible or already done."""
        if not self.settings.credentials or market in session.renewed:
            return False
        session.renewed.add(market)
        try:
            if market:
                self.login_market(session)
            else:
                fresh = self.login_interactive()
                session.interactive_token = fresh.interactive_token
                session.interactive_expires = fresh.interactive_expires
        except errors.JainamError:
            return False
        return True

    def _skip(
        self, flow: str, method: str, route: str, query: Mapping[str, str], sample: int
    ) -> TimingRecord:
        """Record a sample not sent because the route's circuit is open."""
        record = TimingRecord(
            run_id=self.run_id, flow=flow, sample=sample, attempt=1,
            method=method, route=route,
            query_keys=sorted(query), status=None, outcome=Outcome.SKIPPED,
            requested_at=now_iso(), responded_at=None, api_ms=None, transform_ms=None,
            total_ms=0.0, sample_ms=0.0, phases=Phases(), conn_reused=None, bytes=None,
            error=f"not sent: {self.breaker.threshold} consecutive failed samples on this route",
        )  # fmt: skip
        self.sink(record)
        return record

    # -- quotes -----------------------------------------------------------------------------
    def quotes(self, session: Session, batch: list[Instrument]) -> QuoteResult:
        """One quotes call for at most 50 instruments, as its own sample of the ``quotes`` flow."""
        self._quote_samples += 1
        prefix = session.market_data_prefix or self.settings.market_data_prefix
        route = f"{prefix}{MARKET_QUOTES}"
        if self.breaker.is_open(route):
            record = self._skip(Flow.QUOTES, "POST", route, {}, self._quote_samples)
            return QuoteResult(Outcome.SKIPPED, None, record)

        def transform(
            envelope: dict[str, Any], raw: RawExchange
        ) -> tuple[Outcome, Any, str | None]:
            safe = self.redactor.redact(envelope)
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

        outcome, parsed, record = self._call(
            Flow.QUOTES, "POST", route, session, sample=self._quote_samples, market=True,
            transform=transform, json_body=quotes_body(batch),
            count=lambda parsed: len(parsed.ltp),
        )  # fmt: skip
        self.breaker.record(route, outcome.usable)
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
        if self.breaker.is_open(route):
            record = self._skip(flow, "GET", route, params, sample)
            return FlowResult(flow=flow, sample=sample, outcome=Outcome.SKIPPED, record=record)

        def transform(
            envelope: dict[str, Any], raw: RawExchange
        ) -> tuple[Outcome, Any, str | None]:
            # Books are large: learn every identifier from the raw payload, normalise, then
            # redact only the normalised rows (not a full redacted copy of a 90 MB book).
            self.redactor.learn(envelope)
            try:
                models, malformed = NORMALISERS[flow](envelope.get("result"))
            except BookShapeError as exc:
                return Outcome.BAD_RESPONSE, None, f"HTTP {raw.status}: unexpected shape: {exc}"
            if malformed:
                # A row that is not a record, or lacks what the book needs, makes the whole
                # sample unusable: a book read only in part proves nothing about the rest.
                return Outcome.BAD_RESPONSE, None, unreadable_rows(raw.status, malformed, models)
            rows = self.redactor.redact_rows(
                [m.model_dump(mode="json") for m in models], IDENTIFIER_FIELDS
            )
            return (Outcome.OK if rows else Outcome.EMPTY), (rows, malformed), None

        outcome, payload, record = self._call(
            flow, "GET", route, session, sample=sample, market=False, transform=transform,
            params=params, count=lambda payload: len(payload[0]),
        )  # fmt: skip
        self.breaker.record(route, outcome.usable)
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
