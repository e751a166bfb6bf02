"""``python -m plexy_async``: the ``plexy-async`` command line."""

from plexy_async.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
