"""``report.md`` and the CI surfaces (JUnit, job summary), rendered from a run folder alone.

:func:`render` is a pure function of what the folder holds (``run.json``, ``timings.jsonl``,
``samples/``, the artifacts' checksums): the same folder always renders the same bytes (no
clock, no environment), so ``jainam-validate report`` can rebuild the report of an interrupted
run, or re-render after a template fix, and a copied folder reproduces it byte for byte. The
markdown renders on GitHub and GitLab; the latency chart is a mermaid ``xychart-beta`` with a
plain-text fallback beside it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jainam_validate import connection
from jainam_validate.checks import check_rank
from jainam_validate.decoding import parse_json
from jainam_validate.errors import ExitCode
from jainam_validate.evidence import (
    CHECKSUMS,
    MANIFEST,
    REPORT,
    TIMINGS,
    RunManifest,
    artifact_files,
    read_manifest,
    read_timings,
)
from jainam_validate.inert import cell, md
from jainam_validate.iv2 import NOT_COMPARED
from jainam_validate.report_books import holdings_pnl, iv2_section
from jainam_validate.stats import summarise
from jainam_validate.timing import Outcome, TimingRecord
from jainam_validate.verdict import Status, Verdict, banner, headline, status_of, verdict_of
from jainam_validate.xts import BOOKS, Flow, flow_rank

STEP_SUMMARY_LIMIT = 1024 * 1024  # GitHub's cap per step summary


@dataclass(frozen=True)
class RunView:
    """Everything the renderers read, loaded from one run folder."""

    manifest: RunManifest
    records: list[TimingRecord]
    samples: dict[str, dict[str, Any]]
    artifacts: list[tuple[str, str]]  # (relative path, sha256), report.md and SHA256SUMS excluded


def _json(text: str) -> dict[str, Any]:
    """Raise ValueError unless ``text`` is JSON (as ``json.loads`` decides); keep nothing."""
    json.loads(text, object_hook=_drop)
    return {}


def _drop(_: dict[str, Any]) -> None:
    return None


def load(folder: Path) -> RunView:
    """Read a run folder. A folder killed before ``run.json`` was written still renders."""
    records = read_timings(folder)
    if (folder / MANIFEST).exists():
        manifest = read_manifest(folder)
    else:
        manifest = RunManifest(
            run_id=records[0].run_id if records else folder.name,
            command="unknown (run.json missing)",
            started_at=records[0].requested_at if records else "-",
            interrupted=True,
            flows=summarise(records),
            error="run.json is missing: the run was killed before it finished",
        )
    manifest.flows = {f: manifest.flows[f] for f in sorted(manifest.flows, key=flow_rank)}
    manifest.checks = {c: manifest.checks[c] for c in sorted(manifest.checks, key=check_rank)}
    samples: dict[str, dict[str, Any]] = {}
    for path in sorted((folder / "samples").glob("*.json")):
        try:
            text = path.read_text(encoding="utf-8")
            # The report shows the holdings rows (their P&L) and no other sample's: those are
            # only checked to be JSON, their rows never built (a 100,000-row trade book's
            # would add a third to the pass's peak memory)
            samples[path.stem] = parse_json(text) if path.stem == Flow.HOLDINGS else _json(text)
        except (OSError, ValueError):
            continue
    artifacts = [
        (p.relative_to(folder).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in artifact_files(folder)
        if p.name != REPORT
    ]
    return RunView(manifest, records, samples, artifacts)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


_OWN_WORDS = re.compile(r"[A-Za-z0-9 :;,.()_'-]*")


_cell = cell  # any value for a markdown table cell or line, inert


def statuses(manifest: RunManifest) -> dict[str, Status]:
    return {name: status_of(check.status) for name, check in manifest.checks.items()}


def run_verdict(manifest: RunManifest) -> Verdict:
    """PASS, FAIL or INCONCLUSIVE, from the check statuses and the exit code alone."""
    return verdict_of(
        statuses(manifest).values(), manifest.exit_code, interrupted=manifest.interrupted
    )


def verdict_text(manifest: RunManifest) -> str:
    """The verdict sentence, plain (terminal, JUnit): never built from broker text."""
    return headline(statuses(manifest), manifest.exit_code, interrupted=manifest.interrupted)


def verdict(manifest: RunManifest) -> str:
    """The verdict line of report.md: the verdict word in bold, the rest inert text."""
    text = verdict_text(manifest)
    word = run_verdict(manifest).value
    rest = text[len(word) :]
    # Our own words and check names; escaped all the same if run.json was edited to hold more.
    return f"**{word}**{rest if _OWN_WORDS.fullmatch(rest) else md(rest)}"


def target_banner(manifest: RunManifest) -> str | None:
    """The not-live banner for this run, or None for a live run."""
    return banner(manifest.target.get("kind"))


def _summary_lines(m: RunManifest) -> list[str]:
    """The report's first lines: banner, verdict, and what to do about each check that is
    not passed (failed first, then not proven, then waived)."""
    lines: list[str] = []
    note = target_banner(m)
    if note is not None:
        lines += [f"> **{note}**", ""]  # one of our fixed sentences, chosen by target kind
    lines += [verdict(m), ""]
    if m.error:
        lines += [f"Stopped by: {_cell(m.error)}", ""]
    pending = [
        (name, check)
        for status in (Status.FAIL, Status.NOT_PROVEN, Status.WAIVED)
        for name, check in m.checks.items()
        if status_of(check.status) is status
    ]
    if pending:
        lines += [
            f"- {_cell(name)} {status_of(check.status).value.replace('_', ' ')}: "
            f"{_cell(check.detail)}"
            for name, check in pending
        ]
        lines.append("")
    return lines


def mitigation(record: TimingRecord, manifest: RunManifest) -> str:
    """What to do next about one odd call: the runbook's advice, condensed."""
    dealer = manifest.account_type == "dealer"
    if record.outcome is Outcome.EMPTY:
        return (
            "XTS answers an empty book with HTTP 400 'Data Not Available'; read as an empty "
            "book, which proves nothing: if this account should hold data, check the account "
            "type and JAINAM_CLIENT_ID; if it is truly empty, waive the book with --allow-empty."
        )
    if record.outcome is Outcome.AUTH_ERROR:
        return (
            "The session token was rejected (XTS 'Invalid Token'): run `jainam-validate login` "
            "again; another app using the same market-data keys may have taken the session."
        )
    told = connection.kind_in(record.error)
    if told is not None and record.status is None:
        return f"{connection.fix(*told)[:1].upper()}{connection.fix(*told)[1:]}; then rerun."
    if record.outcome is Outcome.TIMEOUT:
        return (
            "No complete answer within the read timeout: rerun; if it persists, raise it with "
            "Jainam with the run id."
        )
    if record.outcome is Outcome.NETWORK_ERROR:
        return "No HTTP response: check the network/VPN and JAINAM_BASE_URL, then rerun."
    if record.outcome is Outcome.BAD_RESPONSE:
        return (
            "The body was not the expected JSON (truncated or another shape): rerun; if it "
            "persists, raise it with Jainam with the run id (the payload shape may have changed)."
        )
    if (
        record.status == 500
        and record.flow == Flow.HOLDINGS
        and "html" in (record.content_type or "")
    ):
        if dealer:
            return (
                "Holdings answered an Express HTML 500 page. On dealer logins this is what the "
                "broker does when clientID is missing or not mapped: check JAINAM_CLIENT_ID "
                "(***** for the pro account); if it persists, escalate to Jainam with the run id."
            )
        return (
            "Holdings answered an Express HTML 500 page (a broker-side fault; on dealer logins it "
            "means clientID was missing): confirm the account type (JAINAM_ACCOUNT_TYPE) and "
            "rerun; if it persists, escalate to Jainam with the run id."
        )
    if record.status == 404:
        return (
            "HTTP 404: the route does not exist on this host; check JAINAM_BASE_URL and the "
            "market-data prefix."
        )
    if record.status in (429, 502, 503, 504):
        return (
            "The broker or its gateway is overloaded or down: wait and rerun; raise it with "
            "Jainam if it persists."
        )
    return (
        "Broker error: see the code and text; rerun, and raise it with Jainam with the run id if "
        "it persists."
    )


