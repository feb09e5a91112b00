"""The ``jainam-validate`` command line: a thin Typer layer over the typed core.

Commands parse options, build :class:`~jainam_validate.settings.Settings`, call the core and
render what it returns. Errors are translated to exit codes in one place (:func:`_boundary`):
one line on stderr, no traceback, no locals. Heavy modules are imported inside the commands so
``--help`` and ``--version`` start fast. Machine output (``--json``) goes to stdout, everything
else to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.exceptions import TyperException

from jainam_validate import __version__
from jainam_validate.targets import (
    DEFAULTS,
    BrokerOptions,
    Profile,
    ReplayLatency,
    open_target,
)

if TYPE_CHECKING:
    from rich.console import Console

    from jainam_validate.credentials import KeyringStore
    from jainam_validate.validation import PassResult

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


class Book(StrEnum):
    positions = "positions"
    holdings = "holdings"
    tradebook = "tradebook"


class DayOrNet(StrEnum):
    NetWise = "NetWise"
    DayWise = "DayWise"


class EmptyBook(StrEnum):
    positions = "positions"
    holdings = "holdings"
    tradebook = "tradebook"
    all = "all"


AllowEmpty = Annotated[
    list[EmptyBook] | None,
    typer.Option(
        "--allow-empty",
        help="This book may be empty (repeatable; 'all' for every book): an empty book, and "
        "the P&L check it prevents, is 'waived' instead of 'not_proven' (exit 0, not 5).",
    ),
]
Label = Annotated[
    str | None,
    typer.Option("--label", help="Free text for the evidence, e.g. a story id (leak-guarded)."),
]


EvidenceDir = Annotated[
    Path | None,
    typer.Option(
        "--evidence-dir",
        help="Where run folders go (env JAINAM_EVIDENCE_DIR; default ./evidence).",
        show_default=False,
    ),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Machine output on stdout; logs on stderr.")]
NoColor = Annotated[bool, typer.Option("--no-color", help="No colour (also NO_COLOR).")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Say more on stderr.")]
Sim = Annotated[
    bool, typer.Option("--sim", help="Run against the built-in simulator: no account, no network.")
]
SimProfile = Annotated[
    Profile, typer.Option("--sim-profile", help="Account type the simulator plays with --sim.")
]
Retries = Annotated[
    int,
    typer.Option("--retries", min=0, max=10, help="Retries of a read on 5xx/429/connect errors."),
]
Rate = Annotated[
    float, typer.Option("--rate", min=0, help="At most this many requests per second (0: no cap).")
]
Breaker = Annotated[
    int,
    typer.Option(
        "--breaker", min=0, help="Stop calling a route after N failed samples (0: never)."
    ),
]
Record = Annotated[
    Path | None,
    typer.Option("--record", help="Also write a sanitized cassette of every exchange to DIR."),
]
Replay = Annotated[
    Path | None,
    typer.Option("--replay", help="Serve a recorded cassette on loopback instead of the broker."),
]
ReplayLatencyOpt = Annotated[
    ReplayLatency,
    typer.Option("--replay-latency", help="recorded: wait each exchange's recorded api_ms."),
]
ConnectTimeout = Annotated[
    float, typer.Option("--connect-timeout", min=0.1, help="Seconds to open a connection.")
]
ReadTimeout = Annotated[
    float, typer.Option("--read-timeout", min=0.1, help="Seconds to wait for an answer.")
]


def _invocation(ctx: typer.Context) -> dict[str, Any]:
    """The command and the flags given on its command line, for the evidence. Secrets are
    never command-line arguments, so names and values are safe to record (and leak-guarded
    with the rest of run.json all the same)."""
    flags: dict[str, Any] = {}
    for param in ctx.command.params:
        name = param.name or ""
        source = ctx.get_parameter_source(name)
        # by name: typer vendors click, and its ParameterSource is not public API
        if param.param_type_name == "argument" or getattr(source, "name", "") != "COMMANDLINE":
            continue
        value = ctx.params.get(name)
        flag = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        if isinstance(value, list | tuple):
            flags[flag] = [str(getattr(v, "value", v)) for v in value]
        elif isinstance(value, bool):
            flags[flag] = value
        else:
            flags[flag] = str(getattr(value, "value", value))
    return {"flags": flags}


@dataclass
class Io:
    """Where a command writes: stdout for results, stderr for everything a person reads."""

    out: Console
    err: Console
    json: bool
    verbose: bool

    def note(self, message: str) -> None:
        self.err.print(message, markup=False, highlight=False, soft_wrap=True)

    def debug(self, message: str) -> None:
        if self.verbose:
            self.note(message)


def _io(json_out: bool, no_color: bool, verbose: bool) -> Io:
    from rich.console import Console

    plain = no_color or bool(os.environ.get("NO_COLOR"))
    # emoji off: broker text such as ":white_check_mark:" (or a rule name "encoded:secret:x")
    # must arrive as typed, not as a picture
    return Io(
        out=Console(no_color=plain, highlight=False, soft_wrap=json_out, emoji=False),
        err=Console(stderr=True, no_color=plain, highlight=False, emoji=False),
        json=json_out,
        verbose=verbose,
    )


def _fail(io: Io, message: str, code: int) -> NoReturn:
    from rich.text import Text

    from jainam_validate.inert import visible

    # The message is data (it may quote broker text such as "[/b]", an escape sequence or a
    # line break): never let rich read it as markup, nor the terminal as control.
    message = visible(message)
    io.err.print(Text.assemble(("error", "red"), f": {message}"), highlight=False, soft_wrap=True)
    if io.json:
        sys.stdout.write(json.dumps({"error": message, "exit_code": code}) + "\n")
    raise typer.Exit(code)


def _cell(value: object) -> str:
    """A table cell: data, so control characters are made visible and rich markup escaped."""
    from rich.markup import escape

    from jainam_validate.inert import visible

    return escape(visible("-" if value is None else str(value)))


_STATUS_STYLE = {
    "pass": "green",
    "fail": "red",
    "not_proven": "yellow",
    "waived": "cyan",
    "not_applicable": "dim",
}


def _show_verdict(io: Io, manifest: Any) -> None:
    """Banner (for anything but live), the verdict, and one line per check that is not a
    pass: the same words as report.md, as plain text (never markup)."""
    from jainam_validate import report
    from jainam_validate.inert import visible
    from jainam_validate.verdict import Status, status_of

    note = report.target_banner(manifest)
    if note is not None:
        io.out.print(note, style="bold yellow", markup=False, highlight=False)
    style = {"PASS": "bold green", "FAIL": "bold red"}.get(
        report.run_verdict(manifest).value, "bold yellow"
    )
    io.out.print(report.verdict_text(manifest), style=style, markup=False, highlight=False)
    if manifest.error:
        io.out.print(f"stopped by: {visible(manifest.error)}", markup=False, highlight=False)
    for status in (Status.FAIL, Status.NOT_PROVEN, Status.WAIVED):
        for name, check in manifest.checks.items():
            if status_of(check.status) is status:
                io.out.print(
                    f"  {name} {status.value.replace('_', ' ')}: {visible(check.detail)}",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )


@contextmanager
def _boundary(io: Io) -> Iterator[None]:
    """The one place core errors become exit codes and a single line on stderr."""
    from jainam_validate import errors

    try:
        yield
    except errors.JainamError as exc:
        if _DEBUG.traceback and isinstance(exc, errors.InternalError) and exc.original:
            raise exc.original from None  # --traceback: the bug itself, for the person asking
        _fail(io, str(exc), int(exc.exit_code))
    except KeyboardInterrupt:
        _fail(
            io, "interrupted; what was written so far stays valid", int(errors.ExitCode.INTERRUPTED)
        )
    except (typer.Exit, typer.Abort, TyperException):
        raise  # Typer's own exits and usage errors
    except Exception as exc:  # never a traceback: its text could quote broker data
        if _DEBUG.traceback:
            raise  # --traceback: the person at the keyboard asked to see the bug itself
        failure = errors.InternalError.from_exception(exc)
        _fail(io, str(failure), int(failure.exit_code))


def _keyring_note(io: Io, store: KeyringStore) -> None:
    line = store.fallback_note()
    if line:
        io.note(line)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jainam-validate {__version__}")
        raise typer.Exit()


@dataclass
class _Debug:
    traceback: bool = False


#: Hidden ``--traceback``: a bug shows its real traceback instead of "internal error: type in
#: file:line" (which is all anyone else ever sees, since a message could quote broker data).
_DEBUG = _Debug()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    traceback: Annotated[bool, typer.Option("--traceback", hidden=True)] = False,
) -> None:
    """Validate a Jainam XTS integration: log in, fetch books, time and redact every call."""
    _DEBUG.traceback = traceback


# -- login -----------------------------------------------------------------------------------
@app.command()
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
    replay: Replay = DEFAULTS.replay,
    replay_latency: ReplayLatencyOpt = DEFAULTS.replay_latency,
    evidence_dir: EvidenceDir = DEFAULTS.evidence_dir,
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Log in to the interactive and market-data sessions and show what came back."""
    from jainam_validate.validation import execute

    io = _io(json_out, no_color, verbose)
    flags = BrokerOptions.from_params(click_ctx.params)
    with (
        _boundary(io),
        open_target(flags, note=io.note, debug=io.debug) as ctx,
    ):
        options = replace(
            flags.pass_options("login"),
            target=ctx.target,
            invocation=_invocation(click_ctx),
            flows=(),
            market_session=True,
            reuse_session=False,
            cache_session=not no_cache and not sim,
        )
        result = execute(ctx.settings, ctx.layers, options, redactor=ctx.redactor, store=ctx.store)
        _show_login(io, result, ctx.settings.client_id.get_secret_value())
        raise typer.Exit(int(result.exit_code))


