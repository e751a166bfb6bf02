"""The shared base of every service: request building and the call into the client."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

from plexy_async._core.config import RequestOptions
from plexy_async._core.pagination import Page, Paginator
from plexy_async._core.requester import Requester
from plexy_async._core.routes import route
from plexy_async.errors import InvalidRequestError

T = TypeVar("T")
R = TypeVar("R")


class Service:
    """A resource's operations. Holds no HTTP or retry logic: that is the client's."""

    def __init__(self, client: Requester) -> None:
        self._client = client

    def _call(
        self,
        name: str,
        response_type: type[T],
        *,
        body: Any = None,
        path_params: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> Coroutine[Any, Any, T]:
        # A plain function handing back the client's coroutine: one frame less per call.
        return self._client.request(
            route(name),
            response_type,
            body=body,
            path_params=path_params,
            query=query,
            idempotency_key=idempotency_key,
            options=options,
        )


def build(cls: type[R], **fields: Any) -> R:
    """An attrs request object, or a clear error naming the bad argument; nothing is sent."""
    try:
        return cls(**fields)
    except (TypeError, ValueError) as exc:
        problem = str(exc)
    # Raised past the handler: the validator's exception (it may hold card data) is not kept.
    raise InvalidRequestError(f"{cls.__name__}: {problem}")


def paginate(
    service: Service,
    name: str,
    item_type: type[T],
    *,
    page_size: int,
    path_params: dict[str, str] | None = None,
    query: dict[str, Any] | None = None,
    options: RequestOptions | None = None,
) -> Paginator[T]:
    """A lazy iterator over every item of a paginated list operation."""

    async def fetch(page: int, size: int) -> Page[T]:
        return await service._call(
            name,
            Page[item_type],  # type: ignore[valid-type]
            path_params=path_params,
            query={**(query or {}), "page": page, "size": size},
            options=options,
        )

    return Paginator(fetch, page_size=page_size)
