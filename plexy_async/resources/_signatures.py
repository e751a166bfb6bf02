"""Generates the service methods' keyword parameters and their first statement from the attrs
request models, and the typing tests (``tests/typing/check_*.py``) from the services'
signatures. A development tool: nothing imports it at run time.

::

    python -m plexy_async.resources._signatures          # rewrite whatever is stale
    python -m plexy_async.resources._signatures --check  # list what is stale, exit 1 if any

The request models in ``plexy_async/models/`` are the one source of truth. In a service module
the generated lines sit between two marker lines, ``# generated: ... (_signatures.py)`` and
``# end generated``; everything else is hand-written. Three kinds of block:

* ``# generated: PaymentRequest fields (_signatures.py)``, in a method's signature: one keyword
  parameter per field, in the model's order, with its type and default, except that a string
  enum also takes a plain str (``BeneficiaryStatus | str | None``, as the models do), and that
  ``list[X]`` becomes ``Sequence[X]`` (a tuple is fine too) unless ``X`` is ``str``, which a
  plain str would match. ``..., amount required (_signatures.py)`` makes a defaulted field a
  required parameter (``payments.refund`` wants its ``amount`` spelled out);
* ``# generated: PaymentRequest arguments (_signatures.py)``, the method's first statement:
  ``body = build_from(PaymentRequest, self.create, unexpected, options, <the fields>)``, which
  checks them all and builds the request body (``_base.build_from``);
* ``# generated: arguments (_signatures.py)``, the first statement of a method that sends no
  model: ``check_arguments(self.retrieve, unexpected, <its parameters>)``.

The arguments go positionally, in the order the checks are compiled in, so that a call costs
no dict and no reflection. ``tests/test_signatures_fresh.py`` fails when anything generated is
stale.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import importlib
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import attrs

import plexy_async.models
from plexy_async._core.routes import ROUTES

PACKAGE_DIR: Final = Path(__file__).resolve().parent.parent
ROOT: Final = PACKAGE_DIR.parent
RESOURCES_DIR: Final = PACKAGE_DIR / "resources"
TYPING_DIR: Final = ROOT / "tests" / "typing"
COMMAND: Final = "python -m plexy_async.resources._signatures"

_BEGIN: Final = re.compile(
    r"^(?P<indent>[ \t]*)# generated: (?:(?P<model>\w+) )?(?P<what>fields|arguments)"
    r"(?:, (?P<required>[\w, ]+?) required)? \(_signatures\.py\)$"
)
_DEF: Final = re.compile(r"^    (?:async )?def (?P<name>\w+)\(")
_CLASS: Final = re.compile(r"^class (?P<name>\w+)\(")
WIDTH: Final = 100  # ruff's line length
_END: Final = re.compile(r"^[ \t]*# end generated$")


# --- the service modules --------------------------------------------------------------------


def resource_modules() -> list[str]:
    """The service modules, ``plexy_async.resources.checkout`` and so on."""
    return sorted(
        f"plexy_async.resources.{path.stem}"
        for path in RESOURCES_DIR.glob("*.py")
        if not path.stem.startswith("_")
    )


def _module_path(module: ModuleType) -> Path:
    assert module.__file__ is not None
    return Path(module.__file__)


def render_resource(module: ModuleType, source: str | None = None) -> str:
    """The module's source (or ``source``, a version of it) with every generated block brought
    up to date."""
    text = _module_path(module).read_text() if source is None else source
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    owner = function = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        owner = m["name"] if (m := _CLASS.match(line)) else owner
        function = m["name"] if (m := _DEF.match(line)) else function
        begin = _BEGIN.match(line.rstrip("\n"))
        if begin is None:
            continue
        while i < len(lines) and not _END.match(lines[i].rstrip("\n")):
            if any(p.match(lines[i].rstrip("\n")) for p in (_BEGIN, _DEF, _CLASS)):
                break  # a block ends before the next one, and within its method
            i += 1
        if i == len(lines) or not _END.match(lines[i].rstrip("\n")):
            raise SystemExit(f"{module.__name__}: '{line.strip()}' has no '# end generated'")
        method = getattr(getattr(module, owner), function)
        out.extend(f"{g}\n" for g in _block(module, method, begin))
    return "".join(out)


def _block(module: ModuleType, method: Callable[..., Any], begin: re.Match[str]) -> list[str]:
    """The lines of one generated block: a model's fields as parameters, or the first statement
    of a method's body, which hands its arguments to ``build_from`` or ``check_arguments``."""
    indent = begin["indent"]
    where = f"{module.__name__}.{method.__qualname__}"
    model = None
    if begin["model"]:
        model = getattr(module, begin["model"], None)
        if not (isinstance(model, type) and attrs.has(model)):
            raise SystemExit(f"{where}: import the request model {begin['model']}")
    if begin["what"] == "fields":
        if model is None:
            raise SystemExit(f"{where}: name the model whose fields are generated")
        required = {name.strip() for name in (begin["required"] or "").split(",") if name}
        return parameters(model, module, indent, required)
    if model is not None:
        fields = [f.alias for f in attrs.fields(model) if f.init]
        head = [model.__name__, f"self.{method.__name__}", "unexpected", "options"]
        return call_lines(indent, "body = build_from", head, fields)
    params = [
        p.name
        for p in list(inspect.signature(method).parameters.values())[1:]
        if p.kind is not p.VAR_KEYWORD
    ]
    return call_lines(indent, "check_arguments", [f"self.{method.__name__}", "unexpected"], params)


