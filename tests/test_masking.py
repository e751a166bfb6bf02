"""The one mask for card data, and every text built from server data going through it (issue 10,
point 1).

The mask keeps at most the first 6 and last 4 digits of any Luhn-valid 13-19 digit number,
written whole or in groups joined by single spaces or dashes, wherever it stands; it leaves
Luhn-invalid digit runs alone; it drops the values of CVC/CVV/security-code fields however
they are quoted. Over loopback, a hostile server puts card data into every field of every
error-body shape, the request-id header and the body itself: ``str``, ``repr``, ``message``,
``args``, every ``detail`` field, ``body_snippet``, ``request_id`` and the debug log lines show
none of it.
"""

from __future__ import annotations

import json
import logging
import pickle
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
import pytest
from aiohttp import web
from chain_support import assert_clean, walk
from hypothesis import given, settings
from hypothesis import strategies as st

from plexy_async import PlexyClient, RequestOptions, RetryPolicy, errors
from plexy_async._core.protocol import (
    clean_snippet,
    error_for,
    new_idempotency_key,
    parse_error_body,
)
from plexy_async._mask import (
    is_cvc_field,
    keep_first6_last4,
    luhn_valid,
    mask_card_data,
    mask_data,
)
from plexy_async.models.common import card_number_repr
from plexy_async.models.direct_payments import CardData
from plexy_async.testing._cards import valid_card_number

CARDS = ("4242424242424242", "5555555555554444", "378282246310005", "4000000000000000006")
NO_RETRY = RequestOptions(retry=RetryPolicy.disabled())
_JOINED = re.compile(r"(?<=[0-9])[ \-](?=[0-9])")


def luhn_complete(body: str) -> str:
    """``body`` plus the check digit that makes it Luhn-valid."""
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def luhn_break(number: str) -> str:
    """``number`` with its last digit changed so that it fails the Luhn check."""
    return next(number[:-1] + d for d in "0123456789" if not luhn_valid(number[:-1] + d))


def shows_whole(number: str, text: str) -> bool:
    """Whether ``text`` shows all digits of ``number`` in a row (separators ignored)."""
    return number in _JOINED.sub("", text)


# --- strategies ---------------------------------------------------------------------------------

card_numbers = st.integers(12, 18).flatmap(
    lambda n: st.text("0123456789", min_size=n, max_size=n).map(luhn_complete)
)


@st.composite
def formatted(draw: st.DrawFn, number: str) -> str:
    """``number`` cut into arbitrary groups, joined by up to three spaces, tabs or dashes."""
    out, rest = [], number
    while rest:
        size = draw(st.integers(1, len(rest)))
        out.append(rest[:size])
        rest = rest[size:]
    joiner = st.sampled_from(["", " ", "-", "\t", "  ", " - ", "\t\t", "--"])
    separators = draw(st.lists(joiner, min_size=len(out)))
    joined = "".join(group + sep for group, sep in zip(out, separators, strict=False))
    return joined.rstrip(" -\t")


@st.composite
def written_card(draw: st.DrawFn) -> tuple[str, str]:
    number = draw(card_numbers)
    return number, draw(formatted(number))


# Context around an embedded number: any text, then a character that is not a digit.
words = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)
boundaries = st.sampled_from([" ", '"', ":", "=", ">", "<", "\n", "(", "x", "\t", "/", "é"])


@st.composite
def embedded(draw: st.DrawFn, written: str) -> str:
    """``written`` inside JSON, HTML, a form, or plain text, with random text around.

    A space or dash next to it is not left between it and a digit of the text around: that
    would make the number longer, and a longer number is another number.
    """
    before, after = draw(words), draw(words)
    left, right = draw(boundaries), draw(boundaries)
    if left in " -" and before[-1:].isdigit():
        before += "x"
    if right in " -" and after[:1].isdigit():
        after = "x" + after
    layout = draw(st.sampled_from(["text", "json", "json-number", "html", "form", "repr"]))
    if layout == "json":
        return json.dumps({"message": f"{before}{left}{written}{right}{after}", "code": 1})
    if layout == "json-number" and written.isdigit():
        return f'{{"pan": {written}, "note": {json.dumps(before)}}}'
    if layout == "html":
        return f"<html><body><p>{before}</p><td>{written}</td><p>{after}</p></body></html>"
    if layout == "form":
        return f"a={before}&pan={written}&b={after}"
    if layout == "repr":
        return repr({"number": written, "x": before})
    return f"{before}{left}{written}{right}{after}"


