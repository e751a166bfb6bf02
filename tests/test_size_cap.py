"""The size cap (``PoolLimits.max_response_bytes``) bounds the decoded body.

A server on loopback answers ``GET /v2/sessions/{id}`` with a body registered for that id,
coded (identity, gzip, deflate, br) and framed (Content-Length, or chunked) as asked. Bombs
inflate a few kilobytes into 40 MiB: the client must stop at the cap, holding no more than a
few times the cap in memory (measured with tracemalloc) and sending one request.
"""

from __future__ import annotations

import asyncio
import random
import string
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import brotli
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from plexy_async import PlexyClient, PoolLimits, RetryPolicy, errors

MiB = 1024 * 1024
CODINGS = ("identity", "gzip", "deflate", "br")
FRAMINGS = ("content-length", "chunked")
PREFIX = b'{"id": "cs_1", "status": "completed", "reference": "'
SUFFIX = b'"}'
SLACK = len(PREFIX) + len(SUFFIX)


def json_body_pieces(size: int, pattern: str, piece: int = MiB) -> Iterator[bytes]:
    """A SessionResult exactly ``size`` bytes long, in pieces: its reference pads it out with
    one repeated letter (inflates like a bomb) or random letters (compresses poorly)."""
    assert size >= SLACK
    yield PREFIX
    left = size - SLACK
    rng = random.Random(size)
    while left:
        n = min(piece, left)
        if pattern == "repeated":
            yield b"a" * n
        else:
            yield "".join(rng.choices(string.ascii_letters, k=n)).encode()
        left -= n
    yield SUFFIX


def encode(pieces: Iterator[bytes], coding: str) -> bytes:
    """The pieces, content-coded; never all of them in memory at once."""
    if coding == "identity":
        return b"".join(pieces)
    if coding == "br":
        compressor = brotli.Compressor(quality=5)
        out = [compressor.process(p) for p in pieces]
        return b"".join(out) + compressor.finish()
    wbits = 31 if coding == "gzip" else 15  # gzip, or deflate's zlib format
    zcompressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    out = [zcompressor.compress(p) for p in pieces]
    return b"".join(out) + zcompressor.flush()


class BodyServer:
    """Serves registered bodies; counts the requests it received."""

    def __init__(self) -> None:
        self.bodies: dict[str, tuple[bytes, str, str]] = {}
        self.requests = 0
        self.app = web.Application()
        self.app.router.add_get("/v2/sessions/{sid}", self.handle)
        self.url = ""

    def add(self, sid: str, encoded: bytes, coding: str, framing: str) -> None:
        self.bodies[sid] = (encoded, coding, framing)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        encoded, coding, framing = self.bodies[request.match_info["sid"]]
        headers = {"Content-Type": "application/json"}
        if coding != "identity":
            headers["Content-Encoding"] = coding
        if framing == "content-length":
            return web.Response(body=encoded, headers=headers)
        if framing == "promised":  # the length of ``encoded``, but only its first KiB, ever
            response = web.StreamResponse(headers=headers)
            response.content_length = len(encoded)
            await response.prepare(request)
            await response.write(encoded[:1024])
            await asyncio.sleep(30)  # cancelled when the client hangs up
            return response
        response = web.StreamResponse(headers=headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        view = memoryview(encoded)
        for start in range(0, len(encoded), 16 * 1024):
            await response.write(view[start : start + 16 * 1024])
        await response.write_eof()
        return response


@asynccontextmanager
async def serving() -> AsyncIterator[BodyServer]:
    server = BodyServer()
    runner = web.AppRunner(
        server.app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        yield server
    finally:
        await runner.cleanup()


@asynccontextmanager
async def capped_client(server: BodyServer, cap: int) -> AsyncIterator[PlexyClient]:
    async with PlexyClient(
        api_key="sk_test_cap",
        base_url=server.url,
        pool=PoolLimits(max_response_bytes=cap),
        retry=RetryPolicy(initial_delay=0.01, max_delay=0.05),
    ) as client:
        yield client


async def fetch(client: PlexyClient, sid: str) -> int:
    """The decoded body's size, from the reference it carries."""
    result = await client.sessions.result(sid, session_result="x")
    assert result.reference is not None
    return len(result.reference) + SLACK


# -- bombs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
async def test_a_small_body_inflating_to_40_mib_stops_at_the_cap(coding: str, framing: str) -> None:
    cap, inflated = 1 * MiB, 40 * MiB
    bomb = encode(json_body_pieces(inflated, "repeated"), coding)
    assert len(bomb) < 64 * 1024  # the coded body is far below the cap: 40 KB for gzip
    async with serving() as server, capped_client(server, cap) as client:
        server.add("bomb", bomb, coding, framing)
        tracemalloc.start()
        try:
            with pytest.raises(errors.ResponseTooLargeError, match="cap") as caught:
                await fetch(client, "bomb")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert caught.value.status == 200
    assert server.requests == 1  # refused once, not retried
    assert peak < 4 * cap, f"peak {peak / MiB:.1f} MiB for a {cap / MiB:.0f} MiB cap"


async def test_an_identity_body_over_the_cap_is_refused_before_it_is_read() -> None:
    """Its Content-Length is enough: the server never sends more than 1 KiB of it, so a client
    that waited for the body would fail otherwise (cut off when the server gives up)."""
    cap = 1 * MiB
    body = encode(json_body_pieces(8 * MiB, "repeated"), "identity")
    async with serving() as server, capped_client(server, cap) as client:
        server.add("big", body, "identity", "promised")
        tracemalloc.start()
        try:
            with pytest.raises(errors.ResponseTooLargeError):
                await fetch(client, "big")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert server.requests == 1
    assert peak < cap


# -- the edge: at the cap passes, one byte over fails --------------------------------------------


@pytest.mark.parametrize("pattern", ["repeated", "random"])
@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("coding", CODINGS)
async def test_exactly_at_the_cap_passes_one_byte_over_fails(
    coding: str, framing: str, pattern: str
) -> None:
    cap = 200_000  # several read chunks (64 KiB)
    async with serving() as server, capped_client(server, cap) as client:
        for sid, size in (("at", cap), ("over", cap + 1), ("under", cap - 1)):
            server.add(sid, encode(json_body_pieces(size, pattern), coding), coding, framing)
        assert await fetch(client, "at") == cap
        assert await fetch(client, "under") == cap - 1
        with pytest.raises(errors.ResponseTooLargeError):
            await fetch(client, "over")
    assert server.requests == 3


@settings(max_examples=40, deadline=None)
@given(
    cap=st.integers(SLACK + 1, 300_000),
    offset=st.integers(-70_000, 70_000) | st.integers(-2, 2),
    coding=st.sampled_from(CODINGS),
    framing=st.sampled_from(FRAMINGS),
    pattern=st.sampled_from(["repeated", "random"]),
)
def test_a_body_passes_exactly_when_its_decoded_size_is_within_the_cap(
    cap: int, offset: int, coding: str, framing: str, pattern: str
) -> None:
    size = max(cap + offset, SLACK)
    encoded = encode(json_body_pieces(size, pattern), coding)

    async def scenario() -> None:
        async with serving() as server, capped_client(server, cap) as client:
            server.add("body", encoded, coding, framing)
            if size <= cap:
                assert await fetch(client, "body") == size
            else:
                with pytest.raises(errors.ResponseTooLargeError):
                    await fetch(client, "body")
            assert server.requests == 1

    asyncio.run(scenario())
