"""The first real-broker hour through the real CLI: a typo in .env is named where it is made,
with the name meant and never the value, and every missing credential at once."""

from __future__ import annotations

import re
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


def demo_env(base_url: str) -> dict[str, str]:
    names = (
        "JAINAM_INTERACTIVE_API_KEY", "JAINAM_INTERACTIVE_API_SECRET",
        "JAINAM_MARKET_API_KEY", "JAINAM_MARKET_API_SECRET",
    )  # fmt: skip
    return {"JAINAM_BASE_URL": base_url, **dict(zip(names, DEMO_CREDENTIALS.values(), strict=True))}


def test_a_failing_book_is_explained_under_the_verdict(tmp_path: Path) -> None:
    """What the failed call got and what to do, in report.md's words, on the terminal."""
    from jainam_validate.simulator import SimConfig

    with Simulator(SimConfig(faults={"holdings": "html500"})) as sim:
        args = ["run", "--no-color", "--evidence-dir", str(tmp_path / "ev")]
        result = CliRunner().invoke(app, args, env=demo_env(sim.base_url))
    assert result.exit_code == 1, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if "→ holdings:" in line]
    assert "HTTP 500 text/html" in line and "Express HTML 500" in line
    assert line.endswith("See report.md.")
    assert "→ positions" not in result.stdout  # only what did not pass


def test_the_run_table_reads_whole_at_80_columns(tmp_path: Path) -> None:
    env = {"COLUMNS": "80"}
    args = ["run", "--sim", "--no-color", "--evidence-dir", str(tmp_path / "ev")]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.stderr
    table = result.stdout.split("checks")[0]
    assert "login_interactive" in table and "…" not in table
    assert max(len(line) for line in table.splitlines()) <= 80
    # the NOT LIVE banner breaks where its sentence does, not wherever 80 columns fall
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("NOT LIVE EVIDENCE"))
    assert lines[at].endswith("built-in XTS simulator;")
    assert lines[at + 1] == "it proves the harness, not the broker."


def test_check_shows_the_broker_root_placeholders_and_next_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy of .env.example never filled in: the root is shown (no user part, no path), the
    placeholders are flagged, a gap says what to do next, and the exit is 2."""
    example = Path(__file__).resolve().parents[2] / ".env.example"
    monkeypatch.chdir(tmp_path)
    text = example.read_text(encoding="utf-8").replace(
        "JAINAM_MARKET_API_SECRET='your-market-data-secret'\n", ""
    )
    (tmp_path / ".env").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["store-creds", "--check", "--no-color"])
    assert result.exit_code == 2, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "https://smpb.jainam.in:4143" in lines["JAINAM_BASE_URL"]
    assert "placeholder" in lines["JAINAM_INTERACTIVE_API_KEY"]
    assert (
        "not set" in lines["JAINAM_MARKET_API_SECRET"]
        and "next:" in lines["JAINAM_MARKET_API_SECRET"]
    )
    assert "your-interactive" not in result.stdout  # flagged, never shown


def test_the_code_knows_every_placeholder_of_env_example() -> None:
    from jainam_validate.credentials import CREDENTIAL_NAMES, PLACEHOLDERS

    example = Path(__file__).resolve().parents[2] / ".env.example"
    values = {}
    for line in example.read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        if name in CREDENTIAL_NAMES:
            values[name] = value.strip().strip("'")
    assert set(values) == set(CREDENTIAL_NAMES)
    assert set(values.values()) == PLACEHOLDERS


@pytest.mark.parametrize("configured", [False, True])
def test_the_simulator_says_what_it_accepts_and_how_to_point_at_it(
    configured: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The demo credentials are public and printed ready for .env; configured ones never are."""
    import io as stdio

    from rich.console import Console

    from jainam_validate.options import SimProfile
    from jainam_validate.targets import rehearsal
    from jainam_validate.terminal import Io, show_simulator

    monkeypatch.chdir(tmp_path)
    names = (
        "JAINAM_INTERACTIVE_API_KEY", "JAINAM_INTERACTIVE_API_SECRET",
        "JAINAM_MARKET_API_KEY", "JAINAM_MARKET_API_SECRET",
    )  # fmt: skip
    for name in names:
        if configured:
            monkeypatch.setenv(name, f"mine-{name.lower()}-9")
        else:
            monkeypatch.delenv(name, raising=False)
    plan = rehearsal(SimProfile("investor"), faults=[], delays=[], empty=[], md_prefixes=[])
    err = stdio.StringIO()
    terminal = Io(Console(file=stdio.StringIO()), Console(file=err, width=200), False, False)
    show_simulator(terminal, "http://127.0.0.1:9", "investor", plan)
    text = err.getvalue()
    assert "JAINAM_BASE_URL=http://127.0.0.1:9" in text
    if configured:
        assert "mine-" not in text and "the four from the environment, .env or keyring" in text
    else:
        for name, value in zip(names, DEMO_CREDENTIALS.values(), strict=True):
            assert f"{name}='{value}'" in text


def test_verbose_logs_each_request_as_it_happens(tmp_path: Path) -> None:
    args = ["fetch", "positions", "--sim", "--iterations", "2", "--evidence-dir", str(tmp_path)]
    loud = CliRunner().invoke(app, [*args, "-v"])
    quiet = CliRunner().invoke(app, args)
    assert loud.exit_code == quiet.exit_code == 0, loud.stderr
    lines = [line for line in loud.stderr.splitlines() if " -> " in line]
    assert lines[0].startswith("login_interactive 1.1 POST /interactive/user/session -> 200 ok")
    assert [line.split(" -> ")[0] for line in lines[1:]] == [
        "positions 1.1 GET /interactive/portfolio/positions",
        "positions 2.1 GET /interactive/portfolio/positions",
    ]
    assert all(line.endswith(" ms") for line in lines)
    assert " -> " not in quiet.stderr
    for secret in DEMO_CREDENTIALS.values():
        assert secret not in loud.stderr


def test_a_failing_fetch_is_explained_under_the_verdict(tmp_path: Path) -> None:
    from jainam_validate.simulator import SimConfig

    with Simulator(SimConfig(faults={"holdings": "html500"})) as sim:
        args = ["fetch", "holdings", "--no-color", "--evidence-dir", str(tmp_path / "ev")]
        result = CliRunner().invoke(app, args, env=demo_env(sim.base_url))
    assert result.exit_code == 1, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if "→ holdings:" in line]
    assert "HTTP 500 text/html" in line and line.endswith("See report.md.")


@pytest.mark.parametrize("book", ["positions", "holdings", "tradebook"])
def test_fetch_tables_fit_80_columns_and_cut_nothing(book: str, tmp_path: Path) -> None:
    args = ["fetch", book, "--sim", "--no-color", "--evidence-dir", str(tmp_path)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    assert "…" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    if book == "tradebook":  # a pseudonym is whole on its line, never wrapped
        assert re.search(r"order_[0-9a-f]{8} ", result.stdout)
