from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import respx

from jainam_validate import errors
from jainam_validate.credentials import CREDENTIAL_NAMES, KeyringStore
from jainam_validate.errors import ExitCode
from jainam_validate.evidence import read_timings
from jainam_validate.redact import Redactor
from jainam_validate.settings import Layers, Settings
from jainam_validate.validation import Pass, PassOptions, SessionPlan, execute, plan
from tests.support.xts_fakes import CLIENT, ROOT, TOKEN_I, USER, envelope, investor_router

SECRETS = {n: f"{n.lower()}-Ab$cd${{X}}#9" for n in CREDENTIAL_NAMES}


def run(
    router: respx.Router, tmp_path: Path, options: PassOptions, env: dict[str, str] | None = None
):
    layers = Layers({"JAINAM_BASE_URL": ROOT, **SECRETS, **(env or {})}, {}, KeyringStore(object()))
    settings = Settings.resolve(layers, evidence_dir=tmp_path / "evidence")
    return execute(
        settings,
        layers,
        options,
        redactor=Redactor(b"k" * 32),
        store=None,
        transport=httpx.MockTransport(router.handler),
    )


def folder_text(folder: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(folder.rglob("*")) if p.is_file())


def test_fetch_writes_a_complete_checksummed_folder_with_nothing_raw(tmp_path: Path) -> None:
    result = run(
        investor_router(),
        tmp_path,
        PassOptions(command="fetch holdings", flows=("holdings",), iterations=3),
    )
    folder = result.folder.path
    assert result.exit_code is ExitCode.OK
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert names == [
        "SHA256SUMS",
        "report.md",
        "run.json",
        "samples/holdings.json",
        "timings.jsonl",
    ]
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    manifest = json.loads((folder / "run.json").read_text())
    assert manifest["schema_version"] == 3 and manifest["exit_code"] == 0
    assert manifest["target"] == {
        "kind": "live",
        "host": "xts.test:4143",
        "market_data_prefix": None,
    }
    assert manifest["flows"]["holdings"]["samples"] == 3
    assert manifest["credential_sources"]["JAINAM_INTERACTIVE_API_KEY"] == "env"
    records = read_timings(folder)
    assert [r.flow for r in records] == ["login_interactive"] + ["holdings"] * 3
    assert [r.sample for r in records[1:]] == [1, 2, 3]
    text = folder_text(folder)
    for raw in (TOKEN_I, USER, CLIENT, *SECRETS.values()):
        assert raw not in text


def test_a_failing_flow_gives_exit_1_and_still_a_folder(tmp_path: Path) -> None:
    router = investor_router()
    router.get("/interactive/portfolio/holdings").mock(
        return_value=httpx.Response(
            500, text="<html>Error</html>", headers={"content-type": "text/html"}
        )
    )
    result = run(router, tmp_path, PassOptions(command="fetch holdings", flows=("holdings",)))
    assert result.exit_code is ExitCode.CHECKS_FAILED
    manifest = json.loads((result.folder.path / "run.json").read_text())
    assert manifest["checks"]["flow:holdings"]["status"] == "fail"
    assert not (result.folder.path / "samples" / "holdings.json").exists()


def test_rejected_token_gives_exit_3(tmp_path: Path) -> None:
    router = respx.Router(base_url=ROOT)
    # the renewal (credentials are configured) is rejected too: the token stays rejected
    router.post("/interactive/user/session").mock(
        return_value=httpx.Response(
            400, json=envelope({}, code="e-user-0005", type_="error", description="Invalid key")
        )
    )
    router.get("/interactive/orders/trades").mock(
        return_value=httpx.Response(
            400,
            json=envelope({}, code="e-session-0007", type_="error", description="Invalid Token"),
        )
    )
    result = run(
        router,
        tmp_path,
        PassOptions(command="fetch tradebook", flows=("tradebook",)),
        {"JAINAM_INTERACTIVE_SESSION_TOKEN": TOKEN_I, "JAINAM_ACCOUNT_TYPE": "investor"},
    )
    assert result.exit_code is ExitCode.AUTH
    assert result.manifest.session_origin == "env"
    assert TOKEN_I not in folder_text(result.folder.path)


def test_reused_token_needs_an_account_type_before_any_folder(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError, match="JAINAM_ACCOUNT_TYPE"):
        run(
            respx.Router(base_url=ROOT),
            tmp_path,
            PassOptions(command="fetch", flows=("holdings",)),
            {"JAINAM_INTERACTIVE_SESSION_TOKEN": TOKEN_I},
        )
    assert not (tmp_path / "evidence").exists()


