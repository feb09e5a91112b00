"""The JUnit mapping (jainam_validate.junit): counts from emitted elements, never green unless
the verdict is PASS, times from the timing records, and well-formed, schema-valid XML for any
text a run folder can hold (checked against tests/fixtures/junit-10.xsd, the Jenkins xUnit
"JUnit 10" schema)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jainam_validate import junit, report
from jainam_validate.evidence import CheckResult, RunManifest
from jainam_validate.report import RunView
from jainam_validate.timing import Outcome, Phases, TimingRecord
from jainam_validate.verdict import Status

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCHEMA = xmlschema.XMLSchema(str(FIXTURES / "junit-10.xsd"))
RUNS = sorted(p.name for p in (FIXTURES / "runs").iterdir())
ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
BOOKS = ("positions", "holdings", "tradebook")


def record(flow: str, total_ms: float, run_id: str = "20261127T091502Z-7f3a") -> TimingRecord:
    return TimingRecord(
        run_id=run_id,
        flow=flow,
        sample=1,
        attempt=1,
        method="GET",
        route=f"/{flow}",
        query_keys=[],
        status=200,
        outcome=Outcome.OK,
        requested_at="2026-11-27T09:15:02.123Z",
        responded_at="2026-11-27T09:15:02.200Z",
        api_ms=total_ms,
        transform_ms=0.0,
        total_ms=total_ms,
        sample_ms=total_ms,
        phases=Phases(),
        conn_reused=None,
        bytes=10,
    )


def make_view(
    checks: dict[str, tuple[str, str]],
    *,
    records: list[TimingRecord] | None = None,
    run_id: str = "20261127T091502Z-7f3a",
    command: str = "run",
    exit_code: int | None = 0,
    interrupted: bool = False,
    error: str | None = None,
    label: str | None = None,
    target: dict[str, object] | None = None,
    started_at: str = "2026-11-27T09:15:02.123Z",
    ended_at: str | None = "2026-11-27T09:15:04.623Z",
) -> RunView:
    manifest = RunManifest(
        run_id=run_id,
        command=command,
        label=label,
        started_at=started_at,
        ended_at=ended_at,
        interrupted=interrupted,
        target=target if target is not None else {"kind": "simulator", "host": "127.0.0.1"},
        checks={name: CheckResult(status=s, detail=d) for name, (s, d) in checks.items()},
        exit_code=exit_code,
        error=error,
    )
    return RunView(manifest, records or [], {}, [])


def rendered(view: RunView) -> tuple[str, ET.Element, ET.Element]:
    """Render, check the invariants every output must hold, return (text, root, suite)."""
    text = junit.render_junit(view)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert ILLEGAL_XML.search(text) is None
    root = ET.fromstring(text)
    SCHEMA.validate(text)
    suite = root.find("testsuite")
    assert suite is not None and root.tag == "testsuites" and len(root) == 1
    assert_counts_match_elements(root, suite)
    return text, root, suite


def assert_counts_match_elements(root: ET.Element, suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    emitted = {tag: sum(len(c.findall(tag)) for c in cases) for tag in ("failure", "error")}
    skipped = sum(len(c.findall("skipped")) for c in cases)
    for element in (root, suite):
        assert element.get("tests") == str(len(cases))
        assert element.get("failures") == str(emitted["failure"])
        assert element.get("errors") == str(emitted["error"])
    assert suite.get("skipped") == str(skipped)
    assert "skipped" not in root.attrib  # junit-10.xsd forbids it on <testsuites>
    assert all(len(c) <= 1 for c in cases)  # one outcome element per testcase at most


def cases_of(suite: ET.Element) -> dict[str, ET.Element]:
    return {str(c.get("name")): c for c in suite.findall("testcase")}


def properties(suite: ET.Element) -> dict[str, str]:
    props = suite.find("properties")
    assert props is not None
    return {str(p.get("name")): str(p.get("value")) for p in props.findall("property")}


def is_green(suite: ET.Element) -> bool:
    return suite.get("failures") == "0" and suite.get("errors") == "0"


PASSING = {
    "flow:positions": ("pass", "3/3 samples usable"),
    "flow:holdings": ("pass", "3/3 samples usable"),
    "latency:positions": ("pass", "p95 6.0 ms vs threshold 5000 ms"),
}


def test_a_passing_run_is_green_with_one_testcase_per_check_in_order() -> None:
    _, root, suite = rendered(make_view(PASSING))
    assert [c.get("name") for c in suite.findall("testcase")] == list(PASSING)
    assert all(len(c) == 0 for c in suite.findall("testcase"))
    assert is_green(suite) and suite.get("skipped") == "0" and suite.get("tests") == "3"
    assert properties(suite)["verdict"] == "PASS"
    assert {c.get("classname") for c in suite.findall("testcase")} == {"jainam-validate.run"}
    assert suite[0].tag == "properties"  # before any testcase, as Ant-style consumers want


def test_a_failed_check_is_a_failure_with_its_detail() -> None:
    checks = dict(PASSING, **{"flow:holdings": ("fail", "0/3 samples usable: HTTP 500")})
    _, _, suite = rendered(make_view(checks, exit_code=1))
    failure = cases_of(suite)["flow:holdings"].find("failure")
    assert failure is not None
    assert failure.get("type") == "fail"
    assert failure.get("message") == "0/3 samples usable: HTTP 500"
    assert failure.text == "0/3 samples usable: HTTP 500"
    assert suite.get("failures") == "1" and suite.get("errors") == "0"
    assert "run" not in cases_of(suite)
    assert properties(suite)["verdict"] == "FAIL"


def test_a_not_proven_check_is_a_failure_so_ci_never_reads_inconclusive_green() -> None:
    checks = dict(PASSING, **{"flow:holdings": ("not_proven", "the book was empty")})
    _, _, suite = rendered(make_view(checks, exit_code=5))
    failure = cases_of(suite)["flow:holdings"].find("failure")
    assert failure is not None and failure.get("type") == "not_proven"
    assert failure.get("message") == "not proven: the book was empty"
    assert not is_green(suite) and suite.get("failures") == "1"
    assert properties(suite)["verdict"] == "INCONCLUSIVE"


def test_waived_and_not_applicable_checks_are_skipped_and_the_run_stays_green() -> None:
    checks = dict(
        PASSING,
        **{
            "flow:tradebook": ("waived", "empty book allowed by --allow-empty"),
            "live_capture": ("not_applicable", "the simulator is not the live broker"),
        },
    )
    _, _, suite = rendered(make_view(checks, exit_code=0))
    cases = cases_of(suite)
    waived = cases["flow:tradebook"].find("skipped")
    na = cases["live_capture"].find("skipped")
    assert waived is not None and waived.get("message") == (
        "waived: empty book allowed by --allow-empty"
    )
    assert na is not None and na.get("message") == (
        "not applicable: the simulator is not the live broker"
    )
    assert suite.get("skipped") == "2" and is_green(suite) and suite.get("tests") == "5"
    assert properties(suite)["verdict"] == "PASS"


def test_an_unknown_status_is_a_failure_never_a_pass() -> None:
    _, _, suite = rendered(make_view({"flow:holdings": ("passed?", "odd")}, exit_code=0))
    failure = cases_of(suite)["flow:holdings"].find("failure")
    assert failure is not None and failure.get("type") == "unknown_status"
    assert "passed?" in str(failure.get("message"))
    assert not is_green(suite) and properties(suite)["verdict"] == "FAIL"


@pytest.mark.parametrize(
    ("interrupted", "exit_code"), [(True, 130), (True, None), (False, 130), (True, 0)]
)
def test_an_interrupted_run_has_a_run_error_and_never_reads_green(
    interrupted: bool, exit_code: int | None
) -> None:
    _, _, suite = rendered(
        make_view(PASSING, interrupted=interrupted, exit_code=exit_code, ended_at=None)
    )
    cases = cases_of(suite)
    assert list(cases) == [*PASSING, "run"]
    errors = cases["run"].findall("error")
    assert len(errors) == 1 and errors[0].get("type") == "interrupted"
    assert "interrupted" in str(errors[0].get("message"))
    assert suite.get("errors") == "1" and not is_green(suite)
    assert properties(suite)["verdict"] != "PASS"


def test_an_unreachable_broker_declares_counts_that_match_its_elements() -> None:
    checks = {"session:interactive": ("fail", "no HTTP response: connection refused")}
    checks |= {f"flow:{b}": ("not_proven", "not reached: the session failed") for b in BOOKS}
    view = make_view(
        checks,
        exit_code=4,
        error="the broker could not be reached at https://example.invalid",
        records=[record("login_interactive", 3000.0)],
    )
    _, root, suite = rendered(view)
    cases = cases_of(suite)
    assert list(cases) == [*checks, "run"]
    assert root.get("tests") == "5" and root.get("failures") == "4" and root.get("errors") == "1"
    run_error = cases["run"].find("error")
    assert run_error is not None and run_error.get("type") == "stopped"
    assert run_error.get("message") == "the broker could not be reached at https://example.invalid"
    assert cases["session:interactive"].get("time") == "3.000"
    assert properties(suite)["verdict"] == "FAIL"


def test_a_leak_guard_stop_is_an_error() -> None:
    view = make_view(PASSING, exit_code=7, error="leak guard: report.md held a known secret")
    _, _, suite = rendered(view)
    errors = cases_of(suite)["run"].findall("error")
    assert len(errors) == 1 and errors[0].get("type") == "leak_guard"
    message = str(errors[0].get("message"))
    assert "leak guard stopped an artifact" in message and "report.md held" in message
    assert not is_green(suite)


def test_a_leak_guard_exit_without_an_error_text_is_still_an_error() -> None:
    _, _, suite = rendered(make_view(PASSING, exit_code=7))
    error = cases_of(suite)["run"].find("error")
    assert error is not None and error.get("type") == "leak_guard"


def test_interrupted_and_stopped_make_one_run_testcase_with_one_joined_error() -> None:
    view = make_view(PASSING, interrupted=True, exit_code=130, error="Ctrl-C during holdings")
    _, _, suite = rendered(view)
    runs = [c for c in suite.findall("testcase") if c.get("name") == "run"]
    assert len(runs) == 1
    errors = runs[0].findall("error")
    assert len(errors) == 1 and errors[0].get("type") == "interrupted"
    message = str(errors[0].get("message"))
    assert "interrupted" in message and "Ctrl-C during holdings" in message


@pytest.mark.parametrize(
    ("exit_code", "kind"),
    [(None, "incomplete"), (2, "stopped"), (3, "stopped"), (1, "exit_code"), (5, "exit_code")],
)
def test_an_exit_code_no_check_explains_is_an_error(exit_code: int | None, kind: str) -> None:
    _, _, suite = rendered(make_view(PASSING, exit_code=exit_code))
    error = cases_of(suite)["run"].find("error")
    assert error is not None and error.get("type") == kind
    assert properties(suite)["verdict"] != "PASS"


def test_times_are_the_sums_of_the_records_of_each_checks_flow() -> None:
    records = [
        record("login_interactive", 121.0),
        record("login_market", 80.0),
        record("positions", 1000.0),
        record("positions", 234.0),
        record("holdings", 40.0),
        record("quotes", 15.5),
        record("quotes", 4.5),
    ]
    total = sum(r.total_ms for r in records)
    checks = {
        "session:interactive": ("pass", ""),
        "session:market": ("pass", ""),
        "flow:positions": ("pass", ""),
        "latency:positions": ("pass", ""),
        "flow:holdings": ("pass", ""),
        "flow:tradebook": ("waived", "empty"),
        "holdings_pnl": ("pass", ""),
        "live_capture": ("not_applicable", "simulator"),
        "something_new": ("pass", ""),
    }
    view = make_view(checks, records=records, interrupted=True, exit_code=130, ended_at=None)
    _, root, suite = rendered(view)
    times = {name: case.get("time") for name, case in cases_of(suite).items()}
    assert times == {
        "session:interactive": "0.121",
        "session:market": "0.080",
        "flow:positions": "1.234",
        "latency:positions": "1.234",
        "flow:holdings": "0.040",
        "flow:tradebook": "0.000",
        "holdings_pnl": "0.020",
        "live_capture": f"{total / 1000:.3f}",
        "something_new": "0.000",
        "run": f"{total / 1000:.3f}",
    }
    # no ended_at: the suite's time falls back to the sum over every record
    assert suite.get("time") == root.get("time") == f"{total / 1000:.3f}"


def test_the_suite_time_is_the_wall_clock_of_the_run_and_the_timestamp_is_its_start() -> None:
    view = make_view(
        PASSING,
        records=[record("positions", 10.0)],
        started_at="2026-11-27T09:15:02.123Z",
        ended_at="2026-11-27T09:17:05.623Z",
    )
    _, root, suite = rendered(view)
    assert suite.get("time") == root.get("time") == "123.500"
    assert suite.get("timestamp") == "2026-11-27T09:15:02"


def test_an_unparsable_start_drops_the_timestamp_and_falls_back_to_the_records() -> None:
    view = make_view(PASSING, records=[record("positions", 1500.0)], started_at="-")
    _, _, suite = rendered(view)
    assert "timestamp" not in suite.attrib and suite.get("time") == "1.500"


def test_the_suite_name_is_stable_across_runs_and_the_run_id_is_a_property() -> None:
    first = make_view(PASSING, run_id="20261127T091502Z-7f3a")
    second = make_view(PASSING, run_id="20261128T101010Z-0b1c")
    names = set()
    for view in (first, second):
        _, root, suite = rendered(view)
        names |= {root.get("name"), suite.get("name")}
        assert properties(suite)["run_id"] == view.manifest.run_id
    assert names == {"jainam-validate"}
    assert junit.render_junit(first).replace("7f3a", "0b1c").replace(
        "20261127T091502Z", "20261128T101010Z"
    ) == junit.render_junit(second)


def test_properties_say_what_ran_against_what_and_with_which_result() -> None:
    view = make_view(
        {"flow:holdings": ("fail", "HTTP 500")},
        command="fetch holdings",
        exit_code=1,
        label="release 4.2 smoke",
        target={"kind": "replay", "host": "127.0.0.1", "cassette": "investor-2026-11"},
    )
    _, _, suite = rendered(view)
    props = properties(suite)
    assert props["run_id"] == "20261127T091502Z-7f3a"
    assert props["target"] == "replay"
    assert props["command"] == "fetch holdings"
    assert props["verdict"] == "FAIL"
    assert props["headline"].startswith("FAIL")
    assert props["exit_code"] == "1"
    assert props["tool_version"] == view.manifest.tool_version
    assert props["label"] == "release 4.2 smoke"
    assert props["cassette"] == "investor-2026-11"
    assert props["evidence"].startswith("NOT LIVE EVIDENCE")
    assert {c.get("classname") for c in suite.findall("testcase")} == {"jainam-validate.fetch"}


def test_a_live_run_has_no_evidence_banner_and_unset_properties_are_left_out() -> None:
    view = make_view(PASSING, target={"kind": "live", "host": "xts.example"})
    _, _, suite = rendered(view)
    props = properties(suite)
    assert props["target"] == "live"
    assert not {"evidence", "label", "cassette"} & set(props)


def test_control_characters_are_made_visible_and_never_reach_the_xml() -> None:
    detail = 'broker said \x1b[31mERROR\x1b[0m\x00 <b>&amp;</b> "quoted" ]]> \ufffe\uffff'
    view = make_view(
        {"flow:holdings": ("fail", detail)},
        exit_code=1,
        error="stopped\x07\r\nhere",
        label="lab\x01el",
        command="run\x0b--x",
    )
    text, _, suite = rendered(view)
    assert not {"\x1b", "\x00", "\x07", "\x01", "\x0b", "\ufffe", "\uffff"} & set(text)
    failure = cases_of(suite)["flow:holdings"].find("failure")
    assert failure is not None
    assert '<b>&amp;</b> "quoted" ]]>' in str(failure.text)  # escaped, read back verbatim
    assert "ERROR" in str(failure.get("message"))


def test_xml_text_removes_lone_surrogates_and_non_characters() -> None:
    cleaned = junit.xml_text("a\ud800b\udfffc\ufffed\uffffe")
    assert ILLEGAL_XML.search(cleaned) is None and "a" in cleaned and "e" in cleaned


def test_rendering_is_deterministic() -> None:
    view = make_view(PASSING, records=[record("positions", 12.0)])
    assert junit.render_junit(view) == junit.render_junit(view)


@pytest.mark.parametrize("name", RUNS)
def test_every_fixture_run_folder_renders_valid_junit(name: str) -> None:
    view = report.load(FIXTURES / "runs" / name)
    _, _, suite = rendered(view)
    assert [c.get("name") for c in suite.findall("testcase")][: len(view.manifest.checks)] == (
        list(view.manifest.checks)
    )


TRICKY = ["<", ">", "&", '"', "'", "\x00", "\x01", "\x1b", "\x7f", "\x85", "\ud7ff"]
TRICKY += ["\ufffe", "\uffff", "]]>"]
#: Any unicode text (st.text() leaves out lone surrogates, keeps controls), salted with the
#: characters and sequences that break naive XML writers.
ANY_TEXT = st.lists(st.one_of(st.text(max_size=8), st.sampled_from(TRICKY)), max_size=8).map(
    "".join
)
STATUS = st.one_of(st.sampled_from([s.value for s in Status]), ANY_TEXT)
EXIT = st.sampled_from([None, 0, 1, 2, 3, 4, 5, 6, 7, 130])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    checks=st.dictionaries(ANY_TEXT, st.tuples(STATUS, ANY_TEXT), max_size=5),
    error=st.one_of(st.none(), ANY_TEXT),
    label=st.one_of(st.none(), ANY_TEXT),
    command=ANY_TEXT,
    run_id=ANY_TEXT,
    kind=st.one_of(st.sampled_from(["live", "simulator", "replay"]), ANY_TEXT),
    cassette=st.one_of(st.none(), ANY_TEXT),
    started_at=st.one_of(st.just("2026-11-27T09:15:02.123Z"), ANY_TEXT),
    exit_code=EXIT,
    interrupted=st.booleans(),
)
def test_any_text_yields_well_formed_schema_valid_xml_that_is_green_only_on_pass(
    checks: dict[str, tuple[str, str]],
    error: str | None,
    label: str | None,
    command: str,
    run_id: str,
    kind: str,
    cassette: str | None,
    started_at: str,
    exit_code: int | None,
    interrupted: bool,
) -> None:
    view = make_view(
        checks,
        error=error,
        label=label,
        command=command,
        run_id=run_id,
        target={"kind": kind, "cassette": cassette},
        started_at=started_at,
        exit_code=exit_code,
        interrupted=interrupted,
        records=[record("positions", 5.0, run_id=run_id)],
    )
    text, _, suite = rendered(view)  # parses, validates, no illegal char, counts match
    assert len(suite.findall("testcase")) in (len(checks), len(checks) + 1)
    if is_green(suite):
        assert properties(suite)["verdict"] == "PASS"
    if error or interrupted or exit_code in (None, 7, 130):
        assert suite.get("errors") == "1"
    assert text.count("<testsuite ") == 1
