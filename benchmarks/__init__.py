"""The connection-reuse benchmark suite: ``python -m benchmarks`` (or ``make bench``).

Never part of the test run. See ``benchmarks/README.md`` for what is measured and how.
"""
