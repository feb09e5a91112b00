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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jainam_validate import __version__, errors, report, signing
from jainam_validate.attestation import (
    NAMESPACE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    agrees,
    check_sums,
    read_envelope,
    same_subjects,
)
from jainam_validate.checks import PassFacts, allowed_empty, release_checks
from jainam_validate.evidence import REPORT, CheckResult, RunManifest, read_manifest, read_timings
from jainam_validate.resilience import is_loopback
from jainam_validate.stats import summarise
from jainam_validate.verdict import Status, exit_codes, status_of, verdict_of


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
    commits: list[str] = field(default_factory=list)  # the signed statement's git subjects
    steps: list[tuple[str, str]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.folder),
            "run_id": self.run_id,
            "verdict": self.verdict,
            "target_kind": self.target_kind,
            "signatures": self.signatures,
            "trusted_signers": self.trusted_signers,
            "commits": self.commits,
            "steps": [{"step": s, "result": r} for s, r in self.steps],
        }


def verify(
    folder: Path,
    *,
    trust: Trust = Trust(),
    require_signed: bool = False,
    require_target: str | None = None,
    require_pass: bool = False,
    require_subject: str | None = None,
    audit: Any = None,
) -> Verified:
    """Every step in order; raises at the first that fails. ``audit`` is a callable that
    scans the folder and returns its findings (the CLI seeds it with the configured values).
    A requirement on what the evidence says is only as good as a signature on it: with
    ``require_target``, ``require_pass`` or ``require_subject`` (``git:SHA``: the signed
    statement names the commit under test, so an old signed PASS cannot stand in for this
    release's), a trusted signature is required too."""
    asked = require_target is not None or require_pass or require_subject is not None
    require_signed = require_signed or asked
    with _malformed_is_tampered():
        out = _verify(folder, trust, require_signed, require_target, require_pass, audit)
    if require_subject is not None:
        wanted = require_subject.removeprefix("git:")
        if wanted not in out.commits:
            named = ", ".join(out.commits) or "none"
            raise errors.RequirementError(
                f"verified, but the signed statement names commit {named}, not {wanted}"
            )
    return out


def _verify(
    folder: Path,
    trust: Trust,
    require_signed: bool,
    require_target: str | None,
    require_pass: bool,
    audit: Any,
) -> Verified:
    out = Verified(folder)
    sums = check_sums(folder)
    out.steps.append(("checksums", f"{len(sums)} files match {len(sums)} lines of SHA256SUMS"))
    manifest = read_manifest(folder)
    out.run_id, out.verdict = manifest.run_id, manifest.verdict or "-"
    out.target_kind = str(manifest.target.get("kind") or "not recorded")
    stmt = _signatures(folder, out, trust, require_signed)
    if stmt is not None:
        same_subjects(folder, stmt, sums)
        out.commits = [
            str(s["digest"].get("gitCommit"))
            for s in stmt["subject"]
            if isinstance(s, dict) and s.get("name") == "git" and isinstance(s.get("digest"), dict)
        ]
        out.steps.append(("subjects", "the statement's digests are the folder's files"))
    if _rederive(folder, manifest, stmt, sums):
        out.steps.append(
            ("re-derived", "flows, checks, exit code and verdict follow from the logs")
        )
    else:
        out.steps.append(
            ("re-derived", "flows follow from the logs; checks and verdict not re-derived: "
             f"schema {manifest.schema_version} used another check set")
        )  # fmt: skip
    _report_renders(folder, manifest)
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


def consistent(folder: Path) -> tuple[RunManifest, dict[str, str]]:
    """What ``attest`` asks before it signs: the folder is sealed and whole, and run.json and
    report.md follow from its logs (as :func:`verify` judges them, signatures aside). Nothing
    inconsistent is ever vouched for. Returns run.json and the checked ``SHA256SUMS``."""
    with _malformed_is_tampered():
        sums = check_sums(folder)
        manifest = read_manifest(folder)
        _rederive(folder, manifest, None, sums)
        _report_renders(folder, manifest)
    return manifest, sums


@contextmanager
def _malformed_is_tampered() -> Iterator[None]:
    """A field of the wrong type or shape: no pass writes that (exit 8, never an internal
    error)."""
    try:
        yield
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise errors.TamperedError(
            f"the folder's files are not what a pass writes ({type(exc).__name__})"
        ) from None


def _report_renders(folder: Path, manifest: RunManifest) -> None:
    """report.md is what this version renders from the folder's files, byte for byte."""
    if report.render_folder(folder) != (folder / REPORT).read_text(encoding="utf-8"):
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


def _signatures(
    folder: Path, out: Verified, trust: Trust, require_signed: bool
) -> dict[str, Any] | None:
    """The attested statement (or None when there is no attestation), after checking that
    some signature on it is by a trusted key whenever trust is given or required."""
    if require_signed and not trust.given:
        # required, and nothing to trust a signature by: never a pass (exit 9, as for an
        # untrusted one), whatever the folder holds
        raise errors.SignatureError(
            "a trusted signature is required (--require-signed, or a --require-target, "
            "--require-pass or --require-subject, which judge what a signature vouches for), "
            "but nothing says whom to trust: give --key PUB, or --allowed-signers FILE "
            "--identity ID"
        )
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
        out.steps.append(("signatures", f"{len(sigs)} signature(s), not checked (no --key)"))
        return stmt
    for key in _trusted_keys(trust):
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


