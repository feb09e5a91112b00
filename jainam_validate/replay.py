"""Replay a cassette on loopback, through the simulator's own HTTP server.

The client takes exactly the code path it takes against the live broker: the replay app only
decides what to answer. It is strict: a request the cassette does not hold is answered with
HTTP 501 naming the route, which the harness records like any other broker error. It issues
its own session tokens on the login routes and checks them on every other broker route, so the
harness's auth logic still runs. The application's routes (IV2) are answered as recorded.
Exchanges for the same request are served in recorded order
(and again from the start when a pass asks for more samples than were recorded). With
``recorded_latency`` each answer waits the recorded ``api_ms`` first.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from jainam_validate.cassette import Cassette
from jainam_validate.simulator import responses as r
from jainam_validate.simulator.app import Reply, Request
from jainam_validate.simulator.responses import Response
from jainam_validate.xts import is_login_route

#: The routes of the application under test (IV2), recorded in the same cassette.
APP_PREFIX = "/api/v1/"
#: Query parameters whose recorded values are pseudonyms: matched by presence only.
REDACTED_QUERY = frozenset({"clientID"})
Key = tuple[str, str, tuple[tuple[str, str], ...]]


def request_key(method: str, route: str, query: dict[str, str]) -> Key:
    items = tuple(sorted((k, "" if k in REDACTED_QUERY else v) for k, v in query.items()))
    return (method.upper(), route, items)


def _is_login(route: str) -> bool:
    return is_login_route(route)


def _is_market(route: str) -> bool:
    return not route.startswith("/interactive/")


class ReplayApp:
    """Request -> recorded Reply; thread-safe."""

    def __init__(
        self, cassette: Cassette, sleep: Callable[[float], None], *, recorded_latency: bool = False
    ) -> None:
        self._sleep = sleep
        self._latency = recorded_latency
        self._lock = threading.Lock()
        self._queues: dict[Key, list[dict[str, Any]]] = {}
        self._served: dict[Key, int] = {}
        self._tokens: dict[str, bool] = {}  # token -> is market data
        for exchange in cassette.exchanges:
            req = exchange["request"]
            key = request_key(req["method"], req["route"], req.get("query", {}))
            self._queues.setdefault(key, []).append(exchange)

    def sensitive_values(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    def _issue(self, market: bool) -> str:
        def part(data: dict[str, Any]) -> str:
            raw = json.dumps(data, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        now = int(time.time())
        payload = {"userID": "replay", "iat": now, "exp": now + 86400, "jti": secrets.token_hex(8)}
        token = (
            f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.{secrets.token_urlsafe(24)}"
        )
        with self._lock:
            self._tokens[token] = market
        return token

    def handle(self, req: Request) -> Reply:
        key = request_key(req.method, req.path, dict(req.query))
        with self._lock:
            queue = self._queues.get(key)
            if queue:
                index = self._served.get(key, 0)
                self._served[key] = index + 1
                exchange = queue[index % len(queue)]
        if not queue:
            shown = "&".join(f"{k}=…" for k, _ in key[2])
            text = (
                f"jainam-validate replay: the cassette holds no exchange for {req.method} "
                f"{req.path}{'?' + shown if shown else ''}; record the cassette again"
            )
            return Reply(None, Response(501, text.encode(), "text/plain; charset=utf-8"))
        flow = str(exchange["flow"])
        if self._latency and exchange["timing"].get("api_ms"):
            self._sleep(float(exchange["timing"]["api_ms"]) / 1000)
        recorded = exchange.get("response")
        if recorded is None:
            return Reply(flow, None, "reset")  # recorded with no response at all
        market = _is_market(req.path)
        body: Any = recorded.get("json")
        if _is_login(req.path) and isinstance(body, dict):
            result = body.get("result")
            if isinstance(result, dict) and result.get("token"):
                body = {**body, "result": {**result, "token": self._issue(market)}}
        elif not _is_login(req.path) and not req.path.startswith(APP_PREFIX):
            # (the application's routes carry their key in the body, which no cassette keeps:
            # they are answered as recorded, a recorded 403 included)
            with self._lock:
                valid = self._tokens.get(req.headers.get("authorization", "")) is market
            if not valid:
                # quirk XQ06: XTS says "Invalid Token" with HTTP 400, not 401
                return Reply(flow, r.invalid_token())
        headers = tuple(
            (name, value) for name, value in recorded.get("headers", {}).items()
            if name != "content-type"
        )  # fmt: skip
        content_type = recorded.get("headers", {}).get("content-type", "application/json")
        if body is not None:
            response = Response(recorded["status"], r.dumps(body), content_type, headers)
        else:
            text = str(recorded.get("text", ""))
            response = Response(recorded["status"], text.encode(), content_type, headers)
        return Reply(flow, response, "truncated" if exchange.get("truncated") else "normal")
