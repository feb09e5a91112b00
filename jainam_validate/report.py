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
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

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
from jainam_validate.stats import summarise
from jainam_validate.timing import Outcome, TimingRecord

BOOK_FLOWS = ("positions", "holdings", "tradebook")
#: Flows and checks are shown in the order a pass runs them, whatever order run.json sorts to.
FLOW_ORDER = ("login_interactive", "login_market", "positions", "holdings", "tradebook", "quotes")


def flow_rank(flow: str) -> tuple[int, str]:
    return (FLOW_ORDER.index(flow) if flow in FLOW_ORDER else len(FLOW_ORDER), flow)


def _check_rank(name: str) -> tuple[int, tuple[int, str]]:
    kind, _, flow = name.partition(":")
    return (["flow", "latency"].index(kind) if kind in ("flow", "latency") else 2, flow_rank(flow))


STEP_SUMMARY_LIMIT = 1024 * 1024  # GitHub's cap per step summary


@dataclass(frozen=True)
class RunView:
    """Everything the renderers read, loaded from one run folder."""

    manifest: RunManifest
    records: list[TimingRecord]
    samples: dict[str, dict[str, Any]]
    artifacts: list[tuple[str, str]]  # (relative path, sha256), report.md and SHA256SUMS excluded


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
    manifest.checks = {c: manifest.checks[c] for c in sorted(manifest.checks, key=_check_rank)}
    samples: dict[str, dict[str, Any]] = {}
    for path in sorted((folder / "samples").glob("*.json")):
        try:
            samples[path.stem] = json.loads(path.read_text(encoding="utf-8"))
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


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def verdict(manifest: RunManifest) -> str:
    code = manifest.exit_code
    if manifest.interrupted:
        return "**INTERRUPTED**: the run was stopped before it finished; the evidence is partial."
    if code == 0:
        return "**PASS**: every check passed."
    if code == 1:
        return "**FAIL**: the run completed, but at least one check failed (see Deviations)."
    if code is None:
        return "**INCOMPLETE**: the run did not record an exit code."
    reason = manifest.error or _EXIT_MEANING.get(code, "the run could not complete")
    return f"**ERROR** (exit {code}): {reason}"


_EXIT_MEANING = {
    2: "usage or configuration error",
    3: "the broker rejected the credentials or the session token (see Deviations)",
    4: "the broker could not be reached",
    7: "the leak guard stopped an artifact from being written",
}


def mitigation(record: TimingRecord, manifest: RunManifest) -> str:
    """What to do next about one odd call: the runbook's advice, condensed."""
    dealer = manifest.account_type == "dealer"
    if record.outcome is Outcome.EMPTY:
        return (
            "XTS answers an empty book with HTTP 400 'Data Not Available'; read as an empty "
            "book. No action unless this account should hold data (then check the account type "
            "and JAINAM_CLIENT_ID)."
        )
    if record.outcome is Outcome.AUTH_ERROR:
        return (
            "The session token was rejected (XTS 'Invalid Token'): run `jainam-validate login` "
            "again; another app using the same market-data keys may have taken the session."
        )
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
    if record.status == 500 and record.flow == "holdings" and "html" in (record.content_type or ""):
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
        if r.flow == "login_market" and r.status == 404 and r.attempt == 1:
            out.append(
                f"- **{r.flow}** at {r.requested_at}: `{r.route}` answered HTTP 404; the other "
                "market-data prefix was tried once (used: "
                f"`{m.target.get('market_data_prefix') or '-'}`). "
                "Set JAINAM_MARKET_DATA_PREFIX to the one that answered to skip the probe."
            )
            continue
        status = r.status if r.status is not None else "no response"
        detail = f" {_cell(r.error)}" if r.error else (f" `{r.code}`" if r.code else "")
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
            f"- **{r.flow}** {where}: `{r.outcome.value}`, HTTP {status}.{detail} "
            f"→ {mitigation(r, m)}"
        )
    for name, check in m.checks.items():
        if name.startswith("latency:") and check.status == "fail":
            if check.detail.startswith("no usable sample"):
                out.append(f"- **{name}**: {check.detail} → follows from the failed calls above.")
                continue
            out.append(
                f"- **{name}**: {check.detail} → rerun with `--iterations 20` to confirm; the "
                "phase table shows whether the time is server time (TTFB) or network."
            )
    for flow, sample in sorted(view.samples.items()):
        bad = sample.get("malformed_rows") or []
        if bad:
            where = ", ".join(str(b.get("index")) for b in bad[:10])
            out.append(
                f"- **{flow}**: {len(bad)} row(s) could not be read ({where}); the rest of "
                "the book stands. See `samples/{flow}.json` for fields and reasons.".replace(
                    "{flow}", flow
                )
            )
    return out


