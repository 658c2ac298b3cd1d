"""Every venue fixture frame gives exactly its golden events (one test for all venues)."""

from __future__ import annotations

from pathlib import Path

import pytest

from liqwatch.venues import REGISTRY
from tests.venues.golden import FIXTURES, check_golden, frames


@pytest.mark.parametrize("path", frames(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_matches_golden(path: Path) -> None:
    check_golden(path)


def test_every_registered_venue_has_fixtures() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert set(REGISTRY) <= folders, f"venues without fixtures: {sorted(set(REGISTRY) - folders)}"
