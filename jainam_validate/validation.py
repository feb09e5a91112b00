"""A validation pass from start to evidence: the one function ``fetch``, ``login`` and ``run`` call.

:func:`execute` plans the session (:func:`plan`: reuse tokens from the environment or the keyring
cache, or log in), then drives a :class:`Pass` through its steps: open the run folder and the
sessions, run the requested flows through the :class:`~jainam_validate.harness.Harness` (pricing
holdings when asked), and finish the folder (samples, ``run.json``, ``report.md``,
``SHA256SUMS``; see :mod:`~jainam_validate.finishing`) whatever happened: a login failure, a
leak-guard stop or an interrupt still leave a folder that says so. Exceptions that carry an exit
code are re-raised after the folder is finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jainam_validate import errors, report
from jainam_validate.cassette import Recorder
from jainam_validate.checks import PassFacts, release_checks
from jainam_validate.client import Timeouts, XtsClient
from jainam_validate.credentials import CachedSession, KeyringStore, load_session, save_session
from jainam_validate.errors import ExitCode
from jainam_validate.evidence import RunFolder, RunManifest
from jainam_validate.finishing import (
    CiTexts,
    ci_texts,
    configuration_of,
    rescrub_texts,
    signals_deferred,
    write_leak_stop,
    write_sample,
)
from jainam_validate.harness import FlowResult, Harness
from jainam_validate.pnl import Instrument, PnlResult, batches, evaluate, instrument_of
from jainam_validate.redact import Redactor
from jainam_validate.resilience import RateLimiter, Resilience, rate_for
from jainam_validate.sessions import Origin, Session
from jainam_validate.settings import AccountType, Layers, Settings
from jainam_validate.stats import summarise
from jainam_validate.timing import Outcome, TimingRecord, now_iso
from jainam_validate.verdict import (
    EXIT_MEANING,
    Status,
    TargetKind,
    exit_codes,
    status_of,
    verdict_of,
)
from jainam_validate.xts import BOOKS, Flow

if TYPE_CHECKING:
    import httpx

    from jainam_validate.crosscheck import AppTarget, CrossCheckResult

#: Progress sink: ("session", 0) once, then (flow, sample) before each call.
Event = Callable[[str, int], None]
#: Tokens this close to expiry are not reused from the cache.
EXPIRY_MARGIN_S = 120


@dataclass(frozen=True)
class PassOptions:
    """What one command asks of a pass."""

    command: str
    flows: tuple[str, ...] = BOOKS
    iterations: int = 1
    warmup: int = 0
    day_or_net: str = "NetWise"
    market_session: bool = False
    reuse_session: bool = True  # env tokens, then the keyring cache, before logging in
    cache_session: bool = True  # keep tokens from a fresh login in the keyring
    thresholds_ms: dict[str, float] = field(default_factory=dict)
    timeouts: Timeouts = Timeouts()
    resilience: Resilience = Resilience()
    pnl: bool = False  # price holdings from live quotes (release check AC3)
    allow_empty: frozenset[str] = frozenset()  # books whose emptiness the user waived
    label: str | None = None  # free text for the evidence (a story id), leak-guarded
    app: AppTarget | None = None  # the application to cross-check (IV2), after the books
    target: dict[str, str] = field(default_factory=lambda: {"kind": TargetKind.LIVE.value})
    invocation: dict[str, Any] = field(default_factory=dict)  # command and flags as given
    record: Path | None = None  # also write a sanitized cassette of every exchange here
    junit: Path | None = None  # also write JUnit XML here
    step_summary: Path | None = None  # append a compact summary here ($GITHUB_STEP_SUMMARY)


@dataclass
class PassResult:
    """What a pass produced: the finished folder, its manifest and the last sample per flow."""

    folder: RunFolder
    manifest: RunManifest
    exit_code: ExitCode
    session: Session | None
    samples: dict[str, FlowResult]
    records: list[TimingRecord]


@dataclass(frozen=True)
class SessionPlan:
    """How a pass gets its session, decided before any folder exists (so config errors leave
    none): the broker root, the settings to use, and a cached session or where tokens come from."""

    root: str
    settings: Settings
    cached: CachedSession | None
    origin: Origin


def plan(
    settings: Settings, layers: Layers, options: PassOptions, store: KeyringStore | None
) -> SessionPlan:
    """The pass's first step: a base URL, then reused tokens (env, keyring cache) or a login."""
    if settings.base_url is None:
        raise errors.MissingCredential(
            "JAINAM_BASE_URL is not set: put the broker root (e.g. https://smpb.jainam.in:4143) "
            "in the environment or .env, or use --sim"
        )
    root = settings.base_url
    if options.reuse_session and settings.interactive_session_token is not None:
        if settings.account_type is None:
            raise errors.ConfigError(
                "JAINAM_INTERACTIVE_SESSION_TOKEN is set: also set JAINAM_ACCOUNT_TYPE to "
                "investor or dealer (no login result says which routes apply)"
            )
        if options.market_session and settings.market_session_token is None:
            return SessionPlan(root, settings.with_credentials(layers), None, "env")
        return SessionPlan(root, _credentials_if_any(settings, layers), None, "env")
    if options.reuse_session and store is not None:
        cached = load_session(store, settings.host)
        now = time.time()
        if (
            cached is not None
            and (cached.interactive_expires or 0) > now + EXPIRY_MARGIN_S
            and (not options.market_session or cached.market_token)
        ):
            return SessionPlan(root, _credentials_if_any(settings, layers), cached, "cache")
    return SessionPlan(root, settings.with_credentials(layers), None, "login")