def _deviations(view: RunView) -> list[str]:
    m = view.manifest
    out: list[str] = []
    if m.error:
        out.append(f"- **run stopped**: {_cell(m.error)}")
    groups: dict[tuple[object, ...], list[TimingRecord]] = {}
    for r in view.records:
        if r.outcome is Outcome.OK:
            continue
        key = (r.flow, r.route, r.outcome, r.status, r.error, r.code)
        groups.setdefault(key, []).append(r)
    for similar in groups.values():
        r = similar[0]
        if r.flow == Flow.LOGIN_MARKET and r.status == 404 and r.attempt == 1:
            out.append(
                f"- **{_cell(r.flow)}** at {_cell(r.requested_at)}: {_cell(r.route)} answered "
                "HTTP 404; the other market-data prefix was tried once (used: "
                f"{_cell(m.target.get('market_data_prefix') or '-')}). "
                "Set JAINAM_MARKET_DATA_PREFIX to the one that answered to skip the probe."
            )
            continue
        status = r.status if r.status is not None else "no response"
        detail = f" {_cell(r.error)}" if r.error else (f" code {_cell(r.code)}" if r.code else "")
        if len(similar) == 1:
            where = f"sample {r.sample} try {r.attempt} at {r.requested_at}"
        else:
            samples = ", ".join(str(s.sample) for s in similar[:20])
            more = ", …" if len(similar) > 20 else ""
            where = (
                f"{len(similar)} times (samples {samples}{more}; "
                f"{r.requested_at} to {similar[-1].requested_at})"
            )
        out.append(
            f"- **{_cell(r.flow)}** {_cell(where)}: `{r.outcome.value}`, HTTP {_cell(status)}."
            f"{detail} → {md(mitigation(r, m))}"
        )
    for name, check in m.checks.items():
        if name.startswith("latency:") and check.status == "fail":
            if check.detail.startswith("no usable sample"):
                out.append(
                    f"- **{_cell(name)}**: {_cell(check.detail)} → follows from the failed "
                    "calls above."
                )
                continue
            out.append(
                f"- **{_cell(name)}**: {_cell(check.detail)} → rerun with `--iterations 20` to "
                "confirm; the phase table shows whether the time is server time (TTFB) or network."
            )
    return out


