from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jainam_validate import report
from jainam_validate.evidence import RunManifest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runs"
RUNS = sorted(p.name for p in FIXTURES.iterdir())


@pytest.mark.parametrize("name", RUNS)
def test_report_matches_the_golden_file(name: str) -> None:
    """The committed report.md of each fixture run is the golden output; to accept a renderer
    change on purpose: JV_UPDATE_GOLDEN=1 pytest tests/unit/test_report.py."""
    folder = FIXTURES / name
    text = report.render_folder(folder)
    if os.environ.get("JV_UPDATE_GOLDEN"):
        (folder / "report.md").write_text(text)
    assert text == (folder / "report.md").read_text()


def test_rendering_is_deterministic_and_independent_of_the_folder_path(tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "copied-run"
    shutil.copytree(FIXTURES / "investor-holdings-500", copy)
    assert report.render_folder(copy) == report.render_folder(FIXTURES / "investor-holdings-500")


def test_failed_run_names_the_500_and_its_mitigation_and_keeps_other_flows_passing() -> None:
    text = report.render_folder(FIXTURES / "investor-holdings-500")
    # a schema-1 folder does not say what it talked to: never presented as live evidence
    assert text.splitlines()[2].startswith("> **NOT LIVE EVIDENCE")
    assert text.splitlines()[4].startswith("**FAIL**")
    assert "`http_error`, HTTP 500" in text and "Express HTML 500 page" in text
    assert "| positions answered with rows | pass |" in text
    assert "| holdings answered with rows | fail |" in text
    assert "Data Not Available" in text  # the empty trade book is explained, not hidden
    assert "market-data prefix was tried once (used: /apimarketdata)" in text
    assert "```mermaid" in text and "```text" in text


def test_passing_dealer_run_with_a_breached_threshold() -> None:
    text = report.render_folder(FIXTURES / "dealer-threshold")
    assert "| account type | dealer |" in text
    assert "| positions latency within target | fail |" in text
    assert "rerun with `--iterations 20`" in text


def test_a_folder_without_run_json_still_renders_as_interrupted(tmp_path: Path) -> None:
    copy = tmp_path / "killed"
    shutil.copytree(FIXTURES / "dealer-threshold", copy)
    (copy / "run.json").unlink()
    text = report.render_folder(copy)
    assert "**INCONCLUSIVE**: the run was interrupted" in text and "run\\.json is missing" in text
    assert "| positions |" in text


def test_junit_has_one_case_per_check_with_failures() -> None:
    view = report.load(FIXTURES / "investor-holdings-500")
    root = ET.fromstring(report.render_junit(view))
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == set(view.manifest.checks)
    assert cases["flow:holdings"].find("failure") is not None
    assert cases["flow:positions"].find("failure") is None
    assert suite.get("failures") == str(
        sum(c.status == "fail" for c in view.manifest.checks.values())
    )


def test_step_summary_is_compact_and_capped() -> None:
    view = report.load(FIXTURES / "investor-holdings-500")
    text = report.render_step_summary(view)
    assert "**FAIL**" in text and "<details>" in text
    assert len(text.encode()) < report.STEP_SUMMARY_LIMIT


@pytest.mark.parametrize(
    ("code", "interrupted", "word"),
    [
        (0, False, "PASS"),
        (1, False, "FAIL"),
        (3, False, "FAIL"),
        (5, False, "INCONCLUSIVE"),
        (130, True, "INCONCLUSIVE"),
        (None, False, "INCONCLUSIVE"),
    ],
)
def test_verdict_line(code: int | None, interrupted: bool, word: str) -> None:
    manifest = RunManifest(
        run_id="r", command="run", started_at="t", exit_code=code, interrupted=interrupted
    )
    assert report.verdict(manifest).startswith(f"**{word}**")


def test_pnl_section_shows_every_holding_and_the_total() -> None:
    view = report.load(FIXTURES / "investor-pnl-pass")
    text = report.render(view)
    check = view.manifest.checks["holdings_pnl"]
    total = (check.model_extra or {})["total_pnl"]
    assert "## Holdings P&L from live quotes (AC3)" in text
    assert f"**{total}**" in text
    assert "| Holdings P&L from live quotes (AC3) | pass |" in text
    for row in view.samples["holdings"]["rows"]:
        assert f"| {row['symbol']} | {row['isin']} |" in text
