"""Dedup on event id, then fan-out to sinks (store, live windows, alerts, live subscribers).

`Pipeline.publish` runs on the event loop for every parsed frame, so it and every sink's
`write` must be quick: a sink that does I/O hands the work to its own thread (`StoreSink`).

Dedup keeps a bounded window of recent ids (reconnect overlaps, the same liquidation pushed
on two hosts, journal replays); the store's idempotent write is the final guard for anything
older than the window.
"""

from __future__ import annotations

import logging
import threading
import time
from array import array
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from liqwatch.model import Gap, Liquidation

log = logging.getLogger("liqwatch.pipeline")


@runtime_checkable
class Sink(Protocol):
    def write(self, events: Sequence[Liquidation]) -> None: ...

    def write_gap(self, gap: Gap) -> None: ...

    def close(self) -> None: ...


class StoreWriter(Protocol):
    """The write side of liqwatch.store.base.Store: all a StoreSink needs."""

    def write_events(self, events: Sequence[Liquidation]) -> int: ...

    def write_gaps(self, gaps: Sequence[Gap]) -> None: ...


class RecentIds:
    """Remembers at least the last `capacity // 2` and at most the last `capacity` ids.

    Two generations of open-addressing tables of 64-bit id hashes, packed in arrays: about
    16 bytes per id (16 MB for 1M ids, against ~70 MB for a Python set of the same hashes).
    When the newer generation is half full, the older one is dropped and the two swap.
    A false "seen" needs two different ids with the same 64-bit hash inside one window
    (probability ~n²/2⁶⁵, about 3e-8 for a full window of 1M).
    """

    def __init__(self, capacity: int = 1_000_000) -> None:
        if capacity < 2:
            raise ValueError("capacity must be >= 2")
        self.generation_size = capacity // 2
        slots = 4
        while slots < 2 * self.generation_size:
            slots *= 2
        self._mask = slots - 1
        self._new = array("q", bytes(8 * slots))
        self._old = array("q", bytes(8 * slots))
        self._count = 0  # ids in the newer generation

    @staticmethod
    def _key(event_id: str) -> int:
        return hash(event_id) or 1  # 0 marks an empty slot

    def _find(self, table: array[int], key: int) -> int:
        """Index of `key` in `table`, or -(index of the empty slot it would take) - 1."""
        mask = self._mask
        index = key & mask
        while True:
            slot = table[index]
            if slot == key:
                return index
            if slot == 0:
                return -index - 1
            index = (index + 1) & mask

    def add(self, event_id: str) -> bool:
        """Remember the id; True if it was not seen within the window."""
        key = self._key(event_id)
        found = self._find(self._new, key)
        if found >= 0 or self._find(self._old, key) >= 0:
            return False
        if self._count >= self.generation_size:
            self._old, self._new = self._new, array("q", bytes(8 * (self._mask + 1)))
            self._count = 0
            found = self._find(self._new, key)
        self._new[-found - 1] = key
        self._count += 1
        return True

    def __contains__(self, event_id: str) -> bool:
        key = self._key(event_id)
        return self._find(self._new, key) >= 0 or self._find(self._old, key) >= 0


