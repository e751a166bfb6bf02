"""Pay API v1. Transactions: retrieve, history, by payment link, by order reference, list."""

from __future__ import annotations

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator

from ..models.transactions import Transaction, TransactionEvents, TransactionStatus
from ._base import Service, paginate


class TransactionsService(Service):
    """Transactions: retrieve, history, by payment link, by order reference, list."""

    async def retrieve(
        self, transaction_id: str, *, options: RequestOptions | None = None
    ) -> Transaction:
        """One transaction (``GET /transactions/{id}``); ``NotFoundError`` if there is none."""
        return await self._call(
            "transactions.retrieve",
            Transaction,
            path_params={"transaction_id": transaction_id},
            options=options,
        )

    async def history(
        self, transaction_id: str, *, options: RequestOptions | None = None
    ) -> TransactionEvents:
        """A transaction's events, oldest first (``GET /transactions/{id}/history``)."""
        return await self._call(
            "transactions.history",
            TransactionEvents,
            path_params={"transaction_id": transaction_id},
            options=options,
        )

    async def by_payment_link(
        self, link_id: str, *, options: RequestOptions | None = None
    ) -> Transaction:
        """The latest payment made through a payment link (refunds excluded)."""
        return await self._call(
            "transactions.by_payment_link",
            Transaction,
            path_params={"link_id": link_id},
            options=options,
        )

    async def by_order_reference(
        self, order_reference: str, *, options: RequestOptions | None = None
    ) -> Transaction:
        """The latest payment for an order reference (refunds excluded)."""
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
    ) -> Paginator[Transaction]:
        """Every transaction, oldest first (``GET /transactions?status=&page=&size=``), fetched
        one page at a time; ``await ....page(n)`` fetches a single page."""
        query = {"status": None if status is None else str(status)}
        return paginate(
            self, "transactions.list", Transaction, page_size=page_size, query=query,
            options=options,
        )  # fmt: skip
