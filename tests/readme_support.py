"""What the README snippet tests need: the snippets themselves, a mock server the snippets'
subprocesses can reach, an app served by uvicorn in a subprocess, and plain HTTP calls.

A tested snippet is a fenced ``python`` block right below a marker naming the file it becomes::

    <!-- snippet: fastapi/shop.py -->
    ```python
    ...
    ```

The marker is an HTML comment, so GitHub does not show it; the block order does not matter.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TypeVar

from plexy_async.testing import MockPlexy

T = TypeVar("T")

README: Final = Path(__file__).resolve().parent.parent / "README.md"

_MARKER: Final = re.compile(r"^<!-- snippet: (?P<path>\S+) -->$", re.MULTILINE)
_BLOCK: Final = re.compile(r"```python\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)
_PATH: Final = re.compile(r"[a-z_]+/[a-z_]+\.py")


def snippets(text: str) -> dict[str, str]:
    """``{"fastapi/shop.py": code, ...}``: every marked block of ``text``.

    Raises ``ValueError`` for a marker not followed at once by a python block, a path that is
    not ``group/module.py``, or a path used twice: a marker that silently matched nothing would
    leave a snippet untested.
    """
    found: dict[str, str] = {}
    for marker in _MARKER.finditer(text):
        path = marker["path"]
        if _PATH.fullmatch(path) is None:
            raise ValueError(f"snippet path {path!r} is not group/module.py")
        if path in found:
            raise ValueError(f"snippet {path!r} is marked twice")
        block = _BLOCK.match(text, marker.end() + 1)
        if block is None:
            raise ValueError(f"snippet {path!r}: no ```python block right below its marker")
        found[path] = block["code"]
    return found


def write_group(text: str, group: str, root: Path) -> list[Path]:
    """Write the snippets of ``group`` (``"fastapi"``: ``fastapi/*.py``) into ``root``."""
    written = []
    for path, code in snippets(text).items():
        folder, name = path.split("/")
        if folder == group:
            target = root / name
            target.write_text(code, encoding="utf-8")
            written.append(target)
    if not written:
        raise ValueError(f"the README has no snippet in {group}/")
    return written


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without PLEXY_*, PYTEST_* or proxy settings, plus ``extra``."""
    dropped = ("PLEXY_", "PYTEST_", "MYPY")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(dropped) and not name.lower().endswith("_proxy")
    }
    env.update(extra)
    return env


def run(args: list[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 120) -> str:
    """Run a command to its end; its exit status and merged output, as ``"rc=N\\n..."``."""
    done = subprocess.run(
        args,
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        check=False,
    )
    return f"rc={done.returncode}\n{done.stdout.decode(errors='replace')}"


class MockInThread:
    """A ``MockPlexy`` running in its own event loop on a thread, so that synchronous tests and
    the subprocesses they start can both reach it. Touch the mock only through ``call``."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="readme-mock", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._mock: MockPlexy | None = None
        self._failure: BaseException | None = None

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by __enter__ or __exit__
            self._failure = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with MockPlexy() as mock:
            self._mock = mock
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> MockInThread:
        self._thread.start()
        if not self._ready.wait(10) or self._mock is None:
            raise RuntimeError(f"the mock server did not start: {self._failure!r}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        if self._thread.is_alive():
            raise RuntimeError("the mock server did not stop within 10 s")
        if self._failure is not None:
            raise RuntimeError(f"the mock server failed: {self._failure!r}")

    @property
    def url(self) -> str:
        return self.call(lambda mock: mock.url)

    @property
    def api_key(self) -> str:
        return self.call(lambda mock: mock.api_key)

    def call(self, fn: Callable[[MockPlexy], T]) -> T:
        """``fn(mock)``, run on the mock's own loop (ledger reads, faults, reset)."""

        async def in_loop() -> T:
            assert self._mock is not None
            return fn(self._mock)

        return self.run(in_loop())

    def run(self, coro: Awaitable[T]) -> T:
        """Await ``coro`` on the mock's loop (``mock.send_webhook(...)``, say)."""
        assert self._loop is not None

        async def wrapped() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(30)


_RUNNING: Final = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


@contextmanager
def uvicorn_app(app: str, *, app_dir: Path, env: Mapping[str, str], log: Path) -> Iterator[str]:
    """Serve ``app`` (``"shop:app"``) with ``python -m uvicorn`` on 127.0.0.1, on a port the OS
    picks; yield its base URL. At the end, SIGTERM: uvicorn runs the lifespan's shutdown."""
    args = [sys.executable, "-m", "uvicorn", app, "--app-dir", str(app_dir)]
    args += ["--host", "127.0.0.1", "--port", "0", "--timeout-graceful-shutdown", "5"]
    with log.open("wb") as out:
        server = subprocess.Popen(args, cwd=app_dir, env=dict(env), stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while (found := _RUNNING.search(log.read_text(errors="replace"))) is None:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield found[1]
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


_NO_PROXY: Final = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(
    method: str, url: str, body: Any = None, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """One HTTP call (never through a proxy): status, headers (lower-case names), the JSON body
    (or its text, when it is not JSON)."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _NO_PROXY.open(request, timeout=60) as response:
            status, got, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, got, raw = error.code, error.headers, error.read()
        error.close()
    try:
        decoded = json.loads(raw) if raw else None
    except ValueError:  # "Internal Server Error", say: the test shows it as it came
        decoded = raw.decode(errors="replace")
    return status, {k.lower(): v for k, v in got.items()}, decoded
