"""The benchmark suite (HTTP clients, batch runner): ``python -m benchmarks`` (``make bench``).

Never part of the test run. See ``benchmarks/README.md`` for what is measured and how.
"""
