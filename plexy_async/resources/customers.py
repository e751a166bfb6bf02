"""Pay API v1. Customers: create, list, retrieve, card tokens, transactions.

The keyword parameters between ``# generated`` and ``# end generated`` are the request model's
fields: ``python -m plexy_async.resources._signatures`` writes them (see ``_signatures``).
"""

from __future__ import annotations

from typing import Unpack

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator

from ..models.customers import (
    CardTokens,
    CreateCustomerRequest,
    Customer,
    CustomerTransaction,
)
from ._base import NoOtherKeywords, Service, build_from, check_arguments, paginate


class CustomersService(Service):
    """Customers: create, list, retrieve, card tokens, transactions (``plexy.customers``)."""

    async def create(
        self,
        *,
        # generated: CreateCustomerRequest fields (_signatures.py)
        name: str,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Customer:
        """Create a customer (``POST /v1/customers``).

        Args:
            name: The customer's name; not empty.
            email: The customer's email address.
            phone: The customer's phone number.
            external_id: Your own id for the customer.
            description: A note.
            metadata: Your own string keys and values.
            idempotency_key: Generated when None, and reused on every retry, so a retried
                create never makes two customers.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The customer, with its ``id``.

        Raises:
            InvalidRequestError: An argument is missing, empty, of the wrong type or unknown
                (the message names the closest parameter); nothing was sent.
            BadRequestError: Plexy refused the request's content (400).
            AuthenticationError: The API key was refused (401).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the customer may exist. Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                customer = await plexy.customers.create(name="A Shopper", email="a@example.com")
        """
        # generated: CreateCustomerRequest arguments (_signatures.py)
        body = build_from(
            CreateCustomerRequest, self.create, unexpected, options,
            name, email, phone, external_id, description, metadata,
        )  # fmt: skip
        # end generated
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
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Paginator[Customer]:
        """Every customer, oldest first (``GET /v1/customers?email=&page=&size=``), fetched one
        page at a time as you iterate.

        Args:
            email: Only the customers with this email address.
            page_size: Customers per request, 1 to 500.
            options: Each page's retry policy and timeouts (seconds).

        Returns:
            A ``Paginator``: ``async for customer in ...`` walks every page;
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

                async for customer in plexy.customers.list(email="a@example.com"):
                    print(customer.id)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.list, unexpected, email, page_size, options)
        # end generated
        return paginate(
            self, "customers.list", Customer, page_size=page_size, query={"email": email},
            options=options,
        )  # fmt: skip

    async def retrieve(
        self,
        customer_id: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Customer:
        """One customer (``GET /v1/customers/{customer_id}``).

        Args:
            customer_id: The customer.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The customer.

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such customer (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                customer = await plexy.customers.retrieve("cus_123")
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.retrieve, unexpected, customer_id, options)
        # end generated
        return await self._call(
            "customers.retrieve",
            Customer,
            path_params={"customer_id": customer_id},
            options=options,
        )

    async def card_tokens(
        self,
        customer_id: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> CardTokens:
        """The customer's saved cards (``GET /v1/customers/{customer_id}/card-tokens``): last4,
        brand and expiry, never a card number.

        Args:
            customer_id: The customer.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            ``CardTokens``: iterate it, or use ``len()``.

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such customer (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                for card in await plexy.customers.card_tokens("cus_123"):
                    print(card.id, card.brand, card.last4)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.card_tokens, unexpected, customer_id, options)
        # end generated
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
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Paginator[CustomerTransaction]:
        """The customer's transactions, oldest first
        (``GET /v1/customers/{customer_id}/transactions?page=&size=``), fetched one page at a
        time as you iterate.

        Args:
            customer_id: The customer.
            page_size: Transactions per request, 1 to 500.
            options: Each page's retry policy and timeouts (seconds).

        Returns:
            A ``Paginator`` of ``CustomerTransaction`` (amounts in minor units). Nothing is
            sent until you iterate it or ``await ....page(n)``.

        Raises:
            InvalidRequestError: An argument is of the wrong type, out of range or unknown
                (the message names the closest parameter); raised by this call, before
                anything is sent.
            AuthenticationError: The API key was refused (401), while iterating.
            NotFoundError: No such customer (404), while iterating.
            APIStatusError: Any other error status while iterating: ``RateLimitError``
                (429), ``ServerError`` (5xx) once the retries are spent.
            APIConnectionError: The network failed while iterating, after the retries.

        Example:
            ::

                async for txn in plexy.customers.transactions("cus_123"):
                    print(txn.id, txn.amount, txn.status)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.transactions, unexpected, customer_id, page_size, options)
        # end generated
        return paginate(
            self,
            "customers.transactions",
            CustomerTransaction,
            page_size=page_size,
            path_params={"customer_id": customer_id},
            options=options,
        )
