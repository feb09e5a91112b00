"""The forms a sensitive value takes on its way to a broker's answer or a file, and undoing them.

A broker echoes what it was sent: plainly, URL-encoded in a query string, JSON-escaped inside an
error description, HTML-escaped inside an error page, and a token may travel base64-encoded.
:func:`escaped_forms`, :func:`base64_forms` and :func:`encoded_forms` list the forms a value is
learned in, so it is found in each; :func:`decode_layers` goes the other way, undoing the
encodings an error page wraps an echoed value in, so the leak scanner and the harness see the
value however it was echoed. Pure functions, no state.
"""

from __future__ import annotations

import binascii
import html
import json
import re
from urllib.parse import quote, quote_plus, unquote

__all__ = ["base64_forms", "decode_layers", "encoded_forms", "escape_proof", "escaped_forms"]

_URLSAFE = bytes.maketrans(b"+/", b"-_")
_JSON_UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")
#: Text no escaping changes: URL quoting keeps ASCII letters, digits and ``_.-~`` as they are,
#: and JSON and HTML escaping touch none of them. Most ids are this.
_ESCAPE_PROOF = re.compile(r"[A-Za-z0-9_.~-]*")


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


def escape_proof(value: str) -> bool:
    """No escaping (URL, JSON, HTML) changes ``value``."""
    return _ESCAPE_PROOF.fullmatch(value) is not None


def escaped_forms(value: str) -> set[str]:
    """The forms a value takes when a broker echoes it: plain, URL-encoded, JSON-escaped
    (inside an error description), HTML-escaped (inside an error page)."""
    if _ESCAPE_PROOF.fullmatch(value):
        return {value}
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
    standard = binascii.b2a_base64(value.encode(), newline=False).rstrip(b"=")
    # the two alphabets differ in "+" and "/" only, which ASCII letters and digits never give
    return {standard.decode(), standard.translate(_URLSAFE).decode()}


def encoded_forms(value: str) -> set[str]:
    """The forms a secret takes on the way to a file: the echoed forms, and base64."""
    return escaped_forms(value) | base64_forms(value)
