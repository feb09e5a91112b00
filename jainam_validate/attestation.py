"""The signed statement about a sealed run folder: an in-toto Statement v1 whose subjects are
every file ``SHA256SUMS`` lists plus ``SHA256SUMS`` itself, with a test-result v0.1 predicate
(``result``, ``configuration``, ``url``, the passed / warned / failed check names) and one
namespaced extension (``jainamValidate``: run id, times, exit code, verdict, target kind). It
names the tool (version and the digest of its installed distribution) and the run's
configuration (command, target kind and host, flows, thresholds, iterations, where each
credential came from), and nothing secret or identifying: no credential value, token, key,
raw id, row, environment value, machine name, user or absolute path. The statement passes the
leak guard before it is signed (:func:`attest`); it is wrapped in a DSSE envelope (see
:mod:`~jainam_validate.signing`) in ``attestation.intoto.json``, outside ``SHA256SUMS``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jainam_validate import __version__, errors, signing
from jainam_validate.evidence import ATTESTATION, CHECKSUMS, RunFolder, RunManifest, artifact_files
from jainam_validate.redact import Redactor
from jainam_validate.verdict import Status, Verdict, status_of

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
EXTENSION = "jainamValidate"
#: The namespace a key is trusted for in an ``allowed_signers`` file.
NAMESPACE = "jainam-validate"
_GIT = re.compile(r"git:([0-9a-f]{40}|[0-9a-f]{64})")


def listed(folder: Path) -> dict[str, str]:
    """``SHA256SUMS`` as {relative name: sha256}; raises TamperedError when it is missing or
    malformed, or names a path outside the folder."""
    try:
        text = (folder / CHECKSUMS).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise errors.TamperedError(f"{folder} has no readable {CHECKSUMS}") from None
    sums: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        digest, sep, name = line.partition("  ")
        bad = not sep or not re.fullmatch(r"[0-9a-f]{64}", digest) or name in sums
        if bad or name.startswith("/") or ".." in Path(name).parts or not name:
            raise errors.TamperedError(f"{CHECKSUMS} line {n} is not '<sha256>  <file>'")
        sums[name] = digest
    return sums


def check_tree(folder: Path) -> None:
    """A sealed folder holds regular files in itself and ``samples/`` only: no link (to a
    device, a loop, another folder), no pipe, no hidden file, nothing else. Each would make a
    reader hang, run out of memory or read what nobody signed; raises TamperedError."""
    if folder.is_symlink() or not folder.is_dir():
        raise errors.TamperedError(f"{folder} is not a run folder (a link, or not a folder)")
    for base, dirs, files in os.walk(folder, followlinks=False):
        here = Path(base)
        for name in [*dirs, *files]:
            path = here / name
            relative = path.relative_to(folder).as_posix()
            mode = path.lstat().st_mode
            if name.startswith(".") or stat.S_ISLNK(mode):
                raise errors.TamperedError(f"{relative}: a hidden file or a link in a run folder")
            if stat.S_ISDIR(mode):
                if relative != "samples":
                    raise errors.TamperedError(f"{relative}: a folder no pass writes")
            elif not stat.S_ISREG(mode):
                raise errors.TamperedError(f"{relative}: not a regular file")


def check_sums(folder: Path) -> dict[str, str]:
    """``SHA256SUMS`` after checking it against the folder: every listed file matches and no
    file is missing from it or extra in it. Raises TamperedError naming the first difference."""
    check_tree(folder)
    sums = listed(folder)
    present = {p.relative_to(folder).as_posix() for p in artifact_files(folder)}
    for name in sorted(set(sums) | present):
        if name not in present:
            raise errors.TamperedError(f"{name} is listed in {CHECKSUMS} but missing")
        if name not in sums:
            raise errors.TamperedError(f"{name} is in the folder but not in {CHECKSUMS}")
        if _sha256(folder / name) != sums[name]:
            raise errors.TamperedError(f"{name} differs from its {CHECKSUMS} digest")
    return sums


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:  # in pieces: a huge file never sits in memory whole
        for piece in iter(lambda: f.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def tool_digest() -> str | None:
    """The sha256 of the installed distribution's RECORD (every file of it, by digest)."""
    from importlib import metadata

    try:
        record = metadata.distribution("jainam-validate").read_text("RECORD")
    except metadata.PackageNotFoundError:
        return None
    return hashlib.sha256(record.encode()).hexdigest() if record else None


