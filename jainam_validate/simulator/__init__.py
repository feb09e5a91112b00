"""The built-in XTS simulator: an XTS-compatible HTTP server on loopback (interactive and
market-data routes, both session kinds, investor and dealer profiles, seeded books and quotes,
and the broker's quirks and faults on demand) for demos, end-to-end tests and benchmarks. It uses
the standard library only and imports nothing else from ``jainam_validate``."""

from __future__ import annotations

from jainam_validate.simulator.scenario import (
    DEMO_CREDENTIALS,
    FAULT_KINDS,
    FLOWS,
    SimConfig,
    SimCredentials,
    parse_flow_value,
)
from jainam_validate.simulator.server import SimRequest, Simulator

__all__ = [
    "DEMO_CREDENTIALS",
    "FAULT_KINDS",
    "FLOWS",
    "SimConfig",
    "SimCredentials",
    "SimRequest",
    "Simulator",
    "parse_flow_value",
]
