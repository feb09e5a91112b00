"""Session tokens of the XTS simulator: the JWT-shaped tokens the two logins issue (HMAC-signed
with a key made per simulator, sent back raw in ``Authorization``), the live sessions they open
(interactive logins may hold several; market data one per key pair, a new login ending the old
one), the check of a request's token against them (signature, kind, expiry) and their end at
logout, plus every token issued so far for ``XtsApp.sensitive_values``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Literal

SessionKind = Literal["interactive", "market"]


@dataclass(frozen=True)
class _Session:
    kind: SessionKind
    app_key: str
    exp: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Sessions:
    """The tokens of one simulator and the sessions still open; thread-safe."""

    def __init__(self, user_id: str, ttl_s: int) -> None:
        self._user_id = user_id
        self._ttl_s = ttl_s
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._md_current: dict[str, str] = {}
        self._issued: list[str] = []

    def issue(self, kind: SessionKind, app_key: str) -> str:
        now = int(time.time())
        exp = now + self._ttl_s
        header = _b64(b'{"alg":"HS256","typ":"JWT"}')
        claims = {
            "userID": f"{self._user_id}_{app_key}",
            "publicKey": app_key,
            "iat": now,
            "exp": exp,
            "jti": secrets.token_hex(8),
        }  # jti: makes every login's token differ
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        signing_input = f"{header}.{payload}".encode("ascii")
        signature = _b64(hmac.new(self._key, signing_input, hashlib.sha256).digest())
        token = f"{header}.{payload}.{signature}"
        with self._lock:
            # inferred: interactive logins may hold several sessions (the reference states the
            # one-session rule for market data only)
            self._sessions[token] = _Session(kind, app_key, exp)
            self._issued.append(token)
            if kind == "market":
                # quirk: one market-data session per key pair; a new login kicks the old token
                old = self._md_current.get(app_key)
                if old is not None:
                    self._sessions.pop(old, None)
                self._md_current[app_key] = token
        return token

    def check(self, token: str | None, kind: SessionKind) -> str | None:
        """``token`` (a request's ``Authorization`` value) if it is a live token of this kind,
        else None."""
        # quirk: the token goes raw in Authorization; "Bearer <token>" is just an unknown token
        if not token or token.count(".") != 2:
            return None
        signing_input, _, signature = token.rpartition(".")
        expected = _b64(
            hmac.new(
                self._key, signing_input.encode("utf-8", "surrogatepass"), hashlib.sha256
            ).digest()
        )
        if not hmac.compare_digest(
            signature.encode("utf-8", "surrogatepass"), expected.encode("ascii")
        ):
            return None
        with self._lock:
            session = self._sessions.get(token)
        if session is None or session.kind != kind or time.time() >= session.exp:
            return None
        return token

    def end(self, token: str) -> None:
        """Close the session of a live token (a logout)."""
        with self._lock:
            self._sessions.pop(token, None)
            for key, current in list(self._md_current.items()):
                if current == token:
                    del self._md_current[key]

    def issued(self) -> list[str]:
        """Every token issued so far, live or not."""
        with self._lock:
            return list(self._issued)
