"""Versioned schema migrations, one list for both stores.

A store's `meta` table holds its schema_version. Opening a store for writing applies, in one
transaction, every step whose version is above it, then records the new version; a store at a
version above `LATEST` was written by a newer liqwatch and is refused (nothing is changed).

Adding a step (a new table, a new column):
1. bump schema.SCHEMA_VERSION;
2. append `Step(version, "what it adds", duckdb=…, postgres=…)` to STEPS, with the SQL of each
   dialect (the same text twice when it is portable). Steps only add: never drop user data;
3. the store's own code uses the new table; tests/store/test_contract.py runs both stores.
Steps must be idempotent (CREATE … IF NOT EXISTS) so a half-made store can be finished. A step that
rewrites data SQL cannot express in both dialects gives a `rewrite` function (id_rewrite.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from liqwatch.store import aggregate_sql, id_rewrite, postgres_sql, schema, wallet_sql
from liqwatch.store.base import StoreError

Dialect = Literal["duckdb", "postgres"]


class Step(NamedTuple):
    version: int  # the version a store has once this step is applied
    what: str
    duckdb: str
    postgres: str
    # Data rewritten after the SQL, in the same transaction (connection, dialect): for changes
    # SQL cannot express in both dialects. It must be idempotent too.
    rewrite: Callable[[Any, Dialect], None] | None = None

    def sql(self, dialect: Dialect) -> str:
        return self.duckdb if dialect == "duckdb" else self.postgres


STEPS: tuple[Step, ...] = (
    Step(1, "events, rollup_hour, gaps, instruments", schema.CORE_TABLES, postgres_sql.EVENTS_V1),
    Step(2, "candles, market_stats", schema.MARKET_TABLES, postgres_sql.MARKET_V2),
    Step(3, "collector_status", schema.STATUS_TABLES, postgres_sql.STATUS_V3),
    Step(4, "watched wallets", wallet_sql.WALLET_TABLES, postgres_sql.from_portable(wallet_sql.WALLET_TABLES)),
    Step(5, "one event id across sources (ids rewritten in place)", "", "", id_rewrite.rewrite_ids),
    Step(6, "instrument_versions", schema.VERSION_TABLES, postgres_sql.from_portable(schema.VERSION_TABLES)),
    Step(
        7,
        "aggregate history, backfill marks",
        aggregate_sql.AGGREGATE_TABLES,
        postgres_sql.from_portable(aggregate_sql.AGGREGATE_TABLES),
    ),
    # PostgreSQL keeps the key: its writers upsert on it, several at once (store/duckdb_rollup.py)
    Step(8, "rollup_hour without its index (DuckDB)", schema.ROLLUP_UNKEYED, ""),
)

LATEST = STEPS[-1].version

if [s.version for s in STEPS] != list(range(1, schema.SCHEMA_VERSION + 1)):
    raise RuntimeError("migrations.STEPS must number 1 … schema.SCHEMA_VERSION without holes")


def pending(version: int) -> list[Step]:
    """The steps that take a store from `version` (0: empty) to LATEST, in order."""
    return [step for step in STEPS if step.version > version]


def too_new(where: str, version: int) -> str | None:
    """The one-line refusal for a store written by a newer liqwatch, or None."""
    if version > LATEST:
        known = f"this one knows up to {LATEST}"
        return f"{where}: written by a newer liqwatch (schema {version}; {known}); upgrade liqwatch"
    return None


def stored_version(where: str, meta: dict[str, str]) -> int:
    """The schema version a store's `meta` (key → value) records; StoreError for a store that is
    not liqwatch's or was written by a newer liqwatch."""
    if meta.get("application") != schema.APPLICATION:
        raise StoreError(f"{where}: not a liqwatch store (meta.application missing)")
    version = int(meta.get("schema_version", "0"))
    refusal = too_new(where, version)
    if refusal:
        raise StoreError(refusal)
    return version
