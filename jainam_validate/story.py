"""Recording a run's outcome in a release story (release check AC6): ``report RUN_DIR --story
FILE`` adds one row to the story's ``## Change Log`` table and one entry to its ``## Dev Notes``
section, each naming the run id, the target kind (anything but ``live`` said plainly to be NOT
live evidence), the verdict, every failed and not-proven check with its reason, the residual
risks, the label and the evidence folder as a path relative to the story. Each block carries an
HTML comment ``<!-- jainam-validate run <run id> -->`` so a second call for the same run replaces
it instead of adding another, and a call for another run adds its own after the existing ones;
every other byte of the file is kept (line endings and a missing final newline included), and a
section the story lacks is appended at its end. :func:`entry` and :func:`apply` are pure; text
from ``run.json`` goes through :mod:`jainam_validate.inert`, the added text through the leak
guard that ``report.md`` passes, and :func:`write` replaces the file atomically.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from jainam_validate import errors
from jainam_validate.evidence import RunFolder, RunManifest, check_run_folder
from jainam_validate.inert import md, unescaped, visible
from jainam_validate.redact import Redactor
from jainam_validate.report import RunView, load, residual_risks, run_verdict, target_banner
from jainam_validate.report import verdict as verdict_line
from jainam_validate.verdict import Status, TargetKind, status_of

AUTHOR = "jainam-validate"
DEV_NOTES = "Dev Notes"
CHANGE_LOG = "Change Log"
HEADER = "| Date | Version | Description | Author |"
SEPARATOR = "|---|---|---|---|"

#: Values left as they are: report.md's plain values (timestamps, run ids, decimals,
#: ``flow:holdings``) and words joined by single ``.``, ``_`` or ``-`` (``STORY-1.3``); none can
#: form a markdown or HTML construct. Everything else goes through ``inert.md``.
_PLAIN = re.compile(
    r"-?[0-9][0-9A-Za-z:.-]*|[a-z][a-z0-9_]*(?::[a-z0-9_]+)?|[0-9A-Za-z]+(?:[._-][0-9A-Za-z]+)*"
)
#: A run id safe inside an HTML comment as it is (no ``--``, no ``>``); others are escaped.
_SAFE_ID = re.compile(r"[0-9A-Za-z]+(?:[._:-][0-9A-Za-z]+)*")
#: A relative path shown as it is and linked: plain segments and ``..`` only.
_SEGMENT = r"(?:\.\.|[0-9A-Za-z]+(?:[._-][0-9A-Za-z]+)*)"
_SAFE_PATH = re.compile(rf"\.|{_SEGMENT}(?:/{_SEGMENT})*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_DELIMITER_CELL = re.compile(r":?-+:?")


def _is_delimiter(line: str) -> bool:
    """A table's delimiter row (``|---|:--:|``): cell by cell, so linear in the line (one
    regex over the whole row backtracks on long runs of spaces)."""
    text = line.strip()
    text = text[1:] if text.startswith("|") else text
    text = text[:-1] if text.endswith("|") else text
    cells = text.split("|")
    return bool(text) and all(_DELIMITER_CELL.fullmatch(c.strip()) for c in cells)


_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_BARE_PIPE = re.compile(r"(?<!\\)((?:\\\\)*)\|")
#: What a Change Log column is called, by its (case-folded) header.
_COLUMNS = {
    "date": "date",
    "version": "version",
    "description": "description",
    "change": "description",
    "changes": "description",
    "author": "author",
}


@dataclass(frozen=True)
class Entry:
    """What one run adds to a story: the Change Log row's cells and the Dev Notes entry."""

    run_id: str  #: the run id as one inert line, for messages
    marker: str  #: the HTML comment that finds this run's blocks again
    date: str  #: the run's end date, YYYY-MM-DD (``-`` when run.json has none)
    description: str  #: the Change Log description: one line, safe in a table cell
    notes: tuple[str, ...]  #: the Dev Notes entry, line by line, the marker last
    trusted: tuple[str, ...]  #: what the user gave (label, paths): not broker data


@dataclass(frozen=True)
class Edit:
    """A story file's text before and after recording one run."""

    path: Path
    before: str
    after: str
    run_id: str  #: as one inert line


