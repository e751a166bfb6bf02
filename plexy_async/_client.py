"""PlexyClient: configuration, the session pool, services, and the one request path."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterable, Mapping
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar, overload
from urllib.parse import quote

import aiohttp
from yarl import URL

from plexy_async._core import protocol as _protocol
from plexy_async._core.config import (
    ClientConfig,
    Environment,
    PoolLimits,
    ProxyURL,
    RequestOptions,
    RetryPolicy,
    Timeouts,
    TLSSetting,
)
from plexy_async._core.converter import dumps, loads, structure
from plexy_async._core.retry import Call, retry_on_status, unreadable_success
from plexy_async._core.routes import Route, Surface
from plexy_async._core.transport import RawResponse, SessionPool, client_timeout, origin_of, send
from plexy_async.errors import (
    APIConnectionError,
    APIStatusError,
    ClientClosedError,
    ConfigurationError,
    InsecureTLSWarning,
    InvalidRequestError,
    OutcomeUnknownError,
    PlexyError,
    ResponseDecodeError,
    ResponseError,
    ResponseValidationError,
    UnreadableOutcomeError,
    UnusableOutcomeError,
    _CallContext,
)
from plexy_async.models.common import APIResponse

if TYPE_CHECKING:
    from types import TracebackType

    from plexy_async.resources.beneficiaries import BeneficiariesService
    from plexy_async.resources.checkout import (
        PaymentMethodsService,
        PaymentsService,
        SessionsService,
    )
    from plexy_async.resources.customers import CustomersService
    from plexy_async.resources.direct_payments import DirectPaymentsService
    from plexy_async.resources.merchant import MerchantService
    from plexy_async.resources.payment_links import PaymentLinksService
    from plexy_async.resources.payouts import PayoutsService
    from plexy_async.resources.recurring import RecurringService
    from plexy_async.resources.settlement_orders import SettlementOrdersService
    from plexy_async.resources.split_requests import SplitRequestsService
    from plexy_async.resources.transactions import TransactionsService

_log = logging.getLogger("plexy_async")
T = TypeVar("T")


class PlexyClient:
    """The asyncio client for both Plexy API surfaces (Checkout v2 and Pay API v1).

    Each service is an attribute (``plexy.payments``, ``plexy.payment_links``, ...): see the
    Services page. Every call goes through one request path: an ``Idempotency-Key`` fixed
    before the first attempt and reused on every retry, retries per ``RetryPolicy``, timeouts
    per ``Timeouts``, and a typed error for every failure.

    Configuration comes from keyword arguments, then ``PLEXY_API_KEY``, ``PLEXY_BASE_URL`` and
    ``PLEXY_ENVIRONMENT`` (live or sandbox). Pass ``session=`` to use your own
    ``aiohttp.ClientSession``: it is used as is and never closed by the client.

    One client per process: it follows the running event loop. Create it anywhere (no loop is
    needed) and use it from consecutive ``asyncio.run()`` calls, or from loops in several
    threads at once: each loop gets connections of its own, closed when that loop shuts down.
    A borrowed ``session=`` works only in its own loop (``ConfigurationError`` elsewhere).

    Args:
        api_key: The secret API key; default ``$PLEXY_API_KEY``. Never shown by ``repr()``, in
            an error or a log line.
        base_url: The API's origin, such as ``https://api.plexypay.com``; default
            ``$PLEXY_BASE_URL``, else the environment's. ``http://`` only for localhost.
        environment: ``"live"`` (the default) or ``"sandbox"``, or ``$PLEXY_ENVIRONMENT``.
        retry: When and how often to retry (default ``RetryPolicy()``: 3 attempts).
        timeouts: Connect, read, per-attempt and whole-call limits, in seconds.
        pool: Connection pool sizes and the response size cap (bytes).
        ssl: None or True (the system's CAs), a CA bundle path, an ``ssl.SSLContext``, or False
            (no verification: warns ``InsecureTLSWarning``).
        proxy: An ``http://`` or ``https://`` forward proxy, ``user:password@`` allowed.
        trust_env: Without ``proxy``, take the proxy from ``HTTPS_PROXY`` / ``NO_PROXY``.
        session: Your own ``aiohttp.ClientSession``; excludes ``ssl``, ``proxy`` and
            ``trust_env`` (set those on your session).
        trace_configs: ``aiohttp.TraceConfig`` hooks for the client's own sessions.
        config: A ready ``ClientConfig``; when given, ``api_key`` to ``trust_env`` are ignored.

    Raises:
        ConfigurationError: No API key, a bad base URL, environment, ``ssl`` or ``proxy``
            value, or ``session=`` together with ``ssl``, ``proxy`` or ``trust_env``.

    Example:
        ::

            async with PlexyClient(api_key="...", environment="sandbox") as plexy:
                payment = await plexy.payments.create(
                    amount=Amount(10000, "KZT"),  # minor units: 100.00 KZT
                    reference="order-1",
                    merchant_account="YOUR_MERCHANT_ACCOUNT",
                    payment_method=CardDetails(number="4242424242424242", cvc="737"),
                )
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        environment: Environment | str | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        pool: PoolLimits | None = None,
        ssl: TLSSetting = None,
        proxy: str | ProxyURL | None = None,
        trust_env: bool = False,
        session: aiohttp.ClientSession | None = None,
        trace_configs: Iterable[aiohttp.TraceConfig] = (),
        config: ClientConfig | None = None,
    ) -> None:
        self.config = config or ClientConfig.resolve(
            api_key=api_key,
            base_url=base_url,
            environment=environment,
            retry=retry,
            timeouts=timeouts,
            pool=pool,
            ssl=ssl,
            proxy=proxy,
            trust_env=trust_env,
        )
        key = self.config.api_key.reveal()
        common = _protocol.common_headers(self.config.user_agent)
        cfg = self.config
        if session is not None and (cfg.ssl is not None or cfg.proxy is not None or cfg.trust_env):
            raise ConfigurationError(
                "ssl=, proxy= and trust_env= configure the client's own sessions; with session="
                " set them on your aiohttp session (its connector's ssl=, proxy=, trust_env=)"
            )
        insecure = cfg.insecure_tls()
        if insecure is not None:
            warnings.warn(f"{insecure}: use it only in tests", InsecureTLSWarning, stacklevel=2)
        self._pool = SessionPool(
            cfg.pool,
            session=session,
            trace_configs=trace_configs,
            headers=common,
            tls=cfg.tls_context,
            proxy=cfg.effective_proxy(),
        )
        # Per request: the key's header, and the rest only where the session does not add it.
        self._headers = {
            surface: _protocol.auth_header(surface, key) | (common if self._pool.borrowed else {})
            for surface in Surface
        }
        self._origin = origin_of(self.config.base_url)
        self._client_timeout = client_timeout(self.config.timeouts)
        self._max_response_bytes = self.config.pool.max_response_bytes
        self._plans: dict[str, _RoutePlan] = {}
        self._closed = False
        self._send = retry_on_status(self._attempt)

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> PlexyClient:
        self._ensure_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the sessions this client created (never a borrowed one). Safe to call twice.

        Works from any loop, including one other than those the client ran in, and after those
        have closed. Sessions of a loop still running in another thread are closed on that loop
        without being awaited here.
        """
        self._closed = True
        await self._pool.aclose()

    @property
    def closed(self) -> bool:
        """True once ``aclose()`` was called: any further call raises ``ClientClosedError``."""
        return self._closed

    def _ensure_open(self) -> None:
        if self._closed:
            raise ClientClosedError("this PlexyClient is closed; create a new one")

    def __del__(self) -> None:
        # Never any I/O in a finaliser: warn about the leak, as aiohttp itself does.
        pool = getattr(self, "_pool", None)
        if pool is not None and pool.owned_sessions:
            warnings.warn(
                "PlexyClient was not closed: use 'async with' or 'await client.aclose()'",
                ResourceWarning,
                stacklevel=1,
            )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<PlexyClient {self.config.base_url} {self.config.environment.value} {state}>"

    __str__ = __repr__

    # -- services ----------------------------------------------------------------------------

    @cached_property
    def payment_methods(self) -> PaymentMethodsService:
        from plexy_async.resources.checkout import PaymentMethodsService

        return PaymentMethodsService(self)

    @cached_property
    def payments(self) -> PaymentsService:
        from plexy_async.resources.checkout import PaymentsService

        return PaymentsService(self)

    @cached_property
    def sessions(self) -> SessionsService:
        from plexy_async.resources.checkout import SessionsService

        return SessionsService(self)

    # Pay API v1
    @cached_property
    def payment_links(self) -> PaymentLinksService:
        from plexy_async.resources.payment_links import PaymentLinksService

        return PaymentLinksService(self)

    @cached_property
    def transactions(self) -> TransactionsService:
        from plexy_async.resources.transactions import TransactionsService

        return TransactionsService(self)

    @cached_property
    def recurring(self) -> RecurringService:
        from plexy_async.resources.recurring import RecurringService

        return RecurringService(self)

    @cached_property
    def direct_payments(self) -> DirectPaymentsService:
        from plexy_async.resources.direct_payments import DirectPaymentsService

        return DirectPaymentsService(self)

    @cached_property
    def split_requests(self) -> SplitRequestsService:
        from plexy_async.resources.split_requests import SplitRequestsService

        return SplitRequestsService(self)

    @cached_property
    def settlement_orders(self) -> SettlementOrdersService:
        from plexy_async.resources.settlement_orders import SettlementOrdersService

        return SettlementOrdersService(self)

    @cached_property
    def payouts(self) -> PayoutsService:
        from plexy_async.resources.payouts import PayoutsService

        return PayoutsService(self)

    @cached_property
    def customers(self) -> CustomersService:
        from plexy_async.resources.customers import CustomersService

        return CustomersService(self)

    @cached_property
    def beneficiaries(self) -> BeneficiariesService:
        from plexy_async.resources.beneficiaries import BeneficiariesService

        return BeneficiariesService(self)

    @cached_property
    def merchant(self) -> MerchantService:
        from plexy_async.resources.merchant import MerchantService

        return MerchantService(self)

    # -- the request path --------------------------------------------------------------------

    @overload
    async def request(
        self,
        route: Route,
        response_type: type[T],
        *,
        body: Any = None,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, str | int | bool | None] | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> T: ...

    @overload
    async def request(
        self,
        route: Route,
        response_type: None,
        *,
        body: Any = None,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, str | int | bool | None] | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> None: ...

    async def request(
        self,
        route: Route,
        response_type: type[T] | None,
        *,
        body: Any = None,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, str | int | bool | None] | None = None,
        idempotency_key: str | None = None,
        options: RequestOptions | None = None,
    ) -> T | None:
        """Send one API call (with retries) and structure its response into ``response_type``.

        The services call this; use it directly only for an operation the library has no method
        for yet.

        Args:
            route: The operation (``plexy_async._core.routes.route("payments.create")``).
            response_type: The model to structure the JSON answer into; None for no body.
            body: The request model (or a JSON-ready value), sent as JSON.
            path_params: Values for the route's ``{placeholders}``; each is percent-encoded.
            query: Query parameters; None values are left out, booleans sent as true/false.
            idempotency_key: For routes that send one; generated when None, and reused on
                every retry.
            options: Per-call retry policy and timeouts.

        Returns:
            The structured response, with ``.meta`` (a ``ResponseMeta``) on response models.

        Raises:
            InvalidRequestError: Bad path parameters, or an idempotency key where the route
                takes none; nothing was sent.
            ClientClosedError: The client was closed.
            APIStatusError: The server answered with an error status (a subclass per status).
            OutcomeUnknownError: A write may have taken effect: retry it with the error's
                ``idempotency_key``.
            APIConnectionError: The network failed before any status was received.
            ResponseError: A response arrived but could not be used.
        """
        call = self._prepare(
            route, body, path_params, query, idempotency_key, options, response_type
        )
        try:
            raw, result = await self._send(call)
            if isinstance(result, APIResponse):
                result._attach_meta(
                    (
                        raw.status,
                        raw.headers,
                        call.idempotency_key,
                        call.attempts,
                        _protocol.request_id_from,
                    )
                )
            return result  # type: ignore[no-any-return]
        except PlexyError as exc:
            final = _with_context(exc, call)
            if final is exc:
                raise
            raise final from exc

    def _prepare(
        self,
        route: Route,
        body: Any,
        path_params: Mapping[str, str] | None,
        query: Mapping[str, str | int | bool | None] | None,
        idempotency_key: str | None,
        options: RequestOptions | None,
        response_type: type[Any] | None = None,
    ) -> Call:
        """Everything fixed before the first attempt: URL, headers, body, idempotency key."""
        self._ensure_open()
        plan = self._plan(route)
        if path_params:
            path = route.format(**_path_params(path_params))
            url = URL(self.config.base_url + path)
        else:
            path, url = plan.path, plan.url
        headers = plan.headers
        key: str | None = None
        if plan.sends_idempotency_key:
            if idempotency_key is None:
                key = _protocol.new_idempotency_key()
            else:
                key = _protocol.validate_idempotency_key(idempotency_key)
            headers = {**headers, "Idempotency-Key": key}
        elif idempotency_key is not None:
            raise InvalidRequestError(f"{route.name} does not take an idempotency key")
        data = None if body is None else dumps(body)
        params = _query(query) if query else None
        config = self.config
        if options is None or (options.timeouts is None and options.retry is None):
            timeouts, retry, attempt_timeout = config.timeouts, config.retry, self._client_timeout
        else:
            timeouts = options.timeouts or config.timeouts
            retry = options.retry or config.retry
            attempt_timeout = client_timeout(timeouts)
        # Positional: the fields in their order, see Call.
        return Call(
            route, url, path, headers, data, params, key, retry, timeouts, attempt_timeout,
            response_type,
        )  # fmt: skip

    def _plan(self, route: Route) -> _RoutePlan:
        """What a route's calls share, worked out once per client (properties, enum lookups)."""
        plan = self._plans.get(route.name)
        if plan is None or plan.route is not route:
            path = route.full_path
            plan = self._plans[route.name] = _RoutePlan(
                route=route,
                path=path,
                url=URL(self.config.base_url + path),  # parsed once, not by aiohttp per call
                headers=self._headers[route.surface],
                sends_idempotency_key=route.sends_idempotency_key,
            )
        return plan

    async def _attempt(self, call: Call) -> tuple[RawResponse, Any]:
        """Exactly one HTTP attempt and its structured answer; an error status becomes a typed
        error here.

        The body is decoded and structured inside the attempt, so that a 2xx answer to a write
        whose body cannot be read or used is retried with the same idempotency key (the server
        replays its stored answer) rather than reported as a plain failure: see
        ``should_retry`` and ``_with_context``.
        """
        self._ensure_open()
        call.attempts += 1
        debug = _log.isEnabledFor(logging.DEBUG)  # checked once: no clock, no formatting when off
        started = time.monotonic() if debug else 0.0
        try:
            session = self._pool.session_for(self._origin)
            raw = await send(
                session,
                call.route.method,
                call.url,
                call.headers,
                call.data,
                call.params,
                call.client_timeout,
                self._max_response_bytes,
                _trace_context(call) if session.trace_configs else None,
            )
        except PlexyError as exc:
            if getattr(exc, "maybe_sent", False) or unreadable_success(exc):
                call.maybe_delivered = True
            if debug:
                _log_attempt(call, type(exc).__name__, None, time.monotonic() - started)
            raise
        if debug:
            request_id = _protocol.request_id_from(raw.headers)
            _log_attempt(call, raw.status, request_id, time.monotonic() - started)
        if raw.status >= 300:
            raise _protocol.error_for(raw.status, raw.body, raw.headers)
        if call.response_type is None:
            return raw, None
        try:
            return raw, structure(_decode(raw), call.response_type)
        except ResponseError as exc:
            # The server answered 2xx: a write it answered has taken effect, whatever the body.
            call.maybe_delivered = True
            exc.status = raw.status
            raise


