"""What the FastAPI and aiohttp.web example tests share: calling a served app, and the
200-concurrent-payments check that one connection pool serves every request."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp

from examples.tracing import AttemptStats
from plexy_async.testing import Fault, MockPlexy

VISA = "4242424242424242"
Serve = Callable[[Any], AbstractAsyncContextManager[str]]


def payment(order_id: str, number: str = VISA, cvc: str = "737") -> dict[str, Any]:
    card = {"number": number, "cvc": cvc, "expiry_month": "03", "expiry_year": "2030"}
    return {"order_id": order_id, "amount": 10000, "currency": "KZT", "card": card}


async def post(http: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, Any]:
    async with http.post(url, json=body) as resp:
        return resp.status, await resp.json()


async def check_200_concurrent_payments(
    mock: MockPlexy, app: Any, serve: Serve, stats: AttemptStats, *, limit: int, prefix: str
) -> None:
    """200 payments at once through ``app`` share one session and at most ``limit``
    connections, and leave no session open and no task behind."""
    tasks_before = asyncio.all_tasks()
    # Every payment waits 50 ms on the server, so the 200 requests overlap and fill the pool.
    mock.faults.add("POST", "/v2/payments", Fault.delay(0.05), times=200)
    connector = aiohttp.TCPConnector(limit=0)  # the test's own client: no cap of its own
    async with serve(app) as url, aiohttp.ClientSession(connector=connector) as http:
        results = await asyncio.gather(
            *(post(http, f"{url}/payments", payment(f"{prefix}-{i}")) for i in range(200))
        )
        assert [status for status, _ in results] == [200] * 200
        assert {body["result_code"] for _, body in results} == {"Authorised"}
        assert len(stats.sessions) == 1  # one session, one pool, for all 200 requests
        (session,) = stats.sessions
        assert not session.closed
    assert session.closed  # the app's lifespan / cleanup context closed it
    charges = mock.ledger.charges
    assert len(charges) == 200
    assert {c.reference for c in charges} == {f"{prefix}-{i}" for i in range(200)}
    assert stats.attempts == 200 and stats.failures == 0
    assert stats.connections_created <= limit  # connections were reused, never one per request
    assert stats.connections_created + stats.connections_reused == 200
    assert mock.ledger.peak_in_flight == limit
    gc.collect()  # an unclosed session would warn here, and warnings are errors
    await asyncio.sleep(0)
    assert asyncio.all_tasks() - tasks_before == set()
