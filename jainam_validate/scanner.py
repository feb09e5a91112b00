"""The leak scanner: one set of rules for the write-time guard and for ``audit``.

A finding says which rule matched where, never what matched. Rules, most specific first:
every known sensitive value (credentials, session tokens, identifiers learned in the run) in
plain, URL-encoded, base64 and case-folded forms; anything shaped like a JWT; e-mail addresses
and PANs; ``secret=``/``key=``/``token:`` assignments whose value is not one of our own
placeholders; and long high-entropy tokens. Our own artifacts must scan clean, so the
allow-list knows what we write on purpose: pseudonyms (``order_09be77d1``), ``[redacted]``,
credential *sources* (``env``, ``keyring``), and 64-hex SHA-256 digests.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from jainam_validate.redact import PRO_CLIENT_PLACEHOLDER, REDACTED, Redactor, decode_layers

_ASSIGNMENT = re.compile(
    r"(?i)(?<![a-z0-9])(?:secret|secret_?key|app_?key|api_?key|api_?secret|password|passwd|"
    r"access_?token|auth_?token|session_?token|token|authorization)(?![a-z0-9])"
    r"[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?([^\s\"'&,;<>|)}\]]{6,})"
)
_PLACEHOLDERS = frozenset(
    {REDACTED.casefold(), "<redacted>", "***", PRO_CLIENT_PLACEHOLDER, "null", "none", "true",
     "false", "env", ".env", "keyring", "sim", "replay"}  # credential *sources*, not values
)  # fmt: skip
_PSEUDONYM = re.compile(r"[a-z]+_[0-9a-f]{8}\Z")
# An identifier field whose value is not one of our pseudonyms: how audit tells a raw id
# from a redacted one without knowing any value (raw XTS keys and our normalised ones).
_ID_FIELD = re.compile(
    r"(?i)(?<![a-z0-9_])[\"']?(?:userid|clientid|client_?code|accountid|loginid|dealerid|"
    r"apporderid|exchangeorderid|executionid|exchangetradeid|orderuniqueidentifier|"
    r"orderreferenceid|messagesynchronizeuniquekey|order|exchange_order|execution|account|"
    r"client)[\"']?\s*[:=]\s*[\"']?([^\s\"'`&,;<>|)}\]]+)"
)
# a pseudonym cut by a snippet ("client_9e…") is still ours
_PSEUDONYM_PREFIX = re.compile(r"[a-z]+(?:_[0-9a-f]{0,8})?…?\Z")
_ID_PLACEHOLDERS = frozenset({PRO_CLIENT_PLACEHOLDER, "…", "null", "none", "", "[redacted]"})
# "/" is left out so paths (evidence/<run-id>/samples/...) are not one long token.
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+_-])[A-Za-z0-9+_-]{28,}={0,2}(?![A-Za-z0-9+_-])")
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
    """Finds leaks in text with the known values of a :class:`Redactor` plus pattern rules."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def findings(self, text: str) -> Iterator[Finding]:
        taken: list[tuple[int, int]] = []
        for match in self.redactor.matches(text):
            taken.append((match.start, match.end))
            yield Finding(match.rule, match.start)
        for m in _ASSIGNMENT.finditer(text):
            value = m.group(1)
            if value.casefold() in _PLACEHOLDERS or _PSEUDONYM.match(value):
                continue
            if value.startswith(REDACTED[:-1]) or _overlaps(taken, m.start(1), m.end(1)):
                continue
            taken.append((m.start(1), m.end(1)))
            yield Finding("assignment", m.start(1))
        for m in _ID_FIELD.finditer(text):
            value = m.group(1).rstrip(".:!?")  # "Invalid clientID: client_f1d0ec6a."
            if value.casefold() in _ID_PLACEHOLDERS or _PSEUDONYM_PREFIX.match(value):
                continue
            # XTS ids carry digits (JC4187, 1100012345); prose ("account: books") does not
            if not any(c.isdigit() for c in value) or _overlaps(taken, m.start(1), m.end(1)):
                continue
            taken.append((m.start(1), m.end(1)))
            yield Finding("unredacted-identifier", m.start(1))
        for m in _CANDIDATE.finditer(text):
            if _high_entropy(m.group()) and not _overlaps(taken, m.start(), m.end()):
                yield Finding("high-entropy", m.start())
        yield from self._encoded(text)

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
        out = []
        for finding in sorted(self.findings(text), key=lambda f: f.offset):
            line = text.count("\n", 0, finding.offset) + 1
            column = finding.offset - (text.rfind("\n", 0, finding.offset) + 1) + 1
            out.append(Finding(finding.rule, finding.offset, line, column))
        return out


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < e and s < end for s, e in spans)