def _text(value: object) -> str:
    """Any value as inert inline markdown (see :mod:`jainam_validate.inert`)."""
    text = "-" if value is None else str(value)
    return text if _PLAIN.fullmatch(text) and "www." not in text.casefold() else md(text)


def _flat(markdown: str) -> str:
    """Markdown as one line that cannot end a table cell: line breaks folded, bare pipes
    escaped (a pipe already after an odd number of backslashes is escaped)."""
    return _BARE_PIPE.sub(r"\1\\|", re.sub(r"\s*[\r\n]+\s*", " ", markdown))


def marker(run_id: str) -> str:
    """The HTML comment that marks a run's blocks; the id escaped unless plainly safe, so it
    can neither close the comment nor open anything after it."""
    shown = run_id if _SAFE_ID.fullmatch(run_id) else md(run_id)
    return f"<!-- jainam-validate run {shown} -->"


def _date(m: RunManifest) -> str:
    for stamp in (m.ended_at, m.started_at):
        if stamp and _DATE.match(stamp):
            return stamp[:10]
    return "-"


def _kind(m: RunManifest) -> str:
    """``live``, or the kind (inert) and ``NOT live``."""
    kind = m.target.get("kind")
    if kind == TargetKind.LIVE:
        return "live"
    name = _text(kind) if isinstance(kind, str) and kind else "target not recorded"
    return f"{name}, NOT live"


def _target(m: RunManifest) -> str:
    """The Dev Notes' target line: the kind, and for anything but live the report's banner."""
    banner = target_banner(m)
    if banner is None:
        return "live: evidence about the broker"
    said, _, rest = banner.partition(": ")  # "NOT LIVE EVIDENCE", then our fixed sentence
    return f"{_kind(m).removesuffix(', NOT live')}: **{said}**: {rest}"


def _pending(m: RunManifest, status: Status) -> list[tuple[str, str]]:
    """The name and reason of every check with ``status``, inert."""
    return [
        (_text(name), _text(check.detail or "no reason recorded"))
        for name, check in m.checks.items()
        if status_of(check.status) is status
    ]


def evidence_path(folder: Path, story_dir: Path) -> str:
    """The run folder relative to the story's directory, with ``/`` separators."""
    try:
        relative = os.path.relpath(os.path.abspath(folder), os.path.abspath(story_dir))
    except ValueError:  # another drive (Windows): no relative path exists
        raise errors.UsageError(
            f"{folder} and the story file are on different drives: put the evidence folder "
            "next to the story"
        ) from None
    return relative.replace(os.sep, "/")


def entry(view: RunView, folder: Path, story_dir: Path, label: str | None = None) -> Entry:
    """The blocks one run adds to a story in ``story_dir``. ``label`` (``--label``) wins over
    the run's own label. Every value from run.json is inert; the verdict, banner and residual
    risks are the report's own sentences."""
    m = view.manifest
    run_id = _text(m.run_id)
    label = label or m.label
    path = evidence_path(folder, story_dir)
    shown = path if _SAFE_PATH.fullmatch(path) and "www." not in path.casefold() else md(path)
    failed, unproven = _pending(m, Status.FAIL), _pending(m, Status.NOT_PROVEN)
    risks = [_flat(risk) for risk in residual_risks(view)]
    word = run_verdict(m).value
    # the row stays one readable line: the reasons and the risks are in the Dev Notes entry
    checks = [f"failed: {', '.join(n for n, _ in failed)}"] if failed else []
    checks += [f"not proven: {', '.join(n for n, _ in unproven)}"] if unproven else []
    parts = [f"Validation run {run_id} ({_kind(m)}): {word}"]
    if checks:
        parts[0] += " — " + "; ".join(checks)
    if label:
        parts.append(f"label: {_text(label)}")
    parts += [f"evidence: {shown}", f"reasons and {len(risks)} residual risks in Dev Notes"]
    notes = [f"### Validation run {run_id} ({_date(m)})", "", f"- Target: {_target(m)}"]
    notes.append(f"- Verdict: {_flat(verdict_line(m))}")
    if m.error:
        notes.append(f"- Stopped by: {_text(m.error)}")
    if label:
        notes.append(f"- Label: {_text(label)}")
    for title, items in (("Checks failed", failed), ("Checks not proven", unproven)):
        listed = [f"  - {name}: {reason}" for name, reason in items]
        notes += [f"- {title}:", *listed] if listed else [f"- {title}: none"]
    notes += ["- Residual risks:", *(f"  - {r}" for r in risks)]
    link = f"[{path}]({path})" if shown == path else shown
    notes += [f"- Evidence folder: {link}", "", marker(m.run_id)]
    trusted = tuple(t for t in (label, path, str(folder)) if t)
    return Entry(
        visible(m.run_id), marker(m.run_id), _date(m), _flat("; ".join(parts)), tuple(notes),
        trusted,
    )  # fmt: skip


