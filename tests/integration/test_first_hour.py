"""The first real-broker hour through the real CLI: a typo in .env is named where it is made,
with the name meant and never the value, and every missing credential at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jainam_validate.cli import app
from jainam_validate.simulator import DEMO_CREDENTIALS, Simulator


def test_a_misspelled_dotenv_name_is_named_before_the_missing_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, secret, market_key, market_secret = DEMO_CREDENTIALS.values()
    monkeypatch.chdir(tmp_path)
    with Simulator() as sim:
        (tmp_path / ".env").write_text(
            f"JAINAM_BASE_URL={sim.base_url}\n"
            f"JAINAM_INTERACTIVE_API_KEY='{key}'\n"
            f"JAINAM_INTERACTIVE_API_SECRET='{secret}'\n"
            f"JAINAM_MARKET_API_KEY='{market_key}'\n"
            f"JAINAM_MARKET_API_SECERT='{market_secret}'\n",
            encoding="utf-8",
        )
        result = CliRunner().invoke(app, ["login", "--evidence-dir", str(tmp_path / "ev")])
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    warning = next(line for line in lines if line.startswith("warning:"))
    assert "JAINAM_MARKET_API_SECERT in .env" in warning
    assert warning.endswith("did you mean JAINAM_MARKET_API_SECRET?")
    assert any(line.startswith("error: JAINAM_MARKET_API_SECRET is not set") for line in lines), (
        lines
    )
    assert market_secret not in result.stderr + result.stdout
