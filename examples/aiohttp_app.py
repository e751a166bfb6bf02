"""aiohttp.web and plexy_async: one client per process, a payment route, verified webhooks.

The client lives in a ``cleanup_ctx`` (created at startup, closed at cleanup) and is stored
under a typed ``web.AppKey``, so every request shares one aiohttp connection pool.

Run it::

    PLEXY_API_KEY=... PLEXY_MERCHANT_ACCOUNT=... PLEXY_WEBHOOK_SECRETS=whsec_... \\
    PLEXY_HMAC_KEYS=<hex key> python -m aiohttp.web -H 127.0.0.1 -P 8080 \\
        examples.aiohttp_app:init_app
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from plexy_async import (
    Amount,
    CardDetails,
    PlexyClient,
    PoolLimits,
    RetryPolicy,
    errors,
    webhooks,
)

log = logging.getLogger("examples.aiohttp_app")


@dataclass(frozen=True)
class Settings:
    api_key: str | None = None  # None: PLEXY_API_KEY
    base_url: str | None = None  # None: PLEXY_BASE_URL, else the live API
    merchant_account: str = "YOUR_MERCHANT_ACCOUNT"
    webhook_secrets: tuple[str, ...] = ()  # Checkout v2 whsec_ secrets (two while rotating)
    hmac_keys: tuple[str, ...] = ()  # Adyen-style notification HMAC keys, in hex
    pool: PoolLimits = field(default_factory=PoolLimits)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    trace_configs: tuple[aiohttp.TraceConfig, ...] = ()

    @classmethod
    def from_env(cls) -> Settings:
        def listed(name: str) -> tuple[str, ...]:
            return tuple(v for v in os.environ.get(name, "").split(",") if v)

        return cls(
            merchant_account=os.environ.get("PLEXY_MERCHANT_ACCOUNT", cls.merchant_account),
            webhook_secrets=listed("PLEXY_WEBHOOK_SECRETS"),
            hmac_keys=listed("PLEXY_HMAC_KEYS"),
        )


SETTINGS = web.AppKey("settings", Settings)
PLEXY = web.AppKey("plexy", PlexyClient)
SEEN = web.AppKey("seen", webhooks.DuplicateFilter)


async def plexy_client(app: web.Application) -> AsyncIterator[None]:
    """The cleanup context: one client for the app's life, closed even if startup fails later."""
    settings = app[SETTINGS]
    async with PlexyClient(
        api_key=settings.api_key,
        base_url=settings.base_url,
        pool=settings.pool,
        retry=settings.retry,
        trace_configs=settings.trace_configs,
    ) as plexy:
        app[PLEXY] = plexy
        yield


def _card(data: Any) -> CardDetails:
    return CardDetails(
        number=str(data["number"]),
        cvc=str(data["cvc"]),
        expiry_month=str(data["expiry_month"]),
        expiry_year=str(data["expiry_year"]),
        holder_name=data.get("holder_name"),
    )


def _error_answer(exc: errors.PlexyError) -> web.Response:
    """Plexy's failure as an answer to our caller, with what support needs to trace it."""
    detail = {
        "error": type(exc).__name__,
        "message": str(exc),
        "request_id": getattr(exc, "request_id", None),
        "attempts": getattr(exc, "attempts", None),
    }
    if isinstance(exc, errors.OutcomeUnknownError):
        return web.json_response({**detail, "retry": "safe with the same order_id"}, status=503)
    status = getattr(exc, "status", None)
    return web.json_response(detail, status=400 if status in (400, 402, 422) else 502)


async def create_payment(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    try:
        data = await request.json()
        order_id = str(data["order_id"])
        amount = Amount(int(data["amount"]), str(data["currency"]))
        card = _card(data["card"])
    except (ValueError, KeyError, TypeError) as exc:  # never echo the body: it holds card data
        return web.json_response(
            {"error": f"invalid payment request ({type(exc).__name__})"}, status=400
        )
    try:
        result = await request.app[PLEXY].payments.create(
            amount=amount,
            reference=order_id,
            merchant_account=settings.merchant_account,
            payment_method=card,
            # One key per order: a retried or repeated request never charges twice.
            idempotency_key=f"order-{order_id}",
        )
    except errors.PlexyError as exc:
        log.warning("payment %s failed: %s", order_id, exc)
        return _error_answer(exc)
    return web.json_response(
        {
            "order_id": order_id,
            "result_code": result.result_code.value,  # a decline is data, not an error
            "psp_reference": result.psp_reference,
            "refusal_reason": result.refusal_reason,
            "request_id": result.meta.request_id,
            "attempts": result.meta.attempts,
        }
    )


async def handle_event(event: webhooks.CheckoutEvent | webhooks.NotificationRequestItem) -> None:
    """Your business logic: keep it quick (Plexy waits 30 s at most) or hand it to a queue."""
    log.info("webhook event %s", event.event_id)


async def checkout_webhook(request: web.Request) -> web.Response:
    body = await request.read()  # the raw body: re-serialised JSON would not verify
    try:
        event = webhooks.construct_checkout_event(
            body,
            request.headers.get(webhooks.CHECKOUT_SIGNATURE_HEADER),
            request.app[SETTINGS].webhook_secrets,
        )
    except webhooks.WebhookError as exc:
        log.warning("rejected a Checkout webhook: %s", exc)
        return web.json_response({"error": str(exc)}, status=400)
    seen = request.app[SEEN]
    if not seen.first_time(event):
        return web.json_response({"received": event.event_id, "duplicate": True})
    try:
        await handle_event(event)
    except Exception:
        seen.forget(event)  # answer 500, so that Plexy delivers it again
        raise
    return web.json_response({"received": event.event_id, "duplicate": False})


async def notification_webhook(request: web.Request) -> web.Response:
    """Adyen-style batches: every item is verified; one forged item rejects the delivery."""
    try:
        note = webhooks.construct_notification(
            await request.read(), request.app[SETTINGS].hmac_keys
        )
    except webhooks.WebhookError as exc:
        log.warning("rejected a notification: %s", exc)
        return web.json_response({"error": str(exc)}, status=400)
    seen = request.app[SEEN]
    for item in note.items:
        if not seen.first_time(item):
            continue  # delivered before (or twice in this batch)
        try:
            await handle_event(item)
        except Exception:
            seen.forget(item)  # the items after it were not marked: all come back
            raise
    return web.Response(text="[accepted]")  # what Adyen-style senders expect


def create_app(settings: Settings | None = None) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings or Settings.from_env()
    app[SEEN] = webhooks.DuplicateFilter()
    app.cleanup_ctx.append(plexy_client)
    app.router.add_post("/payments", create_payment)
    app.router.add_post("/webhooks/plexy", checkout_webhook)
    app.router.add_post("/webhooks/notifications", notification_webhook)
    return app


def init_app(argv: list[str] | None = None) -> web.Application:
    """The entry point of ``python -m aiohttp.web ... examples.aiohttp_app:init_app``."""
    return create_app()