def residual_risks(view: RunView) -> list[str]:
    """What this run cannot prove, one markdown sentence each (report.md, the story)."""
    m = view.manifest
    risks = []
    note = target_banner(m)
    if note is not None:
        risks.append(f"{md(note)} Only a run with target kind `live` is evidence about the broker.")
    small = [f for f, s in m.flows.items() if f in BOOKS and s.samples < 20]
    if small:
        risks.append(
            f"{', '.join(small)}: fewer than 20 samples, so p95 is close to the maximum of a "
            "few calls; use `--iterations 20` or more for a stable percentile."
        )
    if m.command == "run" and m.iv2 is None:
        risks.append(
            "IV2 was not exercised: `JAINAM_APP_URL` was not set, so nothing here shows that "
            "the application displays the broker's data."
        )
    elif m.iv2 is not None and not isinstance(m.iv2.get("books"), dict):
        risks.append(f"IV2 was not exercised: {md(str(m.iv2.get('reason') or 'not run'))}.")
    elif m.iv2 is not None:
        risks.append(
            "IV2 read the application's books once, right after the broker's: a trade placed "
            "in between shows as a difference. " + NOT_COMPARED
        )
    if m.account_type == "dealer":
        risks.append(
            "Dealer account: books are read through the dealer routes with clientID "
            "(`*****` addresses the pro account); a mapped client needs JAINAM_CLIENT_ID."
        )
    risks.append(
        "Latency is measured from this machine: network distance to the broker is part of "
        "every figure (see the connect/TLS phases for the share of new connections)."
    )
    risks.append(
        "Identifiers shorter than 4 characters are pseudonymised under their keys but not "
        "searched for in free text."
    )
    return risks


