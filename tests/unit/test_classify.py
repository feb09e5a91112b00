from __future__ import annotations

import json

import pytest

from jainam_validate.classify import classify
from jainam_validate.client import RawExchange
from jainam_validate.timing import Outcome


def raw(
    flow: str,
    status: int | None,
    body: object = None,
    ctype: str = "application/json",
    **kw: object,
) -> RawExchange:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = RawExchange(
        flow=flow,
        method="GET",
        route="/x",
        query_keys=[],
        requested_at="t",
        started=0.0,
        status=status,
        content_type=ctype if status else None,
        body=data if status else b"",
    )
    for k, v in kw.items():
        setattr(r, k, v)
    return r


def env(type_: str, code: str, description: str) -> dict[str, object]:
    return {"type": type_, "code": code, "description": description, "result": {}}


@pytest.mark.parametrize(
    ("flow", "code"),
    [
        ("positions", "e-portfolio-0005"),
        ("tradebook", "e-tradeBook-0005"),
        ("holdings", "e-holdings-0005"),
        ("tradebook", "e-orders-0005"),
    ],
)
def test_data_not_available_on_a_book_is_an_empty_book(flow: str, code: str) -> None:
    verdict = classify(raw(flow, 400, env("error", code, "Data Not Available")))
    assert verdict.outcome is Outcome.EMPTY
    assert verdict.error is None


def test_data_not_available_text_with_an_unknown_code_is_still_empty() -> None:
    verdict = classify(raw("positions", 400, env("error", "e-xyz-0099", "data not available")))
    assert verdict.outcome is Outcome.EMPTY


def test_a_login_error_ending_in_0005_is_not_an_empty_book() -> None:
    verdict = classify(raw("login_interactive", 400, env("error", "e-user-0005", "Invalid key")))
    assert verdict.outcome is Outcome.HTTP_ERROR
    # and on a book flow, an unrelated *-0005 code is not "empty" either
    verdict = classify(raw("positions", 400, env("error", "e-user-0005", "Invalid key")))
    assert verdict.outcome is Outcome.HTTP_ERROR


@pytest.mark.parametrize("status", [400, 200])
def test_invalid_token_is_an_auth_error_whatever_the_status(status: int) -> None:
    verdict = classify(raw("holdings", status, env("error", "e-session-0007", "Invalid Token")))
    assert verdict.outcome is Outcome.AUTH_ERROR


def test_success_is_decided_by_type_not_code_prefix() -> None:
    ok = classify(
        raw("login_market", 200, env("success", "e-response-0010", "Provided Valid Credentials"))
    )
    assert ok.outcome is Outcome.OK
    bad = classify(raw("positions", 200, env("error", "s-odd-0001", "Something went wrong")))
    assert bad.outcome is Outcome.HTTP_ERROR
    assert "type is not success" in (bad.error or "")


def test_html_error_page_carries_status_type_and_first_bytes() -> None:
    page = b"<!DOCTYPE html>\n<html><body><pre>Error rendering view</pre></body></html>"
    verdict = classify(raw("holdings", 500, page, ctype="text/html; charset=utf-8"))
    assert verdict.outcome is Outcome.HTTP_ERROR
    assert verdict.envelope is None
    assert "HTTP 500" in (verdict.error or "") and "text/html" in (verdict.error or "")
    # the body travels separately, to be scrubbed before it is cut to a snippet
    assert "Error rendering view" in (verdict.body_text or "")


def test_non_json_200_is_a_bad_response() -> None:
    verdict = classify(raw("positions", 200, b"OK", ctype="text/plain"))
    assert verdict.outcome is Outcome.BAD_RESPONSE


def test_truncated_json_is_a_bad_response_not_a_decode_traceback() -> None:
    verdict = classify(raw("positions", 200, b'{"type": "succ', ctype="application/json"))
    assert verdict.outcome is Outcome.BAD_RESPONSE
    broken = classify(raw("positions", 200, b"", error_class="RemoteProtocolError"))
    assert broken.outcome is Outcome.BAD_RESPONSE


def test_no_response_is_timeout_or_network_error() -> None:
    assert (
        classify(raw("positions", None, timed_out=True, error_class="ReadTimeout")).outcome
        is Outcome.TIMEOUT
    )
    assert (
        classify(raw("positions", None, error_class="ConnectError")).outcome
        is Outcome.NETWORK_ERROR
    )
