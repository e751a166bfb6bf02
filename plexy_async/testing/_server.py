"""``MockPlexy``: the aiohttp.web app, its middleware pipeline and its lifecycle.

Every request passes, outermost first::

    record       request id, RequestRecord in the ledger, in-flight counting
    faults       the scripted fault for this route, if any (may answer, drop or truncate)
    surface      auth and unknown routes, in the surface's own error shape (/v2 or /v1)
    idempotency  replay / 409 / store the handler's 2xx response per (key, method, path)
    delay        a ``Fault.delay`` waits here, after the idempotency key is claimed
    handler      the surface module's handler (``_checkout``; later ``_pay``)

A surface module adds its routes with ``register(mock.app.router, mock.state)``. The mock's own
routes (``/_mock/ledger``, ``/_mock/payments/{pspReference}/redirect-result``: ``_admin``) pass
through unrecorded and check the API key themselves.
"""

from __future__ import annotations

import asyncio
import hmac
import random
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Final

import attrs
import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from . import _admin, _checkout, _pay
from ._error_bodies import checkout_error, json_response, pay_error
from ._fault_spec import MONEY_ROUTES, FaultSpec, parse_fault_spec
from ._faults import Dropped, FaultScript, answer, drop, garble, truncate
from ._ledger import (
    REQUEST_ID,
    Claim,
    IdempotencyStore,
    RequestRecord,
    State,
    StoredResponse,
    new_psp_reference,
    new_request_id,
)
from ._limits import MockLimits
from ._webhook_sender import WebhookDelivery, WebhookScheme, send_webhook

# ErrorBuilder(status, code, message, request_id, type) -> the surface's error response
ErrorBuilder = Callable[[int, str, str, str, str], web.Response]


def _checkout_error(
    status: int, code: str, message: str, request_id: str, type_: str
) -> web.Response:
    body = checkout_error(type=type_, code=code, message=message, request_id=request_id)
    return json_response(body, status)


def _pay_error(status: int, code: str, message: str, request_id: str, type_: str) -> web.Response:
    if status in (401, 404, 405):  # the documented fixed messages: "unauthorized", "not found"
        body = pay_error(status, source="auth" if status == 401 else "router")
    else:
        body = pay_error(status, message=message)
    return json_response(body, status)


@attrs.frozen
class Surface:
    """One API surface: its path prefix, how it authenticates and how it shapes errors."""

    prefix: str
    auth_header: str
    error: ErrorBuilder

    def authorised(self, request: web.BaseRequest, api_key: str) -> bool:
        given = request.headers.get(self.auth_header)
        return given is not None and hmac.compare_digest(given.encode(), api_key.encode())


SURFACES: Final = (
    Surface("/v2", "x-api-key", _checkout_error),
    Surface("/v1", "Authorization", _pay_error),
)

_RECORD: Final = web.RequestKey("plexy_mock_record", RequestRecord)
_SURFACE: Final = web.RequestKey("plexy_mock_surface", Surface)
_DELAY: Final = web.RequestKey("plexy_mock_delay", float)
_MAX_KEY_LENGTH: Final = 255


def surface_for(path: str) -> Surface | None:
    for surface in SURFACES:
        if path == surface.prefix or path.startswith(surface.prefix + "/"):
            return surface
    return None