def _residual_risks(view: RunView) -> list[str]:
    m = view.manifest
    risks = []
    host = str(m.target.get("host", ""))
    if host.startswith(("127.", "localhost", "[::1]")):
        risks.append(
            "The target is a loopback address (the built-in simulator or a replay): this run "
            "proves the harness and the integration logic, not the live broker."
        )
    small = [f for f, s in m.flows.items() if f in BOOK_FLOWS and s.samples < 20]
    if small:
        risks.append(
            f"{', '.join(small)}: fewer than 20 samples, so p95 is close to the maximum of a "
            "few calls; use `--iterations 20` or more for a stable percentile."
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
        f"# Jainam XTS validation: `{m.command}` run `{m.run_id}`",
        "",
        verdict(m),
        "",
        "## Environment",
        "",
        "| item | value |",
        "|---|---|",
        f"| target host | `{m.target.get('host', '-')}` |",
        f"| market-data prefix used | `{m.target.get('market_data_prefix') or '-'}` |",
        f"| account type | {m.account_type or '-'} |",
        f"| session | {m.session_origin or '-'} |",
        f"| started / ended (UTC) | {m.started_at} / {m.ended_at or '-'} |",
        f"| samples per flow / warm-up | {m.iterations} / {m.warmup} |",
        f"| tool version | {m.tool_version} (schema {m.schema_version}) |",
        f"| exit code | {m.exit_code if m.exit_code is not None else '-'} |",
    ]
    for name, source in m.credential_sources.items():
        lines.append(f"| {name} | from {source} (value never recorded) |")
    lines += ["", "## Release checks", "", "| check | result | evidence |", "|---|---|---|"]
    lines += _release_checks(view)
    lines += [
        "",
        "## Latency per flow",
        "",
        "Sample latency in ms, from the start of a sample's first attempt to its usable result "
        "(nearest-rank percentiles over usable samples).",
        "",
        "| flow | n | ok | retries | p50 | p95 | max | threshold | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for flow, s in m.flows.items():
        limit = m.thresholds_ms.get(flow)
        check = m.checks.get(f"latency:{flow}")
        lines.append(
            f"| {flow} | {s.samples} | {s.ok} | {s.retries} | {_ms(s.p50_ms)} | {_ms(s.p95_ms)} | "
            f"{_ms(s.max_ms)} | {f'{limit:g}' if limit else '-'} | "
            f"{check.status if check else 'not gated'} |"
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
            f"| {flow} | {_ms(p.get('connect_ms'))} | {_ms(p.get('tls_ms'))} | "
            f"{_ms(p.get('send_ms'))} | {_ms(p.get('ttfb_ms'))} | {_ms(p.get('receive_ms'))} | "
            f"{_ms(s.cold_api_ms_median)} | {_ms(s.warm_api_ms_median)} |"
        )
    lines += ["", "### Chart", ""] + _chart(m)
    lines += _holdings_pnl(view)
    lines += ["", "## Deviations and mitigations", ""]
    lines += _deviations(view) or ["None: every call answered `ok`."]
    lines += ["", "## Residual risks", ""] + [f"- {r}" for r in _residual_risks(view)]
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
            f"| {r.flow} | {r.sample} | {r.attempt} | {r.method} `{r.route}{query}` | "
            f"{r.status if r.status is not None else '-'} | {r.outcome.value} | {r.requested_at} | "
            f"{r.responded_at or '-'} | {_ms(r.api_ms)} | {_ms(r.total_ms)} |"
        )
    lines += ["", "</details>", "", "## Artifacts", "", "| file | sha256 |", "|---|---|"]
    for name, digest in view.artifacts:
        lines.append(f"| `{name}` | `{digest}` |")
    lines += [
        f"| `{REPORT}` | this file |",
        f"| `{CHECKSUMS}` | written last; `sha256sum -c {CHECKSUMS}` verifies every file |",
    ]
    return "\n".join(lines) + "\n"


def _holdings_pnl(view: RunView) -> list[str]:
    check = view.manifest.checks.get("holdings_pnl")
    if check is None:
        return []
    extra = check.model_extra or {}
    lines = [
        "",
        "## Holdings P&L from live quotes (AC3)",
        "",
        f"**{check.status}**: {check.detail}",
    ]
    problems = extra.get("problems") or []
    lines += [f"- not priced: {_cell(p)}" for p in problems]
    rows = (view.samples.get("holdings") or {}).get("rows") or []
    if not rows or "ltp" not in rows[0]:
        return lines
    lines += [
        "",
        "| symbol | ISIN | qty | avg price | LTP | invested | current | P&L | P&L % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [row.get(k) for k in ("symbol", "isin", "quantity", "buy_avg_price", "ltp",
                                      "invested", "current", "pnl", "pnl_pct")]  # fmt: skip
        lines.append("| " + " | ".join("-" if c is None else _cell(c) for c in cells) + " |")
    if check.status == "pass":
        lines.append(
            f"| **total** | | | | | {extra.get('invested')} | {extra.get('current')} | "
            f"**{extra.get('total_pnl')}** | {extra.get('pnl_pct')} |"
        )
    return lines


