"""The run folder (docs/contract.md "Evidence folder"): run ids, deterministic JSON, the leak
guard before every write, atomic writes, UTF-8 whatever the machine's locale, rescrubbing the
timings log, SHA256SUMS, reading a folder back, files written outside it (JUnit) and which
folder is the newest run."""

from __future__ import annotations

import errno
import hashlib
import json
import locale
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest

from jainam_validate import errors, evidence
from jainam_validate.evidence import (
    CHECKSUMS,
    MANIFEST,
    TIMINGS,
    RunFolder,
    RunManifest,
    artifact_files,
    check_run_folder,
    check_writable,
    checksums,
    dumps,
    new_run_id,
    newest_run,
    read_manifest,
    read_timings,
    write_outside,
)
from jainam_validate.redact import Redactor
from jainam_validate.timing import Outcome, Phases, TimingRecord

KEY = b"k" * 32
RUN_ID = "20261130T101500Z-0a1b"
#: A word no rule knows until the test makes it a secret.
LATER = "sapphire-otter-42"
#: High entropy: a pattern rule fires on it unless it is a string the user gave.
USER_PATH = "dealer_20261201T101500Z_9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f"
#: Not ASCII: written as UTF-8 on every machine.
UNICODE = "réponse ✓ 日本"


def record(**changes: Any) -> TimingRecord:
    fields: dict[str, Any] = {
        "run_id": RUN_ID,
        "flow": "positions",
        "sample": 1,
        "attempt": 1,
        "method": "GET",
        "route": "/interactive/portfolio/positions",
        "query_keys": ["dayOrNet"],
        "status": 200,
        "outcome": Outcome.OK,
        "requested_at": "2026-11-30T10:15:00.000Z",
        "responded_at": "2026-11-30T10:15:00.120Z",
        "api_ms": 120.0,
        "transform_ms": 1.5,
        "total_ms": 121.5,
        "sample_ms": 121.5,
        "phases": Phases(),
        "conn_reused": False,
        "bytes": 42,
    }
    return TimingRecord(**(fields | changes))


def folder_at(tmp_path: Path, redactor: Redactor | None = None, **kwargs: Any) -> RunFolder:
    path = tmp_path / RUN_ID
    (path / "samples").mkdir(parents=True)
    return RunFolder(path, RUN_ID, redactor or Redactor(KEY), **kwargs)


@pytest.fixture
def ascii_locale() -> Iterator[None]:
    """A machine whose locale encoding is ASCII (a C-locale container, say): an artifact must
    still be written and read as UTF-8."""
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, before)


def deny_writes(monkeypatch: pytest.MonkeyPatch, *denied: Path) -> None:
    """``os.access`` says ``denied`` are not writable (chmod does not stop root)."""
    real = os.access

    def access(path: Any, mode: int, **kwargs: Any) -> bool:
        if mode & os.W_OK and Path(path) in denied:
            return False
        return real(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)


# -- run ids and JSON -------------------------------------------------------------------------
def test_a_run_id_is_the_utc_start_time_and_four_hex_digits() -> None:
    run_id = new_run_id(datetime(2026, 11, 27, 9, 15, 2, tzinfo=UTC))
    assert re.fullmatch(r"20261127T091502Z-[0-9a-f]{4}", run_id), run_id
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{4}", new_run_id())


def test_a_run_id_is_in_utc_whatever_the_machines_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        ist = timezone(timedelta(hours=5, minutes=30))
        run_id = new_run_id(datetime(2026, 11, 27, 14, 45, 2, tzinfo=ist))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert run_id.startswith("20261127T091502Z-")


def test_artifact_json_is_sorted_indented_by_two_unescaped_and_ends_with_a_newline() -> None:
    assert dumps({"b": [1], "a": UNICODE}) == f'{{\n  "a": "{UNICODE}",\n  "b": [\n    1\n  ]\n}}\n'


