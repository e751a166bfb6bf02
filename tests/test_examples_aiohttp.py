"""examples/aiohttp_app.py, served by aiohttp.web on a loopback port and called over HTTP."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from web_support import VISA, check_200_concurrent_payments, payment, post

from examples.aiohttp_app import PLEXY, Settings, create_app
from examples.tracing import AttemptStats, stats_trace_config
from plexy_async import PoolLimits, RetryPolicy
from plexy_async.testing import (
    Fault,
    MockPlexy,
    checkout_event,
    notification,
    notification_item,
)

SECRET = "whsec_aiohttp_example_secret"
HMAC_KEY = "A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90"


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run ``app`` on 127.0.0.1 (a free port) until the block ends."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()  # runs the cleanup_ctx up to its yield: the client exists from here
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()  # ... and closes it here


def settings_for(mock: MockPlexy, stats: AttemptStats, **overrides: Any) -> Settings:
    return Settings(
        api_key=mock.api_key,
        base_url=mock.url,
        merchant_account="TestMerchant",
        webhook_secrets=(SECRET,),
        hmac_keys=(HMAC_KEY,),
        retry=RetryPolicy(initial_delay=0.01, max_delay=0.05),
        trace_configs=(stats_trace_config(stats),),
        **overrides,
    )


def handled(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage().removeprefix("webhook event ")
        for r in caplog.records
        if r.name == "examples.aiohttp_app" and r.getMessage().startswith("webhook event ")
    ]


async def test_payment_route_over_http(mock_plexy: MockPlexy) -> None:
    stats = AttemptStats()
    app = create_app(settings_for(mock_plexy, stats))
    async with serve(app) as url, aiohttp.ClientSession() as http:
        status, body = await post(http, f"{url}/payments", payment("B-1"))
        assert status == 200 and body["result_code"] == "Authorised"
        assert body["request_id"].startswith("req_") and body["attempts"] == 1

        mock_plexy.faults.add("POST", "/v2/payments", Fault.status(503), times=1)
        status, body = await post(http, f"{url}/payments", payment("B-2", "4000000000009995"))
        assert status == 200 and body["result_code"] == "Refused" and body["attempts"] == 2

        mock_plexy.faults.add("POST", "/v2/payments", Fault.status(401), times=1)
        status, body = await post(http, f"{url}/payments", payment("B-3"))
        assert status == 502 and body["error"] == "AuthenticationError"
        assert body["request_id"].startswith("req_") and body["attempts"] == 1

        bad = {**payment("B-4"), "amount": "lots"}
        async with http.post(f"{url}/payments", json=bad) as resp:
            assert resp.status == 400
            assert VISA not in await resp.text()
        client = app[PLEXY]
        assert not client.closed
    assert client.closed  # the cleanup context closed it
    assert len(mock_plexy.ledger.charges) == 1  # B-1 only: B-2 was refused, B-3 denied


async def test_checkout_and_notification_webhooks(
    mock_plexy: MockPlexy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="examples.aiohttp_app")
    app = create_app(settings_for(mock_plexy, AttemptStats()))
    async with serve(app) as url:
        hook = f"{url}/webhooks/plexy"
        event = checkout_event("refund.succeeded", {"id": "ref_1"})
        first = await mock_plexy.send_webhook(hook, event, secret=SECRET)
        assert first.status == 200 and json.loads(first.body)["duplicate"] is False
        again = await mock_plexy.send_webhook(hook, event, secret=SECRET)
        assert again.status == 200 and json.loads(again.body)["duplicate"] is True
        unsigned = await mock_plexy.send_webhook(hook, event, secret=SECRET, sign=False)
        assert unsigned.status == 400 and b"header is missing" in unsigned.body
        assert handled(caplog) == [event["id"]]

        notes = f"{url}/webhooks/notifications"
        batch = notification(
            notification_item("PSP1"),
            notification_item("PSP2", event_code="REFUND", original_reference="PSP1"),
        )
        # A batch whose second item was changed after signing: nothing in it is handled.
        signed = await mock_plexy.send_webhook(notes, batch, scheme="notification", secret=HMAC_KEY)
        assert signed.status == 200 and signed.body == b"[accepted]"
        doc = json.loads(signed.sent_body)
        doc["notificationItems"][1]["NotificationRequestItem"]["eventCode"] = "CHARGEBACK"
        forged = await mock_plexy.send_webhook(
            notes, json.dumps(doc).encode(), secret="", sign=False
        )
        assert forged.status == 400 and b"notificationItems[1]" in forged.body
        assert HMAC_KEY.encode() not in forged.body
        # The same batch again is accepted, and its items are not handled twice.
        repeat = await mock_plexy.send_webhook(notes, batch, scheme="notification", secret=HMAC_KEY)
        assert repeat.status == 200
        wrong_key = await mock_plexy.send_webhook(
            notes, batch, scheme="notification", secret="00" * 32
        )
        assert wrong_key.status == 400 and b"notificationItems[0]" in wrong_key.body
    assert handled(caplog) == [event["id"], "PSP1:AUTHORISATION:true", "PSP2:REFUND:true"]


async def test_200_concurrent_requests_share_one_pool(mock_plexy: MockPlexy) -> None:
    stats = AttemptStats()
    app = create_app(settings_for(mock_plexy, stats, pool=PoolLimits(limit=20)))
    await check_200_concurrent_payments(mock_plexy, app, serve, stats, limit=20, prefix="D")
