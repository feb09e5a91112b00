"""The built-in XTS simulator: an XTS-compatible HTTP server on loopback (interactive and
market-data routes, both session kinds, investor and dealer profiles, seeded books and quotes,
and the broker's quirks and faults on demand) for demos, end-to-end tests and benchmarks. It uses
the standard library only and imports nothing else from ``jainam_validate``. ``FORGED_TEXT``,
``FORGED_CODE`` and ``FORGED_HEADER`` are what the hostile ``forged_error`` fault serves, and
``FORGED_INGREDIENTS`` the hostile pieces each of the first two contains. ``DEEP_JSON_LEVELS``,
``HUGE_QUANTITY``, ``HUGE_PRICE``, ``LONG_SYMBOL``, ``ODD_ID_KEYS`` and ``NESTED_ID_KEYS``
describe what the leaky faults serve; ``fault_flows`` names the flows a fault kind applies to
(``BOOK_ONLY_FAULTS`` and ``FLOW_ONLY_FAULTS`` restrict some)."""

from __future__ import annotations

from jainam_validate.simulator.leaky import (
    DEEP_JSON_LEVELS,
    HUGE_PRICE,
    HUGE_QUANTITY,
    LONG_SYMBOL,
    NESTED_ID_KEYS,
    ODD_ID_KEYS,
)
from jainam_validate.simulator.responses import (
    FORGED_CODE,
    FORGED_HEADER,
    FORGED_INGREDIENTS,
    FORGED_TEXT,
)
from jainam_validate.simulator.scenario import (
    BOOK_ONLY_FAULTS,
    BROKER_FLOWS,
    DEMO_APP_KEY,
    DEMO_CREDENTIALS,
    FAULT_KINDS,
    FLOW_ONLY_FAULTS,
    FLOWS,
    SimConfig,
    SimCredentials,
    fault_flows,
    parse_flow_value,
)
from jainam_validate.simulator.server import SimRequest, Simulator

__all__ = [
    "BOOK_ONLY_FAULTS",
    "BROKER_FLOWS",
    "DEEP_JSON_LEVELS",
    "DEMO_APP_KEY",
    "DEMO_CREDENTIALS",
    "FAULT_KINDS",
    "FLOWS",
    "FLOW_ONLY_FAULTS",
    "FORGED_CODE",
    "FORGED_HEADER",
    "FORGED_INGREDIENTS",
    "FORGED_TEXT",
    "HUGE_PRICE",
    "HUGE_QUANTITY",
    "LONG_SYMBOL",
    "NESTED_ID_KEYS",
    "ODD_ID_KEYS",
    "SimConfig",
    "SimCredentials",
    "SimRequest",
    "Simulator",
    "fault_flows",
    "parse_flow_value",
]
