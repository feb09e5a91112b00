"""Contract drift: compare the *shape* of broker payloads between two cassettes.

A shape is, per flow, every JSON path seen in successful answers with the set of types found
there (``null``, ``boolean``, ``number``, ``string``, ``object``, ``array``), plus the envelope
codes. Objects keyed by ISIN (holdings) are folded into ``{*}`` and JSON-in-a-string (quotes'
``listQuotes``) is opened as ``<json>``, so data changes are not drift but a renamed field, a
removed field, a number turned into a string or a field turned nullable are.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jainam_validate.cassette import Cassette

if TYPE_CHECKING:
    from jainam_validate.targets import BrokerOptions, Note

_DYNAMIC_KEY = re.compile(r"[A-Z]{2}[A-Z0-9]{9}[0-9]\Z")  # ISIN


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array"


def walk(value: Any, path: str, out: dict[str, set[str]]) -> None:
    out[path].add(_type(value))
    if isinstance(value, dict):
        dynamic = bool(value) and all(_DYNAMIC_KEY.match(str(k)) for k in value)
        for key, child in value.items():
            walk(child, f"{path}.{{*}}" if dynamic else f"{path}.{key}", out)
    elif isinstance(value, list):
        for child in value:
            walk(child, f"{path}[]", out)
    elif isinstance(value, str) and value.startswith("{"):
        try:
            inner = json.loads(value)
        except ValueError:
            return
        walk(inner, f"{path}<json>", out)


@dataclass
class FlowShape:
    paths: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    codes: set[str] = field(default_factory=set)


def shapes(cassette: Cassette) -> dict[str, FlowShape]:
    """Per flow, the shape of every successful JSON answer in the cassette."""
    out: dict[str, FlowShape] = defaultdict(FlowShape)
    for exchange in cassette.exchanges:
        response = exchange.get("response") or {}
        body = response.get("json")
        if response.get("status") != 200 or not isinstance(body, dict):
            continue
        shape = out[exchange["flow"]]
        if body.get("code") is not None:
            shape.codes.add(str(body["code"]))
        walk(body, "$", shape.paths)
    return dict(out)


@dataclass(frozen=True)
class Drift:
    flow: str
    kind: str  # added | removed | retyped | codes
    path: str
    before: str
    after: str

    def line(self) -> str:
        if self.kind == "retyped":
            return f"{self.flow}: retyped {self.path}: {self.before} -> {self.after}"
        if self.kind == "codes":
            return f"{self.flow}: envelope codes {self.before} -> {self.after}"
        return f"{self.flow}: {self.kind} {self.path} ({self.before or self.after})"


def compare(baseline: Cassette, fresh: Cassette) -> tuple[list[Drift], list[str]]:
    """Differences from ``baseline`` to ``fresh``, and the flows only one side could compare."""
    old, new = shapes(baseline), shapes(fresh)
    drifts: list[Drift] = []
    for flow in sorted(set(old) & set(new)):
        a, b = old[flow].paths, new[flow].paths

        def types(side: dict[str, set[str]], path: str) -> str:
            return "|".join(sorted(side[path]))

        drifts.extend(Drift(flow, "added", p, "", types(b, p)) for p in sorted(set(b) - set(a)))
        drifts.extend(Drift(flow, "removed", p, types(a, p), "") for p in sorted(set(a) - set(b)))
        drifts.extend(
            Drift(flow, "retyped", p, types(a, p), types(b, p))
            for p in sorted(set(a) & set(b))
            if a[p] != b[p]
        )
        if old[flow].codes != new[flow].codes:
            drifts.append(
                Drift(flow, "codes", "$.code", ",".join(sorted(old[flow].codes)),
                      ",".join(sorted(new[flow].codes)))
            )  # fmt: skip
    unmatched = sorted(set(old) ^ set(new))
    return drifts, unmatched


def fresh_pass(options: BrokerOptions, *, note: Note, debug: Note) -> tuple[Cassette, int, Path]:
    """A whole pass against ``options``' target (``--sim`` or the configured broker), recorded
    into a temporary cassette: (that cassette, the pass's exit code, its run folder)."""
    import tempfile
    from dataclasses import replace

    from jainam_validate import cassette
    from jainam_validate.targets import open_target
    from jainam_validate.validation import execute

    with tempfile.TemporaryDirectory(prefix="jv-drift-") as tmp:
        recorded = replace(options, record=Path(tmp) / "fresh")
        with open_target(recorded, note=note, debug=debug) as ctx:
            pass_options = replace(
                recorded.pass_options("drift"), target=ctx.target, market_session=True, pnl=True
            )
            result = execute(
                ctx.settings, ctx.layers, pass_options, redactor=ctx.redactor, store=ctx.store
            )
        return cassette.load(Path(tmp) / "fresh"), int(result.exit_code), result.folder.path
