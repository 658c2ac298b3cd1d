"""Run every connection of every selected venue; per frame: journal → parse → publish.

A bad frame (BadFrame, or any exception from a parser: parsers are pure code and a bug in
one must not stop a feed) goes to the dead-letter file and is counted; the feed goes on. So does
a frame whose event time is implausible next to its receive time (venues.base.implausible_time).
Outages are written to the gap log as they open and close, and a venue's collector downtime
(handed in at start, see feed/gaplog.py) ends at its first frame.

Live status per venue is kept in memory and written atomically every `status_interval`
seconds to a JSON file next to the store, because `liqwatch status` runs in another process
(DuckDB allows one writer process); `read_status` reads it back.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import msgspec

from liqwatch.feed.backoff import Backoff
from liqwatch.feed.clock import Clock, now_ms
from liqwatch.feed.connection import ConnectionState, Sleep, run_connection
from liqwatch.feed.gaplog import GapLog, GapRecord
from liqwatch.feed.journal import DeadLetters, Journal
from liqwatch.feed.node_follow import NodeFollower
from liqwatch.instruments import Catalogue
from liqwatch.model import Gap
from liqwatch.pipeline import Pipeline, StoreSink
from liqwatch.venues.base import MAX_AHEAD_MS, BadFrame, Connection, Frame, VenueSpec, refuse_implausible_time
from liqwatch.venues.lifecycle import not_covered_note

log = logging.getLogger("liqwatch.feed.collector")


def apply_url_overrides(spec: VenueSpec, overrides: Mapping[str, str]) -> dict[str, str]:
    """The venue's URLs with overrides applied.

    `{"binance_usdm": url}` replaces the venue's first (usually only) URL,
    `{"bybit.inverse": url}` the named one. An unknown connection name is a ValueError;
    keys of other venues are ignored.
    """
    urls = dict(spec.urls)
    for key, url in overrides.items():
        venue, _, name = key.partition(".")
        if venue != spec.id:
            continue
        if not name:
            if not urls:
                raise ValueError(f"{spec.id} has no WebSocket URL to override")
            name = next(iter(urls))
        if name not in urls:
            known = ", ".join(f"{spec.id}.{n}" for n in urls)
            raise ValueError(f"unknown connection {key!r}; known: {known}")
        urls[name] = url
    return urls


class VenueStatus(msgspec.Struct):
    venue: str
    connected: bool  # every connection of the venue is open
    connected_since: int | None  # ms, since when all of them are
    last_frame_ts: int | None
    last_data_ts: int | None
    frames: int
    events: int  # new (deduplicated) events parsed from this venue's frames
    dead_letters: int
    reconnects: int
    gaps: int
    outage_since: int | None  # ms, start of an outage still open
    last_error: str | None
    connections: list[ConnectionState]
    notes: str = ""
    # Why the venue is not collected and how to cover it (Hyperliquid without a node directory); "" if it is.
    not_covered: str = ""
    journal_errors: int = 0  # frames of this venue the journal could not take (a full disk)
    implausible_times: int = 0  # frames refused for an event time far after receipt or before 2017
    unit_mixups: int = 0  # of which the time looks like micro- or seconds read as milliseconds


class Status(msgspec.Struct):
    updated: int  # ms, when the collector wrote this
    started: int  # ms, when the collector started
    pid: int
    interval_s: float  # how often it is rewritten: older than a few intervals = not running
    venues: dict[str, VenueStatus]
    # Write failures (a full disk, a store gone): counted here, for `status`, /api/venues, /metrics, alerts.
    journal_sync_errors: int = 0  # flushes of the journal to disk that failed
    store_errors: int = 0  # store writes that failed (each is retried)
    store_dropped: int = 0  # events given up on (too many waiting, or at shutdown): re-import the journal
    store_pending: int = 0  # events and gaps waiting for the store
    store_last_error: str | None = None
    gap_log_errors: int = 0

    def is_stale(self, now: int, intervals: float = 3.0) -> bool:
        return now - self.updated > intervals * self.interval_s * 1000


_status_encoder = msgspec.json.Encoder()
_status_decoder = msgspec.json.Decoder(Status)


def write_status(path: Path, status: Status) -> None:
    """Atomically replace the status file (readers never see half a file)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(_status_encoder.encode(status))
    except FileNotFoundError:  # the store's state directory is made on first use
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(_status_encoder.encode(status))
    os.replace(tmp, path)