def _release_checks(view: RunView) -> list[str]:
    m = view.manifest
    rows: list[str] = []
    if view.records:
        first = view.records[0].requested_at
        last = max((r.responded_at or r.requested_at) for r in view.records)
        rows.append(
            f"| Live run captured with timestamps | {'pass' if not m.interrupted else 'partial'} | "
            f"{len(view.records)} HTTP attempts from {first} to {last} in `{TIMINGS}` |"
        )
    else:
        rows.append("| Live run captured with timestamps | fail | no HTTP attempt was recorded |")
    for name, check in m.checks.items():
        if name.startswith("flow:"):
            rows.append(f"| {name[5:]} answered | {check.status} | {_cell(check.detail)} |")
        elif name.startswith("latency:"):
            rows.append(
                f"| {name[8:]} latency within target | {check.status} | {_cell(check.detail)} |"
            )
    pnl = m.checks.get("holdings_pnl")
    if pnl is not None:
        rows.append(f"| Holdings P&L from live quotes (AC3) | {pnl.status} | {_cell(pnl.detail)} |")
    names = {name for name, _ in view.artifacts}
    expected = [TIMINGS, MANIFEST] + [f"samples/{f}.json" for f in sorted(view.samples)]
    missing = [n for n in expected if n not in names]
    rows.append(
        f"| Evidence files present | {'fail' if missing else 'pass'} | "
        + (f"missing: {', '.join(missing)}" if missing else ", ".join(f"`{n}`" for n in expected))
        + f", `{REPORT}`, `{CHECKSUMS}` |"
    )
    guard = m.leak_guard or {}
    rows.append(
        "| No credentials or raw ids persisted | "
        + ("fail" if m.exit_code == 7 else "pass")
        + f" | leak guard checked every artifact against {guard.get('known_values', 0)} known "
        "secrets and identifiers before writing; `jainam-validate audit` re-checks the folder |"
    )
    return rows


def render_folder(folder: Path) -> str:
    """Render the report of a run folder from its files alone."""
    return render(load(folder))


def render_junit(view: RunView) -> str:
    """JUnit XML: one test case per check (flows, latency, P&L); messages are redacted text."""
    m = view.manifest
    cases = []
    failures = 0
    for name, check in m.checks.items():
        body = ""
        if check.status == "fail":
            failures += 1
            body = f"<failure message={quoteattr(check.detail)}>{escape(check.detail)}</failure>"
        elif check.status == "not_applicable":
            body = f"<skipped message={quoteattr(check.detail)}/>"
        classname = quoteattr(f"jainam-validate.{m.command.split()[0]}")
        cases.append(
            f"    <testcase classname={classname} name={quoteattr(name)}>{body}</testcase>"
        )
    if m.error:
        failures += 1
        cases.append(
            f'    <testcase classname="jainam-validate.run" name="run"><error message='
            f"{quoteattr(m.error)}/></testcase>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<testsuites>\n  <testsuite name={quoteattr('jainam-validate ' + m.run_id)} "
        f'tests="{len(cases)}" failures="{failures}" errors="0">\n'
        + "\n".join(cases)
        + "\n  </testsuite>\n</testsuites>\n"
    )


def render_step_summary(view: RunView) -> str:
    """A compact summary for ``$GITHUB_STEP_SUMMARY`` (long tables folded, under 1 MiB)."""
    m = view.manifest
    lines = [f"### jainam-validate `{m.command}` `{m.run_id}`", "", verdict(m), ""]
    lines += ["| check | result | detail |", "|---|---|---|"]
    lines += [f"| {n} | {c.status} | {_cell(c.detail)} |" for n, c in m.checks.items()]
    lines += ["", "<details><summary>Latency per flow (ms)</summary>", ""]
    lines += ["| flow | n | p50 | p95 | max |", "|---|---|---|---|---|"]
    lines += [
        f"| {f} | {s.samples} | {_ms(s.p50_ms)} | {_ms(s.p95_ms)} | {_ms(s.max_ms)} |"
        for f, s in m.flows.items()
    ]
    lines += ["", "</details>", ""]
    text = "\n".join(lines) + "\n"
    if len(text.encode()) > STEP_SUMMARY_LIMIT:
        text = "\n".join(lines[:4]) + "\n(summary truncated: see report.md)\n"
    return text
