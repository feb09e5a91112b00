"""The whole-process baseline for ``fetch tradebook``: the least a script can do for the same
result, in its own process so its wall time and peak RSS (measured by the parent) are its own. It
logs in to the simulator's interactive session with httpx (the demo credentials come from
``jainam_validate.simulator.DEMO_CREDENTIALS``, never argv; that import is timed as
``import_ms``), GETs the trade book ``--url`` with the token on the same pooled ``httpx.Client``,
parses the body with ``json.loads`` and writes the parsed document with ``json.dump(obj, f,
indent=2)`` to ``tradebook.json`` in the existing temporary directory ``--out-dir``; it talks to
127.0.0.1 only. Prints one JSON object: ``import_ms``, ``login_ms``, ``get_ms`` (request until
the body is read), ``parse_ms``, ``write_ms``, ``bytes`` (the body), ``written`` (the file) and
this process's peak RSS ``maxrss_kb``; exits 0."""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

LOGIN_ROUTE = "/interactive/user/session"


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000.0, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the trade-book URL on 127.0.0.1")
    parser.add_argument("--out-dir", type=Path, required=True, help="an existing temporary dir")
    args = parser.parse_args(argv)
    parts = urlsplit(args.url)
    if parts.hostname != "127.0.0.1":
        parser.error("bare_process talks to 127.0.0.1 only")
    if not args.out_dir.is_dir():
        parser.error(f"--out-dir {args.out_dir}: not a directory")
    origin = f"{parts.scheme}://{parts.netloc}"

    t0 = time.perf_counter()
    from jainam_validate.simulator import DEMO_CREDENTIALS

    key, secret, _, _ = DEMO_CREDENTIALS.values()
    t1 = time.perf_counter()
    with httpx.Client(timeout=httpx.Timeout(120.0, connect=5.0)) as client:
        login = client.post(
            origin + LOGIN_ROUTE, json={"appKey": key, "secretKey": secret, "source": "WEBAPI"}
        )
        login.raise_for_status()
        token = str(login.json()["result"]["token"])
        t2 = time.perf_counter()
        response = client.get(args.url, headers={"Authorization": token})
        response.raise_for_status()
        body = response.content
        t3 = time.perf_counter()
    del response
    obj = json.loads(body)
    t4 = time.perf_counter()
    size = len(body)
    del body
    target = args.out_dir / "tradebook.json"
    with target.open("w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
    t5 = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {
        "import_ms": _ms(t0, t1),
        "login_ms": _ms(t1, t2),
        "get_ms": _ms(t2, t3),
        "parse_ms": _ms(t3, t4),
        "write_ms": _ms(t4, t5),
        "bytes": size,
        "written": target.stat().st_size,
        "maxrss_kb": usage.ru_maxrss,
    }
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