class _Pipeline:
    """The middlewares, sharing the mock's state."""

    def __init__(self, mock: MockPlexy) -> None:
        self._mock = mock

    @web.middleware
    async def record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(_admin.PREFIX):
            return await handler(request)
        ledger = self._mock.ledger
        request_id = new_request_id()
        request[REQUEST_ID] = request_id
        record = RequestRecord(
            request.method,
            request.path,
            request.headers.get("Idempotency-Key"),
            time.monotonic(),
            request_id=request_id,
        )
        request[_RECORD] = record
        ledger.begin(record)
        try:
            response: web.StreamResponse = await handler(request)
            record.status = None if isinstance(response, Dropped) else response.status
            return response
        finally:
            ledger.end(record, time.monotonic())

    @web.middleware
    async def faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if _RECORD not in request:  # the mock's own routes: no faults
            return await handler(request)
        resource = request.match_info.route.resource
        pattern = resource.canonical if resource is not None else None
        fault = self._mock.faults.take(request.method, request.path, pattern)
        if fault is None:
            return await handler(request)
        request[_RECORD].fault = fault.name
        self._mock.ledger.count_fault(fault.label)
        if fault.kind == "drop_before":
            return await drop(request)
        if not fault.processes:
            return answer(fault, request[REQUEST_ID], new_psp_reference())
        if fault.kind == "delay":
            request[_DELAY] = fault.seconds
            return await handler(request)
        response: web.StreamResponse = await handler(request)
        if fault.kind == "drop_after_commit":
            return await drop(request)
        if fault.kind == "garbled_after_commit":
            return garble(response)
        return await truncate(request, response)  # "truncated"

    @web.middleware
    async def surface(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        surface = surface_for(request.path)
        if surface is None:
            return await handler(request)
        request_id = request[REQUEST_ID]
        if not surface.authorised(request, self._mock.api_key):
            message = f"Missing or invalid API key in the {surface.auth_header} header"
            return surface.error(
                401, "api_key_invalid", message, request_id, "authentication_error"
            )
        http_exception = request.match_info.http_exception
        if http_exception is not None:
            status = http_exception.status
            code = "method_not_allowed" if status == 405 else "resource_missing"
            message = f"{http_exception.reason}: {request.method} {request.path}"
            return surface.error(status, code, message, request_id, "invalid_request_error")
        request[_SURFACE] = surface
        return await handler(request)

    @web.middleware
    async def idempotency(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        surface: Surface | None = request.get(_SURFACE)
        if key is None or request.method != "POST" or surface is None:
            return await handler(request)
        request_id = request[REQUEST_ID]
        if not key or len(key) > _MAX_KEY_LENGTH:
            message = f"Idempotency-Key must be 1 to {_MAX_KEY_LENGTH} characters"
            return surface.error(
                400, "parameter_invalid", message, request_id, "invalid_request_error"
            )
        raw = await request.read()
        try:  # the same JSON object, however spaced or ordered, is the same request
            fingerprint: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            fingerprint = raw
        store = self._mock.idempotency
        scope = (key, request.method, request.path)
        claim, stored = store.claim(scope, fingerprint)
        if claim is Claim.REPLAY:
            assert stored is not None
            request[_RECORD].replayed = True
            self._mock.ledger.replays += 1
            replay = web.Response(
                status=stored.status, body=stored.body, headers={"Idempotent-Replayed": "true"}
            )
            if stored.content_type:
                replay.content_type = stored.content_type
            return replay
        if claim is Claim.IN_USE:
            message = "This Idempotency-Key was already used with different parameters"
            return surface.error(
                409, "idempotency_key_in_use", message, request_id, "idempotency_error"
            )
        if claim is Claim.IN_FLIGHT:
            message = "A request with this Idempotency-Key is still being processed"
            return surface.error(
                409, "idempotency_key_in_flight", message, request_id, "idempotency_error"
            )
        try:
            response: web.StreamResponse = await handler(request)
        except BaseException:
            store.release(scope)
            raise
        body = response.body if isinstance(response, web.Response) else None
        if 200 <= response.status < 300 and isinstance(body, bytes):
            store.store(scope, StoredResponse(response.status, body, response.content_type))
        else:
            store.release(scope)  # errors are not stored: the key stays usable (as Stripe does)
        return response

    @web.middleware
    async def delay(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        seconds = request.get(_DELAY)
        if seconds:
            try:
                async with asyncio.timeout(seconds):
                    await self._mock._closing.wait()
            except TimeoutError:
                pass
            else:  # the server is closing: give up on the request
                return await drop(request)
        return await handler(request)


async def _add_request_id(request: web.BaseRequest, response: web.StreamResponse) -> None:
    request_id = request.get(REQUEST_ID)
    if request_id is not None:
        response.headers["X-Request-Id"] = request_id


class MockPlexy:
    """A local Plexy API (Checkout ``/v2``, Pay API ``/v1``) with a ledger and fault injection.

    The mock checks the API key, answers errors in each surface's own shape, stores idempotent
    responses per ``(key, method, path)`` as Plexy does (replay, or 409 for a key reused with
    another body or still in flight), and decides outcomes by test card (see Test cards).

    Args:
        api_key: The key the mock accepts, on both surfaces (and on its ``/_mock/`` routes).
        host: The address to listen on (loopback by default).
        port: The port; 0 picks a free one (read it from ``url`` once started).
        limits: Bounds on what it remembers (idempotency records, charges, requests, stored
            payments); the default keeps everything. ``MockLimits.for_cli()`` is what
            ``plexy-async mock`` runs with.

    Attributes:
        api_key: The key the mock accepts.
        ledger: Charges committed and requests received (``Ledger``).
        faults: The fault script (``FaultScript``): ``mock.faults.add(...)``.
        idempotency: The stored idempotent responses (``IdempotencyStore``).
        limits: The ``MockLimits`` it runs with.
        app: The ``aiohttp.web.Application``, to add routes of your own.

    Example:
        ::

            async with MockPlexy() as mock:
                client = PlexyClient(api_key=mock.api_key, base_url=mock.url)
                mock.faults.add("POST", "/v2/payments", Fault.status(503), times=2)
                ...
                assert len(mock.ledger.charges) == 1
    """

    def __init__(
        self,
        api_key: str = "sk_test_mock",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: MockLimits | None = None,
    ) -> None:
        self.api_key = api_key
        self.host = host
        self.port = port
        self.limits = limits or MockLimits()
        self.state = State(api_key, limits=self.limits)
        self.ledger = self.state.ledger
        self.ledger.max_charges = self.limits.max_charges
        self.ledger.max_requests = self.limits.max_requests
        self.faults = FaultScript()
        self.idempotency = IdempotencyStore(
            ttl=self.limits.idempotency_ttl, max_records=self.limits.max_idempotency_records
        )
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        pipeline = _Pipeline(self)
        self.app = web.Application(
            middlewares=[
                pipeline.record,
                pipeline.faults,
                pipeline.surface,
                pipeline.idempotency,
                pipeline.delay,
            ]
        )
        self.app.on_response_prepare.append(_add_request_id)
        self.checkout = _checkout.register(self.app.router, self.state)
        self.pay = _pay.register(self.app.router, self.state)
        _admin.register(
            self.app.router,
            lambda: self.api_key,
            self.ledger,
            lambda: self.idempotency,
            self.checkout,
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the client's base URL (surfaces live at /v2 and /v1)."""
        if self._url is None:
            raise RuntimeError("MockPlexy is not started")
        return self._url

    async def start(self) -> MockPlexy:
        """Listen on ``host:port``; ``async with MockPlexy()`` calls it for you.

        Returns:
            The mock itself, started.

        Raises:
            RuntimeError: It is already started.
            OSError: The address cannot be listened on (a port in use, say).
        """
        if self._runner is not None:
            raise RuntimeError("MockPlexy is already started")
        self._closing = asyncio.Event()
        runner = web.AppRunner(
            self.app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.port = port
        self._url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        self.state.base_url = self._url
        return self

    async def close(self) -> None:
        """Stop the server: delayed requests end (their connections drop), sockets close."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing.set()
        await runner.cleanup()

    async def __aenter__(self) -> MockPlexy:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def reset(self) -> None:
        """Forget charges, requests, pending faults and stored idempotent responses."""
        self.ledger.reset()
        self.faults.clear()
        self.idempotency.clear()

    def add_fault_spec(
        self,
        spec: str | FaultSpec,
        *,
        routes: Iterable[tuple[str, str]] | None = None,
        rng: random.Random | None = None,
    ) -> FaultSpec:
        """Inject a fault written as ``plexy-async mock --fault`` takes it, e.g. ``"503:3"``.

        Args:
            spec: ``KIND[=VALUE][:COUNT|RATE]`` (see ``plexy_async.testing._fault_spec``), or
                a parsed ``FaultSpec``.
            routes: ``(METHOD, PATH)`` pairs it hits; default the money-moving POSTs
                (``MONEY_ROUTES``: payments, payment details, sessions, capture, cancel,
                refund, recurring and direct payments, payouts).
            rng: The random source for a RATE (seed it to replay a run).

        Returns:
            The parsed spec.

        Raises:
            ValueError: A spec that does not parse (the message names the valid kinds).

        Example:
            ::

                mock.add_fault_spec("503:3")  # the next 3 money-moving POSTs answer 503
                mock.add_fault_spec("delay=0.2:0.1", rng=random.Random(7))
        """
        parsed = parse_fault_spec(spec) if isinstance(spec, str) else spec
        self.faults.add_standing(
            parsed.fault_for,
            MONEY_ROUTES if routes is None else routes,
            times=parsed.count,
            rate=parsed.rate,
            rng=rng,
        )
        return parsed

    def redirect_result_for(self, psp_reference: str) -> str:
        """The ``redirectResult`` token that completes the 3-D Secure payment ``psp_reference``.

        Out of process: ``GET /_mock/payments/{psp_reference}/redirect-result`` with the API key.

        Raises:
            KeyError: No 3-D Secure payment ``psp_reference``.
        """
        return self.checkout.redirect_result_for(psp_reference)

    def complete_session(self, session_id: str, card: str = "4242424242424242") -> str:
        """Pay a checkout session as the shopper would; returns the payment's pspReference."""
        return self.checkout.complete_session(session_id, card)

    def pay_link(self, link_id: str, card: str = "4242424242424242", cvc: str = "123") -> str:
        """Pay a Pay API payment link as the shopper would; returns the transaction id (``txn_``).

        ``autoClearing`` false gives an ``authorized`` transaction, else ``charged``; a declining
        test card gives a ``rejected`` one and leaves the link active.
        """
        return _pay.pay_link(self.pay, link_id, card, cvc)

    async def send_webhook(
        self,
        url: str,
        event: Mapping[str, Any] | bytes,
        *,
        scheme: WebhookScheme = "checkout",
        secret: str,
        timestamp: int | None = None,
        sign: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> WebhookDelivery:
        """Sign ``event`` as Plexy would for ``scheme`` and POST it to ``url`` (see
        ``plexy_async.testing.send_webhook``); returns the receiver's answer."""
        return await send_webhook(
            url,
            event,
            scheme=scheme,
            secret=secret,
            timestamp=timestamp,
            sign=sign,
            headers=headers,
        )
