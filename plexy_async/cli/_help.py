"""The ``--help`` layout: descriptions wrapped, preformatted epilogs kept line for line."""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.HelpFormatter):
    """Wraps a text written on one line (the descriptions) to the terminal's width, as argparse
    does; keeps a text that holds line breaks (an epilog such as the input columns or the exit
    status table, written preformatted at most 79 characters wide) exactly as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" not in text:
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line if line.strip() else "" for line in text.splitlines())
