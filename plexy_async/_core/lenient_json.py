"""The one lenient JSON reader: for error bodies and webhook bodies.

Some documented examples are near-JSON: the Getpaid error examples and the Pay API's webhook
examples end objects with a trailing comma (``{"status": 409, "detail": "...",}``). ``read``
parses strict JSON first (the common case costs nothing more), and only when that fails drops
every comma that stands right before a closing ``}`` or ``]``, outside strings, at any depth.
Nothing else is relaxed: a body that is still not JSON is reported, not guessed at.

It never raises and never keeps an exception: a body that cannot be read gives ``NotJSON``
with the reason, so callers raise their own error without any foreign exception in its chain.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

import attrs

# A JSON string (kept as is), or a comma between the end of a value and a closing bracket
# (dropped; the space before it kept). "[1,,]", "[,]" and "{,}" stay what they are: not JSON.
_STRING_OR_TRAILING_COMMA: Final = re.compile(
    r'("(?:[^"\\]|\\.)*")|(?<=[\]}"\w])(\s*),(?=\s*[}\]])', re.DOTALL
)


@attrs.frozen
class NotJSON:
    """What ``read`` gives for a body it cannot parse; ``reason`` says why ("not UTF-8",
    "not valid JSON")."""

    reason: str


def drop_trailing_commas(text: str) -> str:
    """``text`` without the commas that close an object or an array (strings untouched)."""
    return _STRING_OR_TRAILING_COMMA.sub(lambda m: m[1] if m[1] is not None else m[2], text)


def read(body: bytes | str, *, lenient: bool = True) -> Any:
    """The JSON value of ``body`` (UTF-8, a BOM allowed), or ``NotJSON``.

    ``lenient`` also accepts trailing commas; with ``lenient=False`` this is strict JSON.
    """
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        if text is None:
            return NotJSON("not UTF-8")
    else:
        text = body.removeprefix("\ufeff")
    doc = _loads(text)
    if doc is _FAILED and lenient:
        doc = _loads(drop_trailing_commas(text))
    return NotJSON("not valid JSON") if doc is _FAILED else doc


_FAILED: Final = object()


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, a number too long, nesting too deep
        return _FAILED
