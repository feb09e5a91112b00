from __future__ import annotations

import random

import httpx
import pytest
import respx

from jainam_validate.resilience import CircuitBreaker, RateLimiter, RetryPolicy, rate_for
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
    assert waits == [0.5, 0.5]  # no sleep at all while the burst lasts
    assert RateLimiter(rate=0).acquire() == 0.0


class FakeTime:
    """A clock that moves only when told to, and a sleep that moves it and is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def limiter(self, rate: float, **kw: int) -> RateLimiter:
        return RateLimiter(rate=rate, clock=self.clock, sleep=self.sleep, **kw)


def test_rate_limiter_default_burst_is_ten_requests() -> None:
    fake = FakeTime()
    limiter = fake.limiter(rate=1)
    assert [limiter.acquire() for _ in range(11)] == [0.0] * 10 + [1.0]
    assert fake.waits == [1.0]


def test_rate_zero_is_no_cap_at_all() -> None:
    fake = FakeTime()
    limiter = fake.limiter(rate=0, burst=1)
    assert [limiter.acquire() for _ in range(50)] == [0.0] * 50
    assert fake.waits == []


def test_rate_one_is_one_request_per_second() -> None:
    fake = FakeTime()
    limiter = fake.limiter(rate=1, burst=1)
    assert [limiter.acquire() for _ in range(3)] == [0.0, 1.0, 1.0]
    assert fake.waits == [1.0, 1.0] and fake.now == 2.0


def test_rate_limiter_refills_with_elapsed_time_up_to_the_burst() -> None:
    fake = FakeTime()
    limiter = fake.limiter(rate=4, burst=3)
    assert [limiter.acquire() for _ in range(3)] == [0.0] * 3  # the burst is spent
    fake.now += 0.5  # 0.5 s at 4/s: two tokens back
    assert [limiter.acquire() for _ in range(2)] == [0.0, 0.0]
    assert limiter.acquire() == 0.25
    fake.now += 60.0  # a long pause refills the burst, no more
    assert [limiter.acquire() for _ in range(4)] == [0.0, 0.0, 0.0, 0.25]
    assert fake.waits == [0.25, 0.25]


def test_rate_limiter_waits_only_for_the_missing_part_of_a_token() -> None:
    fake = FakeTime()
    limiter = fake.limiter(rate=2, burst=2)
    assert [limiter.acquire() for _ in range(2)] == [0.0, 0.0]
    fake.now += 0.25  # half a token back at 2/s
    assert limiter.acquire() == 0.25
    fake.now += 0.75  # one and a half tokens back
    assert limiter.acquire() == 0.0
    assert limiter.acquire() == 0.25  # the half token left, plus a quarter second
    assert fake.waits == [0.25, 0.25]


def test_a_connect_failure_is_retried_but_a_cut_off_answer_is_not() -> None:
    policy = RetryPolicy(retries=2)
    # a connect timeout sent nothing: it is retried, though its outcome is a timeout
    assert policy.should_retry(1, Outcome.TIMEOUT, None, "ConnectTimeout")
    assert policy.should_retry(1, Outcome.NETWORK_ERROR, None, "ReadError")
    assert policy.should_retry(1, Outcome.NETWORK_ERROR, None, "SomeOtherTransportError")
    # the broker answered 200 and the body broke off: not a connect error, not retried
    assert not policy.should_retry(1, Outcome.BAD_RESPONSE, 200, "RemoteProtocolError")
    assert policy.should_retry(1, Outcome.BAD_RESPONSE, 503, "RemoteProtocolError")
    assert not policy.should_retry(3, Outcome.TIMEOUT, None, "ConnectTimeout")  # budget spent


def test_retry_after_is_honoured_up_to_ten_seconds_and_never_negative() -> None:
    policy = RetryPolicy()
    assert policy.delay(1, "10", RNG) == 10.0  # the limit itself is still honoured
    assert policy.delay(1, "10.5", RNG) is None
    assert policy.delay(1, "0", RNG) == 0.0
    assert policy.delay(1, "0.5", RNG) == 0.5
    assert policy.delay(1, "-3", RNG) == 0.0


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


def test_a_breaker_of_one_opens_on_the_first_failure_of_that_route_only() -> None:
    breaker = CircuitBreaker(threshold=1)
    assert not breaker.is_open("/r")  # nothing recorded yet
    breaker.record("/r", usable=False)
    assert breaker.is_open("/r") and not breaker.is_open("/other")


def test_a_breaker_of_zero_never_opens() -> None:
    breaker = CircuitBreaker(threshold=0)
    assert not breaker.is_open("/r")
    for _ in range(20):
        breaker.record("/r", usable=False)
    assert not breaker.is_open("/r")


@pytest.mark.parametrize(
    ("given", "root", "expected"),
    [
        (None, "https://smpb.jainam.in:4143", 10.0),  # a broker: the default cap protects it
        (None, "http://127.0.0.1:8765", 0.0),  # --sim, --replay, a local rehearsal: no cap
        (None, "http://localhost:8765", 0.0),
        (None, "http://[::1]:8765", 0.0),
        (None, "http://127.8.9.10:8765", 0.0),
        (None, "http://10.0.0.5:4143", 10.0),
        (5.0, "http://127.0.0.1:8765", 5.0),  # --rate given: always as given
        (0.0, "https://smpb.jainam.in:4143", 0.0),
    ],
)
def test_the_rate_cap_depends_on_the_target_unless_given(
    given: float | None, root: str, expected: float
) -> None:
    assert rate_for(given, root) == expected
