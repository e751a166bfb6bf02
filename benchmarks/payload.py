"""What every client variant sends and what the load target answers: one Checkout v2 payment."""

from __future__ import annotations

import json
from typing import Any, Final

API_KEY: Final = "bench_api_key"
PATH: Final = "/v2/payments"

#: The payment every variant creates (the same JSON ``plexy.payments.create`` sends).
REQUEST: Final[dict[str, Any]] = {
    "amount": {"value": 10000, "currency": "KZT"},
    "reference": "order-000123",
    "merchantAccount": "BenchMerchant",
    "paymentMethod": {
        "type": "scheme",
        "number": "4242424242424242",
        "expiryMonth": "03",
        "expiryYear": "2030",
        "cvc": "737",
        "holderName": "A. Shopper",
    },
    "returnUrl": "https://shop.example/checkout/return",
}
REQUEST_BODY: Final = json.dumps(REQUEST, separators=(",", ":")).encode()

#: A realistic payment response: amount, payment method and a 3-D Secure redirect action, so
#: structuring it builds four attrs objects (PaymentResponse, Amount, PaymentMethodSummary,
#: RedirectAction) plus an enum and a dict.
RESPONSE: Final[dict[str, Any]] = {
    "pspReference": "BNV58BSJF9WQ5K65",
    "resultCode": "RedirectShopper",
    "merchantReference": "order-000123",
    "amount": {"value": 10000, "currency": "KZT"},
    "paymentMethod": {"type": "scheme", "brand": "visa"},
    "action": {
        "type": "redirect",
        "method": "GET",
        "paymentMethodType": "scheme",
        "url": "https://checkout.plexypay.com/3ds?redirectResult=X3DS5f0c2b9a8e7d41c3",
        "paymentData": "Ab02b4c0!9c1e7f3a2b5d4e6f",
    },
    "additionalData": {"cardSummary": "4242"},
}
RESPONSE_BODY: Final = json.dumps(RESPONSE, separators=(",", ":")).encode()

#: The headers the raw variants send: what the library sends, with a fixed idempotency key.
RAW_HEADERS: Final = {
    "x-api-key": API_KEY,
    "Accept": "application/json",
    "Content-Type": "application/json",
    "User-Agent": "plexy_async-bench",
    "Idempotency-Key": "plx_0123456789abcdef0123456789abcdef",
}
