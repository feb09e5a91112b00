"""Redaction: turn broker payloads, URLs and error text into something safe to write or print.

Two mechanisms stack. By key (case-insensitive, ``_``/``-`` ignored): secrets become
``[redacted]`` and identifiers become stable keyed pseudonyms ``<kind>_<hex>`` (an HMAC under a
per-installation key), so rows stay joinable across files and runs without revealing anything.
By value: every secret and identifier learned that way, or fed in from credentials and login
results, is scrubbed wherever else it appears (URLs, query strings, error descriptions, nested
strings, dict keys), in plain, URL-encoded and case-folded forms. Instrument ids, ISINs,
symbols, segments, prices and quantities stay: the P&L check needs them. The functions here do
no I/O; the same matcher also serves the leak guard, which reports instead of replacing.
"""

from __future__ import annotations

import base64
import hmac
import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, unquote

REDACTED = "[redacted]"
_SECRET = "\x00secret"  # the action for secret keys (never a pseudonym kind)

#: XTS addresses a dealer's own (pro) account with this literal; it identifies nobody.
PRO_CLIENT_PLACEHOLDER = "*****"

#: Keys whose values are secrets: replaced by ``[redacted]``, never pseudonymised.
SECRET_KEYS = frozenset(
    {
        "token", "authorization", "appkey", "secretkey", "apikey", "apisecret", "secret",
        "accesspassword", "accesstoken", "uniquekey", "password", "loginpassword",
        "transactionpassword", "feedtoken", "markettoken", "interactivetoken", "sessiontoken",
        "publickey", "cookie", "setcookie",
    }
)  # fmt: skip

#: Keys whose values identify a person, an account, an order or a trade -> pseudonym kind.
IDENTIFIER_KINDS: Mapping[str, str] = {
    "userid": "user", "clientid": "client", "clientcode": "client", "clientcodes": "client",
    "accountid": "acct", "loginid": "login", "dealerid": "dealer", "clientname": "name",
    "apporderid": "order", "orderid": "order", "exchangeorderid": "xorder",
    "executionid": "exec", "exchangetradeid": "trade", "tradeid": "trade",
    "orderuniqueidentifier": "ouid", "orderreferenceid": "oref",
    "messagesynchronizeuniquekey": "msk", "pan": "pan", "panno": "pan", "pannumber": "pan",
    "email": "email", "emailid": "email", "mobile": "phone", "mobileno": "phone",
    "phone": "phone", "phoneno": "phone", "residentialaddress": "addr", "officeaddress": "addr",
    "dateofbirth": "dob", "ipaddress": "ip", "macid": "mac",
}  # fmt: skip

#: Identifiers shorter than this are pseudonymised under their key but not hunted in free text
#: (a three-character code would match inside ordinary words); see the README's residual risks.
MIN_SCRUB_LENGTH = 4
MIN_NUMERIC_SCRUB_LENGTH = 6

_TOKEN = re.compile(r"[A-Za-z0-9]{4,}")
_ALNUM_FULL = re.compile(r"[A-Za-z0-9]+\Z")
#: Anything shaped like a JWT is a session token, whoever issued it.
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{5}[0-9]{4}[A-Z](?![A-Za-z0-9])")


_NORMALISED: dict[str, str] = {}


def normalise_key(key: str) -> str:
    """``AppOrderID``, ``app_order_id`` and ``appOrderId`` all become ``apporderid``."""
    norm = _NORMALISED.get(key)
    if norm is None:
        norm = key.lower().replace("_", "").replace("-", "")
        if len(_NORMALISED) < 10_000:  # payload keys are few; never grow without bound
            _NORMALISED[key] = norm
    return norm


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """Stable keyed pseudonym for ``value``: ``<kind>_<8 hex of HMAC-SHA256(key, kind:value)>``."""
    digest = hmac.digest(key, f"{kind}:{value}".encode(), "sha256")
    return f"{kind}_{digest[:4].hex()}"


_JSON_UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")


def decode_layers(text: str, rounds: int = 3) -> str:
    """Undo the encodings a broker page may wrap an echoed value in (HTML entities, numeric
    ones included; percent-encoding, twice over; JSON ``\\uXXXX`` and ``\\/``), so a value
    is scrubbed however it was echoed. Used on error pages, never on data we keep."""
    for _ in range(rounds):
        decoded = html.unescape(unquote(text))
        decoded = _JSON_UNICODE.sub(lambda m: chr(int(m.group(1), 16)), decoded)
        decoded = decoded.replace("\\/", "/")
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


