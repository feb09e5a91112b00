"""The XTS simulator's HTTP layer: a loopback-only ``ThreadingHTTPServer`` speaking HTTP/1.1
with keep-alive (every response has a Content-Length, so clients can reuse pooled connections),
silent by design (request bodies carry secrets and query strings carry client ids, so nothing is
logged), delivering each ``Reply`` of the application either whole or through a transport fault
(truncated body, slow drip, TCP reset). ``Simulator`` owns the server, its thread and the
in-memory request log used by tests."""

from __future__ import annotations

import ipaddress
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from jainam_validate.simulator import responses as r
from jainam_validate.simulator.app import Reply, Request, XtsApp
from jainam_validate.simulator.responses import Response
from jainam_validate.simulator.scenario import SIMULATOR_HEADER, SimConfig

MAX_REQUEST_BODY = 8 * 1024 * 1024
DRIP_CHUNKS = 15
DRIP_INTERVAL_S = 0.1
_DEFAULT_CONFIG = SimConfig()


class App(Protocol):
    """What the server serves: the simulator's XtsApp, or a cassette replay."""

    def handle(self, req: Request) -> Reply: ...

    def sensitive_values(self) -> list[str]: ...


@dataclass(frozen=True)
class SimRequest:
    """One request as the simulator saw it; ``status`` is 0 when the connection was reset."""

    method: str
    path: str
    query: dict[str, str]
    flow: str | None
    status: int


def _loopback(host: str) -> tuple[str, socket.AddressFamily]:
    if host == "localhost":
        return "127.0.0.1", socket.AF_INET
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"simulator binds to loopback only; {host!r} is not a loopback "
            "address (use 127.0.0.1, ::1 or localhost)"
        ) from None
    if not addr.is_loopback:
        raise ValueError(
            f"simulator binds to loopback only; {host!r} is not a loopback "
            "address (use 127.0.0.1, ::1 or localhost)"
        )
    return str(addr), socket.AF_INET6 if addr.version == 6 else socket.AF_INET


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for idle keep-alive connections

    def __init__(
        self, address: tuple[str, int], family: socket.AddressFamily, sim: Simulator
    ) -> None:
        self.address_family = family
        self.sim = sim
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # skip HTTPServer's getfqdn() reverse lookup: start-up must be fast and offline
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Never print: a traceback could show request data."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines carry client ids, bodies carry secrets."""

    def version_string(self) -> str:
        return "nginx"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes; without NODELAY, Nagle + delayed ACK add
        # ~40 ms to every response on a reused connection and would skew latency figures
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.sim._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.sim._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        sim = self.server.sim
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        body = self._read_body()
        if isinstance(body, Response):
            sim._record(SimRequest(self.command, url.path, query, None, body.status))
            self._deliver(Reply(None, body), close=True)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = sim._app.handle(Request(self.command, url.path, query, headers, body))
        status = reply.response.status if reply.response is not None else 0
        sim._record(SimRequest(self.command, url.path, query, reply.flow, status))
        self._deliver(reply)

    def _read_body(self) -> bytes | Response:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            size = int(length)
        except ValueError:
            return r.nginx(400)
        if size < 0:
            return r.nginx(400)
        if size > MAX_REQUEST_BODY:
            return r.nginx(413)
        return self.rfile.read(size)

    def _read_chunked(self) -> bytes | Response:
        data = bytearray()
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                return r.nginx(400)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(data)
            if len(data) + size > MAX_REQUEST_BODY:
                return r.nginx(413)
            data += self.rfile.read(size)
            self.rfile.readline(8)

    def _deliver(self, reply: Reply, close: bool = False) -> None:
        resp = reply.response
        try:
            if resp is None or reply.delivery == "reset":
                self._reset()
                return
            truncated = reply.delivery == "truncated"
            self._send_head(resp, close=close or truncated)
            if truncated:
                # fault: promise the full Content-Length, send half, close
                self.wfile.write(resp.body[: len(resp.body) // 2])
            elif reply.delivery == "drip":
                step = max(1, -(-len(resp.body) // DRIP_CHUNKS))
                for start in range(0, len(resp.body), step):
                    if start:
                        self.server.sim._sleep(DRIP_INTERVAL_S)
                    self.wfile.write(resp.body[start : start + step])
            else:
                self.wfile.write(resp.body)
        except OSError:
            self.close_connection = True

    def _send_head(self, resp: Response, close: bool) -> None:
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        # Says "not the broker" on every answer, so evidence from a `simulate` process that
        # JAINAM_BASE_URL points at is never presented as live (see harness.simulated).
        self.send_header(SIMULATOR_HEADER, "1")
        for name, value in resp.headers:
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
        self.end_headers()

    def _reset(self) -> None:
        """Close with no response; SO_LINGER 0 makes the close a TCP RST."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.connection.close()  # the fd goes when finish() closes rfile


class Simulator:
    """An XTS-compatible API on loopback, bound at construction (so ``port`` and ``base_url``
    are known before ``start``)."""

    def __init__(
        self,
        config: SimConfig = _DEFAULT_CONFIG,
        host: str = "127.0.0.1",
        port: int = 0,
        app: Callable[[Callable[[float], None]], App] | None = None,
    ) -> None:
        """``app`` builds another application to serve on this server (given the server's
        interruptible sleep); cassette replay uses it to take exactly the simulator's path."""
        bind_host, family = _loopback(host)
        self.config = config
        self.request_log: list[SimRequest] = []
        self._log_lock = threading.Lock()
        self._stop = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self._app: App = app(self._sleep) if app is not None else XtsApp(config, sleep=self._sleep)
        self._httpd = _HttpServer((bind_host, port), family, self)
        self._host = bind_host
        self._thread: threading.Thread | None = None
        self._running = False
        self._closed = False

    # -- public ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def account_user_id(self) -> str:
        assert isinstance(self._app, XtsApp), "only the simulator has an account"
        return self._app.book.user_id

    def start(self) -> Simulator:
        self._claim()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"xts-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop()`` (from another thread) or an interrupt."""
        self._claim()
        try:
            self._httpd.serve_forever(poll_interval=0.1)
        finally:
            self._running = False
            self.stop()

    def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._running:
            self._running = False
            self._httpd.shutdown()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()

    def __enter__(self) -> Simulator:
        return self if self._running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def sensitive_values(self) -> list[str]:
        """Every raw secret and identifier this simulator serves (longest first): the four
        credentials, every token issued, user id, client codes, account/login/client ids,
        client names and all trade-book identifiers; never ``*****``."""
        return self._app.sensitive_values()

    # -- internal ----------------------------------------------------------------------------

    def _claim(self) -> None:
        if self._closed:
            raise RuntimeError("simulator was stopped; create a new one")
        if self._running:
            raise RuntimeError("simulator is already serving")
        self._running = True

    def _sleep(self, seconds: float) -> None:
        # at least ``seconds`` (an Event's wait may wake a few ms early under load, and a
        # delay fault must never answer sooner than it says); at once when the server stops
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._stop.wait(left)

    def _record(self, entry: SimRequest) -> None:
        with self._log_lock:
            self.request_log.append(entry)

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)
