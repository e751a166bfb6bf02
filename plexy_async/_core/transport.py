"""The session pool and the single HTTP attempt: the only place that touches aiohttp.

Every aiohttp exception and timeout is translated into the library's own errors here, in
``_translate``. ``asyncio.CancelledError`` is never caught: it propagates untouched, and aiohttp's
response context manager closes the connection it interrupted, so the pool stays healthy.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Mapping
from ssl import SSLContext
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
from aiohttp import hdrs
from multidict import CIMultiDictProxy
from yarl import URL

from plexy_async._core.config import PoolLimits, ProxyURL, Timeouts
from plexy_async._core.loops import LoopSessions
from plexy_async._core.protocol import exception_summary
from plexy_async.errors import (
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    ConfigurationError,
    ConnectError,
    PlexyError,
    ResponseTooLargeError,
    TLSError,
)


class RawResponse:
    """A response as read off the wire (a slotted class: cheaper to make than a NamedTuple)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: CIMultiDictProxy[str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


def client_timeout(timeouts: Timeouts) -> aiohttp.ClientTimeout:
    """The per-attempt aiohttp timeout; the overall deadline is enforced by the retry layer.

    A read timeout no shorter than the attempt's can never fire first, so it is left out: aiohttp
    re-arms the read timer on every chunk received, which costs a timer per read for nothing.
    """
    read = timeouts.read if timeouts.read < timeouts.attempt else None
    return aiohttp.ClientTimeout(
        total=timeouts.attempt, sock_connect=timeouts.connect, sock_read=read
    )


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class SessionPool:
    """One aiohttp ``ClientSession`` per origin and per event loop, made lazily in that loop.

    The pool follows the running loop. Each loop it runs in gets sessions of its own (see
    ``_loops.LoopSessions``), closed when that loop shuts down (``asyncio.run()`` and the like),
    or released at once when the pool finds their loop closed. So one pool serves consecutive
    ``asyncio.run()`` calls, and loops running in several threads at once. Per request this
    costs one ``get_running_loop()`` and an identity comparison.

    A session passed in by the caller is used for every origin and never closed by us. It works
    in its own loop only: elsewhere, or once that loop is closed, ``session_for`` raises
    ``ConfigurationError`` (where aiohttp would raise a bare ``RuntimeError``).

    The sessions we create send ``headers`` on every request (aiohttp merges them in C, cheaper
    than passing them per request); a borrowed session does not, so callers check ``borrowed``.
    """

    def __init__(
        self,
        limits: PoolLimits,
        *,
        session: aiohttp.ClientSession | None = None,
        trace_configs: Iterable[aiohttp.TraceConfig] = (),
        headers: Mapping[str, str] | None = None,
        tls: SSLContext | bool = True,
        proxy: ProxyURL | None = None,
    ) -> None:
        """``tls`` is the connector's ``ssl=`` and ``proxy`` every request's proxy: both for
        the sessions we create (see ``ClientConfig``), ignored for a borrowed one."""
        self._limits = limits
        self._borrowed = session
        self._trace_configs = list(trace_configs)
        self._headers = dict(headers or {})
        self._tls = tls
        self._proxy = proxy
        self._borrowed_loop = _loop_of(session)
        self._loops: dict[asyncio.AbstractEventLoop, LoopSessions] = {}
        self._last: LoopSessions | None = None  # the sessions of the loop served last
        self._lock = threading.Lock()  # for the slow path: a loop not served last

    @property
    def borrowed(self) -> bool:
        return self._borrowed is not None

    @property
    def owned_sessions(self) -> int:
        """How many sessions we made are open, in every loop (no lock: ``__del__`` asks)."""
        return sum(entry.open_sessions for entry in list(self._loops.values()))

    def session_for(self, origin: str) -> aiohttp.ClientSession:
        """The session for ``origin`` in the running loop (call it from a coroutine).

        Raises ``ConfigurationError`` when the borrowed session belongs to another loop, and
        ``ClientClosedError`` when its owner has closed it.
        """
        loop = asyncio.get_running_loop()
        if self._borrowed is not None:
            if loop is not self._borrowed_loop and self._borrowed_loop is not None:
                raise _foreign_session(self._borrowed_loop)
            if self._borrowed.closed:
                raise ClientClosedError(
                    "the aiohttp session passed as session= is closed; the client never opens "
                    "or replaces a borrowed session"
                )
            return self._borrowed
        entry = self._last
        if entry is None or entry.loop is not loop:
            entry = self._sessions_in(loop)
        session = entry.sessions.get(origin)
        if session is None or session.closed:
            session = entry.sessions[origin] = self._new_session()
        return session

    def _sessions_in(self, loop: asyncio.AbstractEventLoop) -> LoopSessions:
        with self._lock:
            entry = self._loops.get(loop)
            if entry is None:
                self._release_closed_loops()
                entry = self._loops[loop] = LoopSessions(loop)
            self._last = entry
        return entry

    def _release_closed_loops(self) -> None:
        """Release the sessions of loops closed without shutting down their async generators
        (``asyncio.run()`` does that, ``loop.close()`` alone does not). Holds ``_lock``."""
        for loop in [loop for loop in self._loops if loop.is_closed()]:
            self._loops.pop(loop).abandon()

    def _new_session(self) -> aiohttp.ClientSession:
        asyncio.get_running_loop()  # sessions belong to a running loop; fail clearly otherwise
        limits = self._limits
        connector = aiohttp.TCPConnector(
            limit=limits.limit,
            limit_per_host=limits.limit_per_host,
            keepalive_timeout=limits.keepalive_timeout,
            ttl_dns_cache=limits.dns_cache_ttl,
            use_dns_cache=True,
            ssl=self._tls,
        )
        # The proxy's credentials ride in its URL: aiohttp sends them as Proxy-Authorization
        # (its proxy_auth= is deprecated). Environment proxies were resolved by ClientConfig, so
        # aiohttp's trust_env stays off: no per-request lookups, no .netrc Authorization header.
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # the API sets no cookies worth keeping
            trace_configs=self._trace_configs or None,
            raise_for_status=False,
            headers=self._headers,
            proxy=None if self._proxy is None else URL(self._proxy.reveal()),
        )

    async def aclose(self) -> None:
        """Close the sessions we made: those of the running loop and of closed loops now; those
        of a loop still open elsewhere (another thread) on that loop, soon, without waiting."""
        current = asyncio.get_running_loop()
        with self._lock:
            entries, self._loops = list(self._loops.values()), {}
            self._last = None
        here = None
        for entry in entries:
            if entry.loop is current:
                here = entry
            elif entry.loop.is_closed():
                entry.abandon()
            else:
                entry.close_soon()
        if here is not None:
            await here.aclose()


