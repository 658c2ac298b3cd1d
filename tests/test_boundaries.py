"""The functional core stays pure: venue parsers and analytics import no I/O library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "liqwatch"
PURE = [
    "model.py",
    "numbers.py",
    "instruments.py",
    "timeparse.py",
    *(f"venues/{p.name}" for p in (PACKAGE / "venues").glob("*.py")),
    *(f"analytics/{p.name}" for p in (PACKAGE / "analytics").glob("*.py")),
]
IO_MODULES = {"asyncio", "socket", "websockets", "httpx", "duckdb", "psycopg", "fastapi", "subprocess", "time", "os"}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_no_io(module: str) -> None:
    assert not imported(PACKAGE / module) & IO_MODULES


def test_only_store_touches_the_database() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "store" not in path.parts:
            assert "duckdb" not in imported(path), path
