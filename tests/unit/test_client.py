from __future__ import annotations

import httpx
import pytest

from jainam_validate import errors
from jainam_validate.client import XtsClient, is_allowed
from tests.support.xts_fakes import ROOT, investor_router


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/interactive/orders"),
        ("PUT", "/interactive/orders"),
        ("DELETE", "/interactive/orders"),
        ("POST", "/interactive/orders/cancelall"),
        ("PUT", "/interactive/portfolio/squareoff"),
        ("PUT", "/interactive/portfolio/positions/convert"),
        ("GET", "/interactive/user/profile"),
        ("POST", "/interactive/portfolio/holdings"),
        ("POST", "/apibinarymarketdata/instruments/subscription"),
        ("GET", "/interactive/trades"),
        ("POST", "/evil/auth/login"),
    ],
)
def test_read_only_interlock_refuses_before_any_socket(method: str, path: str) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200)

    client = XtsClient(ROOT, transport=httpx.MockTransport(handler))
    with pytest.raises(errors.ReadOnlyViolation) as caught:
        client.exchange("positions", method, path)
    assert calls == []
    assert caught.value.exit_code == errors.ExitCode.USAGE
    # and a direct use of the underlying httpx client is refused too
    with pytest.raises(errors.ReadOnlyViolation):
        client._http.request(method, ROOT + path)
    assert calls == []


def test_allow_list_has_exactly_the_read_routes() -> None:
    prefixes = ("/apibinarymarketdata", "/apimarketdata")
    assert is_allowed("GET", "/interactive/orders/trades", prefixes)
    assert is_allowed("GET", "/interactive/orders/dealertradebook", prefixes)
    assert is_allowed("GET", "/interactive/portfolio/dealerpositions", prefixes)
    assert is_allowed("POST", "/apimarketdata/instruments/quotes", prefixes)
    assert is_allowed("POST", "/apibinarymarketdata/auth/login", prefixes)
    assert not is_allowed("GET", "/interactive/orders", prefixes)


def test_token_goes_raw_in_authorization_and_urls_are_concatenated() -> None:
    router = investor_router()
    client = XtsClient(ROOT, transport=httpx.MockTransport(router.handler))
    raw = client.exchange(
        "positions",
        "GET",
        "/interactive/portfolio/positions",
        token="tok-123",
        params={"dayOrNet": "NetWise"},
    )
    request = router.calls.last.request
    assert request.headers["Authorization"] == "tok-123"
    assert str(request.url) == f"{ROOT}/interactive/portfolio/positions?dayOrNet=NetWise"
    assert raw.status == 200 and raw.query_keys == ["dayOrNet"]
    assert raw.api_ms is not None and raw.api_ms >= 0
    assert raw.requested_at.endswith("Z") and raw.responded_at is not None


def test_transport_errors_become_classified_exchanges() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    raw = XtsClient(ROOT, transport=httpx.MockTransport(timeout)).exchange(
        "holdings", "GET", "/interactive/portfolio/holdings"
    )
    assert raw.timed_out and raw.status is None and raw.error_class == "ReadTimeout"
    raw = XtsClient(ROOT, transport=httpx.MockTransport(refused)).exchange(
        "holdings", "GET", "/interactive/portfolio/holdings"
    )
    assert not raw.timed_out and raw.error_class == "ConnectError" and raw.api_ms is None


def test_a_wait_for_the_rate_cap_happens_before_the_clock_starts() -> None:
    """Throttling is not latency: api_ms starts after the limiter let the request go."""
    import time

    marks: dict[str, float] = {}

    class Limiter:
        def acquire(self) -> None:
            marks["released"] = time.perf_counter()

    def handler(request: httpx.Request) -> httpx.Response:
        marks["sent"] = time.perf_counter()
        return httpx.Response(200, json={"type": "success", "result": []})

    client = XtsClient(
        ROOT,
        transport=httpx.MockTransport(handler),
        rate_limiter=Limiter(),  # type: ignore[arg-type]
    )
    raw = client.exchange("positions", "GET", "/interactive/portfolio/positions", token="t")
    assert marks["released"] <= raw.started <= marks["sent"]


def test_a_connect_failure_records_which_one_it_was() -> None:
    """DNS, refused, TLS from the exception chain; a connect time-out from its class; a
    ConnectError that names none of them keeps no kind (and the old words)."""
    import socket

    from jainam_validate import connection
    from jainam_validate.classify import classify

    def raising(exc: BaseException) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            raise exc

        return httpx.MockTransport(handler)

    refused = httpx.ConnectError("x")
    refused.__cause__ = ConnectionRefusedError(111, "refused")
    unknown = httpx.ConnectError("x")
    unknown.__cause__ = socket.gaierror(-2, "unknown")
    cases = [
        (refused, connection.REFUSED),
        (unknown, connection.DNS),
        (httpx.ConnectTimeout("slow"), connection.CONNECT_TIMEOUT),
        (httpx.ConnectError("x"), None),
    ]
    for exc, kind in cases:
        raw = XtsClient(ROOT, transport=raising(exc)).exchange(
            "holdings", "GET", "/interactive/portfolio/holdings"
        )
        assert raw.status is None and raw.failure == kind
        error = classify(raw).error or ""
        if kind is None:
            assert error == "ConnectError: no HTTP response"
        else:
            assert connection.words(kind) in error and connection.kind_in(error) == (kind, None)
