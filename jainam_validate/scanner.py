"""The leak scanner: one set of rules for the write-time guard and for ``audit``.

A finding says which rule matched where, never what matched. Rules, most specific first:
every known sensitive value (credentials, session tokens, identifiers learned in the run) in
plain, URL-encoded, base64 and case-folded forms; anything shaped like a JWT; e-mail addresses
and PANs; ``secret=``/``key=``/``token:`` assignments whose value is not one of our own
placeholders; a ``key: value`` pair whose key names an identifier (by the one key rule of
:mod:`jainam_validate.keys`, JSON-escaped quotes included) and whose value is not a pseudonym;
and long high-entropy tokens. Our own artifacts must scan clean, so the allow-list knows what
we write on purpose: pseudonyms (``order_09be77d1``), ``[redacted]``, credential *sources*
(``env``, ``keyring``), our own rule names (``secret:credential``), 64-hex SHA-256 digests,
and the strings the user gave us (a ``--record`` path, a label): pattern rules never fire
inside those, though known values still do. Every rule runs in time linear in the text.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from jainam_validate.inert import md
from jainam_validate.keys import is_identifier_key
from jainam_validate.known import Spans
from jainam_validate.redact import (
    INVISIBLE,
    KEY_VALUE,
    PRO_CLIENT_PLACEHOLDER,
    REDACTED,
    Redactor,
    decode_layers,
)

_ASSIGNMENT = re.compile(
    r"(?i)(?<![a-z0-9])(?:secret|secret_?key|app_?key|api_?key|api_?secret|password|passwd|"
    r"access_?token|auth_?token|session_?token|token|authorization)(?![a-z0-9])"
    r"[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?(?:bearer[ \t]{1,8})?([^\s\"'&,;<>|)}\]]{6,256})"
)
#: Our own rule names, as findings and leak-stop messages quote them: never a secret.
_OWN_RULE = re.compile(r"(?:encoded:)?(?:secret|identifier):[a-z0-9_]{1,40}")
_PLACEHOLDERS = frozenset(
    {REDACTED.casefold(), "<redacted>", "***", PRO_CLIENT_PLACEHOLDER, "null", "none", "true",
     "false", "undefined", "expired", "invalid", "env", ".env", "keyring", "sim", "replay"}
)  # fmt: skip
_PSEUDONYM = re.compile(r"[a-z]+_[0-9a-f]{8}\Z")
_NEWLINE = re.compile("\n")
#: Values after an id-like key that are not ids: an IP or host:port, a decimal, a timestamp.
_NOT_AN_ID = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?|-?\d+\.\d+|\d{4}-\d\d-\d\d\S*")
#: Our normalised row fields that hold pseudonyms (the key rule does not name them all).
_OWN_ID_FIELDS = frozenset({"order", "exchange_order", "execution", "account", "client"})
# a pseudonym cut by a snippet ("client_9e…") is still ours
_PSEUDONYM_PREFIX = re.compile(r"[a-z]+(?:_[0-9a-f]{0,8})?…?\Z")
_ID_PLACEHOLDERS = frozenset({PRO_CLIENT_PLACEHOLDER, "…", "null", "none", "", "[redacted]"})
# "/" is left out so paths (evidence/<run-id>/samples/...) are not one long token.
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+_-])[A-Za-z0-9+_-]{28,}={0,2}(?![A-Za-z0-9+_=-])")
_HEX = re.compile(r"[0-9a-fA-F]+\Z")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}\Z")
ENTROPY_BITS = 4.0
HEX_ENTROPY_BITS = 3.0


@dataclass(frozen=True)
class Finding:
    """A rule that matched at a character offset of a text (and its line/column)."""

    rule: str
    offset: int
    line: int = 0
    column: int = 0


def shannon_bits(text: str) -> float:
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _high_entropy(token: str) -> bool:
    if _HEX_DIGEST.match(token):
        return False  # our own SHA-256 digests (SHA256SUMS, the report's artifact table)
    has_digit = any(c.isdigit() for c in token)
    has_alpha = any(c.isalpha() for c in token)
    if not (has_digit and has_alpha):
        return False
    # Hex carries at most 4 bits a character: judge it on its own scale.
    threshold = HEX_ENTROPY_BITS if _HEX.match(token) else ENTROPY_BITS
    return shannon_bits(token) >= threshold


class Scanner:
    """Finds leaks in text with the known values of a :class:`Redactor` plus pattern rules.

    ``trusted`` are strings the user gave (paths, a label): the pattern rules do not fire
    inside them, since they are not broker data; known secrets and ids still do."""

    def __init__(
        self, redactor: Redactor, trusted: tuple[str, ...] = (), own: tuple[str, ...] = ()
    ) -> None:
        self.redactor = redactor
        forms = {form for t in trusted for form in (t, md(t))}  # report.md escapes them
        self.trusted = tuple(t for t in forms if len(t) >= 4)
        self.own = tuple(o for o in own if o)

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
        for m in _ASSIGNMENT.finditer(text):
            value = m.group(1)
            if value.casefold() in _PLACEHOLDERS or _PSEUDONYM.match(value):
                continue
            if value.startswith(REDACTED[:-1]) or _OWN_RULE.fullmatch(value):
                continue
            if _OWN_RULE.fullmatch(text[m.start() : m.end(1)].strip("'\"")):
                continue  # "secret:credential" is the name of a rule, not an assignment
            if taken.overlaps(m.start(1), m.end(1)) or mine.overlaps(m.start(1), m.end(1)):
                continue
            taken.claim(m.start(1), m.end(1))
            yield Finding("assignment", m.start(1))
        taken.next_family()
        for m in KEY_VALUE.finditer(text):
            key = m.group("qkey") or m.group("key") or ""
            if not (is_identifier_key(key) or key.casefold() in _OWN_ID_FIELDS):
                continue
            value = m.group("value").rstrip(".:!?")  # "Invalid clientID: client_f1d0ec6a."
            if value.casefold() in _ID_PLACEHOLDERS or _PSEUDONYM_PREFIX.match(value):
                continue
            if _NOT_AN_ID.fullmatch(value):
                continue
            # ids carry digits (JC4187, 1100012345); prose ("account: books") does not
            start = m.start("value")
            if not any(c.isdigit() for c in value) or taken.overlaps(start, start + len(value)):
                continue
            if mine.overlaps(start, start + len(value)):
                continue
            taken.claim(start, start + len(value))
            yield Finding("unredacted-identifier", start)
        taken.next_family()
        for m in _CANDIDATE.finditer(text):
            if _high_entropy(m.group()) and not taken.overlaps(m.start(), m.end()):
                if not mine.overlaps(m.start(), m.end()):
                    yield Finding("high-entropy", m.start())
        yield from self._encoded(text)
        if INVISIBLE.search(text):
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
