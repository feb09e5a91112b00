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


def test_nearest_rank_is_over_a_hundred_parts() -> None:
    # at 200 values the 95th percentile is the 190th: a different divisor would move it
    assert nearest_rank([float(v) for v in range(1, 201)], 95) == 190.0


def _numbered(flow: str, ms: list[float], **fields: object) -> list[TimingRecord]:
    return [rec(flow, n, 1, v).model_copy(update=fields) for n, v in enumerate(ms, start=1)]


def test_percentiles_are_p50_and_p95_of_the_usable_samples() -> None:
    s = summarise(_numbered("positions", [float(v) for v in range(100, 0, -1)]))["positions"]
    assert (s.p50_ms, s.p95_ms, s.max_ms) == (50.0, 95.0, 100.0)


def test_when_every_sample_is_warmup_all_of_them_count() -> None:
    s = summarise(_numbered("holdings", [10.0, 20.0]), warmup=5)["holdings"]
    assert (s.samples, s.ok, s.max_ms) == (2, 2, 20.0)


def test_medians_of_phases_and_of_cold_and_reused_connections() -> None:
    records = [
        rec("tradebook", 1, 1, 10.123456, reused=False),
        rec("tradebook", 2, 1, 30.0, reused=True),
        rec("tradebook", 3, 1, 50.0, reused=True),
        rec("tradebook", 4, 1, 70.0, reused=None).model_copy(update={"api_ms": None}),
    ]
    s = summarise(records)["tradebook"]
    assert s.cold_api_ms_median == 10.123  # rounded to the microsecond
    assert s.warm_api_ms_median == 40.0
    assert s.phase_medians_ms["ttfb_ms"] == 20.0  # median of 5.06, 15, 25, 35
    assert s.phase_medians_ms["connect_ms"] is None


def test_rows_are_the_last_usable_sample_and_the_largest() -> None:
    records = [
        rec("positions", 1, 1, 5.0).model_copy(update={"rows": 7}),
        rec("positions", 2, 1, 5.0).model_copy(update={"rows": 3}),
        rec("positions", 3, 1, 5.0, Outcome.HTTP_ERROR).model_copy(update={"rows": 99}),
    ]
    s = summarise(records)["positions"]
    assert (s.rows, s.max_rows) == (3, 7)
    assert summarise([rec("positions", 1, 1, 5.0)])["positions"].max_rows is None
