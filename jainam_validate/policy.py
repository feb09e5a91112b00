"""Release policy: latency thresholds, iterations and warm-up, from flags and a policy file.

Thresholds gate the p95 of sample latency. By default they cover the three books at the release
target (< 5 s each); logins and quotes are reported and gated only when a threshold names them.
A policy file is TOML: either a ``pyproject.toml`` with a ``[tool.jainam-validate]`` table, or a
file whose top level holds the same keys (a file with neither is an error, never "no policy")::

    [tool.jainam-validate]
    iterations = 20
    warmup = 2
    [tool.jainam-validate.thresholds]
    positions = 3000

Flags override the file. Every bad value is a UsageError (exit 2) before any call is made.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jainam_validate import errors
from jainam_validate.xts import APP_BOOKS, BOOKS, FLOW_ORDER

GATED_FLOWS: tuple[str, ...] = tuple(
    f.value for f in FLOW_ORDER if not f.startswith("app_") or f in APP_BOOKS
)
#: The release target: every book call under 5 s (the p95 must be strictly below).
DEFAULT_THRESHOLDS_MS: Mapping[str, float] = {book.value: 5000.0 for book in BOOKS}
#: The application's books (IV2's service latency), gated when an application is asked.
DEFAULT_APP_THRESHOLDS_MS: Mapping[str, float] = {book.value: 5000.0 for book in APP_BOOKS}


@dataclass(frozen=True)
class Policy:
    """What a pass is held to."""

    thresholds_ms: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS_MS))
    iterations: int = 1
    warmup: int = 0


def _threshold(flow: str, value: Any, where: str) -> float:
    if flow not in GATED_FLOWS:
        raise errors.UsageError(
            f"{where}: unknown flow {flow!r}; use one of {', '.join(GATED_FLOWS)}"
        )
    try:
        ms = float(value)
    except (TypeError, ValueError):
        raise errors.UsageError(f"{where}: {flow} needs a number of milliseconds") from None
    if not ms > 0 or ms != ms or ms == float("inf"):
        raise errors.UsageError(f"{where}: {flow} threshold must be a positive number of ms")
    return ms


def parse_threshold(text: str) -> tuple[str, float]:
    """``FLOW=MS`` from ``--threshold``."""
    flow, sep, value = text.partition("=")
    if not sep:
        raise errors.UsageError(f"--threshold {text!r}: write FLOW=MS, e.g. positions=3000")
    flow = flow.strip()
    return flow, _threshold(flow, value.strip(), f"--threshold {text}")


def read_policy_file(path: Path) -> dict[str, Any]:
    """The policy table of a TOML file; raises UsageError naming the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise errors.UsageError(f"cannot read policy file {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise errors.UsageError(f"policy file {path} is not valid TOML: {exc}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise errors.UsageError(
            f"policy file {path}: 'tool' must be a table ([tool.jainam-validate])"
        )
    table = tool.get("jainam-validate", data)
    if not isinstance(table, dict):
        raise errors.UsageError(f"policy file {path}: [tool.jainam-validate] must be a table")
    unknown = set(table) - _POLICY_KEYS
    if table is data and not set(table) & _POLICY_KEYS:
        # neither our table nor a policy at the top level (a pyproject.toml of another
        # project, an empty file): never read as "no policy" in silence
        found = f" (it holds {', '.join(sorted(map(str, table)))})" if table else " (it is empty)"
        raise errors.UsageError(
            f"policy file {path} has no [tool.jainam-validate] table{found}: add one with "
            "thresholds, iterations or warmup, or pass the right file to --policy"
        )
    if unknown and table is not data:
        raise errors.UsageError(f"policy file {path}: unknown keys {', '.join(sorted(unknown))}")
    return table


_POLICY_KEYS = frozenset({"thresholds", "iterations", "warmup"})


def resolve_policy(
    *,
    policy_file: Path | None,
    thresholds: list[str],
    iterations: int | None,
    warmup: int | None,
) -> Policy:
    """Defaults, then the policy file, then flags."""
    merged = dict(DEFAULT_THRESHOLDS_MS)
    file_iterations, file_warmup = 1, 0
    if policy_file is not None:
        table = read_policy_file(policy_file)
        where = f"policy file {policy_file}"
        raw = table.get("thresholds", {})
        if not isinstance(raw, dict):
            raise errors.UsageError(f"{where}: thresholds must be a table of FLOW = MS")
        merged.update({flow: _threshold(flow, ms, where) for flow, ms in raw.items()})
        file_iterations = _count(table.get("iterations", 1), "iterations", where, minimum=1)
        file_warmup = _count(table.get("warmup", 0), "warmup", where, minimum=0)
    for text in thresholds:
        flow, ms = parse_threshold(text)
        merged[flow] = ms
    final_iterations = iterations if iterations is not None else file_iterations
    final_warmup = warmup if warmup is not None else file_warmup
    if final_warmup >= final_iterations:
        raise errors.UsageError(
            f"--warmup {final_warmup} leaves no sample out of --iterations {final_iterations}"
        )
    return Policy(
        thresholds_ms=dict(sorted(merged.items())),
        iterations=final_iterations,
        warmup=final_warmup,
    )


def _count(value: Any, name: str, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise errors.UsageError(f"{where}: {name} must be a whole number >= {minimum}")
    return value
