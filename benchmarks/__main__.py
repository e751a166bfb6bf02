"""``python -m benchmarks``: the connection-reuse and batch suite (``--quick`` for a smoke run)."""

from .suite import main

main()
