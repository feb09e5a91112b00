"""The XTS HTTP client: one timed attempt per call, read-only by construction.

This is the only module that talks HTTP. Each call returns a :class:`RawExchange`: the status,
content type, body bytes and the clock marks of one attempt, or the class of the transport error
when no response came. It never raises for broker answers; deciding what an answer means is
:mod:`jainam_validate.classify`'s job, and redaction happens before anything is written. The
transport is injectable (``httpx.MockTransport``/respx in tests) and always wrapped in
:class:`ReadOnlyTransport`, which refuses any route outside the allow-list before a socket opens.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from jainam_validate import connection, errors
from jainam_validate.resilience import RateLimiter
from jainam_validate.simulator.scenario import SIMULATOR_HEADER
from jainam_validate.timing import Phases, PhaseTrace, utc_iso
from jainam_validate.xts import (
    DEALER_POSITIONS,
    DEALER_TRADEBOOK,
    HOLDINGS,
    LOGIN_INTERACTIVE,
    MARKET_DATA_PREFIXES,
    MARKET_LOGIN,
    MARKET_LOGOUT,
    MARKET_QUOTES,
    POSITIONS,
    TRADEBOOK,
)

#: ``error_class`` of an attempt whose whole answer took longer than the read timeout.
DEADLINE_EXCEEDED = "DeadlineExceeded"

#: What the harness may ever send. Logins/logouts, the book GETs, and market-data quotes; no
#: order, no modification, nothing that could disturb a production account.
_INTERACTIVE_ALLOWED = frozenset(
    {
        ("POST", LOGIN_INTERACTIVE),
        ("DELETE", LOGIN_INTERACTIVE),
        ("GET", POSITIONS),
        ("GET", DEALER_POSITIONS),
        ("GET", HOLDINGS),
        ("GET", TRADEBOOK),
        ("GET", DEALER_TRADEBOOK),
    }
)
_MARKET_ALLOWED = frozenset(
    {("POST", MARKET_LOGIN), ("DELETE", MARKET_LOGOUT), ("POST", MARKET_QUOTES)}
)


def is_allowed(method: str, path: str, market_prefixes: tuple[str, ...]) -> bool:
    """True when ``method path`` is on the read-only allow-list."""
    method = method.upper()
    if (method, path) in _INTERACTIVE_ALLOWED:
        return True
    for prefix in market_prefixes:
        if path.startswith(prefix + "/") and (method, path[len(prefix) :]) in _MARKET_ALLOWED:
            return True
    return False


class ReadOnlyTransport(httpx.BaseTransport):
    """Wraps the real transport and refuses every request outside the allow-list (XTS's, or
    ``only``: the exact (method, path) pairs a client of the application may send)."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        market_prefixes: tuple[str, ...],
        only: frozenset[tuple[str, str]] | None = None,
    ) -> None:
        self._inner = inner
        self._market_prefixes = market_prefixes
        self._only = only

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if (
            (request.method.upper(), path) not in self._only
            if self._only is not None
            else not is_allowed(request.method, path, self._market_prefixes)
        ):
            raise errors.ReadOnlyViolation(
                f"refused {request.method} {request.url.path}: jainam-validate only sends logins, "
                "book reads and quotes"
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


@dataclass
class RawExchange:
    """One HTTP attempt as it happened. Holds raw bytes: redact before writing any of it."""

    flow: str
    method: str
    route: str
    query_keys: list[str]
    requested_at: str
    started: float
    status: int | None = None
    content_type: str | None = None
    body: bytes | bytearray = b""
    responded_at: str | None = None
    body_read: float | None = None
    phases: Phases = field(default_factory=Phases)
    conn_reused: bool | None = None
    query: dict[str, str] = field(default_factory=dict)  # raw values: redact before writing
    retry_after: str | None = None
    error_class: str | None = None
    timed_out: bool = False
    simulated: bool = False  # the answer came from jainam-validate's own simulator
    released: int | None = None  # the body's size once it was let go (release_body)
    failure: str | None = None  # why no connection was made (connection.DNS, REFUSED, ...)
    failure_reason: str | None = None  # OpenSSL's reason or the certificate check's message

    @property
    def size(self) -> int:
        """The body's length in bytes, released or not."""
        return self.released if self.released is not None else len(self.body)

    def release_body(self) -> None:
        """Let go of a parsed body: a 90 MB book need not be held beside its parsed rows."""
        self.released = len(self.body)
        self.body = b""

    @property
    def api_ms(self) -> float | None:
        if self.body_read is None:
            return None
        return round((self.body_read - self.started) * 1000.0, 3)


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts in seconds. ``read`` bounds the whole answer, from the request
    being sent to the last body byte (see :meth:`XtsClient._read_body`), not one socket read."""

    connect: float = 5.0
    read: float = 30.0


class XtsClient:
    """Sends timed, read-only requests to one XTS root (e.g. ``https://smpb.jainam.in:4143``)."""

    def __init__(
        self,
        root: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeouts: Timeouts = Timeouts(),
        extra_market_prefixes: tuple[str, ...] = (),
        rate_limiter: RateLimiter | None = None,
        only: frozenset[tuple[str, str]] | None = None,
    ) -> None:
        self.root = root.rstrip("/")
        self._limiter = rate_limiter
        self._timeouts = timeouts
        prefixes = tuple(dict.fromkeys(MARKET_DATA_PREFIXES + extra_market_prefixes))
        # Loading the CA bundle costs ~30 ms; a plain-http root (simulator, replay) needs none.
        secure = self.root.startswith("https://")
        inner = transport if transport is not None else httpx.HTTPTransport(verify=secure)
        self._http = httpx.Client(
            transport=ReadOnlyTransport(inner, prefixes, only),
            timeout=httpx.Timeout(timeouts.read, connect=timeouts.connect),
            follow_redirects=False,
            headers={"User-Agent": "jainam-validate"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> XtsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def exchange(
        self,
        flow: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> RawExchange:
        """Send one request and read the whole body within the read timeout; never raises for
        transport failures (an answer slower than the read timeout is recorded as a timeout).

        Raises :class:`errors.ReadOnlyViolation` for a route outside the allow-list.
        """
        # NOTE: build the URL by concatenation with explicit leading slashes (the official SDK's
        # urljoin hides a missing slash on dealerpositions).
        url = self.root + path
        headers = {"Content-Type": "application/json"}
        if token is not None:
            # quirk XQ08: XTS takes the session token raw in Authorization, no "Bearer".
            headers["Authorization"] = token
        if self._limiter is not None:
            self._limiter.acquire()  # before the clock starts: throttling is not latency
        trace = PhaseTrace()
        raw = RawExchange(
            flow=flow,
            method=method,
            route=path,
            query_keys=sorted(params) if params else [],
            query=dict(params) if params else {},
            requested_at=utc_iso(datetime.now(UTC)),
            started=time.perf_counter(),
        )
        try:
            request = self._http.build_request(
                method,
                url,
                params=dict(params) if params else None,
                json=dict(json_body) if json_body is not None else None,
                headers=headers,
                extensions={"trace": trace},
            )
        except (UnicodeEncodeError, ValueError, httpx.HTTPError) as exc:
            # e.g. a reused token with a non-ASCII character cannot go in a header
            raw.error_class = f"InvalidRequest:{type(exc).__name__}"
            return raw
        raw.started = time.perf_counter()
        try:
            response = self._http.send(request, stream=True)
            try:
                raw.status = response.status_code
                raw.content_type = response.headers.get("content-type")
                raw.simulated = SIMULATOR_HEADER in response.headers
                raw.retry_after = response.headers.get("retry-after")
                body = self._read_body(request, response, self._deadline(raw.started, trace))
            finally:
                response.close()
        except errors.ReadOnlyViolation:
            raise
        except httpx.TimeoutException as exc:
            raw.timed_out = True
            raw.error_class = type(exc).__name__
            if isinstance(exc, httpx.ConnectTimeout):
                raw.failure = connection.CONNECT_TIMEOUT
        except httpx.HTTPError as exc:
            # the class only: httpx's message can quote the URL, and with it a query's ids
            raw.error_class = type(exc).__name__
            found = connection.failure_of(exc) if isinstance(exc, httpx.ConnectError) else None
            if found is not None:
                raw.failure, raw.failure_reason = found
        else:
            if body is None:
                # Recorded as an httpx timeout is: status as received, no body, no api_ms.
                raw.timed_out = True
                raw.error_class = DEADLINE_EXCEEDED
            else:
                raw.body = body
                raw.body_read = time.perf_counter()
                raw.responded_at = utc_iso(datetime.now(UTC))
        raw.phases = trace.phases()
        raw.conn_reused = trace.conn_reused
        return raw

    def _deadline(self, started: float, trace: PhaseTrace) -> float:
        """When the whole answer must have arrived: the read timeout after the request was sent
        (after the last request byte when the transport traces it, else from ``started``)."""
        sent = trace.marks.get("http11.send_request_body.complete", started)
        return sent + self._timeouts.read

    @staticmethod
    def _read_body(
        request: httpx.Request, response: httpx.Response, deadline: float
    ) -> bytearray | None:
        """The decoded body (what ``response.read()`` returns), or None once ``deadline`` passes.

        Why: httpx's read timeout is per socket read, not per response, so a body drip-fed a
        few bytes at a time never trips it and an answer could take many times
        ``--read-timeout``. The deadline is checked once the headers are in and after every
        chunk; on expiry reading stops and the caller closes the response.
        """
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return None
        # Best effort: httpcore takes the body's per-read timeout from the request's "timeout"
        # extension when the body is first iterated (once, not per read), so lowering it to
        # what is left means a server silent from the start of the body is cut off at the
        # deadline. A server that stalls mid-body is cut off at most that long after it.
        timeout = request.extensions.get("timeout")
        if isinstance(timeout, dict) and timeout.get("read") is not None:
            request.extensions["timeout"] = {**timeout, "read": min(timeout["read"], remaining)}
        # one buffer that grows in place: a list of chunks joined at the end holds the body twice
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if time.perf_counter() > deadline:
                return None
        return body
