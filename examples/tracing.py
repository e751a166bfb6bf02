"""Per-attempt tracing with aiohttp ``TraceConfig``s, passed to ``PlexyClient(trace_configs=...)``.

Every attempt (every retry included) is one aiohttp request, so these hooks fire once per
attempt. ``AttemptStats`` counts attempts, failures and connections, and keeps the sessions the
client used: the examples' tests use it to prove that 200 concurrent requests shared one pool.
The hooks see the request URL and headers: never log the headers (they carry the API key).

::

    stats = AttemptStats()
    async with PlexyClient(api_key=..., trace_configs=[stats_trace_config(stats)]) as plexy:
        ...
    print(stats.attempts, stats.connections_created, stats.connections_reused)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

import aiohttp

log = logging.getLogger("examples.tracing")


@dataclass
class AttemptStats:
    attempts: int = 0
    failures: int = 0
    connections_created: int = 0
    connections_reused: int = 0
    durations: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    sessions: set[aiohttp.ClientSession] = field(default_factory=set)


def stats_trace_config(stats: AttemptStats) -> aiohttp.TraceConfig:
    """A ``TraceConfig`` that records every attempt into ``stats`` and logs it at DEBUG."""
    trace = aiohttp.TraceConfig()

    async def on_request_start(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        ctx.started = time.perf_counter()
        stats.attempts += 1
        stats.sessions.add(session)

    async def on_request_end(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        seconds = time.perf_counter() - ctx.started
        stats.durations.append(seconds)
        stats.statuses.append(params.response.status)
        # The path only: a query string may carry tokens (sessionResult=...).
        log.debug(
            "%s %s -> %d in %.1f ms",
            params.method,
            params.url.path,
            params.response.status,
            seconds * 1000,
        )

    async def on_request_exception(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        stats.failures += 1
        log.debug(
            "%s %s failed: %s", params.method, params.url.path, type(params.exception).__name__
        )

    async def on_connection_create_end(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceConnectionCreateEndParams,
    ) -> None:
        stats.connections_created += 1

    async def on_connection_reuseconn(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceConnectionReuseconnParams,
    ) -> None:
        stats.connections_reused += 1

    trace.on_request_start.append(on_request_start)
    trace.on_request_end.append(on_request_end)
    trace.on_request_exception.append(on_request_exception)
    trace.on_connection_create_end.append(on_connection_create_end)
    trace.on_connection_reuseconn.append(on_connection_reuseconn)
    return trace
