"""The whole suite: load target, client variants in alternating order, converter, table, JSON.

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
    client: str  # a benchmarks.clients variant
    loop: str  # asyncio or uvloop
    reference: str  # the label this one's ratio is taken against


ALL_VARIANTS = (
    Variant("plexy", "plexy", "asyncio", "aiohttp"),
    Variant("aiohttp", "aiohttp", "asyncio", "aiohttp"),
    Variant("aiohttp-json", "aiohttp-json", "asyncio", "aiohttp"),
    Variant("aiohttp-new-conn", "aiohttp-new-conn", "asyncio", "aiohttp"),
    Variant("httpx", "httpx", "asyncio", "aiohttp"),
    Variant("plexy+uvloop", "plexy", "uvloop", "aiohttp+uvloop"),
    Variant("aiohttp+uvloop", "aiohttp", "uvloop", "aiohttp+uvloop"),
)

DESCRIPTIONS = {
    "plexy": "plexy.payments.create(...) end to end (models, converter, retry wrapper)",
    "aiohttp": "raw aiohttp, one reused ClientSession, json.loads: the reference",
    "aiohttp-json": "the same, the body encoded per request (json=), as hand-written code does",
    "aiohttp-new-conn": "raw aiohttp, a new TCP connection per request (force_close)",
    "httpx": "httpx.AsyncClient, reused",
    "plexy+uvloop": "plexy under uvloop (ratio against aiohttp+uvloop)",
    "aiohttp+uvloop": "raw aiohttp under uvloop: the uvloop reference",
}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def available_variants() -> list[Variant]:
    chosen = []
    for variant in ALL_VARIANTS:
        if variant.client == "httpx" and not _installed("httpx"):
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
    timeout = settings.max_seconds + settings.warmup + 60
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
    other repetition, so a slow minute on a shared machine lands on all variants alike.
    """
    runs = []
    for rep in range(repetitions):
        for concurrency in concurrencies:
            ordered = variants if rep % 2 == 0 else list(reversed(variants))
            runs += [(rep, concurrency, variant) for variant in ordered]
    return runs


def summarise(
    runs: list[dict[str, Any]], variants: list[Variant], concurrencies: list[int]
) -> list[dict[str, Any]]:
    """Medians over repetitions per variant and concurrency, with the ratio to the reference."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for variant in variants:
        for concurrency in concurrencies:
            mine = [
                r for r in runs
                if r["label"] == variant.label and r["concurrency"] == concurrency
                and "error" not in r
            ]  # fmt: skip
            failed = sum(
                1 for r in runs
                if r["label"] == variant.label and r["concurrency"] == concurrency
                and "error" in r
            )  # fmt: skip
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
                "reference": variant.reference,
            }
    for row in rows.values():
        ref = rows.get((row["reference"], row["concurrency"]))
        row["ratio"] = (
            row["rps"] / ref["rps"] if ref and ref["rps"] and row["rps"] == row["rps"] else None
        )
    return list(rows.values())


def _median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


# --- reporting ----------------------------------------------------------------------------------


def http_table(summary: list[dict[str, Any]]) -> str:
    lines = [
        "| concurrency | variant | req/s (median) | p50 ms | p99 ms | client CPU µs/req "
        "| vs raw aiohttp |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in sorted(summary, key=lambda r: r["concurrency"]):
        ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}"
        if row["variant"] == row["reference"]:
            ratio = "1.00 (ref)"
        flag = ""
        if row["failed_runs"] or row["request_errors"]:
            flag = f" ⚠ {row['failed_runs']} failed runs, {row['request_errors']} errors"
        lines.append(
            f"| {row['concurrency']} | {row['variant']}{flag} | {row['rps']:,.0f} "
            f"| {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['cpu_us']:.0f} | {ratio} |"
        )
    return "\n".join(lines)


def checks(summary: list[dict[str, Any]], converter: dict[str, Any] | None) -> list[str]:
    """The suite's own verdicts, printed under the table."""
    by = {(r["variant"], r["concurrency"]): r for r in summary}
    out = []
    plexy = [r for r in summary if r["variant"] == "plexy" and r["ratio"] is not None]
    if plexy:
        parts = ", ".join(f"c={r['concurrency']} {r['ratio']:.2f}" for r in plexy)
        ok = all(r["ratio"] >= 0.85 for r in plexy)
        out.append(f"plexy / raw aiohttp (target >= 0.85): {parts} -> {'PASS' if ok else 'FAIL'}")
    per_request = [
        (r, by[("aiohttp-json", r["concurrency"])])
        for r in plexy
        if by.get(("aiohttp-json", r["concurrency"]), {}).get("rps")
    ]
    if per_request:
        parts = ", ".join(f"c={r['concurrency']} {r['rps'] / j['rps']:.2f}" for r, j in per_request)
        out.append(f"plexy / raw aiohttp encoding its body per request (for comparison): {parts}")
    for concurrency in sorted({r["concurrency"] for r in summary}):
        reused, fresh = by.get(("aiohttp", concurrency)), by.get(("aiohttp-new-conn", concurrency))
        if reused and fresh and fresh["rps"]:
            gain = reused["rps"] / fresh["rps"]
            target = " (target >= 2x)" if concurrency == 10 else ""
            verdict = (" -> PASS" if gain >= 2 else " -> FAIL") if concurrency == 10 else ""
            out.append(f"connection reuse at c={concurrency}: {gain:.2f}x{target}{verdict}")
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


