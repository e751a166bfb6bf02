"""Pay API v1. Split requests: create, list, update, retrieve, delete."""

from __future__ import annotations

from collections.abc import Sequence

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator
from plexy_async._core.routes import route

from ..models.split_requests import (
    CreateSplitRequest,
    SplitRequest,
    SplitShare,
    UpdateSplitRequest,
)
from ._base import Service, build, paginate


class SplitRequestsService(Service):
    """Split requests: create, list, update, retrieve, delete."""

    async def create(
        self,
        *,
        amount: int,
        currency: str,
        shares: Sequence[SplitShare],
        transaction_id: str | None = None,
        order_reference: str | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> SplitRequest:
        """Split ``amount`` among beneficiaries (``POST /split-requests``).

        Each ``SplitShare`` is a fixed amount or a percentage; together they may claim at most
        the whole amount (checked before anything is sent). With the id of a charged
        ``transaction_id`` the split is applied at once and credits the beneficiaries.
        """
        body = build(
            CreateSplitRequest,
            amount=amount,
            currency=currency,
            shares=[*shares],
            transaction_id=transaction_id,
            order_reference=order_reference,
            description=description,
        )
        return await self._call(
            "split_requests.create",
            SplitRequest,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )

    def list(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, options: RequestOptions | None = None
    ) -> Paginator[SplitRequest]:
        """Every split request, oldest first (``GET /split-requests``), fetched lazily."""
        return paginate(self, "split_requests.list", SplitRequest, page_size=page_size,
                        options=options)  # fmt: skip

    async def retrieve(
        self, split_id: str, *, options: RequestOptions | None = None
    ) -> SplitRequest:
        """One split request (``GET /split-requests/{id}``)."""
        return await self._call(
            "split_requests.retrieve",
            SplitRequest,
            path_params={"split_id": split_id},
            options=options,
        )

    async def update(
        self,
        split_id: str,
        *,
        shares: Sequence[SplitShare] | None = None,
        order_reference: str | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> SplitRequest:
        """Change a pending split request (``PUT /split-requests/{id}``); 422 once completed."""
        body = build(
            UpdateSplitRequest,
            shares=None if shares is None else [*shares],
            order_reference=order_reference,
            description=description,
        )
        return await self._call(
            "split_requests.update",
            SplitRequest,
            body=body,
            path_params={"split_id": split_id},
            idempotency_key=idempotency_key,
            options=options,
        )

    async def delete(self, split_id: str, *, options: RequestOptions | None = None) -> None:
        """Delete a pending split request (``DELETE /split-requests/{id}``); 422 once completed.

        Returns nothing (any response body is ignored); a deleted split then retrieves as 404.
        """
        await self._client.request(
            route("split_requests.delete"),
            None,
            path_params={"split_id": split_id},
            options=options,
        )
