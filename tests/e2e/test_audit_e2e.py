"""End to end: ``audit`` on what a user's shell writes (UTF-16 with a BOM, behind a link),
rule names byte for byte on a real stdout, and no pass for a folder with nothing to scan."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from .cli import cli

pytestmark = pytest.mark.e2e

SECRET = "Mk$29#xQ0pL-validation"


def test_audit_reads_a_linked_powershell_file_and_prints_rules_intact(
    isolated_environment: Path,
) -> None:
    store = isolated_environment / "store"
    store.mkdir()
    # PowerShell 5 `>`: UTF-16LE with a BOM and CRLF; then an echoed page with the secret as
    # HTML entities, whose rule "encoded:secret:configured" rich would print as an emoji
    (store / "out.txt").write_bytes(
        codecs.BOM_UTF16_LE + f"ok\r\nkey {SECRET}\r\n".encode("utf-16-le")
    )
    (store / "page.html").write_text("".join(f"&#{ord(c)};" for c in SECRET) + "\n")
    evidence = Path("evidence")
    evidence.mkdir()
    for name in ("out.txt", "page.html"):
        (evidence / name).symlink_to(Path("..") / "store" / name)
    found = cli("audit", "evidence", env={"JAINAM_INTERACTIVE_API_SECRET": SECRET})
    assert found.code == 1, found.output
    assert found.stdout.splitlines() == [
        f"evidence/out.txt -> {(store / 'out.txt').resolve()}:2:5: secret:configured",
        f"evidence/page.html -> {(store / 'page.html').resolve()}:1:1: encoded:secret:configured",
    ]
    assert "2 files scanned" in found.stderr and SECRET not in found.output

    (evidence / "out.txt").unlink()
    (evidence / "page.html").unlink()
    (evidence / "gone.txt").symlink_to("nowhere.txt")
    nothing = cli("audit", "evidence")
    assert nothing.code == 2
    assert nothing.stdout.endswith(":1:1: unscanned:dangling-link\n")
    assert "nothing could be scanned" in nothing.stderr and "0 files scanned" not in nothing.output