def request_models() -> dict[str, type]:
    """The request model of every operation that sends one, by route name
    (``{"payments.create": PaymentRequest}``), as the generated blocks name them."""
    found = {}
    for name in resource_modules():
        module = importlib.import_module(name)
        owner = function = ""
        for line in _module_path(module).read_text().splitlines():
            owner = m["name"] if (m := _CLASS.match(line)) else owner
            function = m["name"] if (m := _DEF.match(line)) else function
            begin = _BEGIN.match(line)
            if begin and begin["what"] == "arguments" and begin["model"]:
                found[(owner, function)] = getattr(module, begin["model"])
    classes = {cls.__name__: attribute for attribute, cls in service_classes().items()}
    return {f"{classes[owner]}.{function}": model for (owner, function), model in found.items()}


def call_lines(indent: str, call: str, head: list[str], args: list[str]) -> list[str]:
    """``call(*head, *args)`` on one line when it fits, else wrapped: ``head`` on the first
    argument line, then as many ``args`` a line as fit (``# fmt: skip`` keeps it so)."""
    one = f"{indent}{call}({', '.join(head + args)})"
    if len(one) <= WIDTH:
        return [one]
    inner = indent + "    "
    rows = [inner + ", ".join(head) + ","]
    row = inner
    for arg in args:
        piece = f"{arg},"
        if row != inner and len(row) + 1 + len(piece) > WIDTH:
            rows.append(row)
            row = inner
        row = f"{row} {piece}" if row != inner else inner + piece
    rows.append(row)
    return [f"{indent}{call}(", *rows, f"{indent})  # fmt: skip"]


