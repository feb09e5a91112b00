"""End to end: a hostile broker cannot make the harness write a secret or a raw id anywhere.

Each case runs the real CLI (``run`` with ``--record`` and ``--junit``, a job summary file) over
real HTTP against the simulator serving one hostile payload, then searches everything written
(evidence folder, cassette, JUnit, job summary, stdout, stderr) for every value the simulator
holds secret or identifying, in plain, URL-encoded, base64 and case-folded forms, and runs
``audit`` over all of it, which must agree (exit 0, no finding). The exit code is pinned too:
a leak is never "fixed" by stopping the run.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from jainam_validate.simulator import DEMO_CREDENTIALS, SimConfig, Simulator

from .cli import cli, creds_env, every_file_text, leaks, manifest, run_folders

pytestmark = pytest.mark.e2e

#: (name, profile, faults, exit code): every hostile payload the simulator can serve.
CASES = [
    ("content-type echo, learned later", "investor", {"positions": "header_echo"}, 0),
    ("header echo on an empty book", "investor", {"holdings": "header_echo"}, 0),
    ("header echo, dealer", "dealer", {"positions": "header_echo", "holdings": "header_echo"}, 0),
    ("invalid UTF-8 body naming ids", "investor", {"positions": "leaky_utf8"}, 1),
    ("body cut after the ids", "investor", {"holdings": "leaky_cut"}, 1),
    ("text/plain 500 naming ids, learned later", "investor", {"positions": "leaky_text"}, 1),
    # the trade book fails: its order id is never met in a row, only after the word "order"
    ("text/plain 500 naming an order never seen", "investor", {"tradebook": "leaky_text"}, 1),
    ("ids under keys outside any list", "investor", {"tradebook": "odd_id_keys"}, 0),
    ("ids under odd keys, dealer positions", "dealer", {"positions": "odd_id_keys"}, 0),
    ("JSON in strings, base64, URL-encoded, glued", "investor", {"tradebook": "nested_ids"}, 1),
    ("JSON nested 2,000 deep", "investor", {"positions": "deep_json"}, 1),
    ("login userID as a list", "investor", {"login_interactive": "userid_list"}, 0),
    ("holdings numbers of 21 digits", "investor", {"holdings": "huge_numbers"}, 1),
    ("a 150,000-character symbol with @", "investor", {"positions": "long_symbol"}, 0),
    ("forged error text", "investor", {"holdings": "forged_error"}, 1),
]


def forms(values: list[str]) -> list[str]:
    """Each value, plus its base64 (standard and URL-safe, without padding)."""
    out = []
    for value in values:
        out.append(value)
        if len(value) >= 6:
            raw = value.encode()
            out += [
                base64.b64encode(raw).decode().rstrip("="),
                base64.urlsafe_b64encode(raw).decode().rstrip("="),
            ]
    return out


@pytest.mark.parametrize(
    ("name", "profile", "faults", "code"), CASES, ids=[case[0] for case in CASES]
)
def test_nothing_sensitive_is_written_whatever_the_broker_sends(
    name: str, profile: str, faults: dict[str, str], code: int, isolated_environment: Path
) -> None:
    summary = isolated_environment / "summary.md"
    config = SimConfig(profile=profile, faults=faults)  # type: ignore[arg-type]
    with Simulator(config) as simulator:
        env = {
            "JAINAM_BASE_URL": simulator.base_url,
            **creds_env(DEMO_CREDENTIALS),
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        args = ("run", "--record", "cassette", "--junit", "junit.xml", "--rate", "0")
        result = cli(*args, "--allow-empty", "holdings", env=env, timeout=120)
        secrets = simulator.sensitive_values() + list(DEMO_CREDENTIALS.values())
    assert result.code == code, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    texts = every_file_text(isolated_environment) + [result.stdout, result.stderr]
    assert leaks(texts, forms(secrets)) == []
    (folder,) = run_folders(isolated_environment / "evidence")
    assert manifest(folder)["exit_code"] == code
    for line in (folder / "timings.jsonl").read_text().splitlines():
        json.loads(line)  # a re-scrubbed log is still one JSON object a line
    audited = cli(
        "audit", "evidence", "cassette", "junit.xml", str(summary),
        env=creds_env(DEMO_CREDENTIALS),
    )  # fmt: skip
    assert audited.code == 0, audited.output
