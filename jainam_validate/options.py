"""The command-line options several commands share, declared once as Typer ``Annotated``
aliases (flag names, help, bounds), and the choice enums behind them. Defaults of the broker
options come from :data:`~jainam_validate.targets.DEFAULTS` at the commands; this module holds
declarations only, no behaviour.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from jainam_validate.targets import Profile, ReplayLatency


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
        metavar="BOOK",
        help="positions, holdings, tradebook or all: this book may be empty (repeatable): an "
        "empty book, and the P&L check it prevents, is 'waived' instead of 'not_proven' (exit "
        "0, not 5).",
    ),
]
Label = Annotated[
    str | None,
    typer.Option(
        "--label",
        metavar="TEXT",
        help="Free text for the evidence, e.g. a story id (leak-guarded).",
    ),
]


EvidenceDir = Annotated[
    Path | None,
    typer.Option(
        "--evidence-dir",
        metavar="DIR",
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
    Profile,
    typer.Option(
        "--sim-profile",
        metavar="investor|dealer",
        help="Account type the simulator plays with --sim (see `simulate --help`).",
    ),
]
Retries = Annotated[
    int,
    typer.Option(
        "--retries", min=0, max=10, metavar="N", help="Retries of a read on 5xx/429/connect errors."
    ),
]
Rate = Annotated[
    float | None,
    typer.Option(
        "--rate",
        min=0,
        metavar="PER_SECOND",
        help="At most this many requests per second (0: no cap). Default: 10 against a broker; "
        "no cap against 127.0.0.1 (--sim, --replay, a local rehearsal).",
    ),
]
Breaker = Annotated[
    int,
    typer.Option(
        "--breaker",
        min=0,
        metavar="N",
        help="Stop calling a route after N failed samples (0: never).",
    ),
]
Record = Annotated[
    Path | None,
    typer.Option(
        "--record", metavar="DIR", help="Also write a sanitized cassette of every exchange to DIR."
    ),
]
Force = Annotated[
    bool,
    typer.Option("--force", help="With --record: replace the cassette already in DIR."),
]
Replay = Annotated[
    Path | None,
    typer.Option(
        "--replay",
        metavar="DIR",
        help="Serve a recorded cassette on loopback instead of the broker.",
    ),
]
ReplayLatencyOpt = Annotated[
    ReplayLatency,
    typer.Option(
        "--replay-latency",
        metavar="none|recorded",
        help="none: answer at once; recorded: wait each exchange's recorded api_ms.",
    ),
]
ConnectTimeout = Annotated[
    float,
    typer.Option(
        "--connect-timeout", min=0.1, metavar="SECONDS", help="Seconds to open a connection."
    ),
]
ReadTimeout = Annotated[
    float,
    typer.Option(
        "--read-timeout", min=0.1, metavar="SECONDS", help="Seconds to wait for an answer."
    ),
]


# -- the options of one or two commands ------------------------------------------------------
Iterations = Annotated[
    int | None,
    typer.Option(
        "--iterations", "-n", min=1, max=10_000, metavar="N", help="Samples per flow [1]."
    ),
]
Warmup = Annotated[
    int | None,
    typer.Option("--warmup", min=0, metavar="N", help="First samples not in the stats (logged)."),
]
Threshold = Annotated[
    list[str] | None,
    typer.Option(
        "--threshold",
        metavar="FLOW=MS",
        help="Fail a flow whose p95 is over MS (repeatable); books default to 5000.",
    ),
]
PolicyFile = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        metavar="FILE",
        help="TOML policy file ([tool.jainam-validate]: thresholds, iterations, warmup).",
    ),
]
Junit = Annotated[
    Path | None, typer.Option("--junit", metavar="FILE", help="Also write JUnit XML.")
]
DayOrNetOpt = Annotated[
    DayOrNet,
    typer.Option(
        "--day-or-net",
        metavar="NetWise|DayWise",
        help="Which positions view to fetch (positions only).",
    ),
]
RunDir = Annotated[
    Path | None,
    typer.Argument(metavar="RUN_DIR", help="Run folder [default: the newest in --evidence-dir]."),
]
StoryFile = Annotated[
    Path | None,
    typer.Option(
        "--story",
        metavar="FILE",
        help="Also record the run in this story markdown file: a Change Log row and a Dev "
        "Notes entry (replaced, not repeated, when run again).",
    ),
]
StoryLabel = Annotated[
    str | None,
    typer.Option(
        "--label",
        metavar="TEXT",
        help="With --story: the text the entry names the run by [default: the run's label].",
    ),
]

# -- simulate --------------------------------------------------------------------------------
#: Every fault kind ``simulate --fault`` accepts, grouped; a test holds this to the simulator's
#: own list (importing the simulator here would cost ``--help`` 100 ms).
FAULT_HELP = (
    "Answer FLOW with fault KIND (repeatable). FLOW: login_interactive, login_market, "
    "positions, holdings, tradebook, quotes, logout_interactive, logout_market. "
    "KIND, transport: timeout, reset, slow_drip, huge_body, plain_http_to_https; "
    "HTTP: html500, html404, nginx502, nginx503, http429; "
    "broken bodies: truncated_json, nonjson200, type_error200, deep_json; "
    "XTS answers: invalid_token_once, invalid_token_always, data_not_available; "
    "hostile (books): unreadable_rows, missing_fields, forged_error, long_symbol, huge_numbers "
    "(holdings), userid_list (logins); "
    "leaky (must never reach the evidence): header_echo, leaky_utf8, leaky_cut, leaky_text, "
    "odd_id_keys, nested_ids (tradebook). "
    "The application under test (IV2) answers on the same port: FLOW app_ping, app_analyzer, "
    "app_positions, app_holdings, app_tradebook, app_symbol; KIND stale_holding "
    "(app_holdings), missing_trade (app_tradebook), analyzer_mode (app_analyzer), "
    "session_broken (app_positions), and html500, nginx502, nginx503, http429, timeout, "
    "reset, truncated_json."
)
Port = Annotated[
    int,
    typer.Option(
        "--port", min=0, max=65535, metavar="PORT", help="Port to listen on; 0 picks a free one."
    ),
]
Host = Annotated[str, typer.Option("--host", metavar="ADDRESS", help="Loopback address to bind.")]
AccountProfile = Annotated[
    Profile,
    typer.Option(
        "--profile",
        metavar="investor|dealer",
        help="investor: a client's own login, the ordinary routes. dealer: a dealer login, "
        "served on the dealer routes with clientID=*****, as Jainam's dealer accounts are.",
    ),
]
Fault = Annotated[list[str] | None, typer.Option("--fault", metavar="FLOW=KIND", help=FAULT_HELP)]
Delay = Annotated[
    list[str] | None,
    typer.Option("--delay", metavar="FLOW=MS", help="Wait MS before answering FLOW (repeatable)."),
]
ServeEmpty = Annotated[
    list[Book] | None,
    typer.Option(
        "--empty",
        metavar="BOOK",
        help="Serve this book (positions, holdings or tradebook) as XTS's empty answer, HTTP 400 "
        "'Data Not Available' (repeatable).",
    ),
]
MdPrefix = Annotated[
    list[str] | None,
    typer.Option(
        "--md-prefix",
        metavar="/PATH",
        help="Path prefix of the market-data API (repeatable; default /apibinarymarketdata). "
        "XTS installations differ; match the harness's JAINAM_MARKET_DATA_PREFIX.",
    ),
]

# -- drift -----------------------------------------------------------------------------------
Baseline = Annotated[
    Path, typer.Argument(metavar="CASSETTE_DIR", help="The recorded cassette (the baseline).")
]
Against = Annotated[
    Path | None,
    typer.Option("--against", metavar="DIR", help="Compare with this cassette (or run folder)."),
]
DriftSim = Annotated[
    bool, typer.Option("--sim", help="Compare with a fresh pass on the simulator.")
]
Live = Annotated[
    bool, typer.Option("--live", help="Compare with a fresh pass against the configured broker.")
]


class HelpCommand(TyperCommand):
    """A command whose help names its arguments as click does: ``BOOK``, ``[RUN_DIR]``,
    ``PATH...`` (not Typer's ``{flow}`` and ``<list[Path]>``), then ends with its examples.
    The click types are Typer's vendored ones, hence ``Any``."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        arguments = [_shown(p) for p in self.get_params(ctx) if p.param_type_name == "argument"]
        return [self.options_metavar or "[OPTIONS]", *arguments]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            row = param.get_help_record(ctx)
            if row is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((_shown(param), row[1]))
            else:
                options.append(row)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _shown(argument: Any) -> str:
    name = str(argument.metavar or argument.name.upper())
    if argument.nargs != 1:
        name += "..."
    return name if argument.required else f"[{name}]"


def _complete(ctx: typer.Context, param: typer.CallbackParam, shell: str | None) -> None:
    if shell is not None and not ctx.resilient_parsing:
        from jainam_validate import completion

        raise typer.Exit(completion.answer(param.opts[0], shell))


def completion_option(flag: str, does: str) -> Any:
    """The root command's ``--show-completion`` / ``--install-completion``, shown in ``--help``.
    The launcher answers the flag before Typer parses anything, with the shell name optional;
    this callback answers it when the app is called another way (CliRunner), shell required."""
    return typer.Option(
        flag,
        metavar="[SHELL]",
        callback=_complete,
        is_eager=True,
        expose_value=False,
        help=f"{does} the completion script for SHELL (bash, zsh, fish, powershell), or for "
        "the shell this runs in.",
    )


# -- examples --------------------------------------------------------------------------------
#: What each command's ``--help`` ends with: a live use, a simulator use and a CI use, as
#: comment + command line pairs. A test parses every one of these command lines.
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "login": (
        ("the broker in JAINAM_BASE_URL, credentials from keyring or .env", "login"),
        ("the built-in simulator: no account, no network", "login --sim"),
        ("CI: keep no session in the keyring, machine output", "login --no-cache --json"),
    ),
    "fetch": (
        ("the live broker: one book, five samples", "fetch holdings -n 5"),
        ("a dealer account on the simulator", "fetch positions --sim --sim-profile dealer"),
        ("CI: a recorded cassette, no network", "fetch tradebook --replay cassettes/today"),
    ),
    "run": (
        (
            "the release pass, recorded for later replays",
            "run --label STORY-1.3 --record cassettes/today",
        ),
        ("the whole pass on the simulator", "run --sim --iterations 20"),
        (
            "CI: replay a cassette, JUnit for the test report",
            "run --replay cassettes/today --junit junit.xml",
        ),
    ),
    "report": (
        ("rebuild the newest run's report.md", "report"),
        (
            "one run folder, with JUnit XML",
            "report evidence/20261130T101500Z-ab12 --junit junit.xml",
        ),
        (
            "record the newest run in the release story (AC6)",
            "report --story docs/stories/1.3.story.md --label STORY-1.3",
        ),
    ),
    "drift": (
        ("has the live broker's payload shape moved?", "drift cassettes/today --live"),
        ("compare two recordings", "drift cassettes/baseline --against cassettes/today"),
        (
            "CI: the simulator against a shipped cassette",
            "drift tests/fixtures/cassettes/investor --sim",
        ),
    ),
    "audit": (
        ("every run folder before attaching it to a story", "audit evidence"),
        ("CI: a machine-readable verdict", "audit evidence cassettes --json"),
    ),
    "store-creds": (
        ("prompt for the four secrets (hidden input)", "store-creds"),
        ("copy them from the environment or .env", "store-creds --from-env"),
        ("which source supplies each one (no values shown)", "store-creds --check"),
    ),
    "attest": (
        ("CI signs the folder it just wrote", "attest evidence/RUN --sign-key ci.key"),
        (
            "the release owner adds a signature",
            "attest evidence/RUN --countersign --sign-key owner.key",
        ),
        (
            "GitHub's actions/attest signs instead",
            "attest evidence/RUN --predicate-only predicate.json",
        ),
    ),
    "verify": (
        (
            "a release gate: live evidence, signed by CI",
            "verify evidence/RUN --key ci.pub --require-target live",
        ),
        (
            "trust a team's allowed_signers file",
            "verify evidence/RUN --allowed-signers signers --identity ci",
        ),
        (
            "CI: only a signed PASS will do",
            "verify evidence/RUN --key ci.pub --require-pass --json",
        ),
    ),
    "simulate": (
        ("the demo account on port 8765", "simulate"),
        (
            "a dealer whose holdings answer HTTP 500",
            "simulate --profile dealer --fault holdings=html500",
        ),
        (
            "slow positions, empty trade book, a free port",
            "simulate --delay positions=6000 --empty tradebook --port 0",
        ),
    ),
}


def epilog(command: str) -> str:
    """The examples block of ``command``'s help (``\\b`` keeps click from re-wrapping it)."""
    lines = [f"  # {note}\n  jainam-validate {line}" for note, line in EXAMPLES[command]]
    return "Examples:\n\n\b\n" + "\n".join(lines)


# -- attest and verify --------------------------------------------------------------------------
SignKey = Annotated[
    Path | None,
    typer.Option(
        "--sign-key",
        metavar="FILE",
        envvar="JAINAM_SIGN_KEY",
        show_envvar=False,
        help="Ed25519 private key (OpenSSH or PEM; env JAINAM_SIGN_KEY) that signs the run "
        "folder's attestation; passphrase from JAINAM_SIGN_KEY_PASSPHRASE or a prompt.",
    ),
]
SealedRunDir = Annotated[
    Path, typer.Argument(metavar="RUN_DIR", help="A sealed run folder (it has SHA256SUMS).")
]
