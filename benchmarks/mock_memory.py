"""Peak memory of ``plexy-async mock`` over 200,000 requests: it stays bounded.

``python -m benchmarks.mock_memory [--requests 200000] [--concurrency 64] [--max-seconds 600]
[--json PATH] [-- MOCK FLAGS...]``

The mock runs in its own process (``python -m plexy_async mock --port 0`` on 127.0.0.1, with its
default bounds unless flags follow ``--``); this process sends it ``--requests`` Checkout
``POST /v2/payments`` at a bounded concurrency over keep-alive connections: each with a unique
``Idempotency-Key``, except every ``--replay-every``-th, which sends an earlier request again
(same key, same body: a replay). Every 50th payment uses the 3-D Secure card, so stored payments
awaiting ``/payments/details`` grow too. The mock's RSS is read from ``/proc/PID/status``
(``VmRSS``, sampled every 0.25 s; ``VmHWM``, the kernel's peak, at the end): psutil is not a
dependency. Stops at ``--max-seconds``, printing progress every 10,000 requests. Linux only.
Never part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

from .batch_memory import API_KEY, start_mock

TARGET_MB = 150.0


def status_kb(pid: int, field: str) -> int | None:
    """A ``kB`` field (``VmRSS``, ``VmHWM``) of ``/proc/PID/status``, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match[1]) if match else None


def body(i: int) -> bytes:
    card = "4000002500003155" if i % 50 == 49 else "4242424242424242"
    return json.dumps(
        {
            "amount": {"value": 1000 + i % 50_000, "currency": "KZT"},
            "reference": f"mock-mem-{i:07d}",
            "merchantAccount": "BenchMerchant",
            "paymentMethod": {
                "type": "scheme",
                "number": card,
                "cvc": "737",
                "expiryMonth": "03",
                "expiryYear": "2030",
            },
        }
    ).encode()


class Load:
    def __init__(self, url: str, total: int, replay_every: int, deadline: float) -> None:
        self.url = url + "/v2/payments"
        self.total = total
        self.replay_every = replay_every
        self.deadline = deadline
        self.next = 0
        self.sent = 0
        self.statuses: dict[int, int] = {}
        self.replayed = 0
        self.errors = 0

    def take(self) -> int | None:
        if self.next >= self.total or time.monotonic() >= self.deadline:
            return None
        self.next += 1
        return self.next - 1

    async def worker(self, http: aiohttp.ClientSession) -> None:
        while (n := self.take()) is not None:
            # every replay_every-th request re-sends one sent a little earlier: same key and body
            i = n - 37 if n >= 37 and n % self.replay_every == 0 else n
            headers = {
                "x-api-key": API_KEY,
                "Content-Type": "application/json",
                "Idempotency-Key": f"mock-mem-key-{i:07d}",
            }
            try:
                async with http.post(self.url, data=body(i), headers=headers) as resp:
                    await resp.read()
                    self.statuses[resp.status] = self.statuses.get(resp.status, 0) + 1
                    self.replayed += resp.headers.get("Idempotent-Replayed") == "true"
            except aiohttp.ClientError:
                self.errors += 1
            self.sent += 1


async def sample(pid: int, samples: list[tuple[float, int]], started: float) -> None:
    while True:
        kb = status_kb(pid, "VmRSS")
        if kb is not None:
            samples.append((time.monotonic() - started, kb))
        await asyncio.sleep(0.25)


async def progress(load: Load, samples: list[tuple[float, int]], started: float) -> None:
    shown = 0
    while True:
        await asyncio.sleep(0.5)
        if load.sent >= shown + 10_000:
            shown = load.sent - load.sent % 10_000
            rss = samples[-1][1] / 1024 if samples else float("nan")
            rate = load.sent / (time.monotonic() - started)
            print(
                f"  {load.sent:>9,} requests  {rate:>7,.0f}/s  mock RSS {rss:6.1f} MB",
                flush=True,
            )


def at(samples: list[tuple[float, int]], fraction: float) -> float | None:
    """The RSS, in MB, of the sample ``fraction`` of the way through the run."""
    if not samples:
        return None
    return round(samples[min(int(len(samples) * fraction), len(samples) - 1)][1] / 1024, 1)


async def run(args: argparse.Namespace, url: str, pid: int) -> dict[str, Any]:
    started = time.monotonic()
    load = Load(url, args.requests, args.replay_every, started + args.max_seconds)
    samples: list[tuple[float, int]] = []
    sampler = asyncio.create_task(sample(pid, samples, started))
    shower = asyncio.create_task(progress(load, samples, started))
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(load.worker(http) for _ in range(args.concurrency)))
    elapsed = time.monotonic() - started
    await asyncio.sleep(0.3)  # one more sample after the last answer
    for task in (sampler, shower):
        task.cancel()
    await asyncio.gather(sampler, shower, return_exceptions=True)
    peak_sampled = max((kb for _, kb in samples), default=0) / 1024
    hwm = (status_kb(pid, "VmHWM") or 0) / 1024
    return {
        "requests": load.sent,
        "requested": args.requests,
        "concurrency": args.concurrency,
        "seconds": round(elapsed, 1),
        "per_second": round(load.sent / elapsed, 1) if elapsed else None,
        "statuses": {str(k): v for k, v in sorted(load.statuses.items())},
        "replayed": load.replayed,
        "client_errors": load.errors,
        "peak_rss_mb_sampled": round(peak_sampled, 1),
        "peak_rss_mb_vmhwm": round(hwm, 1),
        "final_rss_mb": round(samples[-1][1] / 1024, 1) if samples else None,
        "rss_mb_at": {f"{int(frac * 100)}%": at(samples, frac) for frac in (0.1, 0.5, 1.0)},
        "target_mb": TARGET_MB,
        "completed": load.sent >= args.requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--replay-every", type=int, default=20, help="default: 1 in 20")
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--json", help="also write the result here")
    parser.add_argument("mock_flags", nargs="*", help="after --: flags for plexy-async mock")
    args = parser.parse_args()
    proc, url = start_mock(args.mock_flags)
    print(f"mock at {url} (pid {proc.pid}); {args.requests:,} requests, concurrency "
          f"{args.concurrency}", flush=True)  # fmt: skip
    try:
        result = asyncio.run(run(args, url, proc.pid))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    result["mock_exit"] = proc.returncode
    result["mock_said"] = out.strip().splitlines()[-1] if out.strip() else ""
    peak = max(result["peak_rss_mb_sampled"], result["peak_rss_mb_vmhwm"])
    verdict = "under" if peak < TARGET_MB else "OVER"
    print(
        f"{result['requests']:,} requests in {result['seconds']} s "
        f"({result['per_second']}/s), statuses {result['statuses']}, "
        f"{result['replayed']:,} replays; mock peak RSS {peak:.1f} MB "
        f"(VmHWM {result['peak_rss_mb_vmhwm']} MB), {verdict} the {TARGET_MB:.0f} MB target; "
        f"mock exit {result['mock_exit']}: {result['mock_said']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
