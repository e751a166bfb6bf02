"""examples/fastapi_app.py, served by uvicorn on a loopback port and called over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
import uvicorn
from fastapi import FastAPI
from web_support import check_200_concurrent_payments, payment, post

from examples.fastapi_app import Settings, create_app
from examples.tracing import AttemptStats, stats_trace_config
from plexy_async import PoolLimits, RetryPolicy
from plexy_async.testing import Fault, MockPlexy, checkout_event, pay_event

SECRET = "whsec_fastapi_example_secret"
TOKEN = "tok_fastapi_example_token"


async def _serve(server: uvicorn.Server) -> None:
    try:
        await server.serve()
    except SystemExit as exc:  # uvicorn exits the process when the lifespan fails to start
        raise RuntimeError(f"uvicorn failed to start (exit code {exc.code})") from None


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 (a free port) until the block ends."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(_serve(server))
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    await task
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def settings_for(mock: MockPlexy, stats: AttemptStats, **overrides: Any) -> Settings:
    return Settings(
        api_key=mock.api_key,
        base_url=mock.url,
        merchant_account="TestMerchant",
        webhook_secrets=(SECRET,),
        pay_webhook_tokens=(TOKEN,),
        retry=RetryPolicy(initial_delay=0.01, max_delay=0.05),
        trace_configs=(stats_trace_config(stats),),
        **overrides,
    )


async def test_payment_routes_and_webhooks_over_http(mock_plexy: MockPlexy) -> None:
    stats = AttemptStats()
    app = create_app(settings_for(mock_plexy, stats))
    async with serve(app) as url, aiohttp.ClientSession() as http:
        status, body = await post(http, f"{url}/payments", payment("A-1"))
        assert status == 200 and body["result_code"] == "Authorised"
        assert body["request_id"].startswith("req_") and body["attempts"] == 1

        status, body = await post(http, f"{url}/payments", payment("A-2", "4000000000000002"))
        assert status == 200 and body["result_code"] == "Refused"  # a decline is data

        mock_plexy.faults.add("POST", "/v2/payments", Fault.status(503), times=1)
        status, body = await post(http, f"{url}/payments", payment("A-3"))
        assert status == 200 and body["attempts"] == 2

        # Every attempt drops after the charge: the outcome is unknown, and says how to retry.
        mock_plexy.faults.add("POST", "/v2/payments", Fault.drop_after_commit(), times=3)
        status, body = await post(http, f"{url}/payments", payment("A-4"))
        assert status == 504 and body["detail"]["error"] == "OutcomeUnknownError"
        assert body["detail"]["attempts"] == 3
        assert body["detail"]["idempotency_key"] == "order-A-4"
        status, body = await post(http, f"{url}/payments", payment("A-4"))  # the same order
        assert status == 200 and body["result_code"] == "Authorised"
        assert len(mock_plexy.ledger.charges_for("A-4")) == 1  # never charged twice

        hook = f"{url}/webhooks/plexy"
        event = checkout_event("payment.succeeded", {"id": "pay_1"})
        first = await mock_plexy.send_webhook(hook, event, secret=SECRET)
        assert first.status == 200 and json.loads(first.body) == {
            "received": event["id"],
            "duplicate": False,
        }
        again = await mock_plexy.send_webhook(hook, event, secret=SECRET)
        assert again.status == 200 and json.loads(again.body)["duplicate"] is True
        forged = await mock_plexy.send_webhook(hook, event, secret="whsec_forger")
        assert forged.status == 400 and b"no v1 signature" in forged.body
        assert SECRET.encode() not in forged.body
        stale = await mock_plexy.send_webhook(hook, event, secret=SECRET, timestamp=1_000_000)
        assert stale.status == 400 and b"tolerance" in stale.body

        pay_hook = f"{url}/webhooks/plexy-pay"
        pay = pay_event("transaction.charged", {"id": {"Value": "txn_1"}, "amount": 100})
        delivered = await mock_plexy.send_webhook(pay_hook, pay, scheme="pay", secret=TOKEN)
        assert delivered.status == 200
        assert json.loads(delivered.body)["received"] == "transaction.charged:txn_1"
        denied = await mock_plexy.send_webhook(pay_hook, pay, scheme="pay", secret="tok_wrong")
        assert denied.status == 401 and TOKEN.encode() not in denied.body
    (session,) = stats.sessions
    assert session.closed


async def test_200_concurrent_requests_share_one_pool(mock_plexy: MockPlexy) -> None:
    stats = AttemptStats()
    app = create_app(settings_for(mock_plexy, stats, pool=PoolLimits(limit=20)))
    await check_200_concurrent_payments(mock_plexy, app, serve, stats, limit=20, prefix="C")


async def test_a_lifespan_that_cannot_start_fails_clearly(mock_plexy: MockPlexy) -> None:
    settings = Settings(api_key=None, base_url="ftp://nowhere")  # a ConfigurationError at startup
    with pytest.raises(RuntimeError, match="failed to start"):
        async with serve(create_app(settings)):
            pass