def test_login_failure_is_raised_after_the_folder_is_finished(tmp_path: Path) -> None:
    router = respx.Router(base_url=ROOT)
    router.post("/interactive/user/session").mock(
        return_value=httpx.Response(
            400,
            json=envelope({}, code="e-user-0005", type_="error", description="Invalid credentials"),
        )
    )
    with pytest.raises(errors.AuthError):
        run(router, tmp_path, PassOptions(command="fetch positions", flows=("positions",)))
    (folder,) = (tmp_path / "evidence").iterdir()
    manifest = json.loads((folder / "run.json").read_text())
    assert manifest["exit_code"] == 3 and manifest["error"].startswith("AuthError")
    assert (folder / "report.md").exists() and (folder / "SHA256SUMS").exists()


def test_leak_guard_stops_a_write_when_redaction_misses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Weaken redaction on purpose, in-process: the normalised rows' account field is no longer
    # pseudonymised and the value scrubber is switched off. The guard still knows the client
    # code from the configuration.
    from jainam_validate import harness, redact

    fields = {k: v for k, v in harness.IDENTIFIER_FIELDS.items() if k != "account"}
    monkeypatch.setattr(harness, "IDENTIFIER_FIELDS", fields)
    monkeypatch.setattr(redact.Redactor, "scrub", lambda self, text: text)
    with pytest.raises(errors.LeakDetected) as caught:
        run(
            investor_router(),
            tmp_path,
            PassOptions(command="fetch positions", flows=("positions",)),
            {"JAINAM_CLIENT_ID": CLIENT},
        )
    assert caught.value.exit_code == ExitCode.LEAK
    assert "samples/positions.json" in str(caught.value)
    assert CLIENT not in str(caught.value)
    (folder,) = (tmp_path / "evidence").iterdir()
    assert caught.value.run_dir == folder  # the stop names the folder it left
    assert not (folder / "samples" / "positions.json").exists()
    manifest = json.loads((folder / "run.json").read_text())
    assert manifest["exit_code"] == 7
    assert CLIENT not in folder_text(folder)


def test_an_unexpected_bug_still_finishes_the_folder_and_hides_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jainam_validate import harness

    def boom(*args: object, **kwargs: object) -> None:
        raise ValueError(f"invalid literal for int(): {CLIENT!r}")  # a message quoting data

    monkeypatch.setattr(harness.Harness, "fetch", boom)
    with pytest.raises(errors.InternalError) as caught:
        run(investor_router(), tmp_path, PassOptions(command="fetch", flows=("positions",)))
    assert "ValueError in test_validation.py:" in str(caught.value)
    assert CLIENT not in str(caught.value)
    (folder,) = (tmp_path / "evidence").iterdir()
    manifest = json.loads((folder / "run.json").read_text())
    assert manifest["exit_code"] == 1 and manifest["error"].startswith("InternalError")
    assert (folder / "SHA256SUMS").exists() and CLIENT not in folder_text(folder)


# -- the Pass, step by step --------------------------------------------------------------------
def start(
    router: respx.Router, tmp_path: Path, options: PassOptions, env: dict[str, str] | None = None
) -> Pass:
    layers = Layers({"JAINAM_BASE_URL": ROOT, **SECRETS, **(env or {})}, {}, KeyringStore(object()))
    settings = Settings.resolve(layers, evidence_dir=tmp_path / "evidence")
    return Pass(
        plan(settings, layers, options, None),
        options,
        redactor=Redactor(b"k" * 32),
        store=None,
        transport=httpx.MockTransport(router.handler),
    )


def test_plan_comes_first_and_says_where_the_session_comes_from(tmp_path: Path) -> None:
    fetch = PassOptions(command="fetch", flows=("holdings",))

    def plan_for(env: dict[str, str], options: PassOptions = fetch) -> SessionPlan:
        layers = Layers({**SECRETS, **env}, {}, KeyringStore(object()))
        return plan(Settings.resolve(layers, evidence_dir=tmp_path / "ev"), layers, options, None)

    with pytest.raises(errors.MissingCredential, match="JAINAM_BASE_URL is not set"):
        plan_for({})
    login = plan_for({"JAINAM_BASE_URL": ROOT})
    assert (login.origin, login.cached, login.root) == ("login", None, ROOT)
    assert login.settings.credentials  # a login needs them
    tokens = {"JAINAM_BASE_URL": ROOT, "JAINAM_INTERACTIVE_SESSION_TOKEN": TOKEN_I}
    assert plan_for({**tokens, "JAINAM_ACCOUNT_TYPE": "investor"}).origin == "env"
    unused = PassOptions(command="fetch", reuse_session=False)
    assert plan_for({**tokens, "JAINAM_ACCOUNT_TYPE": "investor"}, unused).origin == "login"
    assert not (tmp_path / "ev").exists()  # planning creates no folder


