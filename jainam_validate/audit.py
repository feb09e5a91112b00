"""``audit``: scan files (an evidence folder before attaching it, a log) for leaks.

The same :class:`~jainam_validate.scanner.Scanner` as the write-time guard, seeded with the
configured credentials, session tokens and dealer client code as known values. Findings name
the file, line, column and rule; the matched text is never shown.

Files are read the way a user's tools write them: decoded by their byte-order mark (UTF-8,
UTF-16 and UTF-32, as PowerShell's ``>`` writes UTF-16LE), or as UTF-16 when the NUL bytes
say so without a mark, otherwise as UTF-8 with undecodable bytes replaced; line and column
numbers count in the decoded text. Symbolic links are followed, to files and to folders:
each real file is scanned once (under its own name when it is also reached directly), a
folder link that leads back to a folder already walked is not walked again, and a link that
leads nowhere is a finding (``unscanned:dangling-link``, ``unscanned:link-loop``).
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jainam_validate import errors
from jainam_validate.credentials import APP_KEY_NAME, CREDENTIAL_NAMES, SESSION_TOKEN_NAMES
from jainam_validate.decoding import UTF8, decode
from jainam_validate.evidence import ATTESTATION
from jainam_validate.scanner import Finding, Scanner

if TYPE_CHECKING:
    from jainam_validate.redact import Redactor
    from jainam_validate.settings import Layers

MAX_FILE_BYTES = 64 * 1024 * 1024

DANGLING = "unscanned:dangling-link"
LOOP = "unscanned:link-loop"
UNREADABLE = "unscanned:unreadable"
TOO_LARGE = "unscanned:too-large"


@dataclass(frozen=True)
class Entry:
    """A file (or a link or folder that could not be followed) reached from the named paths."""

    path: Path  # as reached: a named path, or one under a named folder
    real: str  # where it leads (os.path.realpath), or what a broken link says
    linked: bool  # reached through a symbolic link (the file's own, or a folder's above it)
    problem: str | None = None  # an ``unscanned:*`` rule when it cannot be read


@dataclass(frozen=True)
class FileFinding:
    path: Path
    finding: Finding
    #: Where the link points, for a file reached through a symbolic link.
    link_target: str | None = None
    #: The encoding the file was decoded as, when it was not UTF-8.
    encoding: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path} -> {self.link_target}" if self.link_target else str(self.path)

    def line(self) -> str:
        f = self.finding
        return f"{self.where}:{f.line}:{f.column}: {f.rule}"


@dataclass
class AuditResult:
    """What ``audit`` read and found."""

    files: int = 0  # regular files read and scanned
    findings: list[FileFinding] = field(default_factory=list)
    #: Display path -> encoding, for every scanned file that was not UTF-8.
    encodings: dict[str, str] = field(default_factory=dict)

    def document(self, known: int) -> dict[str, object]:
        """``audit --json``: files read, configured values known, each finding's place."""
        rows = []
        for f in self.findings:
            row: dict[str, object] = {
                "path": str(f.path),
                "line": f.finding.line,
                "column": f.finding.column,
                "rule": f.finding.rule,
            }
            if f.link_target is not None:
                row["link_target"] = f.link_target
            if f.encoding is not None:
                row["encoding"] = f.encoding
            rows.append(row)
        return {
            "files": self.files,
            "known_values": known,
            "findings": rows,
            "encodings": self.encodings,  # path -> encoding, for files not in UTF-8
        }


def nothing_scanned(paths: list[Path], findings: list[FileFinding]) -> errors.UsageError:
    """The error for an audit that read no file at all (an empty folder, or one of broken
    links): never "0 files scanned" and a pass. Names the path and what was found instead."""
    from jainam_validate.inert import visible

    named = visible(str(paths[0])) + (f" (and {len(paths) - 1} more)" if len(paths) > 1 else "")
    kinds: dict[str, int] = {}
    for f in findings:  # only unscanned:* findings when nothing was read
        kind = f.finding.rule.removeprefix("unscanned:")
        kinds[kind] = kinds.get(kind, 0) + 1
    listed = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    only = f", only {listed}; fix those or" if kinds else "; check the path and"
    return errors.UsageError(
        f"audit: nothing could be scanned: {named} holds no readable regular file{only} "
        "name the folder or files that hold the evidence"
    )


def _broken(path: Path, linked: bool, exc: OSError) -> Entry:
    """An entry that cannot be followed: a link to nothing, a link loop, or unreadable."""
    if path.is_symlink():
        if exc.errno == errno.ELOOP:
            try:
                target = os.readlink(path)
            except OSError:
                target = str(path)
            return Entry(path, target, True, LOOP)
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return Entry(path, os.path.realpath(path), True, DANGLING)
    return Entry(path, os.path.realpath(path), linked, UNREADABLE)


class _Walk:
    """Depth-first, sorted, following links; each real folder is walked through a link at most
    once and never inside itself."""

    def __init__(self) -> None:
        self.walked: set[str] = set()

    def entry(self, path: Path, linked: bool, ancestors: frozenset[str]) -> Iterator[Entry]:
        linked = linked or path.is_symlink()
        try:
            st = os.stat(path)
        except OSError as exc:
            yield _broken(path, linked, exc)
            return
        if stat.S_ISREG(st.st_mode):
            yield Entry(path, os.path.realpath(path), linked)
        elif stat.S_ISDIR(st.st_mode):
            real = os.path.realpath(path)
            if real in ancestors or (linked and real in self.walked):
                return  # a loop, or a folder already walked: its files are scanned once anyway
            self.walked.add(real)
            try:
                names = sorted(os.listdir(path))
            except OSError:
                yield Entry(path, real, linked, UNREADABLE)
                return
            inner = ancestors | {real}
            for name in names:
                yield from self.entry(path / name, linked, inner)
        # sockets, FIFOs and devices are not files: skipped (reading a FIFO would block)