def parameters(model: type, module: ModuleType, indent: str, required: set[str]) -> list[str]:
    """One keyword parameter per field of ``model``, as source lines."""
    fields = {f.alias: f for f in attrs.fields(model) if f.init}
    unknown = required - set(fields)
    if unknown:
        raise SystemExit(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    namespace = vars(sys.modules[model.__module__])
    lines = []
    for name, field in fields.items():
        annotation = parameter_annotation(_declared(model, field.name), namespace)
        _check_names(annotation, module, f"{model.__name__}.{name}")
        if field.default is attrs.NOTHING or name in required:
            default = ""
        elif isinstance(field.default, (type(None), bool, int, float, str)):
            default = f" = {field.default!r}"
        else:
            raise SystemExit(f"{model.__name__}.{name}: a factory default cannot be a parameter's")
        lines.append(f"{indent}{name}: {annotation}{default},")
    return lines


def _declared(model: type, name: str) -> object:
    """A field's annotation as written in its class (``attrs.resolve_types``, which cattrs may
    run, replaces ``Attribute.type`` with the resolved type, never ``__annotations__``)."""
    for klass in model.__mro__:
        annotations = vars(klass).get("__annotations__", {})
        if name in annotations:
            return annotations[name]
    raise SystemExit(f"{model.__name__}.{name} has no annotation")


def parameter_annotation(declared: object, namespace: dict[str, Any]) -> str:
    """The parameter's annotation for a field declared ``declared`` (a string: the models
    use ``from __future__ import annotations``)."""
    if not isinstance(declared, str):
        raise SystemExit(f"expected a string annotation, got {declared!r}")
    tree = ast.parse(declared, mode="eval").body
    members = _union_members(tree)
    widened: list[ast.expr] = []
    for member in members:
        widened.append(_SequenceOfItems().visit(member))
        if _is_str_enum(member, namespace) and not any(_is_name(m, "str") for m in members):
            widened.append(ast.Name("str"))
    result = widened[0]
    for member in widened[1:]:
        result = ast.BinOp(result, ast.BitOr(), member)
    return ast.unparse(result)


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_union_members(node.left), *_union_members(node.right)]
    return [node]


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_str_enum(node: ast.expr, namespace: dict[str, Any]) -> bool:
    if not isinstance(node, ast.Name):
        return False
    value = namespace.get(node.id)
    return isinstance(value, type) and issubclass(value, Enum) and issubclass(value, str)


class _SequenceOfItems(ast.NodeTransformer):
    """``list[X]`` -> ``Sequence[X]`` for a parameter, unless ``X`` is ``str``."""

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if _is_name(node.value, "list") and not _is_name(node.slice, "str"):
            node.value = ast.Name("Sequence")
        return node


def _check_names(annotation: str, module: ModuleType, where: str) -> None:
    for node in ast.walk(ast.parse(annotation, mode="eval")):
        if isinstance(node, ast.Name) and not (
            hasattr(module, node.id) or hasattr(builtins, node.id)
        ):
            raise SystemExit(f"{module.__name__}: import {node.id} (used by {where})")


# --- the typing tests -----------------------------------------------------------------------

# A valid argument for a required parameter, by its annotation; the constants are defined in
# each typing test that uses them.
_SAMPLES: Final = {
    "str": '"x"',
    "int": "100",
    "int | None": "100",
    "Amount": "AMOUNT",
    "PaymentMethodInput": "CARD",
    "CardData": "CARD_DATA",
    "datetime": "WHEN",
    "Sequence[SplitShare]": "[SHARE]",
    "dict[str, Any]": "{}",
}
_CONSTANTS: Final = {
    "AMOUNT": ('AMOUNT = Amount(10000, "KZT")', "Amount"),
    "CARD": (
        'CARD = CardDetails(number="4242424242424242", expiry_month="03", expiry_year="2030")',
        "CardDetails",
    ),
    "CARD_DATA": (
        'CARD_DATA = CardData(number="4242424242424242", expiry_month="03", expiry_year="2030")',
        "CardData",
    ),
    "WHEN": ("WHEN = datetime(2030, 1, 1, tzinfo=UTC)", "datetime"),
    "SHARE": ('SHARE = SplitShare(beneficiary_id="ben_1", amount=100)', "SplitShare"),
}


