"""Redaction: turn broker payloads, URLs and error text into something safe to write or print.

Two mechanisms stack. By key (:mod:`jainam_validate.keys`: one rule over the key's normalised
name): secrets become ``[redacted]`` and identifiers become stable keyed pseudonyms
``<kind>_<hex>`` (an HMAC under a per-installation key), so rows stay joinable across files and
runs without revealing anything. JSON held inside a string is parsed and redacted by key too.
By value: every secret and identifier learned that way, or fed in from credentials and login
results, is scrubbed wherever else it appears (URLs, query strings, error descriptions, nested
strings, dict keys), in plain, URL-encoded, JSON- and HTML-escaped and base64 forms, case-folded,
glued to other letters or behind leading zeros (:mod:`jainam_validate.known`). Instrument ids,
ISINs, symbols, segments, prices and quantities stay: the P&L check needs them. This module
holds the :class:`Redactor`: what a run has learned, and what each tree operation does at a
leaf; the walk itself is :mod:`jainam_validate.walk`'s, the shapes of tokens, e-mail addresses
and PANs are :mod:`jainam_validate.rules`', the encoded forms :mod:`jainam_validate.forms`'.
No I/O; the same matcher also serves the leak guard, which reports instead of replacing.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from jainam_validate.forms import (
    base64_forms,
    decode_layers,
    encoded_forms,
    escape_proof,
    escaped_forms,
)
from jainam_validate.keys import (
    IDENTIFIER_KINDS,
    PLAIN,
    SECRET,
    SECRET_KEYS,
    market_number_key,
    normalise_key,
)
from jainam_validate.known import Edge, Entry, KnownValues, Spans
from jainam_validate.rules import (
    INVISIBLE,
    JWT_SHAPE,
    KEY_VALUE,
    REDACTED,
    SHAPES,
    has_invisible,
    shapeless,
)
from jainam_validate.walk import MAX_NESTED_JSON_CHARS, Leaves, Walker, each_distinct
from jainam_validate.xts import PRO_CLIENT_ID

# The constants and helpers that moved to keys, rules, forms and walk are still exported from
# here: callers import them from this module.
__all__ = [
    "IDENTIFIER_KINDS",
    "INVISIBLE",
    "JWT_SHAPE",
    "KEY_VALUE",
    "MAX_NESTED_JSON_CHARS",
    "PRO_CLIENT_PLACEHOLDER",
    "REDACTED",
    "SECRET_KEYS",
    "Match",
    "Redactor",
    "base64_forms",
    "decode_layers",
    "encoded_forms",
    "escaped_forms",
    "normalise_key",
    "pseudonym",
]

#: XTS addresses a dealer's own (pro) account with this literal; it identifies nobody.
PRO_CLIENT_PLACEHOLDER = PRO_CLIENT_ID

#: Identifiers shorter than this are pseudonymised under their key but not hunted in free text
#: (a three-character code would match inside ordinary words); see the README's residual risks.
MIN_SCRUB_LENGTH = 4
MIN_NUMERIC_SCRUB_LENGTH = 6
#: Deeper than this a payload's subtree is not kept: deeper than any real payload.
MAX_DEPTH = 200


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """Stable keyed pseudonym for ``value``: ``<kind>_<8 hex of HMAC-SHA256(key, kind:value)>``."""
    digest = hmac.digest(key, f"{kind}:{value}".encode(), "sha256")
    return f"{kind}_{digest[:4].hex()}"


@dataclass(frozen=True)
class Match:
    """One sensitive value found in a text: where, which rule, and what replaces it."""

    start: int
    end: int
    rule: str
    replacement: str


class Redactor:
    """Holds what is known to be sensitive in this run and applies it.

    The table only grows: a value learned from a login result is scrubbed from every later
    payload and error text. ``redact`` and ``scrub`` return new objects and never mutate input.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._known = KnownValues()
        self._aliases: dict[str, dict[str, str]] = {}  # kind -> id text -> pseudonym
        self._client_ids: set[str] = set()
        # The key rule's and the scrubber's memos live in the walker; the table's size tells
        # when remembered scrub results are stale.
        self._walker = Walker(self, self._known.__len__, MIN_SCRUB_LENGTH)
        self._redacting = Leaves(
            entry=self._redact_entry,
            item=self._redact_item,
            sensitive=self._redact_sensitive,
            on_json=self.learn,
            limit=MAX_DEPTH,
            too_deep=REDACTED,  # deeper than any real payload: nothing of it is kept
        )
        self._rescrubbing = Leaves(self._rescrub_entry, self._rescrub_item, self._rescrub_key)
        self._string_scrubbing = Leaves(self._scrub_entry, self._scrub_item, self._scrub_key)

    # -- learning ---------------------------------------------------------------------------
    def add_secret(self, value: str | None, label: str = "secret") -> None:
        """Scrub ``value`` (and its encoded forms) everywhere from now on. A placeholder word
        ("null", "undefined", ...) under a secret's name is not a secret."""
        if not value or value == PRO_CLIENT_PLACEHOLDER or value.strip().casefold() in _NOT_SECRET:
            return
        if label.startswith("secret:") and label not in _CONFIGURED and len(value) < 6:
            return  # learned from a payload: a real token or key is never this short
        for form in encoded_forms(value):
            if len(form) >= MIN_SCRUB_LENGTH:
                self._known.add(form, Entry(label, Edge.ANYWHERE, REDACTED), over_ids=True)

    def seed(self, client_id: str | None, secrets: Iterable[tuple[str, str]]) -> int:
        """Know the configured values before anything is read: the dealer client code as an
        identifier, each ``(value, label)`` of ``secrets`` (credentials, session tokens) as a
        secret. The harness and ``audit`` seed through here, so they know the same values.
        Returns how many values were given."""
        given = 0
        if client_id:
            self.add_identifier(client_id, "client")
            given += 1
        for value, label in secrets:
            self.add_secret(value, label)
            given += 1
        return given

    def add_identifier(self, value: object, kind: str, *, hunt: bool = True) -> str:
        """Learn an identifier; return its pseudonym (the placeholder ``*****`` stays as is).
        A list of ids (``userIds``, or a login's ``userID`` sent as a list) gives each one's.
        ``hunt=False``: pseudonymise only, do not search for the value in other text."""
        if isinstance(value, list | tuple):
            return ",".join(self.add_identifier(item, kind, hunt=hunt) for item in value)
        if isinstance(value, dict):
            return self.add_identifier(json.dumps(value, sort_keys=True), kind, hunt=hunt)
        if not hunt:
            text = str(value).strip()
            return text if text in ("", PRO_CLIENT_PLACEHOLDER) else self._alias_of(kind, text)
        if isinstance(value, str | int):
            known = self._aliases.get(kind, {}).get(str(value))
            if known is not None:
                return known
        text = self.note_identifier(value, kind)
        if not text or text == PRO_CLIENT_PLACEHOLDER:
            return text
        return self._alias_of(kind, text)

    def note_identifier(self, value: object, kind: str) -> str:
        """Learn an identifier without computing its pseudonym yet (payloads hold far more ids
        than ever reach a file); returns its text."""
        text = value.strip() if isinstance(value, str) else str(value).strip()
        rule = _rule(kind)
        if kind == "client" and text != PRO_CLIENT_PLACEHOLDER and text not in self._client_ids:
            # However short, a client code is found by its context: clientID=ABC in a URL
            # echoed by an error page (URL-encoded too), or "clientID": "ABC" in a JSON body.
            self._client_ids.add(text)
            alias = self._alias_of(kind, text)
            for left, right in (
                ("clientID=", ""), ("clientID%3D", ""), ('"clientID":"', '"'),
                ('"clientID": "', '"'), ('\\"clientID\\":\\"', '\\"'),
            ):  # fmt: skip
                self._known.add(
                    f"{left}{text}{right}", Entry(rule, Edge.WORD, f"{left}{alias}{right}")
                )
        if not _hunted(text):
            return text
        if text not in self._known:  # (a book's rows name ids its payload taught already)
            self._known.add_identifiers((text,), rule, kind, _hunted_forms)
        return text

    def note_identifiers(self, values: Iterable[object], kind: str) -> None:
        """:meth:`note_identifier` of each value, in order, in one loop (a book's column)."""
        if kind == "client":  # its context forms are made one by one
            for value in values:
                self.note_identifier(value, kind)
            return
        texts = [v.strip() if isinstance(v, str) else str(v).strip() for v in values]
        hunted = filter(_hunted, self._known.unknown(texts))
        self._known.add_identifiers(hunted, _rule(kind), kind, _hunted_forms)

    def _alias_of(self, kind: str, text: str) -> str:
        aliases = self._aliases.get(kind)
        if aliases is None:
            aliases = self._aliases[kind] = {}
        alias = aliases.get(text)
        if alias is None:
            alias = aliases[text] = pseudonym(self._key, kind, text)
        return alias

    @property
    def known_count(self) -> int:
        return len(self._known)

    # -- matching ---------------------------------------------------------------------------
    def matches(self, text: str) -> Iterator[Match]:
        """Every sensitive value in ``text``: known values first, then the shapes of tokens,
        e-mail addresses and PANs where no known value was found."""
        yield from self.matches_in(text, Spans())

    def matches_in(self, text: str, taken: Spans) -> Iterator[Match]:
        """:meth:`matches`, claiming each match in ``taken`` for the rules that follow."""
        for hit in self._known.hits(text):
            entry = hit.entry
            replacement = entry.replacement
            if replacement is None:
                replacement = self._alias_of(entry.kind, entry.value)
            taken.claim(hit.start, hit.end)
            yield Match(hit.start, hit.end, entry.rule, replacement)
        keys = self._walker.keys
        for rule in SHAPES:
            taken.next_family()
            for start, end in rule.spans(text, keys):
                if not taken.overlaps(start, end):
                    taken.claim(start, end)
                    yield Match(start, end, rule.name, REDACTED)
        taken.next_family()

    def _clean(self, text: str) -> bool:
        """Fast path: True when nothing in ``text`` can match (most strings of a payload)."""
        if len(text) < MIN_SCRUB_LENGTH:
            return not has_invisible(text)
        if not shapeless(text):
            return False
        if has_invisible(text):
            return False
        return not self._known.any_hit(text)

    def scrub(self, text: str) -> str:
        """``text`` without invisible characters, and with every known sensitive value
        replaced (a value split by a zero-width or control character is whole again first)."""
        if self._clean(text):
            return text
        if has_invisible(text):
            text = INVISIBLE.sub("", text)
            if self._clean(text):
                return text
        found = sorted(self.matches(text), key=lambda m: (m.start, -m.end))
        if not found:
            return text
        out: list[str] = []
        pos = 0
        for m in found:
            if m.start < pos:
                continue
            out.append(text[pos : m.start])
            out.append(m.replacement)
            pos = m.end
        out.append(text[pos:])
        return "".join(out)

    def cut(self, text: str, limit: int) -> str:
        """Scrub, then cut to ``limit`` characters; a cut that would leave the first
        characters of a known value is moved before them (scrub first, then cut, always)."""
        text = self.scrub(text)
        if len(text) <= limit:
            return text
        head = text[:limit]
        return head[: self._known.cut_point(head)] + "…"

    # -- payloads ---------------------------------------------------------------------------
    def learn(self, obj: Any) -> None:
        """Learn the secrets and identifiers held under sensitive keys anywhere in ``obj``,
        JSON held inside strings included."""
        self._walker.visit(obj, self._learn_under)

    def _learn_under(self, key: Any, action: str, value: Any) -> Any:
        if isinstance(value, dict):
            return value  # an object under an id or secret name: its keys say
        if action == SECRET:
            for leaf in _scalars(value):
                self.add_secret(str(leaf), label=f"secret:{normalise_key(str(key))}")
            return None
        hunted = self._walker.keys.listed(str(key))
        # a name the grammar caught: hunt its values only when they look
        # like ids (a digit, an @), never a plain word such as WEBAPI
        leaves = _scalars(value)
        self.note_identifiers(leaves if hunted else filter(_id_like, leaves), action)
        return None

    def learn_text(self, text: str) -> None:
        """Learn ids and secrets from text that is not JSON (an error page, a cut-off or
        mis-encoded body, a description, a header value): every ``key: value`` pair whose key
        names one by the key rule, and, in prose or markup, every id-like token (a digit in
        it) within three words after such a name ("<th>Client ID</th><td>JC4187</td>",
        "Order No. 1100099124", "UserID(JC4188)"); and a long run of digits right after a bare
        "order", "trade" or "execution" ("order 1101727760 for client ... failed": the word
        alone is no id name, but a number of 8 digits or more after it is the id)."""
        action_of = self._walker.keys.action
        for m in KEY_VALUE.finditer(text):
            key = m.group("qkey") or m.group("key") or ""
            action = action_of(key)
            value = m.group("value").rstrip(".:!?")
            if action == SECRET:
                self.add_secret(value, label=f"secret:{normalise_key(key)}")
            elif action and _id_like(value):
                self.note_identifier(value, action)
        # markup read twice: without its tags (a table cell after its header), and with them
        # as words (an input's name before its value)
        for prose in (_TAG.sub(" ", text), text):
            recent: list[str] = []
            for m in _PROSE_TOKEN.finditer(prose):
                token = m.group()
                bare = _BARE_ID_WORDS.get(recent[-1].casefold()) if recent else None
                if bare is not None and token.isdigit() and len(token) >= _BARE_ID_DIGITS:
                    self.note_identifier(token, bare)
                elif any(c.isdigit() for c in token) and len(token) >= MIN_SCRUB_LENGTH:
                    for size in (1, 2, 3):
                        action = action_of(" ".join(recent[-size:])) if recent else PLAIN
                        if action and action != SECRET:
                            self.note_identifier(token.rstrip("._-"), action)
                            break
                recent = (recent + [token])[-3:]

    def redact(self, obj: Any) -> Any:
        """A copy of ``obj`` with sensitive keys replaced and every string scrubbed."""
        self.learn(obj)
        self._walker.begin()
        return self._walker.rebuild(obj, self._redacting)

    def redact_rows(
        self, rows: list[dict[str, Any]], identifier_fields: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """Redact normalised rows (flat dicts): identifier fields become pseudonyms of their
        kind, every other string is scrubbed; each row comes back with its keys sorted (as
        every artifact writes them). Every identifier field is learned before any string is
        scrubbed. Call :meth:`learn` on the raw payload first."""
        # Not a walk: rows are flat, their fields are named by ``identifier_fields`` (not the
        # key rule) and a container in a row is kept as it is. And it is the hottest path (a
        # 100k-row book is 1.3M fields), so rows of one shape are redacted a column at a
        # time, each distinct value once: a symbol or a status is scrubbed once per book.
        shapes = set(map(tuple, rows))
        if len(shapes) == 1:
            return self._redact_shape(rows, shapes.pop(), identifier_fields)
        # rows of several shapes (not from one normaliser): every row's ids first, as one
        # shape's columns are, then one row at a time
        for row in rows:
            for key, kind in identifier_fields.items():
                if row.get(key) is not None:
                    self.add_identifier(row[key], kind)
        out: list[dict[str, Any]] = []
        for row in rows:
            out.extend(self._redact_shape([row], tuple(row), identifier_fields))
        return out

    def _redact_shape(
        self, rows: list[dict[str, Any]], shape: tuple[Any, ...], fields: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        keys = sorted(shape, key=str)
        columns: dict[Any, list[Any]] = {}
        # identifier columns first: any id they teach is known before a string is scrubbed
        for named in (True, False):
            self._walker.begin()  # (the second time: the table may have grown since)
            for key in keys:
                kind = fields.get(key)
                if (kind is not None) is named:
                    column = list(map(dict.__getitem__, rows, repeat(key)))
                    columns[key] = each_distinct(column, self._cell(key, kind))
        cells = zip(*(columns[key] for key in keys), strict=True)
        return [dict(zip(keys, values, strict=True)) for values in cells]

    def _cell(self, key: Any, kind: str | None) -> Callable[[Any], Any]:
        """What one field of ``key`` becomes (see :meth:`redact_rows`)."""
        if kind is not None:
            add_identifier, known, key = self.add_identifier, self._known, self._key
            # a normalised id is text: its pseudonym is remembered by that text, per kind
            memo = self._aliases.setdefault(kind, {})
            learned = kind != "client"  # (a client code also learns its context forms)

            def identifier(value: Any) -> Any:
                if value is None:
                    return value
                if type(value) is not str:
                    return add_identifier(value, kind)
                alias = memo.get(value)
                if alias is None:
                    if learned and value in known and value == value.strip():
                        # the payload taught it already: only its pseudonym is new
                        alias = memo[value] = pseudonym(key, kind, value)
                    else:
                        alias = memo[value] = add_identifier(value, kind)
                return alias

            return identifier
        scrubbed, number = self._walker.scrubbed, self._number
        market = market_number_key(str(key))

        def cell(value: Any) -> Any:
            if isinstance(value, str):
                return value if market and _NUMBER_TEXT.fullmatch(value) else scrubbed(value)
            if type(value) is int:
                return number(value, key)
            return value

        return cell

    def rescrub(self, obj: Any) -> Any:
        """Scrub every string (and known-id number) of an already redacted structure again
        with the current table, without re-applying key rules (their values are pseudonyms)."""
        self._walker.begin()
        return self._walker.rebuild(obj, self._rescrubbing)

    def scrub_strings(self, obj: Any) -> Any:
        """Scrub every string of a structure (keys too), leaving numbers as they are: for our
        own records, whose numbers are timings and counts, never broker ids."""
        return self._walker.rebuild(obj, self._string_scrubbing)

    def _number(self, value: int, key: str = "") -> int | str:
        """A JSON number that is a known identifier under a key we do not list (say a
        ParentAppOrderID) becomes its pseudonym too; every other number stays a number, and
        so does any number under an instrument/quantity/price key."""
        if value < 10 ** (MIN_NUMERIC_SCRUB_LENGTH - 1) or not self._known:
            return value
        if key and market_number_key(key):
            return value
        entry = self._known.get(str(value))
        if entry is None or entry.replacement is not None:
            return value
        return self._alias_of(entry.kind, entry.value)

    # -- leaves of redact: key rules, then scrubbing (nested JSON is the walker's) ------------
    def _redact_entry(self, key: Any, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            if _NUMBER_TEXT.fullmatch(value) and market_number_key(str(key)):
                return value  # a quantity or a price, whatever id it equals
            return self._walker.scrubbed(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
            number = self._number(int(value), str(key))
            return value if isinstance(number, int) else number
        if type(value) is int:
            return self._number(value, str(key))
        return value

    def _redact_item(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return self._walker.scrubbed(value)
        if isinstance(value, Mapping):
            return self._walker.rebuild(dict(value), self._redacting, depth + 1)
        return value  # numbers in a list are left as they are

    def _redact_sensitive(self, key: Any, action: str, value: Any, depth: int) -> Any:
        """A value under a secret's name is replaced; under an identifier's, each id in it
        becomes its pseudonym (lists of ids stay lists; an object's own keys say)."""
        if action == SECRET:
            return REDACTED if value not in (None, "") else value
        if value is None or value == "" or isinstance(value, bool):
            return value
        if isinstance(value, list | tuple):
            return [self._redact_sensitive(key, action, item, depth + 1) for item in value]
        if isinstance(value, Mapping):
            return self._walker.rebuild(value, self._redacting, depth + 1)
        hunt = isinstance(key, str) and self._walker.keys.listed(key)
        return self.add_identifier(value, action, hunt=hunt or _id_like(value))

    # -- leaves of rescrub and scrub_strings ------------------------------------------------
    def _rescrub_key(self, key: Any) -> str:
        return self._walker.scrubbed(str(key))

    def _rescrub_entry(self, key: Any, value: Any, depth: int) -> Any:
        if type(value) is int:
            return self._number(value, str(key))
        return self._rescrub_item(value, depth)

    def _rescrub_item(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return self._walker.scrubbed(value)
        if type(value) is int:
            return self._number(value)
        return value

    def _scrub_key(self, key: Any) -> str:
        return self.scrub(str(key))

    def _scrub_entry(self, key: Any, value: Any, depth: int) -> Any:
        return self.scrub(value) if isinstance(value, str) else value

    def _scrub_item(self, value: Any, depth: int) -> Any:
        return self.scrub(value) if isinstance(value, str) else value


#: Markup, and the word-like tokens of what is left (prose ids are learned from these).
_TAG = re.compile(r"<[^<>]{0,256}>")
_PROSE_TOKEN = re.compile(r"[A-Za-z0-9@._+-]{1,128}")
#: Words that name an id only with a number right after them (see ``learn_text``), and how
#: long that number must be: order, trade and execution ids run to 9 digits and more, so a
#: quantity or a price after "order" stays as it is.
_BARE_ID_WORDS = {"order": "order", "trade": "trade", "execution": "exec"}
_BARE_ID_DIGITS = 8
#: Words a broker writes where a secret would be, which are not one.
_NOT_SECRET = frozenset(
    {"null", "none", "nil", "true", "false", "undefined", "expired", "invalid", "nan", "n/a",
     "[redacted]", "redacted", "***", "****", "*****", "bearer", "basic", "empty"}
)  # fmt: skip
#: "identifier:<kind>" once per kind, not once per id.
_RULES: dict[str, str] = {}
#: Labels of values given to the redactor by the harness itself (credentials, tokens).
_CONFIGURED = frozenset({"secret:credential", "secret:token", "secret:configured"})
#: A decimal as market data writes it (quantities, prices): never scrubbed under such a key.
_NUMBER_TEXT = re.compile(r"-?[0-9][0-9,]*(?:\.[0-9]+)?")


def _rule(kind: str) -> str:
    rule = _RULES.get(kind)
    if rule is None:
        rule = _RULES[kind] = f"identifier:{kind}"
    return rule


def _hunted(text: str) -> bool:
    """Is this identifier text searched for in free text, or only pseudonymised under its key?
    A short all-digit id (a client code "2026") would match years and quantities, an
    all-letter id under 6 characters (a user "WIPRO") symbols and words; the pro-account
    placeholder identifies nobody."""
    if len(text) < MIN_SCRUB_LENGTH or text == PRO_CLIENT_PLACEHOLDER:
        return False
    return len(text) >= MIN_NUMERIC_SCRUB_LENGTH or not (
        text.isdigit() or (text.isalpha() and text.isascii())
    )


def _hunted_forms(text: str) -> set[str]:
    """The other forms an identifier is hunted in: escaped, and base64 from 6 characters."""
    if escape_proof(text):  # most ids: no escaping changes them, base64 is 8+ characters
        return base64_forms(text) if len(text) >= 6 else set()
    forms = escaped_forms(text)
    if len(text) >= 6:
        forms |= base64_forms(text)
    return {form for form in forms if len(form) >= MIN_SCRUB_LENGTH}


def _id_like(value: object) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    text = str(value)
    return any(c.isdigit() for c in text) or "@" in text


def _scalars(value: Any) -> Iterable[str | int | float]:
    if type(value) is list and set(map(type, value)) <= _LEAF_TYPES:  # a column of a book
        return [leaf for leaf in value if leaf is not None and type(leaf) is not bool]
    return _leaves(value)


_LEAF_TYPES = frozenset({str, int, float, bool, type(None)})


def _leaves(value: Any) -> Iterator[str | int | float]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str | int | float):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
