"""The run folder: ``<evidence-dir>/<run-id>/`` and every file in it (docs/contract.md).

Everything is written through :class:`RunFolder`, which runs the leak guard on the exact text
about to be written and refuses the whole artifact on a hit (``LeakDetected``, exit 7).
``timings.jsonl`` is appended one line at a time and flushed, so an interrupted run leaves only
whole lines; every string of a record (error text, codes, header values) is scrubbed with what
the run knows at that moment, then checked. A value may be learned only later in the pass (an id
first seen in a body that could not be parsed): :meth:`RunFolder.rescrub_timings` scrubs the
log again with the final table before the folder is sealed, so no sealed folder holds a value
the run knew to be sensitive by the time it ended. Every other file is written to a temporary
name and renamed into place. ``SHA256SUMS`` is written last and covers every other file.
:class:`RunManifest` is ``run.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json

from jainam_validate import __version__, errors
from jainam_validate.redact import Redactor
from jainam_validate.scanner import Scanner
from jainam_validate.stats import FlowSummary
from jainam_validate.timing import TimingRecord

SCHEMA_VERSION = 3
#: Fields of a timing record that hold text from the broker (or built from its answer).
BROKER_FIELDS = ("error", "code", "content_type", "route")
TIMINGS = "timings.jsonl"
MANIFEST = "run.json"
REPORT = "report.md"
CHECKSUMS = "SHA256SUMS"
#: The signed attestation of a sealed folder (DSSE envelope): outside SHA256SUMS, which it signs.
ATTESTATION = "attestation.intoto.json"


def new_run_id(now: datetime | None = None) -> str:
    """UTC start time plus a short random suffix, e.g. ``20261127T091502Z-7f3a``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


class CheckResult(BaseModel):
    """One release check: a :class:`~jainam_validate.verdict.Status` value and a one-line
    reason (which may quote broker text: render it through :mod:`jainam_validate.inert`)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    status: str
    detail: str = ""


class RunManifest(BaseModel):
    """``run.json``: what ran, against what, with which result. No secret, no raw id."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    run_id: str
    tool_version: str = __version__
    command: str
    #: What the user asked for: flag names and non-secret values as given on the command line.
    invocation: dict[str, Any] = Field(default_factory=dict)
    label: str | None = None
    started_at: str
    ended_at: str | None = None
    interrupted: bool = False
    #: ``kind`` (live/simulator/replay), ``host``, ``market_data_prefix``; for a replay also
    #: ``cassette`` (its folder name) and ``cassette_index_sha256``.
    target: dict[str, Any] = Field(default_factory=dict)
    account_type: str | None = None
    session_origin: str | None = None
    credential_sources: dict[str, str] = Field(default_factory=dict)
    thresholds_ms: dict[str, float] = Field(default_factory=dict)
    iterations: int = 1
    warmup: int = 0
    #: the resolved, non-secret configuration of the pass (schema 3): flows, retries, rate
    #: cap, breaker, timeouts, positions view, waivers, the application's host
    configuration: dict[str, Any] = Field(default_factory=dict)
    flows: dict[str, FlowSummary] = Field(default_factory=dict)
    checks: dict[str, CheckResult] = Field(default_factory=dict)
    leak_guard: dict[str, int] = Field(default_factory=dict)
    cassette: str | None = None
    #: the IV2 cross-check with the application under test, when it ran: ``app_host``,
    #: ``broker``, ``mode``, and per book the comparison (or the reason there is none)
    iv2: dict[str, Any] | None = None
    exit_code: int | None = None
    verdict: str | None = None
    error: str | None = None


def dumps(data: Any) -> str:
    """Deterministic JSON for artifacts: sorted keys, two-space indent, trailing newline."""
    if _native(data):
        # json.dumps indents in Python (1.3 s for a 100,000-row sample): pydantic_core makes
        # the same text natively when the data leaves nothing to decide differently
        try:
            return to_json(data, indent=2).decode("utf-8") + "\n"
        except ValueError:  # (a lone surrogate, an int past 64 bits): the standard writer
            pass
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


#: Text is encoded and written this many characters at a time.
_WRITE_CHARS = 1 << 20
_PLAIN = frozenset({str, int, bool, type(None)})


