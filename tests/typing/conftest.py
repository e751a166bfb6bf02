"""``tests/typing/`` is user code for the type checkers (``make typecheck``), never run: pytest
collects nothing here."""

collect_ignore_glob = ["*.py"]
