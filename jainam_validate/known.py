"""The values a run knows to be sensitive, and finding every one of them in a text at once.

A run learns secrets (credentials, session tokens) and identifiers (client, user, account,
order, trade ids) as it goes; each is stored in the forms a broker may echo it in. Finding them
is one pass of an Aho–Corasick automaton (``pyahocorasick``) over the text, ASCII-case-folded,
so the cost is linear in the text whatever the number of known values: a regex alternation of
thousands of values is not. All-digit ids (most ids of a trade book) are kept out of the
automaton: such an id only ever matches a whole run of digits, so each run is looked up in a
dict instead, which is what lets a 100,000-row book's ids fit in memory. Each value carries
the edge rule its shape needs: a secret, or an
id that mixes letters and digits, is found anywhere, even glued to other letters
(``AB12345NSE``, ``ORD5520013X``); an all-digit id only where no other digit touches it (leading
zeros are taken in: ``0005520013``), so prices and timestamps do not match; an all-letter id
only as a whole word. :meth:`KnownValues.cut_point` tells where a text cut in the middle of a
known value must be cut instead, so a snippet never ends with a value's first characters.
"""

from __future__ import annotations

import binascii
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

import ahocorasick

from jainam_validate.rules import byte_classes

#: Lowercase ASCII only: the same length as the input, so offsets map back one to one.
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: A cut-off value shorter than this is not worth hiding (and would hide ordinary words).
MIN_PREFIX = 4
#: Texts longer than this are matched in windows of this many characters.
_WINDOW = 1 << 20
#: At most this many zeros in front of an all-digit id are taken as its padding.
_MAX_PADDING = 16


class Edge(Enum):
    ANYWHERE = "anywhere"  # secrets; ids mixing letters and digits
    DIGITS = "digits"  # all-digit ids: no digit may touch either side
    WORD = "word"  # all-letter ids and context forms: no letter or digit may touch


class Entry(NamedTuple):
    """What a known form is: the rule name for findings and what replaces it. (A tuple: a
    book's ids make hundreds of thousands of them.)"""

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


_ASCII_DIGIT = re.compile("[0-9]")


def fold(text: str) -> str:
    # str.lower is the same on ASCII and many times faster than translate
    return text.lower() if text.isascii() else text.translate(_FOLD)


def edge_for(value: str) -> Edge:
    """The edge rule for an identifier of this shape."""
    if value.isdigit():
        return Edge.DIGITS
    if value.isascii():  # ASCII digits are the only digits here: a C search, not a loop
        return Edge.ANYWHERE if _ASCII_DIGIT.search(value) else Edge.WORD
    if any(c.isdigit() for c in value):
        return Edge.ANYWHERE
    return Edge.WORD


def _alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


