"""The one walk over JSON-like trees (payloads, records, cassettes); what happens at each leaf
is the caller's.

A tree is dicts, lists and tuples with strings, numbers, booleans and None at the leaves, and a
string may hold more JSON. :class:`Walker` knows that shape once: which values are containers,
which strings hold JSON and how much of it is parsed, how deep a copy may go, and what each key
means by the key rule (remembered per key). It walks in two ways. :meth:`Walker.rebuild`
copies in document order, calling the caller's :class:`Leaves` for each key, for each value
under a key the key rule names, and for every other leaf. :meth:`Walker.visit` reads without
copying, with an explicit stack (no depth limit), and calls back only for values under named
keys, in the order learning has always used: a dict's own values first, then the containers
it holds, last first. Order is behaviour here, since the first form learned of a value wins.
The memo of scrub results is kept here too, per walker: books repeat symbols, statuses and
times on every row and sample.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any, Protocol

from jainam_validate.keys import KeyMemo

__all__ = [
    "MAX_NESTED_JSON_CHARS",
    "Leaves",
    "Scrubber",
    "Walker",
    "each_distinct",
    "json_like",
    "nested_json",
]

#: JSON longer than this inside a string is not parsed (it is scrubbed as text instead).
MAX_NESTED_JSON_CHARS = 1_000_000
#: Past this many remembered scrub results the memo starts again (a 100k-row book fits).
MEMO_LIMIT = 500_000
#: A list of at least this many objects is read a column at a time (see Walker._visit_rows).
ROWS_FROM = 8


#: What a string that may hold JSON starts and ends with: a body echoed into a field often
#: keeps its line break or indentation, and the ids in it must still be found by key.
OPENS = "{[ \t\r\n"
CLOSES = "}] \t\r\n"


def _walkable(value: Any) -> bool:
    """A container, or a string that may hold JSON (json_like, loosely first: this runs for
    every string of a payload)."""
    if isinstance(value, dict | list | tuple):
        return True
    return (
        isinstance(value, str)
        and len(value) >= 2
        and value[0] in OPENS
        and value[-1] in CLOSES
        and json_like(value)
    )


def json_like(text: str) -> bool:
    core = text.strip(" \t\r\n")
    return len(core) >= 2 and core[0] in "{[" and core[-1] in "}]"


def nested_json(text: str) -> Any:
    """The JSON inside a string, or None (too big, too deep, or not JSON)."""
    if len(text) > MAX_NESTED_JSON_CHARS:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


_SCALARS = frozenset({int, float, bool, type(None)})
#: Types whose equal values are written alike (so a column of them may be read once per value).
_MERGEABLE = frozenset({str, int, bool})
_TEXT = {str}
#: ``repeat(tuple(OPENS))``: what a string that may hold JSON starts with, for str.startswith.
_OPENINGS = repeat(tuple(OPENS))


def _mergeable(types: set[type]) -> bool:
    """Equal values of these types are written alike, so a column of them may be read once per
    value: text, ints and booleans (and nulls), all hashable; not floats or Decimals (0.0 and
    -0.0, 1.0 and 1.00 are equal but written differently), nor containers."""
    return types - {type(None)} <= _MERGEABLE


def _distinct(column: list[Any], types: set[type]) -> Iterable[Any]:
    """The values of a column (whose value ``types`` are given), each once, in order; equal
    values of different types (1, True) all stay, since each has its own text. A column that
    is not :func:`_mergeable` is every value."""
    if not _mergeable(types):
        return column
    if len(types) == 1:
        return dict.fromkeys(column)
    return (value for _, value in dict.fromkeys(zip(map(type, column), column, strict=True)))


def each_distinct(column: list[Any], cell: Callable[[Any], Any]) -> list[Any]:
    """``[cell(v) for v in column]``, calling ``cell`` once per distinct value (in order of
    first appearance) when the column is :func:`_mergeable` and of one type besides nulls
    (1 and True would share one answer)."""
    types = set(map(type, column))
    if _mergeable(types) and len(types - {type(None)}) <= 1:
        done = {value: cell(value) for value in dict.fromkeys(column)}
        return list(map(done.__getitem__, column))
    return list(map(cell, column))


class Scrubber(Protocol):
    """What the scrub memo remembers the answers of (the redactor)."""

    def scrub(self, text: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Leaves:
    """What one kind of copy does where the walker does not decide.

    ``key(key)`` gives the copy's key; without it, a key (or ``str`` of a key that is no
    string) is scrubbed through the memo. ``entry(key, value, depth)`` gives a dict's value that
    is no dict, list or tuple; ``item(value, depth)`` does the same for the root and for list
    items. ``sensitive(key, action, value, depth)``, when given, takes every value under a key
    the key rule names (``action`` is ``SECRET`` or the identifier kind), whatever its type; it
    may copy containers on with :meth:`Walker.rebuild` at ``depth + 1``. ``on_json``, when
    given, makes a string that holds JSON (under a plain key, in a list, or the root) a parsed
    tree: it is passed to ``on_json``, copied at ``depth + 1`` and written back as sorted JSON.
    Past ``limit`` levels a subtree becomes ``too_deep``."""

    entry: Callable[[Any, Any, int], Any]
    item: Callable[[Any, int], Any]
    key: Callable[[Any], Any] | None = None
    sensitive: Callable[[Any, str, Any, int], Any] | None = None
    on_json: Callable[[Any], object] | None = None
    limit: int | None = None
    too_deep: Any = None


class Walker:
    """Walks trees for one redactor: its key memo, its scrub memo, and the two walks.

    The memo remembers ``scrubber.scrub``; ``generation`` changes whenever a scrub result may
    (the size of the table of known values). Texts shorter than ``shortest`` are never scrubbed
    through the memo."""

    def __init__(self, scrubber: Scrubber, generation: Callable[[], int], shortest: int) -> None:
        self.keys = KeyMemo()
        self._scrubber = scrubber
        self._generation = generation
        self._shortest = shortest
        self._memo: dict[str, str] = {}
        self._memo_generation = -1

    # -- the scrub memo ---------------------------------------------------------------------
    def begin(self) -> None:
        """Start one operation: the memo is emptied if the table changed since it was filled.
        That is checked here only, not per string: an id first learned halfway through an
        operation (from text that learning does not parse, such as JSON in a string at the root)
        leaves the results remembered before it in place until the next operation."""
        generation = self._generation()
        if generation != self._memo_generation or len(self._memo) > MEMO_LIMIT:
            self._memo = {}
            self._memo_generation = generation

    def scrubbed(self, text: str) -> str:
        """``scrub(text)``, remembered (see :meth:`begin`)."""
        if len(text) < self._shortest:
            return text
        done = self._memo.get(text)
        if done is None:
            # looked up on each miss, not bound once: a test swaps the scrub of a live redactor
            done = self._memo[text] = self._scrubber.scrub(text)
        return done

    # -- copying ----------------------------------------------------------------------------
    def rebuild(self, obj: Any, leaves: Leaves, depth: int = 0) -> Any:
        """A copy of ``obj``: dicts stay dicts, lists and tuples become lists, and every key
        and leaf is what ``leaves`` makes of it."""
        if leaves.limit is not None and depth > leaves.limit:
            return leaves.too_deep
        if isinstance(obj, dict):
            out: dict[Any, Any] = {}
            new_key, entry, sensitive = leaves.key, leaves.entry, leaves.sensitive
            on_json = leaves.on_json
            actions, action_of, scrubbed = self.keys.actions, self.keys.action, self.scrubbed
            for key, value in obj.items():
                # the key before the value: the order things are learned in
                if new_key is None:
                    safe_key = scrubbed(key if isinstance(key, str) else str(key))
                else:
                    safe_key = new_key(key)
                if sensitive is not None:
                    action = actions.get(key)
                    if action is None:
                        action = action_of(key)
                    if action:
                        out[safe_key] = sensitive(key, action, value, depth)
                        continue
                if isinstance(value, str):  # strings first: most leaves are
                    if (
                        on_json is not None
                        and len(value) >= 2  # json_like, loosely: this runs for every string
                        and value[0] in OPENS
                        and value[-1] in CLOSES
                        and json_like(value)
                    ):
                        text = self._rebuild_json(value, leaves, on_json, depth)
                        if text is not None:
                            out[safe_key] = text
                            continue
                    out[safe_key] = entry(key, value, depth)
                elif isinstance(value, dict | list | tuple):
                    out[safe_key] = self.rebuild(value, leaves, depth + 1)
                else:
                    out[safe_key] = entry(key, value, depth)
            return out
        if isinstance(obj, list | tuple):
            return [self.rebuild(item, leaves, depth + 1) for item in obj]
        on_json = leaves.on_json
        if on_json is not None and isinstance(obj, str) and json_like(obj):
            text = self._rebuild_json(obj, leaves, on_json, depth)
            if text is not None:
                return text
        return leaves.item(obj, depth)

    def _rebuild_json(
        self, text: str, leaves: Leaves, on_json: Callable[[Any], object], depth: int
    ) -> str | None:
        nested = nested_json(text)
        if nested is None:
            return None
        on_json(nested)
        copy = self.rebuild(nested, leaves, depth + 1)
        return json.dumps(copy, ensure_ascii=False, sort_keys=True)

    # -- reading ----------------------------------------------------------------------------
    def visit(self, root: Any, sensitive: Callable[[Any, str, Any], Any]) -> None:
        """Call ``sensitive(key, action, value)`` for every value under a key the key rule
        names, anywhere in ``root``; what it returns (a dict or list, or None) is walked too.
        Dicts, lists and tuples are walked, and JSON held in a string under a plain key or
        in a list, not the root."""
        stack = [] if isinstance(root, str) else [root]
        actions, action_of = self.keys.actions, self.keys.action
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                # JSON held in a string, parsed here rather than through nested_json: json.loads
                # gives up at a nesting that depends on the stack's depth, and one call more
                # would lower it by a level
                if len(item) > MAX_NESTED_JSON_CHARS:
                    continue
                try:
                    item = json.loads(item)
                except (ValueError, RecursionError):
                    continue
            if isinstance(item, dict):
                for key, value in item.items():
                    action = actions.get(key)
                    if action is None:
                        action = action_of(key)
                    if action:
                        deeper = sensitive(key, action, value)
                        if deeper is not None:
                            stack.append(deeper)
                    elif _walkable(value):
                        stack.append(value)
            elif isinstance(item, list | tuple):
                if len(item) >= ROWS_FROM and set(map(type, item)) == {dict}:
                    self._visit_rows(item, sensitive, stack)
                    continue
                stack.extend(
                    child
                    for child in item
                    if isinstance(child, dict | list | tuple)
                    or (isinstance(child, str) and json_like(child))
                )

    def _visit_rows(
        self,
        rows: list[dict[Any, Any]] | tuple[dict[Any, Any], ...],
        sensitive: Callable[[Any, str, Any], Any],
        stack: list[Any],
    ) -> None:
        """:meth:`visit` of a list of objects (a book's rows), a column at a time: each key
        is judged once, each distinct value under a named key is handed over once, and only
        the distinct values under other keys are looked at for containers and JSON. Keys go in
        the order the rows first hold them, values from the last row up, as the row-by-row
        walk met them; an id held under two kinds in one book takes the first key's kind."""
        actions, action_of = self.keys.actions, self.keys.action
        backwards = rows[::-1]
        for key in dict.fromkeys(chain.from_iterable(rows)):
            action = actions.get(key)
            if action is None:
                action = action_of(key)
            # dict.get over the rows in C; a row without the key gives None, which is no
            # container, no JSON and no identifier
            column = list(map(dict.get, backwards, repeat(key)))
            types = set(map(type, column))
            if not action and types <= _SCALARS:
                continue  # numbers, booleans and nulls only: nothing to look into
            values = _distinct(column, types)
            if not action and types == _TEXT and not any(map(str.startswith, values, _OPENINGS)):
                continue  # text only, none of it opening like JSON (str.startswith, in C)
            if action:
                if types <= _SCALARS | {str}:  # all at once: the callee takes lists of leaves
                    values = [list(values)]
                for value in values:
                    deeper = sensitive(key, action, value)
                    if deeper is not None:
                        stack.append(deeper)
                continue
            stack.extend(filter(_walkable, values))
