"""End to end: ``run`` and ``report`` through the real CLI against the simulator."""

from __future__ import annotations

import hashlib
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jainam_validate.simulator import DEMO_CREDENTIALS, SimConfig, Simulator

from .cli import cli, creds_env, manifest, run_folders, timings

pytestmark = pytest.mark.e2e


def env_for(simulator: Simulator) -> dict[str, str]:
    return {"JAINAM_BASE_URL": simulator.base_url, **creds_env(DEMO_CREDENTIALS)}


def test_run_sim_passes_and_writes_a_complete_checksummed_folder(
    isolated_environment: Path,
) -> None:
    result = cli("run", "--sim")
    assert result.code == 0, result.output
    (folder,) = run_folders(isolated_environment / "evidence")
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert names == [
        "SHA256SUMS",
        "report.md",
        "run.json",
        "samples/holdings.json",
        "samples/positions.json",
        "samples/tradebook.json",
        "timings.jsonl",
    ]
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(names) - 1
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    m = manifest(folder)
    assert m["schema_version"] == 3 and m["exit_code"] == 0 and m["command"] == "run"
    assert m["target"]["kind"] == "simulator" and m["verdict"] == "PASS"
    assert m["invocation"] == {"flags": {"--sim": True}}
    assert m["target"]["market_data_prefix"] == "/apibinarymarketdata"
    assert set(m["credential_sources"].values()) == {"sim"}
    # the books, and (IV2: the simulator plays the application too) the application's books
    assert m["thresholds_ms"] == dict.fromkeys(
        ("holdings", "positions", "tradebook") + ("app_holdings", "app_positions", "app_tradebook"),
        5000.0,
    )
    assert {"login_interactive", "login_market", "positions", "holdings", "tradebook"} <= set(
        m["flows"]
    )
    # the simulator can prove everything but the live capture, and says so above the verdict
    statuses = {name: c["status"] for name, c in m["checks"].items()}
    assert statuses.pop("live_capture") == "not_applicable"
    assert set(statuses.values()) == {"pass"}
    lines = (folder / "report.md").read_text().splitlines()
    assert lines[2] == (
        "> **NOT LIVE EVIDENCE: this run talked to the built-in XTS simulator; it proves the "
        "harness, not the broker.**"
    )
    assert lines[4] == "**PASS**: every check passed."
    assert "NOT LIVE EVIDENCE" in result.stdout


def test_holdings_500_fails_the_run_but_the_other_flows_pass(isolated_environment: Path) -> None:
    with Simulator(SimConfig(faults={"holdings": "html500"})) as simulator:
        result = cli("run", "--iterations", "2", env=env_for(simulator))
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    (folder,) = run_folders(isolated_environment / "evidence")
    checks = manifest(folder)["checks"]
    assert checks["flow:holdings"]["status"] == "fail"
    assert checks["flow:positions"]["status"] == checks["flow:tradebook"]["status"] == "pass"
    report = (folder / "report.md").read_text()
    assert "HTTP 500" in report and "Express HTML 500 page" in report
    # every retry of the 500 is its own record: 2 samples x (1 + 2 retries)
    attempts = [(r["sample"], r["attempt"]) for r in timings(folder) if r["flow"] == "holdings"]
    assert attempts == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    assert manifest(folder)["flows"]["holdings"]["retries"] == 4


def test_report_rebuilds_a_copied_folder_byte_for_byte(
    isolated_environment: Path, tmp_path: Path
) -> None:
    assert cli("run", "--sim", "--iterations", "3").code == 0
    (folder,) = run_folders(isolated_environment / "evidence")
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    original = (folder / "report.md").read_bytes()
    (copy / "report.md").unlink()
    rebuilt = cli("report", str(copy))
    assert rebuilt.code == 0, rebuilt.output
    assert (copy / "report.md").read_bytes() == original
    assert (copy / "SHA256SUMS").read_bytes() == (folder / "SHA256SUMS").read_bytes()
    # with no argument it takes the newest run of the evidence directory
    assert cli("report").code == 0
    assert (folder / "report.md").read_bytes() == original


@pytest.mark.parametrize("flag", ["positions=fast", "orders=100", "positions"])
def test_invalid_threshold_is_exit_2_before_any_call(flag: str, isolated_environment: Path) -> None:
    with Simulator(SimConfig()) as simulator:
        result = cli("run", "--threshold", flag, env=env_for(simulator))
        assert simulator.request_log == []
    assert result.code == 2
    assert "--threshold" in result.stderr and "Traceback" not in result.output
    assert not (isolated_environment / "evidence").exists()


def test_breached_threshold_exits_1(isolated_environment: Path) -> None:
    with Simulator(SimConfig(delays_ms={"tradebook": 120})) as simulator:
        result = cli("run", "--threshold", "tradebook=100", "--json", env=env_for(simulator))
    assert result.code == 1, result.output
    data = json.loads(result.stdout)
    assert data["checks"]["latency:tradebook"]["status"] == "fail"
    assert data["checks"]["latency:positions"]["status"] == "pass"
    assert data["verdict"] == "FAIL"


def test_warmup_samples_are_logged_but_not_counted(isolated_environment: Path) -> None:
    assert cli("run", "--sim", "--iterations", "3", "--warmup", "1").code == 0
    (folder,) = run_folders(isolated_environment / "evidence")
    assert [r["flow"] for r in timings(folder)].count("positions") == 3
    assert manifest(folder)["flows"]["positions"]["samples"] == 2
    assert manifest(folder)["warmup"] == 1


def test_policy_file_sets_thresholds_and_iterations(isolated_environment: Path) -> None:
    (isolated_environment / "policy.toml").write_text(
        "[tool.jainam-validate]\niterations = 2\n[tool.jainam-validate.thresholds]\n"
        "login_interactive = 4000\nquotes = 900\n"
    )
    assert cli("run", "--sim", "--policy", "policy.toml").code == 0
    (folder,) = run_folders(isolated_environment / "evidence")
    m = manifest(folder)
    assert m["iterations"] == 2 and m["thresholds_ms"]["login_interactive"] == 4000.0
    assert m["checks"]["latency:login_interactive"]["status"] == "pass"
    assert m["checks"]["latency:quotes"]["status"] == "pass"


def test_ci_surfaces_junit_and_step_summary(isolated_environment: Path) -> None:
    summary = isolated_environment / "summary.md"
    summary.write_text("earlier step\n")
    with Simulator(SimConfig(faults={"holdings": "html500"})) as simulator:
        result = cli(
            "run",
            "--junit",
            "reports/junit.xml",
            "--no-color",
            env={**env_for(simulator), "GITHUB_STEP_SUMMARY": str(summary)},
        )
    assert result.code == 1
    root = ET.parse(isolated_environment / "reports" / "junit.xml").getroot()
    failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert "flow:holdings" in failed and "flow:positions" not in failed
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "**FAIL**" in text
    assert "\x1b[" not in result.output  # --no-color


def test_report_without_any_run_is_a_clear_usage_error() -> None:
    result = cli("report")
    assert result.code == 2 and "no folder written by `run`" in result.stderr
