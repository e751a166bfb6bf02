"""One client, any event loop: consecutive loops, loops in threads, aclose() from anywhere.

These tests are synchronous on purpose: each makes and ends its own loops (``asyncio.run()``,
``asyncio.Runner``, a bare ``loop.close()``, threads), against the mock server running in a
thread of its own with its own loop. Each checks the server's ledger (one charge per call), and
that nothing leaked: no ResourceWarning or aiohttp "Unclosed ..." warning, no exception left
to a finaliser, and as many sockets open afterwards as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import ssl
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Coroutine, Iterator
from types import SimpleNamespace
from typing import Any, TypeVar

import aiohttp
import pytest
import trustme
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from plexy_async import Amount, CardDetails, PlexyClient, RetryPolicy, errors
from plexy_async.batch import Batch, BatchItem
from plexy_async.testing import Fault, MockPlexy

T = TypeVar("T")
VISA = CardDetails(number="4242424242424242", cvc="737", expiry_month="03", expiry_year="2030")
PAYMENTS = ("POST", "/v2/payments")
FAST = RetryPolicy(initial_delay=0.01, max_delay=0.05)


# -- the server, in a thread with its own loop -------------------------------------------------


class ServerThread:
    """A MockPlexy served by a loop running in a background thread; over TLS with ``tls``."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="mock-plexy", daemon=True)
        self.mock = MockPlexy()
        self.tls = tls
        self.runner: web.AppRunner | None = None
        self.url = ""

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def start(self) -> MockPlexy:
        self.thread.start()
        if self.tls is None:
            self.call(self.mock.start())
            self.url = self.mock.url
        else:
            self.call(self._start_tls(self.tls))
        return self.mock

    async def _start_tls(self, tls: ssl.SSLContext) -> None:
        self.runner = web.AppRunner(self.mock.app, access_log=None, shutdown_timeout=2.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = self.mock.state.base_url = f"https://127.0.0.1:{port}"

    def stop(self) -> None:
        self.call(self.mock.close() if self.runner is None else self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def mock() -> Iterator[MockPlexy]:
    server = ServerThread()
    try:
        yield server.start()
    finally:
        server.stop()


# -- leak checks --------------------------------------------------------------------------------


def open_sockets() -> int | None:
    """Sockets this process holds open (Linux), or None where that cannot be counted."""
    try:
        names = os.listdir("/proc/self/fd")
    except FileNotFoundError:
        return None
    count = 0
    for name in names:
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{name}").startswith("socket:")
    return count


class LeakWatch:
    """Warnings, finaliser errors and sockets, from the start of a test to ``check()``."""

    def __init__(self) -> None:
        self.unraisable: list[str] = []
        self.sockets = open_sockets()

    def check(self, caught: list[warnings.WarningMessage]) -> None:
        gc.collect()
        gc.collect()
        leaks = [
            str(w.message)
            for w in caught
            if issubclass(w.category, ResourceWarning) or "nclosed" in str(w.message)
        ]
        assert leaks == []
        assert self.unraisable == []
        if self.sockets is not None:
            # The server closes its end of each connection in its own thread: give it a moment.
            deadline = time.monotonic() + 10
            while (open_sockets() or 0) > self.sockets and time.monotonic() < deadline:
                time.sleep(0.01)
            assert open_sockets() == self.sockets


@pytest.fixture
def leaks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Call the yielded function at the end of the test: it asserts that nothing leaked."""
    gc.collect()
    watch = LeakWatch()
    monkeypatch.setattr(
        sys, "unraisablehook", lambda u: watch.unraisable.append(f"{u.exc_value!r} in {u.object}")
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield lambda: watch.check(caught)


# -- how a loop runs a coroutine, and ends ------------------------------------------------------


def run_asyncio(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def run_runner(coro: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner() as runner:
        return runner.run(coro)


def run_bare_loop(coro: Coroutine[Any, Any, T]) -> T:
    """A loop closed with ``loop.close()`` alone: its async generators are never finalised."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run()`` in another thread."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # handed to the caller
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    if failure:
        raise failure[0]
    return result[0]


RUNNERS: dict[str, Callable[[Coroutine[Any, Any, Any]], Any]] = {
    "asyncio.run": run_asyncio,
    "asyncio.Runner": run_runner,
    "loop.close() alone": run_bare_loop,
    "another thread": run_in_thread,
}


# -- calls --------------------------------------------------------------------------------------


class SessionLog:
    """A trace config recording which aiohttp session (and thread) sent each request."""

    def __init__(self) -> None:
        self.used: list[tuple[aiohttp.ClientSession, int]] = []
        self.config = aiohttp.TraceConfig()
        self.config.on_request_start.append(self._start)

    async def _start(self, session: aiohttp.ClientSession, ctx: Any, params: Any) -> None:
        self.used.append((session, threading.get_ident()))

    @property
    def sessions(self) -> list[aiohttp.ClientSession]:
        seen: list[aiohttp.ClientSession] = []
        for session, _ in self.used:
            if all(session is not s for s in seen):
                seen.append(session)
        return seen


def new_client(mock: MockPlexy, log: SessionLog | None = None) -> PlexyClient:
    return PlexyClient(
        api_key=mock.api_key,
        base_url=mock.url,
        retry=FAST,
        trace_configs=[log.config] if log else [],
    )


def new_reference() -> str:
    return f"loops-{uuid.uuid4().hex[:12]}"


async def charge(client: PlexyClient, reference: str) -> str:
    payment = await client.payments.create(
        amount=Amount(1000, "EUR"),
        reference=reference,
        merchant_account="TestMerchant",
        payment_method=VISA,
    )
    assert payment.result_code == "Authorised"
    key = payment.meta.idempotency_key
    assert key is not None
    return key


async def charge_many(client: PlexyClient, references: list[str]) -> list[str]:
    return list(await asyncio.gather(*(charge(client, r) for r in references)))


def assert_charged_once_each(mock: MockPlexy, references: list[str], keys: list[str]) -> None:
    for reference in references:
        assert len(mock.ledger.charges_for(reference)) == 1, reference
    charged = {c.idempotency_key for r in references for c in mock.ledger.charges_for(r)}
    assert charged == set(keys) and len(keys) == len(references)


# -- tests --------------------------------------------------------------------------------------


def test_one_client_in_consecutive_asyncio_runs(mock: MockPlexy, leaks: Callable[[], None]) -> None:
    log = SessionLog()
    client = new_client(mock, log)  # no loop here
    references = [new_reference() for _ in range(4)]
    keys = [asyncio.run(charge(client, reference)) for reference in references]
    assert_charged_once_each(mock, references, keys)
    # A fresh session in each loop, closed when its loop shut down.
    assert len(log.sessions) == 4
    assert all(session.closed for session in log.sessions)
    asyncio.run(client.aclose())
    assert client.closed
    leaks()


@pytest.mark.parametrize("first", sorted(RUNNERS))
@pytest.mark.parametrize("then", sorted(RUNNERS))
def test_a_loop_that_ended_any_way_is_followed_by_a_working_one(
    mock: MockPlexy, leaks: Callable[[], None], first: str, then: str
) -> None:
    client = new_client(mock)
    references = [new_reference() for _ in range(6)]
    keys = RUNNERS[first](charge_many(client, references[:3]))
    keys += RUNNERS[then](charge_many(client, references[3:]))
    assert_charged_once_each(mock, references, keys)
    asyncio.run(client.aclose())
    leaks()


@pytest.mark.parametrize("first", sorted(RUNNERS))
@pytest.mark.parametrize("closer", sorted(RUNNERS))
def test_aclose_works_from_a_new_loop_after_the_first_ended_without_it(
    mock: MockPlexy, leaks: Callable[[], None], first: str, closer: str
) -> None:
    client = new_client(mock)
    reference = new_reference()
    key = RUNNERS[first](charge(client, reference))
    RUNNERS[closer](client.aclose())
    RUNNERS[closer](client.aclose())  # twice is fine
    assert client.closed
    assert_charged_once_each(mock, [reference], [key])
    with pytest.raises(errors.ClientClosedError):
        asyncio.run(charge(client, new_reference()))
    leaks()


def test_aclose_in_a_loop_the_client_never_ran_in(
    mock: MockPlexy, leaks: Callable[[], None]
) -> None:
    client = new_client(mock)
    sent = len(mock.ledger.requests_to(*PAYMENTS))
    asyncio.run(client.aclose())
    assert client.closed
    with pytest.raises(errors.ClientClosedError):
        asyncio.run(charge(client, new_reference()))
    assert len(mock.ledger.requests_to(*PAYMENTS)) == sent
    leaks()


def test_two_live_loops_in_two_threads_at_once_each_get_their_own_session(
    mock: MockPlexy, leaks: Callable[[], None]
) -> None:
    """Both loops hold their sessions at the same time (a barrier between their calls)."""
    log = SessionLog()
    client = new_client(mock, log)
    both_alive = threading.Barrier(2, timeout=20)
    references = {name: [new_reference() for _ in range(10)] for name in ("a", "b")}
    keys: dict[str, list[str]] = {}

    async def work(name: str) -> None:
        mine = references[name]
        keys[name] = await charge_many(client, mine[:5])
        await asyncio.to_thread(both_alive.wait)
        keys[name] += await charge_many(client, mine[5:])

    threads = [threading.Thread(target=asyncio.run, args=(work(n),)) for n in references]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(keys) == ["a", "b"]
    assert_charged_once_each(mock, references["a"] + references["b"], keys["a"] + keys["b"])
    # One session per loop: each used by one thread only, and closed as its loop ended.
    sessions = log.sessions
    assert len(sessions) == 2
    for session in sessions:
        assert len({thread for s, thread in log.used if s is session}) == 1
        assert session.closed
    asyncio.run(client.aclose())
    leaks()


def test_aclose_while_another_thread_s_loop_still_runs(
    mock: MockPlexy, leaks: Callable[[], None]
) -> None:
    """Its session is closed on its own loop; its next call raises ClientClosedError."""
    log = SessionLog()
    client = new_client(mock, log)
    used, closed = threading.Event(), threading.Event()
    reference = new_reference()
    outcome: dict[str, Any] = {}

    async def work() -> None:
        outcome["key"] = await charge(client, reference)
        used.set()
        await asyncio.to_thread(closed.wait, 20)
        session = log.sessions[0]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):  # aclose() scheduled the close on this loop
                while not session.closed:  # noqa: ASYNC110 - aiohttp has no event for it
                    await asyncio.sleep(0.005)
        outcome["session_closed"] = session.closed
        try:
            await charge(client, new_reference())
        except errors.PlexyError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=asyncio.run, args=(work(),))
    thread.start()
    assert used.wait(20)
    asyncio.run(client.aclose())
    closed.set()
    thread.join(30)
    assert outcome["session_closed"] is True
    assert isinstance(outcome["error"], errors.ClientClosedError)
    assert_charged_once_each(mock, [reference], [outcome["key"]])
    leaks()


