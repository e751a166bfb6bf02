"""The mock's own routes under ``/_mock/``, for tests and users outside its process.

Both need the mock's API key, in ``x-api-key`` or ``Authorization`` (either surface's header;
``Authorization: Bearer <key>`` too).
They are not Plexy routes and are not recorded in the ledger's requests.

``GET /_mock/ledger``: what the mock committed and counted::

    {"counts": {"requests": 57, "charges": 50, "charges_held": 50, "requests_held": 57,
                "replays": 2, "in_flight": 0, "peak_in_flight": 8,
                "idempotency_records": 50, "idempotency_expired": 0, "idempotency_evicted": 0},
     "faults": {"503": 3, "drop_after_commit": 2},
     "charges": [{"reference": "order-1", "psp_reference": "BNV58BSJF9WQ5K65",
                  "amount": {"value": 1000, "currency": "KZT"},
                  "idempotency_key": "pb_...", "card_last4": "4242"}, ...]}

``?requests=N`` adds the latest N requests the mock holds (method, path, idempotency_key, status,
fault, replayed, request_id, ms).

``GET /_mock/payments/{pspReference}/redirect-result``: the ``redirectResult`` that completes a
3-D Secure payment (the token in its ``action.url``)::

    {"pspReference": "...", "redirectResult": "X3DS...",
     "details": {"redirectResult": "X3DS..."}}

then ``POST /v2/payments/details`` with ``{"details": {"redirectResult": ...}}`` (the client:
``payments.details(details={"redirectResult": ...})``). 404 for an unknown payment.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from ._checkout import Checkout
from ._error_bodies import json_response
from ._ledger import IdempotencyStore, Ledger, RequestRecord

PREFIX: Final = "/_mock/"


def _authorised(request: web.Request, api_key: str) -> bool:
    for header in ("x-api-key", "Authorization"):
        given = request.headers.get(header)
        if given is None:
            continue
        scheme, _, credentials = given.partition(" ")
        if header == "Authorization" and scheme.lower() == "bearer":
            given = credentials.strip()  # "Authorization: Bearer <key>" too
        if hmac.compare_digest(given.encode(), api_key.encode()):
            return True
    return False


def _error(status: int, message: str) -> web.Response:
    return json_response({"error": {"code": status, "message": message}}, status)


def _request_row(record: RequestRecord) -> dict[str, Any]:
    duration = record.duration
    return {
        "method": record.method,
        "path": record.path,
        "idempotency_key": record.idempotency_key,
        "status": record.status,
        "fault": record.fault,
        "replayed": record.replayed,
        "request_id": record.request_id,
        "ms": None if duration is None else round(duration * 1000, 3),
    }


def ledger_body(ledger: Ledger, idempotency: IdempotencyStore, requests: int = 0) -> dict[str, Any]:
    """The ``GET /_mock/ledger`` answer (see the module's docstring)."""
    body: dict[str, Any] = {
        "counts": {
            "requests": ledger.total_requests,
            "charges": ledger.total_charges,
            "charges_held": len(ledger.charges),
            "requests_held": len(ledger.requests),
            "replays": ledger.replays,
            "in_flight": ledger.in_flight,
            "peak_in_flight": ledger.peak_in_flight,
            "idempotency_records": len(idempotency),
            "idempotency_expired": idempotency.expired,
            "idempotency_evicted": idempotency.evicted,
        },
        "faults": dict(ledger.fault_counts),
        "charges": [
            {
                "reference": c.reference,
                "psp_reference": c.psp_reference,
                "amount": {"value": c.value, "currency": c.currency},
                "idempotency_key": c.idempotency_key,
                "card_last4": c.card_last4,
            }
            for c in ledger.charges
        ],
    }
    if requests > 0:
        body["requests"] = [_request_row(r) for r in ledger.requests[-requests:]]
    return body


def register(
    router: web.UrlDispatcher,
    api_key: Callable[[], str],
    ledger: Ledger,
    idempotency: Callable[[], IdempotencyStore],
    checkout: Checkout,
) -> None:
    """Add ``GET /_mock/ledger`` and ``GET /_mock/payments/{psp_reference}/redirect-result``."""

    async def get_ledger(request: web.Request) -> web.Response:
        if not _authorised(request, api_key()):
            return _error(401, "Missing or invalid API key (x-api-key or Authorization header)")
        try:
            requests = int(request.query.get("requests", "0"))
        except ValueError:
            return _error(400, "requests must be an integer (how many of the latest to list)")
        return json_response(ledger_body(ledger, idempotency(), max(requests, 0)))

    async def redirect_result(request: web.Request) -> web.Response:
        if not _authorised(request, api_key()):
            return _error(401, "Missing or invalid API key (x-api-key or Authorization header)")
        psp = request.match_info["psp_reference"]
        try:
            token = checkout.redirect_result_for(psp)
        except KeyError:
            return _error(404, f"No 3-D Secure payment {psp} (unknown, or dropped as too old)")
        return json_response(
            {"pspReference": psp, "redirectResult": token, "details": {"redirectResult": token}}
        )

    router.add_get(PREFIX + "ledger", get_ledger)
    router.add_get(PREFIX + "payments/{psp_reference}/redirect-result", redirect_result)
