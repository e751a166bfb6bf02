"""Real TLS and proxy parts on loopback for the TLS and proxy tests.

* ``TLSMock``: the bundled ``MockPlexy`` app served over TLS with a trustme certificate, counting
  the TCP connections it accepts (a refused handshake is still one accepted connection).
* ``ConnectProxy``: a small forward proxy that speaks only ``CONNECT``, written here so that
  tests can count the tunnels it opens and see the ``Proxy-Authorization`` it was sent; it can
  demand credentials (407), refuse tunnels with a status, or hang up without answering.
* ``ProxyPy``: the real proxy.py, run as a subprocess with basic auth, whose access log shows
  the ``CONNECT`` lines it served.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

import attrs
import trustme
from aiohttp import web

from plexy_async.testing import MockPlexy


class TLSMock(MockPlexy):
    """``MockPlexy`` over https, with ``cert`` (issued for 127.0.0.1 by a trustme CA)."""

    def __init__(self, api_key: str, cert: trustme.LeafCert) -> None:
        super().__init__(api_key)
        self._cert = cert
        self._tls_server: asyncio.Server | None = None
        self.accepts = 0

    async def start(self) -> TLSMock:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        runner = web.AppRunner(
            self.app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0
        )
        await runner.setup()
        server = runner.server
        assert server is not None

        def accepted() -> asyncio.Protocol:
            self.accepts += 1
            return server()

        loop = asyncio.get_running_loop()
        self._tls_server = await loop.create_server(accepted, "127.0.0.1", 0, ssl=context)
        self._runner = runner
        self.port = self._tls_server.sockets[0].getsockname()[1]
        self._url = f"https://127.0.0.1:{self.port}"
        self.state.base_url = self._url
        return self

    async def __aenter__(self) -> TLSMock:
        return await self.start()

    async def close(self) -> None:
        tls_server, self._tls_server = self._tls_server, None
        if tls_server is not None:
            tls_server.close()
        await super().close()
        if tls_server is not None:
            await tls_server.wait_closed()


def basic(user: str, password: str) -> str:
    """The ``Proxy-Authorization`` value for these credentials."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@attrs.define
class ProxyRequest:
    method: str
    target: str
    authorization: str | None


class ConnectProxy:
    """A CONNECT-only forward proxy on 127.0.0.1.

    ``mode``: ``tunnel`` (the default) opens tunnels; ``refuse`` answers every CONNECT with
    ``refuse_status``; ``hang_up`` closes the connection without answering. With ``credentials``
    set, a CONNECT without matching ``Proxy-Authorization`` gets a 407. With ``tls``, it is an
    ``https://`` proxy presenting that certificate.
    """

    def __init__(
        self,
        *,
        credentials: tuple[str, str] | None = None,
        mode: Literal["tunnel", "refuse", "hang_up"] = "tunnel",
        refuse_status: int = 502,
        tls: trustme.LeafCert | None = None,
    ) -> None:
        self._expected = None if credentials is None else basic(*credentials)
        self._mode = mode
        self._refuse_status = refuse_status
        self._tls = tls
        self.requests: list[ProxyRequest] = []
        self.tunnels = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def scheme(self) -> str:
        return "http" if self._tls is None else "https"

    def url_with(self, user: str, password: str) -> str:
        return f"{self.scheme}://{user}:{password}@127.0.0.1:{self.port}"

    async def __aenter__(self) -> ConnectProxy:
        context = None
        if self._tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls.configure_cert(context)
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0, ssl=context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:  # ends every pipe: reads see EOF, writes fail
            writer.transport.abort()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {}
        for line in lines:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        self.requests.append(ProxyRequest(method, target, headers.get("proxy-authorization")))
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        if self._expected is not None and headers.get("proxy-authorization") != self._expected:
            writer.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
            )
            return
        if self._mode == "hang_up":
            return
        if self._mode == "refuse":
            status = self._refuse_status
            writer.write(f"HTTP/1.1 {status} Refused\r\nContent-Length: 0\r\n\r\n".encode())
            return
        host, _, port = target.rpartition(":")
        up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
        self._writers.add(up_writer)
        self.tunnels += 1
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._writers.discard(up_writer)
            up_writer.close()

    @property
    def connects(self) -> list[str]:
        return [r.target for r in self.requests if r.method == "CONNECT"]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()


class ProxyPy:
    """proxy.py on 127.0.0.1 with basic auth ``user:password``; stop() ends it."""

    def __init__(self, workdir: Path, user: str, password: str) -> None:
        self.user = user
        self.password = password
        self.log = workdir / "proxy.log"
        port_file = workdir / "proxy.port"
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "proxy",
                "--hostname",
                "127.0.0.1",
                "--port",
                "0",
                "--port-file",
                str(port_file),
                "--basic-auth",
                f"{user}:{password}",
                "--num-acceptors",
                "1",
                "--num-workers",
                "1",
                "--data-dir",
                str(workdir / "data"),
                "--log-file",
                str(self.log),
                "--log-level",
                "INFO",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its acceptor processes share its process group
        )
        self.port = _wait_for_port(port_file, self._process)

    def url_with(self, user: str, password: str) -> str:
        return f"http://{user}:{password}@127.0.0.1:{self.port}"

    def wait_for_log(self, text: str, seconds: float = 15.0) -> str:
        """The log once it contains ``text`` (proxy.py logs a tunnel when it closes)."""
        give_up = time.monotonic() + seconds
        while True:
            log = self.log.read_text() if self.log.exists() else ""
            if text in log or time.monotonic() > give_up:
                return log
            time.sleep(0.05)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(10)


def _wait_for_port(port_file: Path, process: subprocess.Popen[bytes]) -> int:
    give_up = time.monotonic() + 30.0
    while time.monotonic() < give_up and process.poll() is None:
        text = port_file.read_text().strip() if port_file.exists() else ""
        if text:
            port = int(text.splitlines()[0])
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return port
        time.sleep(0.05)
    process.kill()
    process.wait(10)
    raise RuntimeError("proxy.py did not start")


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
