"""Chunks of an import read on worker processes, so that parsing uses every core.

`import_chunks.read_chunk` is a pure function of a chunk (the bytes of whole lines, the number of
the first) and the catalogue timeline it is priced with, so chunks can be read anywhere and in any
order: each worker process reads one chunk at a time, and the importer takes the outcomes back in
the order of the file, exactly as if it had read them itself (same events, same dead letters, same
counts: tests/store/test_import_pool.py holds the two ways to each other).

Why processes: decoding and parsing hold Python's lock, so threads cannot share them; with them
on workers, the importing process is left with what is mostly outside the lock (inflating the
file, DuckDB's writing). For a store that takes events as Arrow tables (DuckDB), a worker also
makes the table (a few buffers to send back, no object per event to make again on this side).
Otherwise the events come back as MessagePack (~0.2 µs an event to encode, ~0.4 to decode).

The workers are forked when the pool is made, before the importer starts its reader and writer
threads (an import session's later adds fork theirs beside its writer thread, which a worker never
uses: it only reads chunks), and inherit the timelines and a ring of shared memory: a chunk is copied into a slot of
the ring and the worker told where (a pipe would cost ~0.6 µs of CPU a line on the two sides).
Elsewhere than on Linux (fork without exec is unsafe on macOS, absent on Windows), or on one core,
the import reads its chunks itself.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import msgspec

from liqwatch.catalogue_history import CatalogueTimeline
from liqwatch.import_chunks import Outcome, read_chunk, read_chunk_table

MAX_WORKERS = 8
# below this many bytes of files to read (as stored, gzip or not) forking workers costs more than it
# saves: a journal of ~20,000 frames
MIN_PARALLEL_BYTES = 2 << 20
SLOT_BYTES = 4 << 20  # a chunk is ~1 MiB (importer.CHUNK_BYTES); a bigger one is sent through the pipe

# set before the fork; each worker reads its copy (the ring is shared memory, the timelines are not)
_timelines: Mapping[str, CatalogueTimeline] = {}
_ring: mmap.mmap | None = None
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Outcome).decode


def supported() -> bool:
    """Whether this platform forks workers safely: Linux (fork without exec is unsafe on macOS and
    absent on Windows)."""
    return sys.platform.startswith("linux")


def default_workers() -> int:
    """The worker processes an import uses: one a core this process may run on (0: none)."""
    if not supported():
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores, MAX_WORKERS) if cores > 1 else 0


def _ready() -> None:
    """A task that does nothing: submitted once so that every worker is forked at once."""


def _worker_start() -> None:  # pragma: no cover - runs in a worker process
    # Ctrl-C reaches every process of the terminal: the importer stops the workers itself, after the
    # chunk each is reading (no traceback from each of them)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a broken pool (a worker killed, say by the OOM killer, perhaps holding the task queue's lock)
    # ends its other workers with SIGTERM: whatever handler the importing process had, it must end them
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _read(
    kind: str, name: str, first: int, data: bytes | tuple[int, int], max_ahead_ms: int, count: int, tables: bool
) -> tuple[bytes, Any]:  # pragma: no cover - runs in a worker process (coverage sees the parent only)
    """The chunk's outcome as MessagePack, and with `tables` its events as an Arrow table (then not
    in the outcome). `data`: the chunk, or where it is in the ring (offset, length)."""
    if isinstance(data, tuple):
        assert _ring is not None
        start, length = data
        data = _ring[start : start + length]
    if not tables:
        return _encode(read_chunk(kind, name, first, data, _timelines[name], max_ahead_ms, count)), None
    out, table = read_chunk_table(kind, name, first, data, _timelines[name], max_ahead_ms, count)
    return _encode(out), table


class ChunkPool:
    """Worker processes reading the chunks of the files whose timelines it is given (by name)."""

    def __init__(
        self, timelines: Mapping[str, CatalogueTimeline], workers: int, tables: bool, slot_bytes: int = SLOT_BYTES
    ) -> None:
        global _timelines, _ring
        if tables:
            import pyarrow.compute  # noqa: F401  once here rather than in every worker (~0.2 s each)
        self.workers = workers
        self.tables = tables
        self._slots = 2 * workers  # chunks in flight: every worker busy, one waiting each
        self._slot_bytes = slot_bytes
        self._ring = _ring = mmap.mmap(-1, self._slots * slot_bytes)
        self._sent = 0
        _timelines = dict(timelines)
        self._executor = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start
        )
        # with fork, the first task starts every worker: now, before the reader threads (and, on an import
        # session's first add, its writer thread) start
        self._executor.submit(_ready).result()
        _timelines, _ring = {}, None  # the workers have their copies

    def outcomes(
        self, kind: str, name: str, chunks: Iterable[tuple[int, bytes, int]], max_ahead_ms: int
    ) -> Iterator[tuple[Outcome, int, Any]]:
        """(outcome, lines, Arrow table of its events or None) of each chunk of file `name`, in the
        order of `chunks`."""
        pending: deque[tuple[Future[tuple[bytes, Any]], int]] = deque()
        try:
            for first, data, count in chunks:
                while len(pending) >= self._slots:  # then no chunk in flight is in the next slot
                    done, lines = pending.popleft()
                    encoded, table = done.result()
                    yield _decode(encoded), lines, table
                task = self._executor.submit(
                    _read, kind, name, first, self._place(data), max_ahead_ms, count, self.tables
                )
                pending.append((task, count))
            while pending:
                done, lines = pending.popleft()
                encoded, table = done.result()
                yield _decode(encoded), lines, table
        finally:
            for task, _ in pending:
                task.cancel()

    def _place(self, data: bytes) -> bytes | tuple[int, int]:
        """The chunk copied into the next slot of the ring, as (offset, length); too big: itself."""
        if len(data) > self._slot_bytes:
            return data
        start = (self._sent % self._slots) * self._slot_bytes
        self._sent += 1
        self._ring[start : start + len(data)] = data
        return start, len(data)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._ring.close()
