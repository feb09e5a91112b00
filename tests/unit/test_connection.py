"""Connection failures told apart: which one, from an exception chain's classes; its words and
its fix; and the words found again in a record's text (the report's mitigation)."""

from __future__ import annotations

import socket
import ssl

import pytest

from jainam_validate import connection
from jainam_validate.connection import CONNECT_TIMEOUT, DNS, REFUSED, TLS


def chained(*excs: BaseException) -> BaseException:
    """excs[0] raised from excs[1] raised from ..., as httpx wraps httpcore wraps the OS."""
    for outer, inner in zip(excs, excs[1:], strict=False):
        outer.__cause__ = inner
    return excs[0]


def cert_error(message: str) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = message
    return error


def ssl_error(reason: str) -> ssl.SSLError:
    error = ssl.SSLError(1, "wrong version number")
    error.reason = reason
    return error


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (chained(OSError("connect"), OSError("x"), socket.gaierror(-2, "unknown")), (DNS, None)),
        (chained(OSError("connect"), ConnectionRefusedError(111, "refused")), (REFUSED, None)),
        (
            chained(OSError("connect"), ssl_error("WRONG_VERSION_NUMBER")),
            (TLS, "WRONG_VERSION_NUMBER"),
        ),
        (
            chained(OSError("c"), cert_error("self-signed certificate")),
            (TLS, "self-signed certificate"),
        ),
        (chained(OSError("connect"), OSError("something else")), None),
    ],
)
def test_the_failure_is_read_from_the_chain(exc: BaseException, expected: object) -> None:
    assert connection.failure_of(exc) == expected


def test_a_chain_that_loops_ends() -> None:
    a, b = OSError("a"), OSError("b")
    a.__cause__, b.__cause__ = b, a
    assert connection.failure_of(a) is None


@pytest.mark.parametrize(
    ("kind", "reason", "fix_says"),
    [
        (DNS, None, "host name in JAINAM_BASE_URL"),
        (REFUSED, None, "port in JAINAM_BASE_URL"),
        (TLS, "WRONG_VERSION_NUMBER", "plain HTTP: use http://"),
        (TLS, "self-signed certificate", "certificate is not trusted"),
        (TLS, "SOMETHING_ELSE", "certificate"),
        (CONNECT_TIMEOUT, None, "--connect-timeout"),
    ],
)
def test_each_failure_has_its_words_and_fix_and_is_found_again(
    kind: str, reason: str | None, fix_says: str
) -> None:
    told = connection.words(kind, reason)
    assert fix_says in connection.fix(kind, reason)
    record_error = f"ConnectError: {told}; no HTTP response"
    assert connection.kind_in(record_error) == (kind, reason)


def test_no_words_no_kind() -> None:
    assert connection.kind_in("ConnectError: no HTTP response") is None
    assert connection.kind_in(None) is None


def test_the_troubleshooting_runbook_says_what_the_code_says() -> None:
    """Each failure's words and fix appear in the runbook's table as the code writes them, so
    the table cannot drift from the messages."""
    from pathlib import Path

    runbook = Path(__file__).resolve().parents[2] / "runbooks" / "troubleshooting.md"
    text = runbook.read_text(encoding="utf-8")
    section = text.split("## Connection failures (exit 4)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    cases = [
        (DNS, None),
        (REFUSED, None),
        (TLS, "WRONG_VERSION_NUMBER"),
        (TLS, "self-signed certificate"),
        (CONNECT_TIMEOUT, None),
    ]
    for kind, reason in cases:
        told, fix = connection.words(kind, reason), connection.fix(kind, reason)
        assert any(told in row and fix in row for row in rows), (kind, reason)