def _credentials_if_any(settings: Settings, layers: Layers) -> Settings:
    """Reused tokens need no credentials, but with them a token rejected as "Invalid Token"
    can be renewed once by a fresh login."""
    try:
        return settings.with_credentials(layers)
    except errors.MissingCredential:
        return settings


def execute(
    settings: Settings,
    layers: Layers,
    options: PassOptions,
    *,
    redactor: Redactor,
    store: KeyringStore | None,
    transport: httpx.BaseTransport | None = None,
    on_event: Event = lambda _step, _sample: None,
    on_record: Callable[[TimingRecord], None] | None = None,
) -> PassResult:
    """Run one pass and finish its folder. Raises JainamError (after writing the folder)."""
    if options.app is not None:  # the application's books are gated like the broker's
        from jainam_validate.policy import DEFAULT_APP_THRESHOLDS_MS

        options = replace(
            options, thresholds_ms={**DEFAULT_APP_THRESHOLDS_MS, **options.thresholds_ms}
        )
    run = Pass(
        plan(settings, layers, options, store),
        options,
        redactor=redactor,
        store=store,
        transport=transport,
        on_event=on_event,
        on_record=on_record,
    )
    run.drive()
    return run.finish()


class Pass:
    """One validation pass: its folder, manifest and harness, and what happened so far.

    Creating it opens the run folder. :func:`execute` then drives it in named steps:
    :meth:`drive` (:meth:`open_sessions`, then :meth:`run_flows`, which may
    :meth:`price_holdings`) keeps whatever stopped it, and :meth:`finish` writes and seals the
    folder and raises that stop if it decided the exit code.
    """

    def __init__(
        self,
        session_plan: SessionPlan,
        options: PassOptions,
        *,
        redactor: Redactor,
        store: KeyringStore | None,
        transport: httpx.BaseTransport | None = None,
        on_event: Event = lambda _step, _sample: None,
        on_record: Callable[[TimingRecord], None] | None = None,
    ) -> None:
        settings = session_plan.settings
        rate = options.resilience.rate_per_s
        self.plan = session_plan
        self.settings = settings
        self.options = options
        self.store = store
        self.on_event = on_event
        self.on_record = on_record  # each attempt's record, once it is written (-v)
        self.folder = RunFolder.create(settings.evidence_dir, redactor, _user_strings(options))
        self.records: list[TimingRecord] = []
        self.manifest = RunManifest(
            run_id=self.folder.run_id,
            command=options.command,
            invocation=options.invocation,
            label=options.label,
            started_at=now_iso(),
            target={**options.target, "host": settings.host, "market_data_prefix": None},
            credential_sources={k: v.source for k, v in sorted(settings.credentials.items())},
            thresholds_ms=dict(sorted(options.thresholds_ms.items())),
            iterations=options.iterations,
            warmup=options.warmup,
            configuration=configuration_of(options, rate_for(rate, session_plan.root)),
        )
        self.samples: dict[str, FlowResult] = {}  # the last usable sample per flow
        self.session: Session | None = None
        self.failure: errors.JainamError | None = None
        self.session_failure: errors.JainamError | None = None  # no interactive session: why
        self.market_failure: errors.JainamError | None = None
        self.holdings_pnl: PnlResult | None = None
        self.iv2: CrossCheckResult | None = None
        self.transport = transport
        self.interrupted = False
        self.client = XtsClient(
            session_plan.root,
            transport=transport,
            timeouts=options.timeouts,
            rate_limiter=RateLimiter(rate_for(options.resilience.rate_per_s, session_plan.root)),
        )
        self.recorder = Recorder(self.folder.scanner) if options.record is not None else None
        self.harness = Harness(
            settings,
            self.client,
            redactor,
            self._sink,
            self.folder.run_id,
            resilience=options.resilience,
            recorder=self.recorder,
        )

    def _sink(self, record: TimingRecord) -> None:
        self.folder.append_timing(record)
        self.records.append(record)
        if self.on_record is not None:
            self.on_record(record)

    # -- the pass ---------------------------------------------------------------------------
    def drive(self) -> None:
        """Open the sessions and run the flows. A stop (JainamError), an interrupt or a bug is
        kept for :meth:`finish`, never raised from here; the client is closed either way."""
        try:
            self.on_event("session", 0)
            self.run_flows(self.open_sessions())
            if self.options.app is not None:
                self.cross_check(self.options.app)
        except errors.JainamError as exc:
            self.failure = exc
            if self.session is None:
                self.session_failure = exc
        except KeyboardInterrupt:
            self.interrupted = True
        except Exception as exc:  # a bug: still finish the folder, and say where, not what
            self.failure = errors.InternalError.from_exception(exc)
        finally:
            self.client.close()

    def open_sessions(self) -> Session:
        """The interactive session as planned, then market data if asked (its failure is kept,
        not raised); a fresh login's tokens are cached. Raises for the interactive session."""
        self.session = session = self._interactive_session()
        if self.options.market_session and session.market_token is None:
            # A market-data failure does not stop the books: it fails P&L and the session check.
            try:
                self.harness.login_market(session)
            except (errors.AuthError, errors.BrokerError, errors.UnreachableError) as exc:
                self.market_failure = exc
        store = self.store
        if (
            self.plan.origin == "login"
            and self.options.cache_session
            and store
            and not store.unavailable_reason
        ):
            _cache(store, self.settings, session)
        self.manifest.account_type = session.account_type.value
        self.manifest.session_origin = session.origin
        self.manifest.target["market_data_prefix"] = session.market_data_prefix
        return session

    def _interactive_session(self) -> Session:
        """Tokens from the environment or the keyring cache (nothing sent), else a login."""
        settings, cached, harness = self.settings, self.plan.cached, self.harness
        if self.plan.origin == "env":
            assert settings.interactive_session_token is not None
            assert settings.account_type is not None
            return harness.reuse(
                settings.interactive_session_token.get_secret_value(),
                settings.market_session_token.get_secret_value()
                if settings.market_session_token
                else None,
                settings.account_type,
                "env",
            )
        if self.plan.origin == "cache" and cached is not None:
            if settings.account_type is not None and settings.account_type.value != (
                cached.account_type
            ):
                raise errors.ConfigError(
                    f"JAINAM_ACCOUNT_TYPE is {settings.account_type.value}, but the cached "
                    f"session is a {cached.account_type} account (from its login): set "
                    f"JAINAM_ACCOUNT_TYPE to {cached.account_type} or auto, or run "
                    "`jainam-validate login` again"
                )
            session = harness.reuse(
                cached.interactive_token,
                cached.market_token,
                AccountType(cached.account_type),
                "cache",
            )
            session.market_data_prefix = cached.market_data_prefix
            return session
        return harness.login_interactive()

    def run_flows(self, session: Session) -> None:
        """Every sample of every flow, in order; a usable sample is kept (and written once,
        when the folder is finished), usable holdings priced when P&L is asked."""
        options = self.options
        for sample in range(1, options.iterations + 1):
            for flow in options.flows:
                self.on_event(flow, sample)
                result = self.harness.fetch(
                    flow, session, sample=sample, day_or_net=options.day_or_net
                )
                if result.outcome.usable:
                    if flow == Flow.HOLDINGS and options.pnl and session.market_token:
                        self.on_event(Flow.QUOTES, sample)
                        self.holdings_pnl = self.price_holdings(session, result)
                    self.samples[flow] = result

    def cross_check(self, app: AppTarget) -> None:
        """IV2: the application's books against the last usable sample of each broker book."""
        from jainam_validate.crosscheck import CrossCheck

        check = CrossCheck(
            app, self.harness.log, self.harness.redactor,
            timeouts=self.options.timeouts, transport=self.transport,
            logged_in=self.session is not None and self.session.origin == "login",
            allow_empty=self.options.allow_empty,
        )  # fmt: skip
        books = {
            book.value: self.samples[book].rows if book in self.samples else None for book in BOOKS
        }
        self.iv2 = check.run(books)
        self.manifest.iv2 = self.iv2.document

    def price_holdings(self, session: Session, result: FlowResult) -> PnlResult:
        """Quote every holding (batches of 50, each its own quotes sample) and compute P&L."""
        ltp: dict[Instrument, Decimal] = {}
        instruments = [i for i in (instrument_of(row) for row in result.rows) if i is not None]
        for batch in batches(instruments):
            quoted = self.harness.quotes(session, batch)
            if quoted.parsed is not None:
                ltp.update(quoted.parsed.ltp)
        priced = evaluate(result.rows, ltp, [m.index for m in result.malformed])
        result.rows = priced.rows
        return priced

    # -- finishing --------------------------------------------------------------------------
    def finish(self) -> PassResult:
        """Finish the folder whatever happened, then re-raise an interrupt, or the stop that
        decided the exit code (one source of truth for it), naming the folder it wrote; else
        the pass's result."""
        try:
            return self._finish()
        except (errors.JainamError, KeyboardInterrupt) as stop:
            stop.run_dir = self.folder.path  # type: ignore[union-attr]
            raise

    def _finish(self) -> PassResult:
        # A rejected market-data key pair is exit 3 like any rejected credential; a market-data
        # login that got no answer fails its check (exit 1): the broker was reached all the same.
        market_failure = self.market_failure
        extra_codes = (
            [ExitCode.AUTH]
            if market_failure is not None and market_failure.exit_code is ExitCode.AUTH
            else []
        )
        stops: list[errors.JainamError] = [self.failure] if self.failure is not None else []
        if self.harness.simulated and self.manifest.target.get("kind") == TargetKind.LIVE.value:
            # JAINAM_BASE_URL points at a `jainam-validate simulate` process: a rehearsal.
            self.manifest.target["kind"] = TargetKind.SIMULATOR.value
        cassette_stop = self._save_cassette()
        if cassette_stop is not None:  # a leak (7) or an unusable folder (2)
            self.failure = self.failure or cassette_stop
            stops.append(cassette_stop)
            extra_codes.append(cassette_stop.exit_code)
        facts = self._facts()
        with signals_deferred():
            exit_code = self._seal(facts, extra_codes)
        if self.interrupted:
            raise KeyboardInterrupt
        for stop in stops:
            if stop.exit_code is exit_code:
                raise stop
        return PassResult(
            self.folder, self.manifest, exit_code, self.session, self.samples, self.records
        )

    def _save_cassette(self) -> errors.JainamError | None:
        """Save the cassette asked for (not after an interrupt); the stop saving it hit."""
        recorder, path, session = self.recorder, self.options.record, self.session
        if recorder is None or path is None or self.interrupted:
            return None
        recorder.meta = {
            "command": self.options.command,
            "target_host": self.settings.host,
            "account_type": session.account_type.value if session else None,
            "first_market_data_prefix": self.settings.market_data_prefix,
            "market_data_prefix": session.market_data_prefix if session else None,
        }
        try:
            recorder.save(path)
            self.manifest.cassette = path.name  # its name: the path is the user's
        except errors.JainamError as exc:
            return exc
        return None

    def _facts(self) -> PassFacts:
        """What the release checks need to know of this pass."""
        options, session = self.options, self.session
        return PassFacts(
            books=options.flows,
            market_session=options.market_session,
            pnl=options.pnl,
            target_kind=str(self.manifest.target.get("kind", "")),
            allow_empty=options.allow_empty,
            thresholds_ms=options.thresholds_ms,
            session_origin=session.origin if session is not None else None,
            session_error=str(self.session_failure) if self.session_failure is not None else None,
            market_prefix=session.market_data_prefix
            if session is not None and session.market_token is not None
            else None,
            market_error=str(self.market_failure) if self.market_failure is not None else None,
            stopped=_stop_reason(self.failure, self.interrupted),
            interrupted=self.interrupted,
            priced=self.holdings_pnl.check() if self.holdings_pnl is not None else None,
            iterations=max(options.iterations - options.warmup, 1),
            iv2=self._iv2_checks(),
        )

    def _iv2_checks(self) -> dict[str, Any] | None:
        """IV2's checks: the cross-check's, or, when an application was given but the pass
        stopped before asking it, each one not proven (never absent, never 'not set')."""
        if self.iv2 is None and self.options.app is not None:
            from jainam_validate.crosscheck import not_reached

            why = _stop_reason(self.failure, self.interrupted) or "the run stopped"
            self.iv2 = not_reached(self.options.app, why)
            self.manifest.iv2 = self.iv2.document
        return self.iv2.checks if self.iv2 is not None else None

    def _decide(
        self, facts: PassFacts, extra_codes: list[ExitCode]
    ) -> tuple[ExitCode, list[Status]]:
        """Checks, exit code and verdict into the manifest: (the exit code, check statuses)."""
        manifest, records, failure = self.manifest, self.records, self.failure
        manifest.ended_at = now_iso()
        manifest.interrupted = self.interrupted
        manifest.flows = summarise(records, warmup=self.options.warmup)
        manifest.checks = release_checks(facts, manifest.flows, records)
        statuses = [status_of(c.status) for c in manifest.checks.values()]
        codes: list[ExitCode] = list(extra_codes) + exit_codes(statuses)
        if self.interrupted:
            codes.append(ExitCode.INTERRUPTED)
        if failure is not None:
            codes.append(failure.exit_code)
            manifest.error = f"{type(failure).__name__}: {failure}"
        # A token rejected for good (the final attempt of a sample), not one renewed on the way;
        # the broker's only: the application's rejected key fails its IV2 checks (exit 1).
        if any(
            s.outcomes.get(Outcome.AUTH_ERROR.value)
            for f, s in manifest.flows.items()
            if not f.startswith("app_")
        ):
            codes.append(ExitCode.AUTH)
        if no_response_at_all(records):
            codes.append(ExitCode.UNREACHABLE)  # with reused tokens too: no login to say it
        exit_code = errors.worst_exit(codes)
        manifest.exit_code = int(exit_code)
        manifest.verdict = verdict_of(statuses, int(exit_code), interrupted=self.interrupted).value
        return exit_code, statuses

    def _seal(self, facts: PassFacts, extra_codes: list[ExitCode]) -> ExitCode:
        """Decide, write samples, run.json and report.md, seal (SHA256SUMS), then the CI texts.
        A leak stop leaves a minimal folder in our own words and is re-raised."""
        exit_code, statuses = self._decide(facts, extra_codes)
        try:
            ci = self._write()
        except errors.LeakDetected as leak:
            write_leak_stop(
                self.folder,
                self.manifest,
                leak,
                statuses=statuses,
                interrupted=self.interrupted,
                junit=self.options.junit,
                step_summary=self.options.step_summary,
            )
            raise
        self.folder.seal()
        ci.write(junit=self.options.junit, step_summary=self.options.step_summary)
        return exit_code

    def _write(self) -> CiTexts:
        """The folder's artifacts, each through the leak guard; the CI texts, checked."""
        folder, manifest = self.folder, self.manifest
        # values learned late in the pass are scrubbed from the earliest lines too, and from
        # the error and check texts kept since (a failure quoted before its id was learned)
        folder.rescrub_timings()
        rescrub_texts(manifest, folder.redactor)
        manifest.leak_guard = {"known_values": folder.redactor.known_count}
        if self.session is not None:
            for result in self.samples.values():
                write_sample(folder, result, self.session)
        folder.write_json("run.json", manifest.model_dump(mode="json"))
        folder.write_text("report.md", report.render_folder(folder.path))
        options = self.options
        return ci_texts(folder, junit=options.junit, step_summary=options.step_summary)


