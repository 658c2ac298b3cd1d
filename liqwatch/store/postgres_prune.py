"""Retention on the PostgreSQL store (store/retention.py): whole months are dropped, not deleted.

In one transaction, under the partition lock (so no collector creates a partition meanwhile):
the monthly partitions lying wholly at or before the cutoff are dropped (DROP TABLE: instant,
and the disk space comes back at once), the rest of the events at or before it are deleted from
the one partition the cutoff falls in, and so are their ids in `event_ids` (ids of pruned events
become free again: re-importing an old journal stores its events again), their rollup hours and
the side tables' old rows. A writer busy with the same rows makes this wait, never corrupts it.

A process that wrote into a month before it was dropped remembers that month's partition; should
it later write an event of that month again (a back-fill of pruned history, never live data: the
cutoff is at least a day old), that write fails with a one-line StoreError; a new process (e.g.
`liqwatch import`) creates the partition anew.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg

from liqwatch.store import retention
from liqwatch.store.retention import PruneReport

BOUNDS = """
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'events'::regclass ORDER BY c.relname
"""
_UPPER = re.compile(r"TO \('?(-?\d+)'?\)")


def whole_partitions(bounds: list[tuple[str, str]], before: int) -> list[str]:
    """The partitions whose every ts is <= before (a partition's upper bound is exclusive)."""
    out = []
    for name, bound in bounds:
        upper = _UPPER.search(bound or "")
        if upper is not None and int(upper.group(1)) - 1 <= before:
            out.append(name)
    return out


def prune(cur: psycopg.Cursor[Any], before: int, dry_run: bool, partition_lock: int) -> PruneReport:
    """Remove (dry_run: count) everything at or before the whole hour `before`, in `cur`'s transaction."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", [partition_lock])
    row = cur.execute("SELECT coalesce(sum(n), 0) FROM rollup_hour WHERE bucket < %s", [before // 3_600_000]).fetchone()
    removed = {"events": int(row[0]) if row else 0}
    dropped = whole_partitions(cur.execute(BOUNDS).fetchall(), before)
    if not dry_run:
        for name in dropped:
            cur.execute(f'DROP TABLE "{name}"')
        cur.execute("DELETE FROM events WHERE ts <= %s", [before])
        cur.execute("DELETE FROM event_ids WHERE ts <= %s", [before])
    for table, cond, value in retention.side_tables(before):
        where = cond.format("%s")
        counted = cur.execute(f"SELECT count(*) FROM {table} WHERE {where}", [value]).fetchone()
        removed[table] = int(counted[0]) if counted else 0
        if removed[table] and not dry_run:
            cur.execute(f"DELETE FROM {table} WHERE {where}", [value])
    return PruneReport(before, dry_run, removed, tuple(dropped))