class _RoutePlan(NamedTuple):
    route: Route
    path: str  # without path parameters
    url: URL
    headers: dict[str, str]  # the surface's; copied before adding an Idempotency-Key
    sends_idempotency_key: bool


def _decode(raw: RawResponse) -> Any:
    """The body's JSON, or ``ResponseDecodeError`` (raised past the handler: no json exception
    in its chain)."""
    try:
        return loads(raw.body)
    except (ValueError, RecursionError):  # UnicodeDecodeError included; nesting too deep
        pass
    raise ResponseDecodeError(
        f"HTTP {raw.status} response is not valid JSON: "
        f"{_protocol.clean_snippet(raw.body, 80) or 'empty body'}",
        status=raw.status,
    )


def _outcome_unknown(exc: PlexyError, call: Call) -> bool:
    """Whether a failed write may still have taken effect on the server.

    The last attempt itself may have reached the server; or it was answered 2xx (the write took
    effect) with a body that could not be used; or it got a 5xx, which Plexy's docs answer with
    "retry with the same key" and which may come after the commit; or an earlier attempt may
    have reached the server and the last answer does not settle it: a 408 or 429 says nothing
    of the earlier attempt, and a 409 may mean it is still being processed.
    """
    if not call.route.sends_idempotency_key:
        return False
    if getattr(exc, "maybe_sent", False) or unreadable_success(exc):
        return True
    if isinstance(exc, APIStatusError) and exc.status >= 500:
        return True
    if not call.maybe_delivered:
        return False
    if isinstance(exc, APIStatusError):
        return exc.status >= 500 or exc.status in _UNSETTLING_STATUSES
    return isinstance(exc, APIConnectionError)


