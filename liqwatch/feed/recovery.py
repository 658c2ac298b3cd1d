"""Start-up recovery: replay the tail of the journal into the pipeline.

Frames are journaled before they are parsed and the store is written in batches from another
thread, so a crash can leave the last moments in the journal but not in the store. Replaying
the last `tail_ms` of the journal's plain (not yet compressed) files through the same parsers
closes that hole; event ids make it idempotent. Run it before the Journal starts writing
(compressing a crash's leftover files is the Journal's first act).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import msgspec

from liqwatch.feed.journal import SUFFIX, JournalRecord, first_ts, last_ts, tail
from liqwatch.instruments import Catalogue
from liqwatch.pipeline import Pipeline
from liqwatch.venues.base import MAX_AHEAD_MS, VenueSpec, refuse_implausible_time


class Recovery(msgspec.Struct):
    files: list[str]
    frames: int = 0  # journal records replayed
    events: int = 0  # events parsed from them
    new_events: int = 0  # of which not seen by the pipeline (the store is the final judge)
    bad_frames: int = 0  # frames that failed to parse (already dead-lettered when received)
    unknown_venue: int = 0  # records of venues not in `specs`
    since: int | None = None  # ms, the oldest receive time replayed
    last_frame: dict[str, int] = {}  # per venue, the newest receive time replayed (the previous run's last)


def recover(
    journal_dir: str | os.PathLike[str],
    specs: Iterable[VenueSpec],
    catalogue: Catalogue,
    pipeline: Pipeline,
    *,
    tail_ms: int = 300_000,
    max_ahead_ms: int = MAX_AHEAD_MS,
) -> Recovery:
    """Replay the journal records received within `tail_ms` of the newest one."""
    by_id = {spec.id: spec for spec in specs}
    plain = sorted(Path(journal_dir).glob(f"*{SUFFIX}"))
    newest = next((ts for ts in (last_ts(p) for p in reversed(plain)) if ts is not None), None)
    result = Recovery(files=[])
    if newest is None:
        return result
    cutoff = newest - tail_ms
    # Newest file back to the first one that starts before the cutoff.
    chosen: list[Path] = []
    for path in reversed(plain):
        chosen.append(path)
        first = first_ts(path)
        if first is not None and first < cutoff:
            break
    for path in reversed(chosen):
        result.files.append(str(path))
        for record in tail(path, cutoff):
            _replay(record, by_id, catalogue, pipeline, result, max_ahead_ms)
    return result


def _replay(
    record: JournalRecord,
    by_id: dict[str, VenueSpec],
    catalogue: Catalogue,
    pipeline: Pipeline,
    result: Recovery,
    max_ahead_ms: int = MAX_AHEAD_MS,
) -> None:
    result.frames += 1
    if result.since is None or record.ts < result.since:
        result.since = record.ts
    if record.ts > result.last_frame.get(record.venue, 0):
        result.last_frame[record.venue] = record.ts
    spec = by_id.get(record.venue)
    if spec is None:
        result.unknown_venue += 1
        return
    try:
        events = refuse_implausible_time(spec.parse(record.frame, record.ts, catalogue), record.ts, max_ahead_ms)
    except Exception:  # BadFrame (implausible times too), or a parser bug: dead-lettered when it was received
        result.bad_frames += 1
        return
    result.events += len(events)
    result.new_events += len(pipeline.publish(events))
