"""``verify``: is this run folder what a jainam-validate pass wrote, unedited, and signed by
someone trusted? Read-only, in this order, stopping at the first thing that differs:
``SHA256SUMS`` against every file (nothing missing or extra); the attestation envelope and its
signatures (``--key`` or an ``allowed_signers`` file and identity); the statement's subject
digests against the files; the flows, the checks that follow from the logs alone, the exit
code and the verdict re-derived from ``timings.jsonl`` and compared with ``run.json`` and the
statement; ``report.md`` rendered again and compared byte for byte; the leak scan. Then the
policy the caller asked for (``--require-target``, ``--require-pass``). A difference raises
TamperedError (exit 8), a missing or untrusted signature SignatureError (exit 9), an unmet
requirement RequirementError (exit 1)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jainam_validate import __version__, errors, report, signing
from jainam_validate.attestation import (
    EXTENSION,
    NAMESPACE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    check_sums,
    read_envelope,
    same_subjects,
    statement,
)
from jainam_validate.checks import PassFacts, allowed_empty, release_checks
from jainam_validate.evidence import REPORT, RunManifest, read_manifest, read_timings
from jainam_validate.stats import summarise
from jainam_validate.verdict import exit_codes, status_of, verdict_of


@dataclass(frozen=True)
class Trust:
    """Who is trusted to have signed: public keys, or allowed signers and an identity."""

    keys: tuple[Any, ...] = ()
    signers: tuple[Any, ...] = ()  # signing.AllowedSigner
    identity: str | None = None

    @property
    def given(self) -> bool:
        return bool(self.keys) or self.identity is not None


@dataclass
class Verified:
    """What ``verify`` established, step by step (``--json`` and the terminal show it)."""

    folder: Path
    run_id: str = "-"
    verdict: str = "-"
    target_kind: str = "-"
    signatures: int = 0
    trusted_signers: list[str] = field(default_factory=list)
    steps: list[tuple[str, str]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.folder),
            "run_id": self.run_id,
            "verdict": self.verdict,
            "target_kind": self.target_kind,
            "signatures": self.signatures,
            "trusted_signers": self.trusted_signers,
            "steps": [{"step": s, "result": r} for s, r in self.steps],
        }


def verify(
    folder: Path,
    *,
    trust: Trust = Trust(),
    require_signed: bool = False,
    require_target: str | None = None,
    require_pass: bool = False,
    audit: Any = None,
) -> Verified:
    """Every step in order; raises at the first that fails. ``audit`` is a callable that
    scans the folder and returns its findings (the CLI seeds it with the configured values)."""
    out = Verified(folder)
    sums = check_sums(folder)
    out.steps.append(("checksums", f"{len(sums)} files match {len(sums)} lines of SHA256SUMS"))
    manifest = read_manifest(folder)
    out.run_id, out.verdict = manifest.run_id, manifest.verdict or "-"
    out.target_kind = str(manifest.target.get("kind") or "not recorded")
    stmt = _signatures(folder, out, trust, require_signed)
    if stmt is not None:
        same_subjects(folder, stmt, sums)
        out.steps.append(("subjects", "the statement's digests are the folder's files"))
    if _rederive(folder, manifest, stmt):
        out.steps.append(
            ("re-derived", "flows, checks, exit code and verdict follow from the logs")
        )
    else:
        out.steps.append(
            ("re-derived", "flows follow from the logs; checks and verdict not re-derived: "
             f"schema {manifest.schema_version} used another check set")
        )  # fmt: skip
    rendered = report.render_folder(folder)
    if rendered != (folder / REPORT).read_text(encoding="utf-8"):
        made_by = manifest.tool_version
        hint = (
            ""
            if made_by == __version__
            else f" (the run was made by {made_by}: verify with that version)"
        )
        raise errors.TamperedError(
            f"{REPORT} differs from what jainam-validate {__version__} renders from the "
            f"folder's files{hint}"
        )
    out.steps.append(("report", f"{REPORT} is what the logs render, byte for byte"))
    if audit is not None:
        findings = audit(folder)
        if findings:
            raise errors.TamperedError(f"audit: {findings[0]} (and {len(findings) - 1} more)")
        out.steps.append(("audit", "no secret or raw identifier in any file"))
    if require_target is not None and out.target_kind != require_target:
        raise errors.RequirementError(
            f"verified, but the target was {out.target_kind}, not {require_target}: "
            "this folder is not evidence about the live broker"
        )
    if require_pass and out.verdict != "PASS":
        raise errors.RequirementError(f"verified, but the verdict is {out.verdict}, not PASS")
    return out


def _signatures(
    folder: Path, out: Verified, trust: Trust, require_signed: bool
) -> dict[str, Any] | None:
    """The attested statement (or None when there is no attestation), after checking that
    some signature on it is by a trusted key whenever trust is given or required."""
    env = read_envelope(folder)
    if env is None:
        if require_signed or trust.given:
            raise errors.SignatureError(f"{folder.name} has no attestation.intoto.json")
        out.steps.append(("signatures", "not attested (nothing required it)"))
        return None
    try:
        stmt = json.loads(signing.payload_of(env))
    except ValueError as exc:
        raise errors.TamperedError(f"the attestation's payload is not JSON ({exc})") from None
    if not isinstance(stmt, dict) or stmt.get("_type") != STATEMENT_TYPE:
        raise errors.TamperedError("the attestation's payload is not an in-toto Statement v1")
    if stmt.get("predicateType") != PREDICATE_TYPE:
        raise errors.TamperedError("the attestation's predicate is not a test-result v0.1")
    sigs = [s for s in env.get("signatures", []) if isinstance(s, dict)]
    out.signatures = len(sigs)
    if not trust.given:
        if require_signed:
            raise errors.UsageError(
                "--require-signed needs who to trust: --key PUB, or --allowed-signers FILE "
                "--identity ID"
            )
        out.steps.append(("signatures", f"{len(sigs)} signature(s), not checked (no --key)"))
        return stmt
    for key in _trusted_keys(trust, stmt):
        if any(signing.verify_signature(env, s, key) for s in sigs):
            out.trusted_signers.append(signing.fingerprint(key))
    if not out.trusted_signers:
        raise errors.SignatureError(
            f"none of the {len(sigs)} signature(s) on the attestation is by a trusted key"
        )
    out.steps.append(
        ("signatures", f"signed by {', '.join(out.trusted_signers)} ({len(sigs)} in all)")
    )
    return stmt


def _trusted_keys(trust: Trust, stmt: dict[str, Any]) -> list[Any]:
    keys = list(trust.keys)
    if trust.identity is not None:
        # a key's validity is judged at the time the run finished (signed in the statement),
        # as git judges a commit's signature by its date
        ext = stmt.get("predicate", {}).get(EXTENSION, {}) if isinstance(stmt, dict) else {}
        when = _moment(ext.get("finishedOn") if isinstance(ext, dict) else None)
        keys += signing.trusted_keys(list(trust.signers), trust.identity, NAMESPACE, when)
    return keys


def _moment(text: object) -> datetime:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)


def _rederive(folder: Path, manifest: RunManifest, stmt: dict[str, Any] | None) -> bool:
    """Flows from the timing log; the checks that follow from it alone (live capture, each
    book, each latency); the exit code and verdict from every check's status; the statement's
    result and lists from run.json. The first difference raises TamperedError. False when the
    folder predates today's check set (schema 1): only its flows are re-derived."""
    records = read_timings(folder)
    flows = summarise(records, warmup=manifest.warmup)
    for name in sorted(set(flows) | set(manifest.flows)):
        mine, theirs = flows.get(name), manifest.flows.get(name)
        if mine is None or theirs is None or mine.model_dump() != theirs.model_dump():
            raise errors.TamperedError(f"run.json's flows.{name} is not what timings.jsonl records")
    if stmt is not None:
        _statement_agrees(folder, manifest, stmt)
    if manifest.schema_version < 2:
        return False
    derived = release_checks(_facts(manifest), flows, records)
    for name, check in derived.items():
        if not name.startswith(("flow:", "latency:", "live_capture")):
            continue  # sessions, P&L and IV2 depend on more than the log holds
        kept = manifest.checks.get(name)
        if kept is None or status_of(kept.status) != status_of(check.status):
            said = kept.status if kept is not None else "missing"
            raise errors.TamperedError(
                f"run.json's check {name} says {said}; the logs say {check.status}"
            )
    statuses = [status_of(c.status) for c in manifest.checks.values()]
    wanted = errors.worst_exit([*exit_codes(statuses), errors.ExitCode(manifest.exit_code or 0)])
    if manifest.exit_code is None or int(wanted) != manifest.exit_code:
        raise errors.TamperedError(
            f"run.json's exit code {manifest.exit_code} does not follow from its checks"
        )
    verdict = verdict_of(statuses, manifest.exit_code, interrupted=manifest.interrupted)
    if verdict.value != manifest.verdict:
        raise errors.TamperedError(
            f"run.json's verdict {manifest.verdict} does not follow from its checks ({verdict})"
        )
    return True