_UNSETTLING_STATUSES = frozenset({408, 409, 429})


def _with_context(exc: PlexyError, call: Call) -> PlexyError:
    """Fill in the call's context, and turn a possibly-delivered write into OutcomeUnknownError."""
    cause = getattr(exc, "cause", None)
    if unreadable_success(exc) and _outcome_unknown(exc, call):
        unusable = isinstance(exc, ResponseValidationError)
        exc = (UnusableOutcomeError if unusable else UnreadableOutcomeError)(
            f"{call.method} {call.path}: HTTP {getattr(exc, 'status', None)} answered, but the "
            f"body could not be {'used' if unusable else 'read'} after {call.attempts} "
            f"attempt(s) ({exc.message}); the request took effect: re-send with "
            f"idempotency_key={call.idempotency_key!r} to read its outcome safely",
            status=getattr(exc, "status", None),
        )
        exc.cause = cause
    elif _outcome_unknown(exc, call):
        exc = OutcomeUnknownError(
            f"{call.method} {call.path}: outcome unknown after {call.attempts} attempt(s) "
            f"({exc.message}); retry with idempotency_key={call.idempotency_key!r} to learn it "
            "safely",
        )
        exc.cause = cause
    if isinstance(exc, _CallContext):
        exc.method = call.method
        exc.path = call.path
        exc.idempotency_key = call.idempotency_key
        exc.attempts = call.attempts
    return exc


