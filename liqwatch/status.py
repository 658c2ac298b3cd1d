"""`liqwatch status`: per venue, is it connected, how fresh, how much today, gaps, dead letters.

On a DuckDB file, live facts come from the status file a running collector rewrites every few
seconds next to the store (DuckDB lets one process write, so `status` cannot ask the collector's
store while it runs); stored facts come from the store when it can be opened.

On a shared store (PostgreSQL), every collector writes its status document into the store
(Store.write_status); `status` lists each collector (stale ones marked: stopped, hung, or its
clock is off) and, per venue, the freshest running collector's view of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import msgspec
from rich.table import Table

from liqwatch.config import Settings
from liqwatch.feed.collector import Status, VenueStatus, read_status
from liqwatch.store.base import CollectorStatus, Store
from liqwatch.venues import REGISTRY
from liqwatch.venues.lifecycle import closed_note

DAY_MS = 86_400_000
SILENT_MS = 60_000  # connected, but no frame for this long before the document was written


class VenueRow(msgspec.Struct):
    venue: str
    collector: str  # "running", "stopped" (status file is stale) or "never run"
    connected: bool | None
    last_frame_age_s: float | None
    last_data_age_s: float | None
    events_today: int | None  # stored events with ts in the current UTC day
    gaps_today: int | None
    dead_letters: int
    reconnects: int | None
    coverage: str
    last_error: str | None = None
    # "closed 2026-09-23" (a closed venue, history only) or "not covered: … how to cover it"; None otherwise
    note: str | None = None
    journal_errors: int = 0  # frames the collector could not journal (a full disk)


def venue_note(venue: str, state: VenueStatus | None) -> str | None:
    """What the status views say instead of connected/down for a closed or not covered venue."""
    return closed_note(venue) or (state.not_covered if state is not None and state.not_covered else None)


def _dead_letters_by_venue(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    if not path.exists():
        return counts
    decoder = msgspec.json.Decoder(dict[str, object])
    with path.open("rb") as stream:
        for line in stream:
            with contextlib.suppress(msgspec.DecodeError):
                venue = str(decoder.decode(line).get("venue", "?"))
                counts[venue] = counts.get(venue, 0) + 1
    return counts


def collect_status(settings: Settings, now_ms: int) -> list[VenueRow]:
    live = read_status(settings.status_file)
    running = live is not None and not live.is_stale(now_ms)
    day_start = now_ms - now_ms % DAY_MS
    stored: dict[str, tuple[int, int]] = {}
    if Path(settings.db).exists():
        from liqwatch.store.base import StoreError
        from liqwatch.store.duckdb import DuckDBStore

        with contextlib.suppress(StoreError):
            store = DuckDBStore(settings.db, read_only=True)
            try:
                activity = {a.venue: a.events for a in store.activity(day_start, now_ms)}
                for venue in REGISTRY:
                    gap_count = len(store.gaps(venue, since=day_start, until=now_ms))
                    stored[venue] = (activity.get(venue, 0), gap_count)
            finally:
                store.close()
    letters = _dead_letters_by_venue(settings.dead_letters)
    rows = []
    for venue, spec in REGISTRY.items():
        state = live.venues.get(venue) if live is not None else None
        events: int | None = None
        gaps: int | None = None
        if venue in stored:
            events, gaps = stored[venue]
        rows.append(
            VenueRow(
                venue=venue,
                collector=("running" if running else "stopped") if state else "never run",
                connected=(state.connected if running else False) if state else None,
                last_frame_age_s=(now_ms - state.last_frame_ts) / 1000 if state and state.last_frame_ts else None,
                last_data_age_s=(now_ms - state.last_data_ts) / 1000 if state and state.last_data_ts else None,
                events_today=events,
                gaps_today=gaps if gaps is not None else (state.gaps if state else None),
                dead_letters=letters.get(venue, 0),
                reconnects=state.reconnects if state else None,
                coverage=spec.coverage,
                last_error=state.last_error if state else None,
                note=venue_note(venue, state),
                journal_errors=state.journal_errors if state else 0,
            )
        )
    return rows


def writes_line(status: Status | None) -> str | None:
    """One line on the collector's write failures (a full disk, a store gone), or None when none."""
    if status is None:
        return None
    parts = []
    journal = sum(v.journal_errors for v in status.venues.values())
    if journal:
        parts.append(f"{journal:,} frames not journaled")
    if status.journal_sync_errors:
        parts.append(f"{status.journal_sync_errors:,} journal flushes failed")
    if status.store_errors:
        parts.append(f"{status.store_errors:,} store writes failed")
    if status.store_dropped:
        parts.append(f"{status.store_dropped:,} events given up by the store")
    if status.gap_log_errors:
        parts.append(f"{status.gap_log_errors:,} gap-log lines not written")
    if not parts:
        return None
    waiting = f"; {status.store_pending:,} waiting for the store" if status.store_pending else ""
    cause = f" (last: {status.store_last_error})" if status.store_last_error else ""
    return "write failures: " + ", ".join(parts) + waiting + cause


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def status_table(rows: list[VenueRow]) -> Table:
    table = Table(title="liqwatch status", title_justify="left")
    columns = ["venue", "collector", "connected", "last frame", "events today", "gaps today", "dead letters"]
    columns.append("not journaled")
    for name in columns:
        table.add_column(name, justify="left" if name in ("venue", "collector") else "right")
    for row in rows:
        connected = "—" if row.connected is None else ("[green]yes[/]" if row.connected else "[red]no[/]")
        if row.note:
            connected = f"[dim]{row.note.split(':')[0]}[/]"
        table.add_row(
            f"{row.venue} [dim]({row.coverage})[/]",
            row.collector,
            connected,
            _age(row.last_frame_age_s),
            "—" if row.events_today is None else f"{row.events_today:,}",
            "—" if row.gaps_today is None else str(row.gaps_today),
            str(row.dead_letters),
            f"[red]{row.journal_errors:,}[/]" if row.journal_errors else "0",
        )
    how = [f"{row.venue} {row.note}" for row in rows if row.note and ":" in row.note]
    if how:
        table.caption = "\n".join(how)
        table.caption_justify = "left"
    return table


