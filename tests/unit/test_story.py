"""Recording a run in a release story (AC6): the golden story, idempotence, a second run, missing
sections, line endings, inert broker text, the relative evidence path, usage errors and the leak
guard. To accept a change of the entry on purpose (the residual risks come from report.py):
JV_UPDATE_GOLDEN=1 pytest tests/unit/test_story.py."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from jainam_validate import errors, story
from jainam_validate.redact import Redactor
from jainam_validate.report import load
from tests.support.markdown import render

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BEFORE = FIXTURES / "story" / "story-before.md"
AFTER = FIXTURES / "story" / "story-after.md"
KEY = b"k" * 32
FAILED_RUN = "20261127T231828Z-72f4"  # investor-holdings-500
PASSED_RUN = "20261127T232201Z-6c9b"  # investor-pnl-pass
NOTES = re.compile(r"\r?\n### Validation run .*?<!-- jainam-validate run [^\r\n]* -->\r?\n", re.S)
ROW = re.compile(r"\| [^\r\n]*<!-- jainam-validate run [^\r\n]* --> \|\r?\n?")


def run_folder(tmp_path: Path, fixture: str = "investor-holdings-500", **changes: Any) -> Path:
    """A copy of a recorded run folder under ``tmp_path/evidence``, named by its run id, with
    ``changes`` merged into its run.json (``target`` merged key by key)."""
    data = json.loads((FIXTURES / "runs" / fixture / "run.json").read_text(encoding="utf-8"))
    folder = tmp_path / "evidence" / data["run_id"]
    shutil.copytree(FIXTURES / "runs" / fixture, folder)
    data["target"] = {**data["target"], **changes.pop("target", {})}
    data.update(changes)
    (folder / "run.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return folder


def story_file(tmp_path: Path, text: str | bytes | None = None) -> Path:
    path = tmp_path / "docs" / "stories" / "1.3.story.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = BEFORE.read_bytes() if text is None else text
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def without_blocks(text: str) -> str:
    """``text`` with every Dev Notes entry (and the blank line before it) and Change Log row
    this tool writes taken out."""
    return ROW.sub("", NOTES.sub("", text))


def test_a_story_gets_the_golden_row_and_entry(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, target={"kind": "simulator"})
    path = story_file(tmp_path)
    edit = story.record(folder, path, key=KEY, label="STORY-1.3")
    if os.environ.get("JV_UPDATE_GOLDEN"):
        AFTER.write_bytes(path.read_bytes())
    assert path.read_bytes() == AFTER.read_bytes()
    assert edit.run_id == FAILED_RUN and edit.before == BEFORE.read_text(encoding="utf-8")


def test_the_golden_entry_says_what_the_brief_asks(tmp_path: Path) -> None:
    text = AFTER.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if FAILED_RUN in line and line.startswith("|"))
    assert row.startswith(f"| 2026-11-27 | 1.3 | Validation run {FAILED_RUN} (simulator, NOT live)")
    assert "FAIL — failed: flow:holdings, latency:holdings;" in row
    assert f"evidence: ../../evidence/{FAILED_RUN};" in row and "label: STORY-1.3" in row
    # one readable line: the reasons and the risks are the Dev Notes entry's
    assert "reasons and 5 residual risks in Dev Notes" in row
    assert "target kind `live`" in text and "- flow:holdings: 2/2 samples failed" in text
    assert row.endswith(f"| jainam-validate <!-- jainam-validate run {FAILED_RUN} --> |")
    notes = text[text.index("### Validation run") : text.index("## Change Log")]
    assert "**NOT LIVE EVIDENCE**" in notes and "- Verdict: **FAIL**" in notes
    assert "  - flow:holdings: 2/2 samples failed" in notes
    assert "- Checks not proven: none" in notes
    assert f"[../../evidence/{FAILED_RUN}](../../evidence/{FAILED_RUN})" in notes
    assert notes.rstrip().endswith(f"<!-- jainam-validate run {FAILED_RUN} -->")
    page = render(text)
    assert page.count("h3") == render(BEFORE.read_text(encoding="utf-8")).count("h3") + 1
    assert [r for r in page.html.split("<tr>")[1:] if FAILED_RUN in r][0].count("<td>") == 4


def test_recording_the_same_run_again_changes_nothing(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, target={"kind": "simulator"})
    path = story_file(tmp_path)
    story.record(folder, path, key=KEY, label="STORY-1.3")
    first = path.read_bytes()
    edit = story.record(folder, path, key=KEY, label="STORY-1.3")
    assert path.read_bytes() == first and edit.after == edit.before
    made = story.entry(load(folder), folder, path.parent, "STORY-1.3")
    assert story.apply(first.decode("utf-8"), made) == first.decode("utf-8")


def test_a_rerun_replaces_its_own_blocks_after_the_run_was_re_reported(tmp_path: Path) -> None:
    folder = run_folder(tmp_path)
    path = story_file(tmp_path)
    story.record(folder, path, key=KEY)
    data = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    data["target"]["kind"] = "live"
    (folder / "run.json").write_text(json.dumps(data), encoding="utf-8")
    story.record(folder, path, key=KEY, label="second look")
    text = path.read_text(encoding="utf-8")
    assert text.count(f"<!-- jainam-validate run {FAILED_RUN} -->") == 2  # one row, one entry
    assert text.count("### Validation run") == 1 and "(live)" in text and "NOT live" not in text
    assert "label: second look" in text and "| 1.3 |" in text
    assert without_blocks(text) == BEFORE.read_text(encoding="utf-8")


def test_a_second_run_adds_its_row_and_entry_after_the_first(tmp_path: Path) -> None:
    failed = run_folder(tmp_path, target={"kind": "simulator"})
    passed = run_folder(tmp_path, "investor-pnl-pass", target={"kind": "live"}, label="RC-2")
    path = story_file(tmp_path)
    story.record(failed, path, key=KEY)
    story.record(passed, path, key=KEY)
    text = path.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| 2026-")]
    assert [r.split(" | ")[1] for r in rows] == ["1.1", "1.2", "1.3", "1.4"]
    assert FAILED_RUN in rows[2] and PASSED_RUN in rows[3]
    assert "(live): PASS; label: RC-2;" in rows[3]  # the run's own label
    headings = re.findall(r"^### (Validation run .*)$", text, re.M)
    assert headings == [
        f"Validation run {FAILED_RUN} (2026-11-27)",
        f"Validation run {PASSED_RUN} (2026-11-27)",
    ]
    assert text.index(PASSED_RUN) < text.index("## Change Log")
    assert without_blocks(text) == BEFORE.read_text(encoding="utf-8")
    again = story.record(failed, path, key=KEY)  # the first run again: in place, no third block
    assert again.after == again.before


def test_sections_the_story_lacks_are_appended_at_its_end(tmp_path: Path) -> None:
    before = "# Story 2.1: Something\n\n## Status\n\nDraft\n"
    path = story_file(tmp_path, before)
    story.record(run_folder(tmp_path), path, key=KEY)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(before + "\n## Dev Notes\n\n### Validation run ")
    tail = text[text.index("## Change Log") :].splitlines()
    assert tail[:4] == ["## Change Log", "", story.HEADER, story.SEPARATOR]
    assert tail[4].startswith(f"| 2026-11-27 | - | Validation run {FAILED_RUN} ")
    assert len(tail) == 5 and text.endswith("\n")


def test_a_change_log_without_a_table_gets_one(tmp_path: Path) -> None:
    before = "# S\n\n## Dev Notes\n\nNotes.\n## Change Log\n\nNothing yet.\n\n## QA Results\n"
    path = story_file(tmp_path, before)
    story.record(run_folder(tmp_path), path, key=KEY)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# S\n\n## Dev Notes\n\nNotes.\n\n### Validation run")
    assert f"-->\n\n## Change Log\n\nNothing yet.\n\n{story.HEADER}\n{story.SEPARATOR}\n|" in text
    assert text.endswith(" --> |\n\n## QA Results\n")


def test_crlf_stays_crlf_and_every_other_byte_is_kept(tmp_path: Path) -> None:
    before = BEFORE.read_text(encoding="utf-8").replace("\n", "\r\n")
    path = story_file(tmp_path, before)
    story.record(run_folder(tmp_path), path, key=KEY)
    story.record(run_folder(tmp_path, "investor-pnl-pass"), path, key=KEY)
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") and data.count(b"\r") == data.count(b"\r\n")
    assert without_blocks(data.decode("utf-8")) == before


def test_a_missing_final_newline_stays_missing(tmp_path: Path) -> None:
    before = BEFORE.read_text(encoding="utf-8")
    before = before[: before.index("\n\n## Dev Agent Record")]  # the table, then no newline
    assert not before.endswith("\n")
    path = story_file(tmp_path, before)
    folder = run_folder(tmp_path)
    story.record(folder, path, key=KEY)
    text = path.read_text(encoding="utf-8")
    assert not text.endswith("\n") and text.endswith(f"<!-- jainam-validate run {FAILED_RUN} --> |")
    assert without_blocks(text) == before + "\n"  # the old last line now ends before ours
    assert story.record(folder, path, key=KEY).after == text


def test_text_before_the_first_heading_and_in_code_fences_is_left_alone(tmp_path: Path) -> None:
    before = (
        "intro\n\n## Dev Notes\n\n```markdown\n## Change Log\n| Date | Version |\n|---|---|\n"
        "| x | 9.9 |\n```\n\n## Change Log\n\n| Date | Version | Description | Author |\n"
        "|---|---|---|---|\n| 2026-01-01 | 0.9 | x | y |\n"
    )
    path = story_file(tmp_path, before)
    story.record(run_folder(tmp_path), path, key=KEY)
    text = path.read_text(encoding="utf-8")
    assert "| x | 9.9 |\n```\n\n### Validation run" in text  # after the fence, not inside it
    assert text.splitlines()[-1].startswith("| 2026-11-27 | 1.0 | Validation run")
    assert without_blocks(text) == before


HOSTILE = (
    "evil | cell\n## Forged heading\r\n<script>alert(1)</script> `tick` [x](http://evil.example)"
    " ![i](http://evil.example/i.png) <!-- --> **PASS** \u202e\x1b[31m"
)


def test_hostile_check_text_stays_inside_its_cell_and_bullet(tmp_path: Path) -> None:
    folder = run_folder(
        tmp_path,
        checks={
            "flow:holdings": {"status": "fail", "detail": HOSTILE},
            "x | y\n# z": {"status": "not_proven", "detail": "a\nb"},
        },
        target={"kind": "<b>live</b>\n## k"},
        label="l | <i>\n## m",
    )
    path = story_file(tmp_path)
    story.record(folder, path, key=KEY)
    text = path.read_text(encoding="utf-8")
    assert without_blocks(text) == BEFORE.read_text(encoding="utf-8")
    before, page = render(BEFORE.read_text(encoding="utf-8")), render(text)
    assert page.count("h1") == 1 and page.count("h2") == before.count("h2")
    assert page.count("h3") == before.count("h3") + 1
    assert page.count("script") == page.count("img") == page.count("b") == page.count("i") == 0
    assert [a for a in page.foreign_links if "evil" in a] == []
    assert page.controls == [] and "\x1b" not in text and "\u202e" not in text
    rows = page.html.split("<tr>")[1:]
    assert all(r.count("<td>") == 4 for r in rows[1:]), rows  # the header uses <th>
    assert "<strong>PASS</strong>" not in page.html
    assert "(&lt;b&gt;live&lt;/b&gt; ## k, NOT live)" in page.html  # not live: not "live"


def test_a_hostile_run_id_cannot_close_the_marker(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, run_id="x --><script>alert(1)</script><!--")
    path = story_file(tmp_path)
    story.record(folder, path, key=KEY)
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text and render(text).count("script") == 0
    assert story.record(folder, path, key=KEY).after == text  # still finds its own blocks


def test_the_evidence_path_is_relative_to_the_story(tmp_path: Path) -> None:
    folder = run_folder(tmp_path)
    path = story_file(tmp_path)
    made = story.entry(load(folder), folder, path.parent, None)
    assert f"evidence: ../../evidence/{FAILED_RUN};" in made.description
    text = story.apply(path.read_text(encoding="utf-8"), made)
    assert str(tmp_path) not in text
    beside = tmp_path / "evidence" / "s.md"
    assert story.evidence_path(folder, beside.parent) == FAILED_RUN
    odd = tmp_path / "my runs" / "(1)"
    assert story.evidence_path(odd, tmp_path / "docs") == "../my runs/(1)"
    assert story.entry(load(folder), odd, tmp_path / "docs", None).notes[-3] == (
        "- Evidence folder: \\.\\./my runs/(1\\)"  # not a link: inert text
    )


@pytest.mark.parametrize(
    ("previous", "expected"),
    [("1.2", "1.3"), ("1.9", "2.0"), ("2", "2.1"), ("1.25", "1.26"), ("1.10", "1.11"),
     ("v1.3", "v1.3"), ("draft", "draft"), (None, "-"), ("", "-")],
)  # fmt: skip
def test_the_next_version(previous: str | None, expected: str) -> None:
    assert story.next_version(previous) == expected


def test_a_missing_story_file_is_a_usage_error_and_nothing_is_written(tmp_path: Path) -> None:
    folder = run_folder(tmp_path)
    missing = tmp_path / "docs" / "nope.md"
    with pytest.raises(errors.UsageError) as caught:
        story.record(folder, missing, key=KEY)
    assert caught.value.exit_code == errors.ExitCode.USAGE == 2
    assert str(caught.value) == f"story file {missing} does not exist: give the story file's path"
    assert not missing.exists() and not missing.parent.exists()


def test_a_story_that_is_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    path = story_file(tmp_path, "# Story\n\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(errors.UsageError) as caught:
        story.record(run_folder(tmp_path), path, key=KEY)
    assert caught.value.exit_code == 2 and "not UTF-8" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == "# Story\n\ncaf\xe9\n".encode("latin-1")


def test_a_folder_that_is_not_a_run_is_the_usual_usage_error(tmp_path: Path) -> None:
    path = story_file(tmp_path)
    with pytest.raises(errors.UsageError, match="is not a run folder"):
        story.record(tmp_path / "docs", path, key=KEY)
    assert path.read_bytes() == BEFORE.read_bytes()


def test_the_leak_guard_refuses_a_planted_secret(tmp_path: Path) -> None:
    secret = "s3cr3t-Planted-9f8e7d"  # with punctuation: escaped as s3cr3t\-Planted\-9f8e7d
    folder = run_folder(
        tmp_path, checks={"flow:holdings": {"status": "fail", "detail": f"echo {secret}"}}
    )
    path = story_file(tmp_path)
    redactor = Redactor(KEY)
    redactor.seed(None, [(secret, "secret:configured")])
    with pytest.raises(errors.LeakDetected) as caught:
        story.record(folder, path, key=KEY, redactor=redactor)
    assert caught.value.exit_code == errors.ExitCode.LEAK == 7
    assert secret not in str(caught.value) and str(path) in str(caught.value)
    assert path.read_bytes() == BEFORE.read_bytes()
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary left


def test_the_leak_guard_refuses_a_token_shape_without_known_values(tmp_path: Path) -> None:
    token = "3e2d1c0b9a8f7e6d5c4b3a2f1e0f9e8d7c6b5a4f"
    folder = run_folder(
        tmp_path, checks={"flow:holdings": {"status": "fail", "detail": f"token {token}"}}
    )
    path = story_file(tmp_path)
    with pytest.raises(errors.LeakDetected):
        story.record(folder, path, key=KEY)
    assert path.read_bytes() == BEFORE.read_bytes()


def test_the_label_and_paths_the_user_gave_are_not_leaks(tmp_path: Path) -> None:
    label = "label-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e"  # a token shape, given by the user
    path = story_file(tmp_path)
    story.record(run_folder(tmp_path), path, key=KEY, label=label)
    assert path.read_text(encoding="utf-8").count(label) == 2


def test_the_file_keeps_its_permissions(tmp_path: Path) -> None:
    path = story_file(tmp_path)
    path.chmod(0o640)
    story.record(run_folder(tmp_path), path, key=KEY)
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_not_proven_check_is_named_with_its_reason(tmp_path: Path) -> None:
    detail = "XTS answered 'Data Not Available': an empty book proves nothing"
    folder = run_folder(
        tmp_path,
        "investor-pnl-pass",
        checks={"flow:tradebook": {"status": "not_proven", "detail": detail}},
        exit_code=5,
        target={"kind": "replay"},
    )
    path = story_file(tmp_path)
    story.record(folder, path, key=KEY)
    text = path.read_text(encoding="utf-8")
    reason = "XTS answered 'Data Not Available'\\: an empty book proves nothing"
    assert "(replay, NOT live): INCONCLUSIVE — not proven: flow:tradebook;" in text
    assert f"- Checks not proven:\n  - flow:tradebook: {reason}\n" in text
    assert "- Checks failed: none\n" in text and "- Verdict: **INCONCLUSIVE**" in text
    assert "a recorded cassette replayed on loopback" in text


def test_a_bold_version_header_is_still_the_change_log_table(tmp_path: Path) -> None:
    text = (
        "# S\n\n## Dev Notes\n\nx\n\n## Change Log\n\n| Step | Owner |\n|---|---|\n| a | b |\n\n"
        "| Date | **Version** | Description | Author |\n|---|---|---|---|\n"
        "| 2026-11-20 | 1.2 | Draft | Bob |\n"
    )
    path = story_file(tmp_path, text)
    story.record(run_folder(tmp_path), path, key=KEY)
    lines = path.read_text(encoding="utf-8").splitlines()
    ours = next(
        i for i, line in enumerate(lines) if "<!-- jainam-validate run" in line and "|" in line
    )
    assert lines[ours - 1] == "| 2026-11-20 | 1.2 | Draft | Bob |"  # after the versioned table
    assert "| 1.3 |" in lines[ours]
    assert lines[lines.index("| Step | Owner |") + 2] == "| a | b |"  # the other table untouched


@pytest.mark.parametrize("fence", ["```", "~~~~"])
def test_a_code_fence_left_open_is_refused_naming_its_line(fence: str, tmp_path: Path) -> None:
    text = f"# S\n\n## Dev Notes\n\n{fence}python\nprint(1)\n\n## Change Log\n"
    path = story_file(tmp_path, text)
    with pytest.raises(errors.UsageError, match="opened on line 5 is never closed"):
        story.record(run_folder(tmp_path), path, key=KEY)
    assert path.read_text(encoding="utf-8") == text  # nothing written


def test_a_closed_fence_at_the_very_end_is_fine(tmp_path: Path) -> None:
    text = "# S\n\n## Dev Notes\n\n## Change Log\n\n```\ncode\n```\n"
    path = story_file(tmp_path, text)
    folder = run_folder(tmp_path)
    story.record(folder, path, key=KEY)
    once = path.read_text(encoding="utf-8")
    story.record(folder, path, key=KEY)  # again: nothing changes
    assert path.read_text(encoding="utf-8") == once and "\n```\ncode\n```\n" in once