class KnownValues:
    """Known sensitive forms, matched all at once. The table only grows."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        #: the all-digit (ASCII) ids, matched by digit runs, not by the automaton
        self._digits: dict[str, Entry] = {}
        self._shortest_digits = 0
        self._sorted_digits: list[str] | None = None
        self._automaton: ahocorasick.Automaton | None = None
        self._words = 0  # forms in the automaton
        self._longest = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, form: str) -> bool:
        return fold(form) in self._entries

    def get(self, form: str) -> Entry | None:
        return self._entries.get(fold(form))

    def add(self, form: str, entry: Entry, *, over_ids: bool = False) -> bool:
        """Add one form (first entry wins); True when it was new. ``over_ids``: a form held
        by an identifier's entry is taken over (a secret is found anywhere and redacted,
        whatever id learned the same text first)."""
        key = fold(form)
        if not key:
            return False
        held = self._entries.get(key)
        if held is not None:
            if not (over_ids and held.replacement is None):
                return False
            if self._digits.pop(key, None) is None:
                self._words -= 1  # counted again below
            self._sorted_digits = None
        self._entries[key] = entry
        if entry.edge is Edge.DIGITS and key.isascii() and key.isdigit():
            self._digits[key] = entry
            self._sorted_digits = None
            if not self._shortest_digits or len(key) < self._shortest_digits:
                self._shortest_digits = len(key)
        else:
            self._automaton = None
            self._words += 1
        self._longest = max(self._longest, len(key))
        return True

    def unknown(self, texts: list[str]) -> list[str]:
        """The texts whose own form is not in the table yet, in order (a book read again
        names ids the table has: they cost one look-up each, nothing more)."""
        entries = self._entries
        return [
            text
            for text in texts
            if (text.lower() if text.isascii() else text.translate(_FOLD)) not in entries
        ]

    def add_identifiers(
        self, texts: Iterable[str], rule: str, kind: str, forms: Callable[[str], set[str]]
    ) -> None:
        """``add`` of each identifier text and, when the text was new, of each of its
        ``forms``, in order: what one ``add`` per form would do, in one loop, for a book's
        hundreds of thousands of ids. All forms of an id share its entry: a form that is not
        the id itself is found anywhere (see :meth:`hits`)."""
        entries, digits = self._entries, self._digits
        new_entry, b2a = tuple.__new__, binascii.b2a_base64
        # the counters live in locals inside the loop and are written back once
        words, longest, shortest = self._words, self._longest, self._shortest_digits
        digits_before = len(digits)
        try:
            for text in texts:
                ascii_text = text.isascii()
                key = text.lower() if ascii_text else text.translate(_FOLD)
                if key == text:
                    key = text  # the id's own string, not a second copy (digits: always)
                if not key or key in entries:
                    continue
                plain = ascii_text and text.isalnum()  # letters and digits: escaping-proof
                if text.isdigit():
                    edge = Edge.DIGITS
                elif plain:
                    edge = Edge.WORD if text.isalpha() else Edge.ANYWHERE
                else:
                    edge = edge_for(text)
                entry = new_entry(Entry, (rule, edge, None, kind, text))
                entries[key] = entry
                if len(key) > longest:
                    longest = len(key)
                if edge is Edge.DIGITS and ascii_text:
                    digits[key] = entry
                    if not shortest or len(key) < shortest:
                        shortest = len(key)
                else:
                    words += 1
                if plain:  # only base64 (URL-safe is the same: no "+" or "/" from letters)
                    if len(text) < 6:
                        continue
                    others: Iterable[str] = (
                        b2a(text.encode(), newline=False).rstrip(b"=").decode(),
                    )
                else:
                    others = forms(text)
                for form in others:  # a form is found anywhere: never in the digit index
                    key = form.lower() if form.isascii() else form.translate(_FOLD)
                    if form != text and key and key not in entries:
                        entries[key] = entry
                        words += 1
                        if len(key) > longest:
                            longest = len(key)
        finally:
            if words != self._words:
                self._automaton = None
            if len(digits) != digits_before:
                self._sorted_digits = None
            self._words, self._longest, self._shortest_digits = words, longest, shortest

    def _built(self) -> ahocorasick.Automaton | None:
        if self._automaton is None and self._words:
            automaton = ahocorasick.Automaton()
            digits = self._digits
            for key in self._entries:
                if key not in digits:
                    automaton.add_word(key, key)
            automaton.make_automaton()
            self._automaton = automaton
        return self._automaton

    def _digit_hits(self, text: str) -> list[Hit]:
        """All-digit ids: a hit is a whole run of digits that is the id, or the id behind at
        most ``_MAX_PADDING`` zeros (an id that starts with 0 takes none); a digit of another
        script touching the run spoils it, as in the automaton's edge check."""
        hits = []
        digits = self._digits
        for start, end in digit_runs(text, self._shortest_digits):
            if (start > 0 and text[start - 1].isdigit()) or (
                end < len(text) and text[end].isdigit()
            ):
                continue
            run = text[start:end]
            entry = digits.get(run) if run[0] == "0" else None
            if entry is None:
                bare = run.lstrip("0")
                if bare and len(run) - len(bare) <= _MAX_PADDING:
                    entry = digits.get(bare)
            if entry is not None:
                hits.append(Hit(start, end, entry))
        return hits

    def hits(self, text: str) -> list[Hit]:
        """Leftmost-longest, non-overlapping occurrences that respect their edge rule."""
        if not text or not self._entries:
            return []
        candidates: list[Hit] = []
        automaton = self._built()
        for start, end, key in self._occurrences(automaton, text) if automaton else ():
            entry = self._entries[key]
            edge = entry.edge
            if entry.value and edge is not Edge.ANYWHERE and key != fold(entry.value):
                edge = Edge.ANYWHERE  # an id's other form (base64, escaped): found anywhere
            if edge is Edge.DIGITS:
                # leading zeros belong to the id; bounded, so a run of zeros stays linear
                floor = max(0, start - _MAX_PADDING)
                if not entry.value.startswith("0"):
                    while start > floor and text[start - 1] == "0":
                        start -= 1
                if (start > 0 and text[start - 1].isdigit()) or (
                    end < len(text) and text[end].isdigit()
                ):
                    continue
            elif edge is Edge.WORD and (
                (start > 0 and _alnum(text[start - 1])) or (end < len(text) and _alnum(text[end]))
            ):
                continue
            candidates.append(Hit(start, end, entry))
        if self._digits:  # after the automaton's: on an equal span a secret's hit stays first
            candidates.extend(self._digit_hits(text))
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

    def _occurrences(
        self, automaton: ahocorasick.Automaton, text: str
    ) -> Iterator[tuple[int, int, str]]:
        """(start, end, key) of every word of the automaton in ``text``, by end. A long text
        is read in windows overlapping by the longest word, each occurrence counted in the
        window where it ends: the automaton copies what it reads at four bytes a character,
        which for a 40 MB sample was 160 MB at once."""
        if len(text) <= _WINDOW:
            for end_index, key in automaton.iter(fold(text)):
                yield end_index - len(key) + 1, end_index + 1, key
            return
        overlap = max(self._longest - 1, 0)
        for base in range(0, len(text), _WINDOW):
            low = max(0, base - overlap)
            for end_index, key in automaton.iter(fold(text[low : base + _WINDOW])):
                end = low + end_index + 1
                if end > base:  # ends in this window's own part: not counted before
                    yield end - len(key), end, key

    def any_hit(self, text: str) -> bool:
        return bool(self.hits(text)) if self._entries else False

    def cut_point(self, text: str) -> int:
        """Where to cut ``text`` so that it does not end with the first characters (at least
        ``MIN_PREFIX``) of a known form: ``len(text)`` when its end is innocent."""
        automaton = self._built()
        tail = fold(text[-self._longest :]) if self._longest else ""
        for size in range(len(tail), MIN_PREFIX - 1, -1):
            piece = tail[-size:]
            if piece in self._entries:
                continue
            if (automaton is not None and automaton.match(piece)) or self._digit_prefix(piece):
                return len(text) - size
        return len(text)

    def _digit_prefix(self, piece: str) -> bool:
        """``piece`` is the start of a known all-digit id."""
        if not self._digits or not (piece.isascii() and piece.isdigit()):
            return False
        if self._sorted_digits is None:
            self._sorted_digits = sorted(self._digits)
        keys = self._sorted_digits
        i = bisect_left(keys, piece)
        return i < len(keys) and keys[i].startswith(piece)


