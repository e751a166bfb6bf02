"""The whole suite: load target, client variants and the batch runner in alternating order,
converter, tables with the ratios to both raw references, verdicts, JSON and Markdown.

Run it as ``python -m benchmarks`` (``--quick`` for a smoke run, ``--help`` for the knobs).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


class Variant(NamedTuple):
    label: str
    client: str  # a benchmarks.clients variant, or "batch" (benchmarks.batch_throughput)
    loop: str  # asyncio or uvloop


ALL_VARIANTS = (
    Variant("plexy", "plexy", "asyncio"),
    Variant("aiohttp", "aiohttp", "asyncio"),
    Variant("aiohttp-orjson", "aiohttp-orjson", "asyncio"),
    Variant("aiohttp-json", "aiohttp-json", "asyncio"),
    Variant("aiohttp-new-conn", "aiohttp-new-conn", "asyncio"),
    Variant("httpx", "httpx", "asyncio"),
    Variant("plexy+uvloop", "plexy", "uvloop"),
    Variant("aiohttp+uvloop", "aiohttp", "uvloop"),
    Variant("aiohttp-orjson+uvloop", "aiohttp-orjson", "uvloop"),
    Variant("batch", "batch", "asyncio"),
)

#: The two raw references on each loop: stdlib json with a pre-encoded body, and orjson with
#: the body built and encoded per request. Every variant's ratios are taken against both.
REFERENCES = {
    "asyncio": ("aiohttp", "aiohttp-orjson"),
    "uvloop": ("aiohttp+uvloop", "aiohttp-orjson+uvloop"),
}

#: The batch runner's concurrency; its items/s compare with the references' requests/s here.
BATCH_CONCURRENCY = 100

DESCRIPTIONS = {
    "plexy": "plexy.payments.create(...) end to end (models, converter, retry wrapper)",
    "aiohttp": "raw aiohttp, one reused ClientSession, pre-encoded body, json.loads: reference",
    "aiohttp-orjson": "raw aiohttp, dict built and orjson.dumps per request, orjson.loads: "
    "reference",
    "aiohttp-json": "raw aiohttp, the body encoded per request with json= (stdlib json)",
    "aiohttp-new-conn": "raw aiohttp, a new TCP connection per request (force_close)",
    "httpx": "httpx.AsyncClient, reused",
    "plexy+uvloop": "plexy under uvloop",
    "aiohttp+uvloop": "raw aiohttp under uvloop: the uvloop reference",
    "aiohttp-orjson+uvloop": "raw aiohttp + orjson under uvloop: the second uvloop reference",
    "batch": "plexy_async.batch: payments.create over lazily generated items, journal on",
}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def available_variants() -> list[Variant]:
    chosen = []
    for variant in ALL_VARIANTS:
        if variant.client == "httpx" and not _installed("httpx"):
            continue
        if variant.client == "aiohttp-orjson" and not _installed("orjson"):
            continue
        if variant.loop == "uvloop" and not _installed("uvloop"):
            continue
        chosen.append(variant)
    return chosen


# --- processes ----------------------------------------------------------------------------------


class Cores(NamedTuple):
    server: int | None
    client: int | None


def pick_cores() -> Cores:
    """The load target on one core, the clients on another, where the machine has two."""
    if not hasattr(os, "sched_getaffinity"):
        return Cores(None, None)
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return Cores(None, None)
    return Cores(server=cpus[-1], client=cpus[0])


def _cpu_args(cpu: int | None) -> list[str]:
    return [] if cpu is None else ["--cpu", str(cpu)]


class LoadTarget:
    """``benchmarks.server`` in its own process, for the duration of a ``with`` block."""

    def __init__(self, cpu: int | None) -> None:
        self._cpu = cpu
        self._process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> LoadTarget:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.server", *_cpu_args(self._cpu)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("PORT "):
            self._process.kill()
            raise SystemExit(f"the load target did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def run_client(
    variant: Variant, concurrency: int, url: str, settings: argparse.Namespace, cpu: int | None
) -> dict[str, Any]:
    """One measured run in a fresh interpreter; a dict with ``error`` when it failed."""
    if variant.client == "batch":
        return run_batch(url, settings.batch_items, settings, cpu)
    command = [
        sys.executable, "-m", "benchmarks.clients",
        "--variant", variant.client,
        "--loop", variant.loop,
        "--url", url,
        "--concurrency", str(concurrency),
        "--max-requests", str(settings.max_requests),
        "--max-seconds", str(settings.max_seconds),
        "--warmup", str(settings.warmup),
        *_cpu_args(cpu),
    ]  # fmt: skip
    return _run_json_line(command, settings.max_seconds + settings.warmup + 60)


def run_batch(
    url: str, items: int, settings: argparse.Namespace, cpu: int | None
) -> dict[str, Any]:
    """One batch of ``items`` payments at ``BATCH_CONCURRENCY`` in a fresh interpreter."""
    command = [
        sys.executable, "-m", "benchmarks.batch_throughput",
        "--url", url,
        "--items", str(items),
        "--concurrency", str(BATCH_CONCURRENCY),
        "--warmup-items", str(settings.batch_warmup_items),
        "--max-seconds", str(settings.batch_max_seconds),
        *_cpu_args(cpu),
    ]  # fmt: skip
    return _run_json_line(command, settings.batch_max_seconds + 120)


def _run_json_line(command: list[str], timeout: float) -> dict[str, Any]:
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {timeout:g}s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        return {"error": tail[0]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_converter(settings: argparse.Namespace, cpu: int | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.converter", "--json", *_cpu_args(cpu)]
    if settings.quick:
        command.append("--quick")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# --- the plan -----------------------------------------------------------------------------------


def plan(
    variants: list[Variant], concurrencies: list[int], repetitions: int
) -> list[tuple[int, int, Variant]]:
    """(repetition, concurrency, variant) in run order.

    Every variant runs once per concurrency before any runs again, and the order flips on every
    other repetition, so a slow minute on a shared machine lands on all variants alike. The
    batch runs among the variants at ``BATCH_CONCURRENCY`` (in a group of its own after the
    others when that level is not measured).
    """
    http = [v for v in variants if v.client != "batch"]
    batch = [v for v in variants if v.client == "batch"]
    groups = [(c, http + (batch if c == BATCH_CONCURRENCY else [])) for c in concurrencies]
    if batch and BATCH_CONCURRENCY not in concurrencies:
        groups.append((BATCH_CONCURRENCY, batch))
    runs = []
    for rep in range(repetitions):
        for concurrency, group in groups:
            ordered = group if rep % 2 == 0 else list(reversed(group))
            runs += [(rep, concurrency, variant) for variant in ordered]
    return runs


def summarise(
    runs: list[dict[str, Any]], variants: list[Variant], concurrencies: list[int]
) -> list[dict[str, Any]]:
    """Medians over repetitions per HTTP variant and concurrency, with the ratios to both raw
    references on the variant's loop."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for variant in variants:
        if variant.client == "batch":
            continue
        for concurrency in concurrencies:
            mine, failed = _runs_of(runs, variant.label, concurrency)
            rows[(variant.label, concurrency)] = {
                "variant": variant.label,
                "loop": variant.loop,
                "concurrency": concurrency,
                "runs": len(mine),
                "failed_runs": failed,
                "request_errors": sum(r["errors"] for r in mine),
                "rps": _median(r["rps"] for r in mine),
                "p50_ms": _median(r["p50_ms"] for r in mine),
                "p99_ms": _median(r["p99_ms"] for r in mine),
                "cpu_us": _median(r["cpu_us"] for r in mine),
                "rps_runs": [round(r["rps"]) for r in mine],
            }
    for row in rows.values():
        stdlib, orjson = REFERENCES[row["loop"]]
        row["vs_aiohttp"] = _ratio(row["rps"], rows.get((stdlib, row["concurrency"])))
        row["vs_aiohttp_orjson"] = _ratio(row["rps"], rows.get((orjson, row["concurrency"])))
    return list(rows.values())


