"""The headers that reach the server, over loopback: the same whether the client created its
session (which then carries the shared headers itself) or borrowed the caller's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from plexy_async import Amount, CardDetails, PlexyClient

PAYMENT = {"pspReference": "PSP1", "resultCode": "Authorised"}
MERCHANT = {"id": "m_1", "name": "Shop"}


@asynccontextmanager
async def recording_server(seen: list[dict[str, str]]) -> AsyncIterator[str]:
    async def payments(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.json_response(PAYMENT)

    async def merchant(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.json_response(MERCHANT)

    app = web.Application()
    app.router.add_post("/v2/payments", payments)
    app.router.add_get("/v1/merchant", merchant)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("borrowed", [False, True], ids=["own session", "borrowed session"])
async def test_every_request_carries_its_headers_once(borrowed: bool) -> None:
    seen: list[dict[str, str]] = []
    async with recording_server(seen) as url, aiohttp.ClientSession() as session:
        async with PlexyClient(
            api_key="sk_test_1", base_url=url, session=session if borrowed else None
        ) as client:
            merchant = await client.merchant.retrieve()
            payment = await client.payments.create(
                amount=Amount(100, "KZT"),
                reference="r-1",
                merchant_account="M",
                payment_method=CardDetails(number="4242424242424242", cvc="737"),
            )
            user_agent = client.config.user_agent
        assert not session.closed
    assert (merchant.id, payment.psp_reference) == ("m_1", "PSP1")
    pay, checkout = seen
    for headers in seen:
        assert headers["Accept"] == "application/json"
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"] == user_agent
    assert pay["Authorization"] == "sk_test_1" and "x-api-key" not in pay
    assert "Idempotency-Key" not in pay  # a read
    assert checkout["x-api-key"] == "sk_test_1" and "Authorization" not in checkout
    assert checkout["Idempotency-Key"].startswith("plx_")
