"""The leak rules: every pattern that marks text as sensitive, in one ordered list for the
redactor and the leak scanner.

Both run the run's known values first (:mod:`jainam_validate.known`), then :data:`RULES`, most
specific first; a rule's matches claim their text from the rules after it. The first rules are
shapes a secret has whoever issued it (a JWT, an e-mail address, a PAN): the redactor replaces
their matches with :data:`REDACTED` and the scanner reports them. The rest only the scanner runs,
since their matches are judged, not replaced: ``secret=``/``token:`` assignments whose value is
not one of our own placeholders, an identifier under an id-like key (:data:`KEY_VALUE`, by the
key rule of :mod:`jainam_validate.keys`) whose value is not a pseudonym, and long high-entropy
tokens. Also here: the invisible characters removed before matching (:data:`INVISIBLE`) and the
``key: value`` grammar of free text, which the redactor learns ids from. Every rule runs in time
linear in the text. On a long text (a 40 MB sample of a 100,000-row book) a regex tried at every
position costs seconds, so the rules that allow it first find where a match could start with
byte-level searches (``bytes.translate``, ``bytes.find``: C loops over a one-byte-per-character
copy of the text) and try their regex only there; what they report is still the regex's own
matches, in the same order, which the tests compare on every text they have.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from jainam_validate.keys import KeyMemo
from jainam_validate.xts import PRO_CLIENT_ID

__all__ = [
    "INVISIBLE",
    "JWT_SHAPE",
    "KEY_VALUE",
    "REDACTED",
    "REPORTED",
    "has_invisible",
    "RULES",
    "SHAPES",
    "Rule",
    "shannon_bits",
    "shapeless",
]

REDACTED = "[redacted]"

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
_INVISIBLE_CHARS = (
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufdd0-\ufdef\ufff9-\ufffb"
    "\ufffe\uffff\U000e0000-\U000e007f\u034f\ufe00-\ufe0f\U000e0100-\U000e01ef"
    "\U0001d173-\U0001d17a\U00013430-\U0001343f]"
)
_COMBINING = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
INVISIBLE = re.compile(
    _INVISIBLE_CHARS
    # combining marks between two ASCII letters or digits: "JC4\u0301187" is JC4187 to a reader
    + f"|(?<=[A-Za-z0-9]){_COMBINING}{{1,32}}(?=[A-Za-z0-9])"
)
#: Every character an INVISIBLE match can hold: no match without one of them.
_INVISIBLE_OR_COMBINING = re.compile(f"{_INVISIBLE_CHARS[:-1]}{_COMBINING[1:-1]}]")
#: The invisible characters that are ASCII: C0 controls but tab and line breaks, and DEL.
_ASCII_INVISIBLE = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def has_invisible(text: str) -> bool:
    """``INVISIBLE.search(text)``, without trying the look-behind at every position: in ASCII
    text only the controls can match (counted in C); otherwise one of the characters a match
    holds must be there before the whole pattern is worth trying."""
    if text.isascii():
        for start in range(0, len(text), WINDOW):  # (a window at a time: no 40 MB copy)
            raw = text[start : start + WINDOW].encode("ascii")
            if len(raw.translate(None, _ASCII_INVISIBLE)) != len(raw):
                return True
        return False
    if _INVISIBLE_OR_COMBINING.search(text) is None:
        return False
    return INVISIBLE.search(text) is not None


#: ``key: value`` / ``key=value`` / ``"key": "value"`` (JSON-escaped quotes too) in free text:
#: how ids are learned from a body that is not JSON, and how ``audit`` finds raw ones.
#: (The bare key's first letter comes before the look-behind that says a word starts there:
#: the same matches, but the engine skips every position that is no letter or quote at once.)
KEY_VALUE = re.compile(
    r"(?:\\?[\"'](?P<qkey>[A-Za-z][A-Za-z0-9 _.-]{0,39})\\?[\"']|"
    r"(?P<key>[A-Za-z](?<![A-Za-z0-9_][A-Za-z])[A-Za-z0-9_.-]{0,39}))"
    r"[ \t]{0,8}[:=][ \t]{0,8}\\?[\"']?(?P<value>[A-Za-z0-9@._+-]{1,128})"
)


#: Texts shorter than this go straight to the regex: the byte-level search costs more to set up.
PREFILTER_CHARS = 4096
#: Non-ASCII characters that match an ASCII letter under ``re.IGNORECASE`` (İ ı ſ K): a
#: case-insensitive rule's byte-level search must see them as the letter they match.
_CASE_TWINS = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}


#: Long texts are encoded this many characters at a time.
WINDOW = 1 << 20


def byte_classes(text: str, table: bytes) -> bytearray:
    """``text`` one byte per character (ASCII as it is, any other character ``?``, so offsets
    stay) mapped through ``table``; encoded a window at a time, so a 40 MB sample never has a
    whole encoded copy beside the result."""
    out = bytearray(len(text))
    for start in range(0, len(text), WINDOW):
        piece = text[start : start + WINDOW]
        out[start : start + len(piece)] = piece.encode("ascii", "replace").translate(table)
    return out


def _table(classes: dict[bytes, bytes]) -> bytes:
    """A ``bytes.translate`` table: each listed byte to its class letter, the rest to ``.``."""
    table = bytearray(b"." * 256)
    for members, letter in classes.items():
        for byte in members:
            table[byte] = letter[0]
    return bytes(table)


_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = b"0123456789"
_LOWER = b"abcdefghijklmnopqrstuvwxyz"


_ASCII_LOWER = bytes.maketrans(_UPPER, _LOWER)


def _finds(haystack: bytes | bytearray, needle: bytes) -> Iterator[int]:
    """Every start of ``needle`` in ``haystack``, overlapping ones included, in order."""
    start = haystack.find(needle)
    while start != -1:
        yield start
        start = haystack.find(needle, start + 1)


def _matches_at(
    pattern: re.Pattern[str], text: str, starts: Iterable[int]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, tried only at ``starts`` (ascending, a superset of where a
    match can start): a match at a start is the one ``finditer`` would find there (look-behinds
    see the text before it), and, as ``finditer`` does, the next one starts after it ends."""
    pos = 0
    for start in starts:
        if start < pos:
            continue
        m = pattern.match(text, start)
        if m is not None:
            yield m
            pos = max(m.end(), start + 1)


