"""Open the store a `--db` value names: a DuckDB file path, or a postgresql:// (postgres://) URL."""

from __future__ import annotations

from pathlib import Path

from liqwatch.store.base import Store, StoreError

URL_PREFIXES = ("postgresql://", "postgres://")


def is_postgres(db: str) -> bool:
    return db.strip().lower().startswith(URL_PREFIXES)


def open_store(db: str, *, must_exist: bool = True, read_only: bool = False) -> Store:
    """The store at `db`; StoreError (one line, no password) when it cannot be opened.

    must_exist: a DuckDB file must exist, a PostgreSQL database must already hold a liqwatch store
    (with must_exist=False, a missing store is created; the PostgreSQL database itself must exist).
    """
    if is_postgres(db):
        from liqwatch.store.postgres import PostgresStore

        return PostgresStore(db.strip(), read_only=read_only, create=not must_exist)
    from liqwatch.store.duckdb import DuckDBStore

    if must_exist and not Path(db).exists():
        raise StoreError(f"no store at {db}: run `liqwatch import FILE…` or `liqwatch run` first (or pass --db)")
    return DuckDBStore(db, read_only=read_only)
