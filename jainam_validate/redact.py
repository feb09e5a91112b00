"""Redaction: turn broker payloads, URLs and error text into something safe to write or print.

Two mechanisms stack. By key (:mod:`jainam_validate.keys`: one rule over the key's normalised
name): secrets become ``[redacted]`` and identifiers become stable keyed pseudonyms
``<kind>_<hex>`` (an HMAC under a per-installation key), so rows stay joinable across files and
runs without revealing anything. JSON held inside a string is parsed and redacted by key too.
By value: every secret and identifier learned that way, or fed in from credentials and login
results, is scrubbed wherever else it appears (URLs, query strings, error descriptions, nested
strings, dict keys), in plain, URL-encoded, JSON- and HTML-escaped and base64 forms, case-folded,
glued to other letters or behind leading zeros (:mod:`jainam_validate.known`). Instrument ids,
ISINs, symbols, segments, prices and quantities stay: the P&L check needs them. The functions
here do no I/O; the same matcher also serves the leak guard, which reports instead of replacing.
"""

from __future__ import annotations

import base64
import hmac
import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, unquote

from jainam_validate.keys import (
    IDENTIFIER_KINDS,
    PLAIN,
    SECRET,
    SECRET_KEYS,
    is_listed,
    key_action,
    normalise_key,
)
from jainam_validate.known import Edge, Entry, KnownValues, Spans, edge_for
from jainam_validate.xts import PRO_CLIENT_ID

__all__ = [
    "IDENTIFIER_KINDS",
    "JWT_SHAPE",
    "PRO_CLIENT_PLACEHOLDER",
    "REDACTED",
    "SECRET_KEYS",
    "Match",
    "Redactor",
    "decode_layers",
    "encoded_forms",
    "escaped_forms",
    "normalise_key",
    "pseudonym",
]

REDACTED = "[redacted]"

#: XTS addresses a dealer's own (pro) account with this literal; it identifies nobody.
PRO_CLIENT_PLACEHOLDER = PRO_CLIENT_ID

#: Identifiers shorter than this are pseudonymised under their key but not hunted in free text
#: (a three-character code would match inside ordinary words); see the README's residual risks.
MIN_SCRUB_LENGTH = 4
MIN_NUMERIC_SCRUB_LENGTH = 6
#: Deeper JSON than this inside a string is not parsed (it is scrubbed as text instead).
MAX_NESTED_JSON_CHARS = 1_000_000

#: Anything shaped like a JWT is a session token, whoever issued it. The look-behind makes a
#: match start only where a run of token characters starts: linear on "eyJeyJeyJ...".
JWT_SHAPE = re.compile(
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
)
#: E-mail addresses. A match may start only where a run of local-part characters starts, so a
#: long text with an "@" costs one scan, not one per position (the old rule was quadratic).
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*"
    r"\.[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
_PAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{5}[0-9]{4}[A-Z](?![A-Za-z0-9])")
#: Characters a broker could put inside a value to split it past any matcher, none of them
#: visible or meaningful in market data: C0/C1 controls (but tab and line breaks), DEL,
#: format characters (zero-width, bidi, soft hyphen, BOM, tags) and noncharacters. Removed
#: from every string that is kept, before matching.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufdd0-\ufdef\ufff9-\ufffb"
    "\ufffe\uffff\U000e0000-\U000e007f\u034f\ufe00-\ufe0f\U000e0100-\U000e01ef"
    "\U0001d173-\U0001d17a\U00013430-\U0001343f]"
    # combining marks between two ASCII letters or digits: "JC4\u0301187" is JC4187 to a reader
    "|(?<=[A-Za-z0-9])[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]{1,32}"
    "(?=[A-Za-z0-9])"
)
#: ``key: value`` / ``key=value`` / ``"key": "value"`` (JSON-escaped quotes too) in free text:
#: how ids are learned from a body that is not JSON, and how ``audit`` finds raw ones.
KEY_VALUE = re.compile(
    r"(?:\\?[\"'](?P<qkey>[A-Za-z][A-Za-z0-9 _.-]{0,39})\\?[\"']|(?<![A-Za-z0-9_])"
    r"(?P<key>[A-Za-z][A-Za-z0-9_.-]{0,39}))"
    r"[ \t]{0,8}[:=][ \t]{0,8}\\?[\"']?(?P<value>[A-Za-z0-9@._+-]{1,128})"
)


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """Stable keyed pseudonym for ``value``: ``<kind>_<8 hex of HMAC-SHA256(key, kind:value)>``."""
    digest = hmac.digest(key, f"{kind}:{value}".encode(), "sha256")
    return f"{kind}_{digest[:4].hex()}"


