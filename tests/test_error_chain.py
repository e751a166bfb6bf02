"""No secret and no foreign exception reachable from any library error (issue 10, point 1).

Every error the fault tests can produce is walked (``chain_support.assert_clean``): the mock's
every fault kind (every status with every error-body shape, delays and deadlines, drops,
truncation, redirects, invalid JSON, oversize bodies), malformed HTTP from a raw TCP server on
both API surfaces, a dead server and a dead proxy with credentials, and the errors raised
without any I/O (validation, webhooks, configuration). Each request carries a card number and
a CVC; the API key is sent as ``x-api-key`` (Checkout) or ``Authorization`` (Pay API). No walk
may find an aiohttp, asyncio or json object, the API key, the full card number, the CVC or the
proxy password.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from chain_support import (
    API_KEY,
    CARD,
    CVC,
    PROXY_PASSWORD,
    assert_clean,
    card_payment,
    direct_payment,
    raw_server,
    walk,
)

from plexy_async import (
    PlexyClient,
    PoolLimits,
    RequestOptions,
    RetryPolicy,
    Timeouts,
    errors,
    webhooks,
)
from plexy_async._core.converter import structure
from plexy_async.models import PaymentResponse
from plexy_async.models.checkout import CardDetails
from plexy_async.resources._base import build
from plexy_async.testing import Fault, MockPlexy
from plexy_async.testing._error_bodies import SHAPES

PAYMENTS = ("POST", "/v2/payments")
DIRECT = ("POST", "/v1/payments/direct")
NO_RETRY = RequestOptions(retry=RetryPolicy.disabled())
FAST = RetryPolicy(max_attempts=2, initial_delay=0.001, max_delay=0.002)
STATUSES = (301, 400, 401, 402, 403, 404, 405, 408, 409, 418, 422, 429, 500, 502, 503, 504)

Call = Callable[[PlexyClient], Awaitable[Any]]


async def raised(call: Awaitable[Any]) -> errors.PlexyError:
    with pytest.raises(errors.PlexyError) as caught:
        await call
    return caught.value


def client_for(url: str, **kwargs: Any) -> PlexyClient:
    return PlexyClient(api_key=API_KEY, base_url=url, **kwargs)


def messages(error: BaseException) -> str:
    """Every message along the chain of library errors, joined."""
    return " | ".join(str(obj) for _, obj in walk(error) if isinstance(obj, errors.PlexyError))


def causes(error: BaseException) -> list[str]:
    return [
        obj.cause
        for _, obj in walk(error)
        if isinstance(obj, errors.PlexyError) and obj.cause is not None
    ]


# --- malformed HTTP, from a raw TCP server ------------------------------------------------------


def _echo_in_status_line(request: bytes) -> bytes:
    """A hostile answer: the request (API key, card, CVC) echoed in a malformed status line."""
    return b"HTTP/1.1 2x0 " + request.replace(b"\r\n", b" ") + b"\r\n\r\n"


def _echo_in_header_line(request: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\n" + request.replace(b"\r\n", b" ") + b"\r\nContent-Length: 0\r\n\r\n"
    )


MALFORMED: dict[str, tuple[bytes | Callable[[bytes], bytes], str]] = {
    # name: (answer, what the message must say)
    "bad status code": (b"HTTP/1.1 2x0 WHAT\r\nContent-Length: 0\r\n\r\n", "malformed HTTP"),
    "not HTTP at all": (b"hello, this is not HTTP\r\n\r\n", "malformed HTTP"),
    "bad version": (b"HTTP/9.x 200 OK\r\nContent-Length: 0\r\n\r\n", "malformed HTTP"),
    "bad header line": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nNo Colon Here\r\n\r\n{}",
        "malformed HTTP",
    ),
    "bad content-length": (
        b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n{}",
        "malformed HTTP",
    ),
    "bad chunk size": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        "malformed",
    ),
    "header too long": (
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 20000 + b"\r\n\r\n",
        "malformed HTTP",
    ),
    "bad gzip body": (
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!",
        "could not be decoded",
    ),
    "body cut off": (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}", "cut off"),
    "closed without answer": (b"", "closed the connection"),
    "request echoed in status line": (_echo_in_status_line, "malformed HTTP"),
    "request echoed in header line": (_echo_in_header_line, "malformed HTTP"),
}
SURFACES: dict[str, Call] = {
    "checkout x-api-key": lambda client: card_payment(client, "malformed-1", options=NO_RETRY),
    "pay authorization": lambda client: direct_payment(client, options=NO_RETRY),
}


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("answer", MALFORMED)
async def test_malformed_http_answers_leave_nothing_foreign_or_secret(
    answer: str, surface: str
) -> None:
    raw, expected = MALFORMED[answer]
    async with raw_server(raw) as server, client_for(server.url) as client:
        error = await raised(SURFACES[surface](client))
    assert len(server.requests) == 1  # the server's ledger: one request, and it carried
    sent = server.requests[0]  # the key and the card data the error must not show
    assert CARD.encode() in sent and CVC.encode() in sent
    assert API_KEY.encode() in sent
    assert isinstance(error, errors.APIConnectionError)
    text = messages(error)
    assert expected in text
    assert "connection failed" not in text
    summaries = causes(error)
    assert summaries, "the foreign exception's summary is kept as `cause`"
    assert all(":" in s or s.isidentifier() for s in summaries)
    assert assert_clean(error) > 3


async def test_a_malformed_answer_is_retried_when_safe_and_every_error_is_clean() -> None:
    answer = MALFORMED["bad status code"][0]
    async with raw_server(answer) as server, client_for(server.url, retry=FAST) as client:
        error = await raised(card_payment(client, "malformed-retried"))
    assert len(server.requests) == 2  # the keyed POST was sent again, with the same key
    keys = {line for r in server.requests for line in r.split(b"\r\n") if b"dempotency" in line}
    assert len(keys) == 1
    assert isinstance(error, errors.OutcomeUnknownError)  # it may have been processed
    assert "malformed HTTP response" in str(error)
    assert_clean(error)


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000, b"\xff\xfe{}"])
async def test_an_unreadable_success_body_is_a_library_error(body: bytes) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    async with raw_server(head % len(body) + body) as server, client_for(server.url) as client:
        error = await raised(client.merchant.retrieve(options=NO_RETRY))
    assert len(server.requests) == 1
    assert isinstance(error, errors.ResponseDecodeError)  # not a RecursionError from json
    assert_clean(error)


# --- every fault of the mock --------------------------------------------------------------------


def _fault_cases() -> list[tuple[str, Fault, int | None]]:
    cases: list[tuple[str, Fault, int | None]] = []
    for status in STATUSES:
        for shape in sorted(SHAPES):
            if status < 400 and shape != "empty":
                continue
            retry_after = 0 if status in (429, 503) else None
            cases.append((f"{status}-{shape}", Fault.status(status, shape, retry_after), None))
    cases += [
        ("redirect", Fault.redirect("http://127.0.0.1:9/elsewhere"), None),
        ("drop_before", Fault.drop_before(), None),
        ("drop_after_commit", Fault.drop_after_commit(), None),
        ("truncated", Fault.truncated(), None),
        ("invalid_json", Fault.invalid_json(), None),
        ("oversize", Fault.oversize(64 * 1024), None),
        ("delay", Fault.delay(1.0), None),
    ]
    return cases


FAULTS = _fault_cases()


@pytest.mark.parametrize(("name", "fault", "_"), FAULTS, ids=[c[0] for c in FAULTS])
async def test_every_mock_fault_gives_a_clean_error_chain(name: str, fault: Fault, _: Any) -> None:
    async with MockPlexy(api_key=API_KEY) as mock:
        mock.faults.add(*PAYMENTS, fault, times=None)
        async with client_for(
            mock.url,
            retry=FAST,
            timeouts=Timeouts(attempt=0.1, deadline=0.5),
            pool=PoolLimits(max_response_bytes=16 * 1024),
        ) as client:
            error = await raised(card_payment(client, f"fault-{name}"))
        requests = mock.ledger.requests_to(*PAYMENTS)
        charges = len(mock.ledger.charges)
    assert 1 <= len(requests) <= FAST.max_attempts
    assert all(r.fault == fault.name for r in requests)
    assert len({r.idempotency_key for r in requests}) == 1  # retried under one key
    if name in ("drop_after_commit", "truncated"):
        assert charges == 1
    elif not fault.processes:
        assert charges == 0
    else:  # a delay: the server may or may not get to charge before the client leaves
        assert charges <= 1
    assert_clean(error)


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 500, 503])
async def test_pay_api_faults_give_clean_error_chains(status: int, shape: str) -> None:
    async with MockPlexy(api_key=API_KEY) as mock:
        mock.faults.add(*DIRECT, Fault.status(status, shape), times=None)
        async with client_for(mock.url, retry=FAST) as client:
            error = await raised(direct_payment(client))
        assert len(mock.ledger.requests_to(*DIRECT)) >= 1
    assert isinstance(error, errors.APIStatusError | errors.OutcomeUnknownError)
    assert_clean(error)


async def test_the_calls_deadline_leaves_no_asyncio_exception() -> None:
    # attempt + 1 s > deadline: the retry layer's own asyncio.timeout ends the call.
    async with MockPlexy(api_key=API_KEY) as mock:
        mock.faults.add(*PAYMENTS, Fault.delay(2.0), times=None)
        async with client_for(mock.url, timeouts=Timeouts(attempt=1.0, deadline=0.2)) as client:
            error = await raised(card_payment(client, "deadline"))
        assert len(mock.ledger.requests_to(*PAYMENTS)) == 1
    assert isinstance(error, errors.OutcomeUnknownError)  # a keyed charge that may have landed
    timeout = error.__cause__
    assert isinstance(timeout, errors.APITimeoutError)
    assert "deadline" in str(timeout)
    assert timeout.__context__ is None and timeout.__cause__ is None  # no asyncio TimeoutError
    assert_clean(error)


# --- no server, or a proxy in the way -----------------------------------------------------------


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_refused_connection_is_clean() -> None:
    async with client_for(f"http://127.0.0.1:{_dead_port()}", retry=FAST) as client:
        error = await raised(card_payment(client, "refused"))
    assert isinstance(error, errors.ConnectError)
    assert error.cause is not None and error.cause.startswith("ClientConnectorError")
    assert_clean(error)


async def test_a_dead_proxy_with_credentials_is_clean() -> None:
    proxy = f"http://puser:{PROXY_PASSWORD}@127.0.0.1:{_dead_port()}"
    async with client_for("http://127.0.0.1:9", proxy=proxy, retry=FAST) as client:
        error = await raised(card_payment(client, "proxied"))
    assert isinstance(error, errors.ConnectError)
    assert_clean(error)


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 2x0 WHAT\r\n\r\n",
        b"",
    ],
    ids=["407", "malformed", "closed"],
)
async def test_a_broken_proxy_with_credentials_is_clean(answer: bytes) -> None:
    async with raw_server(answer) as proxy_server:
        proxy = f"http://puser:{PROXY_PASSWORD}@127.0.0.1:{proxy_server.port}"
        async with client_for("https://127.0.0.1:9", proxy=proxy, retry=FAST) as client:
            error = await raised(card_payment(client, "proxied", options=NO_RETRY))
    assert proxy_server.requests, "the proxy was asked"
    assert isinstance(error, errors.APIConnectionError)
    assert_clean(error)


# --- errors raised without I/O ------------------------------------------------------------------


def test_a_validation_error_keeps_no_converter_exception() -> None:
    bad = {"pspReference": 4242424242424242, "resultCode": ["x"], "cvc": CVC}
    with pytest.raises(errors.ResponseValidationError) as caught:
        structure(bad, PaymentResponse)
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    assert_clean(caught.value)


def test_a_bad_request_object_keeps_no_validator_exception() -> None:
    with pytest.raises(errors.InvalidRequestError) as caught:
        build(CardDetails, number=CARD, cvc=CVC, no_such_field=1)
    assert caught.value.__context__ is None
    assert_clean(caught.value)


@pytest.mark.parametrize(
    "construct",
    [
        lambda: webhooks.construct_pay_event(b"\xff\xfe", f"Bearer {API_KEY}", API_KEY),
        lambda: webhooks.construct_pay_event(b"{not json", f"Bearer {API_KEY}", API_KEY),
        lambda: webhooks.construct_pay_event(b'{"id": 1}', f"Bearer {API_KEY}", API_KEY),
        lambda: webhooks.construct_notification(b"{", "00" * 32),
        lambda: webhooks.construct_notification(b"{}", "not hex"),
        lambda: webhooks.verify_notification_item(
            {"additionalData": {"hmacSignature": "%%%"}}, "00" * 32
        ),
        lambda: webhooks.construct_checkout_event(b"{}", "t=x,v1=y", API_KEY),
        lambda: PlexyClient(api_key=API_KEY, environment="moon"),
    ],
    ids=["not utf-8", "not json", "not an event", "cut", "bad key", "bad base64", "header", "env"],
)
def test_errors_raised_without_io_keep_no_foreign_exception(construct: Callable[[], Any]) -> None:
    with pytest.raises(errors.PlexyError) as caught:
        construct()
    assert caught.value.__context__ is None or isinstance(
        caught.value.__context__, errors.PlexyError
    )
    assert_clean(caught.value)


def test_the_walker_finds_what_it_looks_for() -> None:
    # The walker itself must fail on each kind of leak, or the tests above prove nothing.
    leaks: list[BaseException] = []
    try:
        raise errors.ServerError("x", status=500) from ValueError("foreign")
    except errors.ServerError as exc:
        leaks.append(exc)
    hidden = errors.APIConnectionError("y")
    hidden.__context__ = OSError("context")
    leaks.append(hidden)
    with_key = errors.APIConnectionError("z")
    with_key.method = API_KEY  # as if an attribute held the key
    leaks.append(with_key)
    spaced = errors.ResponseDecodeError("w")
    spaced.body = "4242 4242 4242 4242"  # type: ignore[attr-defined]
    leaks.append(spaced)
    cvc = errors.ResponseDecodeError("v")
    cvc.args = ("cvc", CVC)
    leaks.append(cvc)
    for leak in leaks:
        with pytest.raises(AssertionError):
            assert_clean(leak)