def test_the_manifest_defaults_to_schema_2_and_round_trips(tmp_path: Path) -> None:
    manifest = RunManifest(run_id=RUN_ID, command="run", started_at="2026-11-30T10:15:00Z")
    assert manifest.schema_version == evidence.SCHEMA_VERSION == 3
    assert (manifest.interrupted, manifest.iterations, manifest.warmup) == (False, 1, 0)
    assert manifest.ended_at is manifest.exit_code is manifest.verdict is manifest.error is None
    folder = folder_at(tmp_path)
    folder.write_json(MANIFEST, manifest.model_dump(mode="json"))
    assert read_manifest(folder.path) == manifest


# -- creating a folder ------------------------------------------------------------------------
def test_create_makes_a_new_folder_with_samples_under_the_evidence_dir(tmp_path: Path) -> None:
    folder = RunFolder.create(tmp_path / "evidence", Redactor(KEY))
    assert folder.path == tmp_path / "evidence" / folder.run_id
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{4}", folder.run_id)
    assert sorted(p.name for p in folder.path.iterdir()) == ["samples"]
    assert (folder.path / "samples").is_dir()


def test_create_never_reuses_an_existing_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence, "new_run_id", lambda: RUN_ID)
    RunFolder.create(tmp_path, Redactor(KEY))
    with pytest.raises(errors.ConfigError) as caught:
        RunFolder.create(tmp_path, Redactor(KEY))
    assert str(caught.value) == (
        f"cannot create the run folder in {tmp_path}: {os.strerror(errno.EEXIST)}; "
        "pass --evidence-dir or set JAINAM_EVIDENCE_DIR to a writable directory"
    )


def test_create_in_an_unusable_directory_says_what_to_do(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "evidence"
    not_a_dir.write_text("a file", encoding="utf-8")
    with pytest.raises(errors.ConfigError) as caught:
        RunFolder.create(not_a_dir, Redactor(KEY))
    assert caught.value.exit_code == errors.ExitCode.USAGE
    assert str(caught.value) == (
        f"cannot create the run folder in {not_a_dir}: {os.strerror(errno.ENOTDIR)}; "
        "pass --evidence-dir or set JAINAM_EVIDENCE_DIR to a writable directory"
    )


def test_the_evidence_dir_and_strings_the_user_gave_are_not_leaks(tmp_path: Path) -> None:
    evidence_dir = tmp_path / USER_PATH
    label = "label-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e"
    folder = RunFolder.create(evidence_dir, Redactor(KEY), (label,))
    text = dumps({"evidence_dir": str(evidence_dir), "label": label})
    assert folder.write_text("report.md", text).read_text(encoding="utf-8") == text
    with pytest.raises(errors.LeakDetected):  # the same shape anywhere else still is one
        folder.write_text("report.md", "token 3e2d1c0b9a8f7e6d5c4b3a2f1e0f9e8d7c6b5a4f")


def test_trusted_strings_given_to_a_folder_are_not_leaks(tmp_path: Path) -> None:
    folder = folder_at(tmp_path, trusted=(USER_PATH,))
    folder.write_text("report.md", f"cassette: {USER_PATH}\n")
    untrusted = RunFolder(tmp_path / "other", RUN_ID, Redactor(KEY))
    with pytest.raises(errors.LeakDetected):
        untrusted.write_text("report.md", f"cassette: {USER_PATH}\n")


def test_a_known_id_equal_to_a_piece_of_the_run_id_is_not_a_leak(tmp_path: Path) -> None:
    redactor = Redactor(KEY)
    redactor.learn({"OrderUniqueIdentifier": "20261130"})
    folder = folder_at(tmp_path, redactor)
    folder.write_json(MANIFEST, {"run_id": RUN_ID})
    with pytest.raises(errors.LeakDetected):
        folder.write_json(MANIFEST, {"run_id": RUN_ID, "note": "20261130"})


# -- the guard and writing ----------------------------------------------------------------------
def test_a_leak_names_the_artifact_rule_and_offset_never_the_value(tmp_path: Path) -> None:
    redactor = Redactor(KEY)
    redactor.add_secret(LATER)
    folder = folder_at(tmp_path, redactor)
    with pytest.raises(errors.LeakDetected) as caught:
        folder.write_text("samples/positions.json", f"abc {LATER}")
    assert caught.value.exit_code == errors.ExitCode.LEAK == 7
    assert caught.value.artifact == "samples/positions.json"
    assert str(caught.value) == (
        "leak guard: samples/positions.json was not written: rule 'secret' matched at offset 4; "
        "the run stopped (report this as a redaction bug)"
    )
    assert not (folder.path / "samples/positions.json").exists()
    assert list(folder.path.rglob("*.tmp")) == []


def test_write_text_makes_missing_folders_and_leaves_no_temporary(tmp_path: Path) -> None:
    folder = folder_at(tmp_path)
    target = folder.write_text("deep/er/file.md", "hello\n")
    assert target == folder.path / "deep/er/file.md"
    assert target.read_text(encoding="utf-8") == "hello\n"
    folder.write_text("deep/er/file.md", "again\n")  # replaced, not appended
    assert target.read_text(encoding="utf-8") == "again\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.md"]