# ── shared stores (PostgreSQL): one status document per collector ──────────────────────────────


class CollectorRow(msgspec.Struct):
    source: str  # host:pid of the collector
    age_s: float  # since it last wrote its status
    stale: bool  # not rewritten for several intervals: stopped, hung, or its clock is off
    connected: list[str]  # venues connected and sending frames
    silent: list[str]  # connected, but no frame for SILENT_MS (when it wrote)
    down: list[str]  # not connected
    events: int  # new events it stored since it started
    gaps: int
    dead_letters: int
    reconnects: int


def _venue_health(state: VenueStatus, written: int) -> str:
    if not state.connected:
        return "down"
    if state.last_frame_ts is None or written - state.last_frame_ts > SILENT_MS:
        return "silent"
    return "connected"


def decode_statuses(found: Sequence[CollectorStatus]) -> list[tuple[str, Status]]:
    """(source, status) of every readable document (other documents are skipped)."""
    out = []
    for item in found:
        with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
            out.append((item.source, msgspec.json.decode(item.doc, type=Status)))
    return out


def collector_rows(statuses: Sequence[tuple[str, Status]], now_ms: int) -> list[CollectorRow]:
    rows = []
    for source, doc in statuses:
        health: dict[str, list[str]] = {"connected": [], "silent": [], "down": []}
        for venue, state in sorted(doc.venues.items()):
            if venue_note(venue, state) is None:  # closed or not covered venues are neither up nor down
                health[_venue_health(state, doc.updated)].append(venue)
        states = doc.venues.values()
        rows.append(
            CollectorRow(
                source=source,
                age_s=max(0.0, (now_ms - doc.updated) / 1000),
                stale=doc.is_stale(now_ms),
                connected=health["connected"],
                silent=health["silent"],
                down=health["down"],
                events=sum(s.events for s in states),
                gaps=sum(s.gaps for s in states),
                dead_letters=sum(s.dead_letters for s in states),
                reconnects=sum(s.reconnects for s in states),
            )
        )
    return rows


def shared_venue_rows(
    statuses: Sequence[tuple[str, Status]], stored: dict[str, tuple[int, int]], now_ms: int
) -> list[VenueRow]:
    """Per venue: the view of the running collector that heard from it last (else of a stale one)."""
    rows = []
    for venue, spec in REGISTRY.items():
        views = [
            (not doc.is_stale(now_ms), s.last_frame_ts or 0, doc.updated, s)
            for _, doc in statuses
            if (s := doc.venues.get(venue)) is not None
        ]
        best = max(views, key=lambda v: v[:3]) if views else None
        events, gaps = stored.get(venue, (None, None))
        state = best[3] if best else None
        running = bool(best and best[0])
        rows.append(
            VenueRow(
                venue=venue,
                collector=("running" if running else "stopped") if state else "never run",
                connected=(state.connected and running) if state else None,
                last_frame_age_s=(now_ms - state.last_frame_ts) / 1000 if state and state.last_frame_ts else None,
                last_data_age_s=(now_ms - state.last_data_ts) / 1000 if state and state.last_data_ts else None,
                events_today=events,
                gaps_today=gaps,
                dead_letters=sum(v[3].dead_letters for v in views),
                reconnects=sum(v[3].reconnects for v in views) if views else None,
                coverage=spec.coverage,
                last_error=state.last_error if state else None,
                note=venue_note(venue, state),
            )
        )
    return rows


def stored_today(store: Store, now_ms: int) -> dict[str, tuple[int, int]]:
    """Per venue: (stored events, gaps) of the current UTC day."""
    day_start = now_ms - now_ms % DAY_MS
    activity = {a.venue: a.events for a in store.activity(day_start, now_ms)}
    gaps: dict[str, int] = {}
    for gap in store.gaps(since=day_start, until=now_ms):
        gaps[gap.venue] = gaps.get(gap.venue, 0) + 1
    return {venue: (activity.get(venue, 0), gaps.get(venue, 0)) for venue in REGISTRY}


def collect_shared_status(store: Store, now_ms: int) -> tuple[list[CollectorRow], list[VenueRow]]:
    statuses = decode_statuses(store.statuses())
    return collector_rows(statuses, now_ms), shared_venue_rows(statuses, stored_today(store, now_ms), now_ms)


def collectors_table(rows: list[CollectorRow]) -> Table:
    table = Table(title="collectors", title_justify="left")
    for name in ("collector", "updated", "connected", "silent", "down", "events", "gaps", "dead letters"):
        table.add_column(name, justify="right" if name in ("events", "gaps", "dead letters", "updated") else "left")
    for row in rows:
        age = _age(row.age_s) + " ago"
        table.add_row(
            row.source + (" [red](stale)[/]" if row.stale else ""),
            f"[red]{age}[/]" if row.stale else age,
            ", ".join(row.connected) or "—",
            f"[yellow]{', '.join(row.silent)}[/]" if row.silent else "—",
            f"[red]{', '.join(row.down)}[/]" if row.down else "—",
            f"{row.events:,}",
            str(row.gaps),
            str(row.dead_letters),
        )
    if not rows:
        table.add_row("[dim]no collector has written its status to this store[/]", *[""] * 7)
    return table
