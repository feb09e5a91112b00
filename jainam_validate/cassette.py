"""Cassettes: sanitized recordings of every exchange of a pass, for offline replay and drift.

A cassette is a folder of plain, diff-friendly JSON: ``cassette.json`` (format name, version,
what was recorded) and ``exchanges/NNNN-<flow>.json``, one file per HTTP attempt: method,
route, query (redacted), status, an allow-list of response headers, the response body passed
through the *same* redactor as the evidence (so a trade's order pseudonym still matches its
order), and the measured timings. Login tokens are ``[redacted]``: the replay server issues its
own. The whole cassette is checked by the leak guard before anything is written, and is written
to a temporary folder renamed into place, so a refused or interrupted save leaves nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jainam_validate import __version__, errors
from jainam_validate.classify import Verdict
from jainam_validate.client import RawExchange
from jainam_validate.evidence import dumps
from jainam_validate.redact import decode_layers
from jainam_validate.scanner import Scanner
from jainam_validate.timing import now_iso

FORMAT = "jainam-validate-cassette"
VERSION = 1
INDEX = "cassette.json"


@dataclass
class Recorder:
    """Collects redacted exchanges during a pass; :meth:`save` writes them all or nothing."""

    scanner: Scanner
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def __call__(self, raw: RawExchange, verdict: Verdict) -> None:
        redactor = self.scanner.redactor
        response: dict[str, Any] | None = None
        if raw.status is not None:
            headers = {"content-type": raw.content_type, "retry-after": raw.retry_after}
            response = {
                "status": raw.status,
                "headers": {k: v for k, v in headers.items() if v is not None},
            }
            if verdict.envelope is not None:
                response["json"] = redactor.redact(verdict.envelope)
            else:
                # an error page: decoded first, so an echo in any encoding is scrubbed
                text = raw.body.decode("utf-8", errors="replace")
                response["text"] = redactor.scrub(decode_layers(text))
        self.exchanges.append(
            {
                "seq": len(self.exchanges) + 1,
                "flow": raw.flow,
                "request": {
                    "method": raw.method,
                    "route": raw.route,
                    # by key: a dealer clientID is pseudonymised however short it is
                    "query": redactor.redact(dict(sorted(raw.query.items()))),
                },
                "response": response,
                "error": raw.error_class,
                "truncated": raw.status is not None and raw.error_class is not None,
                "timing": {
                    "requested_at": raw.requested_at,
                    "api_ms": raw.api_ms,
                    "ttfb_ms": raw.phases.ttfb_ms,
                },
            }
        )

    def save(self, folder: Path) -> Path:
        """Check every file with the leak guard, then write the cassette into ``folder``.

        Raises LeakDetected (nothing written) or UsageError (folder not replaceable).
        """
        redactor = self.scanner.redactor
        files: dict[str, str] = {}
        for exchange in self.exchanges:
            name = f"exchanges/{exchange['seq']:04d}-{exchange['flow']}.json"
            # Values learned after an exchange was recorded are scrubbed now (structure-aware,
            # so the file stays valid JSON), then checked.
            files[name] = dumps(redactor.rescrub(exchange))
        index = {
            "format": FORMAT,
            "version": VERSION,
            "tool_version": __version__,
            "recorded_at": now_iso(),
            "exchanges": len(self.exchanges),
            **self.meta,
        }
        files[INDEX] = dumps(index)
        for name, text in files.items():
            for finding in self.scanner.findings(text):
                raise errors.LeakDetected.at(f"cassette {name}", finding.rule, finding.offset)
        _replace_folder(folder, files)
        return folder


def _replace_folder(folder: Path, files: dict[str, str]) -> None:
    if folder.exists() and any(folder.iterdir()) and not (folder / INDEX).exists():
        raise errors.UsageError(
            f"--record {folder}: the folder exists and is not a cassette; name a new folder"
        )
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".cassette-", dir=folder.parent))
    try:
        for name, text in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _well_formed(exchange: Any) -> bool:
    if not isinstance(exchange, dict) or not isinstance(exchange.get("flow"), str):
        return False
    request, response = exchange.get("request"), exchange.get("response")
    if not isinstance(request, dict) or not isinstance(request.get("method"), str):
        return False
    if not isinstance(request.get("route"), str) or not isinstance(request.get("query", {}), dict):
        return False
    if not isinstance(exchange.get("timing", {}), dict):
        return False
    return response is None or (
        isinstance(response, dict) and isinstance(response.get("status"), int)
    )


@dataclass(frozen=True)
class Cassette:
    """A loaded cassette."""

    folder: Path
    index: dict[str, Any]
    exchanges: list[dict[str, Any]]


def load(folder: Path) -> Cassette:
    """Read a cassette; raises UsageError on a missing folder, an unknown format or version."""
    index_path = folder / INDEX
    if not index_path.exists() and (folder / "cassette" / INDEX).exists():
        return load(folder / "cassette")
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except OSError:
        raise errors.UsageError(f"{folder} is not a cassette (no {INDEX})") from None
    except (ValueError, RecursionError):
        raise errors.UsageError(f"{index_path} is not valid JSON") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise errors.UsageError(f"{index_path} is not a {FORMAT} file")
    if index.get("version") != VERSION:
        raise errors.UsageError(
            f"{folder}: cassette version {index.get('version')!r} is not supported by "
            f"jainam-validate {__version__} (it reads version {VERSION}); record it again"
        )
    exchanges = []
    for path in sorted((folder / "exchanges").glob("*.json")):
        try:
            exchange = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            raise errors.UsageError(
                f"{path} is not valid JSON: record the cassette again"
            ) from None
        if not _well_formed(exchange):
            raise errors.UsageError(
                f"{path} is not a cassette exchange (flow, request.method/route, response): "
                "record the cassette again"
            )
        exchanges.append(exchange)
    if len(exchanges) != index.get("exchanges"):
        raise errors.UsageError(
            f"{folder}: {len(exchanges)} exchange files, the index says {index.get('exchanges')}"
        )
    return Cassette(folder, index, exchanges)