def test_write_trusted_skips_the_guard_and_writes_atomically(tmp_path: Path) -> None:
    redactor = Redactor(KEY)
    redactor.add_secret(LATER)
    folder = folder_at(tmp_path, redactor)
    text = f'{{"error": "LeakDetected: rule secret in {LATER}"}}\n'
    assert folder.write_trusted(MANIFEST, text).read_text(encoding="utf-8") == text
    assert sorted(p.name for p in folder.path.iterdir()) == [MANIFEST, "samples"]


# -- timings.jsonl ---------------------------------------------------------------------------
def test_timings_are_appended_one_scrubbed_json_line_per_record(tmp_path: Path) -> None:
    redactor = Redactor(KEY)
    redactor.add_secret(LATER)
    folder = folder_at(tmp_path, redactor)
    folder.append_timing(record(error=f"HTTP 401: {LATER} {UNICODE}", code=LATER))
    folder.append_timing(record(sample=2, outcome=Outcome.EMPTY))
    lines = (folder.path / TIMINGS).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["error"] == f"HTTP 401: [redacted] {UNICODE}"
    assert first["code"] == "[redacted]" and first["outcome"] == "ok"
    assert UNICODE in lines[0]  # written as UTF-8, not \u escapes
    assert json.loads(lines[1])["outcome"] == "empty"
    folder.close()
    assert read_timings(folder.path)[1].sample == 2


def test_a_leak_in_a_timing_field_we_do_not_scrub_is_refused(tmp_path: Path) -> None:
    redactor = Redactor(KEY)
    redactor.add_secret(LATER)
    folder = folder_at(tmp_path, redactor)
    with pytest.raises(errors.LeakDetected) as caught:
        folder.append_timing(record(flow=f"flow-{LATER}"))
    assert caught.value.artifact == TIMINGS
    assert not (folder.path / TIMINGS).exists()


def test_rescrub_removes_what_the_run_learned_after_the_line_was_written(tmp_path: Path) -> None:
    redactor = Redactor(KEY)
    folder = folder_at(tmp_path, redactor)
    folder.append_timing(record(error=f"rejected {LATER}"))
    folder.append_timing(record(sample=2))
    redactor.add_secret(LATER)
    folder.rescrub_timings()
    text = (folder.path / TIMINGS).read_text(encoding="utf-8")
    assert LATER not in text
    assert [r.error for r in read_timings(folder.path)] == ["rejected [redacted]", None]
    assert sorted(p.name for p in folder.path.iterdir()) == ["samples", TIMINGS]
    folder.append_timing(record(sample=3))  # the log can still be appended to
    folder.close()
    assert [r.sample for r in read_timings(folder.path)] == [1, 2, 3]


