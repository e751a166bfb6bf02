"""Retries, idempotency and error translation over loopback, checked against the mock's ledger."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import aiohttp
import pytest

from plexy_async import (
    Amount,
    CardDetails,
    PlexyClient,
    RequestOptions,
    RetryPolicy,
    Timeouts,
    errors,
)
from plexy_async.testing import Fault, MockPlexy

PAYMENTS = ("POST", "/v2/payments")
VISA = CardDetails(number="4242424242424242", cvc="123", expiry_month="03", expiry_year="2030")


async def pay(client: PlexyClient, reference: str = "order-1", **kwargs: Any) -> Any:
    return await client.payments.create(
        amount=Amount(10000, "KZT"),
        reference=reference,
        merchant_account="TestMerchant",
        payment_method=VISA,
        **kwargs,
    )


def keys_sent(mock: MockPlexy) -> list[str | None]:
    return [r.idempotency_key for r in mock.ledger.requests_to(*PAYMENTS)]


async def test_503_503_200_is_three_attempts_one_key_one_charge(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.status(503), times=2)
    payment = await pay(client)
    assert payment.result_code == "Authorised"
    keys = keys_sent(mock_plexy)
    assert len(keys) == 3
    assert len(set(keys)) == 1 and keys[0] is not None
    assert len(mock_plexy.ledger.charges) == 1
    assert payment.meta.attempts == 3
    assert payment.meta.idempotency_key == keys[0]


async def test_commit_then_drop_is_retried_with_the_same_key_one_charge(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.drop_after_commit())
    payment = await pay(client)
    keys = keys_sent(mock_plexy)
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(mock_plexy.ledger.charges) == 1
    assert payment.psp_reference == mock_plexy.ledger.charges[0].psp_reference


async def test_commit_then_drop_without_retries_is_outcome_unknown_with_the_key(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.drop_after_commit())
    off = RequestOptions(retry=RetryPolicy.disabled())
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        await pay(client, idempotency_key="order-1-attempt", options=off)
    assert caught.value.idempotency_key == "order-1-attempt"
    assert "order-1-attempt" in str(caught.value)
    assert len(mock_plexy.ledger.charges) == 1
    # Retrying with the key the error carries learns the outcome without a second charge.
    again = await pay(client, idempotency_key=caught.value.idempotency_key)
    assert again.psp_reference == mock_plexy.ledger.charges[0].psp_reference
    assert len(mock_plexy.ledger.charges) == 1


async def test_a_5xx_after_a_possibly_delivered_attempt_is_outcome_unknown(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    # Attempt 1 is charged and then dropped; attempts 2 and 3 meet a struggling server. A plain
    # ServerError would invite a retry under a new key: a second charge.
    mock_plexy.faults.add(*PAYMENTS, Fault.drop_after_commit())
    mock_plexy.faults.add(*PAYMENTS, Fault.status(503), times=2)  # queued after the drop
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        await pay(client, idempotency_key="order-7")
    assert caught.value.idempotency_key == "order-7"
    assert caught.value.attempts == 3
    assert isinstance(caught.value.__cause__, errors.ServerError)
    assert len(mock_plexy.ledger.charges) == 1
    again = await pay(client, idempotency_key="order-7")
    assert again.psp_reference == mock_plexy.ledger.charges[0].psp_reference
    assert len(mock_plexy.ledger.charges) == 1


async def test_a_4xx_after_a_5xx_stays_a_plain_error(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.status(503))
    mock_plexy.faults.add(*PAYMENTS, Fault.status(422))  # queued after the 503
    with pytest.raises(errors.UnprocessableEntityError) as caught:
        await pay(client)
    assert caught.value.attempts == 2
    assert mock_plexy.ledger.charges == []


async def test_truncated_body_on_a_keyed_post_is_retried(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.truncated())
    await pay(client)
    assert len(keys_sent(mock_plexy)) == 2
    assert len(mock_plexy.ledger.charges) == 1


async def test_429_retry_after_is_honoured(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.status(429, retry_after=1))
    started = time.monotonic()
    await pay(client)
    assert time.monotonic() - started >= 1.0
    assert len(keys_sent(mock_plexy)) == 2
    assert len(mock_plexy.ledger.charges) == 1


async def test_retry_after_beyond_the_deadline_gives_up_at_once(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.status(429, retry_after=120))
    with pytest.raises(errors.RateLimitError) as caught:
        await pay(client)
    assert caught.value.retry_after == 120
    assert len(keys_sent(mock_plexy)) == 1
    assert mock_plexy.ledger.charges == []


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (402, errors.CardError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (422, errors.UnprocessableEntityError),
    ],
)
async def test_client_errors_are_never_retried(
    mock_plexy: MockPlexy, client: PlexyClient, status: int, cls: type[errors.APIStatusError]
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.status(status), times=3)
    with pytest.raises(cls) as caught:
        await pay(client)
    assert caught.value.status == status
    assert caught.value.attempts == 1
    assert len(keys_sent(mock_plexy)) == 1
    assert mock_plexy.ledger.charges == []


async def test_html_502_becomes_server_error_with_clean_snippet(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add("GET", "/v1/payment-links", Fault.status(502, shape="html"), times=3)
    with pytest.raises(errors.ServerError) as caught:
        await client.payment_links.list().page()
    exc = caught.value
    assert exc.status == 502
    assert exc.attempts == 3
    assert "<" not in exc.body_snippet and "Bad Gateway" in exc.body_snippet


async def test_a_write_that_ends_on_5xx_is_outcome_unknown_with_the_status_behind_it(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    # Plexy's docs answer a 5xx with "retry with the same key": a 5xx may come after the commit,
    # so a write whose retries all end on one must be re-sent with its key, never re-keyed.
    mock_plexy.faults.add(*PAYMENTS, Fault.status(502, shape="html"), times=3)
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        await pay(client, idempotency_key="order-1-5xx")
    exc = caught.value
    assert exc.idempotency_key == "order-1-5xx" and exc.attempts == 3
    assert "order-1-5xx" in str(exc)
    last = exc.__cause__
    assert isinstance(last, errors.ServerError) and last.status == 502
    assert "<" not in last.body_snippet and "Bad Gateway" in last.body_snippet
    assert mock_plexy.ledger.charges == []


@pytest.mark.parametrize(
    ("shape", "status", "field", "expected"),
    [
        ("checkout", 400, "type", "invalid_request_error"),
        ("pay", 422, "type", "validationError"),
        ("problem", 422, "field_errors", True),
        ("adyen", 422, "code", True),
        ("message", 403, "message", True),
        ("text", 504, "message", None),
        ("empty", 500, "message", None),
    ],
)
async def test_every_error_shape_over_the_wire(
    mock_plexy: MockPlexy,
    client: PlexyClient,
    shape: str,
    status: int,
    field: str,
    expected: object,
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.status(status, shape=shape), times=3)
    expected_error = errors.OutcomeUnknownError if status >= 500 else errors.APIStatusError
    with pytest.raises(expected_error) as caught:
        await pay(client, options=RequestOptions(retry=RetryPolicy.disabled()))
    # A write ending on a 5xx is outcome-unknown; the status error is its cause.
    error = caught.value if status < 500 else caught.value.__cause__
    assert isinstance(error, errors.APIStatusError)
    value = getattr(error.detail, field)
    if expected is True:
        assert value
    else:
        assert value == expected
    assert error.status == status


async def test_200_with_invalid_json_on_a_write_is_resent_with_its_key(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.invalid_json())
    payment = await pay(client)
    keys = keys_sent(mock_plexy)
    assert len(keys) == 2 and keys[0] == keys[1] == payment.meta.idempotency_key
    assert len(mock_plexy.ledger.charges) == 1


async def test_200_with_invalid_json_on_a_read_is_a_decode_error(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add("GET", "/v1/payment-links", Fault.invalid_json())
    with pytest.raises(errors.ResponseDecodeError) as caught:
        await client.payment_links.list().page()
    assert caught.value.status == 200
    assert not isinstance(caught.value, errors.OutcomeUnknownError)
    assert len(mock_plexy.ledger.requests_to("GET", "/v1/payment-links")) == 1


async def test_oversize_body_is_refused(mock_plexy: MockPlexy) -> None:
    from plexy_async import PoolLimits

    mock_plexy.faults.add("GET", "/v1/payment-links", Fault.oversize(200_000))
    async with PlexyClient(
        api_key=mock_plexy.api_key,
        base_url=mock_plexy.url,
        pool=PoolLimits(max_response_bytes=64 * 1024),
    ) as client:
        with pytest.raises(errors.ResponseTooLargeError, match="cap") as caught:
            await client.payment_links.list().page()
    assert not isinstance(caught.value, errors.OutcomeUnknownError)


async def test_cross_origin_redirect_is_not_followed(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    async with MockPlexy() as other:  # a second origin on loopback
        mock_plexy.faults.add(*PAYMENTS, Fault.redirect(other.url + "/v2/payments"))
        with pytest.raises(errors.RedirectError) as caught:
            await pay(client)
        assert caught.value.status == 302
        assert other.ledger.requests == []
    assert mock_plexy.ledger.charges == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_refused_connection_is_retried_then_raises_connect_error() -> None:
    async with PlexyClient(
        api_key="sk_test",
        base_url=f"http://127.0.0.1:{_closed_port()}",
        retry=RetryPolicy(initial_delay=0.01),
    ) as client:
        with pytest.raises(errors.ConnectError) as caught:
            await pay(client)
    assert caught.value.attempts == 3
    assert caught.value.maybe_sent is False


async def test_hung_server_is_cut_off_by_the_overall_deadline(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add("POST", "/v2/paymentMethods", Fault.delay(30), times=5)
    options = RequestOptions(timeouts=Timeouts(attempt=20, read=20, deadline=0.5))
    started = time.monotonic()
    with pytest.raises(errors.APITimeoutError, match="deadline"):
        await client.payment_methods.list(merchant_account="TestMerchant", options=options)
    assert time.monotonic() - started < 5


async def test_hung_payment_past_the_deadline_is_outcome_unknown(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.delay(30))
    options = RequestOptions(timeouts=Timeouts(deadline=0.3))
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        await pay(client, idempotency_key="hung-1", options=options)
    assert caught.value.idempotency_key == "hung-1"


async def test_read_timeout_on_a_keyed_post_is_retried_with_the_same_key(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.delay(5))
    options = RequestOptions(timeouts=Timeouts(attempt=0.3, read=0.3, deadline=10))
    payment = await pay(client, options=options)
    keys = keys_sent(mock_plexy)
    assert len(keys) >= 2 and len(set(keys)) == 1
    assert payment.meta.attempts >= 2


async def test_cancelling_mid_flight_leaves_the_client_working(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.delay(30))
    task = asyncio.create_task(pay(client, reference="cancelled"))
    while not mock_plexy.ledger.requests_to(*PAYMENTS):  # noqa: ASYNC110 - polling the mock
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    payment = await pay(client, reference="after-cancel")
    assert payment.result_code == "Authorised"
    assert [c.reference for c in mock_plexy.ledger.charges] == ["after-cancel"]


async def test_a_bad_idempotency_key_sends_nothing(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    for bad in ("", "k" * 256, "bad\nkey", "ключ"):
        with pytest.raises(errors.InvalidRequestError):
            await pay(client, idempotency_key=bad)
    assert mock_plexy.ledger.requests == []


async def test_caller_key_is_sent_and_reused(mock_plexy: MockPlexy, client: PlexyClient) -> None:
    first = await pay(client, idempotency_key="order-42")
    second = await pay(client, idempotency_key="order-42")
    assert keys_sent(mock_plexy) == ["order-42", "order-42"]
    assert first.psp_reference == second.psp_reference
    assert len(mock_plexy.ledger.charges) == 1


async def test_same_key_different_body_is_an_idempotency_conflict(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    await pay(client, reference="a", idempotency_key="shared")
    with pytest.raises(errors.ConflictError) as caught:
        await pay(client, reference="b", idempotency_key="shared")
    assert caught.value.detail.type == "idempotency_error"
    assert caught.value.attempts == 1
    assert len(mock_plexy.ledger.charges) == 1


async def test_using_a_closed_client_is_a_clear_error(mock_plexy: MockPlexy) -> None:
    client = PlexyClient(api_key=mock_plexy.api_key, base_url=mock_plexy.url)
    await pay(client)
    await client.aclose()
    with pytest.raises(errors.ClientClosedError):
        await pay(client)
    await client.aclose()  # twice is fine


async def test_borrowed_session_is_used_and_left_open(mock_plexy: MockPlexy) -> None:
    async with aiohttp.ClientSession() as session:
        async with PlexyClient(
            api_key=mock_plexy.api_key, base_url=mock_plexy.url, session=session
        ) as client:
            await pay(client)
        assert not session.closed
        async with session.get(mock_plexy.url + "/v2/unknown") as resp:
            assert resp.status == 401  # still usable: no key, so the mock refuses
    assert len(mock_plexy.ledger.charges) == 1


async def test_trace_configs_pass_through_with_the_operation_and_attempt(
    mock_plexy: MockPlexy,
) -> None:
    started: list[tuple[str, dict[str, Any]]] = []

    async def on_start(_: Any, ctx: Any, params: aiohttp.TraceRequestStartParams) -> None:
        started.append((params.method, dict(ctx.trace_request_ctx)))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    mock_plexy.faults.add(*PAYMENTS, Fault.status(503))
    async with PlexyClient(
        api_key=mock_plexy.api_key,
        base_url=mock_plexy.url,
        trace_configs=[trace],
        retry=RetryPolicy(initial_delay=0.01),
    ) as client:
        payment = await pay(client)
    key = payment.meta.idempotency_key
    assert started == [
        ("POST", {"operation": "payments.create", "attempt": 1, "idempotency_key": key}),
        ("POST", {"operation": "payments.create", "attempt": 2, "idempotency_key": key}),
    ]


async def test_connections_are_reused(mock_plexy: MockPlexy) -> None:
    created: list[int] = []

    async def on_create(_: Any, __: Any, ___: Any) -> None:
        created.append(1)

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_create)
    async with PlexyClient(
        api_key=mock_plexy.api_key, base_url=mock_plexy.url, trace_configs=[trace]
    ) as client:
        for i in range(20):
            await pay(client, reference=f"reuse-{i}")
    assert len(created) == 1
    assert len(mock_plexy.ledger.charges) == 20
