"""End to end: record a pass, replay it offline, detect drift."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pytest

from jainam_validate.simulator import SimConfig, SimCredentials, Simulator

from .cli import cli, creds_env, every_file_text, leaks, manifest, run_folders

pytestmark = pytest.mark.e2e
NETBLOCK = Path(__file__).resolve().parents[1] / "support" / "netblock"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cassettes"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def offline_env() -> dict[str, str]:
    """No broker (a closed port), and any non-loopback connection refused in the process."""
    path = os.pathsep.join(filter(None, [str(NETBLOCK), os.environ.get("PYTHONPATH")]))
    return {"JAINAM_BASE_URL": f"http://127.0.0.1:{closed_port()}", "PYTHONPATH": path}


@pytest.mark.parametrize("profile", ["investor", "dealer"])
def test_record_then_replay_offline_gives_the_same_verdict_and_pnl(
    profile: str, isolated_environment: Path
) -> None:
    creds = SimCredentials("rec-ia-KEY-71", "rec$ia${S}#1", "rec-md-KEY-72", "rec@md$2")
    with Simulator(SimConfig(profile=profile, credentials=creds)) as simulator:
        env = {"JAINAM_BASE_URL": simulator.base_url, **creds_env(creds)}
        recorded = cli("run", "--iterations", "2", "--record", "cassette", "--json", env=env)
        assert recorded.code == 0, recorded.output
        fed = simulator.sensitive_values() + list(creds.values())
    # the simulator is stopped now: replay must not need it, nor any credential or network
    cassette_text = every_file_text(isolated_environment / "cassette")
    assert leaks(cassette_text, fed) == []
    replayed = cli("run", "--replay", "cassette", "--iterations", "2", "--json", env=offline_env())
    assert replayed.code == 0, replayed.output
    first, second = json.loads(recorded.stdout), json.loads(replayed.stdout)
    assert second["account_type"] == profile
    assert (
        second["checks"]["holdings_pnl"]["total_pnl"]
        == first["checks"]["holdings_pnl"]["total_pnl"]
    )
    assert {k: v["status"] for k, v in second["checks"].items()} == {
        k: v["status"] for k, v in first["checks"].items()
    }
    folder = max(
        run_folders(isolated_environment / "evidence"), key=lambda p: manifest(p)["started_at"]
    )
    assert set(manifest(folder)["credential_sources"].values()) == {"replay"}
    assert cli("audit", "cassette", "evidence").code == 0


def test_shipped_cassettes_replay_with_exit_0(isolated_environment: Path) -> None:
    for name in ("investor", "dealer"):
        result = cli("run", "--replay", str(FIXTURES / name), env=offline_env())
        assert result.code == 0, result.output


def test_replay_latency_recorded_waits_the_recorded_time(isolated_environment: Path) -> None:
    with Simulator(SimConfig(delays_ms={"positions": 250})) as simulator:
        env = {"JAINAM_BASE_URL": simulator.base_url, **creds_env(simulator.config.credentials)}
        assert cli("fetch", "positions", "--record", "cas", env=env).code == 0
    result = cli(
        "fetch",
        "positions",
        "--replay",
        "cas",
        "--replay-latency",
        "recorded",
        "--json",
        env=offline_env(),
    )
    assert result.code == 0, result.output
    assert json.loads(result.stdout)["summary"]["p50_ms"] >= 250


def test_a_missing_exchange_fails_the_flow_and_names_the_route(
    isolated_environment: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "cas"
    shutil.copytree(FIXTURES / "investor", copy)
    for path in (copy / "exchanges").glob("*-tradebook.json"):
        path.unlink()
    index = json.loads((copy / "cassette.json").read_text())
    index["exchanges"] -= 1
    (copy / "cassette.json").write_text(json.dumps(index))
    result = cli("run", "--replay", str(copy), "--retries", "0", env=offline_env())
    assert result.code == 1
    (folder,) = run_folders(isolated_environment / "evidence")
    report = (folder / "report.md").read_text()
    assert "the cassette holds no exchange for GET /interactive/orders/trades" in report


def test_version_mismatch_and_drift_through_the_cli(
    isolated_environment: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "cas"
    shutil.copytree(FIXTURES / "investor", copy)
    path = next((copy / "exchanges").glob("*-positions.json"))
    data = json.loads(path.read_text())
    data["response"]["json"]["result"]["positionList"][0]["MTM"] = None
    path.write_text(json.dumps(data))
    found = cli("drift", str(FIXTURES / "investor"), "--against", str(copy), "--json")
    assert found.code == 1
    assert [(d["flow"], d["kind"], d["path"]) for d in json.loads(found.stdout)["drift"]] == [
        ("positions", "retyped", "$.result.positionList[].MTM")
    ]
    same = cli("drift", str(FIXTURES / "investor"), "--sim")
    assert same.code == 0, same.output
    index = json.loads((copy / "cassette.json").read_text())
    index["version"] = 2
    (copy / "cassette.json").write_text(json.dumps(index))
    bad = cli("run", "--replay", str(copy))
    assert bad.code == 2 and "version 2 is not supported" in bad.stderr


def test_record_refuses_a_folder_that_is_not_a_cassette(isolated_environment: Path) -> None:
    (isolated_environment / "notes").mkdir()
    (isolated_environment / "notes" / "keep.txt").write_text("mine")
    result = cli("run", "--sim", "--record", "notes")
    assert result.code == 2 and "not a cassette" in result.stderr
    assert (isolated_environment / "notes" / "keep.txt").read_text() == "mine"
