"""Subprocesses in async tests: awaited to their end within a time limit, and killed when the
limit passes or the test fails, so that a command that never ends (a regression) cannot
outlive its test and keep a core, or the disk, busy."""

from __future__ import annotations

import asyncio


async def run_to_end(process: asyncio.subprocess.Process, seconds: float) -> tuple[bytes, bytes]:
    """``process.communicate()`` within ``seconds``; the process is killed if it is still
    running when that ends (``TimeoutError``, or the test cancelled)."""
    try:
        async with asyncio.timeout(seconds):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return out or b"", err or b""
