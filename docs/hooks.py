"""MkDocs hooks: parts of the reference generated from the code at build time, so they cannot rot.

A page asks for one with a marker line, ``<!-- generated: NAME [ARGS] -->``:

* ``cli-help [COMMAND]``: the ``plexy-async [COMMAND] --help`` text, from the real parser.
* ``test-cards``: the mock server's test cards and the outcome of each, from its own tables.

An unknown marker fails the build.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

_MARKER = re.compile(r"^<!-- generated: (?P<name>[a-z-]+)(?P<args>(?: [a-z-]+)*) -->$", re.M)
_HELP_WIDTH = "88"  # argparse wraps to the terminal: fix it so that builds are reproducible


def on_page_markdown(markdown: str, **_: Any) -> str:
    return _MARKER.sub(_expand, markdown)


def _expand(match: re.Match[str]) -> str:
    name = match["name"]
    generator = _GENERATORS.get(name)
    if generator is None:
        raise ValueError(f"docs: unknown generated block {name!r}; known: {sorted(_GENERATORS)}")
    return generator(*match["args"].split())


def _cli_help(*command: str) -> str:
    from plexy_async.cli import build_parser

    out = io.StringIO()
    with _columns(_HELP_WIDTH), contextlib.redirect_stdout(out):
        try:
            build_parser().parse_args([*command, "--help"])
        except SystemExit as exit_:
            if exit_.code not in (0, None):
                raise
    shown = " ".join(["plexy-async", *command, "--help"])
    return f"```text\n$ {shown}\n{out.getvalue().rstrip()}\n```"


@contextlib.contextmanager
def _columns(width: str) -> Iterator[None]:
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = width
    try:
        yield
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def _test_cards() -> str:
    from plexy_async.testing import _cards

    rows = [
        "| Card number | Outcome | `refusalReason` | `refusalReasonCode` | Raw reason |",
        "| --- | --- | --- | --- | --- |",
    ]
    for number, (reason, code, raw) in _cards.REFUSALS.items():
        rows.append(f"| `{number}` | Refused | {reason} | `{code}` | `{raw}` |")
    rows.append(
        f"| `{_cards.THREE_DS_CARD}` | `RedirectShopper` (3-D Secure): complete it with "
        "`mock.redirect_result_for(psp_reference)` | | | |"
    )
    reason, code, raw = _cards.CVC_DECLINED
    rows.append(f"| any card with CVC `000` | Refused | {reason} | `{code}` | `{raw}` |")
    rows.append("| any other Luhn-valid number | `Authorised` | | | |")
    return "\n".join(rows)


_GENERATORS: dict[str, Callable[..., str]] = {"cli-help": _cli_help, "test-cards": _test_cards}