_JSON_UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")


def decode_layers(text: str, rounds: int = 3) -> str:
    """Undo the encodings a broker page may wrap an echoed value in (HTML entities, numeric
    ones included; percent-encoding, twice over; JSON ``\\uXXXX``, ``\\/`` and ``\\"``), so a
    value is scrubbed however it was echoed. Used on error pages, never on data we keep."""
    for _ in range(rounds):
        decoded = html.unescape(unquote(text))
        decoded = _JSON_UNICODE.sub(lambda m: chr(int(m.group(1), 16)), decoded)
        decoded = decoded.replace("\\/", "/").replace('\\"', '"')
        if decoded == text:
            break
        text = decoded
    return text


#: Numbers under these keys are instruments, quantities or prices, never identifiers, even
#: when one equals a learned id (a 6-digit client code can equal a BSE scrip code).
_NOT_ID_NUMBERS = (
    "instrument",
    "quantity",
    "qty",
    "price",
    "amount",
    "value",
    "lot",
    "multiplier",
    "segment",
    "mtm",
    "time",
    "exp",
    "iat",
    "count",
    "mdp",
    "code",
    "rows",
    "bytes",
    "sample",
    "attempt",
    "status",
)


def escaped_forms(value: str) -> set[str]:
    """The forms a value takes when a broker echoes it: plain, URL-encoded, JSON-escaped
    (inside an error description), HTML-escaped (inside an error page)."""
    return {
        value,
        quote(value, safe=""),
        quote_plus(value, safe=""),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value, quote=True),
        html.escape(value, quote=True).replace("&#x27;", "&#39;"),
    }


