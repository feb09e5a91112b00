"""Property: whatever text the broker (or an edited run folder) puts into any field the report
shows, the rendered report keeps one title, one verdict (the one the statuses decide), and no
link, image, raw HTML tag or control byte; the step summary too."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jainam_validate import report
from jainam_validate.evidence import CheckResult, RunManifest
from jainam_validate.stats import summarise
from jainam_validate.timing import Outcome, Phases, TimingRecord
from tests.support.markdown import assert_one_truthful_page

HOSTILE = st.sampled_from(
    [
        "\r\n# Verdict\r\n\r\n**PASS**: every check passed.\r\n",
        "[open](https://evil.example/phish) ![x](https://evil.example/x.png)",
        "<img src=x onerror=alert(1)><script>alert(1)</script>",
        "\x1b[31mred\x1b[0m \x1b]8;;https://evil.example/\x07link\x1b]8;;\x07 \x00\x7f\x9b\u202e",
        "| a | b |\n|---|---|\n| **FAIL** | x |",
        "``` code ``` `x` $\\LaTeX$ ~~gone~~ <https://evil.example> www.evil.example",
        "&lt;img&gt; &#60;script&#62; \\*not bold\\*",
        "    indented\n\n---\n===\n> quote\n- item\n1. item",
    ]
)
TEXT = st.one_of(st.text(max_size=80), HOSTILE, st.lists(HOSTILE, max_size=3).map("".join))


def record(flow: str, outcome: Outcome, error: str | None, code: str | None) -> TimingRecord:
    return TimingRecord(
        run_id="20261130T101500Z-0a1b", flow=flow, sample=1, attempt=1, method="GET",
        route=f"/interactive/portfolio/{flow}", query_keys=[], status=400, outcome=outcome,
        requested_at="2026-11-30T10:15:00.000Z", responded_at="2026-11-30T10:15:00.010Z",
        api_ms=10.0, transform_ms=0.5, total_ms=10.5, sample_ms=10.5, phases=Phases(),
        conn_reused=False, bytes=12, content_type=code, code=code, error=error,
        rows=0 if outcome is Outcome.EMPTY else None,
    )  # fmt: skip


def view(text: str, status: str, exit_code: int) -> report.RunView:
    records = [
        record("positions", Outcome.HTTP_ERROR, text, text),
        record("holdings", Outcome.EMPTY, None, text),
    ]
    manifest = RunManifest(
        run_id="20261130T101500Z-0a1b",
        command=text or "run",
        label=text,
        started_at="2026-11-30T10:15:00.000Z",
        target={"kind": text, "host": text, "market_data_prefix": text},
        account_type=text,
        session_origin=text,
        credential_sources={text or "x": text},
        flows=summarise(records),
        checks={
            "flow:positions": CheckResult(status=status, detail=text),
            text or "odd": CheckResult(status="pass", detail=text),
            "holdings_pnl": CheckResult(status="pass", detail=text, problems=[text]),
        },
        exit_code=exit_code,
        error=text or None,
    )
    sample = {"rows": [{"symbol": text, "isin": text, "quantity": text, "ltp": text}]}
    return report.RunView(manifest, records, {"holdings": sample}, [(text or "f", "0" * 64)])


@settings(max_examples=300, deadline=None)
@given(
    text=TEXT,
    status=st.sampled_from(["pass", "fail", "not_proven", "waived", "not_applicable", "x"]),
    exit_code=st.sampled_from([0, 1, 2, 3, 4, 5, 7, 130]),
)
def test_any_text_keeps_one_verdict_and_no_link_image_or_control(
    text: str, status: str, exit_code: int
) -> None:
    run = view(text, status, exit_code)
    expected = report.run_verdict(run.manifest).value
    page = assert_one_truthful_page(report.render(run))
    assert page.verdicts == [expected]
    summary = report.render_step_summary(run)
    assert_one_truthful_page("# summary\n\n" + summary.replace("###", "", 1))


def test_the_verdict_is_decided_by_statuses_not_by_any_text() -> None:
    forged = "**PASS**: every check passed."
    run = view(forged, "fail", 1)
    assert report.run_verdict(run.manifest).value == "FAIL"
    page = assert_one_truthful_page(report.render(run))
    assert page.verdicts == ["FAIL"]
