"""The ``plexy-async`` command line (also ``python -m plexy_async``)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from . import Amount, CardDetails, PlexyClient, RetryPolicy
from .testing import Fault, MockPlexy

DEMO_CARDS = ("4242424242424242", "5555555555554444", "4000000000000002", "4000000000009995")


async def _demo(count: int) -> int:
    """A short example against the bundled mock server, with a few injected faults."""
    async with MockPlexy() as mock:
        mock.faults.add("POST", "/v2/payments", Fault.status(503), times=2)
        mock.faults.add("POST", "/v2/payments", Fault.drop_after_commit(), after=3)
        async with PlexyClient(
            api_key=mock.api_key, base_url=mock.url, retry=RetryPolicy(initial_delay=0.05)
        ) as plexy:
            for i in range(count):
                number = DEMO_CARDS[i % len(DEMO_CARDS)]
                payment = await plexy.payments.create(
                    amount=Amount(1000 + i, "KZT"),
                    reference=f"demo-{i}",
                    merchant_account="DemoMerchant",
                    payment_method=CardDetails(number=number, cvc="737"),
                )
                print(
                    f"demo-{i}: {payment.result_code} psp={payment.psp_reference} "
                    f"attempts={payment.meta.attempts}"
                )
        charges = len(mock.ledger.charges)
        duplicates = charges - len({c.reference for c in mock.ledger.charges})
        print(f"ledger: {charges} charges, {duplicates} duplicates")
        return 0 if duplicates == 0 else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="plexy-async", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run payments against the bundled mock server")
    demo.add_argument("--count", type=int, default=8)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return asyncio.run(_demo(args.count))
    return 2