def encoded_forms(value: str) -> set[str]:
    """The forms a secret takes on the way to a file: the echoed forms, and base64."""
    raw = value.encode()
    return escaped_forms(value) | {
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


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
        # Alphanumeric identifiers, case-folded -> (kind, text): looked up per token.
        self._tokens: dict[str, tuple[str, str]] = {}
        # Everything else (secrets, ids with punctuation) -> matched by one compiled regex.
        self._complex: dict[str, tuple[str, str, bool]] = {}
        self._pattern: re.Pattern[str] | None = None
        self._lowered: dict[str, tuple[str, str, bool]] = {}
        self._aliases: dict[tuple[str, str], str] = {}
        # Raw key -> "" (plain), SECRET, or the identifier kind; payload keys repeat per row.
        self._actions: dict[str, str] = {}
        self._noted: set[tuple[str, object]] = set()
        self._client_ids: set[str] = set()
        self._scrubbed: dict[str, str] = {}
        self._memo_generation: tuple[int, int] = (-1, -1)

    # -- learning ---------------------------------------------------------------------------
    def add_secret(self, value: str | None, label: str = "secret") -> None:
        """Scrub ``value`` (and its encoded forms) everywhere from now on."""
        if not value or value == PRO_CLIENT_PLACEHOLDER:
            return
        for form in encoded_forms(value):
            if len(form) >= MIN_SCRUB_LENGTH and form not in self._complex:
                self._complex[form] = (REDACTED, label, False)
                self._pattern = None

    def add_identifier(self, value: object, kind: str) -> str:
        """Learn an identifier; return its pseudonym (the placeholder ``*****`` stays as is)."""
        known = self._aliases.get((kind, value))  # type: ignore[arg-type]  # ints hash too
        if known is not None:
            return known
        text = self.note_identifier(value, kind)
        if not text or text == PRO_CLIENT_PLACEHOLDER:
            return text
        alias = self._alias_of(kind, text)
        if isinstance(value, str | int) and not isinstance(value, bool):
            self._aliases[(kind, value)] = alias  # type: ignore[index]
        return alias

    def note_identifier(self, value: object, kind: str) -> str:
        """Learn an identifier without computing its pseudonym yet (payloads hold far more ids
        than ever reach a file); returns its text."""
        text = value.strip() if isinstance(value, str) else str(value).strip()
        # A short all-digit id (a client code "2026") would match years and quantities in
        # free text: it is pseudonymised under its key, not hunted everywhere.
        minimum = MIN_NUMERIC_SCRUB_LENGTH if text.isdigit() else MIN_SCRUB_LENGTH
        if kind == "client" and text != PRO_CLIENT_PLACEHOLDER and text not in self._client_ids:
            # However short, a client code is found by its context: clientID=ABC in a URL
            # echoed by an error page, or "clientID": "ABC" in a JSON body.
            self._client_ids.add(text)
            alias, rule = self._alias_of(kind, text), f"identifier:{kind}"
            # (matched case-insensitively: one spelling covers ClientId and clientid too)
            for form, replaced in (
                (f"clientID={text}", f"clientID={alias}"),
                (f'"clientID":"{text}"', f'"clientID":"{alias}"'),
                (f'"clientID": "{text}"', f'"clientID": "{alias}"'),
            ):
                self._complex.setdefault(form, (replaced, rule, True))
            self._pattern = None
        if len(text) >= minimum and text != PRO_CLIENT_PLACEHOLDER:
            if _ALNUM_FULL.match(text):
                self._tokens.setdefault(text.casefold(), (kind, text))
            elif text not in self._complex:
                alias, rule = self._alias_of(kind, text), f"identifier:{kind}"
                for form in escaped_forms(text):
                    if form not in self._complex:
                        self._complex[form] = (alias, rule, True)
                        self._pattern = None
        return text

    def _alias_of(self, kind: str, text: str) -> str:
        alias = self._aliases.get((kind, text))
        if alias is None:
            alias = self._aliases[(kind, text)] = pseudonym(self._key, kind, text)
        return alias

    @property
    def known_count(self) -> int:
        return len(self._tokens) + len(self._complex)

    # -- matching ---------------------------------------------------------------------------
    def _complex_pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._complex:
            parts = []
            for form in sorted(self._complex, key=len, reverse=True):
                escaped = re.escape(form)
                if self._complex[form][2]:  # identifiers need word edges, secrets do not
                    escaped = rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
                parts.append(escaped)
            self._pattern = re.compile("|".join(parts), re.IGNORECASE)
            self._lowered = {k.casefold(): v for k, v in self._complex.items()}
        return self._pattern

    def matches(self, text: str) -> Iterator[Match]:
        """Every sensitive value in ``text``, leftmost first, non-overlapping per rule family."""
        pattern = self._complex_pattern()
        taken: list[tuple[int, int]] = []
        if pattern is not None:
            for m in pattern.finditer(text):
                replacement, rule, _ = self._lowered.get(
                    m.group().casefold(), (REDACTED, "secret", False)
                )
                taken.append((m.start(), m.end()))
                yield Match(m.start(), m.end(), rule, replacement)
        # Cheap pre-checks first: these run on every string of every payload.
        if "eyJ" in text:
            for m in JWT_SHAPE.finditer(text):
                if not _overlaps(taken, m.start(), m.end()):
                    taken.append((m.start(), m.end()))
                    yield Match(m.start(), m.end(), "jwt", REDACTED)
        if self._tokens:
            tokens = self._tokens
            for m in _TOKEN.finditer(text):
                hit = tokens.get(m.group().casefold())
                if hit is not None and not _overlaps(taken, m.start(), m.end()):
                    kind, raw = hit
                    yield Match(m.start(), m.end(), f"identifier:{kind}", self._alias_of(kind, raw))
        if "@" in text:
            for m in _EMAIL.finditer(text):
                if not _overlaps(taken, m.start(), m.end()):
                    taken.append((m.start(), m.end()))
                    yield Match(m.start(), m.end(), "email", REDACTED)
        if len(text) >= 10:
            for m in _PAN.finditer(text):
                if not _overlaps(taken, m.start(), m.end()):
                    taken.append((m.start(), m.end()))
                    yield Match(m.start(), m.end(), "pan", REDACTED)

    def _clean(self, text: str) -> bool:
        """Fast path: True when nothing in ``text`` can match (most strings of a payload)."""
        if len(text) < MIN_SCRUB_LENGTH:
            return True
        pattern = self._complex_pattern()
        if pattern is not None and pattern.search(text):
            return False
        if "eyJ" in text or "@" in text or (len(text) >= 10 and _PAN.search(text)):
            return False
        tokens = self._tokens
        if tokens:
            if _ALNUM_FULL.match(text):
                return text.casefold() not in tokens
            return not any(t.casefold() in tokens for t in _TOKEN.findall(text))
        return True

    def scrub(self, text: str) -> str:
        """``text`` with every known sensitive value replaced."""
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

    # -- payloads ---------------------------------------------------------------------------
    def _action(self, key: Any) -> str:
        """What to do with a key's value: "" keep, SECRET, or an identifier kind."""
        action = self._actions.get(key)
        if action is None:
            norm = normalise_key(key) if isinstance(key, str) else str(key)
            action = _SECRET if norm in SECRET_KEYS else IDENTIFIER_KINDS.get(norm, "")
            if len(self._actions) < 10_000:
                self._actions[key] = action
        return action

    def learn(self, obj: Any) -> None:
        """Learn the secrets and identifiers held under sensitive keys anywhere in ``obj``."""
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
                    elif action == _SECRET:
                        for leaf in _scalars(value):
                            self.add_secret(str(leaf), label=f"secret:{normalise_key(str(key))}")
                    elif type(value) is str or type(value) is int:  # the common case, inline
                        if (action, value) not in noted:
                            noted.add((action, value))
                            self.note_identifier(value, action)
                    else:
                        for leaf in _scalars(value):
                            self.note_identifier(leaf, action)
            elif isinstance(item, list):
                stack.extend(c for c in item if isinstance(c, dict | list))

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
                    clean[key] = self._scrub_memo(value, memo)
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

    def _number(self, value: int, key: str = "") -> int | str:
        """A JSON number that is a known identifier under a key we do not list (say a
        ParentAppOrderID) becomes its pseudonym too; every other number stays a number, and
        so does any number under an instrument/quantity/price key."""
        if value < 10 ** (MIN_NUMERIC_SCRUB_LENGTH - 1) or not self._tokens:
            return value
        if key and any(word in key.casefold() for word in _NOT_ID_NUMBERS):
            return value
        hit = self._tokens.get(str(value))
        return value if hit is None else self._alias_of(*hit)

    def _memo(self) -> dict[str, str]:
        """Scrub results by input text, valid while the table is unchanged: books repeat
        symbols, statuses and times across rows and samples."""
        generation = (len(self._tokens), len(self._complex))
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

    def _transform(self, obj: Any, memo: dict[str, str]) -> Any:
        if isinstance(obj, dict):
            out: dict[str, Any] = {}
            action_of = self._action
            for key, value in obj.items():
                action = action_of(key)
                safe_key = self._scrub_memo(key, memo) if isinstance(key, str) else str(key)
                if action == _SECRET:
                    out[safe_key] = REDACTED if value not in (None, "") else value
                elif action:
                    out[safe_key] = self._alias(value, action, memo)
                elif isinstance(value, str):
                    out[safe_key] = self._scrub_memo(value, memo)
                elif isinstance(value, dict | list | tuple):
                    out[safe_key] = self._transform(value, memo)
                elif type(value) is int:
                    out[safe_key] = self._number(value, str(key))
                else:
                    out[safe_key] = value
            return out
        if isinstance(obj, list | tuple):
            return [self._transform(item, memo) for item in obj]
        if isinstance(obj, str):
            return self._scrub_memo(obj, memo)
        if isinstance(obj, Mapping):
            return self._transform(dict(obj), memo)
        return obj

    def _alias(self, value: Any, kind: str, memo: dict[str, str]) -> Any:
        if value is None or value == "" or isinstance(value, bool):
            return value
        if isinstance(value, list | tuple):
            return [self._alias(item, kind, memo) for item in value]
        if isinstance(value, Mapping):
            return self._transform(value, memo)
        return self.add_identifier(value, kind)


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < e and s < end for s, e in spans)


def _scalars(value: Any) -> Iterator[str | int | float]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str | int | float):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _scalars(item)
