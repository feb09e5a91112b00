"""The built-in XTS simulator: an XTS-compatible HTTP server on loopback (interactive and
market-data routes, both session kinds, investor and dealer profiles, seeded books and quotes,
and the broker's quirks and faults on demand) for demos, end-to-end tests and benchmarks. It uses
the standard library only and imports nothing else from ``jainam_validate``. ``FORGED_TEXT``,
``FORGED_CODE`` and ``FORGED_HEADER`` are what the hostile ``forged_error`` fault serves, and
``FORGED_INGREDIENTS`` the hostile pieces each of the first two contains."""

from __future__ import annotations

from jainam_validate.simulator.responses import (
    FORGED_CODE,
    FORGED_HEADER,
    FORGED_INGREDIENTS,
    FORGED_TEXT,
)
from jainam_validate.simulator.scenario import (
    BOOK_ONLY_FAULTS,
    DEMO_CREDENTIALS,
    FAULT_KINDS,
    FLOWS,
    SimConfig,
    SimCredentials,
    parse_flow_value,
)
from jainam_validate.simulator.server import SimRequest, Simulator

__all__ = [
    "BOOK_ONLY_FAULTS",
    "DEMO_CREDENTIALS",
    "FAULT_KINDS",
    "FLOWS",
    "FORGED_CODE",
    "FORGED_HEADER",
    "FORGED_INGREDIENTS",
    "FORGED_TEXT",
    "SimConfig",
    "SimCredentials",
    "SimRequest",
    "Simulator",
    "parse_flow_value",
]