def _native(data: Any) -> bool:
    """Would ``pydantic_core.to_json(indent=2)`` write what :func:`dumps` writes? Yes for
    strings, ints, booleans and nulls, in lists and in dicts whose keys are strings already in
    sorted order; no for a float (Python and Rust spell exponents differently) or anything
    else. A list of flat objects (a sample's rows) is judged a row shape at a time."""
    kind = type(data)
    if kind in _PLAIN:
        return True
    if kind is dict:
        keys = list(data)
        return (
            all(type(key) is str for key in keys)
            and keys == sorted(keys)
            and all(map(_native, data.values()))
        )
    if kind is list:
        shapes: set[tuple[Any, ...]] = set()
        for item in data:
            if type(item) is dict and set(map(type, item.values())) <= _PLAIN:
                shape = tuple(item)
                if shape not in shapes:
                    if not _native(dict.fromkeys(shape)):
                        return False
                    shapes.add(shape)
            elif not _native(item):
                return False
        return True
    return False


class RunFolder:
    """One run's folder. All writes go through the leak guard."""

    def __init__(
        self, path: Path, run_id: str, redactor: Redactor, trusted: tuple[str, ...] = ()
    ) -> None:
        self.path = path
        self.run_id = run_id
        self.redactor = redactor
        # strings the user gave (paths, a label): not broker data, so no pattern rule fires;
        # the run id is ours: a known id that happens to equal a piece of it is not a leak
        self.scanner = Scanner(redactor, trusted, own=(run_id,))
        self._timings: IO[str] | None = None

    @classmethod
    def create(
        cls, evidence_dir: Path, redactor: Redactor, trusted: tuple[str, ...] = ()
    ) -> RunFolder:
        """Make a new, empty run folder; raises ConfigError when the directory is unusable."""
        run_id = new_run_id()
        path = evidence_dir / run_id
        try:
            (path / "samples").mkdir(parents=True, exist_ok=False)
        except OSError as exc:
            raise errors.ConfigError(
                f"cannot create the run folder in {evidence_dir}: {exc.strerror}; "
                "pass --evidence-dir or set JAINAM_EVIDENCE_DIR to a writable directory"
            ) from None
        return cls(path, run_id, redactor, (str(evidence_dir), *trusted))

    def guard(self, text: str, artifact: str) -> None:
        """Raise LeakDetected if ``text`` holds any known secret or identifier; a markdown
        artifact is judged as written and as it renders (its escapes undone)."""
        forms = [text]
        if artifact.endswith(".md") and "\\" in text:
            from jainam_validate.inert import unescaped

            forms.append(unescaped(text))
        for form in forms:
            for finding in self.scanner.findings(form):
                raise errors.LeakDetected.at(artifact, finding.rule, finding.offset)

    def _timing_line(self, data: dict[str, Any]) -> str:
        """One record as a line, every field that came from the broker scrubbed (our own
        fields, such as the run id and the timestamps, are ours and stay as written)."""
        for name in BROKER_FIELDS:
            if isinstance(data.get(name), str):
                data[name] = self.redactor.scrub(data[name])
        return json.dumps(data, ensure_ascii=False) + "\n"

    def append_timing(self, record: TimingRecord) -> None:
        """Scrub every string of the record, check the line, append it and flush."""
        line = self._timing_line(record.model_dump(mode="json"))
        self.guard(line, TIMINGS)
        if self._timings is None:
            self._timings = open(self.path / TIMINGS, "a", encoding="utf-8")
        self._timings.write(line)
        self._timings.flush()

    def write_text(self, relative: str, text: str) -> Path:
        """Check, then write atomically (temporary file + rename)."""
        self.guard(text, relative)
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            for start in range(0, len(text), _WRITE_CHARS):  # not one 40 MB encoded copy
                handle.write(text[start : start + _WRITE_CHARS])
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        return target

    def write_trusted(self, relative: str, text: str) -> Path:
        """Write text made only of the harness's own words (the leak-stop manifest), without
        the guard: after a guard stop, the folder must still say what happened."""
        target = self.path / relative
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
        return target

    def write_json(self, relative: str, data: Any) -> Path:
        return self.write_text(relative, dumps(data))

    def close(self) -> None:
        if self._timings is not None:
            self._timings.close()
            self._timings = None

    def rescrub_timings(self) -> None:
        """Scrub ``timings.jsonl`` again with everything the run learned, line by line, and
        rewrite it if anything changed (atomically); then check the whole log once more."""
        self.close()
        path = self.path / TIMINGS
        if not path.exists():
            return
        original = path.read_text(encoding="utf-8")
        lines = []
        for line in original.splitlines():
            try:
                data = json.loads(line)
            except ValueError:
                continue  # a torn last line from a kill: not evidence
            lines.append(self._timing_line(data) if isinstance(data, dict) else line + "\n")
        text = "".join(lines)
        if text != original:
            self.write_text(TIMINGS, text)
        else:
            self.guard(text, TIMINGS)

    def seal(self) -> Path:
        """Write ``SHA256SUMS`` over every other file in the folder; call it last."""
        self.close()
        return self.write_text(CHECKSUMS, checksums(self.path))


