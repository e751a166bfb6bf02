"""Instructions per request, counted by valgrind: a measure the machine's noise cannot move.

``python -m benchmarks.instructions [--variants plexy,aiohttp] [--concurrency 10]``

Requests/s on a shared VM wander by 10 to 20 percent from one run to the next; the number of
instructions a client executes per request does not. Each variant runs twice under
``valgrind --tool=callgrind`` against the same load target (``benchmarks.server``), once with
``--small`` requests and once with ``--small + --extra``; the difference of the two totals over
``--extra`` is the cost of one request, start-up, imports and warm-up cancelled out. A run
takes a minute or two: callgrind runs the client some fifty times slower.

What it does not see: time in the kernel (system calls, the loopback), and cache misses, which
make the same instructions dearer under load. Use it to compare changes to the client, and the
suite (``python -m benchmarks``) for requests/s.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys

from .suite import ROOT, LoadTarget

_COLLECTED = re.compile(r"Collected : (\d+)")


def count(variant: str, url: str, concurrency: int, requests: int) -> int:
    """Instructions the whole client process executed for ``requests`` requests."""
    command = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        sys.executable, "-m", "benchmarks.clients",
        "--variant", variant, "--url", url, "--concurrency", str(concurrency),
        "--max-requests", str(requests), "--max-seconds", "100000", "--warmup", "0",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"{variant}: callgrind run failed: {tail}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="instructions per request, under callgrind")
    parser.add_argument("--variants", default="plexy,aiohttp")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--small", type=int, default=500, help="requests in the first run")
    parser.add_argument("--extra", type=int, default=2000, help="more requests in the second")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    results: dict[str, float] = {}
    with LoadTarget(cpu=None) as target:
        for variant in args.variants.split(","):
            small = count(variant, target.url, args.concurrency, args.small)
            large = count(variant, target.url, args.concurrency, args.small + args.extra)
            results[variant] = (large - small) / args.extra
            print(f"{variant:18s} {results[variant]:10,.0f} instructions per request", flush=True)
    reference = results.get("aiohttp")
    if reference:
        for variant, per_request in results.items():
            print(
                f"{variant:18s} {reference / per_request:.3f} of raw aiohttp's rate, if CPU-bound"
            )


if __name__ == "__main__":
    main()
