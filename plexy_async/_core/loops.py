"""The sessions the pool made in one event loop, and their end with that loop.

An aiohttp session, its connector and their connections belong to the loop they were made in.
The pool keeps one ``LoopSessions`` per loop it has run in (see ``SessionPool``), so one client
follows whatever loop is running: consecutive ``asyncio.run()`` calls, or several loops in
several threads at once.

When a loop ends, its sessions must end with it:

* ``asyncio.run()``, ``asyncio.Runner`` and pytest-asyncio finalise the loop's async generators
  before closing it (``loop.shutdown_asyncgens()``). A generator started in the loop and left
  suspended is therefore that loop's shutdown hook: it closes the sessions, in their own loop,
  the ordinary way.
* A loop closed without that step leaves connections that nothing can close any more: aiohttp
  only marks a connector of a closed loop closed, and asyncio's transports warn "unclosed
  transport" when collected, their sockets open till then. ``abandon()`` releases them at once,
  the way their loop would have. No Python API does that for a closed loop, so it calls the
  transports' own teardown (CPython's socket transports, and the TLS transport over them).
  uvloop needs none of this: closing its loop closes such connections, and reports them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Coroutine
from typing import Any

import aiohttp


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The running loop of this thread, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LoopSessions:
    """The pool's sessions (one per origin) made in ``loop``; closed when ``loop`` shuts down.

    Made by the pool inside ``loop``. Only that loop's thread uses ``sessions``, save for
    ``abandon()``, which runs once ``loop`` is closed and nothing else can touch them.
    """

    __slots__ = ("_closing", "_hook", "_hook_ended", "loop", "sessions")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.sessions: dict[str, aiohttp.ClientSession] = {}
        self._hook_ended = False
        self._closing: asyncio.Task[None] | None = None  # close_soon()'s, kept till it ends
        self._hook = self._start_hook()

    @property
    def open_sessions(self) -> int:
        return sum(1 for session in list(self.sessions.values()) if not session.closed)

    async def aclose(self) -> None:
        """Close the sessions, in ``loop`` (the caller runs in it); the hook ends too."""
        await self._close_sessions()
        if self._hook is not None and not self._hook_ended:
            await self._hook.aclose()

    def abandon(self) -> None:
        """``loop`` is closed: release the sessions' sockets now, without it and without a
        warning. Safe to call again."""
        while self.sessions:
            _abandon(self.sessions.popitem()[1])
        if self._hook is not None and not self._hook_ended:
            _run_now(self._hook.aclose())  # its finally finds no session left: nothing to await

    def close_soon(self) -> None:
        """Have ``loop``, running in another thread or idle, close the sessions when it next
        runs. Thread-safe, and nothing is made unless the loop runs it: if it never runs again
        and is closed with ``loop.close()`` alone, its sessions stay open (aiohttp reports
        them), as with any aiohttp session left open in a loop."""
        with contextlib.suppress(RuntimeError):  # closed meanwhile: abandon() is for that
            self.loop.call_soon_threadsafe(self._spawn_close)

    def _spawn_close(self) -> None:
        if self.sessions:
            self._closing = self.loop.create_task(self._close_sessions())

    async def _close_sessions(self) -> None:
        while self.sessions:
            await self.sessions.popitem()[1].close()

    def _start_hook(self) -> AsyncGenerator[None, None] | None:
        """Start the generator whose finalisation at the loop's shutdown closes the sessions.

        It is registered with the running loop (its async generator hooks) on its first step,
        taken here synchronously: it reaches its ``yield`` without awaiting anything.
        """
        if getattr(self.loop, "_asyncgens_shutdown_called", False):
            return None  # the loop is shutting down already: it would warn, and never call it
        hook = self._until_shutdown()
        try:
            hook.asend(None).send(None)
        except StopIteration:  # suspended at its yield, as intended
            return hook
        raise AssertionError("the shutdown hook awaited before its yield")  # pragma: no cover

    async def _until_shutdown(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            self._hook_ended = True
            if running_loop() is self.loop:
                await self._close_sessions()
            else:  # run by abandon(): the loop is closed
                self.abandon()


def _abandon(session: aiohttp.ClientSession) -> None:
    """Close ``session``, whose loop is closed: its connections' sockets are closed here, then
    ``session.close()`` runs to its end at once (with the loop closed there is nothing to wait
    for), so that neither aiohttp nor asyncio warns about it later."""
    connector = session.connector
    if connector is not None:
        for protocol in _connections(connector):
            _drop(getattr(protocol, "transport", None))
    _run_now(session.close())


def _connections(connector: aiohttp.BaseConnector) -> list[Any]:
    """The protocols of the connector's connections: idle ones and ones in use. aiohttp has no
    public list of them."""
    idle: dict[Any, Any] = getattr(connector, "_conns", {})
    busy: set[Any] = getattr(connector, "_acquired", set())
    return [protocol for queue in idle.values() for protocol, _ in queue] + list(busy)


def _drop(transport: Any) -> None:
    """Close a transport of a closed loop as the loop would have: ``_call_connection_lost``
    closes the socket and forgets it, so the transport no longer warns when collected. Under
    TLS the socket is in the transport beneath; the TLS transport is then marked closed too."""
    if transport is None:
        return
    beneath = getattr(getattr(transport, "_ssl_protocol", None), "_transport", None)
    if beneath is not None:
        transport = beneath
    lost = getattr(transport, "_call_connection_lost", None)
    if lost is None or getattr(transport, "_sock", None) is None:
        return  # another kind of transport, or closed already
    with contextlib.suppress(Exception):  # the protocol's part may need the loop: the socket
        lost(None)  # is closed in a finally, whatever it raises


def _run_now(coro: Coroutine[Any, Any, Any]) -> None:
    """Run a coroutine that has nothing to wait for to its end, outside any loop."""
    try:
        coro.send(None)
    except Exception:  # StopIteration: it ended; any other error ended it too
        return
    coro.close()  # it wanted to wait after all: give up on it
