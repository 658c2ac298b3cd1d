"""The gap log: outages and collector downtime made durable the moment they open and close.

Gaps reach the store in batches from the store sink's thread, so a kill -9 could lose a gap that
just closed, and an outage still open at the kill would never be recorded at all. The gap log is
a small JSON Lines file next to the store, written through (flushed and fsynced) on every line:

- `{"venue", "conn", "start", "reason"}`: an outage opened (conn "" = the whole venue: downtime);
- the same with `"end"`: it closed; that line is the Gap.

At the next start (`open_live`): closed gaps are written to the store (idempotent), outages still
open are folded into that venue's downtime, and the file is rewritten with only the downtimes now
open. A venue's downtime runs from the last sign of life of the previous run (its last journaled
frame, its last frame in the status file, or the status heartbeat while it was connected) to its
first frame in this run, reason "collector not running". A downtime still open when the collector
stops again (the venue never answered) stays open in the log and goes on at the next start.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

import msgspec

from liqwatch.model import Gap

log = logging.getLogger("liqwatch.feed.gaplog")

DOWNTIME = "collector not running"


class GapRecord(msgspec.Struct, frozen=True, omit_defaults=True):
    venue: str
    conn: str  # connection name; "" for the whole venue (collector downtime)
    start: int  # ms
    reason: str
    end: int | None = None  # ms; None while open

    def gap(self) -> Gap:
        assert self.end is not None
        return Gap(self.venue, self.start, self.end, self.reason)


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(GapRecord).decode


def read_gap_log(path: Path) -> tuple[list[Gap], list[GapRecord]]:
    """(closed gaps, outages still open) of a gap log; unreadable lines (a cut last line) skipped."""
    closed: list[Gap] = []
    still_open: dict[tuple[str, str], GapRecord] = {}
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return closed, []
    for line in data.splitlines():
        try:
            record = _decode(line)
        except msgspec.DecodeError:
            continue
        key = (record.venue, record.conn)
        if record.end is None:
            still_open.setdefault(key, record)  # a later "open" of one outage keeps the first start
        else:
            still_open.pop(key, None)
            closed.append(record.gap())
    return closed, list(still_open.values())


class LastSeen(msgspec.Struct, frozen=True):
    """What the previous run left about one venue: the status file's view and the journal's."""

    journal_ts: int | None = None  # its last journaled frame (recovery reads the journal's tail)
    status_frame_ts: int | None = None  # its last frame as the status file says
    status_updated: int | None = None  # when the status file was written, if the venue was connected then


def downtimes(
    venues: Iterable[str], still_open: Iterable[GapRecord], seen: Mapping[str, LastSeen], now: int
) -> dict[str, GapRecord]:
    """Per venue, the downtime open at this start (pure).

    An outage still open in the log (the previous run died during it) starts the downtime and
    names its cause; otherwise it starts at the venue's last sign of life. A venue the previous
    run never heard from has none.
    """
    by_venue: dict[str, list[GapRecord]] = {}
    for record in still_open:
        by_venue.setdefault(record.venue, []).append(record)
    out: dict[str, GapRecord] = {}
    for venue in venues:
        opened = by_venue.get(venue)
        if opened:
            first = min(opened, key=lambda r: r.start)
            reason = first.reason if first.conn == "" else f"{first.reason}; then {DOWNTIME}"
            out[venue] = GapRecord(venue, "", min(first.start, now), reason)
            continue
        last = seen.get(venue)
        if last is None:
            continue
        signs = [t for t in (last.journal_ts, last.status_frame_ts, last.status_updated) if t is not None]
        if signs:
            out[venue] = GapRecord(venue, "", min(max(signs), now), DOWNTIME)
    return out


class GapLog:
    """Appends records, each flushed and fsynced (gaps are rare); a failed write is counted, never raised."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.errors = 0
        self._file: BinaryIO | None = None
        self._lock = threading.Lock()

    def opened(self, venue: str, conn: str, start: int, reason: str) -> None:
        self._append(GapRecord(venue, conn, start, reason))

    def closed(self, gap: Gap, conn: str) -> None:
        self._append(GapRecord(gap.venue, conn, gap.start, gap.reason, gap.end))

    def rewrite(self, records: Iterable[GapRecord]) -> None:
        """Replace the file with `records` (atomically): what is still open after a start."""
        with self._lock:
            self._close()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            with tmp.open("wb") as out:
                out.write(b"".join(_encode(r) + b"\n" for r in records))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)

    def _append(self, record: GapRecord) -> None:
        line = _encode(record) + b"\n"
        with self._lock:
            try:
                if self._file is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._file = open(self.path, "ab")  # noqa: SIM115 - kept open across writes
                self._file.write(line)
                self._file.flush()
                os.fsync(self._file.fileno())
            except (OSError, ValueError) as exc:
                self.errors += 1
                log.error("gap log %s: write failed (%d so far): %s", self.path, self.errors, exc)
                self._close()

    def _close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as exc:  # a full disk: the buffered line is what failed, already counted
                log.error("gap log %s: close failed: %s", self.path, exc)
            self._file = None

    def close(self) -> None:
        with self._lock:
            self._close()
