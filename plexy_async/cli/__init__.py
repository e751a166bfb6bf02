"""The ``plexy-async`` command line (also ``python -m plexy_async``): batch, mock and demo.

::

    plexy-async batch payments.csv --concurrency 64 --journal out.jsonl [--resume]
    plexy-async mock --port 8080
    plexy-async demo

``_commands`` parses the arguments and runs each command, ``_running`` holds what they share
(exit codes, the watched run, Ctrl-C), ``_progress`` draws progress and ``_demo`` is the demo.
"""

from plexy_async.cli._commands import build_parser, main, run
from plexy_async.cli._running import EXIT_INTERRUPTED, EXIT_ITEMS, EXIT_OK, EXIT_USAGE

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_ITEMS",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "main",
    "run",
]