# -- editing the text --------------------------------------------------------------------------
def _body(line: str) -> str:
    return line.rstrip("\r\n")


def _fenced(bodies: list[str]) -> list[bool]:
    """Which lines are inside (or open or close) a fenced code block."""
    inside: list[bool] = []
    fence = ""
    for body in bodies:
        found = _FENCE.match(body)
        if fence:
            inside.append(True)
            if found and found.group(1)[0] == fence[0] and len(found.group(1)) >= len(fence):
                fence = "" if not found.group(2).strip() else fence
        elif found and not (found.group(1)[0] == "`" and "`" in found.group(2)):
            fence = found.group(1)
            inside.append(True)
        else:
            inside.append(False)
    return inside


def _open_fence(bodies: list[str], fenced: list[bool]) -> int | None:
    """The 1-based line of a fence still open at the end of the text, or None."""
    start = None
    for i, inside in enumerate(fenced):
        if inside and (i == 0 or not fenced[i - 1]):
            start = i
        if not inside:
            start = None
    if start is None:
        return None
    # the block ends at the last line: closed only if that line is its closing fence
    closing = _FENCE.match(bodies[-1])
    opening = _FENCE.match(bodies[start])
    closed = (
        len(bodies) - 1 > start
        and closing is not None
        and opening is not None
        and closing.group(1)[0] == opening.group(1)[0]
        and not closing.group(2).strip()
    )
    return None if closed else start + 1


def _heading(body: str) -> tuple[int, str] | None:
    found = _HEADING.fullmatch(body)
    if found is None:
        return None
    return len(found.group(1)), " ".join((found.group(2) or "").split()).casefold()


def _section(bodies: list[str], fenced: list[bool], title: str) -> tuple[int, int] | None:
    """The first ``## title`` heading's line and the line of the next heading of level 1 or 2
    (or the end of the file)."""
    start = None
    for i, body in enumerate(bodies):
        found = None if fenced[i] else _heading(body)
        if found is None:
            continue
        if start is None and found == (2, title.casefold()):
            start = i
        elif start is not None and found[0] <= 2:
            return start, i
    return None if start is None else (start, len(bodies))


class _Lines:
    """A file's lines with their own endings, edited in place."""

    def __init__(self, text: str) -> None:
        self.lines = _LINE.findall(text)
        first = next((line[len(_body(line)) :] for line in self.lines if _body(line) != line), "")
        self.eol = first or "\n"
        self.added: list[str] = []

    @property
    def bodies(self) -> list[str]:
        return [_body(line) for line in self.lines]

    def insert(self, after: int, block: list[str], *, separate: bool = True) -> None:
        """Put ``block`` after line ``after`` (-1: at the top), with a blank line before it
        when ``separate`` and one after it when a non-blank line follows. At the end of a file
        without a final newline, the file still ends without one."""
        lines = self.lines
        follows = after + 1 < len(lines)
        new = ([""] if separate and after >= 0 else []) + block
        if follows and _body(lines[after + 1]).strip():
            new.append("")
        last_ending = self.eol
        if not follows and after >= 0 and _body(lines[after]) == lines[after]:
            lines[after] += self.eol  # the old last line, now followed by ours
            last_ending = ""
        self.added += block
        ends = [self.eol] * (len(new) - 1) + [last_ending]
        lines[after + 1 : after + 1] = [b + e for b, e in zip(new, ends, strict=True)]

    def replace(self, first: int, last: int, block: list[str]) -> None:
        """Lines ``first`` to ``last`` become ``block``; the last keeps its own ending."""
        ending = self.lines[last][len(_body(self.lines[last])) :]
        self.added += block
        ends = [self.eol] * (len(block) - 1) + [ending]
        self.lines[first : last + 1] = [b + e for b, e in zip(block, ends, strict=True)]

    def append_section(self, title: str, block: list[str]) -> None:
        """A section the story lacks, at its end."""
        self.insert(self._last_filled(0, len(self.lines)), [f"## {title}", "", *block])

    def _last_filled(self, start: int, end: int) -> int:
        """The last non-blank line in ``[start, end)``, or ``start - 1``."""
        bodies = self.bodies
        return next((i for i in range(end - 1, start - 1, -1) if bodies[i].strip()), start - 1)

    def text(self) -> str:
        return "".join(self.lines)


