"""Why a connection was not made, told apart in words a release owner can act on.

Every transport failure exits 4, but each has its own fix: a host name that does not resolve
(DNS), a port where nothing listens (connection refused), a TLS handshake that failed (plain
HTTP on the other end, or a certificate that is not trusted), a connect that timed out.
:func:`failure_of` reads which from the classes in an exception's chain, never from its message
(httpx's messages can quote the URL, and a query's ids with it); :func:`words` and :func:`fix`
give what happened and what to try. An attempt's error text, a login's error and the report's
mitigation are all built from these words, and :func:`kind_in` finds them again in a record's
text, so the terminal and the report can never say different things.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

__all__ = ["CONNECT_TIMEOUT", "DNS", "REFUSED", "TLS", "failure_of", "fix", "kind_in", "words"]

DNS = "dns"
REFUSED = "refused"
TLS = "tls"
CONNECT_TIMEOUT = "connect_timeout"


@dataclass(frozen=True)
class _Kind:
    what: str
    fix: str


_KINDS = {
    DNS: _Kind(
        "cannot resolve the host name (DNS)",
        "check the host name in JAINAM_BASE_URL, then the network, VPN or DNS settings",
    ),
    REFUSED: _Kind(
        "connection refused (nothing listens on that port, or the service is down)",
        "check the port in JAINAM_BASE_URL and that the service is up",
    ),
    TLS: _Kind(
        "TLS handshake failed",
        "check the scheme and port in JAINAM_BASE_URL and the broker's certificate",
    ),
    CONNECT_TIMEOUT: _Kind(
        "timed out connecting",
        "check the network, VPN or firewall and that the host is up; "
        "--connect-timeout gives it longer",
    ),
}
#: OpenSSL's reasons when the other end answered the TLS hello in plain HTTP.
_PLAIN_HTTP = frozenset(
    {"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"}
)


def failure_of(exc: BaseException) -> tuple[str, str | None] | None:
    """(kind, reason) of a connect failure, from the classes in ``exc``'s chain: DNS,
    refused or TLS (with OpenSSL's reason, or the certificate check's message); None when the
    chain names none of them. A connect time-out is the caller's to tell (its class is the
    HTTP library's)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, socket.gaierror):
            return DNS, None
        if isinstance(cause, ConnectionRefusedError):
            return REFUSED, None
        if isinstance(cause, ssl.SSLCertVerificationError):
            return TLS, cause.verify_message or cause.reason
        if isinstance(cause, ssl.SSLError):
            return TLS, cause.reason
        cause = cause.__cause__ or cause.__context__
    return None


def words(kind: str, reason: str | None = None) -> str:
    """What happened: ``connection refused (...)``, ``TLS handshake failed (WRONG_VERSION...)``."""
    what = _KINDS[kind].what
    return f"{what} ({reason})" if reason else what


def fix(kind: str, reason: str | None = None) -> str:
    """What to try."""
    if kind == TLS and reason in _PLAIN_HTTP:
        return "the port speaks plain HTTP: use http:// in JAINAM_BASE_URL, or the HTTPS port"
    if kind == TLS and reason is not None and "certificate" in reason.lower():
        return (
            "the broker's certificate is not trusted here: check that JAINAM_BASE_URL names "
            "the broker's host, the system's CA certificates and the clock"
        )
    return _KINDS[kind].fix


def kind_in(text: str | None) -> tuple[str, str | None] | None:
    """The (kind, reason) whose words ``text`` holds, as :func:`words` wrote them."""
    if not text:
        return None
    for kind, known in _KINDS.items():
        at = text.find(known.what)
        if at != -1:
            rest = text[at + len(known.what) :]
            reason = None
            if kind == TLS and rest.startswith(" (") and ")" in rest:
                reason = rest[2 : rest.index(")")]
            return kind, reason
    return None
