"""No API key, card number or CVC in logs, reprs or error messages."""

from __future__ import annotations

import logging

import pytest

from plexy_async import Amount, CardDetails, PlexyClient, RequestOptions, RetryPolicy, errors
from plexy_async.testing import Fault, MockPlexy

KEY = "sk_test_TOPSECRET_0123456789abcdef"
CARD = "4242424242424242"
CVC = "737"


async def test_debug_logs_reprs_and_errors_never_show_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    async with MockPlexy(api_key=KEY) as mock:
        mock.faults.add("POST", "/v2/payments", Fault.status(503), times=1)
        mock.faults.add("POST", "/v2/payments", Fault.drop_after_commit(), after=1)
        async with PlexyClient(
            api_key=KEY, base_url=mock.url, retry=RetryPolicy(initial_delay=0.01)
        ) as client:
            texts += [repr(client), str(client), repr(client.config), str(client.config)]
            method = CardDetails(number=CARD, cvc=CVC, expiry_month="03", expiry_year="2030")
            texts += [repr(method), str(method)]
            for i in range(3):
                payment = await client.payments.create(
                    amount=Amount(100, "KZT"),
                    reference=f"secret-{i}",
                    merchant_account="TestMerchant",
                    payment_method=method,
                )
                texts += [repr(payment), str(payment)]
            mock.faults.add("POST", "/v2/payments", Fault.drop_after_commit())
            with pytest.raises(errors.OutcomeUnknownError) as caught:
                await client.payments.create(
                    amount=Amount(100, "KZT"),
                    reference="secret-x",
                    merchant_account="TestMerchant",
                    payment_method=method,
                    options=RequestOptions(retry=RetryPolicy.disabled()),
                )
            texts += [repr(caught.value), str(caught.value), repr(caught.value.__cause__)]
        async with PlexyClient(api_key=KEY + "x", base_url=mock.url) as wrong:
            with pytest.raises(errors.AuthenticationError) as denied:
                await wrong.payment_methods.list(merchant_account="TestMerchant")
            texts += [repr(denied.value), str(denied.value), repr(vars(denied.value))]
    logged = [record.getMessage() for record in caplog.records]
    assert any("POST /v2/payments -> 503 attempt=1" in line for line in logged)
    texts += logged
    for text in texts:
        assert "TOPSECRET" not in text, text
        assert CARD not in text, text
        assert f"'{CVC}'" not in text and f"={CVC}" not in text, text
