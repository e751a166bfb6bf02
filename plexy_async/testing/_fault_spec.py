"""Faults written as text, for ``plexy-async mock --fault`` and ``FaultScript.add_spec``.

The grammar, one fault per spec::

    SPEC    KIND[=VALUE][:AMOUNT]
    KIND    a status 500-599 | 429 | delay | drop-before | drop-after-commit | truncated
            | garbled-after-commit | invalid-json     (any case; "_" reads as "-")
    VALUE   429: the Retry-After seconds (default 1); delay: the seconds to wait (required);
            no other kind takes one
    AMOUNT  COUNT, an integer >= 1: the first COUNT matching requests (default 1), or
            RATE, a fraction 0 < RATE <= 1 written with a point (0.05, 1.0) or as a
            percentage (5%): each matching request with that probability

Examples: ``503``, ``500:3``, ``429=2:0.1``, ``drop-after-commit:2``, ``delay=0.2:25%``.

A spec hits the money-moving POST routes (``MONEY_ROUTES``) unless given routes of its own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Final

import attrs

from plexy_async._core.routes import ROUTES, route

from ._faults import Fault

MONEY_ROUTE_NAMES: Final = (
    "payments.create",
    "payments.details",
    "sessions.create",
    "payments.capture",
    "payments.cancel",
    "payments.refund",
    "recurring.merchant_initiated",
    "direct_payments.create",
    "payouts.process",
)
"""The routes (by the client's operation names) a spec hits by default: every POST that
authorises, captures, cancels, refunds or pays out money, on both surfaces."""

MONEY_ROUTES: Final = frozenset(
    (route(name).method, route(name).full_path) for name in MONEY_ROUTE_NAMES
)
"""``(method, path pattern)`` of each of ``MONEY_ROUTE_NAMES``: ``("POST", "/v2/payments")``..."""


def _no_value(kind: str) -> Callable[[str | None, str], Fault]:
    builders: dict[str, Callable[[], Fault]] = {
        "drop-before": Fault.drop_before,
        "drop-after-commit": Fault.drop_after_commit,
        "truncated": Fault.truncated,
        "garbled-after-commit": Fault.garbled_after_commit,
        "invalid-json": Fault.invalid_json,
    }
    build = builders[kind]

    def make(value: str | None, shape: str) -> Fault:
        if value is not None:
            raise ValueError(f"{kind} takes no value (no '={value}')")
        return build()

    return make


def _seconds(value: str, what: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{what} must be seconds, e.g. 0.2, got {value!r}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{what} must be finite seconds >= 0, got {value!r}")
    return seconds


def _delay(value: str | None, shape: str) -> Fault:
    if value is None:
        raise ValueError("delay needs its duration: delay=SECONDS[:COUNT|RATE], e.g. delay=0.2")
    return Fault.delay(_seconds(value, "delay"))


def _too_many(value: str | None, shape: str) -> Fault:
    retry_after = 1.0 if value is None else _seconds(value, "429's Retry-After")
    return Fault.status(429, shape=shape, retry_after=retry_after)


_BUILDERS: Final[dict[str, Callable[[str | None, str], Fault]]] = {
    "429": _too_many,
    "delay": _delay,
    **{
        kind: _no_value(kind)
        for kind in (
            "drop-before",
            "drop-after-commit",
            "truncated",
            "garbled-after-commit",
            "invalid-json",
        )
    },
}

KINDS: Final = ("500-599", *_BUILDERS)
"""The kinds a spec may name, as ``--help`` lists them."""

_SPEC: Final = re.compile(r"(?P<kind>[A-Za-z0-9_-]+)(?:=(?P<value>[^:]*))?(?::(?P<amount>.*))?")


def valid_kinds() -> str:
    """The kinds, for error messages: ``500-599, 429, delay, drop-before, ...``."""
    return ", ".join(KINDS)


@attrs.frozen
class FaultSpec:
    """A parsed spec: which fault, how often.

    Attributes:
        kind: The kind as written canonically: ``"503"``, ``"429"``, ``"drop-after-commit"``, ...
        value: Its value (the seconds of ``delay``, the Retry-After of ``429``), else None.
        count: Hit the first ``count`` matching requests (None when by ``rate``).
        rate: Hit each matching request with this probability (None when by ``count``).
    """

    kind: str
    value: float | None = None
    count: int | None = 1
    rate: float | None = None

    @property
    def text(self) -> str:
        """The spec written back, e.g. ``503:3`` or ``delay=0.2:0.1``; it parses to an equal
        spec."""
        value = "" if self.value is None else f"={self.value!r}"
        # a rate is written without an exponent (1e-05 -> 0.00001), as the grammar reads it
        amount = f":{self.count}" if self.rate is None else f":{Decimal(repr(self.rate)):f}"
        return f"{self.kind}{value}{amount}"

    def fault_for(self, path: str) -> Fault:
        """The fault for a request to ``path``: a status fault answers in the surface's error
        shape (Pay API for ``/v1``, Checkout for the rest)."""
        shape = "pay" if path.startswith("/v1/") else "checkout"
        if self.kind.isdigit() and self.kind != "429":
            return Fault.status(int(self.kind), shape=shape)
        value = None if self.value is None else repr(self.value)
        return _BUILDERS[self.kind](value, shape)


def parse_fault_spec(text: str) -> FaultSpec:
    """Read ``KIND[=VALUE][:AMOUNT]`` (see the module's grammar).

    Args:
        text: The spec, e.g. ``"503:3"``, ``"drop-after-commit:2"``, ``"delay=0.2:0.1"``.

    Returns:
        The spec, checked: building its fault cannot fail.

    Raises:
        ValueError: An unknown kind (the message names the valid ones), a value the kind does
            not take or needs, or an amount that is neither a count >= 1 nor a rate in (0, 1].
    """
    match = _SPEC.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a fault spec: {text!r}; write KIND[=VALUE][:COUNT|RATE], KIND one "
                         f"of {valid_kinds()}")  # fmt: skip
    kind = match["kind"].lower().replace("_", "-")
    if kind.isdigit() and 500 <= int(kind) <= 599 and kind == str(int(kind)):
        if match["value"] is not None:
            raise ValueError(f"{kind} takes no value (no '={match['value']}')")
        value = None
    elif kind in _BUILDERS:
        fault = _BUILDERS[kind](match["value"], "checkout")  # checks the value
        value = None if match["value"] is None else float(match["value"])
        if kind == "429" and value is None:
            value = float(fault.headers[0][1])
    else:
        raise ValueError(f"unknown fault kind {match['kind']!r}; valid kinds: {valid_kinds()}")
    count, rate = _amount(match["amount"])
    return FaultSpec(kind, value, count, rate)


def _amount(text: str | None) -> tuple[int | None, float | None]:
    if text is None:
        return 1, None
    text = text.strip()
    if re.fullmatch(r"[0-9]+", text):
        count = int(text)
        if count < 1:
            raise ValueError(f"a COUNT must be >= 1, got {text!r}")
        return count, None
    percent = text.endswith("%")
    number = text[:-1] if percent else text
    if not re.fullmatch(r"[0-9]*\.[0-9]+|[0-9]+\.[0-9]*" + (r"|[0-9]+" if percent else ""), number):
        raise ValueError(
            f"not a COUNT or RATE: {text!r}; COUNT is an integer >= 1 (the first N requests), "
            "RATE a fraction 0 < RATE <= 1 with a point (0.1) or a percentage (10%)"
        )
    rate = float(number) / (100 if percent else 1)
    if not 0 < rate <= 1:
        raise ValueError(f"a RATE must be > 0 and <= 1 (or > 0% and <= 100%), got {text!r}")
    return None, rate


_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^}]+\}", pattern)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


def parse_fault_route(text: str) -> tuple[str, str]:
    """Read ``METHOD:PATH``: ``POST:/v2/payments``, ``POST:/v1/payments/{transaction_id}/refund``.

    PATH is a route's pattern or a path as sent; it must be one of the mock's API routes.

    Returns:
        ``(METHOD, PATH)``, the method upper-cased.

    Raises:
        ValueError: No ``:``, an unknown method, or a path that is no route of the mock.
    """
    method, sep, path = text.partition(":")
    method = method.strip().upper()
    path = path.strip()
    if not sep or method not in _METHODS or not path.startswith("/"):
        raise ValueError(f"not METHOD:PATH: {text!r}, e.g. POST:/v2/payments")
    for known in ROUTES.values():
        if known.method == method and _pattern_regex(known.full_path).fullmatch(path):
            return method, path
    examples = ", ".join(f"{m}:{p}" for m, p in sorted(MONEY_ROUTES)[:3])
    raise ValueError(f"no such route in the mock: {method} {path}; e.g. {examples}")
