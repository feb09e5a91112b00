"""The troubleshooting runbook's configuration table is held to the code: each message is
produced here by the real command line on a broken setup, and must match a row of the table
(``…`` standing for the varying part); each row must be matched by a message the code wrote.
A reworded error fails here until the runbook says the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jainam_validate.cli import app
from jainam_validate.simulator import DEMO_CREDENTIALS

RUNBOOK = Path(__file__).resolve().parents[2] / "runbooks" / "troubleshooting.md"
NAMES = (
    "JAINAM_INTERACTIVE_API_KEY", "JAINAM_INTERACTIVE_API_SECRET",
    "JAINAM_MARKET_API_KEY", "JAINAM_MARKET_API_SECRET",
)  # fmt: skip


def table_rows() -> list[str]:
    text = RUNBOOK.read_text(encoding="utf-8")
    section = text.split("## Configuration errors (exit 2)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    # the first cell is a code span: `text` or ``text with a ` in it``
    return [re.match(r"\|\s*(`+)\s?(.*?)\s?\1\s*\|", row).group(2) for row in rows]  # type: ignore[union-attr]


def pattern(message: str) -> re.Pattern[str]:
    return re.compile(".+?".join(re.escape(part) for part in message.split("…")))


def creds(**extra: str) -> str:
    values = dict(zip(NAMES, DEMO_CREDENTIALS.values(), strict=True))
    values.update(extra)
    return "".join(f"{k}='{v}'\n" for k, v in values.items() if v)


def invoke(args: list[str], dotenv: str | None, tmp_path: Path) -> list[str]:
    if dotenv is not None:
        (Path.cwd() / ".env").write_text(dotenv, encoding="utf-8")
    result = CliRunner().invoke(app, [*args, "--evidence-dir", str(tmp_path / "ev")])
    assert result.exit_code == 2, (args, result.stderr)
    return [
        line
        for line in result.stderr.splitlines()
        if line.split(":")[0] in ("error", "warning", "note")
    ]


# a broken setup per row: the command, and the .env it runs with
SETUPS: dict[str, tuple[list[str], str | None]] = {
    "misspelled and missing": (
        ["login"],
        "JAINAM_BASE_URL=http://127.0.0.1:9\nJAINAM_MARKET_API_SECERT='x'\n"
        "JAINAM_INTERACTIVE_API_KEY='k'\n",
    ),
    "unparsable .env": (
        ["login"],
        "JAINAM_BASE_URL=http://127.0.0.1:9\nJAINAM_MARKET_API_KEY='open\n",
    ),
    "route in the base URL": (
        ["login"],
        "JAINAM_BASE_URL=http://127.0.0.1:9/interactive\n" + creds(),
    ),
    "token without account type": (
        ["fetch", "positions"],
        "JAINAM_BASE_URL=http://127.0.0.1:9\nJAINAM_INTERACTIVE_SESSION_TOKEN='t'\n" + creds(),
    ),
    "threshold without =": (["run", "--sim", "--threshold", "positions3000"], None),
    "policy without a table": (["run", "--sim", "--policy", "pyproject.toml"], None),
}


@pytest.fixture
def produced(tmp_path: Path) -> dict[str, list[str]]:
    (Path.cwd() / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    out = {}
    for name, (args, dotenv) in SETUPS.items():
        out[name] = invoke(args, dotenv, tmp_path)
        (Path.cwd() / ".env").unlink(missing_ok=True)
    return out


def test_every_message_the_code_writes_is_a_row_and_every_row_is_written(
    produced: dict[str, list[str]],
) -> None:
    rows = table_rows()
    assert len(rows) >= 8
    patterns = {row: pattern(row) for row in rows}
    matched: set[str] = set()
    for setup, lines in produced.items():
        assert lines, setup
        for line in lines:
            hits = [row for row, p in patterns.items() if p.fullmatch(line)]
            assert hits, f"{setup}: the runbook has no row for {line!r}"
            matched.update(hits)
    assert matched == set(rows), f"rows no setup produced: {set(rows) - matched}"


def test_a_reworded_message_would_not_match() -> None:
    # the matching is strict: a row does not match a message that differs outside the "…"
    row = pattern("error: .env line … cannot be parsed: write KEY='value' (single quotes)")
    assert row.fullmatch("error: .env line 2 cannot be parsed: write KEY='value' (single quotes)")
    assert not row.fullmatch("error: .env line 2 is broken: write KEY='value' (single quotes)")


IV2_FAULTS: dict[str, dict[str, str]] = {
    "healthy": {},
    "stale holding": {"app_holdings": "stale_holding"},
    "missing trade": {"app_tradebook": "missing_trade"},
    "analyzer": {"app_analyzer": "analyzer_mode"},
    "broken session": {"app_positions": "session_broken"},
}


def iv2_rows() -> list[str]:
    text = RUNBOOK.read_text(encoding="utf-8")
    section = text.split("## Application cross-check (IV2)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    first = [re.match(r"\|\s*(`+)\s?(.*?)\s?\1", row).group(2) for row in rows]  # type: ignore[union-attr]
    # "N match the broker's" stands for the count
    return [row.replace("N match", "… match") for row in first]


def iv2_reasons(tmp_path: Path, faults: dict[str, str], key: str | None = None) -> list[str]:
    import json

    from jainam_validate.simulator import DEMO_APP_KEY, SimConfig, Simulator

    with Simulator(SimConfig(faults=faults)) as sim:
        env = {
            "JAINAM_BASE_URL": sim.base_url,
            "JAINAM_APP_URL": sim.base_url,
            "JAINAM_APP_API_KEY": key or DEMO_APP_KEY,
            **dict(zip(NAMES, DEMO_CREDENTIALS.values(), strict=True)),
        }
        evidence = tmp_path / f"ev-{len(list(tmp_path.iterdir()))}"
        CliRunner().invoke(app, ["run", "--evidence-dir", str(evidence)], env=env)
    (newest,) = evidence.glob("*/run.json")
    checks = json.loads(newest.read_text())["checks"]
    return [c["detail"] for name, c in checks.items() if name.startswith("iv2:")]


def test_every_iv2_reason_is_a_row_and_every_row_is_given(tmp_path: Path) -> None:
    rows = iv2_rows()
    patterns = {row: pattern(row) for row in rows}
    matched: set[str] = set()
    reasons = [r for faults in IV2_FAULTS.values() for r in iv2_reasons(tmp_path, faults)]
    reasons += iv2_reasons(tmp_path, {}, key="not-the-key-123456")
    for reason in reasons:
        hits = [row for row, p in patterns.items() if p.fullmatch(reason)]
        assert hits, f"the runbook has no IV2 row for {reason!r}"
        matched.update(hits)
    assert matched == set(rows), f"rows no pass produced: {set(rows) - matched}"