def test_rescrub_still_checks_a_log_it_did_not_change(tmp_path: Path) -> None:
    redactor = Redactor(KEY)
    folder = folder_at(tmp_path, redactor)
    folder.append_timing(record(flow=f"flow-{LATER}"))
    before = (folder.path / TIMINGS).read_text(encoding="utf-8")
    folder.rescrub_timings()  # nothing known yet: the log is left as it is
    assert (folder.path / TIMINGS).read_text(encoding="utf-8") == before
    redactor.add_secret(LATER)
    with pytest.raises(errors.LeakDetected) as caught:
        folder.rescrub_timings()
    assert caught.value.artifact == TIMINGS


def test_rescrub_drops_torn_lines_and_keeps_other_json_as_it_is(tmp_path: Path) -> None:
    folder = folder_at(tmp_path)
    first = record().model_dump_json()
    last = record(sample=2).model_dump_json()
    (folder.path / TIMINGS).write_text(
        f'{first}\n{{"torn": \n[1, 2]\n7\n{last}\n{{"half', encoding="utf-8"
    )
    folder.rescrub_timings()
    lines = (folder.path / TIMINGS).read_text(encoding="utf-8").splitlines()
    assert lines[1:3] == ["[1, 2]", "7"]
    assert [json.loads(lines[0])["sample"], json.loads(lines[3])["sample"]] == [1, 2]
    assert len(lines) == 4


def test_rescrub_without_a_timings_log_writes_nothing(tmp_path: Path) -> None:
    folder = folder_at(tmp_path)
    folder.rescrub_timings()
    assert not (folder.path / TIMINGS).exists()


def test_read_timings_skips_blank_and_torn_lines_anywhere(tmp_path: Path) -> None:
    first = record().model_dump_json()
    last = record(sample=2).model_dump_json()
    (tmp_path / TIMINGS).write_text(f"{first}\n\n  \nnot json\n{last}\n{{", encoding="utf-8")
    assert [r.sample for r in read_timings(tmp_path)] == [1, 2]
    assert read_timings(tmp_path / "missing") == []


# -- SHA256SUMS --------------------------------------------------------------------------------
def test_sha256sums_lists_every_other_file_sorted_with_its_digest(tmp_path: Path) -> None:
    folder = folder_at(tmp_path)
    folder.write_text("report.md", "# report\n")
    folder.write_json("samples/positions.json", [])
    folder.write_json(MANIFEST, {"run_id": RUN_ID})
    folder.append_timing(record())
    (folder.path / ".report.md.tmp").write_text("torn", encoding="utf-8")
    (folder.path / "samples" / ".x.json.tmp").write_text("torn", encoding="utf-8")
    sums = folder.seal()
    assert sums == folder.path / CHECKSUMS
    names = ["report.md", MANIFEST, "samples/positions.json", TIMINGS]
    assert artifact_files(folder.path) == [folder.path / n for n in names]
    expected = "".join(
        f"{hashlib.sha256((folder.path / n).read_bytes()).hexdigest()}  {n}\n" for n in names
    )
    assert sums.read_text(encoding="utf-8") == expected
    assert checksums(folder.path) == expected  # SHA256SUMS does not list itself


# -- UTF-8 whatever the locale -----------------------------------------------------------------
def _append(folder: RunFolder) -> str:
    folder.append_timing(record(error=UNICODE))
    folder.close()
    return (folder.path / TIMINGS).read_bytes().decode("utf-8")


def _write_text(folder: RunFolder) -> str:
    return folder.write_text("report.md", UNICODE).read_bytes().decode("utf-8")


def _write_trusted(folder: RunFolder) -> str:
    return folder.write_trusted(MANIFEST, UNICODE).read_bytes().decode("utf-8")


def _rescrub(folder: RunFolder) -> str:
    line = record(error=UNICODE).model_dump_json()
    (folder.path / TIMINGS).write_bytes(f"{line}\n{{torn".encode())
    folder.rescrub_timings()
    return (folder.path / TIMINGS).read_bytes().decode("utf-8")


def _read_timings(folder: RunFolder) -> str:
    line = record(error=UNICODE).model_dump_json()
    (folder.path / TIMINGS).write_bytes(f"{line}\n".encode())
    return str(read_timings(folder.path)[0].error)


