"""What every Pay API mock module shares: state, errors in the Pay API shape, JSON helpers.

Records are kept as wire-format dicts (camelCase), exactly as the real API would send them.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Final

import attrs
from aiohttp import web

from plexy_async._core.routes import route

from .._error_bodies import json_response, pay_error
from .._ledger import State

Record = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@attrs.define
class PayState:
    """In-memory Pay API state shared by the mock's Pay API modules."""

    shared: State
    links: dict[str, Record] = attrs.field(factory=dict)
    transactions: dict[str, Record] = attrs.field(factory=dict)
    history: dict[str, list[Record]] = attrs.field(factory=dict)
    customers: dict[str, Record] = attrs.field(factory=dict)
    card_tokens: dict[str, list[Record]] = attrs.field(factory=dict)
    payouts: dict[str, Record] = attrs.field(factory=dict)
    splits: dict[str, Record] = attrs.field(factory=dict)
    settlement_orders: dict[str, Record] = attrs.field(factory=dict)
    beneficiaries: dict[str, Record] = attrs.field(factory=dict)
    merchant: Record = attrs.field(factory=dict)


class PayError(Exception):
    """Raised by a handler to answer in the Pay API error shape."""

    def __init__(self, status: int, message: str | None = None, source: str = "api") -> None:
        super().__init__(message or str(status))
        self.status = status
        self.message = message
        self.source = source


def add(router: web.UrlDispatcher, name: str, handler: Handler) -> None:
    """Register ``handler`` at the method and path of route ``name`` (from the routes table)."""
    spec = route(name)

    async def answer(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except PayError as exc:
            body = pay_error(exc.status, message=exc.message, source=exc.source)
            return json_response(body, exc.status)

    router.add_route(spec.method, spec.full_path, answer)


async def read_object(request: web.Request) -> Record:
    """The JSON object body, or a 400 in the Pay API shape."""
    try:
        body = await request.json()
    except ValueError:
        raise PayError(400, "invalid request params: body is not JSON", "body") from None
    if not isinstance(body, dict):
        raise PayError(400, "invalid request params: body must be an object", "body")
    return body


def need(body: Record, name: str, kind: type | tuple[type, ...] = str) -> Any:
    """A required field of ``kind``, or a 400 naming it."""
    value = body.get(name)
    wrong_bool = isinstance(value, bool) and kind is not bool  # bool is an int to isinstance
    if value is None or wrong_bool or not isinstance(value, kind):
        raise PayError(400, f"invalid request params: {name} is required", name)
    return value


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


DEFAULT_SIZE: Final = 20
MAX_SIZE: Final = 500


def page_of(records: list[Record], request: web.Request) -> Record:
    """``{data, page, size, total}`` for the ``page`` (from 1) and ``size`` query parameters."""
    try:
        page = int(request.query.get("page", "1"))
        size = int(request.query.get("size", str(DEFAULT_SIZE)))
    except ValueError:
        raise PayError(400, "invalid request params: page and size are integers", "query") from None
    if page < 1 or not 1 <= size <= MAX_SIZE:
        raise PayError(400, "invalid request params: page >= 1, 1 <= size <= 500", "query")
    start = (page - 1) * size
    return {
        "data": records[start : start + size],
        "page": page,
        "size": size,
        "total": len(records),
    }


def ok(data: Any, status: int = 200) -> web.Response:
    return json_response(data, status)


def found(records: dict[str, Record], key: str, what: str) -> Record:
    record = records.get(key)
    if record is None:
        raise PayError(404, f"{what} not found", what)
    return record
