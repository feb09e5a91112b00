"""The commands about evidence already written: ``report`` (rebuild report.md, record the run
in a story), ``audit`` (scan for leaks), ``attest`` (sign a sealed run folder) and ``verify``
(prove a folder unedited, signed by someone trusted, and consistent with its own logs). Thin:
each parses its options, calls the core and renders; :mod:`~jainam_validate.cli` registers them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from jainam_validate.boundary import boundary
from jainam_validate.options import (
    EvidenceDir,
    JsonOut,
    Junit,
    NoColor,
    RunDir,
    SealedRunDir,
    SignKey,
    StoryFile,
    StoryLabel,
    Verbose,
)
from jainam_validate.terminal import Io, keyring_note, make_io, show_findings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from jainam_validate.redact import Redactor


# -- report ----------------------------------------------------------------------------------
def report_command(
    run_dir: RunDir = None,
    junit: Junit = None,
    story_file: StoryFile = None,
    label: StoryLabel = None,
    evidence_dir: EvidenceDir = None,
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """(Re)build report.md (and JUnit) from a run folder's files alone; with --story, also
    record the run in a story file (a Change Log row and a Dev Notes entry)."""
    from jainam_validate import errors, report, story
    from jainam_validate.evidence import newest_run
    from jainam_validate.settings import Layers, pseudonym_key

    io = make_io(json_out, no_color, verbose)
    with boundary(io):
        if label is not None and story_file is None:
            raise errors.UsageError("--label names the run in a story: give --story FILE too")
        if run_dir is None:
            configured = Layers.here(None).evidence_env()
            root = evidence_dir or Path(configured.get("JAINAM_EVIDENCE_DIR", "evidence"))
            run_dir = newest_run(root)
            io.note(f"report: the newest folder written by `run` is {run_dir}")
        key = pseudonym_key(dict(os.environ))[0]
        # the story is read and its entry guarded first: a bad FILE leaves the folder untouched
        edit = story_file and story.prepare(run_dir, story_file, key=key, label=label)
        report.rebuild(run_dir, key=key, junit=junit)
        document = {"run_dir": str(run_dir), "report": str(run_dir / "report.md")}
        if edit:
            story.write(edit)
            document["story"] = str(story_file)
        if io.json:
            sys.stdout.write(json.dumps(document) + "\n")
        else:
            io.note(f"wrote {run_dir / 'report.md'} and {run_dir / 'SHA256SUMS'}")
        if edit:
            io.note(f"recorded run {edit.run_id} in {story_file}")


# -- audit -----------------------------------------------------------------------------------
def audit(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="Files or folders to scan.")],
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Scan files for secrets and unredacted identifiers; exit 1 on any finding."""
    from jainam_validate import audit as auditing
    from jainam_validate import errors
    from jainam_validate.credentials import KeyringStore
    from jainam_validate.settings import Layers

    io = make_io(json_out, no_color, verbose)
    with boundary(io):
        store = KeyringStore()
        redactor, known = auditing.seeded_redactor(Layers.here(store))
        keyring_note(io, store)
        result = auditing.audit(paths, auditing.scanner_for(paths, redactor))
        if result.files == 0:
            # Never "0 files scanned" and a pass: an empty folder, or one of broken links.
            if not io.json:
                show_findings(result.findings)  # the dangling links and unreadable entries
            raise auditing.nothing_scanned(paths, result.findings)
        if io.json:
            sys.stdout.write(json.dumps(result.document(known), indent=2) + "\n")
        else:
            show_findings(result.findings)
            io.note(
                f"audit: {result.files} files scanned against {known} configured secrets/ids "
                f"and the pattern rules: {len(result.findings)} finding(s)"
            )
        if result.findings:
            raise typer.Exit(errors.ExitCode.CHECKS_FAILED)


