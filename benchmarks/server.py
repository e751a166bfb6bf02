"""The load target: a minimal HTTP/1.1 keep-alive responder on a raw ``asyncio.Protocol``.

It answers ``POST /v2/payments`` with a fixed, realistic payment response and anything else
with 404. No routing, no header objects, no JSON work: the response bytes are built once. That
keeps it several times faster than any client variant measured against it, so the clients are
what the benchmark sees. It runs in its own process, pinned to its own core where the machine
has one to spare, and binds only 127.0.0.1.

``python -m benchmarks.server [--cpu N]`` prints ``PORT <n>`` once it is listening.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from typing import Final, cast

from .payload import PATH, RESPONSE_BODY


def _response(status: bytes, body: bytes, *, close: bool) -> bytes:
    head = (
        b"HTTP/1.1 " + status + b"\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"x-request-id: bench-req-1\r\n"
        b"Connection: " + (b"close" if close else b"keep-alive") + b"\r\n\r\n"
    )
    return head + body


_NOT_FOUND_BODY: Final = b'{"error":{"type":"invalid_request_error","code":"not_found"}}'
# (request is for the payments route, connection closes) -> response bytes, built once
_ANSWERS: Final = {
    (True, False): _response(b"200 OK", RESPONSE_BODY, close=False),
    (True, True): _response(b"200 OK", RESPONSE_BODY, close=True),
    (False, False): _response(b"404 Not Found", _NOT_FOUND_BODY, close=False),
    (False, True): _response(b"404 Not Found", _NOT_FOUND_BODY, close=True),
}
_REQUEST_LINE: Final = (b"POST " + PATH.encode() + b" ").lower()  # heads are lowercased


class Responder(asyncio.Protocol):
    """Parses just enough HTTP/1.1: the request line, Content-Length and Connection: close."""

    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        transport = self._transport
        assert transport is not None
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end].lower()
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop >= 0 else len(head)])
            if len(buffer) < end + 4 + length:
                break  # the body has not all arrived yet
            buffer = buffer[end + 4 + length :]
            close = b"\r\nconnection: close" in head
            transport.write(_ANSWERS[(head.startswith(_REQUEST_LINE), close)])
            if close:
                transport.close()
                return
        self._buffer = buffer


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Responder, "127.0.0.1", port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with server:
        await stop.wait()


def pin_to(cpu: int | None) -> bool:
    """Pin this process to one core; False where the machine cannot spare it."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return False
    if cpu not in os.sched_getaffinity(0) or len(os.sched_getaffinity(0)) < 2:
        return False
    os.sched_setaffinity(0, {cpu})
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this core")
    args = parser.parse_args(argv)
    pin_to(args.cpu)
    try:  # the fastest loop available: the target must not be the bottleneck
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        runner.run(serve(args.port))
    sys.exit(0)


if __name__ == "__main__":
    main()
