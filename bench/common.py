"""Shared machinery for the benchmark sections: a time budget every loop checks, a subprocess
runner that measures wall time and the child's own peak RSS (``os.wait4``, so one child's
figure never leaks into another's), the minimal environment the CLI runs with (simulator base
URL, demo credentials, a failing keyring backend and a throw-away config directory, so nothing
of the user's configuration or keyring is read or written), a plain-HTTP login to the simulator
for curl and the bare-httpx GET baseline, the runners of the two baselines in their own
processes (``bare_fetch.py``: GET + ``.json()``; ``bare_process.py``: login, GET, parse,
write), the run-folder reader, the statistics helpers, and the ``Figure`` rows of the final
table. Everything here talks to 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
#: The interpreter running the suite (``.venv/bin/python``); the CLI sits next to it.
PYTHON = Path(sys.executable)
CLI = PYTHON.parent / "jainam-validate"
BARE_FETCH = BENCH / "bare_fetch.py"
BARE_PROCESS = BENCH / "bare_process.py"
CREDENTIAL_NAMES: tuple[str, ...] = (
    "JAINAM_INTERACTIVE_API_KEY",
    "JAINAM_INTERACTIVE_API_SECRET",
    "JAINAM_MARKET_API_KEY",
    "JAINAM_MARKET_API_SECRET",
)
LOGIN_ROUTE = "/interactive/user/session"


class BudgetExceeded(RuntimeError):
    """The suite's time budget ran out; the section stops and says so."""


class Budget:
    """A wall-clock deadline for the whole suite; every subprocess timeout is capped by it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.deadline = self.started + seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def timeout(self, cap: float) -> float:
        """``cap`` seconds, or what is left of the budget if less; raises when nothing is."""
        left = self.remaining()
        if left <= 1.0:
            raise BudgetExceeded(f"time budget of {self.seconds:.0f} s used up")
        return min(cap, left)


@dataclass
class Proc:
    """One finished subprocess: exit code, wall time, the child's own peak RSS, its output."""

    cmd: list[str]
    rc: int
    wall_s: float
    maxrss_mb: float
    stdout: str
    stderr: str
    timed_out: bool

    def check(self, what: str) -> Proc:
        if self.timed_out:
            raise RuntimeError(f"{what}: timed out after {self.wall_s:.1f} s")
        if self.rc != 0:
            tail = self.stderr.strip().splitlines()[-3:]
            raise RuntimeError(f"{what}: exit {self.rc}: {' | '.join(tail)}")
        return self


def run_measured(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str],
    timeout: float,
    cwd: Path | None = None,
) -> Proc:
    """Run ``cmd`` to completion (killed after ``timeout`` s) and measure it.

    The parent blocks in ``os.wait4`` on this one pid, so the wall time has no polling slack and
    the rusage (peak RSS) is this child's alone, even when it was killed on time-out.
    """
    argv = [os.fspath(c) for c in cmd]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=dict(env), cwd=cwd, stdout=out, stderr=err)
        lock = threading.Lock()
        state = {"done": False, "killed": False}

        def kill() -> None:
            with lock:
                if not state["done"]:
                    state["killed"] = True
                    proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            with lock:
                state["done"] = True
            timer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Proc(
            cmd=argv,
            rc=proc.returncode,
            wall_s=wall,
            maxrss_mb=usage.ru_maxrss / 1024.0,  # kB on Linux
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            timed_out=state["killed"],
        )


def require_loopback(base_url: str) -> str:
    """The benchmarks only ever talk to the simulator on 127.0.0.1."""
    host = urlsplit(base_url).hostname
    if host != "127.0.0.1":
        raise RuntimeError(f"benchmarks talk to 127.0.0.1 only, not {host!r}")
    return base_url


