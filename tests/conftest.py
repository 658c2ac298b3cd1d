"""Shared test helpers: where ../shared lives (CI has it beside the checkout)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
RESEARCH_FIXTURES = SHARED / "research" / "fixtures"


def shared_fixture(name: str) -> str:
    """A verbatim research sample as compact wire text; skips the test when ../shared is absent."""
    path = RESEARCH_FIXTURES / name
    if not path.exists():
        pytest.skip(f"{path} not available (../shared is not beside the checkout)")
    return json.dumps(json.loads(path.read_text()), separators=(",", ":"))
