"""End to end: a verdict is earned. Each scenario runs the real CLI against the simulator (or a
closed port) and checks what a release owner would rely on: exit code, run.json, report.md as
rendered, the terminal, and JUnit."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jainam_validate.simulator import (
    DEMO_CREDENTIALS,
    FORGED_HEADER,
    FORGED_TEXT,
    SimConfig,
    Simulator,
)
from tests.support.markdown import assert_one_truthful_page

from .cli import cli, creds_env, manifest, run_folders, timings

pytestmark = pytest.mark.e2e
BOOKS = ("positions", "holdings", "tradebook")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(simulator: Simulator, **extra: str) -> dict[str, str]:
    return {"JAINAM_BASE_URL": simulator.base_url, **creds_env(DEMO_CREDENTIALS), **extra}


def only_folder(root: Path) -> Path:
    (folder,) = run_folders(root / "evidence")
    return folder


def junit_suite(path: Path) -> ET.Element:
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    # the declared counts are the elements, always
    assert int(suite.get("tests", -1)) == len(cases)
    for attribute, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        assert int(suite.get(attribute, -1)) == sum(c.find(tag) is not None for c in cases)
    assert suite.get("name") == "jainam-validate"
    assert all(c.get("time") is not None for c in cases)
    return suite


def properties(suite: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in suite.iter("property")}


def test_an_all_empty_account_is_inconclusive_not_a_pass(isolated_environment: Path) -> None:
    config = SimConfig(empty_flows=frozenset(BOOKS))
    with Simulator(config) as simulator:
        result = cli("run", "--junit", "junit.xml", env=env_for(simulator))
    assert result.code == 5, result.output
    folder = only_folder(isolated_environment)
    m = manifest(folder)
    assert m["verdict"] == "INCONCLUSIVE" and m["exit_code"] == 5
    unproven = {n for n, c in m["checks"].items() if c["status"] == "not_proven"}
    assert unproven == {
        "flow:positions", "flow:holdings", "flow:tradebook",
        "latency:positions", "latency:holdings", "latency:tradebook", "holdings_pnl",
    }  # fmt: skip
    report = (folder / "report.md").read_text()
    head = "\n".join(report.splitlines()[:12])
    assert "**INCONCLUSIVE**: nothing failed, but 7 check(s) were not proven" in head
    assert "JAINAM\\_ACCOUNT\\_TYPE and JAINAM\\_CLIENT\\_ID" in head and "allow\\-empty" in head
    assert "PASS" not in head
    assert_one_truthful_page(report)
    assert "INCONCLUSIVE" in result.stdout and "not proven" in result.stdout
    suite = junit_suite(isolated_environment / "junit.xml")
    assert properties(suite)["verdict"] == "INCONCLUSIVE"
    assert suite.get("failures") == "7"  # a not-proven check never reads green


def test_allow_empty_all_waives_and_says_so(isolated_environment: Path) -> None:
    config = SimConfig(empty_flows=frozenset(BOOKS))
    with Simulator(config) as simulator:
        result = cli("run", "--allow-empty", "all", "--json", env=env_for(simulator))
    assert result.code == 0, result.output
    document = json.loads(result.stdout)
    assert document["verdict"] == "PASS" and document["exit_code"] == 0
    assert document["verdict_text"].startswith("PASS with 7 waivers")
    waived = {n for n, c in document["checks"].items() if c["status"] == "waived"}
    assert len(waived) == 7 and "holdings_pnl" in waived
    report = (only_folder(isolated_environment) / "report.md").read_text()
    assert "**PASS** with 7 waivers" in report


def test_sim_and_replay_name_their_target_and_never_read_as_live(
    isolated_environment: Path,
) -> None:
    sim = cli("run", "--sim", "--junit", "sim.xml", "--label", "STORY-1.7 rehearsal")
    assert sim.code == 0, sim.output
    replay = cli("run", "--replay", str(CASSETTES / "investor"), "--junit", "replay.xml")
    assert replay.code == 0, replay.output
    folders = sorted(
        run_folders(isolated_environment / "evidence"), key=lambda f: manifest(f)["started_at"]
    )
    kinds = [manifest(f)["target"] for f in folders]
    assert kinds[0]["kind"] == "simulator"
    assert kinds[1]["kind"] == "replay" and kinds[1]["cassette"] == "investor"
    assert len(kinds[1]["cassette_index_sha256"]) == 64
    assert manifest(folders[0])["label"] == "STORY-1.7 rehearsal"
    for folder, xml, out in zip(folders, ("sim.xml", "replay.xml"), (sim, replay), strict=True):
        m = manifest(folder)
        assert m["checks"]["live_capture"]["status"] == "not_applicable"
        lines = (folder / "report.md").read_text().splitlines()
        assert lines[2].startswith("> **NOT LIVE EVIDENCE") and "not the broker" in lines[2]
        assert "NOT LIVE EVIDENCE" in out.stdout
        suite = junit_suite(isolated_environment / xml)
        assert "not the broker" in properties(suite)["evidence"]
        assert properties(suite)["target"] == m["target"]["kind"]


CASSETTES = Path(__file__).resolve().parents[1] / "fixtures" / "cassettes"


@pytest.mark.parametrize("fault", ["unreadable_rows", "missing_fields"])
def test_unreadable_rows_fail_the_book_naming_rows_not_values(
    fault: str, isolated_environment: Path
) -> None:
    with Simulator(SimConfig(faults={"tradebook": fault})) as simulator:
        result = cli("fetch", "tradebook", env=env_for(simulator))
    assert result.code == 1, result.output
    folder = only_folder(isolated_environment)
    record = timings(folder)[-1]
    assert record["outcome"] == "bad_response" and record["status"] == 200
    assert "row 0:" in record["error"] and "could not be read" in record["error"]
    if fault == "unreadable_rows":
        assert "row 0: row (not an object)" in record["error"]
        assert "AppOrderID=1" not in record["error"]  # the value is never shown
    else:
        assert "AppOrderID" in record["error"] and "(missing)" in record["error"]
    assert manifest(folder)["checks"]["flow:tradebook"]["status"] == "fail"
    assert not (folder / "samples" / "tradebook.json").exists()


def test_an_account_type_contradicting_the_login_stops_before_any_book(
    isolated_environment: Path,
) -> None:
    with Simulator(SimConfig(profile="dealer")) as simulator:
        result = cli("run", env=env_for(simulator, JAINAM_ACCOUNT_TYPE="investor"))
        sent = [r.flow for r in simulator.request_log]
    assert result.code == 2, result.output
    assert "JAINAM_ACCOUNT_TYPE is investor" in result.stderr
    assert "isInvestorClient: false" in result.stderr and "dealer" in result.stderr
    assert sent == ["login_interactive"]
    assert [r["flow"] for r in timings(only_folder(isolated_environment))] == ["login_interactive"]


def test_forged_broker_text_cannot_forge_the_report_or_the_terminal(
    isolated_environment: Path,
) -> None:
    with Simulator(SimConfig(faults={"holdings": "forged_error"})) as simulator:
        result = cli("run", "--junit", "junit.xml", env=env_for(simulator), timeout=120)
    assert result.code == 1, result.output
    folder = only_folder(isolated_environment)
    report = (folder / "report.md").read_text()
    page = assert_one_truthful_page(report)
    assert page.verdicts == ["FAIL"]
    # the text is shown, inert: its words are there, its powers are not
    assert "onerror" in page.html and "<img" not in page.html
    assert "evil.example" in page.html and "href" not in page.html
    for surface in (result.stdout, result.stderr):
        assert "\x1b" not in surface and "\x07" not in surface and "\x00" not in surface
        assert "\u202e" not in surface
    assert FORGED_HEADER not in report
    assert FORGED_TEXT not in report
    ET.parse(isolated_environment / "junit.xml")  # well-formed, whatever the broker sent
    junit_suite(isolated_environment / "junit.xml")


def test_an_unreachable_broker_is_exit_4_with_truthful_junit(isolated_environment: Path) -> None:
    env = {"JAINAM_BASE_URL": f"http://127.0.0.1:{closed_port()}", **creds_env(DEMO_CREDENTIALS)}
    result = cli("run", "--junit", "junit.xml", "--retries", "0", env=env)
    assert result.code == 4, result.output
    m = manifest(only_folder(isolated_environment))
    assert m["verdict"] == "FAIL" and m["exit_code"] == 4
    assert m["checks"]["session:interactive"]["status"] == "fail"
    assert m["checks"]["flow:holdings"]["status"] == "not_proven"
    suite = junit_suite(isolated_environment / "junit.xml")
    assert suite.get("errors") == "1"
    assert [c.get("name") for c in suite.findall("testcase") if c.find("error") is not None] == [
        "run"
    ]


def test_reused_env_tokens_with_no_response_at_all_are_exit_4(
    isolated_environment: Path,
) -> None:
    env = {
        "JAINAM_BASE_URL": f"http://127.0.0.1:{closed_port()}",
        "JAINAM_INTERACTIVE_SESSION_TOKEN": "tok-interactive-reused-1234",
        "JAINAM_ACCOUNT_TYPE": "investor",
    }
    result = cli("fetch", "positions", "--retries", "0", env=env)
    assert result.code == 4, result.output
    m = manifest(only_folder(isolated_environment))
    assert m["exit_code"] == 4 and m["verdict"] == "FAIL"
    assert "tok-interactive-reused-1234" not in result.output


@pytest.mark.parametrize(
    "url",
    ["https://host:4143a", "https://smpb example.in:4143", "https://u:pw@h:4143", "https://h/x"],
)
def test_a_malformed_base_url_is_a_usage_error_naming_the_variable(
    url: str, isolated_environment: Path
) -> None:
    result = cli("fetch", "positions", env={"JAINAM_BASE_URL": url, **creds_env(DEMO_CREDENTIALS)})
    assert result.code == 2, result.output
    assert "JAINAM_BASE_URL" in result.stderr and "internal error" not in result.output
    assert "pw@" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_body_drip_fed_past_the_read_timeout_is_a_timeout(isolated_environment: Path) -> None:
    # slow_drip sends the body in 15 pieces 0.1 s apart: 1.5 s in all, each read well under 1 s
    with Simulator(SimConfig(faults={"positions": "slow_drip"})) as simulator:
        result = cli(
            "fetch", "positions", "--read-timeout", "0.5", "--retries", "0", env=env_for(simulator)
        )
    assert result.code == 1, result.output
    record = timings(only_folder(isolated_environment))[-1]
    assert record["outcome"] == "timeout" and record["api_ms"] is None


def test_report_without_argument_takes_the_newest_run_and_says_which(
    isolated_environment: Path,
) -> None:
    assert cli("run", "--sim").code == 0
    assert cli("fetch", "positions", "--sim").code == 0  # newer, but not a `run`
    ran = [
        f for f in run_folders(isolated_environment / "evidence") if manifest(f)["command"] == "run"
    ]
    result = cli("report")
    assert result.code == 0, result.output
    assert f"newest folder written by `run` is {Path('evidence') / ran[0].name}" in result.stderr


def test_the_command_and_its_flags_are_in_the_evidence(isolated_environment: Path) -> None:
    result = cli(
        "run", "--sim", "--iterations", "2", "--allow-empty", "tradebook", "--label", "QA-9"
    )
    assert result.code == 0, result.output
    folder = only_folder(isolated_environment)
    m = manifest(folder)
    assert m["invocation"]["flags"] == {
        "--sim": True, "--iterations": "2", "--allow-empty": ["tradebook"], "--label": "QA-9",
    }  # fmt: skip
    assert m["flows"]["tradebook"]["rows"] == 8 and m["flows"]["holdings"]["rows"] == 5
    report = (folder / "report.md").read_text()
    assert "--allow-empty tradebook" in report.replace("\\", "") and "QA\\-9" in report


def test_fetch_writes_the_same_verdict_to_junit_and_the_job_summary(
    isolated_environment: Path,
) -> None:
    summary = isolated_environment / "summary.md"
    result = cli(
        "fetch", "tradebook", "--sim", "--junit", "fetch.xml",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert result.code == 0, result.output
    suite = junit_suite(isolated_environment / "fetch.xml")
    assert [c.get("name") for c in suite.findall("testcase")] == [
        "session:interactive", "live_capture", "flow:tradebook",
    ]  # fmt: skip
    assert properties(suite)["verdict"] == "PASS" and suite.get("skipped") == "1"
    text = summary.read_text()
    assert text.index("NOT LIVE EVIDENCE") < text.index("**PASS**")
    assert_one_truthful_page("# summary\n\n" + text.replace("###", "", 1))
