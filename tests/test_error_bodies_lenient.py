"""Error bodies are read leniently, by the same reader as webhooks (issue 10, point 6).

The Getpaid page (shared/api-docs/getpaid-api-responses.txt) documents its 409 and 503 errors
with a trailing comma. Served verbatim over loopback, they give the right class, code and
message. Beyond the examples: any JSON error document, in any shape, written with trailing
commas in any of its objects and arrays at any depth, reads as the document itself, both as an
error body and as a webhook body; what is still not JSON after that stays unreadable.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from plexy_async import PlexyClient, RequestOptions, RetryPolicy, errors, webhooks
from plexy_async._core import lenient_json
from plexy_async._core.protocol import parse_error_body
from plexy_async.webhooks import _common as webhook_common

# Verbatim from the Getpaid page, line breaks and trailing commas included.
DOCUMENTED: dict[int, str] = {
    404: """{
"type": "https://docs.getpaid.io/integration/api/responses#404---not-found",
"title": "Not Found",
"status": 404
}""",
    409: """{
"type": "https://docs.getpaid.io/integration/api/responses#409---conflict",
"title": "Conflict",
"status": 409,
"detail": "Request cannot be completed due to the current state of the server",
}""",
    422: """{
"type": "https://docs.getpaid.io/integration/api/responses#422---invalid-parameters",
"title": "Invalid Parameters",
"status": 422,
"detail": "The request was invalid",
"errors": {
"field": ["required"]
}
}""",
    503: """{
"type": "https://docs.getpaid.io/integration/api/responses#503---server-unavailable",
"title": "Server Unavailable",
"status": 503,
"detail": "Request cannot be completed due to downstream services being unavailable",
}""",
}
EXPECTED: dict[int, tuple[type[errors.APIStatusError], str, str | None]] = {
    404: (errors.NotFoundError, "Not Found", "Not Found"),
    409: (
        errors.ConflictError,
        "Conflict",
        "Request cannot be completed due to the current state of the server",
    ),
    422: (errors.UnprocessableEntityError, "Invalid Parameters", "The request was invalid"),
    503: (
        errors.ServerError,
        "Server Unavailable",
        "Request cannot be completed due to downstream services being unavailable",
    ),
}
DOC_PAGE = pathlib.Path(__file__).parents[2] / "shared" / "api-docs" / "getpaid-api-responses.txt"
TWO_TRIES = RequestOptions(retry=RetryPolicy(max_attempts=2, initial_delay=0.001))


def test_the_examples_are_the_documented_ones() -> None:
    if not DOC_PAGE.exists():
        pytest.skip("the shared API docs are not next to this checkout")
    page = DOC_PAGE.read_text()
    for status, body in DOCUMENTED.items():
        assert body in page, status
    assert sum(body.endswith(",\n}") for body in DOCUMENTED.values()) == 2  # 409 and 503


@asynccontextmanager
async def verbatim_server(status: int, body: str) -> AsyncIterator[tuple[str, list[str]]]:
    """Answers every request with ``status`` and ``body``, byte for byte; records the paths."""
    hits: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(status=status, body=body.encode(), content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}", hits
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("status", sorted(DOCUMENTED))
async def test_the_documented_examples_served_verbatim_parse(status: int) -> None:
    cls, code, message = EXPECTED[status]
    async with (
        verbatim_server(status, DOCUMENTED[status]) as (url, hits),
        PlexyClient(api_key="sk_test_getpaid", base_url=url) as client,
    ):
        with pytest.raises(errors.APIStatusError) as caught:
            await client.merchant.retrieve(options=TWO_TRIES)
    error = caught.value
    assert type(error) is cls
    assert (error.status, error.code, error.detail.message) == (status, code, message)
    assert (
        error.detail.type
        == json.loads(lenient_json.drop_trailing_commas(DOCUMENTED[status]))["type"]
    )
    assert str(error) == f"HTTP {status} [{code}]: {message}"
    # The server's ledger: a 503 is retried (a GET), the others are not.
    assert hits == ["/v1/merchant"] * (2 if status == 503 else 1)


# --- the kind: near-JSON with trailing commas ---------------------------------------------------

NEAR_JSON = [
    ('{"message": "m", "code": "c",}', {"message": "m", "code": "c"}),
    ('{"message": "m",\n}', {"message": "m"}),
    ('{"message": "m" , }', {"message": "m"}),
    ('{"error": {"code": "c", "message": "m",},}', {"error": {"code": "c", "message": "m"}}),
    (
        '{"title": "T", "type": "t", "errors": {"f": ["a", "b",],},}',
        {"title": "T", "type": "t", "errors": {"f": ["a", "b"]}},
    ),
    ('{"message": "a,}b,]", "code": "x",}', {"message": "a,}b,]", "code": "x"}),
    ('{"message": "say \\"hi,\\",}",}', {"message": 'say "hi,",}'}),
    (
        '{"errors": [{"field": "f", "message": "m",},],}',
        {"errors": [{"field": "f", "message": "m"}]},
    ),
    ('\ufeff{"message": "m",}', {"message": "m"}),
    ('{"code": 3, "message": null, "type": true,}', {"code": 3, "message": None, "type": True}),
]
NOT_JSON = ["{,}", '{"a": 1,,}', '{"a": [1,,]}', "[,]", '{"a": 1', "<html>", "", "{'a': 1}"]


@pytest.mark.parametrize(("text", "doc"), NEAR_JSON)
def test_near_json_reads_as_the_document(text: str, doc: Any) -> None:
    assert lenient_json.read(text.encode()) == doc
    assert webhook_common.load_json(text.encode(), lenient=True) == doc


@pytest.mark.parametrize("text", NOT_JSON)
def test_what_is_still_not_json_stays_unreadable(text: str) -> None:
    assert isinstance(lenient_json.read(text.encode()), lenient_json.NotJSON)
    assert parse_error_body(text.encode()) is None
    with pytest.raises(webhooks.WebhookPayloadError, match="not valid JSON"):
        webhook_common.load_json(text.encode(), lenient=True)


def test_strict_stays_strict_where_asked() -> None:
    assert lenient_json.read(b'{"a": 1,}', lenient=False) == lenient_json.NotJSON("not valid JSON")
    assert lenient_json.read(b"\xff{}") == lenient_json.NotJSON("not UTF-8")
    assert isinstance(lenient_json.read(b"[" * 100_000), lenient_json.NotJSON)  # too deep


def test_webhooks_and_error_bodies_share_the_one_reader() -> None:
    assert vars(webhook_common)["_lenient_json"] is lenient_json
    assert not hasattr(webhook_common, "_STRING_OR_TRAILING_COMMA")


# Any JSON document, written with trailing commas where a writer may add them.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def with_trailing_commas(draw: st.DrawFn, doc: Any) -> str:
    """``doc`` as JSON text with, at random, a trailing comma (and spaces) in each non-empty
    object and array."""

    def write(value: Any) -> str:
        space = draw(st.sampled_from(["", " ", "\n", "\t "]))
        comma = "," + space if draw(st.booleans()) else ""
        if isinstance(value, dict) and value:
            items = [f"{json.dumps(k)}: {write(v)}" for k, v in value.items()]
            return "{" + ", ".join(items) + comma + "}"
        if isinstance(value, list) and value:
            return "[" + ", ".join(write(v) for v in value) + comma + "]"
        return json.dumps(value, ensure_ascii=draw(st.booleans()))

    return write(doc)


@settings(max_examples=300)
@given(st.data())
def test_any_document_with_trailing_commas_reads_as_itself(data: st.DataObject) -> None:
    doc = data.draw(documents)
    text = data.draw(with_trailing_commas(doc))
    assert lenient_json.read(text.encode()) == doc
    assert lenient_json.read(text) == doc


@settings(max_examples=200)
@given(
    st.data(),
    st.sampled_from(["checkout", "problem", "flat"]),
    st.text(
        st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=30
    ),
)
def test_error_bodies_of_every_shape_with_trailing_commas(
    data: st.DataObject, shape: str, message: str
) -> None:
    if shape == "checkout":
        doc: dict[str, Any] = {"error": {"type": "t", "code": "c", "message": message}}
    elif shape == "problem":
        doc = {"type": "t", "title": "c", "status": 409, "detail": message, "errors": {"f": ["x"]}}
    else:
        doc = {"code": "c", "message": message, "source": "s", "type": "t"}
    strict = parse_error_body(json.dumps(doc).encode())
    assert strict is not None and strict.code == "c"
    text = data.draw(with_trailing_commas(doc))
    assert parse_error_body(text.encode()) == strict
