"""Resilience that never hides anything: retry policy, rate cap and per-route circuit breaker.

The broker is production, and the harness runs exactly when things go wrong, so each mechanism
is small and its effect is recorded: every retry is its own timing record (``attempt`` 2, 3,
...), back-off counts against the sample's latency, a route whose circuit is open is not called
again in this pass and its remaining samples are recorded as ``skipped``. Only idempotent reads
are retried (book GETs and quotes), never a login: a second login can kick a session off.
The retry loop is a dozen lines here rather than a dependency, because each attempt must be
timed and recorded individually, which a generic retry decorator would hide.
"""

from __future__ import annotations

import ipaddress
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from jainam_validate.timing import Outcome

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Connection failures worth another try. A read timeout is not retried: the server is slow,
#: and asking again would double its load.
RETRYABLE_ERRORS = frozenset(
    {"ConnectError", "ConnectTimeout", "RemoteProtocolError", "ReadError", "WriteError"}
)
MAX_RETRY_AFTER_S = 10.0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with jitter; ``retries`` extra attempts at most."""

    retries: int = 2
    base_delay_s: float = 0.25
    max_delay_s: float = 4.0
    jitter_s: float = 0.1

    def should_retry(
        self, attempt: int, outcome: Outcome, status: int | None, error_class: str | None
    ) -> bool:
        """Whether attempt number ``attempt`` (1-based) may be followed by another."""
        if attempt > self.retries:
            return False
        if status is not None and status in RETRYABLE_STATUSES:
            return True
        return outcome is Outcome.NETWORK_ERROR or (
            status is None and error_class in RETRYABLE_ERRORS
        )

    def delay(self, attempt: int, retry_after: str | None, rng: random.Random) -> float | None:
        """Seconds to wait before the next attempt; None when ``Retry-After`` asks too much."""
        if retry_after is not None:
            try:
                wanted = float(retry_after)
            except ValueError:
                wanted = None  # an HTTP date: fall back to our own back-off
            if wanted is not None:
                return None if wanted > MAX_RETRY_AFTER_S else max(0.0, wanted)
        backoff = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        return backoff + rng.uniform(0, self.jitter_s)


#: The cap that protects a real broker when --rate is not given.
DEFAULT_RATE_PER_S = 10.0


def rate_for(rate_per_s: float | None, root: str) -> float:
    """The requests-per-second cap for a pass against ``root``: ``--rate`` when given; else
    none for a loopback host (the simulator, a replay, a rehearsal on 127.0.0.1: nothing to
    protect, and ``--iterations 200`` should take seconds, not 80 s), 10 for any other."""
    if rate_per_s is not None:
        return rate_per_s
    return 0.0 if is_loopback(urlsplit(root).hostname or "") else DEFAULT_RATE_PER_S


def is_loopback(host: str) -> bool:
    """``host`` (a name or an address, no port) is this machine."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RateLimiter:
    """A token bucket: at most ``rate`` requests per second after a burst of ``burst``."""

    def __init__(
        self,
        rate: float,
        burst: int = 10,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a token; returns the seconds waited (0 when ``rate`` is 0: no cap)."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            wait = (1 - self._tokens) / self.rate
            self._tokens = 0.0
            self._last = now + wait
        self._sleep(wait)
        return wait


@dataclass
class CircuitBreaker:
    """Per route: after ``threshold`` consecutive failed samples, stop calling it this pass."""

    threshold: int = 3
    _failures: dict[str, int] = field(default_factory=dict)

    def is_open(self, route: str) -> bool:
        return self.threshold > 0 and self._failures.get(route, 0) >= self.threshold

    def record(self, route: str, usable: bool) -> None:
        self._failures[route] = 0 if usable else self._failures.get(route, 0) + 1


@dataclass(frozen=True)
class Resilience:
    """Everything a pass needs to be gentle and truthful with a production broker."""

    retry: RetryPolicy = RetryPolicy()
    rate_per_s: float | None = None  # None: the target's default (see rate_for)
    breaker_threshold: int = 3
