"""Latency statistics over samples, computed from timing records alone.

A sample is one logical call of a flow; its latency runs from the start of its first attempt to
its usable result (``sample_ms`` of its last attempt), so retries count against the target as a
user would feel them, and are also counted on their own. Percentiles use the nearest-rank
method. Only usable samples (``ok``/``empty``) enter the percentiles: a fast failure must not
flatter a p95.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from jainam_validate.timing import TimingRecord


def nearest_rank(values: Sequence[float], percentile: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least p% of values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percentile / 100.0 * len(ordered)))
    return ordered[rank - 1]


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


class FlowSummary(BaseModel):
    """Per-flow figures for ``run.json`` and the report."""

    model_config = ConfigDict(frozen=True)

    samples: int
    ok: int
    failed: int
    warmup_failed: int = 0  # warm-up samples are out of the statistics, never out of the checks
    attempts: int
    retries: int
    outcomes: dict[str, int]
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    phase_medians_ms: dict[str, float | None]
    cold_api_ms_median: float | None
    warm_api_ms_median: float | None
    #: Rows in the last usable sample, and the most rows any usable sample held (warm-up
    #: excluded; an empty answer holds 0); null when no usable answer said how many.
    rows: int | None = None
    max_rows: int | None = None


def summarise(records: Iterable[TimingRecord], *, warmup: int = 0) -> dict[str, FlowSummary]:
    """Group attempts into samples and summarise each flow (first ``warmup`` samples excluded)."""
    by_flow: dict[str, dict[int, list[TimingRecord]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        by_flow[record.flow][record.sample].append(record)
    out: dict[str, FlowSummary] = {}
    for flow, samples in by_flow.items():
        finals = {n: max(attempts, key=lambda r: r.attempt) for n, attempts in samples.items()}
        counted = [n for n in sorted(finals) if n > warmup] or sorted(finals)
        usable = [finals[n].sample_ms for n in counted if finals[n].outcome.usable]
        attempts = [r for n in counted for r in samples[n]]
        phases: dict[str, float | None] = {}
        for name in ("connect_ms", "tls_ms", "send_ms", "ttfb_ms", "receive_ms"):
            values = [getattr(r.phases, name) for r in attempts]
            phases[name] = _median([v for v in values if v is not None])
        cold = [r.api_ms for r in attempts if r.conn_reused is False and r.api_ms is not None]
        reused = [r.api_ms for r in attempts if r.conn_reused is True and r.api_ms is not None]
        outcomes = Counter(finals[n].outcome.value for n in counted)
        warm = [n for n in finals if n not in counted]
        # over the counted samples: a warm-up sample with rows proves nothing about the rest
        row_counts = [
            rows
            for n in counted
            if finals[n].outcome.usable and (rows := finals[n].rows) is not None
        ]
        out[flow] = FlowSummary(
            samples=len(counted),
            ok=len(usable),
            failed=len(counted) - len(usable),
            warmup_failed=sum(not finals[n].outcome.usable for n in warm),
            attempts=len(attempts),
            retries=len(attempts) - len(counted),
            outcomes=dict(sorted(outcomes.items())),
            p50_ms=nearest_rank(usable, 50),
            p95_ms=nearest_rank(usable, 95),
            max_ms=max(usable) if usable else None,
            phase_medians_ms=phases,
            cold_api_ms_median=_median(cold),
            warm_api_ms_median=_median(reused),
            rows=row_counts[-1] if row_counts else None,
            max_rows=max(row_counts) if row_counts else None,
        )
    return out