def read_status(path: str | os.PathLike[str]) -> Status | None:
    """The status a running collector wrote, or None when there is none (or it is unreadable)."""
    try:
        return _status_decoder.decode(Path(path).read_bytes())
    except (FileNotFoundError, msgspec.DecodeError, msgspec.ValidationError):
        return None


@dataclass
class _Counters:
    events: int = 0
    dead_letters: int = 0
    journal_errors: int = 0
    downtime_gaps: int = 0
    implausible_times: int = 0
    unit_mixups: int = 0
    last_warning: float = 0.0  # monotonic, to rate-limit dead-letter warnings


class Collector:
    def __init__(
        self,
        specs: Iterable[VenueSpec],
        *,
        catalogue: Catalogue,
        journal: Journal,
        dead_letters: DeadLetters,
        pipeline: Pipeline,
        url_overrides: Mapping[str, str] | None = None,
        status_path: Path | None = None,
        status_interval: float = 2.0,
        clock: Clock = now_ms,
        sleep: Sleep = asyncio.sleep,
        backoff: Callable[[], Backoff] = Backoff,
        node_dirs: Mapping[str, tuple[Path, Path]] | None = None,
        max_ahead_ms: int = MAX_AHEAD_MS,
        gap_log: GapLog | None = None,
        downtime: Mapping[str, GapRecord] | None = None,
    ) -> None:
        """`node_dirs`: venue id → (a node's data directory, where to keep the read position) for
        venues read from files (Hyperliquid, feed/node_follow.py) instead of a WebSocket."""
        self.specs = list(specs)
        self.max_ahead_ms = max_ahead_ms
        self.gap_log = gap_log
        # Per venue, the collector downtime still open (see feed/gaplog.py): closed by its first frame.
        self._downtime: dict[str, GapRecord] = dict(downtime or {})
        self.catalogue = catalogue
        self.journal = journal
        self.dead_letters = dead_letters
        self.pipeline = pipeline
        self.status_path = status_path
        self.status_interval = status_interval
        self.clock = clock
        self.sleep = sleep
        self.backoff = backoff
        self.started = clock()
        overrides = url_overrides or {}
        selected = {spec.id for spec in self.specs}
        for key in overrides:
            if key.partition(".")[0] not in selected:
                log.warning("--venue-url %s ignored: venue not selected", key)
        self.connections: list[tuple[VenueSpec, Connection, ConnectionState]] = []
        for spec in self.specs:
            urls = apply_url_overrides(spec, overrides)
            for conn in spec.connections(urls, catalogue):
                self.connections.append((spec, conn, ConnectionState(spec.id, conn.name, conn.url)))
        self.followers: list[tuple[VenueSpec, NodeFollower]] = []
        for spec in self.specs:
            if spec.id in (node_dirs or {}):
                root, position = (node_dirs or {})[spec.id]
                follower = NodeFollower(
                    root,
                    functools.partial(self.on_frame, spec),
                    self.on_gap,
                    position_path=position,
                    durable=journal.sync,
                    venue=spec.id,
                    clock=clock,
                    silence_s=spec.silence_s,
                )
                self.followers.append((spec, follower))
        self._counters = {spec.id: _Counters() for spec in self.specs}
        self.shutdown_problems: list[str] = []  # what could not be written on the way out

    # -- per frame (event loop) --------------------------------------------------------------------

    def on_frame(self, spec: VenueSpec, recv_ts: int, frame: Frame) -> None:
        """Journal, parse, publish one frame. Never raises."""
        counters = self._counters[spec.id]
        if isinstance(frame, bytes):
            try:
                text = frame.decode()
            except UnicodeDecodeError:
                text = frame.decode(errors="replace")
                self._journal(spec.id, recv_ts, text, counters)
                self._dead_letter(spec, recv_ts, text, "binary frame is not UTF-8 text", counters)
                return
        else:
            text = frame
        self._journal(spec.id, recv_ts, text, counters)
        if self._downtime and spec.id in self._downtime:
            self._end_downtime(spec, recv_ts)
        try:
            events = refuse_implausible_time(spec.parse(frame, recv_ts, self.catalogue), recv_ts, self.max_ahead_ms)
        except BadFrame as exc:
            reason = str(exc) or "bad frame"
            if "implausible time" in reason:
                counters.implausible_times += 1
                if "read as milliseconds" in reason:
                    counters.unit_mixups += 1
                    if counters.unit_mixups == 1:  # per venue, once: a venue that changed its time unit
                        log.error("%s: event times in another unit than milliseconds? %s", spec.id, reason)
            self._dead_letter(spec, recv_ts, text, reason, counters)
            return
        except Exception as exc:  # a parser bug: keep the frame, keep the feed
            self._dead_letter(spec, recv_ts, text, f"parser error: {type(exc).__name__}: {exc}", counters)
            return
        if events:
            fresh = self.pipeline.publish(events)
            for event in fresh:
                # Counted for the venue of the EVENT, not of the connection that carried it (a Binance
                # stream can carry another Binance venue's instruments): per venue, like the store.
                owner = self._counters.get(event.venue, counters)
                owner.events += 1

    def on_gap(self, gap: Gap, conn: str = "") -> None:
        if self.gap_log is not None:
            self.gap_log.closed(gap, conn)
        self.pipeline.publish_gap(gap)

    def _end_downtime(self, spec: VenueSpec, recv_ts: int) -> None:
        """The venue's first frame of this run (an ack counts: the feed is received again, and a
        quiet venue may send no liquidation for minutes) ends its collector downtime."""
        record = self._downtime.pop(spec.id)
        gap = Gap(spec.id, record.start, max(recv_ts, record.start), record.reason)
        log.info("%s: received again after %.1f s (%s)", spec.id, (gap.end - gap.start) / 1000, gap.reason)
        self._counters[spec.id].downtime_gaps += 1
        self.on_gap(gap)

    def _journal(self, venue: str, recv_ts: int, text: str, counters: _Counters) -> None:
        try:
            self.journal.write(venue, recv_ts, text)
        except Exception as exc:  # a full disk must not stop the live feed
            counters.journal_errors += 1
            if counters.journal_errors == 1 or counters.journal_errors % 10_000 == 0:
                log.error("journal write failed (%d so far): %s", counters.journal_errors, exc)

    def _dead_letter(self, spec: VenueSpec, recv_ts: int, text: str, reason: str, counters: _Counters) -> None:
        counters.dead_letters += 1
        try:
            self.dead_letters.write(spec.id, recv_ts, text, reason)
        except Exception as exc:
            log.error("dead-letter write failed: %s", exc)
        now = time.monotonic()
        if now - counters.last_warning >= 10.0:
            counters.last_warning = now
            log.warning("%s: bad frame dead-lettered (%d so far): %s", spec.id, counters.dead_letters, reason)

    # -- running -----------------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until cancelled. On the way out: open outages become gaps (by the connections),
        the journal is synced, the pipeline's buffering sinks are flushed, status is written."""
        self.started = self.clock()
        try:
            async with asyncio.TaskGroup() as group:
                for spec, conn, state in self.connections:
                    group.create_task(
                        run_connection(
                            spec,
                            conn,
                            self.on_frame,
                            functools.partial(self.on_gap, conn=conn.name),
                            on_outage=self._on_outage(spec.id),
                            state=state,
                            backoff=self.backoff(),
                            clock=self.clock,
                            sleep=self.sleep,
                        ),
                        name=f"liqwatch-{spec.id}-{conn.name}",
                    )
                for spec, follower in self.followers:
                    group.create_task(follower.run(), name=f"liqwatch-{spec.id}-node")
                if self.status_path is not None:
                    group.create_task(self._status_forever(), name="liqwatch-status")
        finally:
            self.shutdown_problems = self._shut_down()

    def _shut_down(self) -> list[str]:
        """Sync the journal, flush the store, write status: each attempted whatever the others do
        (a full disk must not skip the rest or turn a Ctrl-C into a traceback). What failed, in words."""
        problems = []
        try:
            self.journal.sync()
        except Exception as exc:
            self.journal.sync_errors += 1
            problems.append(f"the journal's last frames ({cause_of(exc)})")
        try:
            if not self.pipeline.flush(timeout=30.0, until_error=True):
                sink = self._store_sink()
                waiting = sink.pending if sink is not None else 0
                cause = cause_of(sink.last_error) if sink is not None and sink.last_error else "timed out"
                problems.append(f"{waiting:,} events or gaps to the store ({cause})")
        except Exception as exc:
            problems.append(f"the store ({cause_of(exc)})")
        if self.status_path is not None:
            try:
                write_status(self.status_path, self.status())
            except Exception as exc:
                problems.append(f"the status file ({cause_of(exc)})")
        return problems

    def _store_sink(self) -> StoreSink | None:
        return next((sink for sink in self.pipeline.sinks if isinstance(sink, StoreSink)), None)

    def _on_outage(self, venue: str) -> Callable[[str, int, str], None] | None:
        gap_log = self.gap_log
        if gap_log is None:
            return None
        return lambda conn, start, reason: gap_log.opened(venue, conn, start, reason)

    def status(self) -> Status:
        venues: dict[str, VenueStatus] = {}
        for spec in self.specs:
            states = [state for s, _, state in self.connections if s.id == spec.id]
            states += [follower.state for s, follower in self.followers if s.id == spec.id]
            counters = self._counters[spec.id]
            connected = bool(states) and all(state.connected for state in states)
            venues[spec.id] = VenueStatus(
                venue=spec.id,
                connected=connected,
                connected_since=_latest(s.connected_since for s in states) if connected else None,
                last_frame_ts=_latest(s.last_frame_ts for s in states),
                last_data_ts=_latest(s.last_data_ts for s in states),
                frames=sum(s.frames for s in states),
                events=counters.events,
                dead_letters=counters.dead_letters,
                reconnects=sum(s.reconnects for s in states),
                gaps=sum(s.gaps for s in states) + counters.downtime_gaps,
                outage_since=_earliest(
                    [*(s.outage_since for s in states), d.start if (d := self._downtime.get(spec.id)) else None]
                ),
                last_error=next((s.last_error for s in states if s.last_error), None),
                connections=[msgspec.structs.replace(s) for s in states],
                notes=spec.notes,
                not_covered="" if states else not_covered_note(spec.id),
                journal_errors=counters.journal_errors,
                implausible_times=counters.implausible_times,
                unit_mixups=counters.unit_mixups,
            )
        sink = self._store_sink()
        return Status(
            self.clock(),
            self.started,
            os.getpid(),
            self.status_interval,
            venues,
            journal_sync_errors=self.journal.sync_errors,
            store_errors=sink.errors if sink is not None else 0,
            store_dropped=sink.dropped if sink is not None else 0,
            store_pending=sink.pending if sink is not None else 0,
            store_last_error=sink.last_error if sink is not None else None,
            gap_log_errors=self.gap_log.errors if self.gap_log is not None else 0,
        )

    def _write_status(self) -> None:
        if self.status_path is None:
            return
        try:
            write_status(self.status_path, self.status())
        except OSError as exc:
            log.warning("could not write status %s: %s", self.status_path, exc)

    async def _status_forever(self) -> None:
        while True:
            self._write_status()
            await asyncio.sleep(self.status_interval)


def cause_of(error: BaseException | str) -> str:
    """The root cause at the end of a chained message: 'write failed: …: No space left on device'
    → 'No space left on device' (an OSError's strerror as it is)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error).rsplit(": ", 1)[-1].strip() or str(error)


def _latest(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _earliest(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None
