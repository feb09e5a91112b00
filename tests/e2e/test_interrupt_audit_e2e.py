"""End to end: interrupting a pass, malformed configuration, and ``audit``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jainam_validate.simulator import DEMO_CREDENTIALS, SimConfig, Simulator

from .cli import cli, creds_env, manifest, run_folders

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_leaves_valid_evidence_and_exit_130(
    sig: signal.Signals, isolated_environment: Path
) -> None:
    with Simulator(SimConfig(delays_ms={"holdings": 1500})) as simulator:
        env = {**os.environ, "JAINAM_BASE_URL": simulator.base_url, **creds_env(DEMO_CREDENTIALS)}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jainam_validate",
                "run",
                "--iterations",
                "5",
                "--rate",
                "0",
                "--junit",
                "junit.xml",
            ],  # fmt: skip
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20
        timings_file = None
        while time.monotonic() < deadline:
            found = list((isolated_environment / "evidence").glob("*/timings.jsonl"))
            if found and "positions" in found[0].read_text():
                timings_file = found[0]
                break
            time.sleep(0.05)
        assert timings_file is not None
        time.sleep(0.3)  # now inside the slow holdings call
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in out + err and "interrupted" in err
    (folder,) = run_folders(isolated_environment / "evidence")
    # the interrupted run names its folder (as the user gave --evidence-dir: relative here)
    assert f"{folder.name} (report.md)" in err and "evidence: " in err
    for line in (folder / "timings.jsonl").read_text().splitlines():
        json.loads(line)
    m = manifest(folder)
    assert m["interrupted"] is True and m["exit_code"] == 130
    assert m["verdict"] == "INCONCLUSIVE"
    lines = (folder / "report.md").read_text().splitlines()
    assert lines[2].startswith("> **NOT LIVE EVIDENCE")  # a `simulate` process, not the broker
    assert lines[4].startswith("**INCONCLUSIVE**: the run was interrupted")
    assert not list(folder.rglob(".*.tmp"))
    # JUnit never reads green for an interrupted run, and its counts match its elements
    suite = ET.parse(isolated_environment / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "jainam-validate"
    cases = suite.findall("testcase")
    errors = [c for c in cases if c.find("error") is not None]
    assert [c.get("name") for c in errors] == ["run"]
    assert errors[0].find("error").get("type") == "interrupted"  # type: ignore[union-attr]
    assert int(suite.get("tests", -1)) == len(cases) and suite.get("errors") == "1"
    assert int(suite.get("failures", -1)) == sum(c.find("failure") is not None for c in cases)
    assert {c.get("name") for c in cases} >= {"flow:positions", "flow:holdings", "flow:tradebook"}
    rebuilt = cli("report", str(folder))
    assert rebuilt.code == 0


def test_malformed_dotenv_is_one_line_exit_2(isolated_environment: Path) -> None:
    (isolated_environment / ".env").write_text(
        "JAINAM_BASE_URL=https://h:1\nnot an assignment Zq9\n"
    )
    result = cli("run")
    assert result.code == 2
    assert ".env line 2" in result.stderr and "Zq9" not in result.output
    assert "Traceback" not in result.output


def test_audit_passes_the_harness_own_evidence_and_catches_a_planted_secret(
    isolated_environment: Path,
) -> None:
    assert cli("run", "--sim", "--iterations", "2").code == 0
    assert cli("run", "--sim", "--sim-profile", "dealer").code == 0
    clean = cli("audit", "evidence", "--json")
    assert clean.code == 0, clean.output
    report = json.loads(clean.stdout)
    assert report["findings"] == [] and report["files"] >= 12
    # plant the configured secret (URL-encoded) in a copy of a log: audit names file, line, rule
    secret = "Mk$29#xQ0pL-validation"
    log = isolated_environment / "app.log"
    log.write_text(
        "GET /x ok\nPOST /login body=secretKey%3D"
        + secret.replace("$", "%24").replace("#", "%23")
        + "\n"
    )
    found = cli("audit", str(log), env={"JAINAM_MARKET_API_SECRET": secret})
    assert found.code == 1
    assert f"{log}:2:" in found.stdout and secret not in found.output
    missing = cli("audit", "no-such-dir")
    assert missing.code == 2 and "no-such-dir" in missing.stderr


def test_json_mode_prints_one_error_document_on_stdout(isolated_environment: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"JAINAM_BASE_URL": f"http://127.0.0.1:{port}", **creds_env(DEMO_CREDENTIALS)}
    result = cli("run", "--json", env=env)
    assert result.code == 4
    data = json.loads(result.stdout)
    assert data["exit_code"] == 4 and "connection refused" in data["error"]


def test_an_error_message_is_printed_as_text_not_rich_markup(isolated_environment: Path) -> None:
    from jainam_validate.simulator import SimCredentials

    wrong = SimCredentials("k[/b]ey", "[redacted]x", "m", "n")
    with Simulator(SimConfig()) as simulator:
        env = {"JAINAM_BASE_URL": simulator.base_url, **creds_env(wrong)}
        result = cli("fetch", "positions", env=env)
    assert result.code == 3
    assert "Traceback" not in result.output and "MarkupError" not in result.output
    assert "rejected" in result.stderr