def files_under(paths: Iterable[Path]) -> Iterator[Entry]:
    """Every regular file named, or under a named folder, following symbolic links; each real
    file once, under a name that reaches it without a link when there is one. Links that lead
    nowhere and unreadable folders come as entries with a ``problem``. Raises UsageError for a
    path that does not exist or is neither a file nor a folder."""
    walk = _Walk()
    reached: list[Entry] = []
    for path in paths:
        if not path.is_symlink():
            if not path.exists():
                raise errors.UsageError(f"{path}: no such file or directory")
            if not (path.is_file() or path.is_dir()):
                raise errors.UsageError(f"{path}: not a regular file or a folder")
        reached.extend(walk.entry(path, False, frozenset()))
    # One entry per real file: a direct name beats one through a link; else the first reached.
    best: dict[str, int] = {}
    for i, entry in enumerate(reached):
        if entry.problem is not None:
            continue
        j = best.get(entry.real)
        if j is None or (reached[j].linked and not entry.linked):
            best[entry.real] = i
    keep = set(best.values())
    for i, entry in enumerate(reached):
        if entry.problem is not None or i in keep:
            yield entry


def _manifests(paths: Iterable[Path]) -> Iterator[dict[str, object]]:
    for path in paths:
        candidates = [path] if path.name == "run.json" else list(path.glob("**/run.json"))
        for manifest in candidates if path.is_dir() or path.name == "run.json" else []:
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                yield data


def user_strings(paths: Iterable[Path]) -> tuple[str, ...]:
    """The label and command-line values of every run folder under ``paths``: the user's
    words, which the write-time guard trusted too."""
    found: list[str] = []
    for data in _manifests(paths):
        if isinstance(data.get("label"), str):
            found.append(str(data["label"]))
        invocation = data.get("invocation")
        flags = invocation.get("flags") if isinstance(invocation, dict) else None
        for value in (flags or {}).values() if isinstance(flags, dict) else ():
            values = value if isinstance(value, list) else [value]
            found.extend(str(v) for v in values if isinstance(v, str))
    return tuple(found)


def run_ids(paths: Iterable[Path]) -> tuple[str, ...]:
    return tuple(str(d["run_id"]) for d in _manifests(paths) if isinstance(d.get("run_id"), str))


def seeded_redactor(layers: Layers) -> tuple[Redactor, int]:
    """A redactor under this installation's pseudonym key that knows every configured value
    (the guard of ``audit``, ``attest`` and ``verify``), and how many it was given."""
    from jainam_validate.redact import Redactor
    from jainam_validate.settings import pseudonym_key

    redactor = Redactor(pseudonym_key(dict(os.environ))[0])
    return redactor, redactor.seed(*configured_values(layers))


def scanner_for(paths: list[Path], redactor: Redactor) -> Scanner:
    """The scanner for the run folders under ``paths``: what the user typed into them (a
    label, paths) and their run ids are theirs, as they were to the write-time guard."""
    return Scanner(redactor, user_strings(paths), own=run_ids(paths))


def configured_values(layers: Layers) -> tuple[str | None, list[tuple[str, str]]]:
    """The dealer client code and the configured secrets (the four credentials and any
    session tokens), from env, ``.env`` and the keyring: what :meth:`Redactor.seed` takes."""
    secrets = []
    for name in (*CREDENTIAL_NAMES, APP_KEY_NAME, *SESSION_TOKEN_NAMES):
        found = layers.lookup(name)
        if found is not None:
            secrets.append((found.value.get_secret_value(), "secret:configured"))
    client = layers.lookup("JAINAM_CLIENT_ID", use_keyring=False)
    return (client.value.get_secret_value() if client else None), secrets


def _statement_of(path: Path, text: str) -> str:
    """A run folder's attestation is judged by the statement it carries: its base64 payload
    and its signatures are random-looking by nature (every high-entropy rule would fire on
    them), the statement is what could hold a leak. Anything else is judged as it is, and so
    is an attestation file that is not a readable envelope."""
    if path.name != ATTESTATION:
        return text
    import base64
    import json

    from jainam_validate.attestation import envelope_shape

    try:
        env = json.loads(text)
        # only an envelope with nothing beside its payload and well-formed signatures: any
        # other field could carry anything, and the whole text is judged then
        if envelope_shape(env) is not None:
            return text
        return base64.b64decode(env["payload"]).decode("utf-8")
    except (ValueError, KeyError, TypeError, RecursionError):
        return text


def audit(paths: Iterable[Path], scanner: Scanner) -> AuditResult:
    """Scan every file; returns how many files were read and what was found."""
    result = AuditResult()
    for entry in files_under(paths):
        target = entry.real if entry.linked else None
        if entry.problem is not None:
            finding = FileFinding(entry.path, Finding(entry.problem, 0, 1, 1), target)
            result.findings.append(finding)
            continue
        try:
            if entry.path.stat().st_size > MAX_FILE_BYTES:
                result.findings.append(FileFinding(entry.path, Finding(TOO_LARGE, 0, 1, 1), target))
                continue
            data = entry.path.read_bytes()
        except OSError:
            result.findings.append(FileFinding(entry.path, Finding(UNREADABLE, 0, 1, 1), target))
            continue
        result.files += 1
        text, encoding = decode(data)
        text = _statement_of(entry.path, text)
        shown = None if encoding == UTF8 else encoding
        if shown is not None:
            result.encodings[str(entry.path)] = shown
        result.findings.extend(
            FileFinding(entry.path, f, target, shown) for f in scanner.scan(text)
        )
    return result
