"""``audit``: scan files (an evidence folder before attaching it, a log) for leaks.

The same :class:`~jainam_validate.scanner.Scanner` as the write-time guard, seeded with the
configured credentials, session tokens and dealer client code as known values. Findings name
the file, line, column and rule; the matched text is never shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from jainam_validate import errors
from jainam_validate.scanner import Finding, Scanner

MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class FileFinding:
    path: Path
    finding: Finding

    def line(self) -> str:
        f = self.finding
        return f"{self.path}:{f.line}:{f.column}: {f.rule}"


def files_under(paths: Iterable[Path]) -> Iterator[Path]:
    """Every regular file named or under a named directory; raises UsageError for a missing path."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        elif path.is_file():
            yield path
        else:
            raise errors.UsageError(f"{path}: no such file or directory")


def audit(paths: Iterable[Path], scanner: Scanner) -> tuple[int, list[FileFinding]]:
    """Scan every file; returns how many files were read and what was found."""
    read = 0
    found: list[FileFinding] = []
    for path in files_under(paths):
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                found.append(FileFinding(path, Finding("unscanned:too-large", 0, 1, 1)))
                continue
            data = path.read_bytes()
        except OSError:
            found.append(FileFinding(path, Finding("unscanned:unreadable", 0, 1, 1)))
            continue
        read += 1
        text = data.decode("utf-8", errors="replace")
        found.extend(FileFinding(path, f) for f in scanner.scan(text))
    return read, found