def _cells(row: str) -> list[str]:
    body = row.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [cell.strip() for cell in _CELL_SPLIT.split(body)]


def _is_row(body: str) -> bool:
    return body.lstrip().startswith("|")


def next_version(previous: str | None) -> str:
    """One step in the last decimal place: ``1.3`` → ``1.4``, ``1.9`` → ``2.0``, ``1.10`` →
    ``1.11``; a whole number gets a first decimal (``2`` → ``2.1``); anything else is
    repeated; none: ``-``."""
    if not previous:
        return "-"
    if _NUMBER.fullmatch(previous):
        places = len(previous.partition(".")[2]) or 1
        step = Decimal(1).scaleb(-places)
        return f"{Decimal(previous) + step:.{places}f}"
    return previous


def _row(header: str, made: Entry, previous: str | None) -> str:
    """This run's row for a table with ``header``, its cells placed by column name (Date,
    Version, Description, Author), the marker in the last cell."""
    names = [_COLUMNS.get(c.strip("*_` ").casefold(), "") for c in _cells(header)]
    at = names.index("version") if "version" in names else -1
    prior = _cells(previous)[at] if previous is not None and 0 <= at < len(_cells(previous)) else ""
    values = {
        "date": made.date,
        "version": next_version(_flat(prior) if prior else None),
        "description": made.description,
        "author": AUTHOR,
    }
    cells = [values.get(name, "") for name in names]
    if "description" not in names:
        spare = cells.index("") if "" in cells else len(cells) - 1
        cells[spare] = f"{cells[spare]} {made.description}".strip()
    cells[-1] = f"{cells[-1]} {made.marker}".strip()
    return "| " + " | ".join(cells) + " |"


def _table(bodies: list[str], fenced: list[bool], start: int, end: int) -> tuple[int, int] | None:
    """The Change Log table in lines ``[start, end)``: its header line and last row; the one
    with a Version column first, else the first table."""
    tables: list[tuple[int, int]] = []
    i = start
    while i < end - 1:
        if not fenced[i] and _is_row(bodies[i]) and _is_delimiter(bodies[i + 1]):
            last = i + 1
            while last + 1 < end and not fenced[last + 1] and _is_row(bodies[last + 1]):
                last += 1
            tables.append((i, last))
            i = last
        i += 1
    versioned = [
        t for t in tables if "version" in [c.strip("*_` ").casefold() for c in _cells(bodies[t[0]])]
    ]  # (a header written **Version** is the same column)
    chosen = versioned or tables
    return chosen[0] if chosen else None


def _own_row(bodies: list[str], fenced: list[bool], mark: str) -> int | None:
    return next(
        (i for i, b in enumerate(bodies) if not fenced[i] and _is_row(b) and mark in b), None
    )


def _record_row(doc: _Lines, made: Entry) -> None:
    bodies = doc.bodies
    fenced = _fenced(bodies)
    own = _own_row(bodies, fenced, made.marker)
    if own is not None:
        top = own
        while top > 0 and not fenced[top - 1] and _is_row(bodies[top - 1]):
            top -= 1
        previous = bodies[own - 1] if own - 2 > top else None  # a row above ours, not the rule
        doc.replace(own, own, [_row(bodies[top], made, previous)])
        return
    section = _section(bodies, fenced, CHANGE_LOG)
    if section is None:
        doc.append_section(CHANGE_LOG, [HEADER, SEPARATOR, _row(HEADER, made, None)])
        return
    table = _table(bodies, fenced, section[0] + 1, section[1])
    if table is None:
        block = [HEADER, SEPARATOR, _row(HEADER, made, None)]
        doc.insert(doc._last_filled(section[0], section[1]), block)
        return
    head, last = table
    previous = bodies[last] if last > head + 1 else None
    doc.insert(last, [_row(bodies[head], made, previous)], separate=False)


