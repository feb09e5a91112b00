"""``report.md``: the markdown evidence report, rendered from a run folder's files alone.

:func:`render` is a pure function of the manifest, the timing records and the artifact
checksums, so the same folder always renders the same bytes (no clock, no environment), and
``jainam-validate report`` can rebuild the report of an interrupted run or after a template fix.
It renders on GitHub and GitLab.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from jainam_validate.evidence import (
    REPORT,
    RunManifest,
    artifact_files,
    read_manifest,
    read_timings,
)
from jainam_validate.timing import TimingRecord


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _verdict(manifest: RunManifest) -> str:
    code = manifest.exit_code
    if manifest.interrupted:
        return "**INTERRUPTED**: the run was stopped before it finished; the evidence is partial."
    if code == 0:
        return "**PASS**: every check passed."
    if code == 1:
        return "**FAIL**: the run completed, but at least one check failed (see Deviations)."
    return f"**ERROR** (exit {code}): {manifest.error or 'the run could not complete'}"


def render(
    manifest: RunManifest, records: list[TimingRecord], artifacts: list[tuple[str, str]]
) -> str:
    """The report text. ``artifacts`` is a list of (relative path, sha256)."""
    lines: list[str] = [
        f"# Jainam XTS validation: {manifest.command} `{manifest.run_id}`",
        "",
        _verdict(manifest),
        "",
        "## Environment",
        "",
        "| item | value |",
        "|---|---|",
        f"| target host | `{manifest.target.get('host', '-')}` |",
        f"| market-data prefix | `{manifest.target.get('market_data_prefix') or '-'}` |",
        f"| account type | {manifest.account_type or '-'} |",
        f"| session | {manifest.session_origin or '-'} |",
        f"| started / ended (UTC) | {manifest.started_at} / {manifest.ended_at or '-'} |",
        f"| tool version | {manifest.tool_version} (schema {manifest.schema_version}) |",
        f"| exit code | {manifest.exit_code} |",
    ]
    for name, source in manifest.credential_sources.items():
        lines.append(f"| {name} | from {source} |")
    lines += ["", "## Checks", "", "| check | result | detail |", "|---|---|---|"]
    for name, check in manifest.checks.items():
        lines.append(f"| {name} | {check.status} | {check.detail} |")
    lines += [
        "",
        "## Latency per flow (ms, over usable samples)",
        "",
        "| flow | samples | ok | retries | p50 | p95 | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for flow, s in manifest.flows.items():
        lines.append(
            f"| {flow} | {s.samples} | {s.ok} | {s.retries} | {_ms(s.p50_ms)} | "
            f"{_ms(s.p95_ms)} | {_ms(s.max_ms)} |"
        )
    lines += [
        "",
        "## Calls",
        "",
        "| flow | sample | try | request | status | outcome | requested at | api ms | total ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| {r.flow} | {r.sample} | {r.attempt} | {r.method} `{r.route}` | "
            f"{r.status if r.status is not None else '-'} | {r.outcome.value} | {r.requested_at} | "
            f"{_ms(r.api_ms)} | {_ms(r.total_ms)} |"
        )
    deviations = [r for r in records if r.outcome.value not in ("ok",)]
    lines += ["", "## Deviations", ""]
    if not deviations and not manifest.error:
        lines.append("None.")
    if manifest.error:
        lines.append(f"- run: {manifest.error}")
    for r in deviations:
        detail = r.error or (r.code or "")
        lines.append(
            f"- {r.flow} sample {r.sample}: {r.outcome.value}, HTTP "
            f"{r.status if r.status is not None else '-'} {detail}".rstrip()
        )
    lines += ["", "## Artifacts", "", "| file | sha256 |", "|---|---|"]
    for name, digest in artifacts:
        lines.append(f"| `{name}` | `{digest}` |")
    return "\n".join(lines) + "\n"


def render_folder(folder: Path) -> str:
    """Render the report of a run folder from its files alone."""
    manifest = read_manifest(folder)
    records = read_timings(folder)
    artifacts = [
        (p.relative_to(folder).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest())
        for p in artifact_files(folder)
        if p.name != REPORT
    ]
    return render(manifest, records, artifacts)
