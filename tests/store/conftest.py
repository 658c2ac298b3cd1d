"""A real PostgreSQL server for the store tests (tests/store/pgserver.py), one per session.

Skips the PostgreSQL tests with the reason when no server can be started on this machine;
under CI (env CI set) that is a failure instead: CI must run them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.store import pgserver


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The DSN of a running PostgreSQL server (database "postgres")."""
    try:
        cluster = pgserver.start()
    except pgserver.Unavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and could not be started: {exc}")
        pytest.skip(f"PostgreSQL not available, skipping its tests: {exc}")
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


@pytest.fixture
def pg_dsn(pg_server: str) -> str:
    """The URL of a new, empty database on the test server."""
    return pgserver.fresh_database(pg_server)