def _chart(m: RunManifest) -> list[str]:
    flows = [(f, s) for f, s in m.flows.items() if s.p95_ms is not None]
    if not flows:
        return ["No usable sample to chart."]
    top = max(max(s.p95_ms or 0 for _, s in flows), 1.0)
    lines = [
        "```mermaid",
        "xychart-beta",
        '    title "Latency per flow (ms): p95 bars, p50 line"',
        f"    x-axis [{', '.join(f for f, _ in flows)}]",
        f'    y-axis "ms" 0 --> {max(top * 1.2, 1):.0f}',
        f"    bar [{', '.join(f'{s.p95_ms:.1f}' for _, s in flows)}]",
        f"    line [{', '.join(f'{s.p50_ms:.1f}' for _, s in flows)}]",
        "```",
        "",
        "<details><summary>Plain-text chart (p95, scaled to the slowest flow)</summary>",
        "",
        "```text",
    ]
    width = max(len(f) for f, _ in flows)
    for flow, s in flows:
        bar = "#" * max(1, round((s.p95_ms or 0) / top * 40))
        limit = m.thresholds_ms.get(flow)
        target = f" / {limit:g} ms" if limit else ""
        lines.append(f"{flow:<{width}} |{bar:<40}| {_ms(s.p95_ms)} ms{target}")
    lines += ["```", "", "</details>"]
    return lines