def _read_manifest(folder: RunFolder) -> str:
    manifest = RunManifest(run_id=RUN_ID, command="run", started_at="x", label=UNICODE)
    (folder.path / MANIFEST).write_bytes(manifest.model_dump_json().encode())
    return str(read_manifest(folder.path).label)


def _newest_run(folder: RunFolder) -> str:
    data = {"command": "run", "started_at": "2026", "label": UNICODE}
    (folder.path / MANIFEST).write_bytes(json.dumps(data, ensure_ascii=False).encode())
    return (newest_run(folder.path.parent) / MANIFEST).read_bytes().decode("utf-8")


def _write_outside(folder: RunFolder) -> str:
    path = folder.path.parent / "junit.xml"
    write_outside(path, UNICODE)
    return path.read_bytes().decode("utf-8")


@pytest.mark.parametrize(
    "operation",
    [
        _append,
        _write_text,
        _write_trusted,
        _rescrub,
        _read_timings,
        _read_manifest,
        _newest_run,
        _write_outside,
    ],
)
@pytest.mark.usefixtures("ascii_locale")
def test_artifacts_are_utf8_whatever_the_locale(
    operation: Callable[[RunFolder], str], tmp_path: Path
) -> None:
    assert UNICODE in operation(folder_at(tmp_path))


# -- reading a folder back ------------------------------------------------------------------
def test_read_manifest_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(errors.UsageError) as missing:
        read_manifest(tmp_path)
    assert str(missing.value) == f"{tmp_path} has no readable run.json: is it a run folder?"
    (tmp_path / MANIFEST).write_text('{"run_id": 1}', encoding="utf-8")
    with pytest.raises(errors.UsageError) as invalid:
        read_manifest(tmp_path)
    assert str(invalid.value) == f"{tmp_path}/run.json is not a valid run manifest"


@pytest.mark.parametrize("present", [(MANIFEST,), (TIMINGS,), (MANIFEST, TIMINGS)])
def test_a_run_folder_holds_run_json_or_timings(present: tuple[str, ...], tmp_path: Path) -> None:
    for name in present:
        (tmp_path / name).write_text("{}\n", encoding="utf-8")
    check_run_folder(tmp_path)


@pytest.mark.parametrize("kind", ["empty dir", "file", "missing"])
def test_anything_else_is_not_a_run_folder(kind: str, tmp_path: Path) -> None:
    folder = tmp_path / "x"
    if kind == "empty dir":
        folder.mkdir()
        (folder / "report.md").write_text("", encoding="utf-8")
    elif kind == "file":
        folder.write_text("", encoding="utf-8")
    with pytest.raises(errors.UsageError) as caught:
        check_run_folder(folder)
    assert str(caught.value) == f"{folder} is not a run folder (no run.json or timings.jsonl)"


# -- files outside the folder (JUnit) ---------------------------------------------------------
def test_check_writable_makes_missing_parents_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "junit.xml"
    check_writable(path)
    assert path.parent.is_dir() and not path.exists()
    check_writable(path)  # the parent now exists: still fine