def _versions() -> dict[str, str]:
    found = {}
    for name in ("aiohttp", "attrs", "cattrs", "python-backoff", "httpx", "uvloop"):
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
        description="Connection-reuse benchmark suite for plexy_async (see benchmarks/README.md)",
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (about 40 s)")
    parser.add_argument("--reps", type=int, help="repetitions per variant and concurrency")
    parser.add_argument("--concurrency", default="1,10,100", help="comma-separated levels")
    parser.add_argument(
        "--variants",
        help="comma-separated subset of: " + ", ".join(v.label for v in ALL_VARIANTS),
    )
    parser.add_argument("--max-requests", type=int, help="request budget per run")
    parser.add_argument("--max-seconds", type=float, help="wall-time budget per run")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per run")
    parser.add_argument("--skip-http", action="store_true", help="converter benchmark only")
    parser.add_argument("--skip-converter", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    quick = args.quick
    args.reps = args.reps or (1 if quick else 5)
    args.max_requests = args.max_requests or (3_000 if quick else 10_000)
    args.max_seconds = args.max_seconds or (0.5 if quick else 2.0)
    args.warmup = args.warmup if args.warmup is not None else (0.1 if quick else 0.3)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    variants = available_variants()
    if args.variants:
        wanted = set(args.variants.split(","))
        variants = [v for v in variants if v.label in wanted]
    cores = pick_cores()
    if cores.client is not None:
        os.sched_setaffinity(0, {cores.client})
    started = time.monotonic()
    meta = {
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
        },
    }
    _say(
        f"plexy_async benchmarks: {len(variants)} variants x {len(concurrencies)} concurrency "
        f"levels x {args.reps} repetitions; load target on CPU {cores.server}, clients on "
        f"CPU {cores.client}; load average {meta['load_average_before']}"
    )

    runs: list[dict[str, Any]] = []
    if not args.skip_http:
        with LoadTarget(cores.server) as target:
            todo = plan(variants, concurrencies, args.reps)
            for n, (rep, concurrency, variant) in enumerate(todo, 1):
                result = run_client(variant, concurrency, target.url, args, cores.client)
                result.update(label=variant.label, concurrency=concurrency, repetition=rep)
                runs.append(result)
                _say(
                    f"[{n:3d}/{len(todo)}] c={concurrency:<3d} {variant.label:17s} {_brief(result)}"
                )

    converter = None
    if not args.skip_converter:
        _say("converter micro-benchmark ...")
        converter = run_converter(args, cores.client)

    meta["load_average_after"] = _load()
    meta["seconds"] = round(time.monotonic() - started, 1)
    summary = summarise(runs, variants, concurrencies) if runs else []
    verdicts = checks(summary, converter)
    report = _report(meta, summary, converter, verdicts)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "meta": meta,
                "summary": summary,
                "checks": verdicts,
                "converter": converter,
                "runs": runs,
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
    converter: dict[str, Any] | None,
    verdicts: list[str],
) -> str:
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
    if summary:
        parts += ["", http_table(summary)]
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
    return (
        f"{result['rps']:8,.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
        f"p99 {result['p99_ms']:6.2f} ms  cpu {result['cpu_us']:5.0f} µs/req"
        + (f"  {result['errors']} errors" if result["errors"] else "")
    )


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