def render(view: RunView) -> str:
    """The report text."""
    m = view.manifest
    records = view.records
    lines: list[str] = [
        f"# Jainam XTS validation: {_cell(m.command)} {_cell(m.run_id)}",
        "",
        *_summary_lines(m),
        "## Environment",
        "",
        "| item | value |",
        "|---|---|",
        f"| target | {_cell(m.target.get('kind') or 'not recorded')} |",
    ]
    if m.target.get("cassette"):
        lines.append(
            f"| cassette | {_cell(m.target['cassette'])} (index sha256 "
            f"{_cell(m.target.get('cassette_index_sha256') or '-')}) |"
        )
    lines += [
        f"| target host | {_cell(m.target.get('host', '-'))} |",
        f"| market-data prefix used | {_cell(m.target.get('market_data_prefix') or '-')} |",
        f"| account type | {_cell(m.account_type or '-')} |",
        f"| session | {_cell(m.session_origin or '-')} |",
        f"| command | {_cell(_command_line(m))} |",
        f"| label | {_cell(m.label or '-')} |",
        f"| started / ended (UTC) | {_cell(m.started_at)} / {_cell(m.ended_at or '-')} |",
        f"| samples per flow / warm-up | {m.iterations} / {m.warmup} |",
        f"| tool version | {_cell(m.tool_version)} (schema {m.schema_version}) |",
        f"| exit code | {m.exit_code if m.exit_code is not None else '-'} |",
    ]
    for name, source in m.credential_sources.items():
        lines.append(f"| {_cell(name)} | from {_cell(source)} (value never recorded) |")
    lines += ["", "## Release checks", "", "| check | result | evidence |", "|---|---|---|"]
    lines += _release_checks(view)
    lines += [
        "",
        "## Latency per flow",
        "",
        "Sample latency in ms, from the start of a sample's first attempt to its usable result "
        "(nearest-rank percentiles over usable samples).",
        "",
        "| flow | n | ok | retries | rows | p50 | p95 | max | threshold | result |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for flow, s in m.flows.items():
        limit = m.thresholds_ms.get(flow)
        check = m.checks.get(f"latency:{flow}")
        lines.append(
            f"| {_cell(flow)} | {s.samples} | {s.ok} | {s.retries} | "
            f"{s.rows if s.rows is not None else '-'} | {_ms(s.p50_ms)} | {_ms(s.p95_ms)} | "
            f"{_ms(s.max_ms)} | {f'{limit:g}' if limit else '-'} | "
            f"{status_of(check.status).value if check else 'not gated'} |"
        )
    lines += [
        "",
        "### Phases (median ms per attempt) and cold vs warm connections",
        "",
        "| flow | connect | TLS | send | TTFB | receive | api ms cold | api ms warm |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for flow, s in m.flows.items():
        p = s.phase_medians_ms
        lines.append(
            f"| {_cell(flow)} | {_ms(p.get('connect_ms'))} | {_ms(p.get('tls_ms'))} | "
            f"{_ms(p.get('send_ms'))} | {_ms(p.get('ttfb_ms'))} | {_ms(p.get('receive_ms'))} | "
            f"{_ms(s.cold_api_ms_median)} | {_ms(s.warm_api_ms_median)} |"
        )
    lines += ["", "### Chart", ""] + _chart(m)
    lines += holdings_pnl(m, (view.samples.get(Flow.HOLDINGS) or {}).get("rows") or [])
    lines += iv2_section(m)
    lines += ["", "## Deviations and mitigations", ""]
    lines += _deviations(view) or ["None: every call answered `ok`."]
    lines += ["", "## Residual risks", ""] + [f"- {r}" for r in residual_risks(view)]
    lines += [
        "",
        "## Calls",
        "",
        f"<details><summary>{len(records)} HTTP attempts with request and response "
        "timestamps (UTC)</summary>",
        "",
        "| flow | sample | try | request | status | outcome | requested at | responded at "
        "| api ms | total ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        query = f"?{'&'.join(k + '=…' for k in r.query_keys)}" if r.query_keys else ""
        lines.append(
            f"| {_cell(r.flow)} | {r.sample} | {r.attempt} | {_cell(r.method)} "
            f"{_cell(r.route + query)} | {r.status if r.status is not None else '-'} | "
            f"{r.outcome.value} | {_cell(r.requested_at)} | {_cell(r.responded_at or '-')} | "
            f"{_ms(r.api_ms)} | {_ms(r.total_ms)} |"
        )
    lines += ["", "</details>", "", "## Artifacts", "", "| file | sha256 |", "|---|---|"]
    for name, digest in view.artifacts:
        lines.append(f"| {_cell(name)} | `{digest}` |")
    lines += [
        f"| `{REPORT}` | this file |",
        f"| `{CHECKSUMS}` | written last; `sha256sum -c {CHECKSUMS}` verifies every file |",
    ]
    return "\n".join(lines) + "\n"


#: How each check reads in the report's release-check table.
_CHECK_TITLES = {
    "session:interactive": "Interactive session established",
    "session:market": "Market-data session established",
    "live_capture": "Live run captured with timestamps",
    "holdings_pnl": "Holdings P&L from live quotes (AC3)",
    "iv2:positions": "Application shows the broker's positions (IV2)",
    "iv2:holdings": "Application shows the broker's holdings (IV2)",
    "iv2:tradebook": "Application shows the broker's trade book (IV2)",
}


def check_title(name: str) -> str:
    if name in _CHECK_TITLES:
        return _CHECK_TITLES[name]
    kind, _, flow = name.partition(":")
    if kind == "flow":
        return f"{flow} answered with rows"
    if kind == "latency":
        return f"{flow} latency within target"
    return name


def _release_checks(view: RunView) -> list[str]:
    m = view.manifest
    rows = [
        f"| {_CHECK_TITLES.get(name) or _cell(check_title(name))} | "
        f"{status_of(check.status).value} | "
        f"{_cell(check.detail)} |"
        for name, check in m.checks.items()
    ]
    names = {name for name, _ in view.artifacts}
    expected = [TIMINGS, MANIFEST] + [f"samples/{f}.json" for f in sorted(view.samples)]
    missing = [n for n in expected if n not in names]
    rows.append(
        f"| Evidence files present | {'fail' if missing else 'pass'} | "
        + _cell(
            (f"missing: {', '.join(missing)}" if missing else ", ".join(expected))
            + f", {REPORT}, {CHECKSUMS}"
        )
        + " |"
    )
    guard = m.leak_guard or {}
    rows.append(
        "| No credentials or raw ids persisted | "
        + ("fail" if m.exit_code == ExitCode.LEAK else "pass")
        + f" | leak guard checked every artifact against {guard.get('known_values', 0)} known "
        "secrets and identifiers before writing; `jainam-validate audit` re-checks the folder |"
    )
    return rows


def _command_line(m: RunManifest) -> str:
    """The command and the flags the user gave (names and non-secret values)."""
    flags = m.invocation.get("flags") if isinstance(m.invocation, dict) else None
    parts = [f"jainam-validate {m.command}"]
    if isinstance(flags, dict):
        for name, value in flags.items():
            if value is True:
                parts.append(str(name))
            elif isinstance(value, list):
                parts.extend(f"{name} {v}" for v in value)
            else:
                parts.append(f"{name} {value}")
    return " ".join(parts)


def render_folder(folder: Path) -> str:
    """Render the report of a run folder from its files alone."""
    return render(load(folder))


def render_junit(view: RunView) -> str:
    """JUnit XML for CI (see :mod:`jainam_validate.junit` for the mapping)."""
    from jainam_validate.junit import render_junit as junit

    return junit(view)


def render_step_summary(view: RunView) -> str:
    """A compact summary for ``$GITHUB_STEP_SUMMARY`` (long tables folded, under 1 MiB)."""
    m = view.manifest
    lines = [f"### jainam-validate {_cell(m.command)} {_cell(m.run_id)}", ""]
    note = target_banner(m)
    if note is not None:
        lines += [f"> **{note}**", ""]
    lines += [verdict(m), ""]
    if m.label:
        lines += [f"Label: {_cell(m.label)}", ""]
    lines += ["| check | result | detail |", "|---|---|---|"]
    lines += [
        f"| {_cell(n)} | {status_of(c.status).value} | {_cell(c.detail)} |"
        for n, c in m.checks.items()
    ]
    lines += ["", "<details><summary>Latency per flow (ms)</summary>", ""]
    lines += ["| flow | n | p50 | p95 | max |", "|---|---|---|---|---|"]
    lines += [
        f"| {_cell(f)} | {s.samples} | {_ms(s.p50_ms)} | {_ms(s.p95_ms)} | {_ms(s.max_ms)} |"
        for f, s in m.flows.items()
    ]
    lines += ["", "</details>", ""]
    text = "\n".join(lines) + "\n"
    if len(text.encode()) > STEP_SUMMARY_LIMIT:
        head = lines[: lines.index(verdict(m)) + 1]
        text = "\n".join(head) + "\n\n(summary truncated: see report.md)\n"
    return text


def rebuild(run_dir: Path, *, key: bytes, junit: Path | None = None) -> None:
    """``report``: re-render ``report.md`` (and JUnit XML to ``junit``) from a run folder's
    files alone, leak-guard both, and reseal ``SHA256SUMS``. The folder is checked first, so a
    wrong path is a usage error and nothing already written is touched."""
    from jainam_validate.evidence import RunFolder, check_run_folder, write_outside
    from jainam_validate.redact import Redactor

    check_run_folder(run_dir)
    folder = RunFolder(run_dir, run_dir.name, Redactor(key))
    folder.write_text("report.md", render_folder(run_dir))
    folder.seal()
    if junit is not None:
        xml = render_junit(load(run_dir))
        folder.guard(xml, str(junit))
        write_outside(junit, xml)