def test_loop_ended_with_a_request_in_flight(mock: MockPlexy, leaks: Callable[[], None]) -> None:
    """asyncio.run() cancels the call left running; the next loop charges normally."""
    client = new_client(mock)
    slow, reference = new_reference(), new_reference()
    mock.faults.add(*PAYMENTS, Fault.delay(5.0))

    async def leave_one_running() -> None:
        task = asyncio.create_task(charge(client, slow))
        async with asyncio.timeout(10):
            while mock.ledger.in_flight == 0:  # noqa: ASYNC110 - the server's counter
                await asyncio.sleep(0.005)
        assert not task.done()

    asyncio.run(leave_one_running())
    key = asyncio.run(charge(client, reference))
    assert_charged_once_each(mock, [reference], [key])
    asyncio.run(client.aclose())
    leaks()


class TestBorrowedSession:
    """A session passed as session= is never replaced or closed by the client."""

    def test_in_another_loop_or_after_its_loop_closed_raises_configuration_error(
        self, mock: MockPlexy, leaks: Callable[[], None]
    ) -> None:
        own = asyncio.new_event_loop()
        session = own.run_until_complete(_make_session())
        client = PlexyClient(api_key=mock.api_key, base_url=mock.url, session=session)
        reference = new_reference()
        key = own.run_until_complete(charge(client, reference))  # its own loop: fine
        sent = len(mock.ledger.requests_to(*PAYMENTS))

        with pytest.raises(errors.ConfigurationError, match=r"not the one running"):
            asyncio.run(charge(client, new_reference()))  # another loop, its own still open

        own.run_until_complete(session.close())  # the owner closes it, then its loop
        own.close()
        for run in (run_asyncio, run_bare_loop, run_in_thread):
            with pytest.raises(errors.ConfigurationError, match="closed") as caught:
                run(charge(client, new_reference()))
            assert "session=" in str(caught.value)
            assert not isinstance(caught.value.__cause__, RuntimeError)

        assert len(mock.ledger.requests_to(*PAYMENTS)) == sent  # nothing more was sent
        assert_charged_once_each(mock, [reference], [key])
        run_asyncio(client.aclose())
        leaks()

    def test_aclose_leaves_it_open(self, mock: MockPlexy) -> None:
        async def scenario() -> None:
            async with aiohttp.ClientSession() as session:
                client = PlexyClient(api_key=mock.api_key, base_url=mock.url, session=session)
                await charge(client, new_reference())
                await client.aclose()
                assert not session.closed

        asyncio.run(scenario())

    def test_closed_by_its_owner_raises_client_closed_error(self, mock: MockPlexy) -> None:
        async def scenario() -> None:
            async with aiohttp.ClientSession() as session:
                client = PlexyClient(api_key=mock.api_key, base_url=mock.url, session=session)
                await charge(client, new_reference())
            with pytest.raises(errors.ClientClosedError, match="session= is closed"):
                await charge(client, new_reference())
            await client.aclose()

        asyncio.run(scenario())


