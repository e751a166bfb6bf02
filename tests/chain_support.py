"""Shared by the error-safety tests: the error-chain walker, a raw fault server, a pool worker.

``assert_clean(error, ...)`` walks everything reachable from a library error (``__cause__``,
``__context__``, ``args``, ``vars()``, and what those hold, recursively) and fails on any
exception that is not a ``PlexyError``, any aiohttp/asyncio/json/multidict/yarl object, and any
API key, full card number, CVC or proxy password in the ``str`` or ``repr`` of anything found.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Any, cast

import attrs

from plexy_async import Amount, CardDetails, PlexyClient, RetryPolicy, errors
from plexy_async.models.direct_payments import CardData

API_KEY = "sk_test_CHAINKEY_5f0c1e9d2b7a4c3e"
CARD = "4242424242424242"
CVC = "737"
PROXY_PASSWORD = "Pr0xyPassw0rd_9d1e"
FOREIGN_MODULES = ("aiohttp", "asyncio", "json", "multidict", "yarl", "cattrs", "concurrent")
_JOINED_DIGITS = re.compile(r"(?<=[0-9])[ \-](?=[0-9])")


def card_payment(client: PlexyClient, reference: str, **kwargs: Any) -> Any:
    """A Checkout card payment carrying the card number and CVC (``x-api-key`` surface)."""
    return client.payments.create(
        amount=Amount(10000, "KZT"),
        reference=reference,
        merchant_account="TestMerchant",
        payment_method=CardDetails(
            number=CARD, cvc=CVC, expiry_month="03", expiry_year="2030", holder_name="A. B"
        ),
        **kwargs,
    )


def direct_payment(client: PlexyClient, **kwargs: Any) -> Any:
    """A Pay API direct card payment carrying the card number and CVC (``Authorization``)."""
    card = CardData(number=CARD, expiry_month="03", expiry_year="2030", cvc=CVC)
    return client.direct_payments.create(amount=1500, currency="KZT", card=card, **kwargs)


def walk(root: BaseException) -> Iterator[tuple[str, object]]:
    """``(path, object)`` for everything reachable from ``root`` through the exception chain,
    ``args`` and attributes, recursively (each object once)."""
    seen: set[int] = set()
    stack: list[tuple[str, object]] = [("error", root)]
    while stack:
        path, obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield path, obj
        stack.extend(_children(path, obj))


def _children(path: str, obj: object) -> Iterable[tuple[str, object]]:
    if isinstance(obj, BaseException):
        yield f"{path}.__cause__", obj.__cause__
        yield f"{path}.__context__", obj.__context__
        for index, arg in enumerate(obj.args):
            yield f"{path}.args[{index}]", arg
        for name, value in vars(obj).items():
            yield f"{path}.{name}", value
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield f"{path}[key {key!r}]", key
            yield f"{path}[{key!r}]", value
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for index, value in enumerate(obj):
            yield f"{path}[{index}]", value
    elif attrs.has(type(obj)):
        for field in attrs.fields(cast(Any, type(obj))):
            yield f"{path}.{field.name}", getattr(obj, field.name)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        yield from ((f"{path}.{k}", v) for k, v in vars(obj).items())


def secret_problems(text: str, *, extra_secrets: Iterable[str] = ()) -> list[str]:
    """What secret ``text`` shows: the API key, the card number (also spaced or dashed), the
    CVC as a value of its own, the proxy password."""
    problems = []
    for secret in (API_KEY, "CHAINKEY", PROXY_PASSWORD, *extra_secrets):
        if secret in text:
            problems.append(f"secret {secret[:6]}...")
    if CARD in _JOINED_DIGITS.sub("", text):
        problems.append("the full card number")
    if re.search(rf"(?<![\w.\-*]){CVC}(?![\w.\-*])", text):
        problems.append("the CVC")
    return problems


def assert_clean(error: BaseException, *, extra_secrets: Iterable[str] = ()) -> int:
    """Walk ``error`` (see the module docstring); returns how many objects were checked."""
    assert isinstance(error, errors.PlexyError), f"not a library error: {type(error)!r}"
    count = 0
    for path, obj in walk(error):
        count += 1
        if obj is None:
            continue
        if isinstance(obj, BaseException):
            assert isinstance(obj, errors.PlexyError), f"{path} is a foreign exception: {obj!r}"
        module = type(obj).__module__.split(".")[0]
        assert module not in FOREIGN_MODULES, f"{path} is a {type(obj)!r}"
        for text in (str(obj), repr(obj)):
            problems = secret_problems(text, extra_secrets=extra_secrets)
            assert not problems, f"{path} shows {problems}: {text[:300]!r}"
    return count


# --- a raw fault server -------------------------------------------------------------------------


@attrs.define
class RawServer:
    """A TCP server on 127.0.0.1 that answers every request with ``answer(request_head)``
    (raw bytes, anything at all) and closes; ``requests`` is its ledger of request heads."""

    answer: Callable[[bytes], bytes]
    requests: list[bytes] = attrs.field(factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            body = await reader.readexactly(int(length[1])) if length else b""
            self.requests.append(head + body)
            writer.write(self.answer(head + body))
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def raw_server(answer: bytes | Callable[[bytes], bytes]) -> AsyncIterator[RawServer]:
    server = RawServer(answer if callable(answer) else (lambda _: answer))
    listener = await asyncio.start_server(server._handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()
        await listener.wait_closed()


# --- a process-pool worker (importable by a spawned child) --------------------------------------


def payment_in_worker(url: str, api_key: str, idempotency_key: str) -> None:
    """Run in a child process: one card payment to the mock at ``url``, no retries (the parent
    scripts the mock's answer, such as a 402)."""

    async def run() -> None:
        async with PlexyClient(
            api_key=api_key, base_url=url, retry=RetryPolicy.disabled()
        ) as client:
            await card_payment(client, "paid-in-worker", idempotency_key=idempotency_key)

    asyncio.run(run())
