"""Configuration: where every ``JAINAM_*`` value comes from, resolved once into :class:`Settings`.

Precedence, written down once (docs/contract.md "Configuration"):

1. the process environment;
2. ``.env`` in the working directory, read with python-dotenv with interpolation **off**, so
   ``$name`` and ``${name}`` reach the broker byte for byte (single-quote secrets: an unquoted
   `` #`` starts a comment);
3. the OS keyring (service ``jainam-validate``), for the four API secrets only.

A variable set to the empty string counts as unset. Secrets are ``SecretStr`` and are unwrapped
only where a login body is built. This module also owns the per-installation pseudonym key.
"""

from __future__ import annotations

import difflib
import os
import secrets
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from jainam_validate import errors
from jainam_validate.credentials import (
    CREDENTIAL_NAMES,
    KEYRING_NAMES,
    SESSION_TOKEN_NAMES,
    KeyringStore,
)
from jainam_validate.xts import MARKET_DATA_PREFIXES, PRO_CLIENT_ID

Source = Literal["env", ".env", "keyring", "sim", "replay"]

#: Every variable the harness reads, with what .env.example and the README say of it.
VARIABLES: dict[str, str] = {
    "JAINAM_BASE_URL": "broker root, e.g. https://smpb.jainam.in:4143 (no path)",
    "JAINAM_MARKET_DATA_PREFIX": "market-data prefix, default /apibinarymarketdata",
    "JAINAM_INTERACTIVE_API_KEY": "interactive app key",
    "JAINAM_INTERACTIVE_API_SECRET": "interactive app secret",
    "JAINAM_MARKET_API_KEY": "market-data app key",
    "JAINAM_MARKET_API_SECRET": "market-data app secret",
    "JAINAM_CLIENT_ID": "client code for dealer logins, default ***** (the pro account)",
    "JAINAM_SOURCE": "login source, default WEBAPI",
    "JAINAM_INTERACTIVE_SESSION_TOKEN": "reuse this interactive session token",
    "JAINAM_MARKET_SESSION_TOKEN": "reuse this market-data session token",
    "JAINAM_ACCOUNT_TYPE": "auto (default), investor or dealer",
    "JAINAM_EVIDENCE_DIR": "where run folders go, default ./evidence",
    "JAINAM_APP_URL": "the application under test (OpenAlgo), e.g. http://127.0.0.1:5000: "
    "adds the IV2 cross-check to run",
    "JAINAM_APP_API_KEY": "the application's API key (a secret, like the four above)",
}


def misspelled(environ: Mapping[str, str], dotenv: Mapping[str, str]) -> list[str]:
    """A warning for each name that looks like one of ours (``JAINAM_`` in any case) and is
    not one we read, with the closest one we do: a typo in .env otherwise fails later as "not
    set", far from its cause. Names only, never values."""
    from jainam_validate.inert import visible

    warnings = []
    for where, names in (("the environment", environ), (".env", dotenv)):
        for name in sorted(names):
            if not name.upper().startswith(_PREFIX) or name in VARIABLES:
                continue
            # judged without the prefix every name shares, which would make anything "close"
            guess = difflib.get_close_matches(name.upper()[len(_PREFIX) :], _TAILS, n=1)
            hint = (
                f"did you mean {_PREFIX}{guess[0]}?" if guess else ".env.example lists every name"
            )
            warnings.append(
                f"warning: {visible(name)} in {where} is not a name jainam-validate reads; {hint}"
            )
    return warnings


_PREFIX = "JAINAM_"
_TAILS = [name[len(_PREFIX) :] for name in VARIABLES]


class AccountType(StrEnum):
    INVESTOR = "investor"
    DEALER = "dealer"


class Sourced(BaseModel):
    """A configured value and where it came from (shown by ``store-creds --check``)."""

    model_config = ConfigDict(frozen=True)

    value: SecretStr
    source: Source


def read_dotenv(path: Path) -> dict[str, str]:
    """Read ``.env`` without interpolation. Raises ConfigError naming the bad line."""
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise errors.ConfigError(
            f"cannot read {path.name}: {exc.strerror}; fix its permissions or remove it"
        ) from None
    except UnicodeDecodeError:
        raise errors.ConfigError(f"{path.name} is not UTF-8 text; save it as UTF-8") from None
    import io

    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise errors.ConfigError(
                f"{path.name} line {binding.original.line} cannot be parsed: write KEY='value' "
                "(single quotes keep $, # and spaces as they are)"
            )
    # quirk XQ19: secrets may hold "$"; interpolation off keeps "$name" and "${name}" as typed
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    return {k: v for k, v in values.items() if v}


