"""The command-line options several commands share, declared once as Typer ``Annotated``
aliases (flag names, help, bounds), and the choice enums behind them. Defaults of the broker
options come from :data:`~jainam_validate.targets.DEFAULTS` at the commands; this module holds
declarations only, no behaviour.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

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
    Profile, typer.Option("--sim-profile", help="Account type the simulator plays with --sim.")
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
    typer.Option("--replay-latency", help="recorded: wait each exchange's recorded api_ms."),
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
