"""Pay API v1: payment beneficiaries."""

from __future__ import annotations

from typing import Any

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator

from ..models.beneficiaries import (
    BeneficiaryStatus,
    BeneficiaryTransfer,
    CreateBeneficiaryRequest,
    ManualSettlementRequest,
    PaymentBeneficiary,
    TransferToMerchantRequest,
    UpdateBeneficiaryRequest,
)
from ..models.settlement_orders import SettlementPaymentOrder
from ._base import Service, build, paginate


class BeneficiariesService(Service):
    """Payment beneficiaries: create, update, retrieve, list, transfer, manual settlement."""

    async def create(
        self,
        *,
        name: str,
        iban: str,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **optional: Any,
    ) -> PaymentBeneficiary:
        """Create a beneficiary with a zero balance (``POST /payment-beneficiaries``).

        ``optional``: any other ``CreateBeneficiaryRequest`` field (currency, tax_id, bank_name,
        email, description, metadata).
        """
        body = build(CreateBeneficiaryRequest, name=name, iban=iban, **optional)
        return await self._call(
            "beneficiaries.create",
            PaymentBeneficiary,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )

    async def update(
        self,
        beneficiary_id: str,
        *,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **changes: Any,
    ) -> PaymentBeneficiary:
        """Change a beneficiary (``PUT /payment-beneficiaries/{id}``).

        ``changes``: ``UpdateBeneficiaryRequest`` fields (name, iban, tax_id, bank_name, email,
        description, status, metadata); at least one.
        """
        body = build(UpdateBeneficiaryRequest, **changes)
        return await self._call(
            "beneficiaries.update",
            PaymentBeneficiary,
            body=body,
            path_params={"beneficiary_id": beneficiary_id},
            idempotency_key=idempotency_key,
            options=options,
        )

    async def retrieve(
        self, beneficiary_id: str, *, options: RequestOptions | None = None
    ) -> PaymentBeneficiary:
        """One beneficiary with its balance (``GET /payment-beneficiaries/{id}``)."""
        return await self._call(
            "beneficiaries.retrieve",
            PaymentBeneficiary,
            path_params={"beneficiary_id": beneficiary_id},
            options=options,
        )

    def list(
        self,
        *,
        status: BeneficiaryStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        options: RequestOptions | None = None,
    ) -> Paginator[PaymentBeneficiary]:
        """Every beneficiary, oldest first (``GET /payment-beneficiaries``), fetched lazily."""
        return paginate(
            self, "beneficiaries.list", PaymentBeneficiary, page_size=page_size,
            query={"status": status}, options=options,
        )  # fmt: skip

    async def transfer_to_merchant(
        self,
        beneficiary_id: str,
        *,
        amount: int,
        currency: str | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> BeneficiaryTransfer:
        """Move ``amount`` from the beneficiary's balance to the merchant balance.

        ``POST /payment-beneficiaries/{id}/transfer-to-merchant``; more than the balance is a 422.
        """
        body = build(
            TransferToMerchantRequest, amount=amount, currency=currency, description=description
        )
        return await self._call(
            "beneficiaries.transfer_to_merchant",
            BeneficiaryTransfer,
            body=body,
            path_params={"beneficiary_id": beneficiary_id},
            idempotency_key=idempotency_key,
            options=options,
        )

    async def manual_settlement(
        self,
        beneficiary_id: str,
        *,
        amount: int | None = None,
        currency: str | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> SettlementPaymentOrder:
        """Pay the beneficiary's balance to its bank account now (all of it without ``amount``).

        ``POST /payment-beneficiaries/{id}/settlements``: returns the settlement payment order.
        """
        body = build(
            ManualSettlementRequest, amount=amount, currency=currency, description=description
        )
        return await self._call(
            "beneficiaries.manual_settlement",
            SettlementPaymentOrder,
            body=body,
            path_params={"beneficiary_id": beneficiary_id},
            idempotency_key=idempotency_key,
            options=options,
        )