def _cache(store: KeyringStore, settings: Settings, session: Session) -> None:
    try:
        save_session(
            store,
            CachedSession(
                host=settings.host,
                interactive_token=session.interactive_token.get_secret_value(),
                market_token=session.market_token.get_secret_value()
                if session.market_token
                else None,
                account_type=session.account_type.value,
                market_data_prefix=session.market_data_prefix,
                interactive_expires=session.interactive_expires,
                market_expires=session.market_expires,
            ),
        )
    except errors.KeyringError:
        pass  # caching is a convenience; the keyring's refusal is not the run's failure


def _user_strings(options: PassOptions) -> tuple[str, ...]:
    """What the user typed (paths, a label): never broker data, so pattern rules skip it."""
    values: list[str] = []
    for value in options.invocation.get("flags", {}).values():
        values.extend(str(v) for v in (value if isinstance(value, list) else [value]))
    for path in (options.record, options.junit):
        if path is not None:
            values += [str(path), path.name]
    if options.label:
        values.append(options.label)
    return tuple(v for v in values if v not in ("True", "False"))


def _stop_reason(failure: errors.JainamError | None, interrupted: bool) -> str | None:
    """Why the pass ended early, in our own words (never the error text)."""
    if interrupted:
        return "the run was interrupted"
    if failure is None:
        return None
    return EXIT_MEANING.get(int(failure.exit_code), "the run stopped")


def no_response_at_all(records: list[TimingRecord]) -> bool:
    """Every attempt ended without an HTTP response, and some of them for the network."""
    return (
        bool(records)
        and all(r.status is None for r in records)
        and any(r.outcome in (Outcome.NETWORK_ERROR, Outcome.TIMEOUT) for r in records)
    )
