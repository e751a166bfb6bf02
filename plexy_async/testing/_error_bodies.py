"""Error bodies in every shape the client must parse (see shared/API.md, "Errors").

Pure functions, no I/O: the Checkout handlers, the fault injector and later Pay API handlers all
build their error bodies here (``json_response`` only wraps bytes in an aiohttp response).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, Final, Literal

from aiohttp import web

Shape = Literal["checkout", "pay", "problem", "adyen", "message", "html", "text", "empty"]
SHAPES: Final[frozenset[str]] = frozenset(
    ("checkout", "pay", "problem", "adyen", "message", "html", "text", "empty")
)

JSON: Final = "application/json"
PROBLEM_JSON: Final = "application/problem+json"

# Checkout v2: status -> (error type, error code) used when a fault or the router answers.
_CHECKOUT_DEFAULTS: Final[dict[int, tuple[str, str]]] = {
    400: ("invalid_request_error", "parameter_invalid"),
    401: ("authentication_error", "api_key_invalid"),
    402: ("card_error", "card_declined"),
    403: ("invalid_request_error", "forbidden"),
    404: ("invalid_request_error", "resource_missing"),
    405: ("invalid_request_error", "method_not_allowed"),
    409: ("idempotency_error", "idempotency_key_in_use"),
    422: ("invalid_request_error", "parameter_invalid"),
    429: ("api_error", "rate_limited"),
}

# Pay API v1 numeric codes (documented: 1 service unavailable, 2 something went wrong,
# 3 invalid request params, 4 not found, 5 unprocessable entity).
_PAY_CODES: Final[dict[int, tuple[int, str, str]]] = {
    400: (3, "invalid request params", "apiError"),
    401: (2, "unauthorized", "apiError"),
    404: (4, "not found", "apiError"),
    405: (3, "method not allowed", "apiError"),
    409: (3, "conflict", "apiError"),
    422: (5, "unprocessable entity", "validationError"),
    503: (1, "service unavailable", "apiError"),
}


def reason(status: int) -> str:
    """The HTTP reason phrase for ``status`` ("Unknown" for unregistered codes)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def checkout_error(
    *,
    type: str,
    code: str,
    message: str,
    request_id: str,
    param: str | None = None,
) -> dict[str, Any]:
    """``{"error": {type, code, message, [param], request_id}}``: the Checkout v2 shape."""
    error: dict[str, Any] = {"type": type, "code": code, "message": message}
    if param is not None:
        error["param"] = param
    error["request_id"] = request_id
    return {"error": error}


def checkout_error_for_status(status: int, request_id: str, message: str | None = None) -> Any:
    """A plausible Checkout v2 error body for a bare status code."""
    type_, code = _CHECKOUT_DEFAULTS.get(
        status, ("api_error", "service_unavailable" if status == 503 else "internal_error")
    )
    return checkout_error(
        type=type_, code=code, message=message or reason(status), request_id=request_id
    )


def pay_error(status: int, *, message: str | None = None, source: str = "api") -> dict[str, Any]:
    """``{"code", "message", "source", "type"}``: the Pay API v1 shape."""
    if status in _PAY_CODES:
        code, default_message, type_ = _PAY_CODES[status]
    elif status == 500:
        code, default_message, type_ = 2, "something went wrong", "apiError"
    elif status > 500:
        code, default_message, type_ = 1, "service unavailable", "apiError"
    else:
        code, default_message, type_ = 3, "invalid request params", "apiError"
    return {"code": code, "message": message or default_message, "source": source, "type": type_}


def problem_error(status: int, request_id: str) -> dict[str, Any]:
    """An RFC 7807 problem document with field errors, as Getpaid-style gateways send."""
    return {
        "type": f"https://errors.plexypay.com/{status}",
        "title": reason(status),
        "status": status,
        "detail": f"{reason(status)} (mock fault)",
        "instance": f"/requests/{request_id}",
        "errors": {"amount": ["required"]} if status in (400, 422) else {},
        "errors_metadata": {"request_id": request_id},
    }


def adyen_error(status: int, psp_reference: str) -> dict[str, Any]:
    """``{"status", "errorCode", "message", "errorType", "pspReference"}``: the Adyen shape."""
    if status in (400, 422):
        error_type = "validation"
    elif status in (401, 403):
        error_type = "security"
    else:
        error_type = "internal"
    return {
        "status": status,
        "errorCode": f"{status}_000",
        "message": reason(status),
        "errorType": error_type,
        "pspReference": psp_reference,
    }


def message_error(status: int) -> dict[str, Any]:
    """``{"message": ...}``: the message-only shape."""
    return {"message": f"{reason(status)} (mock fault)"}


def html_page(status: int) -> str:
    """An nginx-style error page, as a proxy in front of the API sends."""
    title = f"{status} {reason(status)}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


def text_page(status: int) -> str:
    return f"{status} {reason(status)}\n"


def dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=dumps(data), content_type=JSON)


def fault_body(
    shape: str, status: int, *, request_id: str, psp_reference: str = ""
) -> tuple[bytes, str | None]:
    """``(body, content type)`` of an error answered in ``shape``; ``(b"", None)`` for "empty"."""
    if shape == "checkout":
        return dumps(checkout_error_for_status(status, request_id)), JSON
    if shape == "pay":
        return dumps(pay_error(status, source="gateway")), JSON
    if shape == "problem":
        return dumps(problem_error(status, request_id)), PROBLEM_JSON
    if shape == "adyen":
        return dumps(adyen_error(status, psp_reference)), JSON
    if shape == "message":
        return dumps(message_error(status)), JSON
    if shape == "html":
        return html_page(status).encode(), "text/html"
    if shape == "text":
        return text_page(status).encode(), "text/plain"
    if shape == "empty":
        return b"", None
    raise ValueError(f"unknown error shape {shape!r}; expected one of {sorted(SHAPES)}")
