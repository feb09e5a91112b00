from __future__ import annotations

import random

import httpx
import respx

from jainam_validate.resilience import CircuitBreaker, RateLimiter, RetryPolicy
from jainam_validate.settings import AccountType
from jainam_validate.timing import Outcome
from tests.support.xts_fakes import HOLDINGS, ROOT, SLEPT, TOKEN_I, make

RNG = random.Random(1)


def test_retry_decisions() -> None:
    policy = RetryPolicy(retries=2)
    assert policy.should_retry(1, Outcome.HTTP_ERROR, 503, None)
    assert policy.should_retry(2, Outcome.HTTP_ERROR, 429, None)
    assert not policy.should_retry(3, Outcome.HTTP_ERROR, 503, None)  # budget spent
    assert policy.should_retry(1, Outcome.NETWORK_ERROR, None, "ConnectError")
    assert not policy.should_retry(1, Outcome.TIMEOUT, None, "ReadTimeout")  # slow, not gone
    assert not policy.should_retry(1, Outcome.HTTP_ERROR, 400, None)
    assert not policy.should_retry(1, Outcome.BAD_RESPONSE, 200, None)
    assert not RetryPolicy(retries=0).should_retry(1, Outcome.HTTP_ERROR, 503, None)


def test_backoff_is_exponential_with_bounded_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay_s=0.25, max_delay_s=1.0, jitter_s=0.1)
    first, second, late = (policy.delay(n, None, RNG) for n in (1, 2, 5))
    assert first is not None and 0.25 <= first <= 0.35
    assert second is not None and 0.5 <= second <= 0.6
    assert late is not None and 1.0 <= late <= 1.1
    assert policy.delay(1, "2", RNG) == 2.0
    assert policy.delay(1, "120", RNG) is None  # too long to wait inside a validation pass
    assert policy.delay(1, "Wed, 21 Oct 2015 07:28:00 GMT", RNG) is not None


def test_rate_limiter_allows_a_burst_then_paces() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(rate=2, burst=2, clock=lambda: now[0], sleep=sleep)
    assert [limiter.acquire() for _ in range(4)] == [0.0, 0.0, 0.5, 0.5]
    assert RateLimiter(rate=0).acquire() == 0.0


def test_circuit_breaker_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(threshold=2)
    breaker.record("/r", usable=False)
    breaker.record("/r", usable=True)
    breaker.record("/r", usable=False)
    assert not breaker.is_open("/r")
    breaker.record("/r", usable=False)
    assert breaker.is_open("/r") and not breaker.is_open("/other")


def test_a_5xx_then_success_is_two_records_and_one_usable_sample() -> None:
    router = respx.Router(base_url=ROOT)
    router.get("/interactive/portfolio/holdings").mock(
        side_effect=[
            httpx.Response(503, text="<html>503</html>", headers={"content-type": "text/html"}),
            httpx.Response(200, json=HOLDINGS),
        ]
    )
    harness, records = make(router)
    result = harness.fetch("holdings", harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    assert result.outcome is Outcome.OK
    assert [(r.attempt, r.status, r.outcome.value) for r in records] == [
        (1, 503, "http_error"),
        (2, 200, "ok"),
    ]
    assert len(SLEPT) == 1 and SLEPT[0] >= 0.25
    # the sample's latency runs from the first attempt: it includes the failed one
    assert records[1].sample_ms >= records[0].total_ms + records[1].total_ms


def test_429_retry_after_is_honoured() -> None:
    router = respx.Router(base_url=ROOT)
    router.get("/interactive/orders/trades").mock(
        side_effect=[
            httpx.Response(
                429,
                json={"type": "error", "code": "e-app-0429", "description": "slow down"},
                headers={"Retry-After": "1"},
            ),
            httpx.Response(
                200, json={"type": "success", "code": "s", "description": "", "result": []}
            ),
        ]
    )
    harness, records = make(router)
    result = harness.fetch("tradebook", harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env"))
    assert result.outcome is Outcome.EMPTY and SLEPT == [1.0]


def test_open_circuit_skips_the_route_without_sending() -> None:
    router = respx.Router(base_url=ROOT)
    route = router.get("/interactive/portfolio/holdings").mock(
        return_value=httpx.Response(502, text="bad gateway", headers={"content-type": "text/html"})
    )
    harness, records = make(router)
    session = harness.reuse(TOKEN_I, None, AccountType.INVESTOR, "env")
    outcomes = [harness.fetch("holdings", session, sample=n).outcome for n in range(1, 6)]
    assert outcomes == [Outcome.HTTP_ERROR] * 3 + [Outcome.SKIPPED] * 2
    assert route.call_count == 9  # 3 samples x 3 attempts, then nothing
    skipped = [r for r in records if r.outcome is Outcome.SKIPPED]
    assert [r.sample for r in skipped] == [4, 5] and all(r.status is None for r in skipped)
