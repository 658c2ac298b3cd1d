"""Tardis CSVs for a store that takes Arrow tables: read as columns in the importing process, and
small files read whole, ahead, on threads.

A Tardis CSV's rows become columns in Arrow's kernels (tardis_columns.py), mostly outside Python's
lock, so threads can share that work without worker processes (a worker handing each table back
cost more than it saved: importer._pooled). A file small enough to hold whole (a Tardis day file is
a few MB) is read on one of AHEAD threads, in file order, while the importing thread hands the file
before it to the store's writer: two threads read 1.5–1.75× the rows of one
(bench/tardis_backfill_bench.py's day files). A bigger file is read chunk by chunk when its turn
comes, so memory stays bounded whatever the files.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from liqwatch.catalogue_history import CatalogueTimeline
from liqwatch.feed.journal import DamagedStream, line_count, newline_blocks
from liqwatch.import_chunks import DeadLine, Outcome, read_chunk_table

# a Tardis CSV read as columns: each chunk costs ~150 Arrow calls whatever its size, so bigger chunks
# go faster (~7 % end to end from 1 to 4 MiB on bench/tardis_backfill_bench.py's files)
COLUMN_CHUNK_BYTES = 4 << 20
WHOLE_FILE_BYTES = 16 << 20  # on disk, at most: a file read whole ahead (its tables held until its turn)
AHEAD = 2  # files read at once

Read = tuple[list[tuple[Outcome, int, Any]], list[DeadLine]]  # (outcome, lines, table) a chunk; the tail's letters


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


def read_as_tables(
    kind: str, name: str, chunks: Iterable[tuple[int, bytes, int]], timeline: CatalogueTimeline, max_ahead_ms: int
) -> Iterator[tuple[Outcome, int, Any]]:
    """Each chunk's outcome, its line count and its events as an Arrow table, read in this process."""
    for first, data, count in chunks:
        out, table = read_chunk_table(kind, name, first, data, timeline, max_ahead_ms, count)
        yield out, count, table


def _read_whole(path: Path, kind: str, timeline: CatalogueTimeline, max_ahead_ms: int) -> Read:
    tail: list[DeadLine] = []
    chunks = file_chunks(path, tail, COLUMN_CHUNK_BYTES)
    return list(read_as_tables(kind, str(path), chunks, timeline, max_ahead_ms)), tail


class FilesAhead:
    """The files given (path, kind, timeline), in order, read whole on AHEAD threads, at most AHEAD
    files ahead of `take`, which must ask for them in the same order."""

    def __init__(self, files: list[tuple[Path, str, CatalogueTimeline]], max_ahead_ms: int) -> None:
        self._todo = deque(files)
        self._max_ahead_ms = max_ahead_ms
        self._pool = ThreadPoolExecutor(AHEAD, thread_name_prefix="liqwatch-import-columns") if files else None
        self._reading: deque[tuple[Path, Future[Read]]] = deque()
        self._fill()

    def take(self, path: Path) -> Read | None:
        """The file's read, or None when it is not one of the files given (read it as it comes)."""
        if not self._reading or self._reading[0][0] != path:
            return None
        _, reading = self._reading.popleft()
        self._fill()
        return reading.result()

    def close(self) -> None:
        """Stop: files not started are not read; those reading are let finish."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _fill(self) -> None:
        while self._pool is not None and self._todo and len(self._reading) < AHEAD:
            path, kind, timeline = self._todo.popleft()
            self._reading.append((path, self._pool.submit(_read_whole, path, kind, timeline, self._max_ahead_ms)))


def whole(path: Path) -> bool:
    """Whether a Tardis CSV is small enough to be read whole, ahead."""
    try:
        return path.stat().st_size <= WHOLE_FILE_BYTES
    except OSError:
        return False  # read as it comes, which reports why
