"""The ``jainam-validate`` command line: a thin Typer layer over the typed core.

Commands parse options, build :class:`~jainam_validate.settings.Settings`, call the core and
render what it returns. Errors are translated to exit codes in one place (:func:`_boundary`):
one line on stderr, no traceback, no locals. Heavy modules are imported inside the commands so
``--help`` and ``--version`` start fast. Machine output (``--json``) goes to stdout, everything
else to stderr.
"""

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from jainam_validate import __version__, evidence_commands
from jainam_validate.boundary import DEBUG, boundary, invocation
from jainam_validate.options import (
    AccountProfile,
    Against,
    AllowEmpty,
    Baseline,
    Book,
    Breaker,
    ConnectTimeout,
    DayOrNet,
    DayOrNetOpt,
    Delay,
    DriftSim,
    EvidenceDir,
    Fault,
    Force,
    HelpCommand,
    Host,
    Iterations,
    JsonOut,
    Junit,
    Label,
    Live,
    MdPrefix,
    NoColor,
    PolicyFile,
    Port,
    Rate,
    ReadTimeout,
    Record,
    Replay,
    ReplayLatencyOpt,
    Retries,
    ServeEmpty,
    SignKey,
    Sim,
    SimProfile,
    Threshold,
    Verbose,
    Warmup,
    completion_option,
    epilog,
)
from jainam_validate.targets import (
    DEFAULTS,
    BrokerOptions,
    Profile,
    open_target,
)
from jainam_validate.terminal import (
    keyring_note,
    make_io,
    progress,
    requests_log,
    show_drift,
    show_fetch,
    show_login,
    show_run,
    show_simulator,
    show_sources,
)

app = typer.Typer(
    name="jainam-validate",
    help="Prove, with evidence, that an integration with Jainam's XTS API works.",
    pretty_exceptions_show_locals=False,
    # Plain help: Typer's rich help imports rich.markdown and friends (~80 ms of start-up).
    rich_markup_mode=None,
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jainam-validate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    traceback: Annotated[bool, typer.Option("--traceback", hidden=True)] = False,
    show_completion: Annotated[str | None, completion_option("--show-completion", "Print")] = None,
    install_completion: Annotated[
        str | None, completion_option("--install-completion", "Install")
    ] = None,
) -> None:
    """Validate a Jainam XTS integration: log in, fetch books, time and redact every call."""
    DEBUG.traceback = traceback


def _command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command with click-style argument names and its examples at the end."""
    return app.command(name, cls=HelpCommand, epilog=epilog(name))


# -- login -----------------------------------------------------------------------------------
@_command("login")
def login(
    click_ctx: typer.Context,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not keep the session tokens in the keyring.")
    ] = False,
    retries: Retries = DEFAULTS.retries,
    rate: Rate = DEFAULTS.rate,
    breaker: Breaker = DEFAULTS.breaker,
    connect_timeout: ConnectTimeout = DEFAULTS.connect_timeout,
    read_timeout: ReadTimeout = DEFAULTS.read_timeout,
    sim: Sim = DEFAULTS.sim,
    sim_profile: SimProfile = DEFAULTS.sim_profile,
    record: Record = DEFAULTS.record,
    force: Force = DEFAULTS.force,
    replay: Replay = DEFAULTS.replay,
    replay_latency: ReplayLatencyOpt = DEFAULTS.replay_latency,
    evidence_dir: EvidenceDir = DEFAULTS.evidence_dir,
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Log in to the interactive and market-data sessions and show what came back."""
    from jainam_validate.validation import execute

    io = make_io(json_out, no_color, verbose)
    flags = BrokerOptions.from_params(click_ctx.params)
    with (
        boundary(io),
        open_target(flags, note=io.note, debug=io.debug) as ctx,
    ):
        options = replace(
            flags.pass_options("login"),
            target=ctx.target,
            invocation=invocation(click_ctx),
            flows=(),
            market_session=True,
            reuse_session=False,
            cache_session=not no_cache and not sim,
        )
        result = execute(
            ctx.settings, ctx.layers, options,
            redactor=ctx.redactor, store=ctx.store, on_record=requests_log(io, ctx.redactor),
        )  # fmt: skip
        show_login(io, result, ctx.settings.client_id.get_secret_value())
        raise typer.Exit(int(result.exit_code))


