"""Pay API v1. Settlement payment orders: create, retrieve, list."""

from __future__ import annotations

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator

from ..models.settlement_orders import (
    CreateSettlementOrderRequest,
    SettlementOrderStatus,
    SettlementPaymentOrder,
)
from ._base import Service, build, paginate


class SettlementOrdersService(Service):
    """Settlement payment orders: create, retrieve, list."""

    async def create(
        self,
        *,
        beneficiary_id: str,
        amount: int,
        currency: str,
        request_id: str | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> SettlementPaymentOrder:
        """Pay ``amount`` from the merchant balance to a beneficiary's bank account.

        ``POST /settlement-payment-orders``. The order starts ``created``; webhooks report
        ``paid`` or ``failed``. ``request_id`` is Plexy's duplicate guard (409 when reused).
        """
        body = build(
            CreateSettlementOrderRequest,
            beneficiary_id=beneficiary_id,
            amount=amount,
            currency=currency,
            request_id=request_id,
            description=description,
        )
        return await self._call(
            "settlement_orders.create",
            SettlementPaymentOrder,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )

    async def retrieve(
        self, order_id: str, *, options: RequestOptions | None = None
    ) -> SettlementPaymentOrder:
        """One order (``GET /settlement-payment-orders/{id}``)."""
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
    ) -> Paginator[SettlementPaymentOrder]:
        """Every order, oldest first (``GET /settlement-payment-orders``), fetched lazily."""
        return paginate(
            self,
            "settlement_orders.list",
            SettlementPaymentOrder,
            page_size=page_size,
            query={"beneficiaryId": beneficiary_id, "status": status},
            options=options,
        )
