"""End to end: the real CLI, as a subprocess, against the simulator on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jainam_validate.client import is_allowed
from jainam_validate.simulator import DEMO_CREDENTIALS, SimConfig, SimCredentials, Simulator

from .cli import cli, creds_env, every_file_text, leaks, manifest, run_folders, timings

pytestmark = pytest.mark.e2e

RECORD_FIELDS = {
    "run_id",
    "flow",
    "attempt",
    "method",
    "route",
    "query_keys",
    "status",
    "outcome",
    "requested_at",
    "responded_at",
    "api_ms",
    "transform_ms",
    "total_ms",
    "phases",
    "conn_reused",
    "bytes",
    "error",
}
STALE_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c3RhbGUtdG9rZW4tc2ln"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SimConfig()) as simulator:
        yield simulator


def broker_env(simulator: Simulator, creds: SimCredentials = DEMO_CREDENTIALS) -> dict[str, str]:
    return {"JAINAM_BASE_URL": simulator.base_url, **creds_env(creds)}


@pytest.mark.parametrize("profile", ["investor", "dealer"])
@pytest.mark.parametrize("book", ["positions", "holdings", "tradebook"])
def test_fetch_each_book_with_sim(profile: str, book: str, isolated_environment: Path) -> None:
    result = cli("fetch", book, "--sim", "--sim-profile", profile, "--iterations", "2")
    assert result.code == 0, result.output
    assert "Traceback" not in result.output
    (folder,) = run_folders(isolated_environment / "evidence")
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert names == ["SHA256SUMS", "report.md", "run.json", f"samples/{book}.json", "timings.jsonl"]
    records = timings(folder)
    assert [r["flow"] for r in records] == ["login_interactive", book, book]
    for record in records:
        assert RECORD_FIELDS <= set(record)
        assert ISO_MS.match(record["requested_at"]) and ISO_MS.match(record["responded_at"])
        assert record["outcome"] == "ok" and record["api_ms"] > 0
        assert "?" not in record["route"]
    # the first call opens the connection, the next ones reuse it: connect is null there
    assert records[0]["conn_reused"] is False and records[0]["phases"]["connect_ms"] is not None
    assert records[2]["conn_reused"] is True and records[2]["phases"]["connect_ms"] is None
    sample = json.loads((folder / "samples" / f"{book}.json").read_text())
    assert sample["row_count"] == len(sample["rows"]) > 0
    assert manifest(folder)["account_type"] == profile
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest


def test_dealer_routes_carry_the_pro_client_id(isolated_environment: Path) -> None:
    with Simulator(SimConfig(profile="dealer")) as simulator:
        for book in ("positions", "holdings", "tradebook"):
            assert cli("fetch", book, env=broker_env(simulator)).code == 0
        seen = [(r.method, r.path, r.query) for r in simulator.request_log if r.method == "GET"]
    assert seen == [
        (
            "GET",
            "/interactive/portfolio/dealerpositions",
            {"dayOrNet": "NetWise", "clientID": "*****"},
        ),
        ("GET", "/interactive/portfolio/holdings", {"clientID": "*****"}),
        ("GET", "/interactive/orders/dealertradebook", {"clientID": "*****"}),
    ]


def test_only_read_only_routes_ever_reach_the_server(
    sim: Simulator, isolated_environment: Path
) -> None:
    env = broker_env(sim)
    for args in (
        ("login", "--no-cache"),
        ("fetch", "positions", "--day-or-net", "DayWise"),
        ("fetch", "holdings"),
        ("fetch", "tradebook"),
    ):
        assert cli(*args, env=env).code == 0
    prefixes = ("/apibinarymarketdata", "/apimarketdata")
    assert sim.request_log
    assert all(is_allowed(r.method, r.path, prefixes) for r in sim.request_log)


def test_secret_with_dollar_brace_and_hash_reaches_the_broker_byte_for_byte(
    isolated_environment: Path,
) -> None:
    creds = SimCredentials("ia-key-Ab$c", "Ab$cd${X}#9", "md-key-#1", "q'uote$${HOME}x")
    (isolated_environment / ".env").write_text(
        "JAINAM_INTERACTIVE_API_KEY='ia-key-Ab$c'\n"
        "JAINAM_INTERACTIVE_API_SECRET='Ab$cd${X}#9'\n"
        "JAINAM_MARKET_API_KEY='md-key-#1'\n"
        'JAINAM_MARKET_API_SECRET="q\'uote$${HOME}x"\n'
    )
    with Simulator(SimConfig(credentials=creds)) as simulator:
        result = cli("login", "--no-cache", env={"JAINAM_BASE_URL": simulator.base_url})
        assert result.code == 0, result.output
        check = cli("store-creds", "--check")
        assert check.code == 0
        assert check.stdout.count(".env") == 4
        assert not leaks([check.output, result.output], list(creds.values()))
        # The seed harness's "fix" (\$ in .env) corrupts the secret under python-dotenv: rejected.
        (isolated_environment / ".env").write_text(
            "JAINAM_INTERACTIVE_API_KEY='ia-key-Ab$c'\nJAINAM_INTERACTIVE_API_SECRET='Ab\\$cd${X}#9'\n"
            "JAINAM_MARKET_API_KEY='md-key-#1'\nJAINAM_MARKET_API_SECRET=\"q'uote$${HOME}x\"\n"
        )
        rejected = cli("fetch", "positions", env={"JAINAM_BASE_URL": simulator.base_url})
    assert rejected.code == 3, rejected.output
    assert "JAINAM_INTERACTIVE_API_KEY/SECRET" in rejected.stderr
    # the error line (+ keyring note), then the folder the stopped pass wrote
    lines = rejected.stderr.strip().splitlines()
    assert len(lines) <= 3 and lines[-1].startswith("evidence: ")


def test_keyring_unavailable_is_said_once_and_env_still_works(sim: Simulator) -> None:
    result = cli("fetch", "holdings", env=broker_env(sim))
    assert result.code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "keyring unavailable" in line]
    assert len(notes) == 1


def test_keyring_store_check_cache_and_delete(
    sim: Simulator, file_keyring: Path, isolated_environment: Path
) -> None:
    secrets_env = creds_env(DEMO_CREDENTIALS)
    stored = cli("store-creds", "--from-env", env=secrets_env)
    assert stored.code == 0, stored.output
    assert not leaks([stored.output, file_keyring.read_text()[:0]], list(DEMO_CREDENTIALS.values()))
    check = cli("store-creds", "--check", "--json")
    report = json.loads(check.stdout)
    # the four from the keyring; the application's key (optional) was not given
    assert report.pop("JAINAM_APP_API_KEY")["source"] is None
    assert {v["source"] for v in report.values()} == {"keyring"}
    assert all(
        re.fullmatch(r"len=\d+ sha256:[0-9a-f]{4}", v["fingerprint"]) for v in report.values()
    )
    # login from the keyring only, then fetch reuses the cached session: no second login.
    base = {"JAINAM_BASE_URL": sim.base_url}
    login = cli("login", "--json", env=base)
    assert login.code == 0, login.output
    shown = json.loads(login.stdout)
    assert shown["account_type"] == "investor" and shown["user"].startswith("user_")
    assert "in 23h" in shown["interactive_expires"]
    logins_before = sum(r.path == "/interactive/user/session" for r in sim.request_log)
    fetched = cli("fetch", "tradebook", env=base)
    assert fetched.code == 0, fetched.output
    assert sum(r.path == "/interactive/user/session" for r in sim.request_log) == logins_before
    newest = max(
        run_folders(isolated_environment / "evidence"), key=lambda p: manifest(p)["started_at"]
    )
    assert manifest(newest)["session_origin"] == "cache"
    deleted = cli("store-creds", "--delete")
    assert deleted.code == 0 and "removed 4 of 5" in deleted.stderr
    assert cli("store-creds", "--check").code == 2


def test_empty_books_are_not_proven_unless_waived(isolated_environment: Path) -> None:
    """An empty book is not a failure, and not a pass either: exit 5 (INCONCLUSIVE) unless
    --allow-empty names it (waived, exit 0)."""
    config = SimConfig(empty_flows=frozenset({"positions", "tradebook"}))
    with Simulator(config) as simulator:
        for book in ("positions", "tradebook"):
            result = cli("fetch", book, env=broker_env(simulator))
            assert result.code == 5, result.output
            assert "not proven: every sample (1) answered an empty book" in result.output
            waived = cli("fetch", book, "--allow-empty", book, env=broker_env(simulator))
            assert waived.code == 0, waived.output
            assert "PASS with 1 waiver" in waived.output
    folders = run_folders(isolated_environment / "evidence")
    assert len(folders) == 4
    for folder in folders:
        data = manifest(folder)
        book = data["command"].split()[1]
        assert timings(folder)[-1]["outcome"] == "empty" and timings(folder)[-1]["status"] == 400
        assert json.loads((folder / "samples" / f"{book}.json").read_text())["rows"] == []
        status = data["checks"][f"flow:{book}"]["status"]
        assert (status, data["verdict"], data["exit_code"]) in (
            ("not_proven", "INCONCLUSIVE", 5),
            ("waived", "PASS", 0),
        )


def test_html_500_on_holdings_is_recorded_and_exits_1(isolated_environment: Path) -> None:
    with Simulator(SimConfig(faults={"holdings": "html500"})) as simulator:
        result = cli("fetch", "holdings", env=broker_env(simulator))
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    (folder,) = run_folders(isolated_environment / "evidence")
    record = timings(folder)[-1]
    assert record["outcome"] == "http_error" and record["status"] == 500
    assert "text/html" in record["error"]
    assert "HTTP 500" in (folder / "report.md").read_text()


def test_a_base_url_that_is_not_xts_is_a_usage_error(isolated_environment: Path) -> None:
    with Simulator(SimConfig(faults={"login_interactive": "html404"})) as simulator:
        result = cli("fetch", "positions", env=broker_env(simulator))
    assert result.code == 2, result.output
    assert "not XTS JSON" in result.stderr and "JAINAM_BASE_URL" in result.stderr
    assert "Traceback" not in result.output


def test_missing_configuration_is_one_line_exit_2_and_no_folder(isolated_environment: Path) -> None:
    result = cli("fetch", "positions")
    assert result.code == 2
    assert "JAINAM_BASE_URL" in result.stderr
    result = cli("fetch", "positions", env={"JAINAM_BASE_URL": "https://127.0.0.1:9"})
    assert result.code == 2 and "JAINAM_INTERACTIVE_API_KEY" in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("error")] == [
        result.stderr.splitlines()[-1]
    ]
    assert not (isolated_environment / "evidence").exists()


def test_unreachable_broker_is_exit_4(isolated_environment: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    env = {"JAINAM_BASE_URL": f"http://127.0.0.1:{port}", **creds_env(DEMO_CREDENTIALS)}
    result = cli("fetch", "positions", env=env)
    assert result.code == 4, result.output
    (folder,) = run_folders(isolated_environment / "evidence")
    assert manifest(folder)["exit_code"] == 4
    assert timings(folder)[0]["outcome"] == "network_error"


def test_stale_session_token_is_exit_3(sim: Simulator) -> None:
    env = {
        "JAINAM_BASE_URL": sim.base_url,
        "JAINAM_ACCOUNT_TYPE": "investor",
        "JAINAM_INTERACTIVE_SESSION_TOKEN": STALE_TOKEN,
    }
    result = cli("fetch", "holdings", env=env)
    assert result.code == 3, result.output
    assert "eyJhbGciOiJIUzI1NiJ9" not in result.output


def test_server_delay_shows_up_in_api_ms(isolated_environment: Path) -> None:
    with Simulator(SimConfig(delays_ms={"positions": 300})) as simulator:
        result = cli("fetch", "positions", "--iterations", "3", "--json", env=broker_env(simulator))
    assert result.code == 0, result.output
    (folder,) = run_folders(isolated_environment / "evidence")
    api = [r["api_ms"] for r in timings(folder) if r["flow"] == "positions"]
    assert len(api) == 3 and min(api) >= 300.0
    ttfb = [r["phases"]["ttfb_ms"] for r in timings(folder) if r["flow"] == "positions"]
    assert min(ttfb) >= 300.0


def test_json_output_is_one_document_on_stdout(sim: Simulator) -> None:
    result = cli("fetch", "tradebook", "--json", env=broker_env(sim))
    data = json.loads(result.stdout)
    assert data["flow"] == "tradebook" and data["exit_code"] == 0 and data["rows"]
    assert all(row["order"].startswith("order_") for row in data["rows"])


def test_nothing_sensitive_in_any_file_or_output(isolated_environment: Path) -> None:
    """Feed known secrets and ids in; grep every file written and all output for them."""
    creds = SimCredentials("leak-ia-KEY-91", "leak$ia${S}#1", "leak-md-KEY-92", "leak@md$2")
    outputs: list[str] = []
    secrets: list[str] = []  # every profile's, accumulated: none may leak from either
    # (command, exit code): each must really have run, so the grep below means something
    commands = [
        (("login", "--no-cache"), 0),
        (("login", "--no-cache", "--json"), 0),
        (("fetch", "positions"), 0),
        (("fetch", "holdings", "--json"), None),  # 0 investor, 1 dealer (HTML 500)
        (("fetch", "tradebook", "--json"), 0),
        (("fetch", "tradebook", "-v"), 0),
        (("store-creds", "--check"), 0),  # all four set in the environment
    ]
    for profile in ("investor", "dealer"):
        with Simulator(
            SimConfig(
                profile=profile,
                credentials=creds,
                faults={"holdings": "html500"} if profile == "dealer" else {},
            )
        ) as s:
            env = {**broker_env(s, creds), "JAINAM_CLIENT_ID": "*****"}
            for args, code in commands:
                result = cli(*args, env=env)
                expected = code if code is not None else (1 if profile == "dealer" else 0)
                assert result.code == expected, (args, result.output)
                outputs.append(result.output)
            secrets += s.sensitive_values()
            logged_in = sum(r.flow == "login_interactive" for r in s.request_log)
            assert logged_in >= 6, "every broker command logged in: the secrets were used"
    files = every_file_text(isolated_environment) + every_file_text(
        Path(isolated_environment.parent / "home")
    )
    assert leaks(files + outputs, secrets + list(creds.values())) == []


def test_simulate_command_serves_on_loopback(isolated_environment: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "jainam_validate", "simulate", "--port", "0", "--profile", "dealer"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline and "http://" not in line:
            line = proc.stderr.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert url, line
        result = cli(
            "fetch",
            "tradebook",
            env={"JAINAM_BASE_URL": url.group(1), **creds_env(DEMO_CREDENTIALS)},
        )
        assert result.code == 0, result.output
        assert (
            manifest(run_folders(isolated_environment / "evidence")[0])["account_type"] == "dealer"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def test_simulate_rejects_a_bad_fault_with_a_clear_line() -> None:
    result = cli("simulate", "--fault", "holdings=explode")
    assert result.code == 2
    assert "explode" in result.stderr and "Traceback" not in result.output


def test_version_and_module_entry_point() -> None:
    from jainam_validate import __version__

    result = cli("--version")
    assert result.code == 0 and result.stdout.strip() == f"jainam-validate {__version__}"