def _expiry(epoch: int | None) -> str:
    from datetime import UTC, datetime

    if epoch is None:
        return "-"
    moment = datetime.fromtimestamp(epoch, UTC)
    left = int(epoch - datetime.now(UTC).timestamp())
    return f"{moment:%Y-%m-%d %H:%M:%S}Z (in {left // 3600}h{(left % 3600) // 60:02d}m)"


def _show_login(io: Io, result: PassResult, client_id: str) -> None:
    session = result.session
    assert session is not None
    data: dict[str, Any] = {
        "run_id": result.manifest.run_id,
        "run_dir": str(result.folder.path),
        "account_type": _account_label(session.account_type.value, client_id),
        "user": session.user,
        "market_data_prefix": session.market_data_prefix,
        "interactive_expires": _expiry(session.interactive_expires),
        "market_expires": _expiry(session.market_expires),
        "login_ms": session.login_ms,
        "exit_code": int(result.exit_code),
        **_json_verdict(result.manifest),
    }
    if io.json:
        _emit_json(io, result, data)
        return
    from rich.table import Table

    table = Table(title="login", show_header=False)
    table.add_row("account type", _cell(data["account_type"]))
    table.add_row("user id", _cell(data["user"]))
    table.add_row("market-data prefix", _cell(data["market_data_prefix"]))
    table.add_row("interactive token expires", _cell(data["interactive_expires"]))
    table.add_row("market token expires", _cell(data["market_expires"]))
    for flow, ms in session.login_ms.items():
        table.add_row(f"{flow} took", f"{ms:.1f} ms")
    io.out.print(table)
    _show_verdict(io, result.manifest)
    io.note(f"evidence: {result.folder.path}")


