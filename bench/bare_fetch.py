"""The baseline the harness is compared with: a bare pooled ``httpx.Client`` that GETs one
simulator URL ``--samples`` times with the session token (from ``BENCH_TOKEN``, never argv) and
parses each answer with ``.json()``, nothing else. One extra first request opens the connection
and is dropped, so every reported sample runs on a reused connection like the harness's. Prints
one JSON object: per-sample ``get_ms`` (request until the body is read), ``json_ms`` (``.json()``
alone), ``bytes``, and this process's peak RSS. Runs in its own process so its RSS is its own."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from urllib.parse import urlsplit

import httpx


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args(argv)
    if urlsplit(args.url).hostname != "127.0.0.1":
        parser.error("bare_fetch talks to 127.0.0.1 only")
    samples = max(1, min(args.samples, 1000))
    headers = {"Authorization": os.environ["BENCH_TOKEN"], "Content-Type": "application/json"}
    get_ms: list[float] = []
    json_ms: list[float] = []
    size = 0
    with httpx.Client(timeout=httpx.Timeout(120.0, connect=5.0)) as client:
        for i in range(samples + 1):
            t0 = time.perf_counter()
            response = client.get(args.url, headers=headers)
            t1 = time.perf_counter()
            data = response.json()
            t2 = time.perf_counter()
            response.raise_for_status()
            if not isinstance(data, dict):
                raise SystemExit("bare_fetch: the answer is not a JSON object")
            size = len(response.content)
            del data, response
            if i:  # the first request opened the connection
                get_ms.append(round((t1 - t0) * 1000.0, 3))
                json_ms.append(round((t2 - t1) * 1000.0, 3))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {"get_ms": get_ms, "json_ms": json_ms, "bytes": size, "maxrss_kb": usage.ru_maxrss}
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
