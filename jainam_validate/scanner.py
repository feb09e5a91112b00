"""The leak scanner: one engine for the write-time guard and for ``audit``.

A finding says which rule matched where, never what matched. The rules are the redactor's and
:mod:`jainam_validate.rules`'s, most specific first: every known sensitive value (credentials,
session tokens, identifiers learned in the run) in plain, URL-encoded, base64 and case-folded
forms, then :data:`~jainam_validate.rules.RULES` (the shapes the redactor replaces, then
assignments, raw identifiers under id-like keys and high-entropy tokens), then known values
hidden under entity, percent or JSON escapes, or split by invisible characters. Our own
artifacts must scan clean, so the rules know what we write on purpose (pseudonyms such as
``order_09be77d1``, ``[redacted]``, credential *sources*, our own rule names, SHA-256 digests),
and the scanner knows the strings the user gave us (a ``--record`` path, a label): the rules
only the scanner runs never fire inside those, though known values and shapes still do; nor is
an identifier that is a piece of our own run id a leak. Every rule runs in time linear in the
text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from jainam_validate.forms import decode_layers
from jainam_validate.inert import md
from jainam_validate.keys import KeyMemo
from jainam_validate.known import Spans
from jainam_validate.redact import Redactor
from jainam_validate.rules import INVISIBLE, REPORTED, has_invisible, shannon_bits

__all__ = ["Finding", "Scanner", "shannon_bits"]

_NEWLINE = re.compile("\n")


@dataclass(frozen=True)
class Finding:
    """A rule that matched at a character offset of a text (and its line/column)."""

    rule: str
    offset: int
    line: int = 0
    column: int = 0


class Scanner:
    """Finds leaks in text with the known values of a :class:`Redactor` plus pattern rules.

    ``trusted`` are strings the user gave (paths, a label): the rules only the scanner runs do
    not fire inside them, since they are not broker data; known values and shapes still do."""

    def __init__(
        self, redactor: Redactor, trusted: tuple[str, ...] = (), own: tuple[str, ...] = ()
    ) -> None:
        self.redactor = redactor
        forms = {form for t in trusted for form in (t, md(t))}  # report.md escapes them
        self.trusted = tuple(t for t in forms if len(t) >= 4)
        self.own = tuple(o for o in own if o)
        self.keys = KeyMemo()

    @staticmethod
    def _occurrences(text: str, values: tuple[str, ...]) -> list[tuple[int, int]]:
        """Where each of ``values`` stands in ``text``."""
        spans = []
        for value in values:
            start = text.find(value)
            while start != -1:
                spans.append((start, start + len(value)))
                start = text.find(value, start + len(value))
        return spans

    def findings(self, text: str) -> Iterator[Finding]:
        taken = Spans()
        own = self._occurrences(text, self.own) if self.own else []
        for match in self.redactor.matches_in(text, taken):
            # an all-digit id that happens to equal a piece of our own run id is not a leak
            if (
                own
                and match.rule.startswith("identifier")
                and any(s <= match.start and match.end <= e for s, e in own)
            ):
                continue
            yield Finding(match.rule, match.start)
        mine = Spans()
        for start, end in self._occurrences(text, self.trusted) if self.trusted else []:
            mine.claim(start, end)
        mine.next_family()
        for rule in REPORTED:  # the shapes came with the redactor's matches
            taken.next_family()
            for start, end in rule.spans(text, self.keys):
                if not (taken.overlaps(start, end) or mine.overlaps(start, end)):
                    taken.claim(start, end)
                    yield Finding(rule.name, start)
        yield from self._encoded(text)
        if has_invisible(text):
            # a known value split by zero-width or control characters is still that value
            for hidden in self.redactor.matches(INVISIBLE.sub("", text)):
                if hidden.rule.startswith(("secret", "identifier")):
                    yield Finding(f"hidden:{hidden.rule}", 0)
                    return

    def _encoded(self, text: str) -> Iterator[Finding]:
        """Known values hidden under entity, percent or JSON escapes (echoed error pages)."""
        if not any(mark in text for mark in ("%", "&#", "\\u", "\\/", "&")):
            return
        decoded = decode_layers(text)
        if decoded == text:
            return
        seen = {text[m.start : m.end].casefold() for m in self.redactor.matches(text)}
        for m in self.redactor.matches(decoded):
            if m.rule.startswith(("secret", "identifier")):
                if decoded[m.start : m.end].casefold() not in seen:
                    yield Finding(f"encoded:{m.rule}", 0)
                    return

    def scan(self, text: str) -> list[Finding]:
        """All findings with 1-based line and column numbers."""
        out: list[Finding] = []
        found = sorted(self.findings(text), key=lambda f: f.offset)
        if not found:
            return out
        # line starts once, then a binary search per finding (not a count per finding)
        starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
        for finding in found:
            line = bisect_right(starts, finding.offset)
            column = finding.offset - starts[line - 1] + 1
            out.append(Finding(finding.rule, finding.offset, line, column))
        return out