def _loop_of(session: aiohttp.ClientSession | None) -> asyncio.AbstractEventLoop | None:
    """The loop a session was made in (aiohttp's ``ClientSession.loop`` is deprecated)."""
    loop = getattr(session, "_loop", None)
    return loop if isinstance(loop, asyncio.AbstractEventLoop) else None


def _foreign_session(loop: asyncio.AbstractEventLoop) -> ConfigurationError:
    state = "is closed" if loop.is_closed() else "is not the one running this call"
    return ConfigurationError(
        f"the aiohttp session passed as session= belongs to an event loop that {state}: a "
        "borrowed session works only in its own loop, and the client never replaces or closes "
        "it. Pass a session made in the running loop, or leave session= out: the client's own "
        "sessions follow the running loop"
    )


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: URL,
    headers: Mapping[str, str],
    data: bytes | None,
    params: Mapping[str, str] | None,
    timeouts: aiohttp.ClientTimeout,
    max_bytes: int,
    trace_request_ctx: Mapping[str, Any] | None = None,
) -> RawResponse:
    """One HTTP exchange. Raises only ``PlexyError`` (or ``CancelledError``).

    ``max_bytes`` caps the body as decoded (after any gzip, deflate or br content coding), so
    a small compressed body cannot inflate past it: ``ResponseTooLargeError`` as soon as it
    does, with memory near the cap (see ``_read_capped``). ``trace_request_ctx`` reaches aiohttp
    trace hooks as ``ctx.trace_request_ctx``.
    """
    try:
        async with session.request(
            method,
            url,
            headers=headers,
            data=data,
            params=params,
            timeout=timeouts,
            allow_redirects=False,
            trace_request_ctx=trace_request_ctx,
        ) as resp:
            length = resp.content_length
            if length is None or _CONTENT_ENCODING in resp.headers:
                # No length, or the length of the coded body: count the decoded bytes as
                # they come.
                body = await _read_capped(resp, max_bytes)
            elif length > max_bytes:
                raise _too_large(resp.status, max_bytes)
            else:  # the common case: an identity body whose length fits, read in one go
                body = await resp.read()
            return RawResponse(resp.status, resp.headers, body)
    except PlexyError:
        raise
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
        error = _translate(exc)
    # Raised out here, past the handler, so that not even ``__context__`` keeps aiohttp's
    # exception: its repr holds the request headers, the API key among them.
    raise error from None


