"""Checkout v2: payment methods, payments, payment details, sessions.

``PaymentsService`` also carries the Pay API v1 payment management: capture, cancel, refund.
"""

from __future__ import annotations

from typing import Any

from plexy_async._core.config import RequestOptions

from ..errors import InvalidRequestError
from ..models.checkout import (
    CreateSessionRequest,
    PaymentDetailsRequest,
    PaymentMethodInput,
    PaymentMethodsRequest,
    PaymentMethodsResponse,
    PaymentRequest,
    PaymentResponse,
    Session,
    SessionResult,
)
from ..models.common import Amount
from ..models.payment_management import (
    CancelPaymentResponse,
    CapturePaymentResponse,
    RefundPaymentRequest,
    RefundPaymentResponse,
)
from ._base import Service, build


class PaymentMethodsService(Service):
    async def list(
        self,
        *,
        merchant_account: str,
        options: RequestOptions | None = None,
        **optional: Any,
    ) -> PaymentMethodsResponse:
        """The payment methods available for a merchant account (``POST /paymentMethods``).

        ``optional``: any other ``PaymentMethodsRequest`` field (country_code, amount, channel,
        shopper_locale).
        """
        body = build(PaymentMethodsRequest, merchant_account=merchant_account, **optional)
        return await self._call(
            "payment_methods.list", PaymentMethodsResponse, body=body, options=options
        )


class PaymentsService(Service):
    async def create(
        self,
        *,
        amount: Amount,
        reference: str,
        merchant_account: str,
        payment_method: PaymentMethodInput,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **optional: Any,
    ) -> PaymentResponse:
        """Start a payment (``POST /payments``). A decline is data: check ``result_code``.

        ``optional``: any other ``PaymentRequest`` field (return_url, shopper_reference, ...).
        An idempotency key is generated when you pass none, and reused on every retry.
        """
        body = build(
            PaymentRequest,
            amount=amount,
            reference=reference,
            merchant_account=merchant_account,
            payment_method=payment_method,
            **optional,
        )
        return await self._call(
            "payments.create",
            PaymentResponse,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )

    async def details(
        self,
        *,
        details: dict[str, Any],
        payment_data: str | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> PaymentResponse:
        """Submit 3-D Secure or redirect results (``POST /payments/details``)."""
        body = build(PaymentDetailsRequest, details=details, payment_data=payment_data)
        return await self._call(
            "payments.details",
            PaymentResponse,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )

    # Pay API v1 payment management

    async def capture(
        self,
        transaction_id: str,
        *,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> CapturePaymentResponse:
        """Charge an authorised Pay API transaction (``POST /payments/{id}/capture``).

        ``UnprocessableEntityError`` when the transaction is not authorised.
        """
        return await self._call(
            "payments.capture",
            CapturePaymentResponse,
            path_params={"transaction_id": transaction_id},
            idempotency_key=idempotency_key,
            options=options,
        )

    async def cancel(
        self,
        transaction_id: str,
        *,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> CancelPaymentResponse:
        """Release an authorised, uncaptured transaction (``POST /payments/{id}/cancel``).

        ``UnprocessableEntityError`` when the transaction is not authorised.
        """
        return await self._call(
            "payments.cancel",
            CancelPaymentResponse,
            path_params={"transaction_id": transaction_id},
            idempotency_key=idempotency_key,
            options=options,
        )

    async def refund(
        self,
        transaction_id: str,
        *,
        amount: int | None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> RefundPaymentResponse:
        """Refund ``amount`` (minor units) of a charged transaction, or all that is left with
        ``amount=None`` (sent as ``{"amount": null}``): there is no default, on purpose.

        ``remaining_balance`` is what is still refundable; refunding it all makes the
        transaction ``refunded``. More than the balance raises ``UnprocessableEntityError``.
        """
        body = build(RefundPaymentRequest, amount=amount)
        return await self._call(
            "payments.refund",
            RefundPaymentResponse,
            body=body,
            path_params={"transaction_id": transaction_id},
            idempotency_key=idempotency_key,
            options=options,
        )


class SessionsService(Service):
    async def create(
        self,
        *,
        amount: Amount,
        merchant_account: str,
        reference: str,
        return_url: str,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **optional: Any,
    ) -> Session:
        """Create a checkout session (``POST /sessions``).

        ``optional``: any other ``CreateSessionRequest`` field (country_code, shopper_locale, ...).
        """
        body = build(
            CreateSessionRequest,
            amount=amount,
            merchant_account=merchant_account,
            reference=reference,
            return_url=return_url,
            **optional,
        )
        return await self._call(
            "sessions.create",
            Session,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )

    async def result(
        self,
        session_id: str,
        *,
        session_result: str,
        options: RequestOptions | None = None,
    ) -> SessionResult:
        """The result of a session (``GET /sessions/{id}?sessionResult=...``)."""
        return await self._call(
            "sessions.result",
            SessionResult,
            path_params={"session_id": session_id},
            query={"sessionResult": _required("session_result", session_result)},
            options=options,
        )


def _required(name: str, value: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"{name} is required")
    return value
