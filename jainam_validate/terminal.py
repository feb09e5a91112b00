"""What a person or a script sees of a command: the terminal and ``--json`` rendering.

:class:`Io` says where output goes (results on stdout, everything a person reads on stderr);
the ``show_*`` functions render a pass's result as tables or as one JSON document, and
:func:`fail` prints the one error line (and its JSON twin). Everything broker-derived that
reaches a terminal is data, never markup or control: cells go through :func:`cell`, lines
through :func:`~jainam_validate.inert.visible`. Rich is imported inside the functions, so
``--help`` does not pay for it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from jainam_validate.audit import FileFinding
    from jainam_validate.credentials import KeyringStore, SourceReport
    from jainam_validate.drift import Drift
    from jainam_validate.evidence import RunManifest
    from jainam_validate.redact import Redactor
    from jainam_validate.targets import Rehearsal
    from jainam_validate.timing import TimingRecord
    from jainam_validate.validation import PassResult


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


def make_io(json_out: bool, no_color: bool, verbose: bool) -> Io:
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


def fail(io: Io, message: str, code: int, *, run_dir: Path | None = None) -> NoReturn:
    """The one error line (and ``--json``'s error document), naming the run folder the pass
    wrote before it stopped, when it wrote one."""
    from rich.text import Text

    from jainam_validate.inert import visible

    # The message is data (it may quote broker text such as "[/b]", an escape sequence or a
    # line break): never let rich read it as markup, nor the terminal as control.
    message = visible(message)
    io.err.print(Text.assemble(("error", "red"), f": {message}"), highlight=False, soft_wrap=True)
    if run_dir is not None:
        io.note(f"evidence: {run_dir} (report.md)")
    if io.json:
        document: dict[str, object] = {"error": message, "exit_code": code}
        if run_dir is not None:
            document["run_dir"] = str(run_dir)
        sys.stdout.write(json.dumps(document) + "\n")
    raise typer.Exit(code)


def cell(value: object) -> str:
    """A table cell: data, so control characters are made visible and rich markup escaped."""
    from rich.markup import escape

    from jainam_validate.inert import visible

    return escape(visible("-" if value is None else str(value)))


STATUS_STYLE = {
    "pass": "green",
    "fail": "red",
    "not_proven": "yellow",
    "waived": "cyan",
    "not_applicable": "dim",
}


def show_findings(findings: Iterable[FileFinding]) -> None:
    """audit's findings, one line each, as plain text on stdout, never through rich: a rule such
    as "encoded:secret:configured" (or a path holding ":smile:" or "[b]") must arrive byte for
    byte. Only a line holding control characters (a crafted file name) is made inert."""
    from jainam_validate.inert import visible

    for f in findings:
        line = f.line()
        sys.stdout.write((line if line.isprintable() else visible(line)) + "\n")
    sys.stdout.flush()


def show_sources(io: Io, sources: dict[str, SourceReport]) -> None:
    """``store-creds --check``: where each credential comes from and its fingerprint."""
    if io.json:
        from dataclasses import asdict

        # the document keeps its shape, one entry per credential (scripts read it); the
        # broker root's line is for the person reading
        urls = ("JAINAM_BASE_URL", "JAINAM_APP_URL")
        data = {n: asdict(item) for n, item in sources.items() if n not in urls}
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return
    from jainam_validate.inert import visible

    for name, item in sources.items():
        where = item.source or "not set"
        shown = item.fingerprint or (visible(item.value) if item.value else "")
        line = f"{name:32} {where:8} {shown}".rstrip()
        if item.note:
            line += f"  ({item.note})"
        io.out.print(line, markup=False, highlight=False, soft_wrap=True)


def requests_log(io: Io, redactor: Redactor) -> Callable[[TimingRecord], None] | None:
    """With ``-v``: one line per HTTP attempt as it is recorded (flow, sample and attempt,
    method, route, status, outcome, ms), its route and error scrubbed like the log's."""
    if not io.verbose:
        return None

    def log(record: TimingRecord) -> None:
        status = record.status if record.status is not None else "no response"
        ms = f"{record.total_ms:.1f} ms"
        error = f": {redactor.scrub(record.error)}" if record.error else ""
        io.debug(
            f"{record.flow} {record.sample}.{record.attempt} {record.method} "
            f"{redactor.scrub(record.route)} -> {status} {record.outcome.value} {ms}{error}"
        )

    return log


def show_simulator(io: Io, base_url: str, profile: str, plan: Rehearsal) -> None:
    """``simulate``'s first lines: where it listens, which credentials it accepts (the demo
    ones are public and printed, ready for .env; configured ones never are) and how to point
    the harness at it."""
    from jainam_validate.credentials import CREDENTIAL_NAMES

    io.note(f"XTS simulator ({profile}) on {base_url}; Ctrl-C stops it")
    if plan.demo:
        io.note("accepts the demo credentials (public, for rehearsals only); in .env:")
        values = plan.config.credentials.values()
        for name, value in zip(CREDENTIAL_NAMES, values, strict=True):
            io.note(f"  {name}='{value}'")
    else:
        io.note(f"accepts {plan.accepts} (the four from the environment, .env or keyring)")
    # the application under test (IV2) answers on the same port
    if plan.demo_app_key:
        io.note(f"  JAINAM_APP_URL={base_url}")
        io.note(f"  JAINAM_APP_API_KEY='{plan.config.app_key}'")
    else:
        io.note(f"the application (IV2) is on {base_url} too, with the configured key")
    io.note(
        f"point the harness at it: JAINAM_BASE_URL={base_url} jainam-validate run "
        "(runbooks/live-validation.md, 'Rehearse on the simulator')"
    )


def show_drift(io: Io, baseline: Path, drifts: list[Drift], unmatched: list[str]) -> None:
    """``drift``: one line per difference, then the flows only one side answered."""
    if io.json:
        data = {
            "baseline": str(baseline),
            "drift": [d.__dict__ for d in drifts],
            "flows_not_compared": unmatched,
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    for d in drifts:
        io.out.print(d.line(), markup=False, highlight=False, soft_wrap=True)
    for flow in unmatched:
        io.out.print(f"{flow}: only one side has a successful answer; not compared")
    io.note(f"drift: {len(drifts)} difference(s), {len(unmatched)} flow(s) not compared")


def show_verdict(io: Io, manifest: RunManifest) -> None:
    """Banner (for anything but live), the verdict, and one line per check that is not a
    pass: the same words as report.md, as plain text (never markup)."""
    from jainam_validate import report
    from jainam_validate.inert import visible
    from jainam_validate.verdict import Status, status_of

    note = report.target_banner(manifest)
    if note is not None:
        # two lines by design: at 80 columns a wrap would cut the sentence anywhere
        head, _, tail = note.partition("; ")
        for line in (f"{head};", tail) if tail else (head,):
            io.out.print(line, style="bold yellow", markup=False, highlight=False)
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


def keyring_note(io: Io, store: KeyringStore) -> None:
    line = store.fallback_note()
    if line:
        io.note(line)


def expiry(epoch: int | None) -> str:
    from datetime import UTC, datetime

    if epoch is None:
        return "-"
    moment = datetime.fromtimestamp(epoch, UTC)
    left = int(epoch - datetime.now(UTC).timestamp())
    return f"{moment:%Y-%m-%d %H:%M:%S}Z (in {left // 3600}h{(left % 3600) // 60:02d}m)"


def show_login(io: Io, result: PassResult, client_id: str) -> None:
    session = result.session
    assert session is not None
    data: dict[str, Any] = {
        "run_id": result.manifest.run_id,
        "run_dir": str(result.folder.path),
        "account_type": account_label(session.account_type.value, client_id),
        "user": session.user,
        "market_data_prefix": session.market_data_prefix,
        "interactive_expires": expiry(session.interactive_expires),
        "market_expires": expiry(session.market_expires),
        "login_ms": session.login_ms,
        "exit_code": int(result.exit_code),
        **json_verdict(result.manifest),
    }
    if io.json:
        emit_json(io, result, data)
        return
    from rich.table import Table

    table = Table(title="login", show_header=False)
    table.add_row("account type", cell(data["account_type"]))
    table.add_row("user id", cell(data["user"]))
    table.add_row("market-data prefix", cell(data["market_data_prefix"]))
    table.add_row("interactive token expires", cell(data["interactive_expires"]))
    table.add_row("market token expires", cell(data["market_expires"]))
    for flow, ms in session.login_ms.items():
        table.add_row(f"{flow} took", f"{ms:.1f} ms")
    io.out.print(table)
    show_verdict(io, result.manifest)
    io.note(f"evidence: {result.folder.path}")


def account_label(account: str, client_id: str) -> str:
    """investor, dealer, or dealer-pro when a dealer reads its own (*****) account."""
    if account != "dealer":
        return account
    from jainam_validate.xts import PRO_CLIENT_ID

    return "dealer-pro" if client_id == PRO_CLIENT_ID else "dealer"


def emit_json(io: Io, result: PassResult, extra: dict[str, Any]) -> None:
    text = json.dumps(extra, indent=2, sort_keys=True, default=str)
    # The leak guard sees stdout too (minus the folder path the user chose, which is theirs).
    checked = {k: v for k, v in extra.items() if k != "run_dir"}
    result.folder.guard(json.dumps(checked, sort_keys=True, default=str), "stdout")
    sys.stdout.write(text + "\n")


COLUMNS = {
    "positions": ("symbol", "segment", "instrument_id", "product", "quantity", "net_amount", "mtm"),
    "holdings": ("isin", "symbol", "nse_instrument_id", "quantity", "buy_avg_price"),
    "tradebook": ("order", "symbol", "side", "quantity", "price", "status", "traded_at"),
}


#: Columns that hold pseudonyms: never cut or wrapped.
IDENTIFIER_COLUMNS = frozenset({"order"})


def show_fetch(io: Io, result: PassResult, flow: str) -> None:
    summary = result.manifest.flows.get(flow)
    sample = result.samples.get(flow)
    rows = sample.rows if sample else []
    if io.json:
        emit_json(
            io,
            result,
            {
                "run_id": result.manifest.run_id,
                "run_dir": str(result.folder.path),
                "flow": flow,
                "exit_code": int(result.exit_code),
                **json_verdict(result.manifest),
                "summary": summary.model_dump() if summary else None,
                "rows": rows,
            },
        )
        return
    from rich.table import Table

    table = Table(title=f"{flow}: {len(rows)} rows (last usable sample)")
    columns = COLUMNS[flow]
    for column in columns:
        # at 80 columns a value wraps rather than being cut ("order_5eea…" joins nothing);
        # a pseudonym is kept whole on its line
        widest = max((len(str(row.get(column))) for row in rows[:50]), default=0)
        if column in IDENTIFIER_COLUMNS:
            table.add_column(column, no_wrap=True, min_width=max(widest, len(column)))
        else:
            table.add_column(column, overflow="fold")
    for row in rows[:50]:
        table.add_row(*(cell(row.get(c)) for c in columns))
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
    show_verdict(io, result.manifest)
    show_reasons(io, result.manifest, result.records)
    io.note(f"evidence: {result.folder.path}")


@contextmanager
def progress(io: Io, total: int) -> Iterator[Any]:
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


def json_verdict(m: RunManifest) -> dict[str, Any]:
    """The verdict part of every --json document of a pass."""
    from jainam_validate import report

    return {
        "verdict": report.run_verdict(m).value,
        "verdict_text": report.verdict_text(m),
        "target": m.target,
        "label": m.label,
        "checks": {k: v.model_dump() for k, v in m.checks.items()},
    }


def show_run(io: Io, result: PassResult) -> None:
    from jainam_validate.verdict import status_of

    m = result.manifest
    if io.json:
        emit_json(
            io,
            result,
            {
                "run_id": m.run_id,
                "run_dir": str(result.folder.path),
                "exit_code": int(result.exit_code),
                **json_verdict(m),
                "account_type": m.account_type,
                "flows": {k: v.model_dump() for k, v in m.flows.items()},
            },
        )
        return
    from rich.table import Table

    table = Table(title=f"run {m.run_id} ({m.account_type}, {m.target.get('host')}), times in ms")
    # readable at 80 columns: flow names whole (never "login_intera…"), short headers, and
    # the outcomes wrap between entries rather than being cut
    widest = max((len(name) for name in m.flows), default=4)
    table.add_column("flow", no_wrap=True, min_width=widest)
    for column in ("n", "ok", "p50", "p95", "max", "limit"):
        table.add_column(column)
    table.add_column("outcomes", overflow="fold")
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
        style = STATUS_STYLE[status]
        checks.add_row(cell(name), f"[{style}]{status}[/{style}]", cell(check.detail))
    io.out.print(checks)
    show_verdict(io, m)
    show_reasons(io, m, result.records)
    io.note(f"evidence: {result.folder.path} (report.md)")


def show_reasons(io: Io, manifest: RunManifest, records: list[TimingRecord]) -> None:
    """Under the verdict, for each flow that did not pass: what its last failed call got and
    what to do, in report.md's words (its mitigation), so the user need not open it first."""
    from jainam_validate import report
    from jainam_validate.inert import visible
    from jainam_validate.timing import Outcome
    from jainam_validate.verdict import Status, status_of

    for name, check in manifest.checks.items():
        if not name.startswith("flow:") or status_of(check.status) in (Status.PASS, Status.WAIVED):
            continue
        flow = name.removeprefix("flow:")
        failed = [r for r in records if r.flow == flow and r.outcome is not Outcome.OK]
        if not failed:
            continue
        last = failed[-1]
        got = f"HTTP {last.status}" if last.status is not None else "no HTTP response"
        if last.content_type:
            got += f" {last.content_type.split(';')[0]}"
        tries = f" ({last.attempt} attempts)" if last.attempt > 1 else ""
        advice = report.mitigation(last, manifest)
        io.out.print(
            f"  → {flow}: {visible(got)}{tries}: {visible(advice)} See report.md.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