# --- the mask: card numbers ---------------------------------------------------------------------


@settings(max_examples=400)
@given(st.data())
def test_no_luhn_valid_card_number_survives_whole(data: st.DataObject) -> None:
    number, written = data.draw(written_card())
    text = data.draw(embedded(written))
    masked = mask_card_data(text)
    assert not shows_whole(number, masked), (text, masked)
    assert_only_hides_more(masked, mask_card_data(masked))


def assert_only_hides_more(once: str, twice: str) -> None:
    """Masking masked text again changes nothing but digits, into stars."""
    assert len(once) == len(twice)
    assert all(a == b or (a.isdigit() and b == "*") for a, b in zip(once, twice, strict=True))


@given(written_card())
def test_at_most_the_first_6_and_last_4_digits_stay(card: tuple[str, str]) -> None:
    number, written = card
    masked = mask_card_data(written)
    assert re.sub("[^0-9*]", "", masked) == number[:6] + "*" * (len(number) - 10) + number[-4:]
    assert re.sub("[0-9*]", "", masked) == re.sub("[0-9]", "", written)  # separators stay


@pytest.mark.parametrize("number", CARDS)
@pytest.mark.parametrize("template", ["{}", "{} ", "card {}.", '"{}"', "<b>{}</b>", "pan={}&x"])
@pytest.mark.parametrize("joiner", ["", " ", "-"])
def test_documented_card_examples(number: str, template: str, joiner: str) -> None:
    written = joiner.join(re.findall(".{1,4}", number))
    masked = mask_card_data(template.format(written))
    assert not shows_whole(number, masked)
    shown = re.sub("[^0-9*]", "", masked)
    assert shown == number[:6] + "*" * (len(number) - 10) + number[-4:]


@given(
    st.text("0123456789", min_size=1, max_size=40).filter(
        lambda digits: not (13 <= len(digits) <= 19 and luhn_valid(digits))
    ),
    st.text(st.characters(exclude_categories=["Nd"], exclude_characters=" -"), max_size=20),
    st.text(st.characters(exclude_categories=["Nd"], exclude_characters=" -"), max_size=20),
)
def test_luhn_invalid_and_other_digit_runs_are_left_alone(
    digits: str, before: str, after: str
) -> None:
    text = f"{before} {digits} {after}"
    assert mask_card_data(text) == text


@given(card_numbers.map(luhn_break), st.sampled_from([" ", "-"]))
def test_luhn_invalid_numbers_in_groups_of_four_are_left_alone(number: str, joiner: str) -> None:
    if len(number) != 16:
        number = luhn_break(luhn_complete(number[:15]))
    written = joiner.join(re.findall(".{4}", number))
    assert mask_card_data(f"ref {written}") == f"ref {written}"


@given(st.integers(1_000_000_000_000, 9_999_999_999_999).filter(lambda t: not luhn_valid(str(t))))
def test_millisecond_timestamps_that_fail_luhn_are_left_alone(timestamp: int) -> None:
    text = f"created at {timestamp}"
    assert mask_card_data(text) == text


def test_the_issues_examples() -> None:
    assert mask_card_data("order 4242424242424241 at 1729012345678") == (
        "order 4242424242424241 at 1729012345678"
    )
    assert mask_card_data("4242 4242 4242 4242") == "4242 42** **** 4242"
    assert mask_card_data("4242-4242-4242-4242") == "4242-42**-****-4242"
    assert mask_card_data("Invalid card number 4242424242424242") == (
        "Invalid card number 424242******4242"
    )


@given(st.text(max_size=200))
def test_masking_again_only_hides_more(text: str) -> None:
    once = mask_card_data(text)
    if "cvc" not in text.lower():  # a dropped code is "***" whatever its length
        assert_only_hides_more(once, mask_card_data(once))
    assert mask_card_data(mask_card_data(once)) == mask_card_data(once) or "*" in once


# --- the mask: security codes -------------------------------------------------------------------

