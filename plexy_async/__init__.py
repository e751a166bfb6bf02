"""plexy_async: an asyncio-native client for the Plexy payments API.

::

    from plexy_async import Amount, CardDetails, PlexyClient

    async with PlexyClient(api_key="...") as plexy:
        payment = await plexy.payments.create(
            amount=Amount(10000, "KZT"),
            reference="order-1",
            merchant_account="YOUR_MERCHANT_ACCOUNT",
            payment_method=CardDetails(number="4242424242424242", cvc="123"),
        )
"""

import logging

from plexy_async._client import PlexyClient
from plexy_async._core.config import (
    ClientConfig,
    Environment,
    PoolLimits,
    RequestOptions,
    RetryPolicy,
    Timeouts,
)

from . import errors, webhooks
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    OutcomeUnknownError,
    PlexyError,
)
from .models import (
    Amount,
    CardDetails,
    PaymentResponse,
    ResponseMeta,
    ResultCode,
)

logging.getLogger("plexy_async").addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "Amount",
    "CardDetails",
    "ClientConfig",
    "Environment",
    "OutcomeUnknownError",
    "PaymentResponse",
    "PlexyClient",
    "PlexyError",
    "PoolLimits",
    "RequestOptions",
    "ResponseMeta",
    "ResultCode",
    "RetryPolicy",
    "Timeouts",
    "__version__",
    "errors",
    "webhooks",
]
