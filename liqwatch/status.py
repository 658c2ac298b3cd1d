"""`liqwatch status`: per venue, is it connected, how fresh, how much today, gaps, dead letters.

Live facts come from the status file a running collector rewrites every few seconds (DuckDB
lets one process write, so `status` cannot ask the collector's store while it runs); stored
facts come from the store when it can be opened.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import msgspec
from rich.table import Table

from liqwatch.config import Settings
from liqwatch.feed.collector import read_status
from liqwatch.venues import REGISTRY

DAY_MS = 86_400_000


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
                activity = {a.venue: a.events for a in store.activity(day_start)}
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
            )
        )
    return rows


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
    for name in ("venue", "collector", "connected", "last frame", "events today", "gaps today", "dead letters"):
        table.add_column(name, justify="left" if name in ("venue", "collector") else "right")
    for row in rows:
        connected = "—" if row.connected is None else ("[green]yes[/]" if row.connected else "[red]no[/]")
        table.add_row(
            f"{row.venue} [dim]({row.coverage})[/]",
            row.collector,
            connected,
            _age(row.last_frame_age_s),
            "—" if row.events_today is None else f"{row.events_today:,}",
            "—" if row.gaps_today is None else str(row.gaps_today),
            str(row.dead_letters),
        )
    return table