async def _make_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


class TestBatch:
    def test_made_outside_any_loop_runs_in_a_later_one(self, mock: MockPlexy) -> None:
        batch = Batch(batch_id=new_reference(), secret="s3cr3t", concurrency=4)
        client = PlexyClient(
            api_key=mock.api_key,
            base_url=mock.url,
            retry=FAST,
            pool=batch.pool_limits(),
            trace_configs=[batch.trace_config()],
        )
        asyncio.run(charge(client, new_reference()))  # the client ran in a loop before
        items = [_item(new_reference()) for _ in range(8)]
        mock.faults.add(*PAYMENTS, Fault.status(429, retry_after=0.01), times=1)
        summary = asyncio.run(batch.run(client, items, "payments.create"))
        assert summary.processed == 8 and summary.rate_limit_pauses == 1
        for item in items:
            charges = mock.ledger.charges_for(item.id)
            assert [c.idempotency_key for c in charges] == [batch.key_for(item.id)]
        asyncio.run(client.aclose())

    def test_a_429_in_another_loop_leaves_the_batch_gate_alone(self, mock: MockPlexy) -> None:
        batch = Batch(batch_id=new_reference(), secret="s3cr3t", concurrency=2)
        client = PlexyClient(
            api_key=mock.api_key,
            base_url=mock.url,
            retry=RetryPolicy(max_attempts=1),
            pool=batch.pool_limits(),
            trace_configs=[batch.trace_config()],
        )
        summary = asyncio.run(batch.run(client, [_item(new_reference())], "payments.create"))
        assert summary.processed == 1 and summary.rate_limit_pauses == 0
        # The trace config stays on the client: a 429 it sees later, in other loops (this
        # thread's next one, another thread's), is not the finished batch's business.
        for run in (run_asyncio, run_in_thread):
            mock.faults.add(*PAYMENTS, Fault.status(429, retry_after=30), times=1)
            with pytest.raises(errors.RateLimitError):
                run(charge(client, new_reference()))
        assert batch.stats.rate_limit_pauses == 0
        asyncio.run(client.aclose())


