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

``MockPlexy(limits=MockLimits(...))`` bounds what a long-running mock remembers (``plexy-async
mock`` runs with ``MockLimits.for_cli()``); ``mock.add_fault_spec("503:3")`` injects a fault
written as ``plexy-async mock --fault`` takes it; ``mock_cards()`` lists the test cards.
Out of process, ``GET /_mock/ledger`` and ``GET /_mock/payments/{pspReference}/redirect-result``
(with the API key) read the ledger and complete a 3-D Secure payment.

For pytest, add ``pytest_plugins = ["plexy_async.testing.pytest_plugin"]`` and use the
``mock_plexy`` fixture. This package does not import pytest.
"""

from ._cards import MockCard, mock_cards
from ._fault_spec import MONEY_ROUTES, FaultSpec, parse_fault_spec
from ._faults import Fault, FaultScript
from ._ledger import Charge, Ledger, RequestRecord
from ._limits import MockLimits
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
    "MONEY_ROUTES",
    "Charge",
    "Fault",
    "FaultScript",
    "FaultSpec",
    "Ledger",
    "MockCard",
    "MockLimits",
    "MockPlexy",
    "RequestRecord",
    "WebhookDelivery",
    "WebhookScheme",
    "checkout_event",
    "mock_cards",
    "notification",
    "notification_item",
    "parse_fault_spec",
    "pay_event",
    "send_webhook",
    "signed_request",
]
