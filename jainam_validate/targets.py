"""What a broker command talks to, and with which options: the live broker from the
configuration, the built-in simulator (``--sim``), or a recorded cassette served on loopback
(``--replay``). :class:`BrokerOptions` holds every option the broker commands share, with its
default, once; :func:`open_target` resolves the configuration for one of the three targets and
yields a :class:`BrokerContext` (settings, layers, keyring store, redactor, the ``target`` of
``run.json``). Heavy modules are imported inside the functions, so the CLI starts fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jainam_validate.credentials import KeyringStore
    from jainam_validate.crosscheck import AppTarget
    from jainam_validate.redact import Redactor
    from jainam_validate.settings import Layers, Settings
    from jainam_validate.simulator import SimConfig, Simulator
    from jainam_validate.validation import PassOptions


class Profile(StrEnum):
    investor = "investor"
    dealer = "dealer"


class ReplayLatency(StrEnum):
    none = "none"
    recorded = "recorded"


@dataclass(frozen=True)
class BrokerOptions:
    """The options of every command that talks to the broker, with their defaults, once."""

    retries: int = 2
    rate: float | None = None  # None: no cap on loopback, 10/s elsewhere (resilience.rate_for)
    breaker: int = 3
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    sim: bool = False
    sim_profile: Profile = Profile.investor
    record: Path | None = None
    force: bool = False
    replay: Path | None = None
    replay_latency: ReplayLatency = ReplayLatency.none
    evidence_dir: Path | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> BrokerOptions:
        """Take this dataclass's fields, by name, from a command's parsed parameters. Click
        keeps a choice or a path there as the text typed (Typer converts only the arguments
        it passes to the command), so those fields are converted here."""
        names = {f.name for f in fields(cls)}
        given: dict[str, Any] = {
            k: _AS.get(k, _same)(v) if v is not None else None
            for k, v in params.items()
            if k in names
        }
        return cls(**given)

    def pass_options(self, command: str) -> PassOptions:
        """The PassOptions these flags imply; a command adds its own with ``replace``."""
        from jainam_validate.client import Timeouts
        from jainam_validate.resilience import Resilience, RetryPolicy
        from jainam_validate.validation import PassOptions

        return PassOptions(
            command=command,
            record=check_record_folder(self.record, force=self.force),
            resilience=Resilience(
                retry=RetryPolicy(retries=self.retries),
                rate_per_s=self.rate,
                breaker_threshold=self.breaker,
            ),
            timeouts=Timeouts(connect=self.connect_timeout, read=self.read_timeout),
            # The simulator never touches the keyring: no cached session in, none out.
            reuse_session=not self.sim,
            cache_session=not self.sim,
        )


#: The defaults, for the CLI's option declarations.
def _same(value: Any) -> Any:
    return value


#: BrokerOptions fields whose command-line text needs a type of its own.
_AS: dict[str, Callable[[Any], Any]] = {
    "sim_profile": Profile,
    "replay_latency": ReplayLatency,
    "record": Path,
    "replay": Path,
    "evidence_dir": Path,
}
DEFAULTS = BrokerOptions()


@dataclass
class BrokerContext:
    settings: Settings
    layers: Layers
    store: KeyringStore | None  # None under --sim and --replay: they never touch the keyring
    redactor: Redactor
    server: Simulator | None
    #: run.json ``target``: ``kind`` (live, simulator, replay) and, for a replay, the cassette.
    target: dict[str, str]
    #: the application under test (IV2), when there is one to ask
    app: AppTarget | None = None


def app_target(layers: Layers, rate: float | None) -> AppTarget | None:
    """The application ``JAINAM_APP_URL`` names, with its key; None when it is not set."""
    from urllib.parse import urlsplit

    from jainam_validate import errors
    from jainam_validate.credentials import APP_KEY_NAME
    from jainam_validate.crosscheck import APP_RATE_PER_S, AppTarget

    url = layers.plain("JAINAM_APP_URL", "").rstrip("/")
    if not url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        parts = urlsplit("")
    odd = parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc
    if parts.scheme not in ("http", "https") or not parts.hostname or odd:
        # never quotes the value: it could hold a user and password
        raise errors.ConfigError(
            "JAINAM_APP_URL must be the application's root, e.g. http://127.0.0.1:5000 "
            "(no path, query or user: the harness adds /api/v1/...)"
        )
    key = layers.lookup(APP_KEY_NAME)
    if key is None:
        raise errors.MissingCredential(
            f"{APP_KEY_NAME} is not set: JAINAM_APP_URL asks for the IV2 cross-check, which "
            "needs the application's API key (environment, .env, or `jainam-validate "
            "store-creds`); or unset JAINAM_APP_URL"
        )
    return AppTarget(url, key.value, APP_RATE_PER_S if rate is None else rate)


def check_record_folder(folder: Path | None, *, force: bool = False) -> Path | None:
    """Refuse, before any call, a --record folder that is neither new nor empty: one that is
    not a cassette always, one that holds a cassette unless ``force`` (re-recording replaces
    it, and a recorded fixture is evidence someone may rely on)."""
    if folder is not None and folder.exists():
        from jainam_validate import errors
        from jainam_validate.cassette import INDEX

        if not folder.is_dir() or (any(folder.iterdir()) and not (folder / INDEX).exists()):
            raise errors.UsageError(
                f"--record {folder}: exists and is not a cassette; name a new or empty folder"
            )
        if (folder / INDEX).exists() and not force:
            raise errors.UsageError(
                f"--record {folder}: holds a cassette already; add --force to replace it, "
                "or name a new folder"
            )
    return folder


Note = Callable[[str], None]


@contextmanager
def open_target(
    options: BrokerOptions, *, note: Note, debug: Note, app: bool = False
) -> Iterator[BrokerContext]:
    """Resolve configuration (and start the simulator for --sim, or a cassette replay for
    --replay) for a broker command; with ``app`` (``run``), the application to cross-check."""
    from jainam_validate import errors
    from jainam_validate.credentials import KeyringStore
    from jainam_validate.redact import Redactor
    from jainam_validate.settings import (
        Layers,
        Settings,
        dotenv_in_cwd,
        misspelled,
        pseudonym_key,
    )

    environ = dict(os.environ)
    dotenv = dotenv_in_cwd()
    key, warning = pseudonym_key(environ)
    if warning:
        note(f"note: {warning}")
    redactor = Redactor(key)
    if options.sim and options.replay is not None:
        raise errors.UsageError("use either --sim or --replay, not both")
    for warning in misspelled(environ, dotenv):  # a typo would surface later as "not set"
        note(warning)
    # --sim and --replay ignore the broker configuration; they keep where evidence goes
    kept = Layers(environ, dotenv, None).evidence_env()
    if options.replay is not None:
        with _replay(options, kept, redactor, debug) as ctx:
            yield ctx if app else replace(ctx, app=None)
        return
    if options.sim:
        with _simulator(options, kept, redactor, debug) as ctx:
            yield ctx if app else replace(ctx, app=None)
        return
    store = KeyringStore()
    layers = Layers(environ, dotenv, store)
    settings = Settings.resolve(layers, evidence_dir=options.evidence_dir)
    application = app_target(layers, options.rate) if app else None
    try:
        yield BrokerContext(settings, layers, store, redactor, None, {"kind": "live"}, application)
    finally:
        line = store.fallback_note()
        if line:
            note(line)


@contextmanager
def _simulator(
    options: BrokerOptions, environ: dict[str, str], redactor: Redactor, debug: Note
) -> Iterator[BrokerContext]:
    """The built-in simulator with its public demo credentials; no cached or env tokens."""
    from pydantic import SecretStr

    from jainam_validate.credentials import CREDENTIAL_NAMES
    from jainam_validate.crosscheck import AppTarget
    from jainam_validate.settings import Layers, Settings
    from jainam_validate.simulator import DEMO_APP_KEY, DEMO_CREDENTIALS, SimConfig, Simulator

    demo = dict(zip(CREDENTIAL_NAMES, DEMO_CREDENTIALS.values(), strict=True))
    with Simulator(SimConfig(profile=options.sim_profile.value)) as simulator:
        env = {**environ, "JAINAM_BASE_URL": simulator.base_url}
        layers = Layers(env, {}, None, sim=demo)
        settings = Settings.resolve(layers, evidence_dir=options.evidence_dir)
        debug(f"simulator ({options.sim_profile.value}) on {simulator.base_url}")
        app = AppTarget(simulator.base_url, SecretStr(DEMO_APP_KEY), options.rate or 0.0)
        target = {"kind": "simulator", "sim_profile": options.sim_profile.value}
        yield BrokerContext(settings, layers, None, redactor, simulator, target, app)


@contextmanager
def _replay(
    options: BrokerOptions, environ: dict[str, str], redactor: Redactor, debug: Note
) -> Iterator[BrokerContext]:
    """Serve a cassette on loopback; no credentials, no network, no keyring."""
    from jainam_validate import cassette
    from jainam_validate.credentials import CREDENTIAL_NAMES
    from jainam_validate.replay import ReplayApp
    from jainam_validate.settings import Layers, Settings
    from jainam_validate.simulator import Simulator

    assert options.replay is not None
    folder = options.replay
    recorded = cassette.load(folder)
    recorded_latency = options.replay_latency is ReplayLatency.recorded

    def app(sleep: Any) -> ReplayApp:
        return ReplayApp(recorded, sleep, recorded_latency=recorded_latency)

    with Simulator(app=app) as server:
        env = {**environ, "JAINAM_BASE_URL": server.base_url}
        first = recorded.index.get("first_market_data_prefix")
        if first:
            env["JAINAM_MARKET_DATA_PREFIX"] = first
        # The replay server issues its own tokens: any credentials do; these say where from.
        placeholders = {name: f"replay-{i}" for i, name in enumerate(CREDENTIAL_NAMES)}
        layers = Layers(env, {}, None, sim=placeholders, sim_source="replay")
        settings = Settings.resolve(layers, evidence_dir=options.evidence_dir)
        debug(f"replaying {len(recorded.exchanges)} exchanges from {folder} on {server.base_url}")
        import hashlib  # here, not at the top: --help's start-up is a benchmark target

        target = {
            "kind": "replay",
            "cassette": folder.resolve().name,
            "cassette_index_sha256": hashlib.sha256(
                (folder / cassette.INDEX).read_bytes()
            ).hexdigest(),
        }
        application = None
        if any(str(e.get("flow", "")).startswith("app_") for e in recorded.exchanges):
            from pydantic import SecretStr

            from jainam_validate.crosscheck import AppTarget

            # the recorded application answers any key: this one only says where it is from
            application = AppTarget(
                server.base_url, SecretStr("replay-app-key"), options.rate or 0.0
            )
        yield BrokerContext(settings, layers, None, redactor, server, target, application)


@dataclass(frozen=True)
class Rehearsal:
    """A ``simulate`` server as the command line asked for it, before it listens."""

    config: SimConfig
    #: Which credentials it accepts, in words: "the configured credentials" or "the demo ones".
    accepts: str
    demo: bool = False  # the demo credentials, which are public
    demo_app_key: bool = True  # the application's demo key (public), not a configured one


def rehearsal(
    profile: Profile,
    *,
    faults: list[str],
    delays: list[str],
    empty: list[str],
    md_prefixes: list[str],
) -> Rehearsal:
    """The simulator ``simulate`` serves: the credentials configured in env/.env/keyring when
    all four are set (a rehearsal of the real configuration), otherwise the public demo ones.
    A malformed ``--fault`` or ``--delay`` is a usage error that lists what is accepted."""
    from jainam_validate import errors
    from jainam_validate.credentials import APP_KEY_NAME, CREDENTIAL_NAMES, KeyringStore
    from jainam_validate.settings import Layers
    from jainam_validate.simulator import (
        DEMO_APP_KEY,
        DEMO_CREDENTIALS,
        SimConfig,
        SimCredentials,
        parse_flow_value,
    )

    try:
        fault_map = dict(parse_flow_value(text, kind="fault") for text in faults)
        delay_map = {k: int(v) for k, v in (parse_flow_value(t, kind="delay") for t in delays)}
    except ValueError as exc:
        raise errors.UsageError(str(exc)) from None
    layers = Layers.here(KeyringStore())
    found = [layers.lookup(name) for name in CREDENTIAL_NAMES]
    if all(found):
        credentials = SimCredentials(*(f.value.get_secret_value() for f in found if f))
        accepts = "the configured credentials"
    else:
        credentials, accepts = DEMO_CREDENTIALS, "the demo credentials"
    app_key = layers.lookup(APP_KEY_NAME)
    try:
        config = SimConfig(
            profile=profile.value,
            credentials=credentials,
            app_key=app_key.value.get_secret_value() if app_key else DEMO_APP_KEY,
            md_prefixes=tuple(md_prefixes) if md_prefixes else SimConfig().md_prefixes,
            empty_flows=frozenset(empty),
            delays_ms=delay_map,
            faults=fault_map,
        )
    except ValueError as exc:  # a flag's value the simulator cannot serve: say which
        raise errors.UsageError(f"simulate: {exc}") from None
    return Rehearsal(
        config, accepts, demo=credentials is DEMO_CREDENTIALS, demo_app_key=app_key is None
    )


def listen(config: SimConfig, host: str, port: int) -> Simulator:
    """Bind the simulator; a bad address or a port in use is a usage error."""
    from jainam_validate import errors
    from jainam_validate.simulator import Simulator

    try:
        return Simulator(config, host=host, port=port)
    except ValueError as exc:
        raise errors.UsageError(str(exc)) from None
    except OSError as exc:
        raise errors.UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