def dotenv_in_cwd() -> dict[str, str]:
    """The working directory's ``.env`` (read as :func:`read_dotenv` does), or nothing."""
    path = Path.cwd() / ".env"
    return read_dotenv(path) if path.exists() else {}


class Layers:
    """The three sources, consulted in precedence order; keyring lazily and only for secrets.

    ``--sim`` passes no keyring and the simulator's demo credentials as ``sim`` values.
    """

    def __init__(
        self,
        environ: Mapping[str, str],
        dotenv: Mapping[str, str],
        keyring: KeyringStore | None,
        sim: Mapping[str, str] | None = None,
        sim_source: Source = "sim",
    ) -> None:
        self.environ = environ
        self.dotenv = dotenv
        self.keyring = keyring
        self.sim = sim or {}
        self.sim_source = sim_source

    @classmethod
    def here(cls, keyring: KeyringStore | None) -> Layers:
        """This process's environment over the working directory's ``.env`` over ``keyring``:
        where every command outside ``--sim`` and ``--replay`` reads its configuration."""
        return cls(dict(os.environ), dotenv_in_cwd(), keyring)

    def lookup(self, name: str, *, use_keyring: bool = True) -> Sourced | None:
        if self.environ.get(name):
            return Sourced(value=SecretStr(self.environ[name]), source="env")
        if self.dotenv.get(name):
            return Sourced(value=SecretStr(self.dotenv[name]), source=".env")
        if use_keyring and self.keyring is not None and name in KEYRING_NAMES:
            value = self.keyring.get(name)
            if value:
                return Sourced(value=SecretStr(value), source="keyring")
        if self.sim.get(name):
            return Sourced(value=SecretStr(self.sim[name]), source=self.sim_source)
        return None

    def plain(self, name: str, default: str) -> str:
        found = self.lookup(name, use_keyring=False)
        return found.value.get_secret_value().strip() if found else default

    def evidence_env(self) -> dict[str, str]:
        """JAINAM_EVIDENCE_DIR, if set: the one setting ``--sim``, ``--replay`` and ``report``
        take from the configuration."""
        value = self.plain("JAINAM_EVIDENCE_DIR", "")
        return {"JAINAM_EVIDENCE_DIR": value} if value else {}


class Settings(BaseModel):
    """Everything a command needs to reach the broker, resolved and validated."""

    model_config = ConfigDict(frozen=True)

    base_url: str | None
    market_data_prefix: str
    credentials: dict[str, Sourced]
    client_id: SecretStr
    source: str
    interactive_session_token: SecretStr | None
    market_session_token: SecretStr | None
    account_type: AccountType | None  # None = auto: the login's isInvestorClient decides
    evidence_dir: Path

    @classmethod
    def resolve(cls, layers: Layers, *, evidence_dir: Path | None = None) -> Settings:
        """Build settings from the layers; raises ConfigError on a value that cannot work."""
        base_url = layers.plain("JAINAM_BASE_URL", "") or None
        if base_url is not None:
            base_url = validate_base_url(base_url)
        prefix = layers.plain("JAINAM_MARKET_DATA_PREFIX", MARKET_DATA_PREFIXES[0])
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise errors.ConfigError(
                "JAINAM_MARKET_DATA_PREFIX must start with / and not end with one, "
                "e.g. /apibinarymarketdata"
            )
        account = layers.plain("JAINAM_ACCOUNT_TYPE", "auto").lower()
        if account not in ("auto", "investor", "dealer"):
            raise errors.ConfigError("JAINAM_ACCOUNT_TYPE must be auto, investor or dealer")
        interactive, market = (
            layers.lookup(name, use_keyring=False) for name in SESSION_TOKEN_NAMES
        )
        client = layers.lookup("JAINAM_CLIENT_ID", use_keyring=False)
        return cls(
            base_url=base_url,
            market_data_prefix=prefix,
            credentials={},
            # A dealer's own (pro) account is addressed with the literal *****.
            client_id=client.value if client else SecretStr(PRO_CLIENT_ID),
            source=layers.plain("JAINAM_SOURCE", "WEBAPI"),
            interactive_session_token=interactive.value if interactive else None,
            market_session_token=market.value if market else None,
            account_type=None if account == "auto" else AccountType(account),
            evidence_dir=evidence_dir
            or Path(layers.plain("JAINAM_EVIDENCE_DIR", "evidence")).expanduser(),
        )

    def with_credentials(self, layers: Layers) -> Settings:
        """With the four API secrets looked up; raises MissingCredential naming every gap."""
        found = {name: layers.lookup(name) for name in CREDENTIAL_NAMES}
        missing = [name for name, value in found.items() if value is None]
        if missing:
            raise errors.MissingCredential.for_variables(missing)
        return self.model_copy(update={"credentials": found})

    def secret(self, name: str) -> str:
        """Unwrap one credential; only login-body builders call this."""
        return self.credentials[name].value.get_secret_value()

    @property
    def host(self) -> str:
        """The broker host (and port) only: safe to write into evidence."""
        return urlsplit(self.base_url).netloc if self.base_url else "-"


