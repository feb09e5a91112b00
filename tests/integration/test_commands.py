"""Every command in-process (typer's CliRunner) against the simulator on 127.0.0.1: exit
codes, the shape of each ``--json`` document, and the lines a person reads. The subprocess
end-to-end tests keep what needs a real process (signals, the console script)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from jainam_validate.cli import app
from jainam_validate.simulator import DEMO_CREDENTIALS

SECRETS = tuple(DEMO_CREDENTIALS.values())


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    result = CliRunner().invoke(app, list(args), env=env)
    for secret in SECRETS:
        assert secret not in result.stdout and secret not in (result.stderr or "")
    return result


def document(result: Any) -> dict[str, Any]:
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_login_json_names_the_sessions_and_the_run_folder(tmp_path: Path) -> None:
    result = invoke("login", "--sim", "--json", "--evidence-dir", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    data = document(result)
    assert data["verdict"] == "PASS" and data["exit_code"] == 0
    assert data["target"]["kind"] == "simulator"
    assert set(data["login_ms"]) == {"login_interactive", "login_market"}
    assert data["account_type"] == "investor"
    assert Path(data["run_dir"]).parent == tmp_path
    assert data["user"].startswith("user_") and "@" not in data["user"]


def test_fetch_dealer_pro_json_holds_pseudonymised_rows(tmp_path: Path) -> None:
    result = invoke(
        "fetch", "tradebook", "--sim", "--sim-profile", "dealer", "--json",
        "--evidence-dir", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = document(result)
    assert data["flow"] == "tradebook" and data["rows"]
    assert set(data["checks"]) == {"session:interactive", "live_capture", "flow:tradebook"}
    assert data["checks"]["live_capture"]["status"] == "not_applicable"
    for row in data["rows"]:
        assert str(row["order"]).startswith("order_")
    assert data["summary"]["samples"] == 1 and data["summary"]["ok"] == 1


def test_run_table_then_verdict_and_the_folder(tmp_path: Path) -> None:
    tmp_path = tmp_path / "evidence"
    result = invoke("run", "--sim", "--no-color", "--evidence-dir", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "NOT LIVE" in out  # a simulator pass never reads as live evidence
    assert "PASS" in out and "holdings_pnl" in out
    assert "evidence:" in result.stderr and "report.md" in result.stderr
    folder = next(tmp_path.iterdir())
    assert (folder / "report.md").is_file() and (folder / "SHA256SUMS").is_file()


def test_an_empty_book_is_inconclusive_unless_waived(tmp_path: Path) -> None:
    from jainam_validate.simulator import SimConfig, Simulator

    with Simulator(SimConfig(empty_flows=frozenset({"tradebook"}))) as sim:
        env = {
            "JAINAM_BASE_URL": sim.base_url,
            **dict(zip(
                ("JAINAM_INTERACTIVE_API_KEY", "JAINAM_INTERACTIVE_API_SECRET",
                 "JAINAM_MARKET_API_KEY", "JAINAM_MARKET_API_SECRET"),
                SECRETS, strict=True,
            )),
        }  # fmt: skip
        args = ("fetch", "tradebook", "--json", "--no-cache", "--evidence-dir", str(tmp_path))
        plain = invoke(*[a for a in args if a != "--no-cache"], env=env)
        waived = invoke(
            *[a for a in args if a != "--no-cache"], "--allow-empty", "tradebook", env=env
        )
    assert plain.exit_code == 5, plain.stderr
    assert document(plain)["verdict"] == "INCONCLUSIVE"
    assert document(plain)["checks"]["flow:tradebook"]["status"] == "not_proven"
    assert waived.exit_code == 0, waived.stderr
    assert document(waived)["checks"]["flow:tradebook"]["status"] == "waived"


def test_report_rebuilds_the_newest_run_and_reseals(tmp_path: Path) -> None:
    tmp_path = tmp_path / "evidence"
    assert invoke("run", "--sim", "--evidence-dir", str(tmp_path)).exit_code == 0
    folder = next(tmp_path.iterdir())
    (folder / "report.md").unlink()
    result = invoke("report", "--json", "--evidence-dir", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert document(result) == {
        "run_dir": str(folder),
        "report": str(folder / "report.md"),
    }
    assert "report.md" in (folder / "SHA256SUMS").read_text()


def test_report_of_a_folder_that_is_not_a_run_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("report", str(tmp_path), "--json")
    assert result.exit_code == 2
    assert "run.json" in document(result)["error"]


def test_audit_json_counts_files_and_configured_values(tmp_path: Path) -> None:
    tmp_path = tmp_path / "scanned"
    tmp_path.mkdir()
    (tmp_path / "clean.txt").write_text("nothing to see\n")
    (tmp_path / "leak.log").write_text("line one\nkey=ik-Configured-0123456789\n")
    env = {"JAINAM_INTERACTIVE_API_KEY": "ik-Configured-0123456789"}
    result = invoke("audit", str(tmp_path), "--json", env=env)
    assert result.exit_code == 1
    data = document(result)
    assert data["files"] == 2 and data["known_values"] == 1
    assert [(Path(f["path"]).name, f["line"]) for f in data["findings"]] == [("leak.log", 2)]
    assert "ik-Configured" not in result.stdout


def test_audit_of_nothing_readable_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("audit", str(empty))
    assert result.exit_code == 2
    assert "nothing could be scanned" in result.stderr


def test_drift_against_itself_finds_nothing(tmp_path: Path) -> None:
    cassette = Path(__file__).parents[1] / "fixtures" / "cassettes" / "investor"
    result = invoke("drift", str(cassette), "--against", str(cassette), "--json")
    assert result.exit_code == 0, result.stderr
    assert document(result) == {
        "baseline": str(cassette),
        "drift": [],
        "flows_not_compared": [],
    }


def test_drift_needs_exactly_one_comparison() -> None:
    result = invoke("drift", "somewhere", "--sim", "--live")
    assert result.exit_code == 2
    assert "exactly one of" in result.stderr


def test_store_creds_check_names_each_source_and_exits_2_when_one_is_missing() -> None:
    env = {
        "JAINAM_INTERACTIVE_API_KEY": "ik-0123456789",
        "JAINAM_INTERACTIVE_API_SECRET": "is-0123456789",
        "JAINAM_MARKET_API_KEY": "mk-0123456789",
    }
    result = invoke("store-creds", "--check", "--json", env=env)
    assert result.exit_code == 2
    data = document(result)
    assert data["JAINAM_INTERACTIVE_API_KEY"]["source"] == "env"
    assert data["JAINAM_MARKET_API_SECRET"]["source"] is None
    assert "0123456789" not in result.stdout


@pytest.fixture
def in_process_keyring(file_keyring: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file keyring for this process (keyring picks its backend once per process)."""
    import keyring

    from tests.support.file_keyring import FileKeyring

    monkeypatch.setattr(keyring.core, "_keyring_backend", FileKeyring())
    return file_keyring


