"""Pay API v1. Transactions: retrieve, history, by payment link, by order reference, list."""

from __future__ import annotations

from typing import Unpack

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator

from ..models.transactions import Transaction, TransactionEvents, TransactionStatus
from ._base import NoOtherKeywords, Service, check_arguments, paginate


class TransactionsService(Service):
    """Transactions: retrieve, history, by payment link, by order reference, list:
    ``plexy.transactions``."""

    async def retrieve(
        self,
        transaction_id: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Transaction:
        """One transaction (``GET /v1/transactions/{transaction_id}``).

        Args:
            transaction_id: The transaction (``txn_...``).
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The transaction: ``status``, ``amount`` and ``balance`` (minor units), ``type``.

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such transaction (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                txn = await plexy.transactions.retrieve("txn_123")
                if txn.status is TransactionStatus.CHARGED:
                    ...
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.retrieve, unexpected, transaction_id, options)
        # end generated
        return await self._call(
            "transactions.retrieve",
            Transaction,
            path_params={"transaction_id": transaction_id},
            options=options,
        )

    async def history(
        self,
        transaction_id: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> TransactionEvents:
        """A transaction's events, oldest first
        (``GET /v1/transactions/{transaction_id}/history``).

        Args:
            transaction_id: The transaction (``txn_...``).
            options: This call's retry policy and timeouts (seconds).

        Returns:
            ``events``, each with its ``name`` (``transaction.charged``, ...) and the
            transaction's ``amount`` and ``balance`` after it (minor units).

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such transaction (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                events = await plexy.transactions.history("txn_123")
                print(events.names)  # ['transaction.created', 'transaction.charged']
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.history, unexpected, transaction_id, options)
        # end generated
        return await self._call(
            "transactions.history",
            TransactionEvents,
            path_params={"transaction_id": transaction_id},
            options=options,
        )

    async def by_payment_link(
        self,
        link_id: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Transaction:
        """The latest payment made through a payment link, refunds excluded
        (``GET /v1/transactions/by-payment-link/{link_id}``).

        Args:
            link_id: The payment link (``pl_...``).
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The transaction, its ``amount`` in minor units.

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such link, or nothing paid through it yet (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                txn = await plexy.transactions.by_payment_link("pl_123")
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.by_payment_link, unexpected, link_id, options)
        # end generated
        return await self._call(
            "transactions.by_payment_link",
            Transaction,
            path_params={"link_id": link_id},
            options=options,
        )

    async def by_order_reference(
        self,
        order_reference: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Transaction:
        """The latest payment for an order reference, refunds excluded
        (``GET /v1/transactions/by-order-reference/{order_reference}``).

        Args:
            order_reference: Your order reference.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The transaction, its ``amount`` in minor units.

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No payment has that order reference (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                txn = await plexy.transactions.by_order_reference("ORD-1")
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.by_order_reference, unexpected, order_reference, options)
        # end generated
        return await self._call(
            "transactions.by_order_reference",
            Transaction,
            path_params={"order_reference": order_reference},
            options=options,
        )

    def list(
        self,
        *,
        status: TransactionStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Paginator[Transaction]:
        """Every transaction, oldest first (``GET /v1/transactions?status=&page=&size=``),
        fetched one page at a time as you iterate.

        Args:
            status: Only transactions in this state (``TransactionStatus`` or its value,
                such as ``"charged"``).
            page_size: Transactions per request, 1 to 500.
            options: Each page's retry policy and timeouts (seconds).

        Returns:
            A ``Paginator``: ``async for txn in ...`` walks every page;
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

                async for txn in plexy.transactions.list(status="charged"):
                    print(txn.id, txn.amount, txn.currency)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.list, unexpected, status, page_size, options)
        # end generated
        query = {"status": None if status is None else str(status)}
        return paginate(
            self, "transactions.list", Transaction, page_size=page_size, query=query,
            options=options,
        )  # fmt: skip
