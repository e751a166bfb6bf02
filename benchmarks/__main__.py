"""``python -m benchmarks``: the connection-reuse suite (``--quick`` for a smoke run)."""

from .suite import main

main()