def summarise_batch(
    runs: list[dict[str, Any]], memory_run: dict[str, Any] | None, summary: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The batch runs' medians, their ratios to the raw references' requests/s at
    ``BATCH_CONCURRENCY`` in the same suite run, and peak RSS at two item counts."""
    mine, failed = _runs_of(runs, "batch", BATCH_CONCURRENCY)
    if not mine and not failed:
        return None
    by = {(r["variant"], r["concurrency"]): r for r in summary}
    stdlib, orjson = (by.get((label, BATCH_CONCURRENCY)) for label in REFERENCES["asyncio"])
    rate = _median(r["items_per_s"] for r in mine)
    result: dict[str, Any] = {
        "concurrency": BATCH_CONCURRENCY,
        "items": mine[0]["items"] if mine else None,
        "runs": len(mine),
        "failed_runs": failed,
        "all_succeeded": bool(mine) and all(_batch_ok(r) for r in mine),
        "items_per_s": rate,
        "items_per_s_runs": [round(r["items_per_s"]) for r in mine],
        "p50_ms": _median(r["p50_ms"] for r in mine),
        "p99_ms": _median(r["p99_ms"] for r in mine),
        "cpu_us": _median(r["cpu_us"] for r in mine),
        "peak_rss_mb": _median(r["peak_rss_mb"] for r in mine),
        "vs_aiohttp": _ratio(rate, stdlib),
        "vs_aiohttp_orjson": _ratio(rate, orjson),
        "memory": None,
    }
    if memory_run is not None and "error" not in memory_run and mine:
        small, large = result["peak_rss_mb"], memory_run["peak_rss_mb"]
        extra = memory_run["processed"] - result["items"]
        result["memory"] = {
            "items": memory_run["processed"],
            "all_succeeded": _batch_ok(memory_run),
            "items_per_s": memory_run["items_per_s"],
            "p50_ms": memory_run["p50_ms"],
            "p99_ms": memory_run["p99_ms"],
            "cpu_us": memory_run["cpu_us"],
            "peak_rss_mb": large,
            "vs_aiohttp": _ratio(memory_run["items_per_s"], stdlib),
            "vs_aiohttp_orjson": _ratio(memory_run["items_per_s"], orjson),
            "growth_mb": round(large - small, 1),
            "bytes_per_extra_item": (large - small) * 1024 * 1024 / extra if extra > 0 else None,
        }
    elif memory_run is not None:
        result["memory"] = {"error": memory_run.get("error", "no batch run to compare with")}
    return result


def _batch_ok(run: dict[str, Any]) -> bool:
    return bool(
        run["all_succeeded"]
        and not run["interrupted"]
        and run["journal_item_lines"] == run["items"]
    )


def _runs_of(
    runs: list[dict[str, Any]], label: str, concurrency: int
) -> tuple[list[dict[str, Any]], int]:
    """The successful runs of one variant at one concurrency, and how many failed."""
    same = [r for r in runs if r["label"] == label and r["concurrency"] == concurrency]
    mine = [r for r in same if "error" not in r]
    return mine, len(same) - len(mine)


def _ratio(rate: float, reference: dict[str, Any] | None) -> float | None:
    if reference is None or not reference["rps"] or rate != rate:  # NaN: no runs
        return None
    ref_rate: float = reference["rps"]
    return rate / ref_rate if ref_rate == ref_rate else None


def _median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


# --- reporting ----------------------------------------------------------------------------------

#: The minimum ratio of plexy's requests/s to raw aiohttp's (stdlib json), every concurrency,
#: both loops (issue 11).
PLEXY_TARGET = 0.90
#: The minimum ratio of the batch's items/s to raw aiohttp's requests/s (issue 11).
BATCH_TARGET = 0.80
#: Peak RSS may grow by at most this much from the batch's item count to the larger one.
MEMORY_TOLERANCE_MB = 2.0


def _cell(ratio: float | None, is_reference: bool) -> str:
    if is_reference:
        return "1.00 (ref)"
    return "n/a" if ratio is None else f"{ratio:.2f}"


def http_table(summary: list[dict[str, Any]], loop: str) -> str:
    stdlib, orjson = REFERENCES[loop]
    lines = [
        f"HTTP clients on {loop}, ratios to the raw references on {loop} "
        f"(`{stdlib}`: stdlib json, body pre-encoded; `{orjson}`: orjson, body built and "
        "encoded per request):",
        "",
        "| concurrency | variant | req/s (median) | p50 ms | p99 ms | client CPU µs/req "
        "| vs raw aiohttp | vs raw aiohttp + orjson |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [r for r in summary if r["loop"] == loop]
    for row in sorted(rows, key=lambda r: r["concurrency"]):  # stable: variant order kept
        flag = ""
        if row["failed_runs"] or row["request_errors"]:
            flag = f" ⚠ {row['failed_runs']} failed runs, {row['request_errors']} errors"
        lines.append(
            f"| {row['concurrency']} | {row['variant']}{flag} | {row['rps']:,.0f} "
            f"| {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['cpu_us']:.0f} "
            f"| {_cell(row['vs_aiohttp'], row['variant'] == stdlib)} "
            f"| {_cell(row['vs_aiohttp_orjson'], row['variant'] == orjson)} |"
        )
    return "\n".join(lines)


def batch_table(batch: dict[str, Any]) -> str:
    lines = [
        f"Batch runner (`plexy_async.batch`, payments.create, concurrency {batch['concurrency']}, "
        "journal on, asyncio), items/s against the raw references' requests/s at the same "
        "concurrency in this run:",
        "",
        "| items | runs | items/s (median) | p50 ms | p99 ms | client CPU µs/item "
        "| peak RSS MB | vs raw aiohttp | vs raw aiohttp + orjson |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(items: int, runs: str, r: dict[str, Any], ok: bool) -> str:
        flag = "" if ok else " ⚠ not all succeeded"
        return (
            f"| {items:,}{flag} | {runs} | {r['items_per_s']:,.0f} | {r['p50_ms']:.2f} "
            f"| {r['p99_ms']:.2f} | {r['cpu_us']:.0f} | {r['peak_rss_mb']:.1f} "
            f"| {_cell(r['vs_aiohttp'], False)} | {_cell(r['vs_aiohttp_orjson'], False)} |"
        )

    if batch["runs"]:
        failed = f" ({batch['failed_runs']} failed)" if batch["failed_runs"] else ""
        runs = f"{batch['runs']}{failed}"
        lines.append(row(batch["items"], runs, batch, batch["all_succeeded"]))
    memory = batch.get("memory")
    if memory and "error" not in memory:
        lines.append(row(memory["items"], "1 (memory)", memory, memory["all_succeeded"]))
    return "\n".join(lines)


def checks(
    summary: list[dict[str, Any]],
    converter: dict[str, Any] | None,
    batch: dict[str, Any] | None = None,
) -> list[str]:
    """The suite's own verdicts, printed under the tables."""
    by = {(r["variant"], r["concurrency"]): r for r in summary}
    out = []
    plexy = [
        r for r in summary
        if r["variant"] in ("plexy", "plexy+uvloop") and r["vs_aiohttp"] is not None
    ]  # fmt: skip
    if plexy:
        parts = ", ".join(f"{r['loop']} c={r['concurrency']} {r['vs_aiohttp']:.2f}" for r in plexy)
        ok = all(r["vs_aiohttp"] >= PLEXY_TARGET for r in plexy)
        out.append(
            f"plexy / raw aiohttp (target >= {PLEXY_TARGET:.2f}): {parts} "
            f"-> {'PASS' if ok else 'FAIL'}"
        )
    same_json = [r for r in plexy if r["vs_aiohttp_orjson"] is not None]
    if same_json:
        parts = ", ".join(
            f"{r['loop']} c={r['concurrency']} {r['vs_aiohttp_orjson']:.2f}" for r in same_json
        )
        out.append(f"plexy / raw aiohttp + orjson, the same JSON library (for comparison): {parts}")
    for concurrency in sorted({r["concurrency"] for r in summary}):
        reused, fresh = by.get(("aiohttp", concurrency)), by.get(("aiohttp-new-conn", concurrency))
        if reused and fresh and fresh["rps"]:
            gain = reused["rps"] / fresh["rps"]
            target = " (target >= 2x)" if concurrency == 10 else ""
            verdict = (" -> PASS" if gain >= 2 else " -> FAIL") if concurrency == 10 else ""
            out.append(f"connection reuse at c={concurrency}: {gain:.2f}x{target}{verdict}")
    if batch:
        out += _batch_checks(batch)
    if converter and "cases" in converter:
        cases = converter["cases"]
        loads = cases["json.loads(response body)"]["median_us"]
        built = cases["structure(dict, PaymentResponse)"]["median_us"]
        verdict = "PASS" if built <= loads else "FAIL"
        out.append(
            f"converter: structure {built:.2f} µs vs json.loads {loads:.2f} µs "
            f"(ratio {built / loads:.2f}, target <= 1) -> {verdict}"
        )
    return out


def _batch_checks(batch: dict[str, Any]) -> list[str]:
    out = []
    if batch["runs"]:
        ok = batch["all_succeeded"] and not batch["failed_runs"]
        out.append(
            f"batch: {batch['items']:,} items at c={batch['concurrency']}, journal on: every item "
            f"succeeded and journalled in every run: {'yes' if ok else 'NO'}"
        )
    ratio, other = batch["vs_aiohttp"], batch["vs_aiohttp_orjson"]
    if ratio is not None:
        verdict = "PASS" if ratio >= BATCH_TARGET and batch["all_succeeded"] else "FAIL"
        also = "" if other is None else f" (against raw aiohttp + orjson: {other:.2f})"
        out.append(
            f"batch items/s / raw aiohttp requests/s at c={batch['concurrency']} "
            f"(target >= {BATCH_TARGET:.2f}): {ratio:.2f}{also} -> {verdict}"
        )
    memory = batch.get("memory")
    if memory and "error" in memory:
        out.append(f"batch memory: no result: {memory['error']}")
    elif memory:
        per_item = memory["bytes_per_extra_item"]
        per_item_text = "" if per_item is None else f", {per_item:.0f} bytes per extra item"
        flat = memory["growth_mb"] <= MEMORY_TOLERANCE_MB and memory["all_succeeded"]
        out.append(
            f"batch memory: peak RSS {batch['peak_rss_mb']:.1f} MB at {batch['items']:,} items, "
            f"{memory['peak_rss_mb']:.1f} MB at {memory['items']:,} "
            f"({memory['growth_mb']:+.1f} MB{per_item_text}; flat: at most "
            f"+{MEMORY_TOLERANCE_MB:g} MB) -> {'PASS' if flat else 'FAIL'}"
        )
    return out


def _versions() -> dict[str, str]:
    found = {}
    for name in ("aiohttp", "attrs", "cattrs", "orjson", "python-backoff", "httpx", "uvloop"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Connection-reuse and batch benchmark suite for plexy_async "
        "(see benchmarks/README.md)",
        epilog="variants: "
        + "; ".join(f"{v.label}: {DESCRIPTIONS[v.label]}" for v in ALL_VARIANTS),
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (about a minute)")
    parser.add_argument("--reps", type=int, help="repetitions per variant and concurrency")
    parser.add_argument("--concurrency", default="1,10,100", help="comma-separated levels")
    parser.add_argument(
        "--variants",
        help="comma-separated subset of: " + ", ".join(v.label for v in ALL_VARIANTS),
    )
    parser.add_argument("--max-requests", type=int, help="request budget per run")
    parser.add_argument("--max-seconds", type=float, help="wall-time budget per run")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per run")
    parser.add_argument("--batch-items", type=int, help="payments per measured batch run")
    parser.add_argument(
        "--batch-memory-items",
        type=int,
        help="payments in the one larger batch run that checks memory stays flat "
        "(default 5x --batch-items; 0 to skip it)",
    )
    parser.add_argument(
        "--batch-max-seconds", type=float, help="wall-time cap per batch run (it stops gently)"
    )
    parser.add_argument("--skip-http", action="store_true", help="converter benchmark only")
    parser.add_argument("--skip-batch", action="store_true", help="no batch runs")
    parser.add_argument("--skip-converter", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    quick = args.quick
    args.reps = args.reps or (1 if quick else 5)
    args.max_requests = args.max_requests or (3_000 if quick else 10_000)
    args.max_seconds = args.max_seconds or (0.5 if quick else 2.0)
    args.warmup = args.warmup if args.warmup is not None else (0.1 if quick else 0.3)
    args.batch_items = args.batch_items or (2_000 if quick else 10_000)
    if args.batch_memory_items is None:
        args.batch_memory_items = 5 * args.batch_items
    args.batch_max_seconds = args.batch_max_seconds or (30.0 if quick else 60.0)
    args.batch_warmup_items = 200 if quick else 500
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    variants = available_variants()
    if args.variants:
        wanted = set(args.variants.split(","))
        unknown = wanted - {v.label for v in ALL_VARIANTS}
        if unknown:
            raise SystemExit(f"unknown variants: {', '.join(sorted(unknown))}")
        variants = [v for v in variants if v.label in wanted]
    if args.skip_batch:
        variants = [v for v in variants if v.client != "batch"]
    with_batch = any(v.client == "batch" for v in variants)
    cores = pick_cores()
    if cores.client is not None:
        os.sched_setaffinity(0, {cores.client})
    started = time.monotonic()
    meta: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "server_cpu": cores.server,
        "client_cpu": cores.client,
        "load_average_before": _load(),
        "versions": _versions(),
        "settings": {
            "repetitions": args.reps,
            "concurrency": concurrencies,
            "max_requests": args.max_requests,
            "max_seconds": args.max_seconds,
            "warmup_seconds": args.warmup,
            "batch_items": args.batch_items if with_batch else None,
            "batch_memory_items": args.batch_memory_items if with_batch else None,
            "batch_concurrency": BATCH_CONCURRENCY,
            "batch_warmup_items": args.batch_warmup_items,
            "batch_max_seconds": args.batch_max_seconds,
        },
    }
    _say(
        f"plexy_async benchmarks: {len(variants)} variants x {len(concurrencies)} concurrency "
        f"levels x {args.reps} repetitions (the batch at c={BATCH_CONCURRENCY} only); load "
        f"target on CPU {cores.server}, clients on CPU {cores.client}; load average "
        f"{meta['load_average_before']}"
    )

    runs: list[dict[str, Any]] = []
    memory_run: dict[str, Any] | None = None
    if not args.skip_http:
        with LoadTarget(cores.server) as target:
            todo = plan(variants, concurrencies, args.reps)
            for n, (rep, concurrency, variant) in enumerate(todo, 1):
                result = run_client(variant, concurrency, target.url, args, cores.client)
                result.update(label=variant.label, concurrency=concurrency, repetition=rep)
                runs.append(result)
                _say(
                    f"[{n:3d}/{len(todo)}] c={concurrency:<3d} {variant.label:21s} {_brief(result)}"
                )
            if with_batch and args.batch_memory_items > 0:
                _say(f"batch of {args.batch_memory_items:,} items, for memory ...")
                memory_run = run_batch(target.url, args.batch_memory_items, args, cores.client)
                _say(f"      c={BATCH_CONCURRENCY:<3d} {'batch':21s} {_brief(memory_run)}")

    converter = None
    if not args.skip_converter:
        _say("converter micro-benchmark ...")
        converter = run_converter(args, cores.client)

    meta["load_average_after"] = _load()
    meta["seconds"] = round(time.monotonic() - started, 1)
    summary = summarise(runs, variants, concurrencies) if runs else []
    batch = summarise_batch(runs, memory_run, summary) if with_batch and runs else None
    verdicts = checks(summary, converter, batch)
    report = _report(meta, summary, batch, converter, verdicts)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "meta": meta,
                "summary": summary,
                "batch": batch,
                "checks": verdicts,
                "converter": converter,
                "runs": runs,
                "batch_memory_run": memory_run,
            },
            indent=2,
        )
        + "\n"
    )
    args.out.with_suffix(".md").write_text(report + "\n")
    _say(f"wrote {args.out} and {args.out.with_suffix('.md')}")


