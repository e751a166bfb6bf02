"""Every public name imports from where it is documented: ``__all__``, the README, the examples."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import plexy_async

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_PACKAGES = (
    "plexy_async",
    "plexy_async.errors",
    "plexy_async.models",
    "plexy_async.webhooks",
    "plexy_async.testing",
    "plexy_async.batch",
    "plexy_async.cli",
)


def all_modules() -> list[str]:
    names = ["plexy_async"]
    for info in pkgutil.walk_packages(plexy_async.__path__, "plexy_async."):
        names.append(info.name)
    return sorted(names)


def is_public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split("."))


@pytest.mark.parametrize("name", all_modules())
def test_every_name_in_all_imports(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        assert not (is_public(name) and name in PUBLIC_PACKAGES), f"{name} has no __all__"
        return
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names {attr!r}, which it does not have"
        namespace: dict[str, object] = {}
        exec(f"from {name} import {attr}", namespace)
        assert namespace[attr] is getattr(module, attr)


def test_the_public_packages_are_all_found() -> None:
    found = set(all_modules())
    assert set(PUBLIC_PACKAGES) <= found
    assert {"plexy_async.batch", "plexy_async.cli"} <= {
        m for m in found if isinstance(importlib.import_module(m), ModuleType)
    }


_IMPORT = re.compile(
    r"^[ \t]*(from[ \t]+plexy_async[\w.]*[ \t]+import[ \t]+(?:\([^)]*\)|[^\n]+)"
    r"|import[ \t]+plexy_async[\w.]*(?:[ \t]+as[ \t]+\w+)?)",
    re.MULTILINE,
)


def documented_imports() -> list[tuple[str, str]]:
    sources = [ROOT / "README.md", *sorted((ROOT / "examples").glob("*.py"))]
    found = []
    for path in sources:
        for match in _IMPORT.finditer(path.read_text()):
            statement = match.group(1).strip()
            statement = re.sub(r"\s*#[^\n]*", "", statement)
            found.append((path.name, statement))
    return found


def test_the_readme_and_the_examples_import_something() -> None:
    sources = {source for source, _ in documented_imports()}
    assert "README.md" in sources and "fastapi_app.py" in sources


@pytest.mark.parametrize(("source", "statement"), documented_imports())
def test_documented_imports_work(source: str, statement: str) -> None:
    ast.parse(statement)  # a statement as written, not a fragment
    exec(statement, {})


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "plexy_async", "--help"],
        [str(Path(sys.executable).parent / "plexy-async"), "--help"],
    ],
    ids=["python -m plexy_async", "plexy-async"],
)
def test_the_command_line_entry_points_start(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "batch" in result.stdout and "demo" in result.stdout