def service_classes() -> dict[str, type]:
    """The client's service attributes, in the routes table's order:
    ``{"payments": PaymentsService}``. The class of ``payment_links`` is
    ``PaymentLinksService``: the client names its attributes after its services (a test holds
    the client to it), so this tool needs no import of the client above it."""
    by_name = {
        name: value
        for module in resource_modules()
        for name, value in vars(importlib.import_module(module)).items()
        if isinstance(value, type) and name.endswith("Service")
    }
    classes: dict[str, type] = {}
    for route_name in ROUTES:
        attribute = route_name.partition(".")[0]
        class_name = "".join(part.capitalize() for part in attribute.split("_")) + "Service"
        classes.setdefault(attribute, by_name[class_name])
    return classes


def operations() -> Iterator[tuple[str, str, Callable[..., Any]]]:
    """``(service attribute, method name, function)`` for every public operation, in the order
    of the routes table."""
    classes = service_classes()
    for name in ROUTES:
        attribute, _, method = name.partition(".")
        yield attribute, method, getattr(classes[attribute], method)


def misspelt(name: str, taken: set[str]) -> str:
    """A near miss of ``name`` that is no parameter: the last letter dropped, or doubled."""
    for candidate in (name[:-1], name + name[-1], name + "_x"):
        if candidate not in taken:
            return candidate
    raise AssertionError(name)


def _wrong_value(annotation: str) -> str:
    """A value of a type ``annotation`` refuses: an int where a str is taken, else a str."""
    members = _union_members(ast.parse(annotation, mode="eval").body)
    return "123" if any(_is_name(m, "str") for m in members) else '"x"'


def _required_value(annotation: str, where: str) -> str:
    try:
        return _SAMPLES[annotation]
    except KeyError:
        raise SystemExit(f"{where}: add a sample value for {annotation!r} to _SAMPLES") from None


def _call(function: Callable[..., Any], args: dict[str, str], positional: list[str]) -> str:
    pos = [args[name] for name in positional]
    kws = [f"{name}={value}" for name, value in args.items() if name not in positional]
    call = f"s.{function.__name__}({', '.join(pos + kws)})"
    return f"await {call}" if inspect.iscoroutinefunction(function) else call


def typing_check(attribute: str, function: Callable[..., Any]) -> tuple[list[str], set[str]]:
    """The lines of one operation's typing check, and the names they use."""
    where = f"{attribute}.{function.__name__}"
    signature = inspect.signature(function)
    params = [p for p in signature.parameters.values() if p.name != "self"]
    named = [p for p in params if p.kind is not p.VAR_KEYWORD]
    positional = [p.name for p in named if p.kind is p.POSITIONAL_OR_KEYWORD]
    required = {
        p.name: _required_value(str(p.annotation), f"{where}({p.name})")
        for p in named
        if p.default is p.empty
    }
    returns = str(signature.return_annotation)
    lines = [
        f"async def check_{attribute}_{function.__name__}(plexy: PlexyClient) -> None:",
        f"    s = plexy.{attribute}",
    ]
    valid = _call(function, required, positional)
    if returns == "None":
        lines.append(f"    assert_type({valid}, None)")
    else:
        lines.append(f"    assert_type({valid}, {returns})")
    taken = {p.name for p in named}
    for p in named:
        if p.default is not p.empty:
            args = {**required, misspelt(p.name, taken): "None"}
            lines.append(f"    {_call(function, args, positional)}  # type: ignore[call-arg]")
    for p in named:
        args = {**required, p.name: _wrong_value(str(p.annotation))}
        lines.append(f"    {_call(function, args, positional)}  # type: ignore[arg-type]")
    values = [*required.values(), returns]
    return lines, {name for value in values for name in _names_in(value)}


def _names_in(annotation: str) -> list[str]:
    tree = ast.parse(annotation, mode="eval")
    return [n.id for n in ast.walk(tree) if isinstance(n, ast.Name)]


