"""The ``plexy-async`` command line (also ``python -m plexy_async``): batch, journal, mock,
worker and demo.

::

    plexy-async batch payments.csv --concurrency 64 --journal out.jsonl [--resume]
    plexy-async journal out.jsonl [--failures] [--export results.csv]
    plexy-async mock --port 8080
    plexy-async demo [--bad-lines]

``_commands`` parses the arguments and dispatches each command (``COMMANDS``), ``_running``
holds what they share (the exit status table ``EXIT_CODES``, the watched run, Ctrl-C),
``_progress`` draws progress, ``_failures`` lists the items that did not settle,
``_journal_command`` reads a journal back, ``_words`` tells library messages in flags and
environment variables, ``_help`` lays out ``--help``, and ``_demo`` is the demo.
"""

from plexy_async.cli._commands import build_parser, main, run
from plexy_async.cli._running import (
    EXIT_CODES,
    EXIT_INTERRUPTED,
    EXIT_ITEMS,
    EXIT_OK,
    EXIT_USAGE,
)

__all__ = [
    "EXIT_CODES",
    "EXIT_INTERRUPTED",
    "EXIT_ITEMS",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "main",
    "run",
]
