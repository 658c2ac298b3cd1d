"""The PostgreSQL store's own reads: `events` a page at a time, and the list of monthly partitions.

Every other read is written once for both stores (shared.py, reads_sql.py, wallet_shared.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from liqwatch.model import Liquidation
from liqwatch.store import reads_sql
from liqwatch.store.base import EventFilter
from liqwatch.store.reads_sql import POSTGRES, Fetch

PAGE = 10_000
PARTITIONS = (
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass"
)


def events(fetch: Fetch, where: EventFilter, limit: int | None) -> Iterator[Liquidation]:
    """Matching events by (ts, id), a page at a time (keyset on (ts, id)): no connection is held between pages."""
    remaining = None if limit is None else max(limit, 0)
    after: tuple[int, str] | None = None
    while remaining is None or remaining > 0:
        page = PAGE if remaining is None else min(PAGE, remaining)
        rows = fetch(*reads_sql.events_sql(POSTGRES, where, page, after))
        for row in rows:
            yield Liquidation(*row)
        if len(rows) < page:
            return
        after = (rows[-1][7], rows[-1][10])
        if remaining is not None:
            remaining -= len(rows)