def _account_label(account: str, client_id: str) -> str:
    """investor, dealer, or dealer-pro when a dealer reads its own (*****) account."""
    if account != "dealer":
        return account
    from jainam_validate.xts import PRO_CLIENT_ID

    return "dealer-pro" if client_id == PRO_CLIENT_ID else "dealer"


def _emit_json(io: Io, result: PassResult, extra: dict[str, Any]) -> None:
    text = json.dumps(extra, indent=2, sort_keys=True, default=str)
    # The leak guard sees stdout too (minus the folder path the user chose, which is theirs).
    checked = {k: v for k, v in extra.items() if k != "run_dir"}
    result.folder.guard(json.dumps(checked, sort_keys=True, default=str), "stdout")
    sys.stdout.write(text + "\n")


# -- fetch -----------------------------------------------------------------------------------
@app.command()
def fetch(
    click_ctx: typer.Context,
    flow: Annotated[Book, typer.Argument(help="Which book to fetch.")],
    iterations: Annotated[
        int, typer.Option("--iterations", "-n", min=1, max=10_000, help="Samples to take.")
    ] = 1,
    day_or_net: Annotated[
        DayOrNet, typer.Option("--day-or-net", help="Positions view (positions only).")
    ] = DayOrNet.NetWise,
    allow_empty: AllowEmpty = None,
    label: Label = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write JUnit XML here.")
    ] = None,
    retries: Retries = DEFAULTS.retries,
    rate: Rate = DEFAULTS.rate,
    breaker: Breaker = DEFAULTS.breaker,
    connect_timeout: ConnectTimeout = DEFAULTS.connect_timeout,
    read_timeout: ReadTimeout = DEFAULTS.read_timeout,
    sim: Sim = DEFAULTS.sim,
    sim_profile: SimProfile = DEFAULTS.sim_profile,
    record: Record = DEFAULTS.record,
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

    io = _io(json_out, no_color, verbose)
    flags = BrokerOptions.from_params(click_ctx.params)
    with _boundary(io):
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
                invocation=_invocation(click_ctx),
                allow_empty=allowed_empty([b.value for b in allow_empty or []]),
                label=label,
                flows=(flow.value,),
                iterations=iterations,
                day_or_net=day_or_net.value,
            )
            result = execute(
                ctx.settings, ctx.layers, options, redactor=ctx.redactor, store=ctx.store
            )
            _show_fetch(io, result, flow.value)
            raise typer.Exit(int(result.exit_code))


