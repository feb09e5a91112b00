from __future__ import annotations

from jainam_validate.stats import nearest_rank, summarise
from jainam_validate.timing import Outcome, Phases, TimingRecord


def rec(
    flow: str,
    sample: int,
    attempt: int,
    ms: float,
    outcome: Outcome = Outcome.OK,
    reused: bool | None = True,
) -> TimingRecord:
    return TimingRecord(
        run_id="r",
        flow=flow,
        sample=sample,
        attempt=attempt,
        method="GET",
        route="/x",
        query_keys=[],
        status=200,
        outcome=outcome,
        requested_at="t",
        responded_at="t",
        api_ms=ms,
        transform_ms=0.1,
        total_ms=ms,
        sample_ms=ms,
        phases=Phases(ttfb_ms=ms / 2),
        conn_reused=reused,
        bytes=1,
    )


def test_nearest_rank() -> None:
    values = [15.0, 20.0, 35.0, 40.0, 50.0]
    assert nearest_rank(values, 5) == 15.0
    assert nearest_rank(values, 30) == 20.0
    assert nearest_rank(values, 40) == 20.0
    assert nearest_rank(values, 50) == 35.0
    assert nearest_rank(values, 100) == 50.0
    assert nearest_rank(list(range(1, 101)), 95) == 95
    assert nearest_rank([], 95) is None


def test_retries_count_against_the_sample_and_separately() -> None:
    records = [
        rec("positions", 1, 1, 100, Outcome.HTTP_ERROR, reused=False),
        rec("positions", 1, 2, 350),  # sample_ms of the last attempt: the user's wait
        rec("positions", 2, 1, 90),
    ]
    s = summarise(records)["positions"]
    assert (s.samples, s.ok, s.failed, s.attempts, s.retries) == (2, 2, 0, 3, 1)
    assert s.max_ms == 350 and s.p50_ms == 90
    assert s.cold_api_ms_median == 100 and s.warm_api_ms_median == 220


def test_failed_samples_do_not_enter_percentiles() -> None:
    s = summarise([rec("holdings", 1, 1, 5, Outcome.HTTP_ERROR), rec("holdings", 2, 1, 500)])[
        "holdings"
    ]
    assert s.failed == 1 and s.p95_ms == 500 and s.outcomes == {"http_error": 1, "ok": 1}


def test_warmup_samples_are_excluded_from_statistics() -> None:
    s = summarise([rec("tradebook", 1, 1, 900), rec("tradebook", 2, 1, 10)], warmup=1)["tradebook"]
    assert s.samples == 1 and s.max_ms == 10
