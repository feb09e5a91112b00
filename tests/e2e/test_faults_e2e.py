"""The fault matrix: every simulator fault, through the real CLI, with its outcome and exit code.

For each fault the pass must record the faulty flow with the right outcome class, complete
the other flows, exit with the code docs/contract.md names, print no traceback, leave a valid
checksummed folder, and leak nothing the simulator fed it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from jainam_validate.simulator import DEMO_CREDENTIALS, SimConfig, Simulator

from .cli import cli, creds_env, every_file_text, leaks, manifest, run_folders, timings

pytestmark = pytest.mark.e2e

# (flow, fault, final outcome of that flow, attempts for its sample, exit code)
BOOK_FAULTS = [
    ("holdings", "html500", "http_error", 3, 1),
    ("holdings", "html404", "http_error", 1, 1),
    ("holdings", "nginx502", "http_error", 3, 1),
    ("positions", "nginx503", "http_error", 3, 1),
    ("holdings", "http429", "http_error", 3, 1),
    ("holdings", "timeout", "timeout", 1, 1),
    ("tradebook", "reset", "network_error", 3, 1),
    ("holdings", "truncated_json", "bad_response", 1, 1),
    ("positions", "nonjson200", "bad_response", 1, 1),
    ("holdings", "type_error200", "http_error", 1, 1),
    ("holdings", "invalid_token_once", "ok", 2, 0),
    ("tradebook", "invalid_token_always", "auth_error", 2, 3),
    ("holdings", "data_not_available", "empty", 1, 5),  # not proven: INCONCLUSIVE
    ("positions", "slow_drip", "ok", 1, 0),
    ("tradebook", "huge_body", "ok", 1, 0),
    ("holdings", "plain_http_to_https", "http_error", 1, 1),
]
BOOKS = ("positions", "holdings", "tradebook")


def assert_valid_folder(folder: Path) -> None:
    for line in (folder / "timings.jsonl").read_text().splitlines():
        json.loads(line)
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    assert (folder / "report.md").read_text().startswith("# Jainam XTS validation")


def run_with(config: SimConfig, *args: str) -> tuple:  # type: ignore[type-arg]
    with Simulator(config) as simulator:
        env = {"JAINAM_BASE_URL": simulator.base_url, **creds_env(DEMO_CREDENTIALS)}
        result = cli("run", "--rate", "0", "--read-timeout", "1.5", *args, env=env, timeout=120)
        secrets = simulator.sensitive_values() + list(DEMO_CREDENTIALS.values())
    return result, secrets


@pytest.mark.parametrize(
    ("flow", "fault", "outcome", "attempts", "code"),
    BOOK_FAULTS,
    ids=[f"{f}={k}" for f, k, *_ in BOOK_FAULTS],
)
def test_book_fault(
    flow: str, fault: str, outcome: str, attempts: int, code: int, isolated_environment: Path
) -> None:
    config = SimConfig(faults={flow: fault}, timeout_fault_s=4.0)
    # A 20 MB book is about fault handling here, not speed (bench/ measures that).
    extra = ("--threshold", f"{flow}=120000") if fault == "huge_body" else ()
    result, secrets = run_with(config, *extra)
    assert result.code == code, result.output
    assert "Traceback" not in result.output
    (folder,) = run_folders(isolated_environment / "evidence")
    assert_valid_folder(folder)
    records = [r for r in timings(folder) if r["flow"] == flow]
    assert records[-1]["outcome"] == outcome
    assert [r["attempt"] for r in records] == list(range(1, attempts + 1))
    for other in BOOKS:
        if other != flow:
            assert (
                timings(folder) and manifest(folder)["checks"][f"flow:{other}"]["status"] == "pass"
            )
    assert manifest(folder)["exit_code"] == code
    assert leaks(every_file_text(isolated_environment) + [result.output], secrets) == []


@pytest.mark.parametrize(
    ("fault", "code", "fragment"),
    [
        ("plain_http_to_https", 4, "https://"),
        ("reset", 4, "no answer"),
        ("timeout", 4, "no answer"),
        ("html404", 2, "not XTS JSON"),
        ("nginx502", 1, "HTTP 502"),
    ],
)
def test_interactive_login_fault(
    fault: str, code: int, fragment: str, isolated_environment: Path
) -> None:
    result, secrets = run_with(SimConfig(faults={"login_interactive": fault}, timeout_fault_s=4.0))
    assert result.code == code, result.output
    assert fragment in result.stderr and "Traceback" not in result.output
    assert len([line for line in result.stderr.splitlines() if line.startswith("error")]) == 1
    (folder,) = run_folders(isolated_environment / "evidence")
    assert_valid_folder(folder)
    assert manifest(folder)["exit_code"] == code
    assert leaks(every_file_text(isolated_environment) + [result.output], secrets) == []


def test_market_login_fault_keeps_the_books_and_fails_pnl(isolated_environment: Path) -> None:
    result, secrets = run_with(SimConfig(faults={"login_market": "nginx503"}))
    assert result.code == 1, result.output
    (folder,) = run_folders(isolated_environment / "evidence")
    checks = manifest(folder)["checks"]
    assert checks["session:market"]["status"] == "fail"
    assert checks["holdings_pnl"]["status"] == "fail"
    assert all(checks[f"flow:{b}"]["status"] == "pass" for b in BOOKS)
    assert leaks(every_file_text(isolated_environment) + [result.output], secrets) == []


def test_quotes_invalid_token_once_renews_the_md_session(isolated_environment: Path) -> None:
    result, _ = run_with(SimConfig(faults={"quotes": "invalid_token_once"}))
    assert result.code == 0, result.output
    (folder,) = run_folders(isolated_environment / "evidence")
    flows = [(r["flow"], r["attempt"], r["outcome"]) for r in timings(folder)]
    i = flows.index(("quotes", 1, "auth_error"))
    assert flows[i + 1][0] == "login_market" and flows[i + 2] == ("quotes", 2, "ok")
    assert manifest(folder)["checks"]["holdings_pnl"]["status"] == "pass"


def test_circuit_breaker_skips_a_dead_route_for_the_rest_of_the_pass(
    isolated_environment: Path,
) -> None:
    result, _ = run_with(
        SimConfig(faults={"holdings": "nginx502"}),
        "--iterations",
        "5",
        "--retries",
        "0",
        "--breaker",
        "2",
    )
    assert result.code == 1
    (folder,) = run_folders(isolated_environment / "evidence")
    holdings = [r["outcome"] for r in timings(folder) if r["flow"] == "holdings"]
    assert holdings == ["http_error", "http_error", "skipped", "skipped", "skipped"]
    assert manifest(folder)["flows"]["positions"]["ok"] == 5
    assert "skipped" in (folder / "report.md").read_text()
