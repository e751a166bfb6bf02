"""The distributed batch: items/s with 1, 2 and 4 worker processes, coordinator overhead, Redis
memory per 10,000 items.

``python -m benchmarks.distributed [--items 4000] [--workers 1,2,4] [--delay 0.02]``

Everything is real and on this machine: a redis-server (no persistence) in a temporary
directory, the mock Plexy server in its own process answering every ``POST /v2/payments`` after
``--delay`` seconds (20 ms: the calls wait on the network, as against a real service, so two
cores are not the first limit), ``taskiq worker`` processes (each 2 chunks at once, 32 calls in
flight) and the coordinator, ``plexy-async batch INPUT --broker ...``, all as subprocesses.

Per worker count, with a fresh Redis:

* **items/s**: input records over the span from the mock's first request to its last answer;
* **coordinator wall**: the coordinator process from start to exit (reads the input, kicks the
  chunks, follows progress, writes the journal); **overhead** = wall minus that span;
* **coordinator CPU**: its user+system seconds (``RUSAGE_CHILDREN`` across its exit), per
  10,000 items;
* **Redis memory per 10,000 items**: ``INFO memory`` ``used_memory`` after the batch (workers
  stopped, so their connections' buffers are not counted), less the empty server's, scaled
  (the outcome store: a journal record per line, counters; the stream's messages are deleted
  by the coordinator at the end), the peak while it ran (connections included), and the
  store's own ``MEMORY USAGE`` per item. A last row runs 2 workers with Redis's
  ``hash-max-listpack-value 1024`` (``--listpack``), which keeps each chunk's hash compact.

Prints a Markdown table and one JSON line per worker count. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from distributed_support import (  # noqa: E402
    kill_group,
    start_coordinator,
    start_mock,
    start_worker,
    wait_for,
    write_payments,
)
from redis_support import start_redis, stop_redis  # noqa: E402


def _listening(logs: list[Path]) -> bool:
    """Every worker's receiver has started (a consumer shows in XINFO only after its first
    message, so the logs tell)."""
    return all(p.exists() and "Listening started" in p.read_text(errors="replace") for p in logs)


def _store_bytes(client: Any) -> int:
    """``MEMORY USAGE`` of every key of the batch (the outcome store)."""
    return sum(int(client.memory_usage(k, samples=0) or 0) for k in client.keys("plexy:*"))


def run_once(
    workers: int, items: int, delay: float, chunk_size: int, listpack: int | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="plexy-dist-bench-") as tmp:
        directory = Path(tmp)
        (directory / "redis").mkdir()
        server = start_redis(directory / "redis")
        mock = start_mock(directory, delay=delay)
        procs = []
        try:
            client = server.client()
            if listpack:
                client.config_set("hash-max-listpack-value", listpack)
            base_memory = int(client.info("memory")["used_memory"])
            input_path = directory / "payments.jsonl"
            write_payments(input_path, items)
            procs = [
                start_worker(
                    server.url, mock.url, directory / f"w{i}.log",
                    PLEXY_WORKER_CONCURRENCY="32", PLEXY_BROKER_IDLE_TIMEOUT="60",
                )
                for i in range(workers)
            ]  # fmt: skip
            logs = [directory / f"w{i}.log" for i in range(workers)]
            wait_for(lambda: _listening(logs), 60, "the workers to start")
            started = time.monotonic()
            coordinator = start_coordinator(
                server.url, input_path, directory / "journal.jsonl",
                directory / "coordinator.log", "--chunk-size", str(chunk_size),
                "--concurrency", "16", "--progress", "none",
            )  # fmt: skip
            peak = base_memory
            while coordinator.poll() is None:
                peak = max(peak, int(client.info("memory")["used_memory"]))
                time.sleep(0.2)
            wall = time.monotonic() - started
            cpu = _children_cpu()
            for proc in procs:  # their connections' buffers would count in used_memory
                kill_group(proc)
            time.sleep(0.5)
            after_memory = int(client.info("memory")["used_memory"])
            store = _store_bytes(client)
            ledger = mock.ledger()
            requests = [r for r in ledger["requests"] if r["path"] == "/v2/payments"]
            span = max(r["ended"] for r in requests) - min(r["started"] for r in requests)
            return {
                "workers": workers,
                "listpack_value": listpack,
                "items": items,
                "delay_s": delay,
                "exit": coordinator.returncode,
                "items_per_s": round(items / span, 1),
                "span_s": round(span, 2),
                "coordinator_wall_s": round(wall, 2),
                "coordinator_overhead_s": round(wall - span, 2),
                "coordinator_cpu_s_per_10k": round(cpu * 10_000 / items, 2),
                "redis_bytes_per_10k_after": round((after_memory - base_memory) * 10_000 / items),
                "redis_bytes_per_10k_peak": round((peak - base_memory) * 10_000 / items),
                "store_bytes_per_item": round(store / items),
                "charges": len(ledger["charges"]),
            }
        finally:
            for proc in procs:
                kill_group(proc)
            mock.stop()
            stop_redis(server)


_CPU_SEEN = [0.0]


def _children_cpu() -> float:
    """CPU seconds of children reaped since the last call (the coordinator: it is the only
    child waited for between two calls)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    spent, _CPU_SEEN[0] = total - _CPU_SEEN[0], total
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=4000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--chunk-size", type=int, default=100)
    parser.add_argument("--listpack", type=int, default=1024, help="0: no such row")
    args = parser.parse_args()
    _children_cpu()
    rows = []
    runs: list[tuple[int, int | None]] = [(int(x), None) for x in args.workers.split(",")]
    if args.listpack:
        runs.append((2, args.listpack))
    for n, listpack in runs:
        _children_cpu()  # forget what the previous run's workers and mock used
        row = run_once(n, args.items, args.delay, args.chunk_size, listpack)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print("| workers | items/s | span s | coordinator wall s | overhead s | coordinator CPU s "
          "/ 10k items | Redis MB / 10k items after (peak) | store bytes / item |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        label = f"{r['workers']}" + (
            f" (listpack {r['listpack_value']})" if r["listpack_value"] else ""
        )
        print(
            f"| {label} | {r['items_per_s']:,.0f} | {r['span_s']} | "
            f"{r['coordinator_wall_s']} | {r['coordinator_overhead_s']} | "
            f"{r['coordinator_cpu_s_per_10k']} | {r['redis_bytes_per_10k_after'] / 1e6:.1f} "
            f"({r['redis_bytes_per_10k_peak'] / 1e6:.1f}) | {r['store_bytes_per_item']} |"
        )


if __name__ == "__main__":
    main()