CVC_NAMES = (
    "cvc",
    "CVC",
    "cvv",
    "cvv2",
    "CVV2",
    "cvc2",
    "cvn",
    "cid",
    "csc",
    "securityCode",
    "security_code",
    "security-code",
    "cardSecurityCode",
    "encryptedSecurityCode",
    "card_cvc",
    "cardVerificationValue",
    "card_verification",
    "card_verification_code",
    "cvcCode",
    "cvv_code",
    "cvc-value",
)
CVC_LAYOUTS = (
    '{{"{name}": "{value}"}}',
    '{{"{name}":"{value}"}}',
    '{{ "{name}" : "{value}" }}',
    '{{"{name}": {value}}}',
    "{{'{name}': '{value}'}}",
    '{{\\"{name}\\":\\"{value}\\"}}',
    "{name}={value}",
    "a=1&{name}={value}&b=2",
    "card[{name}]={value}",
    "{name}%3D{value}",
    "<{name}>{value}</{name}>",
    "{name}: {value}",
    "{name} {value}",
    "Invalid {name} {value}.",
    "{name}={value};",
)


@settings(max_examples=300)
@given(
    st.sampled_from(CVC_NAMES),
    st.sampled_from(CVC_LAYOUTS),
    st.text("0123456789", min_size=3, max_size=4),
    st.text(st.characters(exclude_categories=["Nd", "L"]), max_size=10),
)
def test_security_code_values_are_dropped_however_written(
    name: str, layout: str, value: str, after: str
) -> None:
    text = layout.format(name=name, value=value) + " " + after
    masked = mask_card_data(text)
    assert not re.search(rf"(?<![0-9]){value}(?![0-9])", masked), (text, masked)
    assert name in masked  # the field's name stays: the reader knows what was there


@pytest.mark.parametrize(
    "text",
    [
        "CVC check failed",
        "cvc_check: pass",
        '"cvc": null',
        '"cvc": ""',
        "acid 123 and decided 456",
        "amounts 100 200 300",
        "the cvc must be 3 or 4 digits",
    ],
)
def test_words_near_a_security_code_name_are_kept(text: str) -> None:
    assert mask_card_data(text) == text


def test_security_code_fields_in_parsed_data() -> None:
    data = {
        "errors": {"payment.cvc": ["737 is not valid", "must be 3 or 4 digits"]},
        "card": {"cvv2": 737, "number": 4242424242424242, "holder": "A. B"},
        "list": ["4242 4242 4242 4242", 1729012345678],
    }
    assert mask_data(data) == {
        "errors": {"payment.cvc": ["*** is not valid", "must be 3 or 4 digits"]},
        "card": {"cvv2": "***", "number": "424242******4242", "holder": "A. B"},
        "list": ["4242 42** **** 4242", 1729012345678],
    }
    assert is_cvc_field("card[cvc]") and is_cvc_field("paymentMethod.securityCode")
    assert not is_cvc_field("cvc_check") and not is_cvc_field("decided")


def test_one_rule_for_card_number_fields_and_the_mock() -> None:
    assert card_number_repr("4242424242424242") == repr("424242******4242")
    assert card_number_repr("4242 4242 4242 4242") == repr(keep_first6_last4("4242 4242 4242 4242"))
    assert card_number_repr("123456789012") == repr("*" * 12)
    assert card_number_repr(None) == "None"
    assert valid_card_number("4242424242424242") and not valid_card_number("4242424242424241")


# --- everything built from an error body --------------------------------------------------------

SPACED = "4242 4242 4242 4242"
DASHED = "5555-5555-5555-4444"
PLAIN = "378282246310005"
LEAKS = f"card {PLAIN} / {SPACED} / {DASHED}, cvc: 737"


def hostile_bodies() -> dict[str, bytes]:
    """An error body of every shape with card data in every field it has."""
    checkout = {
        "error": {
            "type": LEAKS,
            "code": LEAKS,
            "message": f"Invalid card number {SPACED}",
            "param": LEAKS,
            "decline_code": LEAKS,
            "request_id": f"req {PLAIN}",
            "errors": [{"field": "cvc", "message": "737 is not a valid CVC"}],
        }
    }
    problem = {
        "type": "https://errors.example/" + DASHED,
        "title": LEAKS,
        "status": 422,
        "detail": LEAKS,
        "errors": {"number": [f"{SPACED} is invalid"], "cvv": ["737"]},
        "errors_metadata": {"card": {"number": 4242424242424242, "cvc": 737, "note": LEAKS}},
    }
    flat = {"code": LEAKS, "message": LEAKS, "source": LEAKS, "type": LEAKS}
    adyen = {
        "status": 422,
        "errorCode": LEAKS,
        "message": LEAKS,
        "errorType": LEAKS,
        "pspReference": PLAIN,
    }
    cvc_param = {"error": {"code": "invalid_cvc", "message": "737 is wrong", "param": "cvc"}}
    return {
        "checkout": json.dumps(checkout).encode(),
        "problem": json.dumps(problem).encode(),
        "problem, trailing commas": json.dumps(problem).replace("}", ",}").encode(),
        "pay": json.dumps(flat).encode(),
        "adyen": json.dumps(adyen).encode(),
        "message": json.dumps({"message": LEAKS}).encode(),
        "cvc param": json.dumps(cvc_param).encode(),
        "number as JSON number": b'{"message": "bad", "pan": 4242424242424242}',
        "html": f"<html><td>{SPACED}</td><td>CVC</td><td>737</td>{LEAKS}</html>".encode(),
        "text": LEAKS.encode(),
        "echoed request": json.dumps(
            {"message": "bad request", "request": {"number": PLAIN, "cvc": "737"}}
        ).encode(),
    }


