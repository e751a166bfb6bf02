"""Every public exception survives pickle and deep copy with all its fields (issue 10, point 3).

The classes are not hand-picked: every exception class that a public module of the package
exports (``errors``, ``webhooks``, ``batch``, ``testing``... found by walking the package) is
built with every field it takes set, round-tripped through every pickle protocol, ``deepcopy``
and ``copy``, and compared field by field. Errors from real calls over loopback pickle without
the API key, and a ``CardError`` raised in a process-pool worker reaches the parent as one.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import inspect
import multiprocessing
import pickle
import pkgutil
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from chain_support import API_KEY, card_payment, payment_in_worker, raw_server

import plexy_async
from plexy_async import PlexyClient, RetryPolicy, errors, webhooks
from plexy_async.testing import Fault, MockPlexy

DETAIL = errors.ErrorDetail(
    type="card_error",
    code="card_declined",
    message="Declined",
    param="number",
    decline_code="do_not_honor",
    request_id="req_detail",
    field_errors={"number": ["invalid"]},
    metadata={"hint": {"allowed": [1, 2]}},
)
#: A value, not a class default, for every field any public exception takes.
FIELDS: dict[str, Any] = {
    "status": 402,
    "detail": DETAIL,
    "body_snippet": "declined (snippet)",
    "request_id": "req_123",
    "retry_after": 1.5,
    "method": "POST",
    "path": "/v2/payments",
    "idempotency_key": "order-1-key",
    "attempts": 3,
    "maybe_sent": False,
    "item_index": 2,
    "timestamp": 1_700_000_000,
    "age": 401.5,
    "tolerance": 300.0,
}


def public_modules() -> list[Any]:
    modules = [plexy_async]
    for info in pkgutil.walk_packages(plexy_async.__path__, "plexy_async."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue  # private modules, and __main__ (which would run the CLI)
        modules.append(importlib.import_module(info.name))
    return modules


def public_exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module in public_modules():
        names = getattr(module, "__all__", None)
        if names is None:
            names = [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, BaseException):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


CLASSES = public_exception_classes()


def test_the_enumeration_sees_every_exported_exception() -> None:
    names = {cls.__name__ for cls in CLASSES}
    for module in (errors, webhooks):
        exported = {
            name
            for name in module.__all__
            if isinstance(getattr(module, name), type)
            and issubclass(getattr(module, name), BaseException)
        }
        assert exported <= names
    assert {"NotFoundError", "CardError", "TimestampOutsideToleranceError"} <= names
    assert len(CLASSES) >= 35


def keyword_fields(cls: type[BaseException]) -> set[str]:
    """The keyword arguments ``cls`` takes, along its cooperative ``__init__`` chain."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None or not klass.__module__.startswith("plexy_async"):
            continue
        for param in inspect.signature(init).parameters.values():
            if param.kind is param.KEYWORD_ONLY:
                names.add(param.name)
    return names


def build(cls: type[BaseException]) -> BaseException:
    """An instance of ``cls`` with every field it has set to a non-default value."""
    kwargs = {name: FIELDS[name] for name in keyword_fields(cls)}
    error = cls("something failed: HTTP 402", **kwargs)
    if isinstance(error, errors.PlexyError):
        error.cause = "ClientResponseError: Bad status line: Invalid status code"
    error.add_note("a note an application added")
    return error


def same(a: BaseException, b: BaseException) -> None:
    assert type(b) is type(a)
    assert b.args == a.args
    assert vars(b) == vars(a)
    assert str(b) == str(a) and repr(b) == repr(a)
    for name in (*FIELDS, "message", "cause", "code", "decline_code"):
        if hasattr(a, name):
            assert getattr(b, name) == getattr(a, name), name


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_public_exception_round_trips_with_all_its_fields(
    cls: type[BaseException],
) -> None:
    error = build(cls)
    unset = [name for name, value in vars(error).items() if value in (None, "", {}, [])]
    assert not unset, f"{cls.__name__}: no test value for {unset}"
    for name in keyword_fields(cls):
        assert getattr(error, name) == FIELDS[name], name
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        same(error, pickle.loads(pickle.dumps(error, protocol=protocol)))
    same(error, copy.deepcopy(error))
    same(error, copy.copy(error))
    if isinstance(error, errors.APIStatusError):
        deep = copy.deepcopy(error)
        assert deep.detail == error.detail and deep.detail.metadata is not error.detail.metadata


def test_the_issues_examples_round_trip() -> None:
    not_found = errors.NotFoundError("HTTP 404: no such payment", status=404)
    assert pickle.loads(pickle.dumps(not_found)).status == 404
    late = webhooks.TimestampOutsideToleranceError("too old", timestamp=1, age=500.0, tolerance=300)
    back = copy.deepcopy(late)
    assert (back.timestamp, back.age, back.tolerance) == (1, 500.0, 300)


# --- errors from real calls ---------------------------------------------------------------------


async def test_errors_from_real_calls_pickle_without_the_api_key() -> None:
    collected: list[errors.PlexyError] = []
    async with MockPlexy(api_key=API_KEY) as mock:
        for fault in (
            Fault.status(402),
            Fault.status(429, retry_after=0),
            Fault.status(422, "problem"),
            Fault.drop_after_commit(),
            Fault.invalid_json(),
        ):
            mock.faults.add("POST", "/v2/payments", fault, times=None)
            async with PlexyClient(
                api_key=API_KEY, base_url=mock.url, retry=RetryPolicy.disabled()
            ) as client:
                with pytest.raises(errors.PlexyError) as caught:
                    await card_payment(client, f"pickled-{fault.kind}")
            collected.append(caught.value)
            mock.faults.clear()
        assert len(mock.ledger.requests) == 5
    async with raw_server(b"HTTP/1.1 2x0 WHAT\r\n\r\n") as server:
        async with PlexyClient(api_key=API_KEY, base_url=server.url) as client:
            with pytest.raises(errors.PlexyError) as caught:
                await client.payment_methods.list(merchant_account="TestMerchant")
        collected.append(caught.value)
    for error in collected:
        chain = [error, error.__cause__]  # the wrapped error, where there is one
        for item in (e for e in chain if isinstance(e, errors.PlexyError)):
            for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
                data = pickle.dumps(item, protocol=protocol)
                assert API_KEY.encode() not in data and b"CHAINKEY" not in data
                same(item, pickle.loads(data))


async def test_a_card_error_raised_in_a_process_pool_worker_arrives_as_a_card_error() -> None:
    async with MockPlexy(api_key=API_KEY) as mock:
        mock.faults.add("POST", "/v2/payments", Fault.status(402))
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        with (
            ProcessPoolExecutor(max_workers=1, mp_context=context) as pool,
            pytest.raises(errors.CardError) as caught,
        ):
            await loop.run_in_executor(pool, payment_in_worker, mock.url, API_KEY, "worker-key-1")
        (record,) = mock.ledger.requests_to("POST", "/v2/payments")
        assert not mock.ledger.charges
    error = caught.value
    assert type(error) is errors.CardError
    assert error.status == 402
    assert error.code == "card_declined" and error.detail.type == "card_error"
    assert error.idempotency_key == "worker-key-1" == record.idempotency_key
    assert error.request_id == record.request_id
    assert (error.method, error.path, error.attempts) == ("POST", "/v2/payments", 1)
    assert "card_declined" in str(error)
