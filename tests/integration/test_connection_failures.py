"""The real CLI against what a wrong JAINAM_BASE_URL meets: a closed port, a host that does not
resolve, ``https://`` against the plain-HTTP simulator. Each is exit 4 with its own words and
fix on the terminal, and the same words in the run folder's report."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jainam_validate.cli import app
from jainam_validate.inert import md
from jainam_validate.simulator import DEMO_CREDENTIALS, Simulator

CREDENTIALS = dict(
    zip(
        ("JAINAM_INTERACTIVE_API_KEY", "JAINAM_INTERACTIVE_API_SECRET",
         "JAINAM_MARKET_API_KEY", "JAINAM_MARKET_API_SECRET"),
        DEMO_CREDENTIALS.values(),
        strict=True,
    )
)  # fmt: skip


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_against(base_url: str, tmp_path: Path) -> tuple[int, str, str]:
    evidence = tmp_path / "evidence"
    args = ["run", "--no-color", "--connect-timeout", "3", "--evidence-dir", str(evidence)]
    result = CliRunner().invoke(app, args, env={"JAINAM_BASE_URL": base_url, **CREDENTIALS})
    folder = next(evidence.iterdir())
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert f"evidence: {folder} (report.md)" in result.stderr  # exit 4 names its folder too
    return result.exit_code, result.stderr, report


@pytest.mark.parametrize(
    ("target", "words", "fix"),
    [
        ("closed", "connection refused", "check the port in JAINAM_BASE_URL"),
        ("unknown", "cannot resolve the host name (DNS)", "check the host name in JAINAM_BASE_URL"),
        ("tls", "TLS handshake failed", "the port speaks plain HTTP: use http://"),
    ],
)
def test_each_connection_failure_is_told_apart(
    target: str, words: str, fix: str, tmp_path: Path
) -> None:
    if target == "closed":
        code, stderr, report = run_against(f"http://127.0.0.1:{closed_port()}", tmp_path)
    elif target == "unknown":
        code, stderr, report = run_against("https://smpb.jainam.invalid:4143", tmp_path)
    else:
        with Simulator() as sim:
            https = sim.base_url.replace("http://", "https://")
            code, stderr, report = run_against(https, tmp_path)
    assert code == 4, stderr
    assert words in stderr and fix in stderr
    # the report's deviations say the same, with the same fix (markdown-escaped there)
    assert md(words) in report
    assert md(fix[:1].upper() + fix[1:]) in report


def test_a_stopped_pass_names_its_folder_in_json(tmp_path: Path) -> None:
    """Exit 3 (a rejected secret) after the folder was written: the --json error document
    carries run_dir, as a finished pass's does."""
    import json

    with Simulator() as sim:
        env = {"JAINAM_BASE_URL": sim.base_url, **CREDENTIALS}
        env["JAINAM_INTERACTIVE_API_SECRET"] = "not-the-secret-1"
        args = ["run", "--json", "--evidence-dir", str(tmp_path / "evidence")]
        result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 3, result.stderr
    document = json.loads(result.stdout)
    folder = next((tmp_path / "evidence").iterdir())
    assert document["exit_code"] == 3 and document["run_dir"] == str(folder)
    assert (folder / "report.md").is_file()
    assert "not-the-secret-1" not in result.stdout + result.stderr
