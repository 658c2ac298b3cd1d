"""How one write's rows reach DuckDB: as the relation `_batch` the write's SQL reads.

A big batch (an import, a burst) goes in as an Arrow table: columns, no per-row work. A small one
(the live collector's few events every quarter second, a status row, a gap, the instrument
catalogue, a poll of candles) goes in as SQL parameters into a temporary table shaped like its
target, so a collector at real-world rates never loads pyarrow (about 25 MB of resident memory) at
all; pyarrow is imported on the first big batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb

from liqwatch.model import Liquidation
from liqwatch.store.event_arrow import ARROW_TYPES, EVENT_COLUMNS, event_table, table_of, usd_units

SMALL_BATCH_ROWS = 512  # events: up to this many rows go in as SQL parameters, more as Arrow
SMALL_TABLE_ROWS = 10_000  # other tables: the whole instrument catalogue (a few thousand rows) too
_CHUNK = 128  # rows per INSERT … VALUES statement

# Arrow types of the columns that may be all None in one write (the others are inferred); by name
# so that pyarrow is imported only when a big batch needs it.
_ARROW_KINDS: dict[str, dict[str, str]] = {
    "events": ARROW_TYPES,
    "wallet_polls": {"ts": "int64", "account_value": "float64", "positions": "int64"},
    "wallet_positions": {
        **dict.fromkeys(("venue_pnl", "liquidation_px", "leverage", "margin_used", "funding_since_open"), "float64"),
        "leverage_type": "string",
        "ts": "int64",
    },
    "wallet_fills": {
        **dict.fromkeys(("closed_pnl", "liquidation_mark_px"), "float64"),
        **dict.fromkeys(("ts", "tid"), "int64"),
        "liquidation_method": "string",
    },
    "gaps": {"venue": "string", "start_ts": "int64", "end_ts": "int64", "reason": "string"},
}


class Batch:
    """Rows for table `table`'s `columns`, attached to a connection as `_batch` and detached after."""

    def __init__(
        self,
        table: str,
        columns: Sequence[str],
        size: int,
        rows: Callable[[], Sequence[tuple[Any, ...]]],
        columns_of: Callable[[], Sequence[Sequence[Any]]],
        small_up_to: int = SMALL_BATCH_ROWS,
    ) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.size = size
        self._rows = rows  # row tuples, for the small path
        self._columns_of = columns_of  # column lists, for the Arrow path
        self._small_up_to = small_up_to
        self._registered = False

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        if self.size > self._small_up_to:
            con.register("_batch", self._arrow())
            self._registered = True
            return
        names = ", ".join(self.columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _batch AS SELECT {names} FROM {self.table} LIMIT 0")
        rows = self._rows()
        marks = "(" + ", ".join("?" * len(self.columns)) + ")"
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            con.execute(f"INSERT INTO _batch VALUES {', '.join([marks] * len(chunk))}", [v for r in chunk for v in r])

    def detach(self, con: duckdb.DuckDBPyConnection) -> None:
        if self._registered:
            con.unregister("_batch")
            self._registered = False
        else:
            con.execute("DROP TABLE IF EXISTS _batch")

    def _arrow(self) -> Any:
        columns = [v if isinstance(v, list) else list(v) for v in self._columns_of()]
        return table_of(columns, self.columns, _ARROW_KINDS.get(self.table, {}))


class TableBatch(Batch):
    """Events already in an Arrow table of EVENT_COLUMNS (event_arrow.event_table)."""

    def __init__(self, table: Any) -> None:
        super().__init__("events", EVENT_COLUMNS, table.num_rows, list, list, small_up_to=-1)
        self._table = table

    def _arrow(self) -> Any:
        return self._table


def rows_batch(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> Batch:
    return Batch(table, columns, len(rows), lambda: rows, lambda: list(zip(*rows, strict=True)), SMALL_TABLE_ROWS)


def event_batch(events: list[Liquidation]) -> Batch:
    """The events (sorted, distinct) with their exact usd_units; ValueError for a usd no store holds
    (checked now, not when the batch is attached). More than SMALL_BATCH_ROWS: an Arrow table."""
    if len(events) > SMALL_BATCH_ROWS:
        return TableBatch(event_table(events))
    _, units = usd_units(events)
    rows = [
        (e.venue, e.symbol, e.coin, e.side, e.price, e.qty, e.usd, e.ts, e.recv_ts, e.coverage, e.id, u)
        for e, u in zip(events, units, strict=True)
    ]
    return Batch("events", EVENT_COLUMNS, len(rows), lambda: rows, lambda: list(zip(*rows, strict=True)))
