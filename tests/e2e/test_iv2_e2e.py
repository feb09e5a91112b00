"""IV2 through the real CLI: ``run`` against the simulator, which serves the broker and the
application under test on one loopback port, for each application fault. Each case checks the
three ``iv2:*`` checks, the exit code, the application's own timing records (the service
latency), the report's IV2 section, and that neither the application's key nor the broker's
secrets reach any file or the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from jainam_validate.simulator import DEMO_APP_KEY, DEMO_CREDENTIALS, SimConfig, Simulator

from .cli import cli, creds_env, every_file_text, leaks, manifest, run_folders, timings

pytestmark = pytest.mark.e2e
BOOKS = ("positions", "holdings", "tradebook")


def run_iv2(
    tmp: Path, faults: dict[str, str], *, key: str = DEMO_APP_KEY, extra: tuple[str, ...] = ()
) -> tuple[int, str, Path, list[str]]:
    evidence = tmp / "ev"
    with Simulator(SimConfig(faults=faults)) as sim:
        env = {
            "JAINAM_BASE_URL": sim.base_url,
            "JAINAM_APP_URL": sim.base_url,
            "JAINAM_APP_API_KEY": key,
            "COLUMNS": "200",
            **creds_env(DEMO_CREDENTIALS),
        }
        result = cli("run", "--evidence-dir", str(evidence), *extra, env=env, cwd=tmp)
        secrets = sim.sensitive_values() + [key]
    (folder,) = run_folders(evidence)
    texts = every_file_text(evidence) + [result.output]
    assert not leaks(texts, secrets), leaks(texts, secrets)
    assert "Traceback" not in result.output
    return result.code, result.output, folder, texts


def statuses(folder: Path) -> dict[str, str]:
    checks = manifest(folder)["checks"]
    return {book: checks[f"iv2:{book}"]["status"] for book in BOOKS}


def test_a_healthy_application_shows_the_broker_books(isolated_environment: Path) -> None:
    code, output, folder, _ = run_iv2(isolated_environment, {})
    assert code == 0, output
    assert statuses(folder) == dict.fromkeys(BOOKS, "pass")
    m = manifest(folder)
    # the service latency: one timed record per application book, gated like the books
    flows = {r["flow"] for r in timings(folder)}
    assert {"app_ping", "app_analyzer", "app_positions", "app_holdings", "app_tradebook"} <= flows
    for book in BOOKS:
        assert m["checks"][f"latency:app_{book}"]["status"] == "pass"
        assert m["flows"][f"app_{book}"]["p95_ms"] is not None
    assert m["iv2"]["broker"] == "jainamxts" and m["iv2"]["mode"] == "live"
    report = (folder / "report.md").read_text()
    assert "## Application cross-check (IV2)" in report
    assert "| positions | pass | 6 | 0 | 0 | 0 |" in report
    assert "LTP and P\\&L are not compared" in report


def test_a_stale_holding_fails_iv2_holdings_naming_it(isolated_environment: Path) -> None:
    code, output, folder, _ = run_iv2(isolated_environment, {"app_holdings": "stale_holding"})
    assert code == 1
    assert statuses(folder) == {"positions": "pass", "holdings": "fail", "tradebook": "pass"}
    detail = manifest(folder)["checks"]["iv2:holdings"]["detail"]
    (difference,) = manifest(folder)["iv2"]["books"]["holdings"]["differences"]
    assert difference["field"] == "quantity"
    assert int(difference["broker"]) == int(difference["app"]) + 1
    assert f"{difference['item']} (NSE) quantity: broker {difference['broker']}" in detail
    assert "iv2:holdings fail" in output  # explained under the verdict


def test_a_missing_trade_names_the_order_by_its_pseudonym(isolated_environment: Path) -> None:
    code, _, folder, _ = run_iv2(isolated_environment, {"app_tradebook": "missing_trade"})
    assert code == 1
    assert statuses(folder)["tradebook"] == "fail"
    book = manifest(folder)["iv2"]["books"]["tradebook"]
    problems = book["only_broker"] + [d["item"] for d in book["differences"]]
    assert problems and all(p.startswith("order order_") for p in problems)


def test_analyzer_mode_proves_nothing(isolated_environment: Path) -> None:
    code, _, folder, _ = run_iv2(isolated_environment, {"app_analyzer": "analyzer_mode"})
    assert code == 5  # INCONCLUSIVE: not proven, not failed
    assert statuses(folder) == dict.fromkeys(BOOKS, "not_proven")
    assert "analyzer" in manifest(folder)["checks"]["iv2:positions"]["detail"]
    # the sandbox's books are not even asked for
    assert not {"app_positions", "app_holdings"} & {r["flow"] for r in timings(folder)}


def test_a_broken_application_session_is_named_with_the_one_session_hint(
    isolated_environment: Path,
) -> None:
    code, _, folder, _ = run_iv2(isolated_environment, {"app_positions": "session_broken"})
    assert code == 1
    assert statuses(folder) == dict.fromkeys(BOOKS, "fail")
    checks = manifest(folder)["checks"]
    assert checks["iv2:positions"]["detail"].startswith("application session broken")
    # this pass logged in itself: the hint says how to avoid replacing the app's session
    assert "JAINAM_INTERACTIVE_SESSION_TOKEN" in checks["iv2:holdings"]["detail"]


def test_a_rejected_key_is_tried_once_and_never_again(isolated_environment: Path) -> None:
    code, output, folder, texts = run_iv2(isolated_environment, {}, key="not-the-app-key-42")
    assert code == 1  # the application's key, not the broker's credentials (exit 3)
    assert statuses(folder) == dict.fromkeys(BOOKS, "fail")
    app_calls = [r for r in timings(folder) if r["flow"].startswith("app_")]
    assert [(r["flow"], r["status"]) for r in app_calls] == [("app_ping", 403)]
    assert "application key rejected" in manifest(folder)["checks"]["iv2:positions"]["detail"]
    assert not any("not-the-app-key-42" in t for t in texts)


def test_record_and_replay_cover_the_application(isolated_environment: Path) -> None:
    cassette = isolated_environment / "cassette"
    code, _, _, _ = run_iv2(
        isolated_environment, {"app_holdings": "stale_holding"}, extra=("--record", str(cassette))
    )
    assert code == 1
    names = sorted(p.name for p in (cassette / "exchanges").iterdir())
    assert any(n.endswith("-app_holdings.json") for n in names), names
    replayed = cli(
        "run", "--replay", str(cassette), "--evidence-dir", str(isolated_environment / "rp"),
        cwd=isolated_environment,
    )  # fmt: skip
    assert replayed.code == 1, replayed.output
    (folder,) = run_folders(isolated_environment / "rp")
    assert statuses(folder) == {"positions": "pass", "holdings": "fail", "tradebook": "pass"}
    assert manifest(folder)["target"]["kind"] == "replay"
    assert "app_symbol" in {r["flow"] for r in timings(folder)}
    # the cassette keeps no key: the application's routes carry it in bodies, never recorded
    assert not leaks(every_file_text(cassette), [DEMO_APP_KEY, *DEMO_CREDENTIALS.values()])


def test_empty_books_on_both_sides_prove_nothing_unless_waived(isolated_environment: Path) -> None:
    evidence = isolated_environment / "ev"
    with Simulator(SimConfig(empty_flows=frozenset({"positions"}))) as sim:
        env = {
            "JAINAM_BASE_URL": sim.base_url, "JAINAM_APP_URL": sim.base_url,
            "JAINAM_APP_API_KEY": DEMO_APP_KEY, **creds_env(DEMO_CREDENTIALS),
        }  # fmt: skip
        first = cli("run", "--evidence-dir", str(evidence / "a"), env=env, cwd=isolated_environment)
        waived = cli(
            "run", "--allow-empty", "positions", "--evidence-dir", str(evidence / "b"),
            env=env, cwd=isolated_environment,
        )  # fmt: skip
    assert first.code == 5, first.output  # INCONCLUSIVE, never PASS on nothing compared
    (folder,) = run_folders(evidence / "a")
    check = manifest(folder)["checks"]["iv2:positions"]
    # the adapter answers an empty position book with HTTP 500: not a broken session here
    assert check["status"] == "not_proven" and "nothing to compare" in check["detail"]
    assert manifest(folder)["checks"]["latency:app_positions"]["status"] != "pass"
    assert waived.code == 0, waived.output
    (folder,) = run_folders(evidence / "b")
    assert manifest(folder)["checks"]["iv2:positions"]["status"] == "waived"


def test_a_pass_stopped_before_iv2_says_so_and_never_that_the_url_was_unset(
    isolated_environment: Path,
) -> None:
    evidence = isolated_environment / "ev"
    with Simulator() as sim:
        env = {
            "JAINAM_BASE_URL": sim.base_url, "JAINAM_APP_URL": sim.base_url,
            "JAINAM_APP_API_KEY": DEMO_APP_KEY, **creds_env(DEMO_CREDENTIALS),
            "JAINAM_INTERACTIVE_API_SECRET": "not-the-secret-123",
        }  # fmt: skip
        result = cli("run", "--evidence-dir", str(evidence), env=env, cwd=isolated_environment)
    assert result.code == 3
    (folder,) = run_folders(evidence)
    m = manifest(folder)
    assert {m["checks"][f"iv2:{b}"]["status"] for b in BOOKS} == {"not_proven"}
    assert m["iv2"]["reason"].startswith("not reached")
    report = (folder / "report.md").read_text()
    assert "JAINAM_APP_URL` was not set" not in report and "not reached" in report


@pytest.mark.parametrize(
    "url",
    [
        "http://admin:s3cret@127.0.0.1:5000",
        "http://127.0.0.1:5000/?x=1",
        "http://127.0.0.1:5000/api",
    ],
)
def test_an_application_url_with_a_user_query_or_path_is_refused_without_quoting_it(
    url: str, isolated_environment: Path
) -> None:
    env = {
        "JAINAM_APP_URL": url,
        "JAINAM_APP_API_KEY": DEMO_APP_KEY,
        "JAINAM_BASE_URL": "http://127.0.0.1:9",
    }
    result = cli("run", env={**env, **creds_env(DEMO_CREDENTIALS)}, cwd=isolated_environment)
    assert result.code == 2
    assert "JAINAM_APP_URL must be the application's root" in result.stderr
    assert "s3cret" not in result.output and "x=1" not in result.output


def test_only_run_needs_the_application(isolated_environment: Path) -> None:
    with Simulator() as sim:
        env = {
            "JAINAM_BASE_URL": sim.base_url,
            "JAINAM_APP_URL": sim.base_url,
            **creds_env(DEMO_CREDENTIALS),
        }  # fmt: skip  (no JAINAM_APP_API_KEY: fetch never asks the application)
        fetched = cli("fetch", "positions", env=env, cwd=isolated_environment)
        ran = cli("run", env=env, cwd=isolated_environment)
    assert fetched.code == 0, fetched.output
    assert ran.code == 2 and "JAINAM_APP_API_KEY is not set" in ran.stderr
