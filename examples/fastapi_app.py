"""FastAPI and plexy_async: one client per process, a payment route, verified webhooks.

The client is created in the app's lifespan, so every request shares one aiohttp connection
pool, and it is closed at shutdown. Routes get it through a dependency.

Run it (``uvicorn`` and ``fastapi`` installed)::

    PLEXY_API_KEY=... PLEXY_MERCHANT_ACCOUNT=... PLEXY_WEBHOOK_SECRETS=whsec_... \\
        uvicorn --factory examples.fastapi_app:create_app
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

import aiohttp
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, SecretStr

from plexy_async import (
    Amount,
    CardDetails,
    PlexyClient,
    PoolLimits,
    RetryPolicy,
    errors,
    webhooks,
)

log = logging.getLogger("examples.fastapi_app")


@dataclass(frozen=True)
class Settings:
    api_key: str | None = None  # None: PLEXY_API_KEY
    base_url: str | None = None  # None: PLEXY_BASE_URL, else the live API
    merchant_account: str = "YOUR_MERCHANT_ACCOUNT"
    webhook_secrets: tuple[str, ...] = ()  # Checkout v2 whsec_ secrets (two while rotating)
    pay_webhook_tokens: tuple[str, ...] = ()  # Pay API bearer tokens
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
            pay_webhook_tokens=listed("PLEXY_PAY_WEBHOOK_TOKENS"),
        )


class State(TypedDict):
    """What the lifespan hands to every request (``request.state``)."""

    plexy: PlexyClient
    seen: webhooks.DuplicateFilter


def get_plexy(request: Request) -> PlexyClient:
    plexy: PlexyClient = request.state.plexy
    return plexy


Plexy = Annotated[PlexyClient, Depends(get_plexy)]


class CardIn(BaseModel):
    number: SecretStr  # SecretStr: never in a repr or a validation error
    cvc: SecretStr
    expiry_month: str
    expiry_year: str
    holder_name: str | None = None


class PaymentIn(BaseModel):
    order_id: str = Field(min_length=1, max_length=48)
    amount: int = Field(gt=0)  # minor units
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    card: CardIn


class PaymentOut(BaseModel):
    order_id: str
    result_code: str
    psp_reference: str | None
    refusal_reason: str | None
    request_id: str | None
    attempts: int


# Our answer to each error, most specific first: (error, HTTP status, show its message). The
# same table as the README's FastAPI section: a 422 from Plexy is the caller's to fix, never a
# 500 of ours; an error about our own integration (API key, a field we forgot) is a 502.
ANSWERS: tuple[tuple[type[errors.PlexyError], int, bool], ...] = (
    (errors.InvalidRequestError, 400, True),  # a bad value, refused before anything was sent
    (webhooks.WebhookError, 400, True),
    (errors.CardError, 402, True),
    (errors.UnprocessableEntityError, 422, True),
    (errors.RateLimitError, 503, False),
    (errors.OutcomeUnknownError, 504, False),  # it may have gone through: send it again
)


def _answer_for(exc: errors.PlexyError) -> tuple[int, bool]:
    for error, status, show in ANSWERS:
        if isinstance(exc, error):
            return status, show
    return 502, False


async def plexy_error(request: Request, exc: errors.PlexyError) -> JSONResponse:
    """Plexy's failure as an answer to our caller, with what support needs to trace it.

    Messages are masked by the library (no card number, no secret), so those marked to be shown
    can be; the others stay in our log.
    """
    status, show = _answer_for(exc)
    log.warning("%s %s failed: %r", request.method, request.url.path, exc)
    detail: dict[str, Any] = {
        "error": type(exc).__name__,
        "message": exc.message if show else "the payment provider failed",
        "request_id": getattr(exc, "request_id", None),
        "attempts": getattr(exc, "attempts", None),
    }
    headers: dict[str, str] = {}
    if isinstance(exc, errors.RateLimitError):
        headers["Retry-After"] = str(math.ceil(exc.retry_after or 1))
    if isinstance(exc, errors.OutcomeUnknownError):
        detail["idempotency_key"] = exc.idempotency_key
        detail["retry"] = "safe with the same order_id"
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def handle_event(event: webhooks.CheckoutEvent | webhooks.PayEvent) -> None:
    """Your business logic: keep it quick (Plexy waits 30 s at most) or hand it to a queue."""
    log.info("webhook event %s", event.event_id)


def create_app(settings: Settings | None = None) -> FastAPI:
    config = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[State]:
        async with PlexyClient(
            api_key=config.api_key,
            base_url=config.base_url,
            pool=config.pool,
            retry=config.retry,
            trace_configs=config.trace_configs,
        ) as plexy:
            yield {"plexy": plexy, "seen": webhooks.DuplicateFilter()}

    app = FastAPI(lifespan=lifespan)
    app.exception_handler(errors.PlexyError)(plexy_error)

    @app.post("/payments")
    async def create_payment(payment: PaymentIn, plexy: Plexy) -> PaymentOut:
        card = payment.card
        result = await plexy.payments.create(  # a PlexyError is answered by plexy_error
            amount=Amount(payment.amount, payment.currency),
            reference=payment.order_id,
            merchant_account=config.merchant_account,
            payment_method=CardDetails(
                number=card.number.get_secret_value(),
                cvc=card.cvc.get_secret_value(),
                expiry_month=card.expiry_month,
                expiry_year=card.expiry_year,
                holder_name=card.holder_name,
            ),
            # One key per order: a retried or repeated request never charges twice.
            idempotency_key=f"order-{payment.order_id}",
        )
        return PaymentOut(
            order_id=payment.order_id,
            result_code=result.result_code.value,  # a decline is data, not an error
            psp_reference=result.psp_reference,
            refusal_reason=result.refusal_reason,
            request_id=result.meta.request_id,
            attempts=result.meta.attempts,
        )

    async def accept(
        request: Request, event: webhooks.CheckoutEvent | webhooks.PayEvent
    ) -> dict[str, Any]:
        seen: webhooks.DuplicateFilter = request.state.seen
        if not seen.first_time(event):
            return {"received": event.event_id, "duplicate": True}
        try:
            await handle_event(event)
        except Exception:
            seen.forget(event)  # answer 500, so that Plexy delivers it again
            raise
        return {"received": event.event_id, "duplicate": False}

    @app.post("/webhooks/plexy")
    async def checkout_webhook(
        request: Request, plexy_signature: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        body = await request.body()  # the raw body: re-serialised JSON would not verify
        try:
            event = webhooks.construct_checkout_event(body, plexy_signature, config.webhook_secrets)
        except webhooks.WebhookError as exc:
            log.warning("rejected a Checkout webhook: %s", exc)
            raise HTTPException(400, detail=str(exc)) from None
        return await accept(request, event)

    @app.post("/webhooks/plexy-pay")
    async def pay_webhook(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        body = await request.body()
        try:
            event = webhooks.construct_pay_event(body, authorization, config.pay_webhook_tokens)
        except webhooks.WebhookVerificationError as exc:
            log.warning("rejected a Pay API webhook: %s", exc)
            raise HTTPException(401, detail=str(exc)) from None
        except webhooks.WebhookPayloadError as exc:
            raise HTTPException(400, detail=str(exc)) from None
        return await accept(request, event)

    return app
