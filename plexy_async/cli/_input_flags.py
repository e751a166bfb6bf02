"""The ``batch`` command's flags about its input file, and the column list its ``--help`` shows.

``add_input_arguments(parser)`` adds ``--format``, ``--delimiter``, ``--amount-unit`` and
``--decimal-separator``; ``input_options(args)`` turns them into the keyword arguments of
``InputFile``; ``columns_help()`` is the ``--help`` epilog listing each operation's CSV columns,
preformatted in lines of at most 79 characters; ``columns_markdown()`` is the same table for
the README. Both are rendered from the one table, ``SPECS`` (``batch/_columns.py``).
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any, Final

from plexy_async.batch._amounts import AMOUNT_UNITS, DECIMAL_SEPARATORS
from plexy_async.batch._columns import DELIMITERS
from plexy_async.batch._input import FORMATS, SPECS

HELP_WIDTH: Final = 79
"""The widest line ``columns_help()`` writes."""


def _delimiter(value: str) -> str:
    """``--delimiter``'s value as ``InputFile`` takes it, or an argparse error (exit 2)."""
    if value not in DELIMITERS:
        raise argparse.ArgumentTypeError(f"{value!r} is not a delimiter: use , ; tab (or \\t) or |")
    return value


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the input flags to the ``batch`` parser; a bad value is an argparse error (exit 2)."""
    parser.add_argument("--format", choices=FORMATS, help="default: from INPUT's suffix")
    parser.add_argument(
        "--delimiter",
        type=_delimiter,
        metavar="CHAR",
        help="the CSV delimiter: , ; tab (or \\t) or | (default: told from the header line "
        "among , ; and tab); JSON Lines ignore it",
    )
    parser.add_argument(
        "--amount-unit",
        choices=AMOUNT_UNITS,
        default="minor",
        help="minor: whole minor units, as the API (10050 is 100.50 KZT; the default); "
        "major: 100.50, converted with the currency's ISO 4217 decimals",
    )
    parser.add_argument(
        "--decimal-separator",
        choices=DECIMAL_SEPARATORS,
        default=".",
        metavar="SEP",
        help="the decimal separator of major amounts: . (the default) or , ; grouping separators "
        "(1,000 or 1.000,50) are refused, never guessed",
    )


def input_options(args: argparse.Namespace) -> dict[str, Any]:
    """``InputFile``'s keyword arguments from the parsed flags: ``fmt``, ``delimiter``,
    ``amount_unit``, ``decimal_separator``."""
    return {
        "fmt": getattr(args, "format", None),
        "delimiter": getattr(args, "delimiter", None),
        "amount_unit": getattr(args, "amount_unit", None) or "minor",
        "decimal_separator": getattr(args, "decimal_separator", None) or ".",
    }


_NOTES: Final = (
    "Headers are read in any case, spaces and hyphens as underscores (Card Number is "
    "card_number). The delimiter is told from the header line (, ; or tab), or given with "
    "--delimiter. A UTF-8 BOM and CRLF line ends are fine. JSON Lines objects take the same "
    "names as keys; a JSON amount may be a string or a number (read from its exact text).",
    "Amounts are whole minor units by default, as the API takes them: 10050 is 100.50 KZT. "
    "With --amount-unit major they are major units, converted with the currency's ISO 4217 "
    "decimals (KZT 2, JPY 0, KWD 3): 100.50 KZT is 10050. The decimal separator is . unless "
    "--decimal-separator , is given. A line with more decimals than its currency has "
    "(100.005 KZT), a grouping separator (1,000) or a sign is rejected with its line number.",
)


def columns_help() -> str:
    """The ``batch --help`` epilog: each operation's input columns (``*``: required), what they
    hold with units, and an example; preformatted lines of at most ``HELP_WIDTH`` characters."""
    lines = ["input columns (CSV header names):", ""]
    for note in _NOTES:
        lines += _wrap(note, HELP_WIDTH, "  ", "  ")
        lines.append("")
    for operation, spec in SPECS.items():
        lines.append(f"{operation} (* required):")
        width = max(len(column.name) for column in spec.columns) + 2
        indent = " " * (width + 4)
        for column in spec.columns:
            head = f"  {column.name + (' *' if column.required else ''):<{width}}  "
            lines += _wrap(column.meaning, HELP_WIDTH, head, indent)
        lines.append("  example:")
        lines += [f"    {text}" for text in spec.example]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """``text`` in lines of at most ``width``, never broken inside a flag or a word."""
    return textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


def columns_markdown() -> str:
    """The README's "Batch input columns" tables, from the same table as ``columns_help()``."""
    parts = []
    for operation, spec in SPECS.items():
        rows = [
            f"| `{column.name}` | {'required' if column.required else 'optional'} | "
            f"{column.meaning} |"
            for column in spec.columns
        ]
        example = "\n".join(spec.example)
        parts.append(
            f"`{operation}`:\n\n| column | | meaning |\n|---|---|---|\n"
            + "\n".join(rows)
            + f"\n\n```\n{example}\n```\n"
        )
    return "\n".join(parts)
