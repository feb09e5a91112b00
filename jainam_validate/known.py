"""The values a run knows to be sensitive, and finding every one of them in a text at once.

A run learns secrets (credentials, session tokens) and identifiers (client, user, account,
order, trade ids) as it goes; each is stored in the forms a broker may echo it in. Finding them
is one pass of an Aho–Corasick automaton (``pyahocorasick``) over the text, ASCII-case-folded,
so the cost is linear in the text whatever the number of known values: a regex alternation of
thousands of values is not. Each value carries the edge rule its shape needs: a secret, or an
id that mixes letters and digits, is found anywhere, even glued to other letters
(``AB12345NSE``, ``ORD5520013X``); an all-digit id only where no other digit touches it (leading
zeros are taken in: ``0005520013``), so prices and timestamps do not match; an all-letter id
only as a whole word. :meth:`KnownValues.cut_point` tells where a text cut in the middle of a
known value must be cut instead, so a snippet never ends with a value's first characters.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from enum import Enum

import ahocorasick

#: Lowercase ASCII only: the same length as the input, so offsets map back one to one.
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: A cut-off value shorter than this is not worth hiding (and would hide ordinary words).
MIN_PREFIX = 4
#: At most this many zeros in front of an all-digit id are taken as its padding.
_MAX_PADDING = 16


class Edge(Enum):
    ANYWHERE = "anywhere"  # secrets; ids mixing letters and digits
    DIGITS = "digits"  # all-digit ids: no digit may touch either side
    WORD = "word"  # all-letter ids and context forms: no letter or digit may touch


@dataclass(frozen=True)
class Entry:
    """What a known form is: the rule name for findings and what replaces it."""

    rule: str
    edge: Edge
    replacement: str | None  # None: an identifier whose pseudonym is computed on first use
    kind: str = ""
    value: str = ""


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    entry: Entry


def fold(text: str) -> str:
    return text.translate(_FOLD)


def edge_for(value: str) -> Edge:
    """The edge rule for an identifier of this shape."""
    if value.isdigit():
        return Edge.DIGITS
    if any(c.isdigit() for c in value):
        return Edge.ANYWHERE
    return Edge.WORD


def _alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


class KnownValues:
    """Known sensitive forms, matched all at once. The table only grows."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._automaton: ahocorasick.Automaton | None = None
        self._longest = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, form: str) -> bool:
        return fold(form) in self._entries

    def get(self, form: str) -> Entry | None:
        return self._entries.get(fold(form))

    def add(self, form: str, entry: Entry) -> bool:
        """Add one form (first entry wins); True when it was new."""
        key = fold(form)
        if not key or key in self._entries:
            return False
        self._entries[key] = entry
        self._automaton = None
        self._longest = max(self._longest, len(key))
        return True

    def _built(self) -> ahocorasick.Automaton | None:
        if self._automaton is None and self._entries:
            automaton = ahocorasick.Automaton()
            for key in self._entries:
                automaton.add_word(key, key)
            automaton.make_automaton()
            self._automaton = automaton
        return self._automaton

    def hits(self, text: str) -> list[Hit]:
        """Leftmost-longest, non-overlapping occurrences that respect their edge rule."""
        automaton = self._built()
        if automaton is None or not text:
            return []
        candidates: list[Hit] = []
        for end_index, key in automaton.iter(fold(text)):
            start, end = end_index - len(key) + 1, end_index + 1
            entry = self._entries[key]
            if entry.edge is Edge.DIGITS:
                # leading zeros belong to the id; bounded, so a run of zeros stays linear
                floor = max(0, start - _MAX_PADDING)
                if not entry.value.startswith("0"):
                    while start > floor and text[start - 1] == "0":
                        start -= 1
                if (start > 0 and text[start - 1].isdigit()) or (
                    end < len(text) and text[end].isdigit()
                ):
                    continue
            elif entry.edge is Edge.WORD and (
                (start > 0 and _alnum(text[start - 1])) or (end < len(text) and _alnum(text[end]))
            ):
                continue
            candidates.append(Hit(start, end, entry))
        if not candidates:
            return []
        candidates.sort(key=lambda h: (h.start, h.start - h.end))
        chosen: list[Hit] = []
        pos = 0
        for hit in candidates:
            if hit.start >= pos:
                chosen.append(hit)
                pos = hit.end
        return chosen

    def any_hit(self, text: str) -> bool:
        return bool(self.hits(text)) if self._entries else False

    def cut_point(self, text: str) -> int:
        """Where to cut ``text`` so that it does not end with the first characters (at least
        ``MIN_PREFIX``) of a known form: ``len(text)`` when its end is innocent."""
        automaton = self._built()
        if automaton is None:
            return len(text)
        tail = fold(text[-self._longest :]) if self._longest else ""
        for size in range(len(tail), MIN_PREFIX - 1, -1):
            piece = tail[-size:]
            if automaton.match(piece) and piece not in self._entries:
                return len(text) - size
        return len(text)


class Spans:
    """Character ranges already claimed by a rule, for the rules that come after it.

    Rules run one family after another (known values, then token shapes, then patterns); a
    match is kept only where no earlier family matched. Checking a list of every earlier range
    per match made many matches quadratic (thousands of e-mails in one text); here each check
    is a binary search, and a family's matches join the claimed set once it is done."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._pending: list[tuple[int, int]] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self._starts, start) - 1
        if i >= 0 and self._ends[i] > start:
            return True
        return i + 1 < len(self._starts) and self._starts[i + 1] < end

    def claim(self, start: int, end: int) -> None:
        self._pending.append((start, end))

    def next_family(self) -> None:
        """Make this family's claims visible to the families after it."""
        if not self._pending:
            return
        merged = sorted([*zip(self._starts, self._ends, strict=True), *self._pending])
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]
        self._pending = []
