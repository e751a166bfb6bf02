"""Checkout v2: payment methods, payments, payment details, sessions.

``PaymentsService`` also carries the Pay API v1 payment management: capture, cancel, refund.

The keyword parameters between ``# generated`` and ``# end generated`` are the request model's
fields: ``python -m plexy_async.resources._signatures`` writes them (see ``_signatures``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Unpack

from plexy_async._core.config import RequestOptions

from ..errors import InvalidRequestError
from ..models.checkout import (
    BrowserInfo,
    CreateSessionRequest,
    LineItem,
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
from ._base import NoOtherKeywords, Service, build_from, check_arguments


class PaymentMethodsService(Service):
    """Checkout v2 payment methods: ``plexy.payment_methods``."""

    async def list(
        self,
        *,
        # generated: PaymentMethodsRequest fields (_signatures.py)
        merchant_account: str,
        amount: Amount | None = None,
        country_code: str | None = None,
        channel: str | None = None,
        shopper_locale: str | None = None,
        shopper_reference: str | None = None,
        allowed_payment_methods: list[str] | None = None,
        blocked_payment_methods: list[str] | None = None,
        # end generated
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentMethodsResponse:
        """The payment methods available to a shopper (``POST /v2/paymentMethods``): a read,
        never retried into a charge.

        Args:
            merchant_account: Your merchant account.
            amount: The amount to pay, in minor units (``Amount(10000, "KZT")`` is 100.00
                KZT): methods that cannot take it are left out.
            country_code: The shopper's country, ISO 3166-1 alpha-2 (``"KZ"``).
            channel: ``"Web"``, ``"iOS"`` or ``"Android"``.
            options: This call's retry policy and timeouts (seconds).

        The other keywords are the ``PaymentMethodsRequest`` fields of the same names.

        Returns:
            ``payment_methods`` and the shopper's ``stored_payment_methods``.

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or invalid; nothing was sent.
            BadRequestError: Plexy refused the request's content (400).
            AuthenticationError: The API key was refused (401).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                methods = await plexy.payment_methods.list(
                    merchant_account="YOUR_MERCHANT_ACCOUNT", amount=Amount(10000, "KZT")
                )
                print([m.type for m in methods.payment_methods])
        """
        # generated: PaymentMethodsRequest arguments (_signatures.py)
        body = build_from(
            PaymentMethodsRequest, self.list, unexpected, options,
            merchant_account, amount, country_code, channel, shopper_locale, shopper_reference,
            allowed_payment_methods, blocked_payment_methods,
        )  # fmt: skip
        # end generated
        return await self._call(
            "payment_methods.list", PaymentMethodsResponse, body=body, options=options
        )


class PaymentsService(Service):
    """Checkout v2 payments (``plexy.payments``), and the Pay API v1 payment management:
    capture, cancel, refund."""

    async def create(
        self,
        *,
        # generated: PaymentRequest fields (_signatures.py)
        amount: Amount,
        reference: str,
        merchant_account: str,
        payment_method: PaymentMethodInput,
        return_url: str | None = None,
        channel: str | None = None,
        origin: str | None = None,
        country_code: str | None = None,
        shopper_locale: str | None = None,
        shopper_reference: str | None = None,
        shopper_email: str | None = None,
        shopper_ip: str | None = None,
        shopper_interaction: str | None = None,
        recurring_processing_model: str | None = None,
        store_payment_method: bool | None = None,
        browser_info: BrowserInfo | None = None,
        three_ds2_request_data: dict[str, Any] | None = None,
        capture_delay_hours: int | None = None,
        line_items: Sequence[LineItem] | None = None,
        additional_data: dict[str, str] | None = None,
        metadata: dict[str, str] | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentResponse:
        """Start a payment (``POST /v2/payments``). A decline is data, not an exception:
        check ``result_code`` (``ResultCode.REFUSED`` with ``refusal_reason``); when ``action``
        is set the shopper has a step to take (3-D Secure, a redirect) before it completes.

        Args:
            amount: The amount, in minor units: ``Amount(10000, "KZT")`` is 100.00 KZT.
            reference: Your reference for the payment (the order number).
            merchant_account: Your merchant account.
            payment_method: ``CardDetails`` (raw or encrypted card fields),
                ``StoredPaymentMethodDetails`` (a stored card) or ``PaymentMethodDetails``.
            return_url: Where a redirect or 3-D Secure step sends the shopper back.
            capture_delay_hours: Capture automatically after this many hours (0: at once).
            line_items: The order's lines, their amounts in minor units.
            idempotency_key: Generated when None, and reused on every retry, so a retried
                payment is never made twice; at most 255 printable ASCII characters.
            options: This call's retry policy and timeouts (seconds).

        The other keywords are the ``PaymentRequest`` fields of the same names.

        Returns:
            The payment: ``result_code``, ``psp_reference``, ``action``, ``.meta``.

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or invalid; nothing was sent.
            BadRequestError: Plexy refused the request's content (400).
            AuthenticationError: The API key was refused (401).
            CardError: The card was refused with an error status (402); most declines are a
                ``Refused`` result instead.
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The payment cannot be made as asked (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the payment may have been made. Call again with ``error.idempotency_key`` to
                learn its outcome without paying twice.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                payment = await plexy.payments.create(
                    amount=Amount(10000, "KZT"),
                    reference="order-1",
                    merchant_account="YOUR_MERCHANT_ACCOUNT",
                    payment_method=CardDetails(
                        number="4242424242424242", expiry_month="03", expiry_year="2030",
                        cvc="737",
                    ),
                    return_url="https://shop.example/return",
                )
                if payment.result_code is ResultCode.AUTHORISED:
                    ...
        """
        # generated: PaymentRequest arguments (_signatures.py)
        body = build_from(
            PaymentRequest, self.create, unexpected, options,
            amount, reference, merchant_account, payment_method, return_url, channel, origin,
            country_code, shopper_locale, shopper_reference, shopper_email, shopper_ip,
            shopper_interaction, recurring_processing_model, store_payment_method, browser_info,
            three_ds2_request_data, capture_delay_hours, line_items, additional_data, metadata,
        )  # fmt: skip
        # end generated
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
        # generated: PaymentDetailsRequest fields (_signatures.py)
        details: dict[str, Any],
        payment_data: str | None = None,
        three_ds_authentication_only: bool | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentResponse:
        """Submit what a redirect or 3-D Secure step returned (``POST /v2/payments/details``),
        to complete the payment.

        Args:
            details: What the shopper's return carried, such as
                ``{"redirectResult": "..."}`` or ``{"threeDSResult": "..."}``.
            payment_data: The ``payment_data`` of the payment's action, when it had one.
            three_ds_authentication_only: Authenticate the shopper without authorising.
            idempotency_key: Generated when None, and reused on every retry.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The payment, as ``payments.create`` returns it, with its final ``result_code``.

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or invalid; nothing was sent.
            BadRequestError: Plexy refused the details (400).
            AuthenticationError: The API key was refused (401).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The details fit no pending payment (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the payment may have been completed. Call again with
                ``error.idempotency_key`` to learn its outcome.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                payment = await plexy.payments.details(
                    details={"redirectResult": request.query["redirectResult"]}
                )
        """
        # generated: PaymentDetailsRequest arguments (_signatures.py)
        body = build_from(
            PaymentDetailsRequest, self.details, unexpected, options,
            details, payment_data, three_ds_authentication_only,
        )  # fmt: skip
        # end generated
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
        **unexpected: Unpack[NoOtherKeywords],
    ) -> CapturePaymentResponse:
        """Charge an authorised Pay API transaction
        (``POST /v1/payments/{transaction_id}/capture``): its whole authorised amount.

        Args:
            transaction_id: The authorised transaction (``txn_...``).
            idempotency_key: Generated when None, and reused on every retry.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            ``success``, the ``amount`` charged in minor units, and ``remaining_balance``
            (what is left to refund, in minor units).

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such transaction (404).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The transaction is not authorised (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the money may have been charged. Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                captured = await plexy.payments.capture("txn_123")
                assert captured.success
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.capture, unexpected, transaction_id, idempotency_key, options)
        # end generated
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
        **unexpected: Unpack[NoOtherKeywords],
    ) -> CancelPaymentResponse:
        """Release an authorised, uncaptured transaction
        (``POST /v1/payments/{transaction_id}/cancel``): the shopper is not charged.

        Args:
            transaction_id: The authorised transaction (``txn_...``).
            idempotency_key: Generated when None, and reused on every retry.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            ``success`` and the transaction's ``amount`` (minor units).

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such transaction (404).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The transaction is not authorised (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the authorisation may have been released. Call again with
                ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                await plexy.payments.cancel("txn_123")
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.cancel, unexpected, transaction_id, idempotency_key, options)
        # end generated
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
        # generated: RefundPaymentRequest fields, amount required (_signatures.py)
        amount: int | None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> RefundPaymentResponse:
        """Refund a charged transaction (``POST /v1/payments/{transaction_id}/refund``), in
        part or in full.

        Args:
            transaction_id: The charged transaction (``txn_...``).
            amount: What to refund, in minor units (5000 = 50.00 KZT); ``None`` refunds all
                that is left (sent as ``{"amount": null}``). There is no default, on purpose.
            idempotency_key: Generated when None, and reused on every retry, so a retried
                refund is never paid twice.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            ``success``, the ``amount`` refunded and ``remaining_balance`` (minor units);
            refunding all of it makes the transaction ``refunded``.

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or not positive; nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such transaction (404).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The transaction is not charged, or ``amount`` is more
                than its balance (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the refund may have been paid. Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                refund = await plexy.payments.refund("txn_123", amount=2500)  # 25.00
                print(refund.remaining_balance)
        """
        # generated: RefundPaymentRequest arguments (_signatures.py)
        body = build_from(RefundPaymentRequest, self.refund, unexpected, options, amount)
        # end generated
        return await self._call(
            "payments.refund",
            RefundPaymentResponse,
            body=body,
            path_params={"transaction_id": transaction_id},
            idempotency_key=idempotency_key,
            options=options,
        )


class SessionsService(Service):
    """Checkout v2 sessions: ``plexy.sessions``."""

    async def create(
        self,
        *,
        # generated: CreateSessionRequest fields (_signatures.py)
        amount: Amount,
        merchant_account: str,
        reference: str,
        return_url: str,
        channel: str | None = None,
        country_code: str | None = None,
        shopper_locale: str | None = None,
        shopper_reference: str | None = None,
        shopper_email: str | None = None,
        expires_at: datetime | None = None,
        mode: str | None = None,
        recurring_processing_model: str | None = None,
        store_payment_method_mode: str | None = None,
        line_items: Sequence[LineItem] | None = None,
        metadata: dict[str, str] | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Session:
        """Create a checkout session (``POST /v2/sessions``): hand its ``id`` and
        ``session_data`` to the front end, which takes the payment.

        Args:
            amount: The amount, in minor units: ``Amount(10000, "KZT")`` is 100.00 KZT.
            merchant_account: Your merchant account.
            reference: Your reference for the payment (the order number).
            return_url: Where the shopper comes back to.
            expires_at: When the session expires (a timezone-aware datetime).
            mode: ``"embedded"`` or ``"hosted"``.
            idempotency_key: Generated when None, and reused on every retry.
            options: This call's retry policy and timeouts (seconds).

        The other keywords are the ``CreateSessionRequest`` fields of the same names.

        Returns:
            The session: ``id``, ``session_data``, ``url`` (hosted mode), ``expires_at``.

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or invalid, or ``expires_at`` is naive;
                nothing was sent.
            BadRequestError: Plexy refused the request's content (400).
            AuthenticationError: The API key was refused (401).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The session cannot be created as asked (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the session may exist. Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                session = await plexy.sessions.create(
                    amount=Amount(10000, "KZT"),
                    merchant_account="YOUR_MERCHANT_ACCOUNT",
                    reference="order-1",
                    return_url="https://shop.example/return",
                )
        """
        # generated: CreateSessionRequest arguments (_signatures.py)
        body = build_from(
            CreateSessionRequest, self.create, unexpected, options,
            amount, merchant_account, reference, return_url, channel, country_code, shopper_locale,
            shopper_reference, shopper_email, expires_at, mode, recurring_processing_model,
            store_payment_method_mode, line_items, metadata,
        )  # fmt: skip
        # end generated
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
        **unexpected: Unpack[NoOtherKeywords],
    ) -> SessionResult:
        """The outcome of a session (``GET /v2/sessions/{session_id}?sessionResult=...``).

        Args:
            session_id: The session (``id`` of ``sessions.create``).
            session_result: The ``sessionResult`` the front end received when the shopper
                finished; required.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            ``status`` (``SessionStatus``: completed, refused, ...) and the ``payments`` made.

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such session (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                result = await plexy.sessions.result(session.id, session_result=returned)
                if result.status is SessionStatus.COMPLETED:
                    ...
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.result, unexpected, session_id, session_result, options)
        # end generated
        if not session_result:
            raise InvalidRequestError("SessionsService.result(session_result): must not be empty")
        return await self._call(
            "sessions.result",
            SessionResult,
            path_params={"session_id": session_id},
            query={"sessionResult": session_result},
            options=options,
        )