_COLUMNS = {
    "positions": ("symbol", "segment", "instrument_id", "product", "quantity", "net_amount", "mtm"),
    "holdings": ("isin", "symbol", "nse_instrument_id", "quantity", "buy_avg_price"),
    "tradebook": ("order", "symbol", "side", "quantity", "price", "status", "traded_at"),
}


def _show_fetch(io: Io, result: PassResult, flow: str) -> None:
    summary = result.manifest.flows.get(flow)
    sample = result.samples.get(flow)
    rows = sample.rows if sample else []
    if io.json:
        _emit_json(
            io,
            result,
            {
                "run_id": result.manifest.run_id,
                "run_dir": str(result.folder.path),
                "flow": flow,
                "exit_code": int(result.exit_code),
                **_json_verdict(result.manifest),
                "summary": summary.model_dump() if summary else None,
                "rows": rows,
            },
        )
        return
    from rich.table import Table

    table = Table(title=f"{flow}: {len(rows)} rows (last usable sample)")
    columns = _COLUMNS[flow]
    for column in columns:
        table.add_column(column)
    for row in rows[:50]:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    if len(rows) > 50:
        table.caption = f"first 50 of {len(rows)} rows; all in samples/{flow}.json"
    io.out.print(table)
    timing = Table(title="timing (ms)")
    for column in ("flow", "samples", "ok", "p50", "p95", "max", "outcomes"):
        timing.add_column(column)
    for name, s in result.manifest.flows.items():
        timing.add_row(
            name, str(s.samples), str(s.ok),
            *("-" if v is None else f"{v:.1f}" for v in (s.p50_ms, s.p95_ms, s.max_ms)),
            ", ".join(f"{k}={v}" for k, v in s.outcomes.items()),
        )  # fmt: skip
    io.out.print(timing)
    _show_verdict(io, result.manifest)
    io.note(f"evidence: {result.folder.path}")