def _import_line(names: set[str], service_modules: list[ModuleType]) -> list[str]:
    """Import statements for ``names``, each from its public home where it has one."""
    homes: dict[str, set[str]] = {}
    public_models = set(plexy_async.models.__all__)
    for name in sorted(names):
        if name in {"UTC", "datetime"}:
            homes.setdefault("datetime", set()).add(name)
        elif name in {"Any", "assert_type"}:
            homes.setdefault("typing", set()).add(name)
        elif name == "PlexyClient":
            homes.setdefault("plexy_async", set()).add(name)
        elif name in public_models:
            homes.setdefault("plexy_async.models", set()).add(name)
        else:
            owner = next((m for m in service_modules if hasattr(m, name)), None)
            if owner is None:
                raise SystemExit(f"typing tests: cannot tell where {name} comes from")
            homes.setdefault(getattr(owner, name).__module__, set()).add(name)
    stdlib = [m for m in sorted(homes) if not m.startswith("plexy_async")]
    ours = [m for m in sorted(homes) if m.startswith("plexy_async")]
    return [*map(_from_import, stdlib, (homes[m] for m in stdlib)), "",
            *map(_from_import, ours, (homes[m] for m in ours))]  # fmt: skip


def _from_import(module: str, names: set[str]) -> str:
    """``from module import a, b``, wrapped one name a line as isort does past 100 columns."""
    line = f"from {module} import {', '.join(sorted(names))}"
    if len(line) <= 100:
        return line
    return "\n".join([f"from {module} import (", *(f"    {n}," for n in sorted(names)), ")"])


def render_typing() -> dict[Path, str]:
    """``tests/typing/check_<service>.py`` for every service, as path -> text."""
    modules = [importlib.import_module(m) for m in resource_modules()]
    by_service: dict[str, list[Callable[..., Any]]] = {}
    for attribute, _, function in operations():
        by_service.setdefault(attribute, []).append(function)
    files = {}
    for attribute, functions in by_service.items():
        body: list[str] = []
        used = {"PlexyClient", "assert_type"}
        for function in functions:
            lines, names = typing_check(attribute, function)
            body += ["", "", *lines]
            used |= names
        constants = sorted(c for c in _CONSTANTS if c in used)
        used -= set(constants)
        used |= {_CONSTANTS[c][1] for c in constants} | ({"UTC"} if "WHEN" in constants else set())
        used = {n for n in used if not hasattr(builtins, n)}
        header = [
            "# ruff: noqa: E501",
            "# fmt: off",
            f'"""Typing checks for ``plexy.{attribute}``, generated by ``{COMMAND}``.',
            "",
            "Never run: mypy --strict --warn-unused-ignores and pyright read it (make test). Each",
            "``# type: ignore[...]`` pins an error the checker must report: a misspelt keyword",
            "(call-arg) or a wrong-typed value (arg-type); an unused one fails the check.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            *_import_line(used, modules),
        ]
        if constants:
            header += ["", *(_CONSTANTS[c][0] for c in constants)]
        files[TYPING_DIR / f"check_{attribute}.py"] = "\n".join(header + body) + "\n"
    return files


# --- staleness and the command line ---------------------------------------------------------


def expected_files() -> dict[Path, str]:
    """Every generated file's expected text."""
    files = {
        _module_path(module): render_resource(module)
        for module in map(importlib.import_module, resource_modules())
    }
    files.update(render_typing())
    return files


def stale_files() -> list[Path]:
    """The generated files whose text differs from what the models give (or that are missing),
    plus any stray ``check_*.py`` in ``tests/typing/``."""
    expected = expected_files()
    stale = [p for p, text in expected.items() if not p.is_file() or p.read_text() != text]
    stray = [p for p in TYPING_DIR.glob("check_*.py") if p not in expected]
    return sorted(stale + stray)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only list stale files")
    args = parser.parse_args(argv)
    expected = expected_files()
    stale = stale_files()
    for path in stale:
        print(path.relative_to(ROOT))
        if not args.check:
            if path in expected:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(expected[path])
            else:
                path.unlink()
    if args.check and stale:
        print(f"stale: run {COMMAND}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