_CONTENT_ENCODING: Final = hdrs.CONTENT_ENCODING
_READ_CHUNK: Final = 64 * 1024


async def _read_capped(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The decoded body, read a chunk at a time; ``ResponseTooLargeError`` past ``max_bytes``.

    aiohttp decodes a content coding as it reads, a bounded step at a time, and stops reading
    the socket while its buffer is above its high-water mark: memory stays within ``max_bytes``
    plus aiohttp's read-ahead (about 1 MiB of decoded data), whatever the body inflates to.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(_READ_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(resp.status, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(status: int, max_bytes: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"response body is larger than the {max_bytes}-byte cap (PoolLimits.max_response_bytes)",
        status=status,
    )


def _translate(exc: BaseException) -> PlexyError:
    """The one mapping from aiohttp and socket failures to the library's errors. Each keeps a
    cleaned summary of ``exc`` as its ``cause``, never ``exc`` itself (see ``send``)."""
    error = _library_error(exc)
    error.cause = exception_summary(exc)
    return error


def _library_error(exc: BaseException) -> PlexyError:
    name = type(exc).__name__
    if isinstance(exc, (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch)):
        return TLSError(f"TLS failure: {name}")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return APITimeoutError("timed out connecting to the server", maybe_sent=False)
    if isinstance(exc, TimeoutError):
        return APITimeoutError(f"timed out waiting for the response ({name})", maybe_sent=True)
    if isinstance(exc, aiohttp.ClientHttpProxyError):  # the proxy's answer to CONNECT
        if exc.status == 407:
            return ConnectError("proxy authentication failed (HTTP 407): check its credentials")
        return ConnectError(f"the proxy refused to open a tunnel (HTTP {exc.status})")
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return ConnectError(f"could not connect to the proxy ({_os_reason(exc)})")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ConnectError("could not resolve the server's host name")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(f"could not connect to the server ({_os_reason(exc)})")
    if isinstance(exc, aiohttp.ClientPayloadError):
        problem = _PAYLOAD_PROBLEMS.get(type(exc.__cause__).__name__)
        return APIConnectionError(problem or "the response body was cut off", maybe_sent=True)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return APIConnectionError("the server closed the connection before answering")
    if isinstance(exc, aiohttp.ClientResponseError):  # the parser's: bad status or header line
        return APIConnectionError(
            f"the server sent a malformed HTTP response ({_reason(exc)})", maybe_sent=True
        )
    if isinstance(exc, (aiohttp.InvalidURL, ValueError)):
        return APIConnectionError(f"invalid request: {name}", maybe_sent=False)
    return APIConnectionError(f"connection failed: {name} ({_os_reason(exc)})")


def _os_reason(exc: BaseException) -> str:
    strerror = getattr(exc, "strerror", None)
    return strerror if isinstance(strerror, str) else type(exc).__name__


def _reason(exc: BaseException) -> str:
    """The cleaned message of ``exc`` without its class name (see ``exception_summary``)."""
    return exception_summary(exc).partition(": ")[2] or type(exc).__name__


# What a ClientPayloadError's cause (aiohttp's parser error) says happened to the body.
_PAYLOAD_PROBLEMS: Final = {
    "ContentLengthError": "the response body was cut off",
    "ContentEncodingError": "the response body could not be decoded (bad content coding)",
    "TransferEncodingError": "the server sent a malformed chunked body",
}