# -- run -------------------------------------------------------------------------------------
@app.command()
def run(
    click_ctx: typer.Context,
    iterations: Annotated[
        int | None,
        typer.Option(
            "--iterations", "-n", min=1, max=10_000, help="Samples per flow [default: 1]."
        ),
    ] = None,
    warmup: Annotated[
        int | None,
        typer.Option(
            "--warmup", min=0, help="First samples left out of the statistics (still logged)."
        ),
    ] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold", help="FLOW=MS on the p95 (repeatable); default 5000 for the books."
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="TOML policy file ([tool.jainam-validate]: thresholds, iterations, warmup).",
        ),
    ] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write JUnit XML here.")
    ] = None,
    day_or_net: Annotated[
        DayOrNet, typer.Option("--day-or-net", help="Positions view.")
    ] = DayOrNet.NetWise,
    allow_empty: AllowEmpty = None,
    label: Label = None,
    retries: Retries = DEFAULTS.retries,
    rate: Rate = DEFAULTS.rate,
    breaker: Breaker = DEFAULTS.breaker,
    connect_timeout: ConnectTimeout = DEFAULTS.connect_timeout,
    read_timeout: ReadTimeout = DEFAULTS.read_timeout,
    sim: Sim = DEFAULTS.sim,
    sim_profile: SimProfile = DEFAULTS.sim_profile,
    record: Record = DEFAULTS.record,
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

    io = _io(json_out, no_color, verbose)
    flags = BrokerOptions.from_params(click_ctx.params)
    with _boundary(io):
        chosen = resolve_policy(
            policy_file=policy, thresholds=threshold or [], iterations=iterations, warmup=warmup
        )
        if junit is not None:
            from jainam_validate.evidence import check_writable

            check_writable(junit)
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        with open_target(flags, note=io.note, debug=io.debug) as ctx:
            options = replace(
                flags.pass_options("run"),
                target=ctx.target,
                invocation=_invocation(click_ctx),
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
            )
            with _progress(io, chosen.iterations * len(options.flows)) as on_event:
                result = execute(
                    ctx.settings, ctx.layers, options,
                    redactor=ctx.redactor, store=ctx.store, on_event=on_event,
                )  # fmt: skip
            _show_run(io, result)
            raise typer.Exit(int(result.exit_code))


@contextmanager
def _progress(io: Io, total: int) -> Iterator[Any]:
    """A progress bar on stderr for multi-sample runs at a terminal; a no-op otherwise."""
    if total <= 3 or io.json or not sys.stdout.isatty():
        yield lambda _step, _sample: None
        return
    from rich.progress import Progress

    with Progress(console=io.err, transient=True) as progress:
        task = progress.add_task("validating", total=total)

        def on_event(step: str, sample: int) -> None:
            if step != "session":
                progress.update(task, advance=1, description=f"{step} {sample}")

        yield on_event


def _json_verdict(m: Any) -> dict[str, Any]:
    """The verdict part of every --json document of a pass."""
    from jainam_validate import report

    return {
        "verdict": report.run_verdict(m).value,
        "verdict_text": report.verdict_text(m),
        "target": m.target,
        "label": m.label,
        "checks": {k: v.model_dump() for k, v in m.checks.items()},
    }


def _show_run(io: Io, result: PassResult) -> None:
    from jainam_validate.verdict import status_of

    m = result.manifest
    if io.json:
        _emit_json(
            io,
            result,
            {
                "run_id": m.run_id,
                "run_dir": str(result.folder.path),
                "exit_code": int(result.exit_code),
                **_json_verdict(m),
                "account_type": m.account_type,
                "flows": {k: v.model_dump() for k, v in m.flows.items()},
            },
        )
        return
    from rich.table import Table

    table = Table(title=f"run {m.run_id} ({m.account_type}, {m.target.get('host')})")
    for column in ("flow", "n", "ok", "p50 ms", "p95 ms", "max ms", "threshold", "outcomes"):
        table.add_column(column)
    for name, s in m.flows.items():
        limit = m.thresholds_ms.get(name)
        table.add_row(
            name, str(s.samples), str(s.ok),
            *("-" if v is None else f"{v:.1f}" for v in (s.p50_ms, s.p95_ms, s.max_ms)),
            f"{limit:g}" if limit else "-",
            ", ".join(f"{k}={v}" for k, v in s.outcomes.items()),
        )  # fmt: skip
    io.out.print(table)
    checks = Table(title="checks")
    for column in ("check", "result", "detail"):
        checks.add_column(column)
    for name, check in m.checks.items():
        status = status_of(check.status).value
        style = _STATUS_STYLE[status]
        checks.add_row(_cell(name), f"[{style}]{status}[/{style}]", _cell(check.detail))
    io.out.print(checks)
    _show_verdict(io, m)
    io.note(f"evidence: {result.folder.path} (report.md)")