def base_env(workdir: Path) -> dict[str, str]:
    """A clean environment: no JAINAM_* of the user's, no keyring, a private config dir."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir / "home"),
        "XDG_CONFIG_HOME": str(workdir / "xdg"),
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "TERM": "dumb",
        "COLUMNS": "120",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    if os.environ.get("PYTHONPATH"):  # lets `PYTHONPATH=/other/tree make bench` compare trees
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    (workdir / "home").mkdir(parents=True, exist_ok=True)
    return env


def cli_env(workdir: Path, base_url: str) -> dict[str, str]:
    """The environment a broker command needs against the simulator (demo credentials)."""
    from jainam_validate.simulator import DEMO_CREDENTIALS

    env = base_env(workdir)
    env["JAINAM_BASE_URL"] = require_loopback(base_url)
    env.update(zip(CREDENTIAL_NAMES, DEMO_CREDENTIALS.values(), strict=True))
    return env


def login_token(base_url: str, timeout: float = 10.0) -> str:
    """Log in to the simulator's interactive session over plain HTTP; returns the token."""
    from jainam_validate.simulator import DEMO_CREDENTIALS

    key, secret, _, _ = DEMO_CREDENTIALS.values()
    body = json.dumps({"appKey": key, "secretKey": secret, "source": "WEBAPI"}).encode()
    request = urllib.request.Request(
        require_loopback(base_url) + LOGIN_ROUTE,
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return str(json.load(response)["result"]["token"])


def prime(url: str, token: str, timeout: float) -> int:
    """GET once so the simulator builds and caches the book before anything is timed."""
    request = urllib.request.Request(
        require_loopback(url), headers={"Authorization": token}, method="GET"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return len(response.read())


def fetch_cli(
    flow: str,
    iterations: int,
    *,
    workdir: Path,
    base_url: str,
    label: str,
    timeout: float,
    extra: Sequence[str] = (),
) -> tuple[Proc, list[dict[str, Any]]]:
    """``jainam-validate fetch FLOW --iterations N`` into its own evidence dir; returns the
    process and the run folder's timing records for ``flow``."""
    evidence = workdir / f"evidence-{label}"
    cmd: list[str | os.PathLike[str]] = [CLI, "fetch", flow, "--iterations", str(iterations)]
    cmd += ["--evidence-dir", evidence, *extra]
    proc = run_measured(cmd, env=cli_env(workdir, base_url), timeout=timeout, cwd=workdir)
    return proc, [r for r in read_timings(evidence) if r.get("flow") == flow]


_HELP_CACHE: dict[str, str] = {}


def fetch_supports(option: str, workdir: Path) -> bool:
    """Whether this tree's ``fetch`` has ``option`` (the CLI grows flags between commits)."""
    if "fetch" not in _HELP_CACHE:
        env = base_env(workdir)
        env["TYPER_USE_RICH"] = "0"  # plain help text, whatever the app's markup mode
        proc = run_measured([CLI, "fetch", "--help"], env=env, timeout=30, cwd=workdir)
        _HELP_CACHE["fetch"] = proc.stdout
    return option in _HELP_CACHE["fetch"].split()


def read_timings(evidence_dir: Path) -> list[dict[str, Any]]:
    """The records of the (only or newest) run folder under ``evidence_dir``."""
    runs = sorted(p for p in evidence_dir.glob("*") if (p / "timings.jsonl").is_file())
    if not runs:
        return []
    lines = (runs[-1] / "timings.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def bare_fetch(
    url: str, token: str, samples: int, *, workdir: Path, timeout: float
) -> tuple[Proc, dict[str, Any]]:
    """The baseline: ``bench/bare_fetch.py`` in its own process (pooled httpx client, ``.json()``
    on the same response), so its peak RSS is comparable with the CLI's."""
    env = base_env(workdir)
    env["BENCH_TOKEN"] = token
    cmd: list[str | os.PathLike[str]] = [PYTHON, BARE_FETCH, "--url", require_loopback(url)]
    cmd += ["--samples", str(samples)]
    proc = run_measured(cmd, env=env, timeout=timeout, cwd=workdir).check("bare httpx fetch")
    return proc, json.loads(proc.stdout)


def bare_process(
    url: str, *, workdir: Path, label: str, timeout: float
) -> tuple[Proc, dict[str, Any]]:
    """The whole-process baseline: ``bench/bare_process.py`` (login, pooled httpx GET of ``url``,
    ``json.loads``, ``json.dump(indent=2)`` to a file) in its own process, measured like the CLI
    by :func:`run_measured`; returns the process and its own phase timings. The file it writes
    is deleted afterwards (a 100k-row book indents to ~150 MB)."""
    out_dir = Path(tempfile.mkdtemp(prefix=f"bare-{label}-", dir=workdir))
    try:
        cmd: list[str | os.PathLike[str]] = [PYTHON, BARE_PROCESS, "--url", require_loopback(url)]
        cmd += ["--out-dir", out_dir]
        proc = run_measured(cmd, env=base_env(workdir), timeout=timeout, cwd=workdir)
        proc.check("bare process")
        return proc, json.loads(proc.stdout)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def median(values: Iterable[float | None]) -> float | None:
    data = [v for v in values if v is not None]
    return statistics.median(data) if data else None


def fmt_ms(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f} ms"


@dataclass
class Figure:
    """One row of the final table. ``met`` is None for figures that have no target."""

    section: str
    name: str
    target: str
    measured: str
    met: bool | None = None
    value: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: "-"}[self.met]


def skipped(section: str, reason: str) -> Figure:
    return Figure(section, f"{section} (not measured)", "-", reason, None)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], title: str = "") -> None:
    """A plain fixed-width table on stdout (no colour: the output is meant to be pasted)."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    if title:
        print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    sys.stdout.flush()