def test_a_pass_opens_sessions_runs_flows_and_finishes_in_named_steps(tmp_path: Path) -> None:
    options = PassOptions(command="fetch", flows=("positions", "holdings"), iterations=2)
    run = start(investor_router(), tmp_path, options)
    assert run.folder.path.is_dir() and run.records == []  # the folder exists, nothing sent
    session = run.open_sessions()
    assert run.session is session and session.origin == "login"
    assert (run.manifest.account_type, run.manifest.session_origin) == ("investor", "login")
    assert [r.flow for r in run.records] == ["login_interactive"]
    run.run_flows(session)
    run.client.close()
    assert [(r.flow, r.sample) for r in run.records[1:]] == [
        ("positions", 1),
        ("holdings", 1),
        ("positions", 2),
        ("holdings", 2),
    ]
    assert {f: r.sample for f, r in run.samples.items()} == {"positions": 2, "holdings": 2}
    result = run.finish()
    assert result.exit_code is ExitCode.OK and result.records is run.records
    assert result.session is session and result.samples is run.samples
    folder = result.folder.path
    assert (folder / "samples" / "holdings.json").exists() and (folder / "SHA256SUMS").exists()
    assert json.loads((folder / "run.json").read_text())["verdict"] == "PASS"


def test_drive_keeps_a_login_failure_and_finish_raises_it_after_the_folder(
    tmp_path: Path,
) -> None:
    router = respx.Router(base_url=ROOT)
    router.post("/interactive/user/session").mock(
        return_value=httpx.Response(
            400, json=envelope({}, code="e-user-0005", type_="error", description="Invalid key")
        )
    )
    run = start(router, tmp_path, PassOptions(command="fetch", flows=("holdings",)))
    run.drive()  # never raises for a stop
    assert isinstance(run.failure, errors.AuthError)
    assert run.session is None and run.session_failure is run.failure
    assert [r.flow for r in run.records] == ["login_interactive"]
    with pytest.raises(errors.AuthError):
        run.finish()
    manifest = json.loads((run.folder.path / "run.json").read_text())
    assert manifest["exit_code"] == 3 and manifest["error"].startswith("AuthError")
    assert (run.folder.path / "SHA256SUMS").exists()


def test_a_market_data_failure_is_kept_and_the_books_still_run(tmp_path: Path) -> None:
    router = investor_router()
    router.post("/apibinarymarketdata/auth/login").mock(
        return_value=httpx.Response(
            400, json=envelope({}, code="e-user-0005", type_="error", description="Invalid key")
        )
    )
    options = PassOptions(command="run", flows=("holdings",), market_session=True, pnl=True)
    run = start(router, tmp_path, options)
    run.drive()
    assert run.failure is None and isinstance(run.market_failure, errors.AuthError)
    assert run.holdings_pnl is None  # no market session: nothing priced
    assert [r.flow for r in run.records] == ["login_interactive", "login_market", "holdings"]
    assert run.finish().exit_code is ExitCode.AUTH  # a rejected key pair is exit 3


def test_price_holdings_quotes_the_holdings_and_prices_the_kept_sample(tmp_path: Path) -> None:
    router = investor_router()
    quote = json.dumps(
        {
            "MessageCode": 1502,
            "ExchangeSegment": 1,
            "ExchangeInstrumentID": 2885,
            "Touchline": {"LastTradedPrice": 3000, "Close": 1.0},
        }
    )
    quotes = router.post("/apibinarymarketdata/instruments/quotes").mock(
        return_value=httpx.Response(200, json=envelope({"listQuotes": [quote]}))
    )
    options = PassOptions(command="run", flows=("holdings",), market_session=True, pnl=True)
    run = start(router, tmp_path, options)
    events: list[tuple[str, int]] = []
    run.on_event = lambda step, sample: events.append((step, sample))
    run.drive()
    assert run.failure is None and quotes.call_count == 1
    assert events == [("session", 0), ("holdings", 1), ("quotes", 1)]
    assert [r.flow for r in run.records] == [
        "login_interactive",
        "login_market",
        "holdings",
        "quotes",
    ]
    priced = run.holdings_pnl
    assert priced is not None and priced.status == "pass"
    assert priced.total_pnl == Decimal(1200) * (Decimal(3000) - Decimal("2853.50"))
    assert run.samples["holdings"].rows == priced.rows  # the kept sample carries the prices
    assert run.finish().exit_code is ExitCode.OK


def test_an_interrupt_is_kept_by_drive_and_raised_by_finish_after_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jainam_validate import harness

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(harness.Harness, "fetch", interrupt)
    run = start(investor_router(), tmp_path, PassOptions(command="fetch", flows=("holdings",)))
    run.drive()
    assert run.interrupted and run.failure is None and run.session is not None
    with pytest.raises(KeyboardInterrupt):
        run.finish()
    manifest = json.loads((run.folder.path / "run.json").read_text())
    assert manifest["exit_code"] == 130 and manifest["interrupted"] is True
