"""A write answered 2xx with an unreadable body took effect: it is retried, never a plain failure.

Checked against the server's own charge ledger: the bundled mock for its ``garbled_after_commit``
fault, and a small fault server for other kinds of unreadable body.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from plexy_async import (
    Amount,
    CardDetails,
    PlexyClient,
    PoolLimits,
    RequestOptions,
    RetryPolicy,
    errors,
)
from plexy_async.testing import Fault, MockPlexy

PAYMENTS = ("POST", "/v2/payments")
FAST_RETRY = RetryPolicy(initial_delay=0.01, max_delay=0.05)
VISA = CardDetails(number="4242424242424242", cvc="123", expiry_month="03", expiry_year="2030")


async def pay(client: PlexyClient, **kwargs: Any) -> Any:
    return await client.payments.create(
        amount=Amount(10000, "KZT"),
        reference="order-1",
        merchant_account="TestMerchant",
        payment_method=VISA,
        **kwargs,
    )


async def test_garbled_then_clean_replay_is_one_charge_and_a_success(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.garbled_after_commit())
    payment = await pay(client)
    assert len(mock_plexy.ledger.charges) == 1
    assert payment.psp_reference == mock_plexy.ledger.charges[0].psp_reference
    keys = [r.idempotency_key for r in mock_plexy.ledger.requests_to(*PAYMENTS)]
    assert len(keys) == 2 and keys[0] == keys[1] == payment.meta.idempotency_key
    assert payment.meta.attempts == 2


async def test_garbled_every_time_is_an_outcome_the_caller_must_resend_for(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.garbled_after_commit(), times=None)
    with pytest.raises(errors.UnreadableOutcomeError) as caught:
        await pay(client, idempotency_key="order-1-key")
    exc = caught.value
    # Both signals: "re-send with the key" (the README's rule) and "the body was unreadable".
    assert isinstance(exc, errors.OutcomeUnknownError)
    assert isinstance(exc, errors.ResponseDecodeError)
    assert exc.status == 200
    assert exc.idempotency_key == "order-1-key"
    assert exc.attempts == 3
    assert "order-1-key" in str(exc) and "re-send" in str(exc)
    assert len(mock_plexy.ledger.charges) == 1
    # Following the error's advice reads the stored answer: still one charge.
    mock_plexy.faults.clear()
    again = await pay(client, idempotency_key=exc.idempotency_key)
    assert again.psp_reference == mock_plexy.ledger.charges[0].psp_reference
    assert len(mock_plexy.ledger.charges) == 1


async def test_garbled_without_retries_is_still_not_a_plain_failure(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.garbled_after_commit())
    off = RequestOptions(retry=RetryPolicy.disabled())
    with pytest.raises(errors.UnreadableOutcomeError) as caught:
        await pay(client, options=off)
    assert caught.value.idempotency_key is not None
    assert len(mock_plexy.ledger.charges) == 1


async def test_garbled_then_server_errors_stays_outcome_unknown(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add(*PAYMENTS, Fault.garbled_after_commit())
    mock_plexy.faults.add(*PAYMENTS, Fault.status(503), times=None)
    with pytest.raises(errors.OutcomeUnknownError) as caught:
        await pay(client)
    assert caught.value.idempotency_key is not None
    assert len(mock_plexy.ledger.charges) == 1


async def test_pay_api_write_garbled_then_replayed(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add("POST", "/v1/payment-links", Fault.garbled_after_commit())
    link = await client.payment_links.create(amount=5000, currency="KZT", description="Order 1")
    requests = mock_plexy.ledger.requests_to("POST", "/v1/payment-links")
    assert len(requests) == 2 and requests[0].idempotency_key == requests[1].idempotency_key
    assert link.meta.attempts == 2


async def test_a_read_with_an_unreadable_body_is_a_plain_decode_error(
    mock_plexy: MockPlexy, client: PlexyClient
) -> None:
    mock_plexy.faults.add("GET", "/v1/payment-links", Fault.garbled_after_commit(), times=None)
    with pytest.raises(errors.ResponseDecodeError) as caught:
        await client.payment_links.list().page()
    assert not isinstance(caught.value, errors.OutcomeUnknownError)
    assert caught.value.status == 200
    assert len(mock_plexy.ledger.requests_to("GET", "/v1/payment-links")) == 1


async def test_a_2xx_over_the_size_cap_on_a_write_is_resent_then_outcome_unknown(
    mock_plexy: MockPlexy,
) -> None:
    capped = PoolLimits(max_response_bytes=64 * 1024)
    async with PlexyClient(
        api_key=mock_plexy.api_key, base_url=mock_plexy.url, retry=FAST_RETRY, pool=capped
    ) as plexy:
        mock_plexy.faults.add(*PAYMENTS, Fault.oversize(200_000))
        payment = await pay(plexy)
        assert payment.meta.attempts == 2
        mock_plexy.faults.add(*PAYMENTS, Fault.oversize(200_000), times=None)
        with pytest.raises(errors.UnreadableOutcomeError) as caught:
            await pay(plexy, idempotency_key="big-answer")
    assert caught.value.status == 200 and caught.value.idempotency_key == "big-answer"
    keys = [r.idempotency_key for r in mock_plexy.ledger.requests_to(*PAYMENTS)]
    assert keys[2:] == ["big-answer"] * FAST_RETRY.max_attempts


# --- other unreadable bodies, from a fault server with a ledger of its own ----------------------

UNREADABLE_BODIES = {
    "cut json": b'{"pspReference":',
    "empty": b"",
    "not utf-8": b'{"pspReference": "\xff\xfe"}',
    "html": b"<html><body>OK</body></html>",
    "trailing garbage": b'{"pspReference": "P1", "resultCode": "Authorised"} x',
    "plain text": b"Authorised",
}

# Readable JSON that does not fit the response model: the write took effect all the same.
UNUSABLE_BODIES = {
    "null": b"null",
    "a list": b"[]",
    "a string": b'"ok"',
    "a number": b"1",
    "an empty object": b"{}",
    "a required field null": b'{"pspReference": "P1", "resultCode": null}',
    "a wrong type": b'{"pspReference": "P1", "resultCode": "Authorised", "amount": {"value": '
    b'"100", "currency": "KZT"}}',
    "a currency null": b'{"pspReference": "P1", "resultCode": "Authorised", "amount": {"value": '
    b"100, "
    b'"currency": null}}',
}

GOOD_BODY = b'{"pspReference": "P1", "resultCode": "Authorised"}'


class ChargingServer:
    """Charges once per idempotency key, answers ``bad`` ``failures`` times, then replays."""

    def __init__(self, bad: bytes, failures: int, status: int) -> None:
        self.bad, self.failures, self.status = bad, failures, status
        self.charges: Counter[str] = Counter()
        self.keys: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        key = request.headers["Idempotency-Key"]
        self.keys.append(key)
        if key not in self.charges:
            self.charges[key] += 1
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=self.status, body=self.bad, content_type="application/json")
        return web.Response(status=self.status, body=GOOD_BODY, content_type="application/json")


@pytest_asyncio.fixture
async def serve() -> AsyncIterator[Any]:
    runners: list[web.AppRunner] = []

    async def start(server: ChargingServer) -> str:
        app = web.Application()
        app.router.add_post("/v2/payments", server.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


BAD_2XX_BODIES = [
    *((body, errors.UnreadableOutcomeError) for body in UNREADABLE_BODIES.values()),
    *((body, errors.UnusableOutcomeError) for body in UNUSABLE_BODIES.values()),
]
BAD_2XX_IDS = [*UNREADABLE_BODIES, *UNUSABLE_BODIES]


@pytest.mark.parametrize("status", [200, 201, 202])
@pytest.mark.parametrize(("body", "error"), BAD_2XX_BODIES, ids=BAD_2XX_IDS)
@pytest.mark.parametrize("failures", [1, 2, 5])
async def test_every_unreadable_or_unusable_2xx_is_retried_with_its_key(
    serve: Any, body: bytes, error: type[errors.OutcomeUnknownError], failures: int, status: int
) -> None:
    server = ChargingServer(body, failures, status)
    url = await serve(server)
    async with PlexyClient(api_key="k", base_url=url, retry=FAST_RETRY) as plexy:
        if failures < FAST_RETRY.max_attempts:
            payment = await pay(plexy)
            assert payment.psp_reference == "P1"
            assert payment.meta.attempts == failures + 1
        else:
            with pytest.raises(error) as caught:
                await pay(plexy)
            # Never a plain failure: the caller is told to re-send with the key.
            assert isinstance(caught.value, errors.OutcomeUnknownError)
            assert caught.value.status == status
            assert caught.value.idempotency_key == server.keys[0]
            assert caught.value.idempotency_key in str(caught.value)
    assert len(set(server.keys)) == 1
    assert sum(server.charges.values()) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_write_whose_every_attempt_got_a_5xx_is_outcome_unknown(
    serve: Any, status: int
) -> None:
    server = ChargingServer(b'{"error": {"message": "internal"}}', 99, status)
    url = await serve(server)
    async with PlexyClient(api_key="k", base_url=url, retry=FAST_RETRY) as plexy:
        with pytest.raises(errors.OutcomeUnknownError) as caught:
            await pay(plexy)
    assert caught.value.idempotency_key == server.keys[0]
    assert len(server.keys) == FAST_RETRY.max_attempts and len(set(server.keys)) == 1
    assert sum(server.charges.values()) == 1