def test_lists(manifest: RunManifest) -> dict[str, list[str]]:
    """Check names by how they ended: passed; warned (not proven, or waived: the verdict says
    which, never a pass); failed. ``not_applicable`` checks are in the extension only."""
    lists: dict[str, list[str]] = {"passedTests": [], "warnedTests": [], "failedTests": []}
    for name, check in sorted(manifest.checks.items()):
        status = status_of(check.status)
        if status is Status.PASS:
            lists["passedTests"].append(name)
        elif status in (Status.NOT_PROVEN, Status.WAIVED):
            lists["warnedTests"].append(name)
        elif status is Status.FAIL:
            lists["failedTests"].append(name)
    return lists


def run_configuration(manifest: RunManifest) -> dict[str, Any]:
    """What the pass was asked to do, as annotations: names and sources, never values."""
    target = manifest.target
    config: dict[str, Any] = {
        "command": manifest.command,
        "targetKind": target.get("kind") or "not recorded",
        "host": target.get("host") or "-",
        "flows": sorted(manifest.flows),
        "thresholdsMs": dict(sorted(manifest.thresholds_ms.items())),
        "iterations": manifest.iterations,
        "warmup": manifest.warmup,
        "credentialSources": dict(sorted(manifest.credential_sources.items())),
    }
    if target.get("sim_profile"):
        config["simProfile"] = target["sim_profile"]
    if manifest.configuration:
        config["settings"] = manifest.configuration
    return config


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def statement(
    folder: Path,
    manifest: RunManifest,
    *,
    sums: Mapping[str, str],
    git: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The in-toto Statement for a folder whose ``SHA256SUMS`` is ``sums`` (checked)."""
    environ = os.environ if environ is None else environ
    subjects = [{"name": name, "digest": {"sha256": sums[name]}} for name in sorted(sums)]
    subjects.append({"name": CHECKSUMS, "digest": {"sha256": _sha256(folder / CHECKSUMS)}})
    if git is not None:
        found = _GIT.fullmatch(git)
        if found is None:
            raise errors.UsageError(f"--subject {git!r}: write git:<40 or 64 hex digits>")
        subjects.append({"name": "git", "digest": {"gitCommit": found.group(1)}})
    tool: dict[str, Any] = {
        "name": "jainam-validate",
        "uri": f"pkg:pypi/jainam-validate@{manifest.tool_version}",
        "annotations": {"schemaVersion": manifest.schema_version, "attestedWith": __version__},
    }
    digest = tool_digest()
    if digest is not None and manifest.tool_version == __version__:
        tool["digest"] = {"sha256": digest}
    config = run_configuration(manifest)
    configuration = [
        tool,
        {"name": "run-config", "digest": {"sha256": hashlib.sha256(_canonical(config)).hexdigest()},
         "annotations": config},
    ]  # fmt: skip
    if manifest.target.get("cassette_index_sha256"):
        configuration.append(
            {
                "name": "cassette",
                "digest": {"sha256": manifest.target["cassette_index_sha256"]},
                "annotations": {"folder": str(manifest.target.get("cassette"))},
            }
        )
    verdict = manifest.verdict or "-"
    predicate: dict[str, Any] = {
        "result": "PASSED" if verdict == Verdict.PASS.value else "FAILED",
        "configuration": configuration,
        **test_lists(manifest),
        EXTENSION: {
            "runId": manifest.run_id,
            "startedOn": manifest.started_at,
            "finishedOn": manifest.ended_at,
            "exitCode": manifest.exit_code,
            "verdict": verdict,
            "targetKind": manifest.target.get("kind") or "not recorded",
            "notApplicable": sorted(
                n for n, c in manifest.checks.items() if c.status == Status.NOT_APPLICABLE
            ),
        },
    }
    url = ci_url(environ)
    if url is not None:
        predicate["url"] = url
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def check_statement(
    folder: Path,
    manifest: RunManifest,
    stmt: Mapping[str, Any],
    text: str,
    guard: Redactor,
    artifact: str,
) -> None:
    """The leak guard over ``text`` (the statement, or its predicate alone). Our own names (the
    folder's files, the cassette's folder) are not broker data, so no pattern rule judges them;
    every known secret and identifier is still looked for everywhere. Raises LeakDetected."""
    own = tuple(str(c.get("name")) for c in stmt["predicate"]["configuration"])
    own += tuple(str(s["name"]) for s in stmt["subject"])
    RunFolder(folder, manifest.run_id, guard, own).guard(text, artifact)


def ci_url(environ: Mapping[str, str]) -> str | None:
    """The URL of the CI run (GitHub Actions' variables), when there is one."""
    server, repo, run = (
        environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if not (server and repo and run and run.isdigit()):
        return None
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+", server) or not re.fullmatch(
        r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo
    ):
        return None
    return f"{server}/{repo}/actions/runs/{run}"


def statement_bytes(stmt: Mapping[str, Any]) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces (DSSE signs bytes, not JSON)."""
    return _canonical(stmt)


#: An attestation is a few kilobytes; anything this large is not one.
MAX_ENVELOPE_BYTES = 4 << 20
_KEYID = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


def envelope_shape(env: Any) -> str | None:
    """What is wrong with an envelope's shape, or None: exactly ``payloadType``, ``payload``
    and ``signatures``, each signature exactly a fingerprint ``keyid`` and an Ed25519 ``sig``.
    Nothing else may ride along (a field nobody checks could carry anything)."""
    if not isinstance(env, dict) or set(env) != {"payloadType", "payload", "signatures"}:
        return "not exactly payloadType, payload and signatures"
    try:
        signing.payload_of(env)
    except ValueError as exc:
        return str(exc)
    for sig in env["signatures"]:
        if not isinstance(sig, dict) or set(sig) != {"keyid", "sig"}:
            return "a signature that is not exactly keyid and sig"
        if not isinstance(sig["keyid"], str) or not _KEYID.fullmatch(sig["keyid"]):
            return "a keyid that is not an OpenSSH SHA256 fingerprint"
        if not isinstance(sig["sig"], str) or not re.fullmatch(
            r"[A-Za-z0-9+/_-]{86}={0,2}", sig["sig"]
        ):
            return "a sig that is not an Ed25519 signature"
    return None


def read_envelope(folder: Path) -> dict[str, Any] | None:
    """The folder's attestation, or None; raises TamperedError when it is not an envelope."""
    path = folder / ATTESTATION
    if not path.exists():
        return None
    try:
        if path.lstat().st_size > MAX_ENVELOPE_BYTES or not path.is_file() or path.is_symlink():
            raise ValueError("too large, or not a regular file")
        env = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise errors.TamperedError(f"{ATTESTATION} is not a DSSE envelope ({exc})") from None
    wrong = envelope_shape(env)
    if wrong is not None:
        raise errors.TamperedError(f"{ATTESTATION} is not a DSSE envelope ({wrong})")
    assert isinstance(env, dict)
    return env


def attest(
    folder: Path,
    manifest: RunManifest,
    key: Any,
    *,
    guard: Redactor,
    countersign: bool = False,
    force: bool = False,
    git: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Path, str]:
    """Sign ``folder`` (sealed, and unchanged since: else TamperedError) with ``key``: a new
    envelope, or (``countersign``) one more signature on the one already there. The statement
    passes the leak guard first (LeakDetected: nothing is written). Returns the envelope's path
    and the key's fingerprint."""
    sums = check_sums(folder)
    keyid = signing.fingerprint(key.public_key())
    existing = read_envelope(folder) if countersign or not force else None
    if countersign:
        if existing is None:
            raise errors.UsageError(
                f"{folder} has no {ATTESTATION} to countersign: run `attest` first"
            )
        payload = signing.payload_of(existing)
        stmt = json.loads(payload)
        # a countersignature vouches for what the folder says: the statement must be the one
        # the folder gives today (its url and git subject apart), and pass the leak guard
        same_subjects(folder, stmt, sums)
        agrees(folder, manifest, stmt, sums)
        check_statement(folder, manifest, stmt, payload.decode(), guard, ATTESTATION)
        signatures = list(existing["signatures"])
        if any(signing.verify_signature(existing, s, key.public_key()) for s in signatures):
            return folder / ATTESTATION, keyid  # this key signed already: nothing to add
        signatures.append(signing.sign(payload, key))
        env = signing.envelope(payload, signatures)
    else:
        if existing is not None and not force:
            raise errors.UsageError(
                f"{folder} is attested already: --countersign adds a signature, --force "
                "replaces the attestation (and every signature on it)"
            )
        stmt = statement(folder, manifest, sums=sums, git=git, environ=environ)
        payload = statement_bytes(stmt)
        check_statement(folder, manifest, stmt, payload.decode(), guard, ATTESTATION)
        env = signing.envelope(payload, [signing.sign(payload, key)])
    path = folder / ATTESTATION
    tmp = path.with_name(f".{ATTESTATION}.tmp")
    tmp.write_text(json.dumps(env, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path, keyid


def same_subjects(folder: Path, stmt: Any, sums: Mapping[str, str]) -> None:
    """The statement's file subjects are exactly the folder's files, by digest."""
    if not isinstance(stmt, dict) or not isinstance(stmt.get("subject"), list):
        raise errors.TamperedError(f"{ATTESTATION}'s statement has no subject list")
    named: dict[str, str] = {}
    for s in stmt["subject"]:
        if isinstance(s, dict) and s.get("name") != "git":
            raw = s.get("digest")
            named[str(s.get("name"))] = str(raw.get("sha256") if isinstance(raw, dict) else None)
    expected = {**sums, CHECKSUMS: _sha256(folder / CHECKSUMS)}
    # the files first (they say what was edited), SHA256SUMS last (it only follows them)
    names = sorted(set(named) | set(expected), key=lambda n: (n == CHECKSUMS, n))
    differ = [n for n in names if named.get(n) != expected.get(n)]
    if differ:
        shown = ", ".join(differ[:4]) + (f" and {len(differ) - 4} more" if len(differ) > 4 else "")
        raise errors.TamperedError(
            f"{shown}: not what the attestation signed (its subject digests differ)"
        )


def agrees(folder: Path, manifest: RunManifest, stmt: Any, sums: Mapping[str, str]) -> None:
    """The signed statement says what the folder says today: the predicate rebuilt from
    run.json, whole (only ``url`` and the attesting tool's own version may differ: they are
    the CI run's and the attester's), and no subject beyond the files and ``git``. Raises
    TamperedError naming the first field that differs."""
    if not isinstance(stmt, dict) or not isinstance(stmt.get("predicate"), dict):
        raise errors.TamperedError(f"{ATTESTATION}'s statement has no predicate")
    again = statement(folder, manifest, sums=sums, environ={})["predicate"]
    signed = dict(stmt["predicate"])
    signed.pop("url", None)
    for side in (signed, again):
        tool = side.get("configuration", [None])[0]
        if isinstance(tool, dict):
            side["configuration"] = [
                {k: v for k, v in tool.items() if k not in ("annotations", "digest")},
                *side["configuration"][1:],
            ]
    for key in sorted(set(signed) | set(again)):
        if signed.get(key) != again.get(key):
            raise errors.TamperedError(f"the attestation's {key} is not what the folder says")
