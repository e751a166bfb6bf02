"""The converter micro-benchmark: microseconds per call, next to ``json.loads`` of the same body.

``python -m benchmarks.converter [--json]``. Measured in one process with ``timeit``: each case
runs in batches of about 0.1 s, the cases taking turns batch by batch for nine rounds; the
median and best batch of each are reported.

* ``json.loads``: the response body (``benchmarks.payload.RESPONSE_BODY``) to a dict;
* ``structure``: that dict to a ``PaymentResponse`` (nested ``Amount``, ``PaymentMethodSummary``
  and ``RedirectAction``) through ``plexy_async._core.converter.structure``, as every call does;
* ``same, detailed validation``: through the detailed-validation converter that only runs to
  explain a failure (cattrs' generated functions);
* ``hand-written``: a function that calls the model constructors directly and checks no types
  (``Amount``'s own validators still run in its ``__init__``): what the obvious code costs;
* ``the client's parser``: ``converter.loads`` (orjson, with the standard library for what
  orjson reads differently) instead of ``json.loads``, alone and with ``structure``;
* ``unstructure`` and ``orjson.dumps`` of its dict: a ``PaymentRequest`` on its way out, in two
  steps; ``dumps``: the same bytes as the client writes them (``converter.dumps``, with its
  checks for what JSON cannot carry).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from collections.abc import Callable
from typing import Any

import orjson

from plexy_async import Amount, CardDetails
from plexy_async._core.converter import _detailed, dumps, loads, structure, unstructure
from plexy_async.models.checkout import (
    PaymentMethodSummary,
    PaymentRequest,
    PaymentResponse,
    RedirectAction,
    ResultCode,
)

from .payload import REQUEST, RESPONSE_BODY
from .server import pin_to


def _cases() -> list[tuple[str, Callable[[], object]]]:
    parsed = json.loads(RESPONSE_BODY)
    card = REQUEST["paymentMethod"]
    request = PaymentRequest(
        amount=Amount(10000, "KZT"),
        reference=REQUEST["reference"],
        merchant_account=REQUEST["merchantAccount"],
        payment_method=CardDetails(
            number=card["number"],
            expiry_month=card["expiryMonth"],
            expiry_year=card["expiryYear"],
            cvc=card["cvc"],
            holder_name=card["holderName"],
        ),
        return_url=REQUEST["returnUrl"],
    )
    unstructured = unstructure(request)
    if unstructured != REQUEST:
        raise SystemExit(f"unstructure does not match the payload: {unstructured!r}")
    if json.loads(dumps(request)) != unstructured:
        raise SystemExit("dumps and unstructure disagree")
    if loads(RESPONSE_BODY) != parsed:
        raise SystemExit("the client's parser and json.loads disagree")
    if structure(parsed, PaymentResponse) != _hand_written(parsed):
        raise SystemExit("structure and the hand-written function disagree")
    return [
        ("json.loads(response body)", lambda: json.loads(RESPONSE_BODY)),
        ("structure(dict, PaymentResponse)", lambda: structure(parsed, PaymentResponse)),
        ("  same, detailed validation", lambda: _detailed.structure(parsed, PaymentResponse)),
        ("  same, hand-written constructors", lambda: _hand_written(parsed)),
        ("json.loads + structure", lambda: structure(json.loads(RESPONSE_BODY), PaymentResponse)),
        ("the client's parser (loads)", lambda: loads(RESPONSE_BODY)),
        ("  same, + structure", lambda: structure(loads(RESPONSE_BODY), PaymentResponse)),
        ("unstructure(PaymentRequest)", lambda: unstructure(request)),
        ("orjson.dumps of the request dict", lambda: orjson.dumps(unstructured)),
        ("dumps(PaymentRequest): the client's body", lambda: dumps(request)),
    ]


def _hand_written(d: dict[str, Any]) -> Any:
    amount, method, action = d.get("amount"), d.get("paymentMethod"), d.get("action")
    return PaymentResponse(
        result_code=ResultCode(d["resultCode"]),
        psp_reference=d.get("pspReference"),
        merchant_reference=d.get("merchantReference"),
        amount=None if amount is None else Amount(amount["value"], amount["currency"]),
        payment_method=None
        if method is None
        else PaymentMethodSummary(type=method.get("type"), brand=method.get("brand")),
        action=None
        if action is None
        else RedirectAction(
            type=action["type"],
            url=action.get("url"),
            method=action.get("method"),
            data=action.get("data"),
            payment_method_type=action.get("paymentMethodType"),
            payment_data=action.get("paymentData"),
        ),
        refusal_reason=d.get("refusalReason"),
        refusal_reason_code=d.get("refusalReasonCode"),
        payment_data=d.get("paymentData"),
        donation_token=d.get("donationToken"),
        fraud_result=d.get("fraudResult"),
        additional_data=d.get("additionalData", {}),
    )


def _calibrated(func: Callable[[], object], batch_seconds: float) -> tuple[timeit.Timer, int]:
    timer = timeit.Timer(func)
    number = 1
    while timer.timeit(number) < batch_seconds:  # a batch of about batch_seconds
        number *= 2
    return timer, number


def run(*, quick: bool) -> dict[str, Any]:
    """Every case's batches in turn, round after round: a slow moment on a shared machine
    lands on all cases alike, never on one case's batches alone."""
    repeat, batch = (3, 0.05) if quick else (9, 0.1)
    timers = {name: _calibrated(func, batch) for name, func in _cases()}
    runs: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(repeat):
        for name, (timer, number) in timers.items():
            runs[name].append(timer.timeit(number) / number * 1e6)
    results = {
        name: {
            "median_us": statistics.median(times),
            "best_us": min(times),
            "loops": timers[name][1],
        }
        for name, times in runs.items()
    }
    return {"body_bytes": len(RESPONSE_BODY), "cases": results}


def format_table(report: dict[str, Any]) -> str:
    base = report["cases"]["json.loads(response body)"]["median_us"]
    lines = [
        f"Converter ({report['body_bytes']}-byte payment response), microseconds per call:",
        "",
        "| case | median µs | best µs | vs json.loads |",
        "|---|---:|---:|---:|",
    ]
    for name, row in report["cases"].items():
        lines.append(
            f"| {name} | {row['median_us']:.2f} | {row['best_us']:.2f} | "
            f"{row['median_us'] / base:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="converter micro-benchmark")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--cpu", type=int, default=None, help="pin to this core")
    args = parser.parse_args(argv)
    pin_to(args.cpu)
    report = run(quick=args.quick)
    sys.stdout.write((json.dumps(report) if args.json else format_table(report)) + "\n")


if __name__ == "__main__":
    main()