def test_store_creds_without_a_terminal_says_to_use_from_env(in_process_keyring: Path) -> None:
    result = invoke("store-creds")
    assert result.exit_code == 2
    assert "--from-env" in result.stderr
    assert not in_process_keyring.exists()


def test_store_creds_from_env_names_the_missing_variable(in_process_keyring: Path) -> None:
    result = invoke("store-creds", "--from-env", env={"JAINAM_INTERACTIVE_API_KEY": "ik-1234567"})
    assert result.exit_code == 2  # a configuration error
    assert "JAINAM_INTERACTIVE_API_SECRET" in result.stderr
    assert not in_process_keyring.exists()  # nothing stored when one is missing


def test_store_creds_from_env_keeps_all_four_and_check_finds_them(
    in_process_keyring: Path,
) -> None:
    env = dict(zip(
        ("JAINAM_INTERACTIVE_API_KEY", "JAINAM_INTERACTIVE_API_SECRET",
         "JAINAM_MARKET_API_KEY", "JAINAM_MARKET_API_SECRET"),
        ("ik-0123456789", "is$0123456789", "mk-0123456789", "ms$0123456789"), strict=True,
    ))  # fmt: skip
    stored = invoke("store-creds", "--from-env", env=env)
    assert stored.exit_code == 0, stored.stderr
    assert "0123456789" not in stored.stderr
    checked = invoke("store-creds", "--check", "--json")
    assert checked.exit_code == 0
    found = document(checked)
    # the application's key is optional: not set is not an error, and the row says what for
    assert found.pop("JAINAM_APP_API_KEY")["note"].startswith("optional")
    assert {item["source"] for item in found.values()} == {"keyring"}


def test_store_creds_keeps_the_application_key_as_a_fifth_secret(
    in_process_keyring: Path,
) -> None:
    env = dict(zip(
        ("JAINAM_INTERACTIVE_API_KEY", "JAINAM_INTERACTIVE_API_SECRET",
         "JAINAM_MARKET_API_KEY", "JAINAM_MARKET_API_SECRET", "JAINAM_APP_API_KEY"),
        ("ik-0123456789", "is$0123456789", "mk-0123456789", "ms$0123456789", "oa-0123456789"),
        strict=True,
    ))  # fmt: skip
    stored = invoke("store-creds", "--from-env", env=env)
    assert stored.exit_code == 0, stored.stderr
    assert "stored JAINAM_APP_API_KEY" in stored.stderr and "0123456789" not in stored.stderr
    checked = invoke("store-creds", "--check", env={"JAINAM_APP_URL": "http://127.0.0.1:5000"})
    assert checked.exit_code == 0
    rows = {line.split()[0]: line for line in checked.stdout.splitlines() if line.strip()}
    assert rows["JAINAM_APP_API_KEY"].split()[1] == "keyring"
    assert "http://127.0.0.1:5000" in rows["JAINAM_APP_URL"]
    removed = invoke("store-creds", "--delete")
    assert "removed 5 of 5 credentials" in removed.stderr


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        ("--fault=positions=nonsense", "fault kinds:"),
        ("--fault=nowhere=http_500", "flows:"),
        ("--delay=positions=soon", "milliseconds"),
        ("--md-prefix=foo", "md prefix must look like '/apibinarymarketdata'"),
        ("--md-prefix=/interactive", "md prefix must look like '/apibinarymarketdata'"),
    ],
)
def test_simulate_rejects_a_bad_flag_with_what_is_allowed(flag: str, words: str) -> None:
    result = invoke("simulate", "--port", "0", flag)
    assert result.exit_code == 2
    assert words in result.stderr and "internal error" not in result.stderr


def test_simulate_on_a_port_in_use_is_a_usage_error() -> None:
    from jainam_validate.simulator import Simulator

    with Simulator() as busy:
        port = busy.base_url.rsplit(":", 1)[1]
        result = invoke("simulate", "--port", port)
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
