"""``report RUN_DIR --story FILE`` in-process (typer's CliRunner): the story gains its row and
entry, ``--json`` names it, and a bad story file is exit 2 with one line and leaves the run
folder as it was. No network: the run folders are recorded fixtures."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from jainam_validate.cli import app
from jainam_validate.evidence import checksums

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RUN_ID = "20261127T231828Z-72f4"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "200"})


def setup(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "evidence" / RUN_ID
    shutil.copytree(FIXTURES / "runs" / "investor-holdings-500", folder)
    # sealed here, so the tests below do not depend on the fixture's own SHA256SUMS
    (folder / "SHA256SUMS").write_text(checksums(folder), encoding="utf-8")
    assert sums_hold(folder)
    story = tmp_path / "docs" / "story.md"
    story.parent.mkdir()
    shutil.copy(FIXTURES / "story" / "story-before.md", story)
    return folder, story


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def sums_hold(folder: Path) -> bool:
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
            return False
    return True


def test_report_with_story_records_the_run_and_says_so(tmp_path: Path) -> None:
    folder, story = setup(tmp_path)
    result = invoke("report", str(folder), "--story", str(story), "--label", "STORY-1.3")
    assert result.exit_code == 0, result.stderr
    assert f"recorded run {RUN_ID} in {story}" in result.stderr.splitlines()
    text = story.read_text(encoding="utf-8")
    assert text.count(f"<!-- jainam-validate run {RUN_ID} -->") == 2
    assert f"evidence: ../evidence/{RUN_ID};" in text and "label: STORY-1.3" in text
    assert str(tmp_path) not in text
    assert sums_hold(folder)
    again = invoke("report", str(folder), "--story", str(story), "--label", "STORY-1.3")
    assert again.exit_code == 0, again.stderr
    assert story.read_text(encoding="utf-8") == text  # idempotent


def test_report_json_names_the_story(tmp_path: Path) -> None:
    folder, story = setup(tmp_path)
    result = invoke("report", str(folder), "--story", str(story), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "run_dir": str(folder),
        "report": str(folder / "report.md"),
        "story": str(story),
    }


def test_a_missing_story_is_exit_2_and_the_folder_is_untouched(tmp_path: Path) -> None:
    folder, _ = setup(tmp_path)
    before = snapshot(folder)
    missing = tmp_path / "docs" / "nope.md"
    result = invoke("report", str(folder), "--story", str(missing))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: story file {missing} does not exist: give the story file's path"]
    assert snapshot(folder) == before and sums_hold(folder) and not missing.exists()


def test_a_story_that_is_not_utf8_is_exit_2_with_json_error(tmp_path: Path) -> None:
    folder, story = setup(tmp_path)
    story.write_bytes(b"# Story\n\n\xff\xfe broken\n")
    before = snapshot(folder)
    result = invoke("report", str(folder), "--story", str(story), "--json")
    assert result.exit_code == 2
    assert "not UTF-8" in json.loads(result.stdout)["error"]
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(folder) == before and sums_hold(folder)
    assert story.read_bytes() == b"# Story\n\n\xff\xfe broken\n"


def test_label_without_story_is_a_usage_error(tmp_path: Path) -> None:
    folder, _ = setup(tmp_path)
    result = invoke("report", str(folder), "--label", "STORY-1.3")
    assert result.exit_code == 2
    assert "--story FILE" in result.stderr
