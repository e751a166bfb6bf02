"""The generated code is what the request models give (issue 12).

``python -m plexy_async.resources._signatures`` writes the service methods' keyword parameters
and the calls that check them from the attrs request models, and ``tests/typing/check_*.py`` from
the services' signatures. These tests re-run it in memory and fail when a file is stale: a field
added to a model and not to its method, a hand edit inside a generated block, a typing check
missing for a new operation.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from plexy_async._core.routes import ROUTES
from plexy_async.resources import _signatures

ROOT = Path(__file__).resolve().parent.parent


def test_nothing_generated_is_stale() -> None:
    stale = [str(path.relative_to(ROOT)) for path in _signatures.stale_files()]
    assert not stale, f"stale: {stale}; run `python -m plexy_async.resources._signatures`"


def test_the_command_line_check_agrees() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "plexy_async.resources._signatures", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, ""), done.stderr


def test_generating_twice_changes_nothing() -> None:
    first = _signatures.expected_files()
    assert _signatures.expected_files() == first


CHECKOUT = importlib.import_module("plexy_async.resources.checkout")
SOURCE = Path(CHECKOUT.__file__ or "").read_text()


def test_a_hand_edit_in_a_block_is_stale() -> None:
    edited = SOURCE.replace("        shopper_reference: str | None = None,\n", "", 1)
    assert edited != SOURCE
    assert _signatures.render_resource(CHECKOUT, edited) == SOURCE


def test_an_emptied_block_is_filled_again() -> None:
    begin = "        # generated: PaymentRequest fields (_signatures.py)\n"
    start = SOURCE.index(begin) + len(begin)
    end = SOURCE.index("        # end generated\n", start)
    emptied = SOURCE[:start] + SOURCE[end:]
    assert _signatures.render_resource(CHECKOUT, emptied) == SOURCE


def test_a_block_without_its_end_is_refused() -> None:
    broken = SOURCE.replace("        # end generated\n", "", 1)
    with pytest.raises(SystemExit, match="has no '# end generated'"):
        _signatures.render_resource(CHECKOUT, broken)


@pytest.mark.parametrize(
    ("declared", "parameter"),
    [
        ("str | None", "str | None"),
        ("Amount", "Amount"),
        ("BeneficiaryStatus | None", "BeneficiaryStatus | str | None"),
        ("list[LineItem] | None", "Sequence[LineItem] | None"),
        ("list[str] | None", "list[str] | None"),  # a str would pass for a Sequence[str]
        ("dict[str, list[SplitShare]]", "dict[str, Sequence[SplitShare]]"),
    ],
)
def test_parameter_annotations(declared: str, parameter: str) -> None:
    namespace = vars(importlib.import_module("plexy_async.models.beneficiaries"))
    assert _signatures.parameter_annotation(declared, namespace) == parameter


def test_call_lines_wrap_at_the_line_length() -> None:
    assert _signatures.call_lines("    ", "f", ["a"], ["b", "c"]) == ["    f(a, b, c)"]
    args = [f"arg{i}" for i in range(40)]
    wrapped = _signatures.call_lines("        ", "body = f", ["Model", "m"], args)
    assert wrapped[0] == "        body = f(" and wrapped[-1] == "        )  # fmt: skip"
    assert all(len(line) <= 100 for line in wrapped)
    assert ", ".join(x.strip().rstrip(",") for x in wrapped[1:-1]).split(", ") == [
        "Model",
        "m",
        *args,
    ]


def test_every_operation_has_its_typing_check() -> None:
    files = _signatures.render_typing()
    text = "\n".join(files.values())
    for name in ROUTES:
        attribute, _, method = name.partition(".")
        assert f"async def check_{attribute}_{method}(plexy: PlexyClient)" in text
    for path in files:
        assert path.parent == ROOT / "tests" / "typing"
        assert not path.name.startswith("test_")  # read by the type checkers, never collected


def test_misspellings_are_no_parameter() -> None:
    assert _signatures.misspelt("options", {"options"}) == "option"
    assert _signatures.misspelt("amount", {"amount", "amoun"}) == "amountt"


def test_the_client_names_its_service_attributes_after_their_classes() -> None:
    from plexy_async import PlexyClient

    client = PlexyClient(api_key="sk_test_names", base_url="http://127.0.0.1:9")
    try:
        for attribute, cls in _signatures.service_classes().items():
            assert type(getattr(client, attribute)) is cls
    finally:
        client._closed = True  # never opened a session: nothing to close


def test_resolved_field_types_change_nothing() -> None:
    """cattrs may run ``attrs.resolve_types`` on the models: the generator reads what the class
    declares, so its output stays the same."""
    for model in _signatures.request_models().values():
        attrs.resolve_types(model)
    assert _signatures.stale_files() == []