# -- report ----------------------------------------------------------------------------------
@app.command("report")
def report_command(
    run_dir: Annotated[
        Path | None, typer.Argument(help="Run folder [default: the newest in --evidence-dir].")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write JUnit XML here.")
    ] = None,
    evidence_dir: EvidenceDir = None,
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """(Re)build report.md (and JUnit) from a run folder's files alone."""
    from jainam_validate import report
    from jainam_validate.evidence import RunFolder, check_run_folder, newest_run
    from jainam_validate.redact import Redactor
    from jainam_validate.settings import Layers, dotenv_in_cwd, pseudonym_key

    io = _io(json_out, no_color, verbose)
    with _boundary(io):
        if run_dir is None:
            configured = Layers(dict(os.environ), dotenv_in_cwd(), None).evidence_env()
            root = evidence_dir or Path(configured.get("JAINAM_EVIDENCE_DIR", "evidence"))
            run_dir = newest_run(root)
            io.note(f"report: the newest folder written by `run` is {run_dir}")
        check_run_folder(run_dir)
        key, _ = pseudonym_key(dict(os.environ))
        folder = RunFolder(run_dir, run_dir.name, Redactor(key))
        text = report.render_folder(run_dir)
        folder.write_text("report.md", text)
        folder.seal()
        if junit is not None:
            from jainam_validate.evidence import write_outside

            xml = report.render_junit(report.load(run_dir))
            folder.guard(xml, str(junit))
            write_outside(junit, xml)
        if io.json:
            sys.stdout.write(
                json.dumps({"run_dir": str(run_dir), "report": str(run_dir / "report.md")}) + "\n"
            )
        else:
            io.note(f"wrote {run_dir / 'report.md'} and {run_dir / 'SHA256SUMS'}")


# -- drift -----------------------------------------------------------------------------------
@app.command()
def drift(
    cassette_dir: Annotated[Path, typer.Argument(help="The recorded cassette (the baseline).")],
    against: Annotated[
        Path | None, typer.Option("--against", help="Compare with this cassette (or run folder).")
    ] = None,
    sim: Annotated[
        bool, typer.Option("--sim", help="Compare with a fresh pass on the simulator.")
    ] = False,
    sim_profile: SimProfile = Profile.investor,
    live: Annotated[
        bool,
        typer.Option("--live", help="Compare with a fresh pass against the configured broker."),
    ] = False,
    evidence_dir: EvidenceDir = None,
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Report payload-shape drift (added, removed, retyped fields, codes); exit 1 on drift."""

    from jainam_validate import cassette, errors
    from jainam_validate import drift as drifting

    io = _io(json_out, no_color, verbose)
    with _boundary(io):
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
        if io.json:
            data = {
                "baseline": str(cassette_dir),
                "drift": [d.__dict__ for d in drifts],
                "flows_not_compared": unmatched,
            }
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
        else:
            for d in drifts:
                io.out.print(d.line(), markup=False, highlight=False, soft_wrap=True)
            for flow in unmatched:
                io.out.print(f"{flow}: only one side has a successful answer; not compared")
            io.note(f"drift: {len(drifts)} difference(s), {len(unmatched)} flow(s) not compared")
        if drifts or unmatched or fresh_exit:
            raise typer.Exit(1)


# -- audit -----------------------------------------------------------------------------------
@app.command()
def audit(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to scan.")],
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Scan files for secrets and unredacted identifiers; exit 1 on any finding."""
    from jainam_validate import audit as auditing
    from jainam_validate import errors
    from jainam_validate.credentials import KeyringStore
    from jainam_validate.inert import visible
    from jainam_validate.redact import Redactor
    from jainam_validate.scanner import Scanner
    from jainam_validate.settings import Layers, dotenv_in_cwd, pseudonym_key

    io = _io(json_out, no_color, verbose)
    with _boundary(io):
        dotenv = dotenv_in_cwd()
        store = KeyringStore()
        layers = Layers(dict(os.environ), dotenv, store)
        redactor = Redactor(pseudonym_key(dict(os.environ))[0])
        known = redactor.seed(*auditing.configured_values(layers))
        _keyring_note(io, store)
        # what the user typed into the runs being audited (a label, paths) is theirs, as it
        # was to the write-time guard: the two agree
        trusted = auditing.user_strings(paths)
        result = auditing.audit(paths, Scanner(redactor, trusted, own=auditing.run_ids(paths)))
        findings = result.findings

        def show(f: auditing.FileFinding) -> None:
            # Plain text, never through rich: a rule such as "encoded:secret:configured" (or a
            # path holding ":smile:" or "[b]") must arrive byte for byte. Only a line holding
            # control characters (a crafted file name) is made inert.
            line = f.line()
            sys.stdout.write((line if line.isprintable() else visible(line)) + "\n")

        if result.files == 0:
            # Never "0 files scanned" and a pass: an empty folder, or one of broken links.
            if not io.json:
                for f in findings:  # the dangling links and unreadable entries, if any
                    show(f)
                sys.stdout.flush()
            named = visible(str(paths[0])) + (
                f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
            )
            kinds: dict[str, int] = {}
            for f in findings:  # only unscanned:* findings when nothing was read
                kind = f.finding.rule.removeprefix("unscanned:")
                kinds[kind] = kinds.get(kind, 0) + 1
            listed = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
            only = f", only {listed}; fix those or" if kinds else "; check the path and"
            raise errors.UsageError(
                f"audit: nothing could be scanned: {named} holds no readable regular file{only} "
                "name the folder or files that hold the evidence"
            )
        if io.json:
            rows = []
            for f in findings:
                row: dict[str, object] = {
                    "path": str(f.path),
                    "line": f.finding.line,
                    "column": f.finding.column,
                    "rule": f.finding.rule,
                }
                if f.link_target is not None:
                    row["link_target"] = f.link_target
                if f.encoding is not None:
                    row["encoding"] = f.encoding
                rows.append(row)
            data = {
                "files": result.files,
                "known_values": known,
                "findings": rows,
                "encodings": result.encodings,  # path -> encoding, for files not in UTF-8
            }
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
        else:
            for f in findings:
                show(f)
            sys.stdout.flush()
            io.note(
                f"audit: {result.files} files scanned against {known} configured secrets/ids "
                f"and the pattern rules: {len(findings)} finding(s)"
            )
        if findings:
            raise typer.Exit(1)


# -- store-creds ---------------------------------------------------------------------------
@app.command("store-creds")
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
    from dataclasses import asdict

    from jainam_validate import credentials, errors
    from jainam_validate.credentials import CREDENTIAL_NAMES, KeyringStore
    from jainam_validate.settings import Layers, dotenv_in_cwd

    io = _io(json_out, no_color, verbose)
    with _boundary(io):
        if sum((from_env, check, delete)) > 1:
            raise errors.UsageError("use only one of --from-env, --check and --delete")
        dotenv = dotenv_in_cwd()
        store = KeyringStore()
        layers = Layers(dict(os.environ), dotenv, store)
        if check:
            report = credentials.check_sources(layers)
            _keyring_note(io, store)
            if io.json:
                data = {name: asdict(item) for name, item in report.items()}
                sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
            else:
                for name, item in report.items():
                    where = item.source or "not set"
                    io.out.print(f"{name:32} {where:8} {item.fingerprint or ''}".rstrip())
            missing = [n for n, item in report.items() if item.source is None]
            raise typer.Exit(2 if missing else 0)
        credentials.ensure_available(store)  # before a single prompt
        if delete:
            from urllib.parse import urlsplit

            base = layers.plain("JAINAM_BASE_URL", "")
            for line in credentials.delete_all(store, urlsplit(base).netloc if base else None):
                io.note(line)
            return
        values: dict[str, str] = {}
        for name in CREDENTIAL_NAMES:
            if from_env:
                found = layers.lookup(name, use_keyring=False)
                if found is None:
                    raise errors.MissingCredential.for_variable(name)
                values[name] = found.value.get_secret_value()
            else:
                if not sys.stdin.isatty():
                    raise errors.UsageError(
                        "no terminal to prompt on: use --from-env to copy the secrets from the "
                        "environment or .env"
                    )
                values[name] = typer.prompt(name, hide_input=True)
        for line in credentials.store_all(store, values):
            io.note(line)


# -- simulate --------------------------------------------------------------------------------
@app.command()
def simulate(
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="0 picks a free port.")
    ] = 8765,
    host: Annotated[str, typer.Option("--host", help="Loopback address to bind.")] = "127.0.0.1",
    profile: Annotated[Profile, typer.Option("--profile")] = Profile.investor,
    fault: Annotated[
        list[str] | None, typer.Option("--fault", help="FLOW=KIND, repeatable.")
    ] = None,
    delay: Annotated[
        list[str] | None, typer.Option("--delay", help="FLOW=MS server delay, repeatable.")
    ] = None,
    empty: Annotated[
        list[Book] | None, typer.Option("--empty", help="Serve this book as 'Data Not Available'.")
    ] = None,
    md_prefix: Annotated[
        list[str] | None,
        typer.Option(
            "--md-prefix", help="Market-data prefix(es) served (default /apibinarymarketdata)."
        ),
    ] = None,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Serve an XTS-compatible API on loopback for demos, tests and rehearsals.

    It accepts the credentials configured in env/.env/keyring when all four are set,
    otherwise the built-in demo ones.
    """
    from jainam_validate import errors

    io = _io(False, no_color, verbose)
    with _boundary(io):
        from jainam_validate.credentials import CREDENTIAL_NAMES, KeyringStore
        from jainam_validate.settings import Layers, dotenv_in_cwd
        from jainam_validate.simulator import (
            DEMO_CREDENTIALS,
            SimConfig,
            SimCredentials,
            Simulator,
            parse_flow_value,
        )

        try:
            faults = dict(parse_flow_value(text, kind="fault") for text in fault or [])
            delays = {
                k: int(v) for k, v in (parse_flow_value(t, kind="delay") for t in delay or [])
            }
        except ValueError as exc:
            raise errors.UsageError(str(exc)) from None
        dotenv = dotenv_in_cwd()
        layers = Layers(dict(os.environ), dotenv, KeyringStore())
        found = [layers.lookup(name) for name in CREDENTIAL_NAMES]
        if all(found):
            credentials = SimCredentials(*(f.value.get_secret_value() for f in found if f))
            which = "the configured credentials"
        else:
            credentials = DEMO_CREDENTIALS
            which = "the demo credentials"
        config = SimConfig(
            profile=profile.value,
            credentials=credentials,
            md_prefixes=tuple(md_prefix) if md_prefix else SimConfig().md_prefixes,
            empty_flows=frozenset(b.value for b in empty or []),
            delays_ms=delays,
            faults=faults,
        )
        try:
            simulator = Simulator(config, host=host, port=port)
        except ValueError as exc:
            raise errors.UsageError(str(exc)) from None
        except OSError as exc:
            raise errors.UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        io.note(
            f"XTS simulator ({profile.value}) on {simulator.base_url}, accepting {which}; "
            f"point the harness at it with JAINAM_BASE_URL={simulator.base_url}; Ctrl-C stops it"
        )
        try:
            simulator.serve_forever()
        except KeyboardInterrupt:
            simulator.stop()
