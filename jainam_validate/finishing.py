"""The last writes of a run folder: samples, a leak stop's minimal manifest, the CI texts.

Helpers for :meth:`validation.Pass.finish`, which decides what a pass found: each usable
sample's ``samples/<flow>.json``; the texts rescrubbed with values learned late in the pass; the
manifest and report of our own words only that a leak stop leaves; JUnit XML and the job summary,
rendered and checked by the leak guard before the folder is sealed and written after; and the
window in which a second Ctrl-C/SIGTERM waits until the folder is whole.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jainam_validate import errors, report
from jainam_validate.errors import ExitCode
from jainam_validate.evidence import (
    TIMINGS,
    CheckResult,
    RunFolder,
    RunManifest,
    dumps,
    write_outside,
)
from jainam_validate.harness import FlowResult
from jainam_validate.redact import Redactor
from jainam_validate.sessions import Session
from jainam_validate.verdict import Status, status_of, verdict_of

if TYPE_CHECKING:
    from jainam_validate.validation import PassOptions

__all__ = [
    "CiTexts",
    "configuration_of",
    "ci_texts",
    "rescrub_texts",
    "signals_deferred",
    "write_leak_stop",
    "write_sample",
]


@contextmanager
def signals_deferred() -> Iterator[None]:
    """While the folder is being finished, a second Ctrl-C/SIGTERM waits until it is done
    (then interrupts), so run.json, report.md and SHA256SUMS are never left half-written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, _frame: pending.append(signum))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if pending:
        raise KeyboardInterrupt


@dataclass(frozen=True)
class CiTexts:
    """JUnit and the job summary: rendered from the folder and checked before it is sealed,
    written after (they live outside it)."""

    junit: str | None = None
    summary: str | None = None

    def write(self, *, junit: Path | None, step_summary: Path | None) -> None:
        if junit is not None and self.junit is not None:
            write_outside(junit, self.junit)
        if step_summary is not None and self.summary is not None:
            try:
                with open(step_summary, "a", encoding="utf-8") as handle:
                    handle.write(self.summary)
            except OSError:
                pass  # the job summary is a courtesy; the evidence folder is the record


def ci_texts(folder: RunFolder, *, junit: Path | None, step_summary: Path | None) -> CiTexts:
    """Render and check the CI surfaces; raises LeakDetected like any other artifact."""
    if junit is None and step_summary is None:
        return CiTexts()
    view = report.load(folder.path)
    junit_text = summary = None
    if junit is not None:
        junit_text = report.render_junit(view)
        folder.guard(junit_text, junit.name)
    if step_summary is not None:
        summary = report.render_step_summary(view)
        folder.guard(summary, "GITHUB_STEP_SUMMARY")
    return CiTexts(junit_text, summary)


def _leak_ci_texts(folder: RunFolder, *, junit: Path | None, step_summary: Path | None) -> CiTexts:
    """The CI surfaces of a leak stop, from the minimal manifest (our own words); should even
    those trip the guard, a fixed text that says exit 7 and nothing else."""
    try:
        return ci_texts(folder, junit=junit, step_summary=step_summary)
    except errors.LeakDetected:
        name = '"jainam-validate"'
        junit_text = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuites name={name} tests="1" failures="0" errors="1">\n'
            f'  <testsuite name={name} tests="1" failures="0" errors="1" skipped="0">\n'
            '    <testcase name="run" classname="jainam-validate.run">'
            '<error type="leak_guard" message="exit 7: the leak guard stopped the run"/>'
            "</testcase>\n  </testsuite>\n</testsuites>\n"
        )
        return CiTexts(
            junit_text, "### jainam-validate\n\n**FAIL**: exit 7, the leak guard stopped the run\n"
        )


def write_sample(folder: RunFolder, result: FlowResult, session: Session) -> None:
    """``samples/<flow>.json``: the kept sample's redacted rows and what could not be read."""
    document = {
        "flow": result.flow,
        "run_id": folder.run_id,
        "sample": result.sample,
        "outcome": result.outcome.value,
        "code": result.code,
        "account_type": session.account_type.value,
        "row_count": len(result.rows),
        "rows": result.rows,
        "malformed_rows": [dict(sorted(m.model_dump().items())) for m in result.malformed],
    }
    # in sorted order, as rows are made: the document can then be written natively
    folder.write_json(f"samples/{result.flow}.json", dict(sorted(document.items())))


def rescrub_texts(manifest: RunManifest, redactor: Redactor) -> None:
    """The manifest's error and check texts, scrubbed again with every value known by now."""
    if manifest.error:
        manifest.error = redactor.scrub(manifest.error)
    manifest.checks = {
        name: CheckResult.model_validate(redactor.scrub_strings(check.model_dump()))
        for name, check in manifest.checks.items()
    }


def write_leak_stop(
    folder: RunFolder,
    manifest: RunManifest,
    leak: errors.LeakDetected,
    *,
    statuses: list[Status],
    interrupted: bool,
    junit: Path | None,
    step_summary: Path | None,
) -> None:
    """The guard refused an artifact: say so in a manifest of our own words only (the leak
    message names file, rule and offset, never the value), checked or not; seal the folder."""
    # Check names and statuses are ours; their details may hold the leaking value.
    withheld = "detail withheld: the leak guard stopped run.json"
    minimal = RunManifest(
        run_id=manifest.run_id,
        command=manifest.command,
        started_at=manifest.started_at,
        ended_at=manifest.ended_at,
        target={"kind": str(manifest.target.get("kind", ""))},
        checks={
            name: CheckResult(status=status_of(check.status).value, detail=withheld)
            for name, check in manifest.checks.items()
        },
        exit_code=int(ExitCode.LEAK),
        verdict=verdict_of(statuses, int(ExitCode.LEAK), interrupted=interrupted).value,
        error=f"{type(leak).__name__}: {leak}",
    )
    if leak.artifact == TIMINGS:
        # the log itself still matched after a final scrub: it is not kept
        (folder.path / TIMINGS).unlink(missing_ok=True)
        minimal.error = f"{minimal.error}; {TIMINGS} was withheld"
    folder.write_trusted("run.json", dumps(minimal.model_dump(mode="json")))
    try:
        folder.write_text("report.md", report.render_folder(folder.path))
    except errors.LeakDetected:
        folder.write_trusted(
            "report.md", f"# Run {manifest.run_id}\n\n**{minimal.verdict}**: exit 7\n"
        )
    folder.seal()
    # never leave an older green file
    _leak_ci_texts(folder, junit=junit, step_summary=step_summary).write(
        junit=junit, step_summary=step_summary
    )


def configuration_of(options: PassOptions, rate_per_s: float) -> dict[str, Any]:
    """What run.json records of how a pass was set up (schema 3): no secret, no path."""
    r = options.resilience
    return {
        "flows": list(options.flows),
        "day_or_net": options.day_or_net,
        "market_session": options.market_session,
        "pnl": options.pnl,
        "retries": r.retry.retries,
        "rate_per_s": rate_per_s,
        "breaker": r.breaker_threshold,
        "connect_timeout_s": options.timeouts.connect,
        "read_timeout_s": options.timeouts.read,
        "allow_empty": sorted(options.allow_empty),
        "app_host": options.app.host if options.app is not None else None,
    }