def test_check_writable_accepts_an_existing_writable_file(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text("old", encoding="utf-8")
    check_writable(path)
    assert path.read_text(encoding="utf-8") == "old"


def test_check_writable_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(errors.UsageError) as caught:
        check_writable(tmp_path)
    assert str(caught.value) == f"cannot write {tmp_path}: not a writable file location"


def test_check_writable_refuses_a_parent_it_cannot_write_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deny_writes(monkeypatch, tmp_path)
    path = tmp_path / "junit.xml"
    with pytest.raises(errors.UsageError) as caught:
        check_writable(path)
    assert str(caught.value) == f"cannot write {path}: not a writable file location"


def test_check_writable_refuses_a_read_only_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "junit.xml"
    path.write_text("old", encoding="utf-8")
    deny_writes(monkeypatch, path)
    with pytest.raises(errors.UsageError) as caught:
        check_writable(path)
    assert str(caught.value) == f"cannot write {path}: not a writable file location"


def test_check_writable_says_why_a_parent_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    path = tmp_path / "file" / "sub" / "junit.xml"
    with pytest.raises(errors.UsageError) as caught:
        check_writable(path)
    assert str(caught.value) == f"cannot write {path}: {os.strerror(errno.ENOTDIR)}"


def test_write_outside_makes_parents_and_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "ci" / "junit.xml"
    write_outside(path, "<testsuites/>\n")
    assert path.read_text(encoding="utf-8") == "<testsuites/>\n"
    write_outside(path, "<testsuites></testsuites>\n")  # the parent exists now
    assert path.read_text(encoding="utf-8") == "<testsuites></testsuites>\n"


def test_write_outside_says_why_it_cannot(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.mkdir()
    with pytest.raises(errors.UsageError) as caught:
        write_outside(path, "<testsuites/>\n")
    assert str(caught.value) == f"cannot write {path}: {os.strerror(errno.EISDIR)}"


# -- the newest run ----------------------------------------------------------------------------
def make_runs(evidence_dir: Path, manifests: tuple[Any, ...]) -> list[Path]:
    """One folder per manifest, named and created in order (dict: JSON; str: raw text)."""
    folders = []
    for index, manifest in enumerate(manifests):
        folder = evidence_dir / f"run-{index}"
        folder.mkdir(parents=True)
        text = manifest if isinstance(manifest, str) else json.dumps(manifest)
        (folder / MANIFEST).write_text(text, encoding="utf-8")
        folders.append(folder)
    return folders


NEWEST = {"command": "run", "started_at": "2026-11-30T10:15:00+00:00"}
OLDER = {"command": "run", "started_at": "2026-11-29T23:59:59+00:00"}
OLDEST = {"command": "run", "started_at": "2026-01-01T00:00:00+00:00"}
LATER_FETCH = {"command": "fetch positions", "started_at": "2026-12-01T00:00:00+00:00"}
NO_START = {"command": "run"}
BROKEN = '{"command": "run", "started_at": "2027'
NOT_AN_OBJECT = '["run", "2027"]'


# every order of creation (and so of listing, on any file system): the answer must not depend
# on which folder the directory lists first
@pytest.mark.parametrize(
    "manifests",
    [
        *permutations([NEWEST, OLDER, OLDEST]),
        *permutations([NEWEST, LATER_FETCH, NO_START]),
        *permutations([NEWEST, BROKEN, NOT_AN_OBJECT]),
    ],
)
def test_the_newest_run_has_the_latest_start(manifests: tuple[Any, ...], tmp_path: Path) -> None:
    folders = make_runs(tmp_path, manifests)
    (tmp_path / "not-a-run").mkdir()
    assert newest_run(tmp_path) == folders[manifests.index(NEWEST)]


@pytest.mark.parametrize("manifests", list(permutations([NEWEST, LATER_FETCH])))
def test_any_command_counts_when_none_is_named(manifests: tuple[Any, ...], tmp_path: Path) -> None:
    folders = make_runs(tmp_path, manifests)
    assert newest_run(tmp_path, None) == folders[manifests.index(LATER_FETCH)]
    assert newest_run(tmp_path, "fetch positions") == folders[manifests.index(LATER_FETCH)]
    assert newest_run(tmp_path, "run") == folders[manifests.index(NEWEST)]


@pytest.mark.parametrize(
    ("command", "manifests", "named"),
    [
        ("run", (LATER_FETCH, BROKEN), "run"),
        ("login", (NEWEST,), "login"),
        (None, (), "any command"),
        (None, (BROKEN, NOT_AN_OBJECT), "any command"),
    ],
)
def test_no_newest_run_says_what_to_do(
    command: str | None, manifests: tuple[Any, ...], named: str, tmp_path: Path
) -> None:
    make_runs(tmp_path, manifests)
    with pytest.raises(errors.UsageError) as caught:
        newest_run(tmp_path, command)
    assert str(caught.value) == (
        f"no folder written by `{named}` in {tmp_path}: run "
        "`jainam-validate run` first, or name RUN_DIR"
    )
