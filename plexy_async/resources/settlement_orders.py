"""Pay API v1. Settlement payment orders: create, retrieve, list.

The keyword parameters between ``# generated`` and ``# end generated`` are the request model's
fields: ``python -m plexy_async.resources._signatures`` writes them (see ``_signatures``).
"""

from __future__ import annotations

from typing import Unpack

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator

from ..models.settlement_orders import (
    CreateSettlementOrderRequest,
    SettlementOrderStatus,
    SettlementPaymentOrder,
)
from ._base import NoOtherKeywords, Service, build_from, check_arguments, paginate


class SettlementOrdersService(Service):
    """Settlement payment orders: create, retrieve, list (``plexy.settlement_orders``)."""

    async def create(
        self,
        *,
        # generated: CreateSettlementOrderRequest fields (_signatures.py)
        beneficiary_id: str,
        amount: int,
        currency: str,
        request_id: str | None = None,
        description: str | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> SettlementPaymentOrder:
        """Pay an amount from the merchant balance to a beneficiary's bank account
        (``POST /v1/merchants/settlement-payment-orders``). The order starts ``created``;
        webhooks report ``paid`` or ``failed``.

        Args:
            beneficiary_id: The beneficiary to pay (``ben_...``).
            amount: The amount, in minor units (5000 = 50.00 KZT); positive.
            currency: An ISO 4217 code such as ``"KZT"``.
            request_id: Plexy's own duplicate guard: a second order with the same
                ``request_id`` is refused (409).
            description: What the payment is for.
            idempotency_key: Generated when None, and reused on every retry of this call.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The order: ``id``, ``status`` (``created``), ``source``.

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or invalid (an amount that is not
                positive, an unknown currency); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such beneficiary (404).
            ConflictError: The ``request_id`` or idempotency key was used before (409).
            UnprocessableEntityError: The merchant balance is too low, or the beneficiary is
                inactive (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the order may exist. Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                order = await plexy.settlement_orders.create(
                    beneficiary_id="ben_1", amount=2500000, currency="KZT",  # 25,000.00
                    request_id="payout-2025-03-ben_1",
                )
        """
        # generated: CreateSettlementOrderRequest arguments (_signatures.py)
        body = build_from(
            CreateSettlementOrderRequest, self.create, unexpected, options,
            beneficiary_id, amount, currency, request_id, description,
        )  # fmt: skip
        # end generated
        return await self._call(
            "settlement_orders.create",
            SettlementPaymentOrder,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )

    async def retrieve(
        self,
        order_id: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> SettlementPaymentOrder:
        """One order (``GET /v1/merchants/settlement-payment-orders/{order_id}``).

        Args:
            order_id: The order.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The order: ``status``, ``amount`` (minor units), ``failure_reason``.

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such order (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                order = await plexy.settlement_orders.retrieve("spo_123")
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.retrieve, unexpected, order_id, options)
        # end generated
        return await self._call(
            "settlement_orders.retrieve",
            SettlementPaymentOrder,
            path_params={"order_id": order_id},
            options=options,
        )

    def list(
        self,
        *,
        beneficiary_id: str | None = None,
        status: SettlementOrderStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Paginator[SettlementPaymentOrder]:
        """Every order, oldest first
        (``GET /v1/merchants/settlement-payment-orders?beneficiaryId=&status=&page=&size=``),
        fetched one page at a time as you iterate.

        Args:
            beneficiary_id: Only the orders paying this beneficiary.
            status: Only orders in this state (``SettlementOrderStatus`` or its value).
            page_size: Orders per request, 1 to 500.
            options: Each page's retry policy and timeouts (seconds).

        Returns:
            A ``Paginator``: ``async for order in ...`` walks every page;
            ``await ....page(n)`` fetches one ``Page``. Nothing is sent until then.

        Raises:
            InvalidRequestError: An argument is of the wrong type, out of range or unknown
                (the message names the closest parameter); raised by this call, before
                anything is sent.
            AuthenticationError: The API key was refused (401), while iterating.
            APIStatusError: Any other error status while iterating: ``RateLimitError``
                (429), ``ServerError`` (5xx) once the retries are spent.
            APIConnectionError: The network failed while iterating, after the retries.

        Example:
            ::

                async for order in plexy.settlement_orders.list(status="failed"):
                    print(order.id, order.failure_reason)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.list, unexpected, beneficiary_id, status, page_size, options)
        # end generated
        return paginate(
            self,
            "settlement_orders.list",
            SettlementPaymentOrder,
            page_size=page_size,
            query={"beneficiaryId": beneficiary_id, "status": status},
            options=options,
        )