def _report(
    meta: dict[str, Any],
    summary: list[dict[str, Any]],
    batch: dict[str, Any] | None,
    converter: dict[str, Any] | None,
    verdicts: list[str],
) -> str:
    """The printed report, Markdown ready to paste into benchmarks/README.md."""
    from .converter import format_table

    settings = meta["settings"]
    parts = [
        f"plexy_async benchmarks, {meta['date']}: Python {meta['python']}, {meta['cpus']} CPUs, "
        f"load target on CPU {meta['server_cpu']}, clients on CPU {meta['client_cpu']}; "
        f"{settings['repetitions']} repetitions of at most {settings['max_requests']} requests "
        f"or {settings['max_seconds']:g} s per run; load average before "
        f"{meta['load_average_before']}, after {meta['load_average_after']}; "
        f"{meta['seconds']:g} s in all.",
    ]
    for loop in REFERENCES:
        if any(r["loop"] == loop for r in summary):
            parts += ["", http_table(summary, loop)]
    if batch:
        parts += ["", batch_table(batch)]
    if converter and "cases" in converter:
        parts += ["", format_table(converter)]
    elif converter:
        parts += ["", f"converter benchmark failed: {converter.get('error')}"]
    if verdicts:
        parts += ["", *(f"- {line}" for line in verdicts)]
    return "\n".join(parts)


def _brief(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"FAILED: {result['error']}"
    if result.get("variant") == "batch":
        ended = ", ".join(f"{k} {v:,}" for k, v in result["counts"].items() if v)
        return (
            f"{result['items_per_s']:8,.0f} items/s p50 {result['p50_ms']:6.2f} ms  "
            f"p99 {result['p99_ms']:6.2f} ms  cpu {result['cpu_us']:5.0f} µs/item  "
            f"peak RSS {result['peak_rss_mb']:.1f} MB  ({ended}"
            + (", interrupted" if result["interrupted"] else "")
            + ")"
        )
    return (
        f"{result['rps']:8,.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
        f"p99 {result['p99_ms']:6.2f} ms  cpu {result['cpu_us']:5.0f} µs/req"
        + (f"  {result['errors']} errors" if result["errors"] else "")
    )


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
