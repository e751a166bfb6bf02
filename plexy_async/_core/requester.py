"""What a service needs from the client: something that can send one API call.

The services in ``plexy_async.resources`` depend on this protocol, not on ``PlexyClient``, so the
client can import the services without the two importing each other.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any, Protocol, TypeVar, overload

from plexy_async._core.config import RequestOptions
from plexy_async._core.routes import Route

T = TypeVar("T")


class Requester(Protocol):
    """Sends one call with retries and structures the answer (``PlexyClient.request``).

    ``response_type=None`` ignores the answer's body and returns None.
    """

    @overload
    def request(
        self,
        route: Route,
        response_type: type[T],
        *,
        body: Any = None,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, str | int | bool | None] | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> Coroutine[Any, Any, T]: ...

    @overload
    def request(
        self,
        route: Route,
        response_type: None,
        *,
        body: Any = None,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, str | int | bool | None] | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> Coroutine[Any, Any, None]: ...
