"""Pay API v1. Customers: create, list, retrieve, card tokens, transactions."""

from __future__ import annotations

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator

from ..models.customers import (
    CardTokens,
    CreateCustomerRequest,
    Customer,
    CustomerTransaction,
)
from ._base import Service, build, paginate


class CustomersService(Service):
    """Customers: create, list, retrieve, card tokens, transactions."""

    async def create(
        self,
        *,
        name: str,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> Customer:
        """Create a customer (``POST /customers``); its ``id`` starts ``cus_`` in the mock."""
        body = build(
            CreateCustomerRequest,
            name=name,
            email=email,
            phone=phone,
            external_id=external_id,
            description=description,
            metadata=metadata,
        )
        return await self._call(
            "customers.create",
            Customer,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )

    def list(
        self,
        *,
        email: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        options: RequestOptions | None = None,
    ) -> Paginator[Customer]:
        """Every customer, oldest first (``GET /customers?page=&size=``), fetched lazily.

        ``async for customer in plexy.customers.list(): ...``, or ``await ....page(2)``.
        """
        return paginate(
            self, "customers.list", Customer, page_size=page_size, query={"email": email},
            options=options,
        )  # fmt: skip

    async def retrieve(
        self, customer_id: str, *, options: RequestOptions | None = None
    ) -> Customer:
        """One customer (``GET /customers/{id}``); ``NotFoundError`` if there is none."""
        return await self._call(
            "customers.retrieve",
            Customer,
            path_params={"customer_id": customer_id},
            options=options,
        )

    async def card_tokens(
        self, customer_id: str, *, options: RequestOptions | None = None
    ) -> CardTokens:
        """The customer's saved cards, last4/brand/expiry (``GET /customers/{id}/card-tokens``)."""
        return await self._call(
            "customers.card_tokens",
            CardTokens,
            path_params={"customer_id": customer_id},
            options=options,
        )

    def transactions(
        self,
        customer_id: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        options: RequestOptions | None = None,
    ) -> Paginator[CustomerTransaction]:
        """The customer's transactions (``GET /customers/{id}/transactions``), fetched lazily."""
        return paginate(
            self,
            "customers.transactions",
            CustomerTransaction,
            page_size=page_size,
            path_params={"customer_id": customer_id},
            options=options,
        )
