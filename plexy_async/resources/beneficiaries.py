"""Pay API v1: payment beneficiaries.

The keyword parameters between ``# generated`` and ``# end generated`` are the request model's
fields: ``python -m plexy_async.resources._signatures`` writes them (see ``_signatures``).
"""

from __future__ import annotations

from typing import Unpack

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
from ._base import NoOtherKeywords, Service, build_from, check_arguments, paginate


class BeneficiariesService(Service):
    """Payment beneficiaries: create, update, retrieve, list, transfer, manual settlement
    (``plexy.beneficiaries``)."""

    async def create(
        self,
        *,
        # generated: CreateBeneficiaryRequest fields (_signatures.py)
        name: str,
        iban: str,
        currency: str | None = None,
        tax_id: str | None = None,
        bank_name: str | None = None,
        email: str | None = None,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentBeneficiary:
        """Create a beneficiary with a zero balance (``POST /v1/payment-beneficiaries``).

        Args:
            name: The beneficiary's name; not empty.
            iban: The bank account to settle to; not empty.
            currency: The balance's ISO 4217 currency (``"KZT"``).
            tax_id: The BIN / IIN in Kazakhstan.
            idempotency_key: Generated when None, and reused on every retry, so a retried
                create never makes two beneficiaries.
            options: This call's retry policy and timeouts (seconds).

        The other keywords are the ``CreateBeneficiaryRequest`` fields of the same names.

        Returns:
            The beneficiary: ``id``, ``status``, ``balance`` (0, in minor units).

        Raises:
            InvalidRequestError: An argument is missing, empty, of the wrong type, unknown
                (the message names the closest parameter) or invalid (an unknown currency);
                nothing was sent.
            BadRequestError: Plexy refused the request's content (400).
            AuthenticationError: The API key was refused (401).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the beneficiary may exist. Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                seller = await plexy.beneficiaries.create(
                    name="Seller A", iban="KZ86125KZT5004100100", currency="KZT"
                )
        """
        # generated: CreateBeneficiaryRequest arguments (_signatures.py)
        body = build_from(
            CreateBeneficiaryRequest, self.create, unexpected, options,
            name, iban, currency, tax_id, bank_name, email, description, metadata,
        )  # fmt: skip
        # end generated
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
        # generated: UpdateBeneficiaryRequest fields (_signatures.py)
        name: str | None = None,
        iban: str | None = None,
        tax_id: str | None = None,
        bank_name: str | None = None,
        email: str | None = None,
        description: str | None = None,
        status: BeneficiaryStatus | str | None = None,
        metadata: dict[str, str] | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentBeneficiary:
        """Change a beneficiary (``PUT /v1/payment-beneficiaries/{beneficiary_id}``): give at
        least one of the keywords; the others are left as they are.

        Args:
            beneficiary_id: The beneficiary (``ben_...``).
            status: ``BeneficiaryStatus`` or its value: an ``"inactive"`` beneficiary cannot
                be paid or settled.
            idempotency_key: Generated when None, and reused on every retry.
            options: This call's retry policy and timeouts (seconds).

        The other keywords are the ``UpdateBeneficiaryRequest`` fields of the same names.

        Returns:
            The updated beneficiary.

        Raises:
            InvalidRequestError: Nothing to change, or an argument of the wrong type or
                unknown (the message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such beneficiary (404).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it.
                Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                await plexy.beneficiaries.update("ben_1", status="inactive")
        """
        # generated: UpdateBeneficiaryRequest arguments (_signatures.py)
        body = build_from(
            UpdateBeneficiaryRequest, self.update, unexpected, options,
            name, iban, tax_id, bank_name, email, description, status, metadata,
        )  # fmt: skip
        # end generated
        return await self._call(
            "beneficiaries.update",
            PaymentBeneficiary,
            body=body,
            path_params={"beneficiary_id": beneficiary_id},
            idempotency_key=idempotency_key,
            options=options,
        )

    async def retrieve(
        self,
        beneficiary_id: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> PaymentBeneficiary:
        """One beneficiary with its balance (``GET /v1/payment-beneficiaries/{beneficiary_id}``).

        Args:
            beneficiary_id: The beneficiary (``ben_...``).
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The beneficiary, its ``balance`` in minor units of its ``currency``.

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such beneficiary (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                seller = await plexy.beneficiaries.retrieve("ben_1")
                print(seller.balance)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.retrieve, unexpected, beneficiary_id, options)
        # end generated
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
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Paginator[PaymentBeneficiary]:
        """Every beneficiary, oldest first
        (``GET /v1/payment-beneficiaries?status=&page=&size=``), fetched one page at a time as
        you iterate.

        Args:
            status: Only beneficiaries in this state (``BeneficiaryStatus`` or its value).
            page_size: Beneficiaries per request, 1 to 500.
            options: Each page's retry policy and timeouts (seconds).

        Returns:
            A ``Paginator``: ``async for beneficiary in ...`` walks every page;
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

                async for seller in plexy.beneficiaries.list(status="active"):
                    print(seller.id, seller.balance)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.list, unexpected, status, page_size, options)
        # end generated
        return paginate(
            self, "beneficiaries.list", PaymentBeneficiary, page_size=page_size,
            query={"status": status}, options=options,
        )  # fmt: skip

    async def transfer_to_merchant(
        self,
        beneficiary_id: str,
        *,
        # generated: TransferToMerchantRequest fields (_signatures.py)
        amount: int,
        currency: str | None = None,
        description: str | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> BeneficiaryTransfer:
        """Move an amount from the beneficiary's balance to the merchant balance
        (``POST /v1/payment-beneficiaries/{beneficiary_id}/transfer-to-merchant``).

        Args:
            beneficiary_id: The beneficiary (``ben_...``).
            amount: The amount, in minor units (5000 = 50.00 KZT); positive.
            currency: The balance's ISO 4217 currency, if you want it checked.
            description: What the transfer is for.
            idempotency_key: Generated when None, and reused on every retry, so a retried
                transfer never moves the money twice.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The transfer, with both balances after it (minor units).

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or invalid (an amount that is not
                positive, an unknown currency); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such beneficiary (404).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: More than the balance, or another currency (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the money may have moved. Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                moved = await plexy.beneficiaries.transfer_to_merchant("ben_1", amount=100000)
                print(moved.beneficiary_balance, moved.merchant_balance)
        """
        # generated: TransferToMerchantRequest arguments (_signatures.py)
        body = build_from(
            TransferToMerchantRequest, self.transfer_to_merchant, unexpected, options,
            amount, currency, description,
        )  # fmt: skip
        # end generated
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
        # generated: ManualSettlementRequest fields (_signatures.py)
        amount: int | None = None,
        currency: str | None = None,
        description: str | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> SettlementPaymentOrder:
        """Pay the beneficiary's balance to its bank account now
        (``POST /v1/payment-beneficiaries/{beneficiary_id}/settlements``).

        Args:
            beneficiary_id: The beneficiary (``ben_...``).
            amount: How much, in minor units (5000 = 50.00 KZT); None settles the whole
                balance.
            currency: The balance's ISO 4217 currency, if you want it checked.
            description: What the settlement is for.
            idempotency_key: Generated when None, and reused on every retry, so a retried
                settlement never pays twice.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The settlement payment order it created (``source`` ``beneficiaryBalance``).

        Raises:
            InvalidRequestError: An argument is of the wrong type, unknown (the message names
                the closest parameter) or invalid (an amount that is not positive, an unknown
                currency); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such beneficiary (404).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: More than the balance, an empty balance, or an inactive
                beneficiary (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the money may have been paid. Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                order = await plexy.beneficiaries.manual_settlement("ben_1")  # all of it
        """
        # generated: ManualSettlementRequest arguments (_signatures.py)
        body = build_from(
            ManualSettlementRequest, self.manual_settlement, unexpected, options,
            amount, currency, description,
        )  # fmt: skip
        # end generated
        return await self._call(
            "beneficiaries.manual_settlement",
            SettlementPaymentOrder,
            body=body,
            path_params={"beneficiary_id": beneficiary_id},
            idempotency_key=idempotency_key,
            options=options,
        )
