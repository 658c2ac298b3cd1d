"""Venue rows of /api/venues and the `venues` stream message (pure).

Live facts come from the running collector(s)' Status (in-process inside `liqwatch run`, the
status file or the store's status table otherwise); stored facts (last event, events in 24 h)
from the store. A venue is "connected" when every connection is open and data arrived within
its silence bound, "silent" when open but quiet longer than that, "down" when not connected,
"unknown" when no running collector reports it; "closed" for a venue whose exchange closed (history
only, `note` "closed 2026-09-23") and "not covered" for a selected venue with nothing to read
(Hyperliquid without a node directory; `note` says how to cover it) — neither is ever "down".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from liqwatch.feed.collector import Status, VenueStatus
from liqwatch.store.base import VenueActivity
from liqwatch.venues import REGISTRY
from liqwatch.venues.lifecycle import closed_note


def freshest(statuses: Sequence[Status], now: int) -> dict[str, tuple[VenueStatus, bool]]:
    """Per venue, its status in the most recently updated Status, and whether that one is running."""
    found: dict[str, tuple[VenueStatus, bool]] = {}
    for status in sorted(statuses, key=lambda s: s.updated):
        running = not status.is_stale(now)
        for venue, state in status.venues.items():
            found[venue] = (state, running)
    return found


def state_of(state: VenueStatus | None, running: bool, now: int, speed: float = 1.0) -> str:
    """`speed`: how fast the clock `now` comes from runs (feed.clock.speed_of): a venue's silence
    bound is wall time."""
    if state is not None and closed_note(state.venue):
        return "closed"
    if state is not None and state.not_covered and running:
        return "not covered"
    if state is None or not running:
        return "unknown"
    if not state.connected:
        return "down"
    spec = REGISTRY.get(state.venue)
    silence_ms = (spec.silence_s if spec is not None else 60.0) * 1000 * speed
    since = state.last_data_ts or state.connected_since
    if since is not None and now - since > silence_ms:
        return "silent"
    return "connected"


def write_failures(statuses: Sequence[Status], now: int) -> dict[str, Any]:
    """The running collectors' write failures (a full disk, a store gone), summed; the last store error."""
    running = [s for s in statuses if not s.is_stale(now)]
    errors = [s.store_last_error for s in sorted(running, key=lambda s: s.updated) if s.store_last_error]
    return {
        "journal_errors": sum(v.journal_errors for s in running for v in s.venues.values()),
        "journal_sync_errors": sum(s.journal_sync_errors for s in running),
        "store_errors": sum(s.store_errors for s in running),
        "store_dropped": sum(s.store_dropped for s in running),
        "store_pending": sum(s.store_pending for s in running),
        "gap_log_errors": sum(s.gap_log_errors for s in running),
        "store_last_error": errors[-1] if errors else None,
    }


def venue_rows(
    statuses: Sequence[Status], activity: Sequence[VenueActivity], now: int, speed: float = 1.0
) -> list[dict[str, Any]]:
    live = freshest(statuses, now)
    stored = {a.venue: a for a in activity}
    names = [v for v in REGISTRY if v in live or v in stored] or list(REGISTRY)
    rows = []
    for venue in names:
        state, running = live.get(venue, (None, False))
        act = stored.get(venue)
        status = "closed" if closed_note(venue) else state_of(state, running, now, speed)
        rows.append(
            {
                "venue": venue,
                "state": status,
                "connected": status in ("connected", "silent"),
                "coverage": REGISTRY[venue].coverage,
                "last_event_ts": act.last_ts if act else None,
                "last_frame_ts": state.last_frame_ts if state else None,
                "events": state.events if state else 0,
                "frames": state.frames if state else 0,
                "dead_letters": state.dead_letters if state else 0,
                "reconnects": state.reconnects if state else 0,
                "gaps": state.gaps if state else 0,
                "journal_errors": state.journal_errors if state else 0,
                "implausible_times": state.implausible_times if state else 0,
                "open_gap_since": state.outage_since if state and running else None,
                "events_24h": act.events if act else 0,
                "note": closed_note(venue) or (state.not_covered if state and state.not_covered else None),
            }
        )
    return rows