def _trusted_keys(trust: Trust) -> list[Any]:
    keys = list(trust.keys)
    if trust.identity is not None:
        # a key's validity is judged now, as ssh-keygen judges it: the run's own dates are the
        # signer's to write, so a retired key could otherwise sign "in the past"
        now = datetime.now(UTC)
        keys += signing.trusted_keys(list(trust.signers), trust.identity, NAMESPACE, now)
    return keys


def _rederive(
    folder: Path, manifest: RunManifest, stmt: dict[str, Any] | None, sums: dict[str, str]
) -> bool:
    """Flows from the timing log; the checks that follow from it (live capture, sessions,
    each book, each latency, and no check of those kinds the log does not give); an IV2 check
    passes only on a usable answer of its application book; a target said to be live must look
    it; the exit code and verdict from every check's status; the statement from run.json. The
    first difference raises TamperedError. False for a schema 1 folder, whose check set was
    another: its flows, exit code and statement are still held to its files."""
    records = read_timings(folder)
    flows = summarise(records, warmup=manifest.warmup)
    for name in sorted(set(flows) | set(manifest.flows)):
        mine, theirs = flows.get(name), manifest.flows.get(name)
        if mine is None or theirs is None or mine.model_dump() != theirs.model_dump():
            raise errors.TamperedError(f"run.json's flows.{name} is not what timings.jsonl records")
    if stmt is not None:
        agrees(folder, manifest, stmt, sums)
    newer = manifest.configuration or manifest.iv2 is not None or manifest.target.get("sim_profile")
    if manifest.schema_version < 3 and newer:
        raise errors.TamperedError(
            f"run.json says schema {manifest.schema_version} but holds schema 3 fields"
        )
    if manifest.schema_version < 2:
        _exit_follows(manifest)
        return False
    derived = release_checks(_facts(manifest), flows, records)
    judged = ("flow:", "latency:", "live_capture", "session:")
    for name in sorted(set(derived) | set(manifest.checks)):
        if not name.startswith(judged):
            continue  # P&L and IV2 depend on more than the log holds (IV2: see below)
        given, kept = derived.get(name), manifest.checks.get(name)
        if given is None or kept is None or status_of(kept.status) != status_of(given.status):
            said = kept.status if kept is not None else "missing"
            raise errors.TamperedError(
                f"run.json's check {name} says {said}; the logs say "
                f"{given.status if given is not None else 'no such check'}"
            )
    said_login = manifest.session_origin == "login"
    logged_in = flows.get("login_interactive") is not None and flows["login_interactive"].ok > 0
    if (
        said_login
        and status_of(manifest.checks.get("session:interactive", _NONE).status).value == "pass"
        and not logged_in
    ):
        raise errors.TamperedError("run.json says the pass logged in, but no login answered")
    for name, check in manifest.checks.items():
        book = f"app_{name.removeprefix('iv2:')}"
        usable = flows.get(book) is not None and flows[book].ok > 0
        if name.startswith("iv2:") and status_of(check.status).value == "pass" and not usable:
            raise errors.TamperedError(f"run.json's {name} passes with no usable {book} answer")
    statuses = _exit_follows(manifest)
    _looks_live(manifest, records)
    verdict = verdict_of(statuses, manifest.exit_code, interrupted=manifest.interrupted)
    if verdict.value != manifest.verdict:
        raise errors.TamperedError(
            f"run.json's verdict {manifest.verdict} does not follow from its checks ({verdict})"
        )
    return True


_NONE = CheckResult(status="missing")


def _exit_follows(manifest: RunManifest) -> list[Status]:
    """The exit code follows from the checks' statuses (or outranks what they call for: an
    auth failure, a leak stop); returns the statuses."""
    statuses = [status_of(c.status) for c in manifest.checks.values()]
    wanted = errors.worst_exit([*exit_codes(statuses), errors.ExitCode(manifest.exit_code or 0)])
    if manifest.exit_code is None or int(wanted) != manifest.exit_code:
        raise errors.TamperedError(
            f"run.json's exit code {manifest.exit_code} does not follow from its checks"
        )
    return statuses


def _looks_live(manifest: RunManifest, records: Sequence[Any]) -> None:
    """A folder that says it talked to the live broker must look like it: credentials from
    the user's configuration (never the simulator's or a replay's), a broker that is not this
    machine, and TLS on the connections it opened (the XTS API is HTTPS)."""
    if manifest.target.get("kind") != "live":
        return
    sources = set(manifest.credential_sources.values())
    host = str(manifest.target.get("host") or "").rsplit(":", 1)[0].strip("[]")
    tls = any(r.phases.tls_ms is not None for r in records)
    why = (
        "its credentials came from the simulator or a replay" if sources & {"sim", "replay"}
        else "its broker is this machine (loopback)" if is_loopback(host)
        else "no connection it opened used TLS" if records and not tls
        else None
    )  # fmt: skip
    if why is not None:
        raise errors.TamperedError(f"run.json says the target was live, but {why}")


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

    def failed(name: str) -> str | None:  # a failure's own words (a failure is never a gain)
        check = m.checks.get(name)
        return check.detail or "failed" if check is not None and check.status == "fail" else None

    return PassFacts(
        session_origin=m.session_origin,
        session_error=failed("session:interactive"),
        market_prefix=m.target.get("market_data_prefix"),
        market_error=failed("session:market"),
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
