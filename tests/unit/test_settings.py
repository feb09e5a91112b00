from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jainam_validate import errors
from jainam_validate.credentials import CREDENTIAL_NAMES, KeyringStore, fingerprint
from jainam_validate.settings import (
    AccountType,
    Layers,
    Settings,
    pseudonym_key,
    read_dotenv,
    validate_base_url,
)


class MemoryBackend:
    priority = 1

    def __init__(self, data: dict[str, str] | None = None) -> None:
        self.data = data or {}
        self.reads = 0

    def get_password(self, service: str, name: str) -> str | None:
        self.reads += 1
        return self.data.get(name)

    def set_password(self, service: str, name: str, value: str) -> None:
        self.data[name] = value

    def delete_password(self, service: str, name: str) -> None:
        del self.data[name]


def layers(
    env: dict[str, str] | None = None,
    dotenv: dict[str, str] | None = None,
    keyring: dict[str, str] | None = None,
) -> Layers:
    return Layers(env or {}, dotenv or {}, KeyringStore(MemoryBackend(keyring)))


def test_dotenv_keeps_dollar_brace_and_hash_byte_for_byte(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("JAINAM_INTERACTIVE_API_SECRET='Ab$cd${X}#9'\nJAINAM_SOURCE=WEBAPI\n")
    assert read_dotenv(env)["JAINAM_INTERACTIVE_API_SECRET"] == "Ab$cd${X}#9"


def test_malformed_dotenv_names_the_line_and_never_the_value(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("JAINAM_SOURCE=WEBAPI\nthis is not an assignment s3cret\n")
    with pytest.raises(errors.ConfigError) as caught:
        read_dotenv(env)
    assert "line 2" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    assert caught.value.exit_code == errors.ExitCode.USAGE


def test_precedence_env_then_dotenv_then_keyring_and_empty_counts_as_unset() -> None:
    name = CREDENTIAL_NAMES[0]
    assert layers({name: "e"}, {name: "d"}, {name: "k"}).lookup(name).source == "env"  # type: ignore[union-attr]
    assert layers({name: ""}, {name: "d"}, {name: "k"}).lookup(name).source == ".env"  # type: ignore[union-attr]
    found = layers({}, {}, {name: "k"}).lookup(name)
    assert found is not None and found.source == "keyring"
    assert found.value.get_secret_value() == "k"
    assert layers().lookup(name) is None


def test_keyring_is_only_asked_for_the_four_secrets() -> None:
    backend = MemoryBackend({"JAINAM_BASE_URL": "https://evil"})
    lay = Layers({}, {}, KeyringStore(backend))
    assert lay.lookup("JAINAM_BASE_URL") is None
    assert backend.reads == 0


def test_missing_credential_names_the_variable() -> None:
    settings = Settings.resolve(layers({"JAINAM_BASE_URL": "https://h:1"}))
    with pytest.raises(errors.MissingCredential) as caught:
        settings.with_credentials(layers({CREDENTIAL_NAMES[0]: "x"}))
    assert CREDENTIAL_NAMES[1] in str(caught.value)


def test_secrets_never_appear_in_settings_repr() -> None:
    creds = {n: f"value-{i}-s3cret" for i, n in enumerate(CREDENTIAL_NAMES)}
    lay = layers({"JAINAM_BASE_URL": "https://h:1", **creds})
    settings = Settings.resolve(lay).with_credentials(lay)
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())
    assert settings.secret(CREDENTIAL_NAMES[0]) == "value-0-s3cret"


def test_defaults_client_id_is_the_pro_placeholder_and_source_webapi() -> None:
    settings = Settings.resolve(layers())
    assert settings.client_id.get_secret_value() == "*****"
    assert settings.source == "WEBAPI"
    assert settings.market_data_prefix == "/apibinarymarketdata"
    assert settings.account_type is None
    assert (
        Settings.resolve(layers({"JAINAM_ACCOUNT_TYPE": "Dealer"})).account_type
        is AccountType.DEALER
    )


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"JAINAM_ACCOUNT_TYPE": "pro"}, "JAINAM_ACCOUNT_TYPE"),
        ({"JAINAM_MARKET_DATA_PREFIX": "apimarketdata"}, "JAINAM_MARKET_DATA_PREFIX"),
        ({"JAINAM_BASE_URL": "smpb.jainam.in:4143"}, "JAINAM_BASE_URL"),
        # was "internal error: InvalidURL" (exit 1) from inside httpx
        ({"JAINAM_BASE_URL": "https://host:4143a"}, "JAINAM_BASE_URL has a port"),
    ],
)
def test_bad_values_are_config_errors(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(errors.ConfigError, match=fragment):
        Settings.resolve(layers(env))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://smpb.jainam.in:4143", True),
        ("https://smpb.jainam.in:4143/", True),
        ("https://u:p@h:1", False),
        ("https://h:1/interactive", False),
        ("https://h/apibinarymarketdata", False),
        ("ftp://h", False),
        ("https://h?x=1", False),
    ],
)
def test_validate_base_url(url: str, ok: bool) -> None:
    if ok:
        assert validate_base_url(url) == "https://smpb.jainam.in:4143"
    else:
        with pytest.raises(errors.ConfigError):
            validate_base_url(url)


def test_pseudonym_key_is_created_once_private_and_stable(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    first, warning = pseudonym_key(env)
    second, _ = pseudonym_key(env)
    assert warning is None and first == second and len(first) == 32
    path = tmp_path / "jainam-validate" / "pseudonym.key"
    assert path.stat().st_mode & 0o777 == 0o600


def test_fingerprint_shows_length_and_four_hex_only() -> None:
    value = "Ab$cd${X}#9"
    shown = fingerprint(value)
    assert shown.startswith(f"len={len(value)} sha256:") and len(shown.split(":")[1]) == 4
    assert value not in shown


class FailingBackend(MemoryBackend):
    def get_password(self, service: str, name: str) -> Any:
        raise RuntimeError("dbus is gone")


def test_keyring_errors_are_soft_and_reported_once() -> None:
    store = KeyringStore(FailingBackend())
    assert store.get(CREDENTIAL_NAMES[0]) is None
    assert store.unavailable_reason == "keyring error (RuntimeError)"
    assert store.get(CREDENTIAL_NAMES[1]) is None


def test_fail_backend_means_unavailable() -> None:
    from keyring.backends import fail

    store = KeyringStore(fail.Keyring())
    assert store.get(CREDENTIAL_NAMES[0]) is None
    assert store.unavailable_reason == "no keyring backend on this machine"


@pytest.mark.parametrize("app_key", ["", "oa-typed-key-123456"])
def test_the_prompt_asks_for_the_application_key_as_optional(app_key: str) -> None:
    from jainam_validate.credentials import APP_KEY_NAME, collect
    from jainam_validate.settings import Layers

    asked: list[tuple[str, bool]] = []

    def prompt(name: str, optional: bool) -> str:
        asked.append((name, optional))
        return app_key if optional else f"typed-{name}"

    values = collect(Layers({}, {}, None), from_env=False, prompt=prompt)
    assert asked == [*((n, False) for n in CREDENTIAL_NAMES), (APP_KEY_NAME, True)]
    assert (APP_KEY_NAME in values) is bool(app_key)  # Enter skips it
    assert all(values[n] == f"typed-{n}" for n in CREDENTIAL_NAMES)