# -- fetch -----------------------------------------------------------------------------------
@_command("fetch")
def fetch(
    click_ctx: typer.Context,
    flow: Annotated[Book, typer.Argument(metavar="BOOK", help="positions, holdings or tradebook.")],
    iterations: Iterations = None,
    day_or_net: DayOrNetOpt = DayOrNet.NetWise,
    allow_empty: AllowEmpty = None,
    label: Label = None,
    junit: Junit = None,
    retries: Retries = DEFAULTS.retries,
    rate: Rate = DEFAULTS.rate,
    breaker: Breaker = DEFAULTS.breaker,
    connect_timeout: ConnectTimeout = DEFAULTS.connect_timeout,
    read_timeout: ReadTimeout = DEFAULTS.read_timeout,
    sim: Sim = DEFAULTS.sim,
    sim_profile: SimProfile = DEFAULTS.sim_profile,
    record: Record = DEFAULTS.record,
    force: Force = DEFAULTS.force,
    replay: Replay = DEFAULTS.replay,
    replay_latency: ReplayLatencyOpt = DEFAULTS.replay_latency,
    evidence_dir: EvidenceDir = DEFAULTS.evidence_dir,
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Fetch one book (timed, redacted) into a run folder of its own and show it."""
    from jainam_validate.checks import allowed_empty
    from jainam_validate.validation import execute

    io = make_io(json_out, no_color, verbose)
    flags = BrokerOptions.from_params(click_ctx.params)
    with boundary(io):
        if junit is not None:
            from jainam_validate.evidence import check_writable

            check_writable(junit)
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        with open_target(flags, note=io.note, debug=io.debug) as ctx:
            options = replace(
                flags.pass_options(f"fetch {flow.value}"),
                junit=junit,
                step_summary=Path(summary) if summary else None,
                target=ctx.target,
                invocation=invocation(click_ctx),
                allow_empty=allowed_empty([b.value for b in allow_empty or []]),
                label=label,
                flows=(flow.value,),
                iterations=iterations or 1,
                day_or_net=day_or_net.value,
            )
            result = execute(
                ctx.settings, ctx.layers, options,
                redactor=ctx.redactor, store=ctx.store, on_record=requests_log(io, ctx.redactor),
            )  # fmt: skip
            show_fetch(io, result, flow.value)
            raise typer.Exit(int(result.exit_code))


# -- run -------------------------------------------------------------------------------------
@_command("run")
def run(
    click_ctx: typer.Context,
    iterations: Iterations = None,
    warmup: Warmup = None,
    threshold: Threshold = None,
    policy: PolicyFile = None,
    junit: Junit = None,
    day_or_net: DayOrNetOpt = DayOrNet.NetWise,
    allow_empty: AllowEmpty = None,
    label: Label = None,
    sign_key: SignKey = None,
    retries: Retries = DEFAULTS.retries,
    rate: Rate = DEFAULTS.rate,
    breaker: Breaker = DEFAULTS.breaker,
    connect_timeout: ConnectTimeout = DEFAULTS.connect_timeout,
    read_timeout: ReadTimeout = DEFAULTS.read_timeout,
    sim: Sim = DEFAULTS.sim,
    sim_profile: SimProfile = DEFAULTS.sim_profile,
    record: Record = DEFAULTS.record,
    force: Force = DEFAULTS.force,
    replay: Replay = DEFAULTS.replay,
    replay_latency: ReplayLatencyOpt = DEFAULTS.replay_latency,
    evidence_dir: EvidenceDir = DEFAULTS.evidence_dir,
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """A whole validation pass: sessions, positions, holdings, trade book, thresholds, evidence."""
    from jainam_validate.checks import allowed_empty
    from jainam_validate.policy import resolve_policy
    from jainam_validate.validation import execute

    io = make_io(json_out, no_color, verbose)
    flags = BrokerOptions.from_params(click_ctx.params)
    with boundary(io):
        chosen = resolve_policy(
            policy_file=policy, thresholds=threshold or [], iterations=iterations, warmup=warmup
        )
        if junit is not None:
            from jainam_validate.evidence import check_writable

            check_writable(junit)
        # the key is read before any call: a wrong passphrase must not cost a whole pass
        signer = evidence_commands.load_signer(sign_key) if sign_key is not None else None
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        with open_target(flags, note=io.note, debug=io.debug, app=True) as ctx:
            options = replace(
                flags.pass_options("run"),
                target=ctx.target,
                invocation=invocation(click_ctx),
                allow_empty=allowed_empty([b.value for b in allow_empty or []]),
                label=label,
                iterations=chosen.iterations,
                warmup=chosen.warmup,
                day_or_net=day_or_net.value,
                market_session=True,
                pnl=True,
                thresholds_ms=chosen.thresholds_ms,
                junit=junit,
                step_summary=Path(summary) if summary else None,
                app=ctx.app,
            )
            with progress(io, chosen.iterations * len(options.flows)) as on_event:
                result = execute(
                    ctx.settings, ctx.layers, options,
                    redactor=ctx.redactor, store=ctx.store, on_event=on_event,
                    on_record=requests_log(io, ctx.redactor),
                )  # fmt: skip
            show_run(io, result)
            if signer is not None:
                from jainam_validate.attestation import attest

                folder = result.folder.path
                path, keyid = attest(folder, result.manifest, signer, guard=ctx.redactor)
                io.note(f"signed {path} ({keyid})")
            raise typer.Exit(int(result.exit_code))


# -- evidence already written: report, audit, attest, verify (evidence_commands) ------------
_command("report")(evidence_commands.report_command)
_command("audit")(evidence_commands.audit)
_command("attest")(evidence_commands.attest)
_command("verify")(evidence_commands.verify)


# -- drift -----------------------------------------------------------------------------------
@_command("drift")
def drift(
    cassette_dir: Baseline,
    against: Against = None,
    sim: DriftSim = False,
    sim_profile: SimProfile = Profile.investor,
    live: Live = False,
    evidence_dir: EvidenceDir = None,
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Report payload-shape drift (added, removed, retyped fields, codes); exit 1 on drift."""

    from jainam_validate import cassette, errors
    from jainam_validate import drift as drifting

    io = make_io(json_out, no_color, verbose)
    with boundary(io):
        if sum((against is not None, sim, live)) != 1:
            raise errors.UsageError("drift needs exactly one of --against DIR, --sim and --live")
        baseline = cassette.load(cassette_dir)
        fresh_exit = 0
        if against is not None:
            fresh = cassette.load(against)
        else:
            flags = BrokerOptions(sim=sim, sim_profile=sim_profile, evidence_dir=evidence_dir)
            fresh, fresh_exit, folder = drifting.fresh_pass(flags, note=io.note, debug=io.debug)
            if fresh_exit:
                io.note(
                    f"the fresh pass exited {fresh_exit} (see {folder}): "
                    "flows that failed there are not compared"
                )
        drifts, unmatched = drifting.compare(baseline, fresh)
        show_drift(io, cassette_dir, drifts, unmatched)
        if drifts or unmatched or fresh_exit:
            raise typer.Exit(errors.ExitCode.CHECKS_FAILED)


# -- store-creds ---------------------------------------------------------------------------
@_command("store-creds")
def store_creds(
    from_env: Annotated[
        bool, typer.Option("--from-env", help="Copy the four secrets from the environment/.env.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Show which source supplies each credential.")
    ] = False,
    delete: Annotated[bool, typer.Option("--delete", help="Remove them from the keyring.")] = False,
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Keep the four XTS secrets in the OS keyring (never as command-line arguments)."""

    from jainam_validate import credentials, errors
    from jainam_validate.credentials import KeyringStore
    from jainam_validate.settings import Layers

    io = make_io(json_out, no_color, verbose)
    with boundary(io):
        if sum((from_env, check, delete)) > 1:
            raise errors.UsageError("use only one of --from-env, --check and --delete")
        store = KeyringStore()
        layers = Layers.here(store)
        if check:
            report = credentials.check_sources(layers)
            keyring_note(io, store)
            show_sources(io, report)
            # exit 2: a secret set nowhere, or still .env.example's placeholder
            missing = [
                n
                for n in credentials.CREDENTIAL_NAMES
                if report[n].source is None or report[n].note
            ]
            raise typer.Exit(errors.ExitCode.USAGE if missing else errors.ExitCode.OK)
        credentials.ensure_available(store)  # before a single prompt
        if delete:
            from urllib.parse import urlsplit

            base = layers.plain("JAINAM_BASE_URL", "")
            for line in credentials.delete_all(store, urlsplit(base).netloc if base else None):
                io.note(line)
            return
        values = credentials.collect(
            layers,
            from_env=from_env,
            prompt=_hidden_prompt if sys.stdin.isatty() else None,
        )
        for line in credentials.store_all(store, values):
            io.note(line)


def _hidden_prompt(name: str, optional: bool) -> str:
    if optional:  # the application's key: Enter skips it
        return str(typer.prompt(f"{name} (optional, Enter to skip)", hide_input=True, default=""))
    return str(typer.prompt(name, hide_input=True))


# -- simulate --------------------------------------------------------------------------------
@_command("simulate")
def simulate(
    port: Port = 8765,
    host: Host = "127.0.0.1",
    profile: AccountProfile = Profile.investor,
    fault: Fault = None,
    delay: Delay = None,
    empty: ServeEmpty = None,
    md_prefix: MdPrefix = None,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Serve an XTS-compatible API on loopback for demos, tests and rehearsals.

    It accepts the credentials configured in env/.env/keyring when all four are set,
    otherwise the built-in demo ones.
    """
    from jainam_validate.targets import listen, rehearsal

    io = make_io(False, no_color, verbose)
    with boundary(io):
        plan = rehearsal(
            profile,
            faults=fault or [],
            delays=delay or [],
            empty=[b.value for b in empty or []],
            md_prefixes=md_prefix or [],
        )
        simulator = listen(plan.config, host, port)
        show_simulator(io, simulator.base_url, profile.value, plan)
        try:
            simulator.serve_forever()
        except KeyboardInterrupt:
            simulator.stop()
