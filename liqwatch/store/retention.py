"""Retention (`liqwatch prune`): remove what is older than a cutoff, on either store.

The cutoff C is a whole hour (rounded down): everything with ts <= C goes and (C, …) stays, like
a window's start. Rollup bucket b holds the ts in (b·1h, (b+1)·1h], so exactly the buckets < C/1h
go with their events and the kept period's totals stay exact. The stores remove in one
transaction: DuckDB deletes rows; PostgreSQL drops the monthly partitions that lie wholly at or
before C and deletes the rest (store/postgres.py).
"""

from __future__ import annotations

import msgspec

from liqwatch.store.schema import BUCKET_MS
from liqwatch.timeparse import iso

DAY_MS = 86_400_000
MIN_AGE_MS = DAY_MS  # a younger cutoff needs --force: it would eat into the live windows


class PruneReport(msgspec.Struct, frozen=True):
    before: int  # the cutoff: rows at or before it were (or would be) removed
    dry_run: bool
    removed: dict[str, int]  # table → rows ("events": events), in a fixed order
    partitions: tuple[str, ...] = ()  # PostgreSQL monthly partitions dropped whole

    def describe(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        rows = ", ".join(f"{n:,} {table}" for table, n in self.removed.items() if n) or "nothing"
        text = f"{verb} everything at or before {iso(self.before)}: {rows}"
        if self.partitions:
            text += f" (partitions {'dropped' if not self.dry_run else 'to drop'}: {', '.join(self.partitions)})"
        return text


def side_tables(before: int) -> list[tuple[str, str, int]]:
    """(table, condition with one `{}` placeholder, its value) of the rows that go with the events."""
    return [
        ("rollup_hour", "bucket < {}", before // BUCKET_MS),
        ("gaps", "end_ts <= {}", before),  # gaps that ended by the cutoff
        ("candles", "open_ts + interval_ms <= {}", before),  # bars that closed by the cutoff
        ("market_stats", "ts <= {}", before),
        ("wallet_polls", "ts <= {}", before),
        ("wallet_positions", "ts <= {}", before),
        ("wallet_fills", "ts <= {}", before),
    ]


def check_whole_hour(before: int) -> None:
    """ValueError unless a store's prune cutoff is a whole hour (check_cutoff makes one)."""
    if before % BUCKET_MS:
        raise ValueError(f"prune cutoff {before} is not a whole hour (see retention.check_cutoff)")


def check_cutoff(before: int, now: int, *, force: bool = False) -> int:
    """The cutoff rounded down to a whole hour; ValueError (one line) for one that is not > 0,
    or, unless forced, in the future or within the last 24 h."""
    cutoff = before - before % BUCKET_MS
    if cutoff <= 0:
        raise ValueError(f"cutoff {before} is not after 1970-01-01T01:00Z")
    if not force and cutoff > now:
        raise ValueError(f"cutoff {iso(cutoff)} is in the future: that would remove live data (--force to insist)")
    if not force and cutoff > now - MIN_AGE_MS:
        raise ValueError(f"cutoff {iso(cutoff)} is within the last 24 h: that would empty live windows (--force)")
    return cutoff
