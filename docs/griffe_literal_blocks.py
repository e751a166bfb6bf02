"""Griffe extension: the docstrings' reST literal blocks (``text::`` + an indented block) as
Markdown fences, so that the reference shows ``text:`` and a highlighted code block.

The code's docstrings read well in ``help()`` with ``::``; Markdown would show the ``::`` as
text. A block that parses as Python is highlighted as Python, anything else (a tree, a shell
line) is plain text. Blocks already fenced are left alone.
"""

from __future__ import annotations

import ast
import textwrap
from typing import Any

import griffe


class LiteralBlocks(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **_: Any) -> None:
        if obj.docstring is not None and "::" in obj.docstring.value:
            obj.docstring.value = to_fences(obj.docstring.value)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _language(block: list[str]) -> str:
    try:
        ast.parse(textwrap.dedent("\n".join(block)))
    except SyntaxError:
        return "text"
    return "python"


def to_fences(text: str) -> str:
    """Every ``::``-introduced indented block of ``text`` as a fenced block."""
    lines = text.split("\n")
    out: list[str] = []
    fenced = False
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or not line.rstrip().endswith("::"):
            out.append(line)
            continue
        base = _indent(line)
        intro = line.rstrip()[:-2].rstrip()
        end = i  # past the block's last non-blank line: blank lines after it stay as they are
        for j in range(i, len(lines)):
            if lines[j].strip() and _indent(lines[j]) <= base:
                break
            if lines[j].strip():
                end = j + 1
        block, body = lines[i:end], [b for b in lines[i:end] if b.strip()]
        if not body:  # a "::" with nothing indented after it: not a literal block
            out.append(line)
            continue
        i = end
        if intro.strip():
            out += [intro + ":", ""]
        pad = " " * base
        depth = min(_indent(b) for b in body)
        code = [pad + b[depth:] if b.strip() else "" for b in block]
        while not code[0].strip():
            code.pop(0)
        out += [f"{pad}```{_language(code)}", *code, f"{pad}```"]
        if i < len(lines) and lines[i].strip():
            out.append("")
    return "\n".join(out)