def leaked(text: str) -> list[str]:
    found = [n for n in ("4242424242424242", "5555555555554444", PLAIN) if shows_whole(n, text)]
    if re.search(r"(?<![\w.*-])737(?![\w.*-])", text):
        found.append("cvc")
    return found


def every_text(error: errors.PlexyError) -> list[str]:
    """str, repr, message, args, every detail field (at any depth), snippet, request id..."""
    texts = [str(error), repr(error), repr(vars(error))]
    texts += [str(obj) for _, obj in walk(error)]
    if isinstance(error, errors.APIStatusError):
        for field in attrs.fields(errors.ErrorDetail):
            texts.append(repr(getattr(error.detail, field.name)))
    return texts


@pytest.mark.parametrize(("shape", "body"), list(hostile_bodies().items()))
def test_no_card_data_in_any_field_of_an_error(shape: str, body: bytes) -> None:
    error = error_for(422, body, {"X-Request-Id": f"req-{SPACED}"})
    for text in every_text(error):
        assert not leaked(text), (shape, text)
    assert error.body_snippet, "the snippet is still there, masked"
    if shape != "html" and shape != "text":
        assert parse_error_body(body) is not None


def test_the_detail_keeps_what_is_not_secret() -> None:
    error = error_for(422, hostile_bodies()["checkout"], {})
    # "param" mentions a CVC but names no CVC field: the message's numbers stay (masked).
    assert error.detail.message == "Invalid card number 4242 42** **** 4242"
    assert error.detail.field_errors == {"cvc": ["*** is not a valid CVC"]}
    assert error.detail.request_id == "req 378282*****0005"
    assert str(error).startswith("HTTP 422 [card 378282*****0005 / 4242 42** **** 4242")
    cvc = error_for(400, hostile_bodies()["cvc param"], {})
    assert cvc.detail.message == "*** is wrong" and cvc.code == "invalid_cvc"


@given(st.data())
@settings(max_examples=200)
def test_a_card_number_anywhere_in_an_error_body_is_masked(data: st.DataObject) -> None:
    number, written = data.draw(written_card())
    field = data.draw(st.sampled_from(["message", "code", "type", "param", "decline_code"]))
    shape = data.draw(st.sampled_from(["checkout", "flat", "problem"]))
    if shape == "checkout":
        doc: dict[str, Any] = {"error": {field: f"x {written} y"}}
    elif shape == "problem":
        doc = {"type": "t", "title": f"x {written}", "status": 400, "detail": f"{written} y"}
    else:
        doc = {field: f"{written}", "errors": {"f": [written]}}
    error = error_for(400, json.dumps(doc).encode(), {})
    for text in every_text(error):
        assert not shows_whole(number, text)


def test_a_long_body_cut_in_a_card_number_shows_no_more_of_it() -> None:
    for cut_at in range(1, 16):
        head = b"<p>" + b"x" * (240 * 8 - 3 - cut_at)
        body = head + b"4242 4242 4242 4242 and more" + b"y" * 100
        snippet = clean_snippet(body)
        digits = re.findall(r"[0-9][0-9 ]*", snippet)
        assert all(len(d.replace(" ", "")) <= 4 for d in digits), (cut_at, snippet[-30:])


# --- over loopback: a hostile server, the client, and the log -----------------------------------