def _record_notes(doc: _Lines, made: Entry) -> None:
    bodies = doc.bodies
    fenced = _fenced(bodies)
    own = next(
        (i for i, b in enumerate(bodies) if not fenced[i] and b.strip() == made.marker), None
    )
    if own is not None:
        first = own
        heading = made.notes[0].rsplit(" (", 1)[0] + " ("  # the date may differ
        for i in range(own - 1, -1, -1):
            if fenced[i]:
                continue
            if bodies[i].startswith(heading):
                first = i
                break
            found = _heading(bodies[i])
            if found is not None or bodies[i].strip().startswith("<!-- jainam-validate run "):
                break  # another heading or another run's block: ours had no heading left
        doc.replace(first, own, list(made.notes))
        return
    section = _section(bodies, fenced, DEV_NOTES)
    if section is None:
        doc.append_section(DEV_NOTES, list(made.notes))
        return
    doc.insert(doc._last_filled(section[0], section[1]), list(made.notes))


def changes(text: str, made: Entry) -> tuple[str, list[str]]:
    """:func:`apply`, and the lines it added or replaced (what the leak guard checks). A code
    fence left open would hide our own markers (and each run would add its blocks again):
    that story is refused, naming the line."""
    doc = _Lines(text)
    line = _open_fence(doc.bodies, _fenced(doc.bodies))
    if line is not None:
        raise errors.UsageError(
            f"the story's code fence opened on line {line} is never closed: close it, then "
            "record the run again"
        )
    _record_notes(doc, made)
    _record_row(doc, made)
    return doc.text(), doc.added


def apply(text: str, made: Entry) -> str:
    """``text`` with this run's Change Log row and Dev Notes entry added, or replaced where
    they already are; every other byte kept. Applying it twice changes nothing."""
    return changes(text, made)[0]


# -- the file ----------------------------------------------------------------------------------
def read(path: Path) -> str:
    """A story file's text; raises UsageError (exit 2) when it is missing or not UTF-8."""
    if not path.exists():
        raise errors.UsageError(f"story file {path} does not exist: give the story file's path")
    if not path.is_file():
        raise errors.UsageError(f"story file {path} is not a file: give the story file's path")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise errors.UsageError(f"cannot read the story file {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.UsageError(
            f"story file {path} is not UTF-8 (byte {exc.start}): save it as UTF-8 and rerun"
        ) from None


def prepare(
    run_dir: Path,
    story_path: Path,
    *,
    key: bytes,
    label: str | None = None,
    redactor: Redactor | None = None,
) -> Edit:
    """Read the story and the run folder, build the edit and leak-guard every line it adds
    (as written, and as it renders with the markdown escapes undone); nothing is written.
    ``redactor`` is the guard's known values (by default none but the pattern rules, as for
    ``report``'s report.md)."""
    check_run_folder(run_dir)
    before = read(story_path)
    view = load(run_dir)
    made = entry(view, run_dir, story_path.parent, label)
    after, added = changes(before, made)
    folder = RunFolder(run_dir, view.manifest.run_id, redactor or Redactor(key), made.trusted)
    text = "\n".join(added)
    folder.guard(text, str(story_path))
    folder.guard(unescaped(text), str(story_path))
    return Edit(story_path, before, after, made.run_id)


def write(edit: Edit) -> None:
    """Replace the story file atomically (a temporary file beside it, then a rename), keeping
    its permissions; nothing is written when the text did not change. Raises UsageError if the
    file changed since it was read, or cannot be written."""
    if edit.after == edit.before:
        return
    target = Path(os.path.realpath(edit.path))
    if read(edit.path) != edit.before:
        raise errors.UsageError(f"story file {edit.path} changed while it was edited: rerun")
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(edit.after.encode("utf-8"))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise errors.UsageError(
            f"cannot write the story file {edit.path}: {exc.strerror}"
        ) from None


def record(
    run_dir: Path,
    story_path: Path,
    *,
    key: bytes,
    label: str | None = None,
    redactor: Redactor | None = None,
) -> Edit:
    """``report RUN_DIR --story FILE``: record one run in a story file (read, apply, guard,
    write). Returns the edit made."""
    edit = prepare(run_dir, story_path, key=key, label=label, redactor=redactor)
    write(edit)
    return edit
