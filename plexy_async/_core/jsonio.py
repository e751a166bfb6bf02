"""JSON text in and out of the request path: request bodies written straight from the models,
responses parsed without ``json.loads``' detours.

``dumps(model)`` gives exactly the bytes of ``json.dumps(unstructure(model),
separators=(",", ":"))``, but writes each model's text with a function generated once per class
from the converter's own field plan (``_converter.out_fields``: names, order, what is left out,
every hook), so no dict is built on the way. Whatever the plan does not cover (a custom hook, an
enum, a datetime, a list, a value of an unexpected class) goes through the converter's hook and
the compact encoder, which is where the output of the two paths meets.
"""

from __future__ import annotations

import json
import json.encoder
import linecache
from collections.abc import Callable
from typing import Any

import attrs

from plexy_async._core.converter import (
    OutField,
    out_fields,
    unstructure,
    unstructure_hook,
    unstructures_by_class,
)

__all__ = ["dumps", "encode", "loads"]


def _compact_json_encoder() -> Callable[[Any], str]:
    """``json.dumps(obj, separators=(",", ":"))``, minus the per-call set-up.

    ``json.dumps`` with any keyword builds a ``JSONEncoder`` per call, and ``JSONEncoder.encode``
    still builds its C encoder per call; this builds the C encoder once (circular references end
    in ``RecursionError`` instead of ``ValueError``). Without the C accelerator: plain ``encode``.
    """
    compact = json.JSONEncoder(separators=(",", ":"))
    make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if make_encoder is None:
        return compact.encode
    try:
        chunks = make_encoder(
            None, compact.default, json.encoder.encode_basestring_ascii, None, ":", ",",
            False, False, True,
        )  # fmt: skip
    except TypeError:  # another signature in some future Python
        return compact.encode

    def encode(obj: Any) -> str:
        return "".join(chunks(obj, 0))

    return encode


#: JSON text of plain data (dicts, lists, strings, numbers), compact, ASCII only.
encode = _compact_json_encoder()
_string = json.encoder.encode_basestring_ascii  # what the encoder writes for a str


def dumps(obj: Any) -> bytes:
    """The compact JSON body of a model: ``encode(unstructure(obj))``, without the dicts."""
    return _write_by_class(obj).encode()


# --- one writer per class -----------------------------------------------------------------------

_writers: dict[type, Callable[[Any], str]] = {}


def _writer_for(cls: type) -> Callable[[Any], str]:
    """The function that writes an instance of exactly ``cls`` as JSON text (cached)."""
    writer = _writers.get(cls)
    if writer is None:
        fields = out_fields(cls) if attrs.has(cls) else None
        writer = _writers[cls] = _generated_writer(cls, fields) if fields else _via_hook(cls)
    return writer


def _write_by_class(value: Any) -> str:
    return (_writers.get(value.__class__) or _writer_for(value.__class__))(value)


def _via_hook(cls: type) -> Callable[[Any], str]:
    hook = unstructure_hook(cls)
    return lambda value: encode(hook(value))


def _generated_writer(cls: type, fields: tuple[OutField, ...]) -> Callable[[Any], str]:
    """``cls``'s writer, generated: the fields always sent in one f-string, then the others.

    Each value is written inline when its class is the one its field expects (str, int, bool,
    or a model with a plan of its own); anything else goes through the field's hook and
    ``encode``, as ``unstructure`` would send it.
    """
    namespace: dict[str, Any] = {
        "_s": _string,
        "_i": int.__repr__,
        "_j": encode,
        "_w": _write_by_class,
    }
    always = [f for f in fields if not f.omitted_if_none]
    lines = []
    parts = []  # of one f-string: the literal text comes in as constants, no escaping needed
    for i, f in enumerate(always):
        namespace[f"_k{i}"] = ("{" if i == 0 else ",") + _string(f.key) + ":"
        lines.append(f"  v{i} = instance.{f.name}")
        value = _value_source(f, i, f"v{i}", namespace)
        if not f.copes_with_none:
            value = f"'null' if v{i} is None else {value}"
        parts.append(f"{{_k{i}}}{{{value}}}")
    lines.append(f'  out = f"{"".join(parts)}"' if always else "  out = ''")
    for i, f in enumerate(fields[len(always) :], start=len(always)):
        namespace[f"_k{i}"] = "," + _string(f.key) + ":"
        lines += [
            f"  v = instance.{f.name}",
            "  if v is not None:",
            f"    out += _k{i} + {_value_source(f, i, 'v', namespace)}",
        ]
    lines.append("  return out + '}'" if always else "  return '{' + out[1:] + '}'")
    name = f"write_{cls.__name__}"
    source = f"def {name}(instance):\n" + "\n".join(lines) + "\n"
    filename = f"<plexy_async generated JSON writer {cls.__module__}.{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]  # type: ignore[no-any-return]


def _value_source(f: OutField, i: int, var: str, namespace: dict[str, Any]) -> str:
    """An expression writing ``var`` (not ``None``, unless the hook copes with it) as JSON."""
    if f.hook is None:
        if f.type is str:
            return f"(_s({var}) if {var}.__class__ is str else _j({var}))"
        if f.type is int:
            return f"(_i({var}) if {var}.__class__ is int else _j({var}))"
        if f.type is bool:
            return f"('true' if {var} is True else 'false' if {var} is False else _j({var}))"
        return f"_j({var})"
    namespace[f"_u{i}"] = f.hook
    if unstructures_by_class(f.hook):  # a union: each value as its own class
        return f"_w({var})"
    if isinstance(f.type, type) and out_fields(f.type) is not None:
        # (no model contains itself: the converter's own plan could not be made for one)
        namespace[f"_c{i}"], namespace[f"_e{i}"] = f.type, _writer_for(f.type)
        return f"(_e{i}({var}) if {var}.__class__ is _c{i} else _j(_u{i}({var})))"
    return f"_j(_u{i}({var}))"


# --- in -----------------------------------------------------------------------------------------

_decoder = json.JSONDecoder()
_scan: Callable[[str, int], tuple[Any, int]] = vars(_decoder)["scan_once"]  # C, where it exists


def loads(body: bytes) -> Any:
    """``json.loads(body)`` for UTF-8 bodies (RFC 8259), without its detours.

    A body that is exactly one JSON value is scanned directly: no encoding sniffing, no
    whitespace matching. Anything else (surrounding whitespace, a byte order mark, trailing
    data, invalid JSON) takes the decoder's full path, which gives its usual ``ValueError``.
    """
    text = body.decode()
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        end = -1
    if end == len(text):
        return value
    return _decoder.decode(text[1:] if text.startswith("\ufeff") else text)


def dumps_via_dicts(obj: Any) -> bytes:
    """``dumps`` the long way, through ``unstructure``: what the tests hold ``dumps`` to."""
    return encode(unstructure(obj)).encode()