# -- attest ----------------------------------------------------------------------------------
def attest(
    run_dir: SealedRunDir,
    sign_key: SignKey = None,
    countersign: Annotated[
        bool, typer.Option("--countersign", help="Add a signature to the attestation there.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an attestation (and its signatures).")
    ] = False,
    subject: Annotated[
        str | None,
        typer.Option("--subject", metavar="git:SHA", help="Also name the commit under test."),
    ] = None,
    predicate_only: Annotated[
        Path | None,
        typer.Option(
            "--predicate-only",
            metavar="FILE",
            help="Write the test-result predicate to FILE (for actions/attest); sign nothing.",
        ),
    ] = None,
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Sign a sealed run folder: an in-toto test-result statement in a DSSE envelope."""
    from jainam_validate import attestation, errors
    from jainam_validate.verification import consistent

    io = make_io(json_out, no_color, verbose)
    with boundary(io):
        guard = _seeded_redactor()
        # never vouch for a folder its own logs contradict
        manifest, sums = consistent(run_dir)
        if predicate_only is not None:
            stmt = attestation.statement(run_dir, manifest, sums=sums, git=subject)
            text = json.dumps(stmt["predicate"], indent=2, sort_keys=True) + "\n"
            from jainam_validate.evidence import write_outside

            attestation.check_statement(run_dir, manifest, stmt, text, guard, str(predicate_only))
            write_outside(predicate_only, text)
            _said(io, {"predicate": str(predicate_only)}, f"wrote {predicate_only}")
            return
        if sign_key is None:
            raise errors.UsageError(
                "attest needs a key: --sign-key FILE or JAINAM_SIGN_KEY (an Ed25519 key; "
                "ssh-keygen -t ed25519 makes one)"
            )
        key = load_signer(sign_key)
        path, keyid = attestation.attest(
            run_dir, manifest, key, guard=guard, countersign=countersign, force=force, git=subject
        )
        _said(io, {"attestation": str(path), "keyid": keyid}, f"signed {path} ({keyid})")


def load_signer(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 key at ``path``; its passphrase from JAINAM_SIGN_KEY_PASSPHRASE, or asked
    for (hidden) on a terminal when the key turns out to be encrypted."""
    from jainam_validate import errors, signing

    given = os.environ.get("JAINAM_SIGN_KEY_PASSPHRASE")
    try:
        return signing.load_private_key(path, given.encode() if given else None)
    except errors.PassphraseNeeded:
        if given or not sys.stdin.isatty():
            raise
    typed = str(typer.prompt(f"passphrase for {path}", hide_input=True))
    return signing.load_private_key(path, typed.encode())


def _seeded_redactor() -> Redactor:
    """The leak guard of a statement: the pattern rules and every configured secret."""
    from jainam_validate import audit as auditing
    from jainam_validate.credentials import KeyringStore
    from jainam_validate.settings import Layers

    return auditing.seeded_redactor(Layers.here(KeyringStore()))[0]


def _said(io: Io, document: dict[str, str], line: str) -> None:
    if io.json:
        sys.stdout.write(json.dumps(document) + "\n")
    else:
        io.note(line)


# -- verify ----------------------------------------------------------------------------------
def verify(
    run_dir: SealedRunDir,
    key: Annotated[
        list[Path] | None,
        typer.Option("--key", metavar="PUB", help="A trusted public key (repeatable)."),
    ] = None,
    allowed_signers: Annotated[
        Path | None,
        typer.Option(
            "--allowed-signers",
            metavar="FILE",
            help="git's allowed_signers format (namespaces, valid-after/before honoured).",
        ),
    ] = None,
    identity: Annotated[
        str | None,
        typer.Option(
            "--identity", metavar="ID", help="Who must have signed (with --allowed-signers)."
        ),
    ] = None,
    require_signed: Annotated[
        bool, typer.Option("--require-signed", help="No trusted signature: exit 9.")
    ] = False,
    require_target: Annotated[
        str | None,
        typer.Option(
            "--require-target",
            metavar="live|simulator|replay",
            help="Other evidence: exit 1 (e.g. live: no simulator or replay run passes).",
        ),
    ] = None,
    require_pass: Annotated[
        bool, typer.Option("--require-pass", help="Verified but not a PASS: exit 1.")
    ] = False,
    require_subject: Annotated[
        str | None,
        typer.Option(
            "--require-subject",
            metavar="git:SHA",
            help="The signed statement must name this commit (attest --subject): exit 1.",
        ),
    ] = None,
    json_out: JsonOut = False,
    no_color: NoColor = False,
    verbose: Verbose = False,
) -> None:
    """Prove a run folder unedited, signed by someone trusted, and consistent with its logs."""
    from jainam_validate import errors, signing
    from jainam_validate.verification import Trust
    from jainam_validate.verification import verify as verifying

    io = make_io(json_out, no_color, verbose)
    with boundary(io):
        if (allowed_signers is None) != (identity is None):
            raise errors.UsageError("--allowed-signers and --identity go together")
        if require_target not in (None, "live", "simulator", "replay"):
            raise errors.UsageError("--require-target is live, simulator or replay")
        signers: tuple[object, ...] = ()
        if allowed_signers is not None:
            try:
                text = allowed_signers.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                raise errors.UsageError(f"cannot read {allowed_signers}") from None
            signers = tuple(signing.parse_allowed_signers(text))
        trust = Trust(tuple(signing.load_public_key(k) for k in key or []), signers, identity)
        result = verifying(
            run_dir, trust=trust, require_signed=require_signed,
            require_target=require_target, require_pass=require_pass,
            require_subject=require_subject,
            audit=_audited,
        )  # fmt: skip
        if io.json:
            sys.stdout.write(json.dumps(result.document(), indent=2) + "\n")
            return
        for step, said in result.steps:
            io.note(f"  {step}: {said}")
        what = "verified" if result.trusted_signers else "consistent, not signed by anyone trusted"
        io.note(f"{what}: {result.run_id} ({result.target_kind}, {result.verdict})")


def _audited(folder: Path) -> list[str]:
    """The leak scan ``verify`` ends with, as ``audit`` runs it: 'file:line:col rule' lines."""
    from jainam_validate import audit as auditing

    scanner = auditing.scanner_for([folder], _seeded_redactor())
    return [f.line() for f in auditing.audit([folder], scanner).findings]
