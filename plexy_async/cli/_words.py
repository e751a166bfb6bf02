"""The command line's words: library messages told in flags and environment variables.

The batch package and the client are shared with Python users, so their errors name keyword
arguments (``pass secret=... or set PLEXY_BATCH_SECRET``, ``pass resume=True``). At the command
line there is no such keyword: ``cli_words(message)`` rewrites those phrases into the flag or
environment variable that does the same, and is applied to every error the CLI prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final, TypeAlias

_Replacement: TypeAlias = str | Callable[[re.Match[str]], str]

#: (pattern, replacement), applied in order; each names what a CLI user can actually set.
_REWRITES: Final[tuple[tuple[re.Pattern[str], _Replacement], ...]] = (
    # "no batch secret: pass secret=... or set PLEXY_BATCH_SECRET; ..." -> "set $PLEXY_..."
    (
        re.compile(r"pass (\w+)=\.\.\. or set (?:the )?\$?(PLEXY_\w+)(?: environment variable)?"),
        r"set the environment variable \2",
    ),
    (
        re.compile(r"pass resume=True to continue that batch, or choose another journal"),
        "add --resume to continue that batch, or choose another journal with --journal",
    ),
    (
        re.compile(r"resume=True needs the journal to resume from"),
        "--resume needs the journal to resume from (--journal)",
    ),
    (re.compile(r"\bbatch_id must be a non-empty string"), "--batch-id must not be empty"),
    (re.compile(r"\bconcurrency must be at least 1"), "--concurrency must be at least 1"),
    (re.compile(r"\bbase_url must"), "--base-url ($PLEXY_BASE_URL) must"),
    (
        re.compile(r"\benvironment must be 'live' or 'sandbox'"),
        "$PLEXY_ENVIRONMENT must be 'live' or 'sandbox'",
    ),
    (
        re.compile(r"the batch secret differs from the one this journal was written with"),
        "the batch secret ($PLEXY_BATCH_SECRET) differs from the one this journal was written with",
    ),
    (
        re.compile(r"the journal belongs to batch ('[^']*'), not ('[^']*')"),
        r"the journal belongs to batch \1, not \2 (--batch-id)",
    ),
    (
        re.compile(r"the journal was written by operation ('[^']*'), not ('[^']*')"),
        r"the journal was written by operation \1, not \2 (--operation)",
    ),
    # Whatever keyword is left: ``[pass ]name=...`` / ``name=True`` read as the flag of that name.
    (
        re.compile(r"(\bpass )?\b([a-z][a-z_]*)=(?:\.\.\.|True)"),
        lambda m: ("use " if m[1] else "") + "--" + m[2].replace("_", "-"),
    ),
)


def cli_words(message: str) -> str:
    """``message`` with Python keyword phrases turned into flags and environment variables.

    Example:
        ::

            cli_words("no batch secret: pass secret=... or set PLEXY_BATCH_SECRET")
            # 'no batch secret: set the environment variable PLEXY_BATCH_SECRET'
    """
    for pattern, replacement in _REWRITES:
        message = pattern.sub(replacement, message)
    return message
