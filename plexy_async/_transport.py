"""The session pool and the single HTTP attempt: the only place that touches aiohttp.

Every aiohttp exception and timeout is translated into the library's own errors here, in
``_translate``. ``asyncio.CancelledError`` is never caught: it propagates untouched, and aiohttp's
response context manager closes the connection it interrupted, so the pool stays healthy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from ._config import PoolLimits, Timeouts
from .errors import (
    APIConnectionError,
    APITimeoutError,
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
    """One aiohttp ``ClientSession`` per origin, created lazily inside the running loop.

    A session passed in by the caller is used for every origin and never closed by us. The
    sessions we create send ``headers`` on every request (aiohttp merges them in C, cheaper than
    passing them per request); a borrowed session does not, so callers check ``borrowed``.
    """

    def __init__(
        self,
        limits: PoolLimits,
        *,
        session: aiohttp.ClientSession | None = None,
        trace_configs: Iterable[aiohttp.TraceConfig] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._limits = limits
        self._borrowed = session
        self._trace_configs = list(trace_configs)
        self._headers = dict(headers or {})
        self._owned: dict[str, aiohttp.ClientSession] = {}

    @property
    def borrowed(self) -> bool:
        return self._borrowed is not None

    @property
    def owned_sessions(self) -> int:
        return sum(1 for s in self._owned.values() if not s.closed)

    def session_for(self, origin: str) -> aiohttp.ClientSession:
        if self._borrowed is not None:
            return self._borrowed
        session = self._owned.get(origin)
        if session is None or session.closed:
            session = self._owned[origin] = self._new_session()
        return session

    def _new_session(self) -> aiohttp.ClientSession:
        asyncio.get_running_loop()  # sessions belong to a running loop; fail clearly otherwise
        limits = self._limits
        connector = aiohttp.TCPConnector(
            limit=limits.limit,
            limit_per_host=limits.limit_per_host,
            keepalive_timeout=limits.keepalive_timeout,
            ttl_dns_cache=limits.dns_cache_ttl,
            use_dns_cache=True,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # the API sets no cookies worth keeping
            trace_configs=self._trace_configs or None,
            raise_for_status=False,
            headers=self._headers,
        )

    async def aclose(self) -> None:
        sessions, self._owned = list(self._owned.values()), {}
        for session in sessions:
            await session.close()


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

    ``trace_request_ctx`` reaches aiohttp trace hooks as ``ctx.trace_request_ctx``.
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
            if length is not None and length > max_bytes:
                raise _too_large(resp.status, max_bytes)
            if length is not None:
                body = await resp.read()
            else:
                body = await _read_capped(resp, max_bytes)
            return RawResponse(resp.status, resp.headers, body)
    except PlexyError:
        raise
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
        raise _translate(exc) from exc


async def _read_capped(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
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
    """The one mapping from aiohttp and socket failures to the library's errors."""
    name = type(exc).__name__
    if isinstance(exc, (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch)):
        return TLSError(f"TLS failure: {name}")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return APITimeoutError("timed out connecting to the server", maybe_sent=False)
    if isinstance(exc, TimeoutError):
        return APITimeoutError(f"timed out waiting for the response ({name})", maybe_sent=True)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ConnectError("could not resolve the server's host name")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(f"could not connect to the server ({_os_reason(exc)})")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return APIConnectionError("the response body was cut off", maybe_sent=True)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return APIConnectionError("the server closed the connection before answering")
    if isinstance(exc, (aiohttp.InvalidURL, ValueError)):
        return APIConnectionError(f"invalid request: {name}", maybe_sent=False)
    return APIConnectionError(f"connection failed: {name} ({_os_reason(exc)})")


def _os_reason(exc: BaseException) -> str:
    strerror = getattr(exc, "strerror", None)
    return strerror if isinstance(strerror, str) else type(exc).__name__
