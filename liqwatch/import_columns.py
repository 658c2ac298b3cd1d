"""Tardis CSVs for a store that takes Arrow tables: read as columns in the importing process, on
threads, chunks ahead, in order.

A Tardis CSV's rows become columns in Arrow's kernels (tardis_columns.py), mostly outside Python's
lock, so threads can share that work without worker processes (a worker handing each table back
cost more than it saved: importer._pooled). The chunks of an import's Tardis files, one file after
the other, are read on AHEAD threads, a few chunks ahead of the importing thread, which takes their
outcomes in file and line order and hands their events to the store's writer: two threads read
1.5–1.75× the rows of one (bench/tardis_backfill_bench.py's day files), and a file's first chunks
reach the store while its next ones are read. At most AHEAD + 1 chunks are read ahead (and the
read-ahead thread's two), so memory stays bounded whatever the files.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from liqwatch.catalogue_history import CatalogueTimeline
from liqwatch.feed.journal import DamagedStream, line_count, newline_blocks
from liqwatch.import_chunks import DeadLine, Outcome, read_chunk_table
from liqwatch.read_ahead import read_ahead

# a Tardis CSV read as columns: each chunk costs ~150 Arrow calls whatever its size, so bigger chunks
# go faster (~7 % end to end from 1 to 4 MiB on bench/tardis_backfill_bench.py's files)
COLUMN_CHUNK_BYTES = 4 << 20
AHEAD = 2  # chunks read at once (0: none read ahead; each file is read as its turn comes)


def file_chunks(path: Path, tail: list[DeadLine], chunk_bytes: int) -> Iterator[tuple[int, bytes, int]]:
    """(first line number, whole lines as read, how many) of a file in chunks of about `chunk_bytes`;
    a damaged gzip stream ends it, and its dead letter is appended to `tail`."""
    first = 1
    blocks: list[bytes] = []
    size = 0
    try:
        for data in newline_blocks(path):
            blocks.append(data)
            size += len(data)
            if size >= chunk_bytes:
                chunk = b"".join(blocks)
                count = line_count(chunk)
                yield first, chunk, count
                first += count
                blocks, size = [], 0
    except DamagedStream as exc:
        if blocks:
            chunk = b"".join(blocks)
            count = line_count(chunk)
            yield first, chunk, count
            first += count
        tail.append(DeadLine(str(path), first, exc.reason, ""))
        return
    if blocks:
        chunk = b"".join(blocks)
        yield first, chunk, line_count(chunk)


def read_as_table(
    kind: str, name: str, chunk: tuple[int, bytes, int], timeline: CatalogueTimeline, max_ahead_ms: int
) -> tuple[Outcome, int, Any]:
    """A chunk's outcome, its line count and its events as an Arrow table, read in this process."""
    first, data, count = chunk
    out, table = read_chunk_table(kind, name, first, data, timeline, max_ahead_ms, count)
    return out, count, table


def read_as_tables(
    kind: str, name: str, chunks: Iterable[tuple[int, bytes, int]], timeline: CatalogueTimeline, max_ahead_ms: int
) -> Iterator[tuple[Outcome, int, Any]]:
    """read_as_table of each chunk, in turn, on this thread (AHEAD = 0)."""
    return (read_as_table(kind, name, chunk, timeline, max_ahead_ms) for chunk in chunks)


_END = object()  # a file's last chunk was read


class ChunksAhead:
    """The chunks of the files given (path, kind, timeline), read as columns on AHEAD threads, at
    most AHEAD + 1 chunks ahead; `take` must ask for the files in the same order."""

    def __init__(self, files: list[tuple[Path, str, CatalogueTimeline]], max_ahead_ms: int) -> None:
        self._files = files
        self._max_ahead_ms = max_ahead_ms
        self._tails: list[list[DeadLine]] = [[] for _ in files]
        self._next = 0  # the file `take` gives next
        self._pool = ThreadPoolExecutor(AHEAD, thread_name_prefix="liqwatch-import-columns") if files else None
        self._chunks = read_ahead(self._all_chunks(), name="liqwatch-import-reader") if files else iter(())
        self._reading: deque[tuple[int, Any]] = deque()  # (file, a chunk's Future, _END or its error)

    def take(self, path: Path) -> tuple[Iterator[tuple[Outcome, int, Any]], list[DeadLine]] | None:
        """The file's outcomes (outcome, lines, table), and its tail's dead letters once they are
        taken; None when it is not the next of the files given (read it as it comes)."""
        if self._next >= len(self._files) or self._files[self._next][0] != path:
            return None
        self._next += 1
        return self._outcomes(self._next - 1), self._tails[self._next - 1]

    def close(self) -> None:
        """Stop: chunks not started are not read; those reading are let finish."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _outcomes(self, index: int) -> Iterator[tuple[Outcome, int, Any]]:
        while True:
            self._fill()
            if not self._reading:
                return
            file, item = self._reading.popleft()
            assert file == index, "ChunksAhead.take asked out of order"
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item  # the file could not be read: raised in its turn, as reading it then would
            yield item.result()

    def _fill(self) -> None:
        assert self._pool is not None
        while len(self._reading) < AHEAD + 1 and (item := next(self._chunks, None)) is not None:
            file, chunk = item
            if isinstance(chunk, tuple):
                path, kind, timeline = self._files[file]
                self._reading.append((file, self._pool.submit(self._read, kind, str(path), chunk, timeline)))
            else:
                self._reading.append((file, chunk))

    def _read(
        self, kind: str, name: str, chunk: tuple[int, bytes, int], timeline: CatalogueTimeline
    ) -> tuple[Outcome, int, Any]:
        return read_as_table(kind, name, chunk, timeline, self._max_ahead_ms)

    def _all_chunks(self) -> Iterator[tuple[int, Any]]:
        """(file, chunk) of every file in turn, then (file, _END); (file, the error) for a file that
        could not be read, in its place."""
        for index, (path, _, _) in enumerate(self._files):
            try:
                for chunk in file_chunks(path, self._tails[index], COLUMN_CHUNK_BYTES):
                    yield index, chunk
            except Exception as exc:  # handed to the importing thread in the file's turn
                yield index, exc
                continue
            yield index, _END
