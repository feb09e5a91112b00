"""Timing records: one per HTTP attempt, the raw material of every latency figure we report.

Clocks: ``requested_at``/``responded_at`` are wall-clock UTC (for the report's timeline);
every duration comes from ``time.perf_counter`` around the real call. ``api_ms`` runs from the
moment the request is handed to httpx until the body is read (so it includes connecting when
the connection is new), ``transform_ms`` covers parse, validate, normalise and redact, and
``total_ms`` runs from the call to the usable result. Phases come from httpx's ``trace``
extension; connect and TLS do not fire on a pooled connection, so they are null there and
``conn_reused`` says so. DNS resolution happens inside httpcore's ``connect_tcp``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class Outcome(StrEnum):
    """How one HTTP attempt ended (docs/contract.md "timings.jsonl")."""

    OK = "ok"
    EMPTY = "empty"
    AUTH_ERROR = "auth_error"
    HTTP_ERROR = "http_error"
    BAD_RESPONSE = "bad_response"
    TIMEOUT = "timeout"
    NETWORK_ERROR = "network_error"
    SKIPPED = "skipped"

    @property
    def usable(self) -> bool:
        """An ``ok`` or ``empty`` attempt produced a result a user can rely on."""
        return self in (Outcome.OK, Outcome.EMPTY)


class Phases(BaseModel):
    """Per-phase durations in ms; null where the phase did not happen on this attempt."""

    model_config = ConfigDict(frozen=True)

    connect_ms: float | None = None
    tls_ms: float | None = None
    send_ms: float | None = None
    ttfb_ms: float | None = None
    receive_ms: float | None = None


class TimingRecord(BaseModel):
    """One line of ``timings.jsonl``: a single HTTP attempt, already redacted."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    flow: str
    sample: int
    attempt: int
    method: str
    route: str
    query_keys: list[str]
    status: int | None
    outcome: Outcome
    requested_at: str
    responded_at: str | None
    api_ms: float | None
    transform_ms: float | None
    total_ms: float
    sample_ms: float
    phases: Phases
    conn_reused: bool | None
    bytes: int | None
    content_type: str | None = None
    code: str | None = None
    error: str | None = None
    #: Rows read from a usable book or quotes answer (null for logins and unusable answers).
    rows: int | None = None


def utc_iso(moment: datetime) -> str:
    """ISO 8601 UTC with millisecond precision and a ``Z``."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def now_iso() -> str:
    return utc_iso(datetime.now(UTC))


def ms_between(start: float | None, end: float | None) -> float | None:
    """Milliseconds between two ``perf_counter`` marks (0.001 ms); None if one is missing."""
    if start is None or end is None:
        return None
    return round((end - start) * 1000.0, 3)


class PhaseTrace:
    """The httpx ``trace`` callback: stamps each httpcore event with ``perf_counter``."""

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        self.marks.setdefault(event, time.perf_counter())

    @property
    def conn_reused(self) -> bool | None:
        if not self.marks:
            return None
        return "connection.connect_tcp.started" not in self.marks

    def phases(self) -> Phases:
        m = self.marks.get
        return Phases(
            connect_ms=ms_between(
                m("connection.connect_tcp.started"), m("connection.connect_tcp.complete")
            ),
            tls_ms=ms_between(
                m("connection.start_tls.started"), m("connection.start_tls.complete")
            ),
            send_ms=ms_between(
                m("http11.send_request_headers.started"), m("http11.send_request_body.complete")
            ),
            ttfb_ms=ms_between(
                m("http11.send_request_body.complete"),
                m("http11.receive_response_headers.complete"),
            ),
            receive_ms=ms_between(
                m("http11.receive_response_body.started"),
                m("http11.receive_response_body.complete"),
            ),
        )
