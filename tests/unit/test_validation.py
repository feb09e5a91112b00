from __future__ import annotations

import hashlib
import json
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
from jainam_validate.validation import PassOptions, execute
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
    assert manifest["schema_version"] == 2 and manifest["exit_code"] == 0
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