def artifact_files(folder: Path) -> list[Path]:
    """Every artifact in a run folder (not temporaries, not SHA256SUMS, not the attestation
    of SHA256SUMS), sorted."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not p.name.startswith(".")
        and p.relative_to(folder).as_posix() not in (CHECKSUMS, ATTESTATION)
    )


def checksums(folder: Path) -> str:
    lines = []
    for path in artifact_files(folder):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(folder).as_posix()}")
    return "\n".join(lines) + "\n"


def read_timings(folder: Path) -> list[TimingRecord]:
    """Every whole line of ``timings.jsonl`` (a torn last line from a kill is skipped)."""
    path = folder / TIMINGS
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            records.append(TimingRecord.model_validate_json(line))
        except ValueError:
            continue
    return records


def read_manifest(folder: Path) -> RunManifest:
    """``run.json`` of a run folder; raises UsageError when it is missing or unreadable."""
    try:
        return RunManifest.model_validate_json((folder / MANIFEST).read_text(encoding="utf-8"))
    except OSError:
        raise errors.UsageError(f"{folder} has no readable run.json: is it a run folder?") from None
    except ValueError:
        raise errors.UsageError(f"{folder}/run.json is not a valid run manifest") from None


def check_writable(path: Path) -> None:
    """Fail before any call when a file outside the folder (JUnit) could not be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise errors.UsageError(f"cannot write {path}: {exc.strerror}") from None
    if (
        path.is_dir()
        or not os.access(path.parent, os.W_OK)
        or (path.exists() and not os.access(path, os.W_OK))
    ):
        raise errors.UsageError(f"cannot write {path}: not a writable file location")


def write_outside(path: Path, text: str) -> None:
    """Write a file outside the run folder (JUnit); raises UsageError if it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise errors.UsageError(f"cannot write {path}: {exc.strerror}") from None


def check_run_folder(folder: Path) -> None:
    """Raise UsageError unless ``folder`` is a run folder (it holds run.json or timings.jsonl)."""
    if not folder.is_dir() or not ((folder / MANIFEST).exists() or (folder / TIMINGS).exists()):
        raise errors.UsageError(f"{folder} is not a run folder (no run.json or timings.jsonl)")


def newest_run(evidence_dir: Path, command: str | None = "run") -> Path:
    """The folder whose ``run.json`` has the latest start time, among those written by
    ``command`` (``run`` by default: a later ``fetch`` or ``login`` does not hide the pass)."""
    best: tuple[str, Path] | None = None
    for manifest in evidence_dir.glob(f"*/{MANIFEST}"):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            started, written_by = data.get("started_at", ""), data.get("command")
        except (OSError, ValueError, AttributeError):
            continue
        if command is not None and written_by != command:
            continue
        if best is None or str(started) > best[0]:
            best = (str(started), manifest.parent)
    if best is None:
        raise errors.UsageError(
            f"no folder written by `{command or 'any command'}` in {evidence_dir}: run "
            "`jainam-validate run` first, or name RUN_DIR"
        )
    return best[1]