#: The form JAINAM_BASE_URL must take, quoted in every message about it.
BASE_URL_EXAMPLE = "https://smpb.jainam.in:4143"


def _bad_base_url(problem: str) -> errors.ConfigError:
    # Never quotes the value: it could hold credentials (``user:pass@``, or ``user:pass``
    # without the @, which parses as host and port).
    return errors.ConfigError(
        f"JAINAM_BASE_URL {problem}; set it to the broker root as scheme://host[:port], "
        f"e.g. {BASE_URL_EXAMPLE}"
    )


def validate_base_url(url: str) -> str:
    """Accept only ``http(s)://host[:port]`` with at most one trailing ``/``, and return the
    normalised ``scheme://host[:port]``. Raise a one-line ConfigError naming the problem
    otherwise. This is the one gate: after it, httpx cannot fail to parse the URL (the last
    check builds ``httpx.URL`` from the result).

    Surrounding whitespace is dropped, as for every configuration value (:meth:`Layers.plain`);
    whitespace or control characters inside the value are an error.
    """
    url = url.strip()
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise _bad_base_url("contains a space or control character")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed [ or a malformed IPv6 literal
        raise _bad_base_url("cannot be parsed as a URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not url[len(scheme) + 1 :].startswith("//"):
        raise _bad_base_url("must start with https:// (or http://)")
    netloc = parts.netloc
    if "@" in netloc:
        raise _bad_base_url("must not carry a user or password (user:pass@): remove them")
    if "?" in url or "#" in url:
        raise _bad_base_url("must not carry a query (?...) or fragment (#...)")
    if netloc.startswith("["):  # an IPv6 literal, e.g. http://[::1]:8080
        host, _, rest = netloc.partition("]")
        host += "]"
        if rest and not rest.startswith(":"):
            raise _bad_base_url("has text after the ] of its IPv6 host")
        port: str | None = rest[1:] if rest else None
    else:
        host, colon, port_text = netloc.partition(":")
        port = port_text if colon else None
        if not host:
            raise _bad_base_url("has no host")
        # DNS names (IDN included), IPv4 addresses and underscores; nothing else names a host
        if any(not (ch.isalnum() or ch in "-._") for ch in host) or any(
            not label for label in host.removesuffix(".").split(".")
        ):
            raise _bad_base_url(
                "has a malformed host name (letters, digits, - and _ in labels between single dots)"
            )
    if port is not None:
        if not port:
            raise _bad_base_url("has a ':' with no port number after it")
        if not (port.isascii() and port.isdigit()):
            raise _bad_base_url("has a port that is not a number")
        if not 1 <= int(port) <= 65535:
            raise _bad_base_url("has a port outside 1-65535")
    root = f"{scheme}://{netloc}"
    try:
        _ = httpx.URL(root).host  # .host decodes IDNA, which the constructor defers
    except (httpx.InvalidURL, ValueError) as exc:  # idna's errors are ValueErrors too
        raise _bad_base_url(f"has a host that cannot be used ({type(exc).__name__})") from None
    path = parts.path
    if path not in ("", "/"):
        route = next(
            (r for r in ("/interactive", *MARKET_DATA_PREFIXES) if f"{r}/" in f"{path}/"), None
        )
        if route is not None:
            # the most common slip: a route prefix copied along with the host
            raise errors.ConfigError(
                f"JAINAM_BASE_URL is the broker root: drop the path ({route} and the other "
                f"routes are added by the harness) and set it to {root}"
            )
        raise errors.ConfigError(
            f"JAINAM_BASE_URL must be the broker root without a path: set it to {root}"
        )
    return root


def config_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME/jainam-validate`` (``~/.config/jainam-validate`` by default)."""
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "jainam-validate"


def pseudonym_key(environ: Mapping[str, str]) -> tuple[bytes, str | None]:
    """The per-installation HMAC key for pseudonyms, created on first use (mode 0600).

    Returns the key and a warning when it could not be kept (pseudonyms then change per run).
    """
    path = config_dir(environ) / "pseudonym.key"
    try:
        return bytes.fromhex(path.read_text().strip()), None
    except (OSError, ValueError):
        pass
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key.hex())
    except FileExistsError:
        return pseudonym_key(environ)
    except OSError:
        return (
            key,
            f"cannot keep the pseudonym key in {path.parent}: pseudonyms will differ per run",
        )
    return key, None
