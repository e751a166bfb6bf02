"""Lazy pagination over the Pay API's ``{data, page, size, total}`` lists."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

import attrs

from plexy_async.errors import InvalidRequestError
from plexy_async.models.common import APIResponse

T = TypeVar("T")

FIRST_PAGE = 1  # inferred: the Pay API's page numbers start at 1
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@attrs.frozen(kw_only=True)
class Page(APIResponse, Generic[T]):
    """One page of a list: ``data`` holds at most ``size`` items out of ``total``."""

    data: list[T] = attrs.field(factory=list)
    page: int = FIRST_PAGE
    size: int = 0
    total: int = 0

    @property
    def has_more(self) -> bool:
        return bool(self.data) and (self.page - FIRST_PAGE + 1) * self.size < self.total


FetchPage = Callable[[int, int], Awaitable[Page[T]]]


class Paginator(Generic[T]):
    """``async for item in paginator`` walks every page lazily, one request per page.

    Only one page is held in memory at a time; iteration stops after the last page, or at the
    first empty page. ``await paginator.page(n)`` fetches a single page.
    """

    def __init__(self, fetch: FetchPage[T], *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidRequestError(f"page_size must be 1 to {MAX_PAGE_SIZE}, got {page_size}")
        self._fetch = fetch
        self.page_size = page_size
        self.pages_fetched = 0

    async def page(self, number: int = FIRST_PAGE) -> Page[T]:
        """Page ``number`` (the first is 1), one request.

        Raises:
            InvalidRequestError: ``number`` is not an int of at least 1; nothing is sent.
        """
        whole = isinstance(number, int) and not isinstance(number, bool)
        if not whole or number < FIRST_PAGE:
            got = int(number) if whole else type(number).__name__
            raise InvalidRequestError(
                f"page number must be an int of at least {FIRST_PAGE}, got {got}"
            )
        self.pages_fetched += 1
        return await self._fetch(number, self.page_size)

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncIterator[T]:
        number = FIRST_PAGE
        while True:
            current = await self.page(number)
            for item in current.data:
                yield item
            if not current.has_more:
                return
            number += 1
