"""Isolation for every test: no developer configuration, keyring or home directory leaks in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Clear JAINAM_* variables, give each test its own HOME and working directory, and point
    the keyring at the null backend (tests that need a keyring opt in with ``file_keyring``)."""
    for name in list(os.environ):
        if name.startswith("JAINAM_") or name in ("NO_COLOR", "GITHUB_STEP_SUMMARY"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.chdir(work)
    yield work


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working keyring backed by a JSON file (real keyring API, test-only storage)."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.file_keyring.FileKeyring")
    monkeypatch.setenv("JV_TEST_KEYRING_FILE", str(path))
    root = Path(__file__).resolve().parent.parent
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    )
    return path