def _prefiltered(
    pattern: re.Pattern[str], text: str, starts: Callable[[str], Iterable[int]]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``: as it is on a short text, tried only at ``starts(text)`` (a
    superset of where a match can start) on a long one."""
    if len(text) < PREFILTER_CHARS:
        return pattern.finditer(text)
    return _matches_at(pattern, text, starts(text))


@dataclass(frozen=True)
class Rule:
    """One pattern rule: its name in findings, and ``spans(text, keys)``, the spans it flags
    in order with its own exceptions applied (whether an earlier rule claimed a span is the
    caller's to check); ``keys`` answers the key rule for the caller's run. ``redacts``: the
    redactor replaces what the rule finds; the scanner reports what every rule finds."""

    name: str
    spans: Callable[[str, KeyMemo], Iterator[tuple[int, int]]]
    redacts: bool = False


# -- shapes: replaced by the redactor, reported by the scanner -------------------------------
# Each runs only past a cheap pre-check: the redactor tries them on every string it scrubs.
def _jwts(text: str, keys: KeyMemo) -> Iterator[tuple[int, int]]:
    if "eyJ" in text:
        for m in JWT_SHAPE.finditer(text):
            yield m.span()


def _emails(text: str, keys: KeyMemo) -> Iterator[tuple[int, int]]:
    if "@" in text:
        for m in _EMAIL.finditer(text):
            yield m.span()


_PAN_CLASSES = _table({_UPPER: b"U", _DIGITS: b"d"})


def _pans(text: str, keys: KeyMemo) -> Iterator[tuple[int, int]]:
    if len(text) < 10:
        return
    for m in _prefiltered(_PAN, text, _pan_starts):
        yield m.span()


def _pan_starts(text: str) -> Iterator[int]:
    """A PAN is five capitals, four digits, a capital: where that shape stands."""
    return _finds(byte_classes(text, _PAN_CLASSES), b"UUUUUddddU")


def shapeless(text: str) -> bool:
    """True when no shape rule can match ``text``. The redactor's fast path asks this of every
    string of every payload, so it is one expression, not a loop over :data:`SHAPES`: the
    pre-checks of the shapes above, and a search for the PAN, whose pre-check (ten characters)
    nearly every string passes. A new shape needs its test here too."""
    return not ("eyJ" in text or "@" in text or (len(text) >= 10 and _PAN.search(text)))


# -- reported only: judged by the scanner, never replaced ------------------------------------
_ASSIGNMENT = re.compile(
    r"(?i)(?<![a-z0-9])(?:secret|secret_?key|app_?key|api_?key|api_?secret|password|passwd|"
    r"access_?token|auth_?token|session_?token|token|authorization)(?![a-z0-9])"
    r"[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?(?:bearer[ \t]{1,8})?([^\s\"'&,;<>|)}\]]{6,256})"
)
#: Our own rule names, as findings and leak-stop messages quote them: never a secret.
_OWN_RULE = re.compile(r"(?:encoded:)?(?:secret|identifier):[a-z0-9_]{1,40}")
_PLACEHOLDERS = frozenset(
    {REDACTED.casefold(), "<redacted>", "***", PRO_CLIENT_ID, "null", "none", "true",
     "false", "undefined", "expired", "invalid", "env", ".env", "keyring", "sim", "replay"}
)  # fmt: skip
_PSEUDONYM = re.compile(r"[a-z]+_[0-9a-f]{8}\Z")
#: Values after an id-like key that are not ids: an IP or host:port, a decimal, a timestamp.
_NOT_AN_ID = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?|-?\d+\.\d+|\d{4}-\d\d-\d\d\S*")
#: Our normalised row fields that hold pseudonyms (the key rule does not name them all).
_OWN_ID_FIELDS = frozenset({"order", "exchange_order", "execution", "account", "client"})
# a pseudonym cut by a snippet ("client_9e…") is still ours
_PSEUDONYM_PREFIX = re.compile(r"[a-z]+(?:_[0-9a-f]{0,8})?…?\Z")
_ID_PLACEHOLDERS = frozenset(
    {PRO_CLIENT_ID, "…", "null", "none", "", "[redacted]", "sha256sums"}  # (our checksum file)
)
# "/" is left out so paths (evidence/<run-id>/samples/...) are not one long token.
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+_-])[A-Za-z0-9+_-]{28,}={0,2}(?![A-Za-z0-9+_=-])")
_HEX = re.compile(r"[0-9a-fA-F]+\Z")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}\Z")
ENTROPY_BITS = 4.0
HEX_ENTROPY_BITS = 3.0


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


#: Every name of :data:`_ASSIGNMENT` holds one of these, at most ``_ANCHOR_LEAD`` characters
#: after the name's start ("session_token": "token" at 8).
_ANCHORS = (b"secret", b"key", b"passw", b"token", b"authorization")
_ANCHOR_LEAD = 8


def _assignment_starts(text: str) -> list[int]:
    """Where an assignment can start: up to ``_ANCHOR_LEAD`` before each anchor word, found
    in a lower-cased byte copy (with the letters IGNORECASE matches outside ASCII folded in)."""
    if not text.isascii() and any(chr(c) in text for c in _CASE_TWINS):
        text = text.translate(_CASE_TWINS)
    folded = byte_classes(text, _ASCII_LOWER)
    anchors = sorted(a for word in _ANCHORS for a in _finds(folded, word))
    starts: list[int] = []
    for anchor in anchors:
        first = max(anchor - _ANCHOR_LEAD, starts[-1] + 1 if starts else 0)
        starts.extend(range(first, anchor + 1))
    return starts


def _assignments(text: str, keys: KeyMemo) -> Iterator[tuple[int, int]]:
    for m in _prefiltered(_ASSIGNMENT, text, _assignment_starts):
        value = m.group(1)
        if value.casefold() in _PLACEHOLDERS or _PSEUDONYM.match(value):
            continue
        if value.startswith(REDACTED[:-1]) or _OWN_RULE.fullmatch(value):
            continue
        if _OWN_RULE.fullmatch(text[m.start() : m.end(1)].strip("'\"")):
            continue  # "secret:credential" is the name of a rule, not an assignment
        yield m.span(1)


def _raw_id(key: str, value: str, keys: KeyMemo) -> str | None:
    """The value of a ``key: value`` pair if it is an identifier left raw, else None."""
    # every "key": value pair of a JSON file matches: the key is judged first, cheaply
    if not (keys.is_identifier(key) or key.casefold() in _OWN_ID_FIELDS):
        return None
    value = value.rstrip(".:!?")  # "Invalid clientID: client_f1d0ec6a."
    if value.casefold() in _ID_PLACEHOLDERS or _PSEUDONYM_PREFIX.match(value):
        return None
    if _NOT_AN_ID.fullmatch(value):
        return None
    # ids carry digits (JC4187, 1100012345); prose ("account: books") does not
    return value if any(c.isdigit() for c in value) else None


#: Our own check names (JUnit's ``<testcase name="iv2:holdings">``: the pair rule's value
#: stops at the colon, and "iv2" holds a digit): never an identifier.
_OWN_CHECK = re.compile(r"iv2:(?:positions|holdings|tradebook)\b")


#: A host name (two labels or more) and a port, written together: "api.broker.invalid:4143".
_HOST_PORT = re.compile(r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+:(\d{1,5})\Z")


def _host_port(pair: str) -> bool:
    m = _HOST_PORT.match(pair)
    return m is not None and int(m.group(1)) <= 65535


#: A long text is judged in pieces of about this many characters, cut at line breaks.
_PIECE_CHARS = 1 << 20


def _pieces_with_raw_ids(text: str, keys: KeyMemo) -> Iterator[tuple[int, int]]:
    """The pieces of ``text`` (cut at line breaks) holding a pair :func:`_raw_id` flags.
    A ``key: value`` match never holds a line break, so a piece is matched line by line as it
    would be in the whole text; ``findall`` builds each piece's pairs in C, and a JSON file of
    a million pairs, none of them raw, costs no match object at all."""
    start = 0
    while start < len(text):
        cut = text.find("\n", start + _PIECE_CHARS)
        end = len(text) if cut == -1 else cut
        # each distinct line once: a pair never spans lines, and a JSON file repeats its
        # lines ("side": "BUY", "segment": "NSECM") on every row
        lines = "\n".join(set(text[start:end].split("\n")))
        pairs = KEY_VALUE.findall(lines)
        if any(_raw_id(qkey or key, value, keys) for qkey, key, value in pairs):
            yield start, end
        start = end + 1


def _raw_identifiers(text: str, keys: KeyMemo) -> Iterator[tuple[int, int]]:
    if len(text) < PREFILTER_CHARS:
        pieces: Iterable[tuple[int, int]] = ((0, len(text)),)
    else:
        pieces = _pieces_with_raw_ids(text, keys)
    for start, end in pieces:
        for m in KEY_VALUE.finditer(text, start, end):
            if m.group("key") and _host_port(m.group(0)):
                continue  # smpb.jainam.invalid:4143 is a host and its port, not "key: id"
            value = _raw_id(m.group("qkey") or m.group("key") or "", m.group("value"), keys)
            if value is not None and not _OWN_CHECK.match(text, m.start("value")):
                at = m.start("value")
                yield at, at + len(value)


_TOKEN_CLASSES = _table({_UPPER + _LOWER + _DIGITS + b"+_-": b"a"})
_TOKEN_RUN = re.compile(rb"a+")
_MIN_TOKEN = b"a" * 28


def _token_starts(text: str) -> Iterator[int]:
    """The start of every run of token characters at least 28 long (no candidate starts
    anywhere else: the look-behind wants a run's start, the run wants 28)."""
    classes = byte_classes(text, _TOKEN_CLASSES)
    start = classes.find(_MIN_TOKEN)
    while start != -1:
        yield start
        end = _TOKEN_RUN.match(classes, start)
        start = classes.find(_MIN_TOKEN, end.end() if end else start + 1)


def _high_entropy_tokens(text: str, keys: KeyMemo) -> Iterator[tuple[int, int]]:
    for m in _prefiltered(_CANDIDATE, text, _token_starts):
        if _high_entropy(m.group()):
            yield m.span()


#: Every pattern rule, most specific first; the shapes (``redacts``) come before the rest.
RULES: tuple[Rule, ...] = (
    Rule("jwt", _jwts, redacts=True),
    Rule("email", _emails, redacts=True),
    Rule("pan", _pans, redacts=True),
    Rule("assignment", _assignments),
    Rule("unredacted-identifier", _raw_identifiers),
    Rule("high-entropy", _high_entropy_tokens),
)
#: The rules the redactor runs (and replaces what they find): the shapes.
SHAPES: tuple[Rule, ...] = tuple(rule for rule in RULES if rule.redacts)
#: The rules only the scanner runs, after the redactor's matches.
REPORTED: tuple[Rule, ...] = tuple(rule for rule in RULES if not rule.redacts)
