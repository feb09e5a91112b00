"""Loaded by Python at start-up when this folder is on PYTHONPATH: any connection to a
non-loopback address fails, so a test can prove a command touches no network."""

from __future__ import annotations

import ipaddress
import socket

_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    try:
        allowed = ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        allowed = host == "localhost"
    if not allowed:
        raise OSError(f"netblock: outbound connection to {host!r} refused by the test")
    _connect(self, address)  # type: ignore[arg-type]


socket.socket.connect = _loopback_only  # type: ignore[method-assign]