def base64_forms(value: str) -> set[str]:
    """Standard and URL-safe base64, with the padding optional (it is matched as a prefix)."""
    raw = value.encode()
    return {
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


def encoded_forms(value: str) -> set[str]:
    """The forms a secret takes on the way to a file: the echoed forms, and base64."""
    return escaped_forms(value) | base64_forms(value)


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
        self._aliases: dict[tuple[str, str], str] = {}
        # Raw key -> PLAIN, SECRET, or the identifier kind; payload keys repeat per row.
        self._actions: dict[str, str] = {}
        self._noted: set[tuple[str, object]] = set()
        self._client_ids: set[str] = set()
        self._scrubbed: dict[str, str] = {}
        self._memo_generation = -1

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
                self._known.add(form, Entry(label, Edge.ANYWHERE, REDACTED))

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
            known = self._aliases.get((kind, str(value)))
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
        # A short all-digit id (a client code "2026") would match years and quantities in
        # free text: it is pseudonymised under its key, not hunted everywhere.
        # An all-letter id under 6 characters (a user "WIPRO") would match symbols and words.
        if text.isdigit() or (text.isalpha() and text.isascii()):
            minimum = MIN_NUMERIC_SCRUB_LENGTH
        else:
            minimum = MIN_SCRUB_LENGTH
        rule = f"identifier:{kind}"
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
        if len(text) < minimum or text == PRO_CLIENT_PLACEHOLDER:
            return text
        entry = Entry(rule, edge_for(text), None, kind, text)
        if not self._known.add(text, entry):
            return text
        forms = escaped_forms(text) | (base64_forms(text) if len(text) >= 6 else set())
        for form in forms - {text}:
            if len(form) >= MIN_SCRUB_LENGTH:
                self._known.add(form, Entry(rule, Edge.ANYWHERE, None, kind, text))
        return text

    def _alias_of(self, kind: str, text: str) -> str:
        alias = self._aliases.get((kind, text))
        if alias is None:
            alias = self._aliases[(kind, text)] = pseudonym(self._key, kind, text)
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
        # Cheap pre-checks first: these run on every string of every payload.
        families = (
            ("jwt", JWT_SHAPE, "eyJ" in text),
            ("email", _EMAIL, "@" in text),
            ("pan", _PAN, len(text) >= 10),
        )
        for rule, pattern, worth_it in families:
            taken.next_family()
            if not worth_it:
                continue
            for m in pattern.finditer(text):
                if not taken.overlaps(m.start(), m.end()):
                    taken.claim(m.start(), m.end())
                    yield Match(m.start(), m.end(), rule, REDACTED)
        taken.next_family()

    def _clean(self, text: str) -> bool:
        """Fast path: True when nothing in ``text`` can match (most strings of a payload)."""
        if len(text) < MIN_SCRUB_LENGTH:
            return not INVISIBLE.search(text)
        if "eyJ" in text or "@" in text or (len(text) >= 10 and _PAN.search(text)):
            return False
        if INVISIBLE.search(text):
            return False
        return not self._known.any_hit(text)

    def scrub(self, text: str) -> str:
        """``text`` without invisible characters, and with every known sensitive value
        replaced (a value split by a zero-width or control character is whole again first)."""
        if self._clean(text):
            return text
        if INVISIBLE.search(text):
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
    def _action(self, key: Any) -> str:
        """What to do with a key's value: PLAIN, SECRET, or an identifier kind."""
        action = self._actions.get(key)
        if action is None:
            action = key_action(key) if isinstance(key, str) else PLAIN
            if len(self._actions) < 10_000:
                self._actions[key] = action
        return action

    def learn(self, obj: Any) -> None:
        """Learn the secrets and identifiers held under sensitive keys anywhere in ``obj``,
        JSON held inside strings included."""
        stack = [obj]
        actions, noted = self._actions, self._noted
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                for key, value in item.items():
                    action = actions.get(key)
                    if action is None:
                        action = self._action(key)
                    if not action:
                        if isinstance(value, dict | list):
                            stack.append(value)
                        elif isinstance(value, str) and _json_like(value):
                            stack.append(_nested_json(value))
                    elif isinstance(value, dict):
                        stack.append(value)  # an object under an id or secret name: its keys say
                    elif action == SECRET:
                        for leaf in _scalars(value):
                            self.add_secret(str(leaf), label=f"secret:{normalise_key(str(key))}")
                    else:
                        hunted = is_listed(str(key))
                        for leaf in _scalars(value):
                            if (action, leaf) in noted:
                                continue
                            noted.add((action, leaf))
                            # a name the grammar caught: hunt its values only when they look
                            # like ids (a digit, an @), never a plain word such as WEBAPI
                            if hunted or _id_like(leaf):
                                self.note_identifier(leaf, action)
            elif isinstance(item, list):
                for child in item:
                    if isinstance(child, dict | list):
                        stack.append(child)
                    elif isinstance(child, str) and _json_like(child):
                        stack.append(_nested_json(child))

    def learn_text(self, text: str) -> None:
        """Learn ids and secrets from text that is not JSON (an error page, a cut-off or
        mis-encoded body, a description, a header value): every ``key: value`` pair whose key
        names one by the key rule, and, in prose or markup, every id-like token (a digit in
        it) within three words after such a name ("<th>Client ID</th><td>JC4187</td>",
        "Order No. 1100099124", "UserID(JC4188)")."""
        for m in KEY_VALUE.finditer(text):
            key = m.group("qkey") or m.group("key") or ""
            action = self._action(key)
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
                if any(c.isdigit() for c in token) and len(token) >= MIN_SCRUB_LENGTH:
                    for size in (1, 2, 3):
                        action = self._action(" ".join(recent[-size:])) if recent else PLAIN
                        if action and action != SECRET:
                            self.note_identifier(token.rstrip("._-"), action)
                            break
                recent = (recent + [token])[-3:]

    def redact(self, obj: Any) -> Any:
        """A copy of ``obj`` with sensitive keys replaced and every string scrubbed."""
        self.learn(obj)
        return self._transform(obj, self._memo())

    def redact_rows(
        self, rows: list[dict[str, Any]], identifier_fields: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """Redact normalised rows (flat dicts): identifier fields become pseudonyms of their
        kind, every other string is scrubbed. Call :meth:`learn` on the raw payload first."""
        memo = self._memo()
        out = []
        for row in rows:
            clean: dict[str, Any] = {}
            for key, value in row.items():
                kind = identifier_fields.get(key)
                if kind is not None and value is not None:
                    clean[key] = self.add_identifier(value, kind)
                elif isinstance(value, str):
                    clean[key] = (
                        value
                        if _NUMBER_TEXT.fullmatch(value) and _market_number_key(key)
                        else self._scrub_memo(value, memo)
                    )
                elif type(value) is int:
                    clean[key] = self._number(value, key)
                else:
                    clean[key] = value
            out.append(clean)
        return out

    def rescrub(self, obj: Any) -> Any:
        """Scrub every string (and known-id number) of an already redacted structure again
        with the current table, without re-applying key rules (their values are pseudonyms)."""
        memo = self._memo()
        if isinstance(obj, dict):
            return {
                self._scrub_memo(str(k), memo): (
                    self._number(v, str(k)) if type(v) is int else self.rescrub(v)
                )
                for k, v in obj.items()
            }
        if isinstance(obj, list | tuple):
            return [self.rescrub(item) for item in obj]
        if isinstance(obj, str):
            return self._scrub_memo(obj, memo)
        if type(obj) is int:
            return self._number(obj)
        return obj

    def scrub_strings(self, obj: Any) -> Any:
        """Scrub every string of a structure (keys too), leaving numbers as they are: for our
        own records, whose numbers are timings and counts, never broker ids."""
        if isinstance(obj, dict):
            return {self.scrub(str(k)): self.scrub_strings(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.scrub_strings(item) for item in obj]
        if isinstance(obj, str):
            return self.scrub(obj)
        return obj

    def _number(self, value: int, key: str = "") -> int | str:
        """A JSON number that is a known identifier under a key we do not list (say a
        ParentAppOrderID) becomes its pseudonym too; every other number stays a number, and
        so does any number under an instrument/quantity/price key."""
        if value < 10 ** (MIN_NUMERIC_SCRUB_LENGTH - 1) or not self._known:
            return value
        if key and _market_number_key(key):
            return value
        entry = self._known.get(str(value))
        if entry is None or entry.replacement is not None:
            return value
        return self._alias_of(entry.kind, entry.value)

    def _memo(self) -> dict[str, str]:
        """Scrub results by input text, valid while the table is unchanged: books repeat
        symbols, statuses and times across rows and samples."""
        generation = len(self._known)
        if generation != self._memo_generation or len(self._scrubbed) > 500_000:
            self._scrubbed = {}
            self._memo_generation = generation
        return self._scrubbed

    def _scrub_memo(self, text: str, memo: dict[str, str]) -> str:
        if len(text) < MIN_SCRUB_LENGTH:
            return text
        done = memo.get(text)
        if done is None:
            done = memo[text] = self.scrub(text)
        return done

    def _transform(self, obj: Any, memo: dict[str, str], depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            return REDACTED  # deeper than any real payload: nothing of it is kept
        if isinstance(obj, dict):
            out: dict[str, Any] = {}
            action_of = self._action
            for key, value in obj.items():
                action = action_of(key)
                safe_key = self._scrub_memo(key, memo) if isinstance(key, str) else str(key)
                if not isinstance(key, str):
                    safe_key = self._scrub_memo(safe_key, memo)
                if action == SECRET:
                    out[safe_key] = REDACTED if value not in (None, "") else value
                elif action:
                    hunt = isinstance(key, str) and is_listed(key)
                    out[safe_key] = self._alias(value, action, memo, depth, hunt)
                elif isinstance(value, str):
                    if _NUMBER_TEXT.fullmatch(value) and _market_number_key(str(key)):
                        out[safe_key] = value  # a quantity or a price, whatever id it equals
                    else:
                        out[safe_key] = self._text(value, memo, depth)
                elif isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
                    number = self._number(int(value), str(key))
                    out[safe_key] = value if isinstance(number, int) else number
                elif isinstance(value, dict | list | tuple):
                    out[safe_key] = self._transform(value, memo, depth + 1)
                elif type(value) is int:
                    out[safe_key] = self._number(value, str(key))
                else:
                    out[safe_key] = value
            return out
        if isinstance(obj, list | tuple):
            return [self._transform(item, memo, depth + 1) for item in obj]
        if isinstance(obj, str):
            return self._text(obj, memo, depth)
        if isinstance(obj, Mapping):
            return self._transform(dict(obj), memo, depth + 1)
        return obj

    def _text(self, text: str, memo: dict[str, str], depth: int) -> str:
        """A string value: JSON inside it is redacted by key and written back as JSON."""
        if _json_like(text):
            nested = _nested_json(text)
            if nested is not None:
                self.learn(nested)
                return json.dumps(
                    self._transform(nested, memo, depth + 1), ensure_ascii=False, sort_keys=True
                )
        return self._scrub_memo(text, memo)

    def _alias(self, value: Any, kind: str, memo: dict[str, str], depth: int, hunt: bool) -> Any:
        if value is None or value == "" or isinstance(value, bool):
            return value
        if isinstance(value, list | tuple):
            return [self._alias(item, kind, memo, depth + 1, hunt) for item in value]
        if isinstance(value, Mapping):
            return self._transform(value, memo, depth + 1)
        return self.add_identifier(value, kind, hunt=hunt or _id_like(value))


_MAX_DEPTH = 200


#: Markup, and the word-like tokens of what is left (prose ids are learned from these).
_TAG = re.compile(r"<[^<>]{0,256}>")
_PROSE_TOKEN = re.compile(r"[A-Za-z0-9@._+-]{1,128}")
#: Words a broker writes where a secret would be, which are not one.
_NOT_SECRET = frozenset(
    {"null", "none", "nil", "true", "false", "undefined", "expired", "invalid", "nan", "n/a",
     "[redacted]", "redacted", "***", "****", "*****", "bearer", "basic", "empty"}
)  # fmt: skip
#: Labels of values given to the redactor by the harness itself (credentials, tokens).
_CONFIGURED = frozenset({"secret:credential", "secret:token", "secret:configured"})
#: A decimal as market data writes it (quantities, prices): never scrubbed under such a key.
_NUMBER_TEXT = re.compile(r"-?[0-9][0-9,]*(?:\.[0-9]+)?")


def _json_like(text: str) -> bool:
    return len(text) >= 2 and text[0] in "{[" and text[-1] in "}]"


def _nested_json(text: str) -> Any:
    """The JSON inside a string, or None (too big, too deep, or not JSON)."""
    if len(text) > MAX_NESTED_JSON_CHARS:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


def _market_number_key(key: str) -> bool:
    folded = key.casefold()
    return any(word in folded for word in _NOT_ID_NUMBERS)


def _id_like(value: object) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    text = str(value)
    return any(c.isdigit() for c in text) or "@" in text


def _scalars(value: Any) -> Iterator[str | int | float]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str | int | float):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _scalars(item)
