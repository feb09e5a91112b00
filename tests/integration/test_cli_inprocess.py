"""The CLI in-process (typer's CliRunner) against the simulator on 127.0.0.1: exit codes, the
--json documents and messages, without a subprocess."""

from __future__ import annotations

import json

import pytest


# -- one source of truth for the exit code, and no exception text on any surface -----------
def test_an_unexpected_exception_quoting_a_secret_shows_type_and_place_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from jainam_validate import harness
    from jainam_validate.cli import app
    from jainam_validate.simulator import DEMO_CREDENTIALS

    secret = DEMO_CREDENTIALS.interactive_secret

    def boom(*_args: object, **_kwargs: object) -> None:
        raise ValueError(f"unexpected: {secret} and Traceback-looking text")

    monkeypatch.setattr(harness.Harness, "fetch", boom)
    result = CliRunner().invoke(app, ["fetch", "positions", "--sim", "--json"])
    assert result.exit_code == 1
    output = result.stdout + (result.stderr or "")
    assert secret not in output and "Traceback-looking" not in output
    assert "internal error: ValueError in test_cli_inprocess.py" in output
    error = json.loads(result.stdout.strip().splitlines()[-1])
    assert error["exit_code"] == 1 and secret not in error["error"]


@pytest.mark.parametrize(
    ("save_error", "expected"),
    [("leak", 7), ("usage", 2)],
)
def test_the_exit_code_and_run_json_always_agree(
    save_error: str, expected: int, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """A stop while saving the cassette, on top of a rejected login (exit 3): the process and
    run.json say the same code, the one the precedence 130, 7, 2, 3, 4, 1, 5 picks."""
    from pathlib import Path

    from typer.testing import CliRunner

    from jainam_validate import errors
    from jainam_validate.cassette import Recorder
    from jainam_validate.cli import app
    from jainam_validate.simulator import DEMO_CREDENTIALS, SimConfig, Simulator

    def refuse(self: Recorder, folder: Path) -> Path:
        if save_error == "leak":
            raise errors.LeakDetected.at("cassette.json", "secret:credential", 3)
        raise errors.UsageError("--record: cannot write the cassette")

    monkeypatch.setattr(Recorder, "save", refuse)
    with Simulator(SimConfig()) as simulator:
        env = {
            "JAINAM_BASE_URL": simulator.base_url,
            "JAINAM_INTERACTIVE_API_KEY": "wrong-key-1234",
            "JAINAM_INTERACTIVE_API_SECRET": DEMO_CREDENTIALS.interactive_secret,
            "JAINAM_MARKET_API_KEY": DEMO_CREDENTIALS.market_key,
            "JAINAM_MARKET_API_SECRET": DEMO_CREDENTIALS.market_secret,
        }
        evidence = Path(str(tmp_path)) / "ev"
        result = CliRunner().invoke(
            app, ["run", "--record", str(Path(str(tmp_path)) / "cas"), "--evidence-dir",
                  str(evidence)], env=env,
        )  # fmt: skip
    (manifest_path,) = evidence.glob("*/run.json")
    manifest = json.loads(manifest_path.read_text())
    assert result.exit_code == expected == manifest["exit_code"], result.output
    assert manifest["verdict"] == "FAIL"


def test_traceback_flag_shows_a_bug_to_the_person_who_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from jainam_validate import boundary, cli, harness

    def boom(*_args: object, **_kwargs: object) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(harness.Harness, "fetch", boom)
    monkeypatch.setattr(boundary.DEBUG, "traceback", False)
    result = CliRunner().invoke(cli.app, ["--traceback", "fetch", "positions", "--sim"])
    assert isinstance(result.exception, ValueError)
    monkeypatch.setattr(boundary.DEBUG, "traceback", False)
    hidden = CliRunner().invoke(cli.app, ["fetch", "positions", "--sim"])
    assert hidden.exit_code == 1 and "a bug" not in hidden.output