def _item(reference: str) -> BatchItem:
    return BatchItem(
        reference,
        {
            "amount": Amount(500, "EUR"),
            "reference": reference,
            "merchant_account": "TestMerchant",
            "payment_method": VISA,
        },
    )


# -- the whole kind: any sequence of loops, any closer ------------------------------------------

loop_kinds = st.sampled_from(sorted(RUNNERS))


@settings(max_examples=12, deadline=None)
@given(
    steps=st.lists(st.tuples(loop_kinds, st.integers(1, 3)), min_size=1, max_size=4),
    closer=loop_kinds,
)
def test_any_sequence_of_loops_then_aclose_anywhere(
    mock: MockPlexy, steps: list[tuple[str, int]], closer: str
) -> None:
    """Whatever loops the client runs in, one after another, and whichever closes it: every
    call charges once, no asyncio error escapes, nothing leaks."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        unraisable: list[Any] = []
        hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
        try:
            client = new_client(mock)
            references: list[str] = []
            keys: list[str] = []
            for kind, calls in steps:
                batch = [new_reference() for _ in range(calls)]
                keys += RUNNERS[kind](charge_many(client, batch))
                references += batch
            RUNNERS[closer](client.aclose())
            del client
            gc.collect()
        finally:
            sys.unraisablehook = hook
    assert_charged_once_each(mock, references, keys)
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert [SimpleNamespace(exc=u.exc_value, obj=u.object) for u in unraisable] == []


def test_uvloop_and_the_default_loop_take_turns(mock: MockPlexy, leaks: Callable[[], None]) -> None:
    uvloop = pytest.importorskip("uvloop")
    client = new_client(mock)
    references = [new_reference() for _ in range(3)]
    keys = []
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        keys.append(runner.run(charge(client, references[0])))
    keys.append(asyncio.run(charge(client, references[1])))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        keys.append(runner.run(charge(client, references[2])))
        runner.run(client.aclose())
    assert_charged_once_each(mock, references, keys)
    leaks()


def test_over_tls_a_loop_closed_alone_leaves_nothing_behind(leaks: Callable[[], None]) -> None:
    """The connections of a loop closed without finalising its async generators are released
    by the client's next loop; under TLS too (the socket is beneath the TLS transport)."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    server = ServerThread(tls=server_context)
    mock = server.start()
    try:
        client = PlexyClient(
            api_key=mock.api_key, base_url=server.url, ssl=client_context, retry=FAST
        )
        references = [new_reference() for _ in range(4)]
        keys = run_bare_loop(charge_many(client, references[:2]))
        keys += run_bare_loop(charge_many(client, references[2:3]))
        keys.append(asyncio.run(charge(client, references[3])))
        run_bare_loop(client.aclose())
        assert_charged_once_each(mock, references, keys)
    finally:
        server.stop()
    leaks()
