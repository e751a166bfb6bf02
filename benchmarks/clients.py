"""One client variant, one concurrency, one measured run: a fresh process per run.

``python -m benchmarks.clients --variant plexy --loop asyncio --url http://127.0.0.1:PORT
--concurrency 10`` prints one JSON line: requests, errors, seconds, requests/s, p50 and p99.

Every variant creates the same payment against the same load target:

* ``plexy``: ``plexy.payments.create(...)`` end to end: request model, converter, idempotency
  key, retry wrapper, response model;
* ``aiohttp``: one reused ``ClientSession``, a pre-encoded body, ``json.loads`` of the answer:
  the reference limit for our stack;
* ``aiohttp-orjson``: the same session, but as hand-written code for real payments (every one
  different) does it with the JSON library the client uses: a dict built per request, encoded
  with ``orjson.dumps``, the answer parsed with ``orjson.loads``: the second reference;
* ``aiohttp-json``: like ``aiohttp``, but the body encoded per request with ``json=``
  (aiohttp's ``json.dumps``);
* ``aiohttp-new-conn``: the same with ``force_close=True``: a new TCP connection per request;
* ``httpx``: one reused ``httpx.AsyncClient``, ``json.loads`` of the answer.

A run is bounded by a request count and a wall time, whichever comes first, after a warm-up
(connections opened, converter hooks built). Each variant sizes its pool to the concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from .payload import API_KEY, PATH, RAW_HEADERS, REQUEST, REQUEST_BODY, RESPONSE
from .server import pin_to

Call = Callable[[], Awaitable[str]]
Variant = Callable[[str, int], AbstractAsyncContextManager[Call]]
EXPECTED = RESPONSE["pspReference"]


def _pool_size(concurrency: int) -> int:
    return max(100, concurrency)


@asynccontextmanager
async def plexy_variant(url: str, concurrency: int) -> AsyncIterator[Call]:
    from plexy_async import Amount, CardDetails, PlexyClient, PoolLimits

    card = REQUEST["paymentMethod"]
    method = CardDetails(
        number=card["number"],
        expiry_month=card["expiryMonth"],
        expiry_year=card["expiryYear"],
        cvc=card["cvc"],
        holder_name=card["holderName"],
    )
    async with PlexyClient(
        api_key=API_KEY, base_url=url, pool=PoolLimits(limit=_pool_size(concurrency))
    ) as plexy:
        create = plexy.payments.create

        async def call() -> str:
            payment = await create(
                amount=Amount(10000, "KZT"),
                reference=REQUEST["reference"],
                merchant_account=REQUEST["merchantAccount"],
                payment_method=method,
                return_url=REQUEST["returnUrl"],
            )
            return payment.psp_reference or ""

        yield call


def _aiohttp_variant(*, new_connection: bool = False, encode_each: bool = False) -> Variant:
    @asynccontextmanager
    async def variant(url: str, concurrency: int) -> AsyncIterator[Call]:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=_pool_size(concurrency), force_close=new_connection)
        async with aiohttp.ClientSession(connector=connector) as session:
            target = url + PATH
            body = {"json": REQUEST} if encode_each else {"data": REQUEST_BODY}

            async def call() -> str:
                async with session.post(target, headers=RAW_HEADERS, **body) as resp:
                    answer = await resp.read()
                return str(json.loads(answer)["pspReference"])

            yield call

    return variant


@asynccontextmanager
async def httpx_variant(url: str, concurrency: int) -> AsyncIterator[Call]:
    import httpx

    size = _pool_size(concurrency)
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    async with httpx.AsyncClient(limits=limits) as client:
        target = url + PATH

        async def call() -> str:
            resp = await client.post(target, content=REQUEST_BODY, headers=RAW_HEADERS)
            return str(json.loads(resp.content)["pspReference"])

        yield call


@asynccontextmanager
async def aiohttp_orjson_variant(url: str, concurrency: int) -> AsyncIterator[Call]:
    import aiohttp
    import orjson

    card = REQUEST["paymentMethod"]
    number, month, year, cvc, holder = (
        card["number"], card["expiryMonth"], card["expiryYear"], card["cvc"], card["holderName"]
    )  # fmt: skip
    reference, merchant, return_url = (
        REQUEST["reference"], REQUEST["merchantAccount"], REQUEST["returnUrl"]
    )  # fmt: skip
    dumps, loads = orjson.dumps, orjson.loads

    def body() -> bytes:  # what the caller's code writes for each payment
        return dumps(
            {
                "amount": {"value": 10000, "currency": "KZT"},
                "reference": reference,
                "merchantAccount": merchant,
                "paymentMethod": {
                    "type": "scheme",
                    "number": number,
                    "expiryMonth": month,
                    "expiryYear": year,
                    "cvc": cvc,
                    "holderName": holder,
                },
                "returnUrl": return_url,
            }
        )

    if body() != REQUEST_BODY:
        raise SystemExit("aiohttp-orjson: the body differs from the other variants'")
    connector = aiohttp.TCPConnector(limit=_pool_size(concurrency))
    async with aiohttp.ClientSession(connector=connector) as session:
        target = url + PATH

        async def call() -> str:
            async with session.post(target, data=body(), headers=RAW_HEADERS) as resp:
                answer = await resp.read()
            return str(loads(answer)["pspReference"])

        yield call


VARIANTS: dict[str, Variant] = {
    "plexy": plexy_variant,
    "aiohttp": _aiohttp_variant(),
    "aiohttp-orjson": aiohttp_orjson_variant,
    "aiohttp-json": _aiohttp_variant(encode_each=True),
    "aiohttp-new-conn": _aiohttp_variant(new_connection=True),
    "httpx": httpx_variant,
}


async def drive(
    call: Call, concurrency: int, max_requests: int, max_seconds: float
) -> tuple[list[float], int, float, float]:
    """``concurrency`` workers share one request budget.

    Returns the latencies, the error count, the wall seconds and the CPU seconds this process
    used (less sensitive than wall time to other work on the machine).
    """
    latencies: list[float] = []
    errors = 0
    left = max_requests
    clock = time.perf_counter
    deadline = clock() + max_seconds

    async def worker() -> None:
        nonlocal left, errors
        while left > 0 and clock() < deadline:
            left -= 1
            started = clock()
            try:
                await call()
            except Exception:
                errors += 1
                continue
            latencies.append(clock() - started)

    started, cpu = clock(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, clock() - started, time.process_time() - cpu


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with VARIANTS[args.variant](args.url, args.concurrency) as call:
        first = await call()
        if first != EXPECTED:
            raise SystemExit(f"{args.variant}: unexpected answer {first!r}")
        await drive(call, args.concurrency, args.max_requests, args.warmup)
        latencies, errors, seconds, cpu_seconds = await drive(
            call, args.concurrency, args.max_requests, args.max_seconds
        )
    latencies.sort()
    return {
        "variant": args.variant,
        "loop": args.loop,
        "concurrency": args.concurrency,
        "requests": len(latencies),
        "errors": errors,
        "seconds": seconds,
        "rps": len(latencies) / seconds if seconds > 0 else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000.0,
        "p99_ms": percentile(latencies, 0.99) * 1000.0,
        "mean_ms": statistics.fmean(latencies) * 1000.0 if latencies else float("nan"),
        "cpu_us": cpu_seconds / len(latencies) * 1e6 if latencies else float("nan"),
    }


def runner_for(loop: str) -> asyncio.Runner:
    if loop == "uvloop":
        import uvloop

        return asyncio.Runner(loop_factory=uvloop.new_event_loop)
    return asyncio.Runner()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="one measured benchmark run")
    parser.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--url", required=True)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--max-requests", type=int, default=10_000)
    parser.add_argument("--max-seconds", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=0.3, help="seconds of warm-up")
    parser.add_argument("--cpu", type=int, default=None, help="pin to this core")
    args = parser.parse_args(argv)
    pin_to(args.cpu)
    with runner_for(args.loop) as runner:
        result = runner.run(run(args))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
