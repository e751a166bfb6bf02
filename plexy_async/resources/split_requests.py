"""Pay API v1. Split requests: create, list, update, retrieve, delete.

The keyword parameters between ``# generated`` and ``# end generated`` are the request model's
fields: ``python -m plexy_async.resources._signatures`` writes them (see ``_signatures``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import DEFAULT_PAGE_SIZE, Paginator
from plexy_async._core.routes import route

from ..models.split_requests import (
    CreateSplitRequest,
    SplitRequest,
    SplitShare,
    UpdateSplitRequest,
)
from ._base import NoOtherKeywords, Service, build_from, check_arguments, paginate


class SplitRequestsService(Service):
    """Split requests: create, list, update, retrieve, delete (``plexy.split_requests``)."""

    async def create(
        self,
        *,
        # generated: CreateSplitRequest fields (_signatures.py)
        amount: int,
        currency: str,
        shares: Sequence[SplitShare],
        transaction_id: str | None = None,
        order_reference: str | None = None,
        description: str | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> SplitRequest:
        """Split an amount among payment beneficiaries (``POST /v1/split-requests``).

        With the id of a charged ``transaction_id`` the split is applied at once and credits
        the beneficiaries' balances (status ``completed``); otherwise it waits (``pending``).

        Args:
            amount: The amount to split, in minor units (5000 = 50.00 KZT); positive.
            currency: An ISO 4217 code such as ``"KZT"``.
            shares: One ``SplitShare`` per beneficiary: a fixed ``amount`` in minor units or a
                ``percentage``; together at most the whole amount (checked before sending).
            transaction_id: A charged transaction to apply the split to.
            idempotency_key: Generated when None, and reused on every retry.
            options: This call's retry policy and timeouts (seconds).

        The other keywords are the ``CreateSplitRequest`` fields of the same names.

        Returns:
            The split request: ``id`` (``spl_...``), ``status``, each share's ``amount``.

        Raises:
            InvalidRequestError: An argument is missing, of the wrong type, unknown (the
                message names the closest parameter) or invalid (no shares, two for one
                beneficiary, more than the amount); nothing was sent.
            AuthenticationError: The API key was refused (401).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: An unknown or inactive beneficiary, a currency other
                than the transaction's (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it:
                the beneficiaries may have been credited. Call again with
                ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                split = await plexy.split_requests.create(
                    amount=1000000, currency="KZT", transaction_id="txn_123",  # 10,000.00
                    shares=[SplitShare(beneficiary_id="ben_1", amount=250000),
                            SplitShare(beneficiary_id="ben_2", percentage=10)],
                )
        """
        # generated: CreateSplitRequest arguments (_signatures.py)
        body = build_from(
            CreateSplitRequest, self.create, unexpected, options,
            amount, currency, shares, transaction_id, order_reference, description,
        )  # fmt: skip
        # end generated
        return await self._call(
            "split_requests.create",
            SplitRequest,
            body=body,
            idempotency_key=idempotency_key,
            options=options,
        )

    def list(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Paginator[SplitRequest]:
        """Every split request, oldest first (``GET /v1/split-requests?page=&size=``), fetched
        one page at a time as you iterate.

        Args:
            page_size: Split requests per request, 1 to 500.
            options: Each page's retry policy and timeouts (seconds).

        Returns:
            A ``Paginator``: ``async for split in ...`` walks every page;
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

                async for split in plexy.split_requests.list():
                    print(split.id, split.status)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.list, unexpected, page_size, options)
        # end generated
        return paginate(self, "split_requests.list", SplitRequest, page_size=page_size,
                        options=options)  # fmt: skip

    async def retrieve(
        self,
        split_id: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> SplitRequest:
        """One split request (``GET /v1/split-requests/{split_id}``).

        Args:
            split_id: The split request (``spl_...``).
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The split request, its amounts in minor units.

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such split request, or a deleted one (404).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                split = await plexy.split_requests.retrieve("spl_123")
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.retrieve, unexpected, split_id, options)
        # end generated
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
        # generated: UpdateSplitRequest fields (_signatures.py)
        shares: Sequence[SplitShare] | None = None,
        order_reference: str | None = None,
        description: str | None = None,
        # end generated
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> SplitRequest:
        """Change a pending split request (``PUT /v1/split-requests/{split_id}``): give at
        least one of the keywords.

        Args:
            split_id: The split request (``spl_...``).
            shares: The new shares (each a fixed ``amount`` in minor units or a
                ``percentage``); they replace the old ones.
            order_reference: A new order reference.
            description: A new description.
            idempotency_key: Generated when None, and reused on every retry.
            options: This call's retry policy and timeouts (seconds).

        Returns:
            The updated split request.

        Raises:
            InvalidRequestError: Nothing to change, or an argument of the wrong type, unknown
                (the message names the closest parameter) or invalid; nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such split request (404).
            ConflictError: The idempotency key was used with other parameters, or its first
                request is still in flight (409).
            UnprocessableEntityError: The split is completed, or the shares claim more than
                its amount (422).
            OutcomeUnknownError: The request may have reached Plexy and no answer settled it.
                Call again with ``error.idempotency_key``.
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before the request could have arrived.

        Example:
            ::

                split = await plexy.split_requests.update("spl_123", description="order 7")
        """
        # generated: UpdateSplitRequest arguments (_signatures.py)
        body = build_from(
            UpdateSplitRequest, self.update, unexpected, options,
            shares, order_reference, description,
        )  # fmt: skip
        # end generated
        return await self._call(
            "split_requests.update",
            SplitRequest,
            body=body,
            path_params={"split_id": split_id},
            idempotency_key=idempotency_key,
            options=options,
        )

    async def delete(
        self,
        split_id: str,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> None:
        """Delete a pending split request (``DELETE /v1/split-requests/{split_id}``); it then
        retrieves as 404. Any response body is ignored.

        Args:
            split_id: The split request (``spl_...``).
            options: This call's retry policy and timeouts (seconds).

        Raises:
            InvalidRequestError: An argument is of the wrong type, empty or unknown (the
                message names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            NotFoundError: No such split request (404).
            UnprocessableEntityError: The split is completed (422).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                await plexy.split_requests.delete("spl_123")
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.delete, unexpected, split_id, options)
        # end generated
        await self._client.request(
            route("split_requests.delete"),
            None,
            path_params={"split_id": split_id},
            options=options,
        )