class Pipeline:
    """`publish(events)`: drop ids seen recently, hand the rest to every sink."""

    # The last 125k–250k ids (4 MB): minutes to hours of traffic, far beyond any reconnect overlap
    # or the two Binance hosts' double delivery; the store's idempotent write guards the rest.
    def __init__(self, sinks: Iterable[Sink] = (), *, dedup_capacity: int = 250_000) -> None:
        self.sinks: list[Sink] = list(sinks)
        self._seen = RecentIds(dedup_capacity)
        self.published = 0  # events passed to the sinks
        self.duplicates = 0  # events dropped as already seen
        self.gaps = 0
        self.sink_errors = 0

    def add_sink(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def publish(self, events: Iterable[Liquidation]) -> list[Liquidation]:
        """Fan out the events not seen yet; returns them."""
        events = list(events)
        fresh = [event for event in events if self._seen.add(event.id)]
        self.duplicates += len(events) - len(fresh)
        if not fresh:
            return fresh
        for sink in self.sinks:
            try:
                sink.write(fresh)
            except Exception:
                self.sink_errors += 1
                log.exception("pipeline: sink %s failed to take %d events", type(sink).__name__, len(fresh))
        self.published += len(fresh)
        return fresh

    def publish_gap(self, gap: Gap) -> None:
        self.gaps += 1
        for sink in self.sinks:
            try:
                sink.write_gap(gap)
            except Exception:
                self.sink_errors += 1
                log.exception("pipeline: sink %s failed to take a gap", type(sink).__name__)

    def flush(self, timeout: float | None = None, *, until_error: bool = False) -> bool:
        """Wait for sinks that buffer (those with a `flush` method) to write what they hold; False
        when one did not (timeout; with `until_error`, a store write failed: see StoreSink.flush)."""
        done = True
        for sink in self.sinks:
            if isinstance(sink, StoreSink):
                done = sink.flush(timeout, until_error=until_error) and done
                continue
            flush = getattr(sink, "flush", None)
            if callable(flush):
                done = flush(timeout) is not False and done
        return done

    def close(self) -> None:
        for sink in self.sinks:
            try:
                sink.close()
            except Exception:
                log.exception("pipeline: closing sink %s failed", type(sink).__name__)


class StoreSink:
    """Writes to a Store from a background thread, in batches, so ingestion never waits on it.

    A batch is written when `max_batch` events are waiting or `interval` seconds after the
    oldest waiting one arrived, whichever is first. A failed write is retried after `retry_delay`
    seconds, doubling after each further failure up to `max_retry_delay`, however many events
    wait (a full disk is not retried 100 times a second); while the store stays down, at most
    `max_pending` events wait
    (older ones are dropped and counted: the capture journal still has them for
    `liqwatch import`). The store is used only from the sink's thread while the sink runs;
    closing the store stays with its owner.
    """

    def __init__(
        self,
        store: StoreWriter,
        *,
        interval: float = 0.25,
        max_batch: int = 5_000,
        max_pending: int = 1_000_000,
        retry_delay: float = 1.0,
        max_retry_delay: float = 30.0,
    ) -> None:
        self.store = store
        self.interval = interval
        self.max_batch = max_batch
        self.max_pending = max_pending
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.attempts = 0  # store writes tried (successful or not)
        self.written = 0  # events handed to the store successfully
        self.stored = 0  # of which new to the store
        self.dropped = 0
        self.errors = 0
        self.last_error: str | None = None
        self._events: list[Liquidation] = []
        self._gaps: list[Gap] = []
        self._first_at = 0.0  # monotonic time the oldest waiting item arrived
        self._submitted = 0  # items (events + gaps) accepted
        self._done = 0  # items written (or dropped)
        self._flush_requested = False
        self._stopping = False
        self._retry_at = 0.0  # monotonic; no write before it after a failure
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="liqwatch-store-sink", daemon=True)
        self._thread.start()

    # -- Sink --------------------------------------------------------------------------------------

    def write(self, events: Sequence[Liquidation]) -> None:
        if not events:
            return
        with self._cond:
            self._check_open()
            if not self._events and not self._gaps:
                self._first_at = time.monotonic()
                self._cond.notify_all()  # the thread sleeps without a timeout while idle
            self._events.extend(events)
            self._submitted += len(events)
            overflow = len(self._events) - self.max_pending
            if overflow > 0:
                del self._events[:overflow]
                self.dropped += overflow
                self._done += overflow
            if len(self._events) >= self.max_batch:
                self._cond.notify_all()

    def write_gap(self, gap: Gap) -> None:
        with self._cond:
            self._check_open()
            if not self._events and not self._gaps:
                self._first_at = time.monotonic()
                self._cond.notify_all()
            self._gaps.append(gap)
            self._submitted += 1

    def flush(self, timeout: float | None = None, *, until_error: bool = False) -> bool:
        """Block until everything written so far reached the store; False on timeout. With
        `until_error`, also stop waiting (False) when a write tried for this flush fails: at
        shutdown on a full disk, one attempt now beats waiting out the retries."""
        with self._cond:
            target = self._submitted
            errors = self.errors
            self._flush_requested = True
            if until_error:
                self._retry_at = 0.0  # try now, not after the backoff
            self._cond.notify_all()
            self._cond.wait_for(
                lambda: self._done >= target or (until_error and self.errors > errors) or not self._thread.is_alive(),
                timeout,
            )
            return self._done >= target

    def close(self) -> None:
        """Write what is waiting, then stop the thread (the store itself stays open)."""
        with self._cond:
            self._stopping = True
            self._retry_at = 0.0
            self._cond.notify_all()
        self._thread.join()

    @property
    def pending(self) -> int:
        with self._cond:
            return self._submitted - self._done

    # -- thread ------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._stopping:
            raise RuntimeError("StoreSink is closed")

    def _due(self) -> bool:
        if not self._events and not self._gaps:
            return False
        if time.monotonic() < self._retry_at:
            return False
        return (
            self._stopping
            or self._flush_requested
            or len(self._events) >= self.max_batch
            or time.monotonic() - self._first_at >= self.interval
        )

    def _run(self) -> None:
        failures = 0  # consecutive
        while True:
            with self._cond:
                while not self._due():
                    if self._stopping and not (self._events or self._gaps):
                        return
                    if self._events or self._gaps:
                        now = time.monotonic()
                        remaining = max(self.interval - (now - self._first_at), self._retry_at - now)
                        self._cond.wait(max(remaining, 0.001))
                    else:
                        self._cond.wait()
                events = self._events[: self.max_batch]
                del self._events[: len(events)]
                gaps, self._gaps = self._gaps, []
            gaps_ok = self._write_gaps(gaps)
            events_ok = gaps_ok and self._write_events(events)
            with self._cond:
                self._done += (len(gaps) if gaps_ok else 0) + (len(events) if events_ok else 0)
                if not events_ok:  # back in front, in order, for the retry
                    self._events[:0] = events
                    self._gaps[:0] = [] if gaps_ok else gaps
                    overflow = len(self._events) - self.max_pending
                    if overflow > 0:
                        del self._events[:overflow]
                        self.dropped += overflow
                        self._done += overflow
                if self._events:
                    self._first_at = time.monotonic() - self.interval  # the rest is due at once
                else:
                    self._flush_requested = False
                self._cond.notify_all()
                if events_ok:
                    failures = 0
                    self._retry_at = 0.0
                    continue
                failures += 1
                delay = min(self.retry_delay * 2 ** (failures - 1), self.max_retry_delay)
                self._retry_at = time.monotonic() + delay
                if self._stopping and failures >= 3:
                    # Give up at shutdown; the capture journal still holds these frames.
                    lost = len(self._events) + len(self._gaps)
                    log.error("store sink: %d items not stored at shutdown (re-import the journal)", lost)
                    self.dropped += len(self._events)
                    self._done = self._submitted
                    self._events.clear()
                    self._gaps.clear()
                    self._cond.notify_all()
                    return

    def _write_gaps(self, gaps: list[Gap]) -> bool:
        if not gaps:
            return True
        self.attempts += 1
        try:
            self.store.write_gaps(gaps)
        except Exception as exc:
            self._failed(exc, f"{len(gaps)} gaps")
            return False
        return True

    def _write_events(self, events: list[Liquidation]) -> bool:
        if not events:
            return True
        self.attempts += 1
        try:
            self.stored += self.store.write_events(events)
        except Exception as exc:
            self._failed(exc, f"{len(events)} events")
            return False
        self.written += len(events)
        return True

    def _failed(self, exc: Exception, what: str) -> None:
        self.errors += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        log.error("store sink: writing %s failed: %s", what, self.last_error)
