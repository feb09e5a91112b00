"""Run the real ``jainam-validate`` CLI as a subprocess and collect everything it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

from jainam_validate.credentials import CREDENTIAL_NAMES
from jainam_validate.simulator import SimCredentials


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> Result:
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "jainam_validate", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or Path.cwd(),
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def creds_env(creds: SimCredentials) -> dict[str, str]:
    return dict(zip(CREDENTIAL_NAMES, creds.values(), strict=True))


def run_folders(evidence: Path) -> list[Path]:
    return sorted(p.parent for p in evidence.glob("*/run.json"))


def manifest(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "run.json").read_text())


def timings(folder: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in (folder / "timings.jsonl").read_text().splitlines()]


def leaks(texts: list[str], secrets: list[str]) -> list[str]:
    """Every secret (plain, URL-encoded, case-folded) found in any of ``texts``."""
    found = []
    haystack = "\n".join(texts).casefold()
    for secret in secrets:
        if secret == "*****" or len(secret) < 4:
            continue
        forms = {secret, quote(secret, safe=""), quote_plus(secret, safe="")}
        found.extend(secret for form in forms if form.casefold() in haystack)
    return found


def every_file_text(root: Path) -> list[str]:
    return [p.read_text(errors="replace") for p in root.rglob("*") if p.is_file()]
