"""``--read-timeout`` bounds the whole answer, not one socket read: httpx's read timeout restarts
with every chunk, so a body drip-fed a few bytes at a time must still end as a ``timeout``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx

from jainam_validate.classify import classify
from jainam_validate.client import DEADLINE_EXCEEDED, Timeouts, XtsClient
from jainam_validate.timing import Outcome
from jainam_validate.xts import POSITIONS
from tests.support.xts_fakes import ROOT

BODY = json.dumps({"type": "success", "code": "s-portfolio-0001", "result": {"x": 1}}).encode()


class Drip(httpx.SyncByteStream):
    """A body that arrives in ``chunks`` pieces, ``gap`` seconds apart."""

    def __init__(self, body: bytes, chunks: int, gap: float) -> None:
        self.body, self.chunks, self.gap = body, chunks, gap
        self.sent = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        size = -(-len(self.body) // self.chunks)
        for start in range(0, len(self.body), size):
            time.sleep(self.gap)
            self.sent += 1
            yield self.body[start : start + size]

    def close(self) -> None:
        self.closed = True


def client_for(stream: Drip, read: float) -> XtsClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, stream=stream)

    return XtsClient(
        ROOT, transport=httpx.MockTransport(handler), timeouts=Timeouts(connect=1.0, read=read)
    )


def test_a_drip_fed_body_slower_than_the_read_timeout_is_a_timeout() -> None:
    # every gap (0.08 s) is well under the read timeout (0.2 s); the whole body (~0.64 s) is not
    stream = Drip(BODY, chunks=8, gap=0.08)
    began = time.perf_counter()
    raw = client_for(stream, read=0.2).exchange("positions", "GET", POSITIONS)
    elapsed = time.perf_counter() - began
    assert raw.timed_out and raw.error_class == DEADLINE_EXCEEDED
    assert raw.status == 200  # as received; the answer is still unusable
    assert raw.body == b"" and raw.body_read is None and raw.api_ms is None
    assert raw.responded_at is None
    assert stream.closed and stream.sent < 8  # stopped reading, response closed
    assert elapsed < 0.5
    verdict = classify(raw)
    assert verdict.outcome is Outcome.TIMEOUT
    assert verdict.error is not None and DEADLINE_EXCEEDED in verdict.error


def test_a_streamed_body_inside_the_deadline_is_ok_and_whole() -> None:
    stream = Drip(BODY, chunks=4, gap=0.01)
    raw = client_for(stream, read=2.0).exchange("positions", "GET", POSITIONS)
    assert not raw.timed_out and raw.error_class is None
    assert raw.body == BODY and raw.api_ms is not None and raw.api_ms >= 30
    assert stream.sent == 4 and stream.closed
    assert classify(raw).outcome is Outcome.OK


def test_headers_after_the_deadline_are_a_timeout_without_reading_the_body() -> None:
    stream = Drip(BODY, chunks=2, gap=0.0)

    def slow_headers(request: httpx.Request) -> httpx.Response:
        time.sleep(0.15)
        return httpx.Response(200, headers={"content-type": "application/json"}, stream=stream)

    client = XtsClient(
        ROOT, transport=httpx.MockTransport(slow_headers), timeouts=Timeouts(read=0.1)
    )
    raw = client.exchange("positions", "GET", POSITIONS)
    assert raw.timed_out and raw.error_class == DEADLINE_EXCEEDED and raw.api_ms is None
    assert stream.sent == 0 and stream.closed
    assert classify(raw).outcome is Outcome.TIMEOUT


def test_the_body_is_decoded_as_response_read_had_it() -> None:
    import gzip

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"content-type": "application/json", "content-encoding": "gzip"},
            content=gzip.compress(BODY),
        )

    raw = XtsClient(ROOT, transport=httpx.MockTransport(handler)).exchange(
        "positions", "GET", POSITIONS
    )
    assert raw.body == BODY and classify(raw).outcome is Outcome.OK


def test_the_body_read_timeout_is_tightened_to_what_is_left_of_the_deadline() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"type": "success"})

    client = XtsClient(ROOT, transport=httpx.MockTransport(handler), timeouts=Timeouts(read=5.0))
    raw = client.exchange("positions", "GET", POSITIONS)
    assert classify(raw).outcome is Outcome.OK
    timeout = seen[0].extensions["timeout"]
    assert 0 < timeout["read"] < 5.0 and timeout["connect"] == 5.0