def _trace_context(call: Call) -> Mapping[str, Any]:
    """What trace hooks may label a span with: never headers (they hold the API key)."""
    return MappingProxyType(
        {
            "operation": call.route.name,
            "attempt": call.attempts,
            "idempotency_key": call.idempotency_key,
        }
    )


_DOT_SEGMENTS: Final = frozenset({".", ".."})


def _path_params(params: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for name, value in params.items():
        if not isinstance(value, str) or not value.strip():
            raise InvalidRequestError(f"{name} must be a non-empty string, got {value!r}")
        if value in _DOT_SEGMENTS:  # URLs remove them, so the request would go to another route
            raise InvalidRequestError(
                f"{name} must not be {value!r}: a dot segment addresses another route "
                "(RFC 3986, section 5.2.4)"
            )
        out[name] = quote(value, safe="")
    return out


def _query(query: Mapping[str, str | int | bool | None]) -> dict[str, str]:
    out = {}
    for name, value in query.items():
        if value is None:
            continue
        out[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def _log_attempt(call: Call, outcome: int | str, request_id: str | None, seconds: float) -> None:
    """One DEBUG line per attempt: never headers, never bodies (API key, card data)."""
    _log.debug(
        "%s %s -> %s attempt=%d duration_ms=%.1f request_id=%s idempotency_key=%s",
        call.method,
        call.path,
        outcome,
        call.attempts,
        seconds * 1000.0,
        request_id,
        call.idempotency_key,
    )