def _statement_agrees(folder: Path, manifest: RunManifest, stmt: dict[str, Any]) -> None:
    """The signed predicate says what run.json says: result, the three lists, the
    extension and the run configuration."""
    sums = check_sums(folder)
    again = statement(folder, manifest, sums=sums, environ={})["predicate"]
    raw = stmt.get("predicate")
    signed: dict[str, Any] = raw if isinstance(raw, dict) else {}
    for key in ("result", "passedTests", "warnedTests", "failedTests", EXTENSION):
        if signed.get(key) != again.get(key):
            raise errors.TamperedError(f"the attestation's {key} is not what run.json says")
    names = {c.get("name"): c for c in again["configuration"] if isinstance(c, dict)}
    for c in signed.get("configuration") or []:
        if isinstance(c, dict) and c.get("name") == "run-config":
            if c.get("digest") != names["run-config"]["digest"]:
                raise errors.TamperedError("the attestation's run configuration is not run.json's")


def _facts(m: RunManifest) -> PassFacts:
    """What the release checks need, as run.json recorded it."""
    settings: dict[str, Any] = m.configuration or {}
    waived = settings.get("allow_empty")
    if waived is None:  # schema 2: the flag as given
        flags = m.invocation.get("flags")
        waived = flags.get("--allow-empty") if isinstance(flags, dict) else None
    books: Sequence[str] = settings.get("flows") or [
        f for f in ("positions", "holdings", "tradebook") if f"flow:{f}" in m.checks
    ]
    stopped = "the run stopped" if m.error or m.interrupted else None
    iv2 = {n: c for n, c in m.checks.items() if n.startswith("iv2:")}
    return PassFacts(
        books=tuple(books),
        market_session="session:market" in m.checks,
        pnl="holdings_pnl" in m.checks,
        target_kind=str(m.target.get("kind", "")),
        allow_empty=allowed_empty(list(waived or [])),
        thresholds_ms=m.thresholds_ms,
        stopped=stopped,
        interrupted=m.interrupted,
        iterations=max(m.iterations - m.warmup, 1),
        iv2=iv2 or None,
    )
