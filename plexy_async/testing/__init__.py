"""A local mock of the Plexy API for tests: ``MockPlexy``, its ledger and fault injection.

::

    from plexy_async.testing import Fault, MockPlexy

    async with MockPlexy(api_key="sk_test_mock") as mock:
        mock.faults.add("POST", "/v2/payments", Fault.drop_after_commit())
        ...  # point the client at mock.url with mock.api_key
        assert len(mock.ledger.charges) == 1

``await mock.send_webhook(url, checkout_event(), scheme="checkout", secret="whsec_...")`` signs
and delivers a webhook the way Plexy does (also ``"pay"`` and ``"notification"``), to test your
receiver end to end.

For pytest, add ``pytest_plugins = ["plexy_async.testing.pytest_plugin"]`` and use the
``mock_plexy`` fixture. This package does not import pytest.
"""

from ._faults import Fault, FaultScript
from ._ledger import Charge, Ledger, RequestRecord
from ._server import MockPlexy
from ._webhook_sender import (
    WebhookDelivery,
    WebhookScheme,
    checkout_event,
    notification,
    notification_item,
    pay_event,
    send_webhook,
    signed_request,
)

__all__ = [
    "Charge",
    "Fault",
    "FaultScript",
    "Ledger",
    "MockPlexy",
    "RequestRecord",
    "WebhookDelivery",
    "WebhookScheme",
    "checkout_event",
    "notification",
    "notification_item",
    "pay_event",
    "send_webhook",
    "signed_request",
]
