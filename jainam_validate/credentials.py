"""The OS keyring, as one optional source of credentials and the session-token cache.

Keyring failures are never fatal: on a headless machine or a CI runner there is usually no
backend (``NoKeyringError`` or the ``fail`` backend), and every command must still work from
the environment and ``.env``. :class:`KeyringStore` turns every backend error into
"unavailable" once, with a one-line reason the CLI prints a single time. Values are never
logged; :func:`fingerprint` is what a user sees instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from jainam_validate import errors

SERVICE = "jainam-validate"

#: The four secrets ``store-creds`` manages, by their environment names.
CREDENTIAL_NAMES: tuple[str, ...] = (
    "JAINAM_INTERACTIVE_API_KEY",
    "JAINAM_INTERACTIVE_API_SECRET",
    "JAINAM_MARKET_API_KEY",
    "JAINAM_MARKET_API_SECRET",
)
#: The application's API key (IV2): an optional fifth secret, kept like the four.
APP_KEY_NAME = "JAINAM_APP_API_KEY"
#: Every name the keyring may hold a value for.
KEYRING_NAMES: tuple[str, ...] = (*CREDENTIAL_NAMES, APP_KEY_NAME)
#: Session tokens a user may hand over to reuse a session (env or .env only).
SESSION_TOKEN_NAMES: tuple[str, str] = (
    "JAINAM_INTERACTIVE_SESSION_TOKEN",
    "JAINAM_MARKET_SESSION_TOKEN",
)


def fingerprint(value: str) -> str:
    """Length and the first 4 hex of SHA-256: enough to tell two secrets apart, nothing more."""
    return f"len={len(value)} sha256:{hashlib.sha256(value.encode()).hexdigest()[:4]}"


class KeyringStore:
    """Reads and writes ``jainam-validate`` entries in the OS keyring, failing soft."""

    def __init__(self, backend: Any = None) -> None:
        self._backend = backend
        self._unavailable: str | None = None
        self._checked = False

    def _keyring(self) -> Any | None:
        if self._checked:
            return None if self._unavailable else self._backend
        self._checked = True
        try:
            if self._backend is None:
                import keyring  # imported lazily: backend discovery costs start-up time

                self._backend = keyring.get_keyring()
            from keyring.backends import fail

            if (
                isinstance(self._backend, fail.Keyring)
                or getattr(self._backend, "priority", 1) <= 0
            ):
                self._unavailable = "no keyring backend on this machine"
        except Exception as exc:  # any backend import/discovery failure means "no keyring"
            self._unavailable = f"keyring error ({type(exc).__name__})"
        return None if self._unavailable else self._backend

    @property
    def consulted(self) -> bool:
        """Whether anything has asked the keyring yet (the CLI's note is about real use)."""
        return self._checked

    def fallback_note(self) -> str | None:
        """The one line to print when the keyring was asked but could not answer."""
        if self.consulted and self.unavailable_reason:
            return f"note: keyring unavailable ({self.unavailable_reason}); using env/.env only"
        return None

    @property
    def unavailable_reason(self) -> str | None:
        """None when the keyring works; otherwise a short reason (checked on first use)."""
        self._keyring()
        return self._unavailable

    def get(self, name: str) -> str | None:
        backend = self._keyring()
        if backend is None:
            return None
        try:
            value = backend.get_password(SERVICE, name)
        except Exception as exc:
            self._unavailable = f"keyring error ({type(exc).__name__})"
            return None
        return value or None

    def set(self, name: str, value: str) -> None:
        """Store one value; raises KeyringError (without the value) if the keyring refuses."""
        backend = self._keyring()
        if backend is None:
            raise errors.KeyringError(self._unavailable or "keyring unavailable")
        try:
            backend.set_password(SERVICE, name, value)
        except Exception as exc:
            raise errors.KeyringError(
                f"keyring refused to store {name} ({type(exc).__name__})"
            ) from None

    def delete(self, name: str) -> bool:
        """Delete one entry; False when there was none or the keyring is unavailable."""
        backend = self._keyring()
        if backend is None:
            return False
        try:
            backend.delete_password(SERVICE, name)
        except Exception:
            return False
        return True


@dataclass(frozen=True)
class CachedSession:
    """Session tokens kept by ``login`` so later commands reuse them (one md session per key)."""

    host: str
    interactive_token: str
    market_token: str | None
    account_type: str
    market_data_prefix: str | None
    interactive_expires: int | None
    market_expires: int | None

    def __repr__(self) -> str:  # never show tokens, even in a debugger
        return f"CachedSession(host={self.host!r}, account_type={self.account_type!r})"


def _session_entry(host: str) -> str:
    return f"session:{host}"


def save_session(store: KeyringStore, session: CachedSession) -> None:
    store.set(_session_entry(session.host), json.dumps(asdict(session)))


def load_session(store: KeyringStore, host: str) -> CachedSession | None:
    """The cached session for ``host``, or None (absent, unreadable or keyring unavailable)."""
    text = store.get(_session_entry(host))
    if not text:
        return None
    try:
        return CachedSession(**json.loads(text))
    except (ValueError, TypeError):
        return None


def forget_session(store: KeyringStore, host: str) -> bool:
    return store.delete(_session_entry(host))


@dataclass(frozen=True)
class SourceReport:
    """Where one setting would come from, its fingerprint (a credential's; never its value) or
    its value (the broker root's, without any user part or path), and what to do next."""

    source: str | None
    fingerprint: str | None
    note: str | None = None
    value: str | None = None


#: The values .env.example holds for the four secrets (tests hold the file to them): a copy
#: that was never filled in logs in with these and is rejected.
PLACEHOLDERS = frozenset(
    {"your-interactive-app-key", "your-interactive-secret", "your-market-data-app-key",
     "your-market-data-secret"}
)  # fmt: skip
_NEXT = "next: put it in .env (see .env.example) or run `jainam-validate store-creds`"
_OPTIONAL = "optional: the application's key, for the IV2 cross-check with JAINAM_APP_URL"


def check_sources(layers: Any) -> dict[str, SourceReport]:
    """``store-creds --check``: the broker root, then per credential the source that supplies
    it (env, .env, keyring) and its fingerprint, in precedence order (``layers`` is
    settings.Layers); a gap or a value still equal to .env.example's placeholder says what to
    do next."""
    report: dict[str, SourceReport] = {"JAINAM_BASE_URL": _base_url_report(layers)}
    for name in KEYRING_NAMES:
        found = layers.lookup(name)
        if found is None:
            report[name] = SourceReport(None, None, _NEXT if name != APP_KEY_NAME else _OPTIONAL)
            continue
        value = found.value.get_secret_value()
        note = (
            "still .env.example's placeholder: put the real value in its place"
            if value.strip() in PLACEHOLDERS
            else None
        )
        report[name] = SourceReport(found.source, fingerprint(value), note)
    report["JAINAM_APP_URL"] = _base_url_report(layers, "JAINAM_APP_URL")
    return report


def _base_url_report(layers: Any, name: str = "JAINAM_BASE_URL") -> SourceReport:
    from urllib.parse import urlsplit

    found = layers.lookup(name, use_keyring=False)
    if found is None:
        if name != "JAINAM_BASE_URL":
            return SourceReport(None, None, "optional: the application under test, for IV2")
        return SourceReport(None, None, "next: set it to the broker root, or use --sim")
    parts = urlsplit(found.value.get_secret_value().strip())
    shown = f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return SourceReport(found.source, None, None, shown)


def ensure_available(store: KeyringStore) -> None:
    """Raise KeyringError (exit 2) when there is no usable keyring, before anything is asked."""
    if store.unavailable_reason:
        raise errors.KeyringError(
            f"keyring unavailable ({store.unavailable_reason}): keep the secrets in .env "
            "(chmod 600, single-quoted) or the environment instead"
        )


def store_all(store: KeyringStore, values: dict[str, str]) -> list[str]:
    """Store each value; returns one line per entry (name and fingerprint, never the value).
    Raises KeyringError (exit 2) when the keyring is unavailable or refuses."""
    ensure_available(store)
    lines = []
    for name, value in values.items():
        store.set(name, value)
        lines.append(f"stored {name} ({fingerprint(value)})")
    return lines


def delete_all(store: KeyringStore, host: str | None) -> list[str]:
    """Remove the four secrets (and the cached session tokens of ``host``); returns lines."""
    ensure_available(store)
    removed = [n for n in KEYRING_NAMES if store.delete(n)]
    lines = [f"removed {len(removed)} of {len(KEYRING_NAMES)} credentials from the keyring"]
    if host and forget_session(store, host):
        lines.append("removed the cached session tokens of JAINAM_BASE_URL's host")
    return lines


def collect(
    layers: Any, *, from_env: bool, prompt: Callable[[str, bool], str] | None
) -> dict[str, str]:
    """The secrets ``store-creds`` keeps: copied from env/.env (``from_env``; a missing one
    is named), or typed at a hidden ``prompt(name, optional)`` (None: there is no terminal, a
    usage error that says to use --from-env). The application's key is optional: kept when
    given, skipped with Enter."""
    values: dict[str, str] = {}
    for name in KEYRING_NAMES:
        if name == APP_KEY_NAME:  # optional: kept when given, never asked for twice
            if from_env:
                found = layers.lookup(name, use_keyring=False)
                if found is not None:
                    values[name] = found.value.get_secret_value()
            elif prompt is not None:
                typed = prompt(name, True)
                if typed:
                    values[name] = typed
            continue
        if from_env:
            found = layers.lookup(name, use_keyring=False)
            if found is None:
                raise errors.MissingCredential.for_variable(name)
            values[name] = found.value.get_secret_value()
        elif prompt is None:
            raise errors.UsageError(
                "no terminal to prompt on: use --from-env to copy the secrets from the "
                "environment or .env"
            )
        else:
            values[name] = prompt(name, False)
    return values
