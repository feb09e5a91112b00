"""One HTTP attempt into evidence: classify and time it, learn what it names, record it redacted.

:func:`interpret` is the one place ``transform_ms`` is measured (classifying the answer plus
whatever the caller makes of it: learning a login's token, transforming a book). An
:class:`AttemptLog` turns each attempt into one :class:`~jainam_validate.timing.TimingRecord`,
learns the identifiers the answer names before any of its text is kept, and hands the record to
the ``sink`` (the evidence writer) at once. Sessions and flow calls both record through it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from jainam_validate.classify import SNIPPET_CHARS, Verdict, classify
from jainam_validate.client import RawExchange
from jainam_validate.redact import Redactor, decode_layers
from jainam_validate.timing import Outcome, Phases, TimingRecord, now_iso

__all__ = ["AttemptLog", "Sink", "interpret"]

Sink = Callable[[TimingRecord], None]
T = TypeVar("T")


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: parsing a book makes millions of containers at
    once, and each full collection would walk all of them again (a third of a 100,000-row
    book's learning time). Nothing a transform makes is cyclic, so nothing is left behind.
    The young-generation pass the block's allocations call for is run at its end, inside it
    (and so inside the caller's clock), not at the first allocation after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_count()[0] > gc.get_threshold()[0]:
            gc.collect(0)
        gc.enable()


def interpret(
    raw: RawExchange,
    then: Callable[[Verdict], T],
    classifier: Callable[[RawExchange], Verdict] = classify,
) -> tuple[Verdict, T, float | None]:
    """Classify ``raw`` (as XTS answers, or with ``classifier``) and run ``then`` on its
    verdict, timed together: (verdict, what ``then`` returned, transform_ms). transform_ms
    covers parsing too (docs/contract.md) and is None when no HTTP response arrived."""
    t0 = time.perf_counter()
    with collector_paused():
        verdict = classifier(raw)
        made = then(verdict)
    elapsed = round((time.perf_counter() - t0) * 1000.0, 3)
    return verdict, made, (elapsed if raw.status is not None else None)


class AttemptLog:
    """Records every attempt of a pass, redacted, into ``sink``; remembers whether any answer
    said it came from our simulator."""

    def __init__(
        self,
        redactor: Redactor,
        sink: Sink,
        run_id: str,
        recorder: Callable[[RawExchange, Verdict], None] | None = None,
    ) -> None:
        self.redactor = redactor
        self.sink = sink
        self.run_id = run_id
        self.recorder = recorder
        self.simulated = False  # some answer said it came from our simulator

    def describe(self, verdict: Verdict) -> str | None:
        """The error text of a verdict, scrubbed; for a non-JSON body with a snippet of it."""
        if verdict.error is None:
            return None
        if verdict.body_text:
            # scrub first, then cut: never a cut-off start of a known value at the end
            line = " ".join(decode_layers(verdict.body_text).split())
            return f"{verdict.error}: '{self.redactor.cut(line, SNIPPET_CHARS)}'"
        return verdict.error

    def record(
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
        """Learn what the attempt names, then write its record; ``learned`` says the envelope
        was learned already (by the login or the flow's transform)."""
        if verdict.envelope is not None and not learned:
            self.redactor.learn(verdict.envelope)  # tokens and ids in the answer are now known
        # Text outside the JSON (header values, a body that could not be parsed) is broker data
        # too: ids named in it ("acct=…", "ClientID":"…") are learned before any of it is kept.
        for text in (raw.content_type, raw.retry_after, verdict.body_text, verdict.error):
            if text:
                self.redactor.learn_text(decode_layers(text))
        if self.recorder is not None:
            self.recorder(raw, verdict)
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
            bytes=raw.size if raw.status is not None else None,
            content_type=content_type,
            code=self.redactor.scrub(verdict.code) if verdict.code else None,
            error=self.redactor.scrub(text) if text else None,
            rows=rows,
        )
        self.sink(record)
        return record

    def skip(
        self, flow: str, method: str, route: str, query_keys: list[str], *, sample: int, why: str
    ) -> TimingRecord:
        """Record a sample that was not sent (its route's circuit is open), saying ``why``."""
        record = TimingRecord(
            run_id=self.run_id, flow=flow, sample=sample, attempt=1,
            method=method, route=route,
            query_keys=query_keys, status=None, outcome=Outcome.SKIPPED,
            requested_at=now_iso(), responded_at=None, api_ms=None, transform_ms=None,
            total_ms=0.0, sample_ms=0.0, phases=Phases(), conn_reused=None, bytes=None,
            error=why,
        )  # fmt: skip
        self.sink(record)
        return record
