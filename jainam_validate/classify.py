"""Decide what one XTS answer means: ``ok``, an empty book, an auth failure, an HTTP error.

Pure functions over a :class:`~jainam_validate.client.RawExchange`. XTS signals most things
in the JSON envelope (``type``, ``code``, ``description``) rather than in the status line, and
several of its signals look like something else; each such branch names the quirk it handles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jainam_validate import connection
from jainam_validate.client import RawExchange
from jainam_validate.decoding import decode, parse_json
from jainam_validate.timing import Outcome
from jainam_validate.xts import BOOKS, DATA_NOT_AVAILABLE_CODES, INVALID_TOKEN_CODE

BOOK_FLOWS = frozenset(BOOKS)

SNIPPET_CHARS = 160
_BODY_TEXT_BYTES = 64 * 1024  # enough of an error page to scrub before cutting the snippet


@dataclass(frozen=True)
class Verdict:
    """What an attempt means, plus the parsed envelope when there was one."""

    outcome: Outcome
    envelope: dict[str, Any] | None
    code: str | None
    error: str | None  # raw text: scrub before writing
    body_text: str | None = None  # a non-JSON body, raw: scrub first, then cut (Redactor.cut)


def is_json_content(content_type: str | None) -> bool:
    return content_type is not None and "json" in content_type.lower()


def is_invalid_token(envelope: dict[str, Any]) -> bool:
    code = str(envelope.get("code") or "").casefold()
    description = str(envelope.get("description") or "").casefold()
    return code == INVALID_TOKEN_CODE or "invalid token" in description


def is_data_not_available(envelope: dict[str, Any]) -> bool:
    code = str(envelope.get("code") or "").casefold()
    description = str(envelope.get("description") or "").casefold()
    return code in DATA_NOT_AVAILABLE_CODES or "data not available" in description


def json_object(raw: RawExchange) -> dict[str, Any] | Verdict:
    """The answer's JSON object, or the verdict for a body that is none: an HTTP error from
    400, else a bad response, with the start of the body kept to be scrubbed and quoted."""
    assert raw.status is not None
    envelope: Any = None
    if is_json_content(raw.content_type):
        try:
            envelope = parse_json(raw.body)
        except (ValueError, RecursionError):
            envelope = None
    if isinstance(envelope, dict):
        return envelope
    outcome = Outcome.HTTP_ERROR if raw.status >= 400 else Outcome.BAD_RESPONSE
    kind = "non-JSON" if envelope is None else "not a JSON object"
    return Verdict(
        outcome,
        None,
        None,
        f"HTTP {raw.status} {kind} body ({raw.content_type or 'no content type'})",
        body_text=decode(raw.body[:_BODY_TEXT_BYTES])[0],
    )


def classify(raw: RawExchange) -> Verdict:
    """Classify one attempt. Never raises."""
    if raw.status is None:
        outcome = Outcome.TIMEOUT if raw.timed_out else Outcome.NETWORK_ERROR
        if raw.failure is not None:  # DNS, refused, TLS or a connect time-out, told apart
            told = connection.words(raw.failure, raw.failure_reason)
            return Verdict(outcome, None, None, f"{raw.error_class}: {told}; no HTTP response")
        return Verdict(outcome, None, None, f"{raw.error_class}: no HTTP response")
    if raw.error_class is not None:
        outcome = Outcome.TIMEOUT if raw.timed_out else Outcome.BAD_RESPONSE
        return Verdict(
            outcome, None, None, f"HTTP {raw.status}: body not fully read ({raw.error_class})"
        )
    envelope = json_object(raw)
    if isinstance(envelope, Verdict):
        # quirk XQ16: nginx (404, 502, HTTP-to-HTTPS) and Express (holdings 500) answer with HTML.
        return envelope
    code = str(envelope.get("code")) if envelope.get("code") is not None else None
    described = f"HTTP {raw.status} {code or '-'}: {envelope.get('description') or ''}".strip()
    if is_invalid_token(envelope):
        return Verdict(Outcome.AUTH_ERROR, envelope, code, described)
    if raw.status == 400 and raw.flow in BOOK_FLOWS and is_data_not_available(envelope):
        return Verdict(Outcome.EMPTY, envelope, code, None)
    if raw.status >= 400:
        return Verdict(Outcome.HTTP_ERROR, envelope, code, described)
    # quirk XQ07: success is decided by "type", never by the code prefix (md login's success code
    # is e-response-0010).
    if str(envelope.get("type", "")).casefold() != "success":
        return Verdict(Outcome.HTTP_ERROR, envelope, code, described + " (type is not success)")
    return Verdict(Outcome.OK, envelope, code, None)