@asynccontextmanager
async def hostile_server(status: int, body: bytes, content_type: str) -> AsyncIterator[Any]:
    hits: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        hits.append(request.path)
        headers = {"X-Request-Id": f"req-{SPACED}"}
        return web.Response(status=status, body=body, content_type=content_type, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}", hits
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(("shape", "body"), list(hostile_bodies().items()))
@pytest.mark.parametrize("status", [400, 402, 422, 500])
async def test_errors_and_debug_logs_from_a_hostile_server_show_no_card_data(
    shape: str, body: bytes, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="plexy_async")
    content_type = "text/html" if shape == "html" else "application/json"
    card = CardData(number=PLAIN, expiry_month="03", expiry_year="2030", cvc="737")
    async with (
        hostile_server(status, body, content_type) as (url, hits),
        PlexyClient(api_key="sk_test_mask", base_url=url) as client,
    ):
        with pytest.raises(errors.PlexyError) as caught:
            await client.direct_payments.create(
                amount=100, currency="KZT", card=card, options=NO_RETRY
            )
    assert hits == ["/v1/payments/direct"]
    error = caught.value
    assert isinstance(error, errors.APIStatusError | errors.OutcomeUnknownError)
    texts = every_text(error) + [r.getMessage() for r in caplog.records]
    assert any("request_id=req-4242 42** **** 4242" in t for t in texts)  # the log line
    for text in texts:
        assert not leaked(text), (shape, text)
    assert_clean(error)


async def test_a_success_body_that_does_not_fit_is_masked_in_the_error() -> None:
    # The converter quotes the value that does not fit: a card number and a CVC here.
    body = json.dumps({"id": "m1", "status": [SPACED, "cvc: 737"]}).encode()
    async with (
        hostile_server(200, body, "application/json") as (url, hits),
        PlexyClient(api_key="sk_test_mask", base_url=url) as client,
    ):
        with pytest.raises(errors.ResponseValidationError) as caught:
            await client.merchant.retrieve()
    assert hits == ["/v1/merchant"] or len(hits) == 1
    assert "status" in str(caught.value) and "4242 42** **** 4242" in str(caught.value)
    for text in every_text(caught.value):
        assert not leaked(text), text
    assert_clean(caught.value)


def test_generated_idempotency_keys_never_look_like_card_numbers() -> None:
    # Error messages quote the key ("retry with idempotency_key=..."): the mask must leave it be.
    keys = [new_idempotency_key() for _ in range(20_000)]
    assert all(mask_card_data(key) == key for key in keys)
    assert len(set(keys)) == len(keys)


@settings(max_examples=200)
@given(written_card(), st.sampled_from(["json", "python"]), st.data())
def test_a_card_number_written_with_escaped_digits_is_masked(
    card: tuple[str, str], style: str, data: st.DataObject
) -> None:
    number, written = card
    escape = (lambda c: f"\\u{ord(c):04x}") if style == "json" else (lambda c: f"\\x{ord(c):02x}")
    escaped = "".join(
        escape(c) if c.isdigit() and data.draw(st.booleans()) else c for c in written
    )
    masked = mask_card_data(f'{{"message": "card {escaped} declined"}}')
    decoded = re.sub(r"\\(?:u00|x)([0-9a-f]{2})", lambda m: chr(int(m[1], 16)), masked)
    assert not shows_whole(number, decoded), (escaped, masked)


API_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"


@pytest.mark.parametrize("surface", ["checkout", "pay"])
async def test_an_api_key_echoed_by_the_server_never_leaves(
    surface: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A gateway that quotes the request's key back, in the body and a header."""

    async def echo(request: web.Request) -> web.Response:
        key = request.headers.get("x-api-key") or request.headers.get("Authorization") or ""
        body = {"code": "401", "message": f"Invalid API key: {key}", "errors": {key: [key]}}
        return web.json_response(body, status=401, headers={"X-Request-Id": f"req {key}"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    caplog.set_level(logging.DEBUG, logger="plexy_async")
    try:
        async with PlexyClient(api_key=API_KEY, base_url=url) as plexy:
            call = plexy.merchant.retrieve() if surface == "pay" else plexy.payment_methods.list(
                merchant_account="M"
            )
            with pytest.raises(errors.AuthenticationError) as caught:
                await call
    finally:
        await runner.cleanup()
    exc = caught.value
    assert "Invalid API key: ****" in str(exc)
    assert assert_clean(exc, extra_secrets=[API_KEY]) > 1
    assert API_KEY.encode() not in pickle.dumps(exc)
    assert API_KEY not in repr(exc.detail) and API_KEY not in exc.body_snippet
    assert all(API_KEY not in record.getMessage() for record in caplog.records)
