"""The importer's writing thread: events to the store in batches of exactly one DuckDB row group.

The importer hands over the events of each chunk as it has them (a list, or the Arrow table an
import worker made of them); the writer cuts them into batches of exactly `batch_size` events and
writes each on a thread of its own, so the store's work (mostly outside Python's lock) overlaps the
reading of the next chunks. Why exactly one row group: see BATCH.

A writer may outlive many files (importer.ImportSession): `on_written` asks to be told once every
event handed over so far is committed. The callback goes into the writer's queue behind the batch
that holds the last of those events, so it runs on the writer's thread right after that batch's
write, in the order the callbacks were given; never after a failed write, nor for events a closing
without `write_rest` dropped.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from queue import Queue
from typing import Any

from liqwatch.model import Liquidation
from liqwatch.store.base import Store
from liqwatch.store.event_arrow import distinct_sorted

BATCH = 122_880  # events per store write: one DuckDB row group, which goes straight to the database file;
# a part of one goes through the write-ahead log and is written again by the closing checkpoint (measured:
# batches of 150,000 took 60 % more CPU, the checkpoint 0.3 s after 500,000 events instead of 0.01 s)


class _Written:
    """A callback in the writer's queue: called once the batches before it are written."""

    def __init__(self, callback: Callable[[], object]) -> None:
        self.callback = callback


class StoreWriter:
    """Writes batches of exactly `batch_size` events (the rest at close) to the store on a thread of
    its own, so the store's work (mostly outside Python's lock) overlaps the parsing of the next
    batch. One batch waits at most."""

    def __init__(
        self,
        store: Store,
        also: Callable[[list[Liquidation]], object] | None = None,
        batch_size: int | None = None,
    ) -> None:
        self.store = store
        self.also = also  # given every batch once the store took it
        self.takes_tables = hasattr(store, "write_event_table") and also is None  # Arrow tables of events
        self.batch_size = BATCH if batch_size is None else batch_size
        self.stored = 0
        self.repriced = 0
        self._events: list[Liquidation] = []  # not sent yet
        self._tables: list[Any] = []  # not sent yet: Arrow tables of events
        self._table_rows = 0
        # events handed over and events sent to the thread, as lists and as table rows (two queues of
        # their own: each is cut into batches apart), for the callbacks waiting on them
        self._handed = [0, 0]
        self._sent = [0, 0]
        self._waiting: deque[tuple[int, int, _Written]] = deque()  # callbacks not in the queue yet
        self._queue: Queue[list[Liquidation] | _Written | Any] = Queue(maxsize=1)  # None: no more
        self._error: BaseException | None = None
        self._failed = False  # a write failed: nothing after it is written or called (set on the thread)
        self._thread = threading.Thread(target=self._run, name="liqwatch-import-writer", daemon=True)
        self._thread.start()

    def add(self, events: list[Liquidation] | Any) -> None:
        """Events to write: a list, or an Arrow table of them (event_arrow.event_table)."""
        size = self.batch_size
        if isinstance(events, list):
            self._events += events
            self._handed[0] += len(events)
            while len(self._events) >= size:
                self._send(self._events[:size], 0)
                del self._events[:size]
            return
        self._tables.append(events)
        self._table_rows += events.num_rows
        self._handed[1] += events.num_rows
        if self._table_rows >= size:
            import pyarrow as pa

            table = pa.concat_tables(self._tables)
            while table.num_rows >= size:
                self._send(distinct_sorted(table.slice(0, size)), 1, size)
                table = table.slice(size)
            self._tables, self._table_rows = [table], table.num_rows

    def on_written(self, callback: Callable[[], object]) -> None:
        """Call `callback` (on the writer's thread) once every event handed over so far is in the
        store; not at all if a write fails first or the writer closes without `write_rest`. Counted
        in events handed over, not stored: a batch's repeated ids still count."""
        self._waiting.append((self._handed[0], self._handed[1], _Written(callback)))
        self._release()

    def close(self, write_rest: bool = True) -> None:
        """Write what is left (unless the import failed: not `write_rest`), then the callbacks still
        waiting, then stop; raises the store's error, if any."""
        try:
            if self._events and write_rest:
                self._send(self._events, 0)
            if self._table_rows and write_rest:
                import pyarrow as pa

                self._send(distinct_sorted(pa.concat_tables(self._tables)), 1, self._table_rows)
            if write_rest:
                self._release()
        finally:
            self._events, self._tables, self._table_rows = [], [], 0
            self._waiting.clear()  # those not released: their events were not all written
            self._queue.put(None)
            self._thread.join()
        self._raise()

    def _send(self, batch: list[Liquidation] | Any, kind: int, rows: int | None = None) -> None:
        """A batch to the thread; `kind`: 0 a list, 1 table rows (`rows` of them, before distinct)."""
        self._put(batch)
        self._sent[kind] += len(batch) if rows is None else rows
        self._release()

    def _release(self) -> None:
        """Into the queue, the waiting callbacks whose events have all been sent."""
        while self._waiting and self._waiting[0][0] <= self._sent[0] and self._waiting[0][1] <= self._sent[1]:
            self._put(self._waiting.popleft()[2])

    def _put(self, item: list[Liquidation] | _Written | Any) -> None:
        self._raise()
        self._queue.put(item)

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._failed:
                continue  # drain: the error is raised in the importing thread
            try:
                if isinstance(item, _Written):
                    item.callback()
                else:
                    self._write(item)
            except BaseException as exc:
                self._failed = True
                self._error = exc

    def _write(self, events: list[Liquidation] | Any) -> None:
        before = getattr(self.store, "repriced", 0)
        # every event is one a store holds (read_chunk refused the others): an error is the store's own
        if isinstance(events, list):
            self.stored += self.store.write_events(events)
        else:  # an Arrow table, made distinct and sorted on the importing thread (add, close)
            self.stored += self.store.write_event_table(events, distinct=True)  # type: ignore[attr-defined]
        self.repriced += getattr(self.store, "repriced", 0) - before
        if self.also is not None:
            self.also(events)
