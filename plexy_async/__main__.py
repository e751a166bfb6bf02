"""``python -m plexy_async``: the ``plexy-async`` command line."""

from .cli import main

raise SystemExit(main())