#: ``[0-9]{n,}`` by ``n``: a table has one shortest digit id at a time.
_DIGIT_RUNS: dict[int, re.Pattern[str]] = {}
_DIGIT_CLASSES = bytes(ord("d") if 0x30 <= b <= 0x39 else ord(".") for b in range(256))
#: Above this many characters digit runs are found in a byte copy of the text (C loops).
_BYTES_FROM = 4096


def digit_runs(text: str, shortest: int) -> list[tuple[int, int]]:
    """The maximal runs of ASCII digits in ``text`` at least ``shortest`` long."""
    if len(text) < _BYTES_FROM:
        # from the first digit of a run at least ``shortest`` long, the greedy repeat takes
        # the whole run; shorter runs never match at all
        pattern = _DIGIT_RUNS.get(shortest)
        if pattern is None:
            pattern = _DIGIT_RUNS[shortest] = re.compile(f"[0-9]{{{max(shortest, 1)},}}")
        return [m.span() for m in pattern.finditer(text)]
    classes = byte_classes(text, _DIGIT_CLASSES)
    needle = b"d" * max(shortest, 1)
    runs = []
    start = classes.find(needle)
    while start != -1:
        end = classes.find(b".", start)
        end = len(classes) if end == -1 else end
        runs.append((start, end))
        start = classes.find(needle, end)
    return runs


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
