"""What one login answer means for the pass: the ``result`` that holds its token, or the error.

Pure functions over a classified login attempt (its
:class:`~jainam_validate.client.RawExchange` and :class:`~jainam_validate.classify.Verdict`):
nothing here sends, records or learns anything. A refused login becomes the :mod:`errors`
exception whose exit code says why (no answer, not an XTS host, a failing broker, rejected
credentials); the caller passes what the message needs (the host, a scrub function and a
describer of the verdict) and raises it after the attempt has been recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jainam_validate import connection, errors
from jainam_validate.classify import Verdict
from jainam_validate.client import RawExchange
from jainam_validate.timing import Outcome

__all__ = ["accepted", "login_error", "login_result", "wrong_market_prefix"]

#: Replaces every known sensitive value in a text (``Redactor.scrub``).
Scrub = Callable[[str], str]
#: The error text of a verdict, scrubbed (``AttemptLog.describe``).
Describe = Callable[[Verdict], "str | None"]


def accepted(verdict: Verdict) -> Mapping[str, Any] | None:
    """The ``result`` of a login answered with success and a token; None otherwise."""
    if verdict.outcome is not Outcome.OK or verdict.envelope is None:
        return None
    result = verdict.envelope.get("result")
    return result if isinstance(result, Mapping) and result.get("token") else None


def wrong_market_prefix(raw: RawExchange) -> bool:
    """Whether a market-data login was answered as one sent under the wrong prefix."""
    # quirk XQ05: on smpb the standard prefix answers 404 and some hosts answer 400 "only
    # enabled for ctcl"; the other prefix is tried once and the one that answered kept.
    return raw.status == 404 or (raw.status == 400 and b"only enabled for ctcl" in raw.body.lower())


def login_error(
    raw: RawExchange,
    verdict: Verdict,
    *,
    which: str,
    route: str,
    host: str,
    scrub: Scrub,
    describe: Describe,
) -> errors.JainamError | None:
    """The error a login answer stands for (``which`` is "interactive" or "market-data"), or
    None when it was accepted with a token (:func:`accepted` then gives its result)."""
    if raw.failure is not None:
        return errors.UnreachableError(
            f"{which} login: {connection.words(raw.failure, raw.failure_reason)} "
            f"at {host}; {connection.fix(raw.failure, raw.failure_reason)}"
        )
    if verdict.outcome in (Outcome.TIMEOUT, Outcome.NETWORK_ERROR):
        return errors.UnreachableError(
            f"{which} login: no answer from {host} ({raw.error_class}); check "
            "JAINAM_BASE_URL, the network/VPN and that the host is up"
        )
    # the header value is broker text: scrubbed like the rest (ids in it were learned)
    content_type = scrub(raw.content_type or "without content type")
    not_xts = errors.NotAnXtsApi(
        f"{which} login: POST {route} on {host} answered HTTP {raw.status} "
        f"{content_type}, not XTS JSON; check "
        "JAINAM_BASE_URL (the broker root, e.g. https://smpb.jainam.in:4143)"
    )
    if raw.error_class is not None or raw.status in (429, 502, 503, 504):
        # a cut-off body or an overloaded gateway: the broker is there, but not answering
        return errors.BrokerError(f"{which} login: {scrub(describe(verdict) or 'no answer')}")
    if raw.status == 404:
        return not_xts  # JSON or not: that route does not exist on this host
    if verdict.envelope is None:
        # quirk XQ15: nginx answers plain HTTP on the TLS port with an HTML 400.
        if b"plain http request was sent to https port" in raw.body.lower():
            return errors.UnreachableError(
                f"{which} login: {host} expects HTTPS; use https:// in JAINAM_BASE_URL"
            )
        if raw.status is not None and raw.status < 500:
            return not_xts
        return errors.BrokerError(f"{which} login: {scrub(describe(verdict) or 'no answer')}")
    if verdict.outcome is Outcome.OK:
        if accepted(verdict) is not None:
            return None
        return errors.BrokerError(f"{which} login answered success without a token")
    described = scrub(verdict.error or "")
    # A rejection is a 4xx error envelope; a 200 with type "error" or a 5xx is the broker
    # failing, not the credentials.
    if raw.status is not None and 400 <= raw.status < 500:
        hint = (
            "JAINAM_INTERACTIVE_API_KEY/SECRET"
            if which == "interactive"
            else ("JAINAM_MARKET_API_KEY/SECRET")
        )
        return errors.AuthError(
            f"{which} login rejected ({described}); check {hint} "
            "(single-quote secrets in .env; `store-creds --check` shows what is used)"
        )
    return errors.BrokerError(f"{which} login failed: {described}")


def login_result(
    raw: RawExchange,
    verdict: Verdict,
    *,
    which: str,
    route: str,
    host: str,
    scrub: Scrub,
    describe: Describe,
) -> Mapping[str, Any]:
    """The ``result`` of an accepted login (it holds ``token``); raises :func:`login_error`'s
    error otherwise. The caller makes the token a known secret before it keeps anything."""
    error = login_error(
        raw, verdict, which=which, route=route, host=host, scrub=scrub, describe=describe
    )
    if error is not None:
        raise error
    result = accepted(verdict)
    assert result is not None  # login_error said so
    return result
