"""`liqwatch import`: replay capture journals and Tardis liquidation CSV files through the same
parsers into the store; provider aggregates and kline files go to their own tables.

What a file is, and which files a directory holds: liqwatch.import_kinds. Idempotent: events are
written on their ids, so importing a file twice changes nothing, except that an event stored
without a USD value gets one once its contract is known (the store fills it, rollups included).

Pricing: each frame is priced with the catalogue in force at its receive time (see
liqwatch.catalogue_history): the versions the store keeps, else the `instruments.json` a
collector keeps beside its journal, else the catalogue given (cache, bundled snapshot). The
instruments a file's own catalogue brought are then kept in the store, so the data carries them.

A file is read in chunks of whole lines (import_chunks.read_chunk, the pure core: decode, parse,
dead letters). Three threads share the work, each on what the others do not need Python's lock
for: one reads and inflates the file a chunk or two ahead (read_ahead), this one decodes and
parses, and one writes batches of events to the store (_Writer), whose work is mostly DuckDB's.

Never loses a line, never lies: every line that cannot be read and every frame that fails to parse
is written to the dead-letter file with its file, line number and reason, and counted; it costs
only itself (a block of journal lines is decoded again line by line; a store batch an event cannot
enter is written again without it). A file that is no known kind is refused before anything is
imported (import_kinds.Unreadable); a file of which no line could be read is reported unreadable.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import BinaryIO

import msgspec
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from liqwatch import import_kinds
from liqwatch.catalogue_history import CatalogueTimeline, beside_catalogue
from liqwatch.feed.journal import MAX_TS, DamagedStream, JournalRecord, line_count, newline_blocks
from liqwatch.import_chunks import DeadLine, read_chunk
from liqwatch.instruments import Catalogue, Instrument
from liqwatch.model import Liquidation
from liqwatch.read_ahead import read_ahead
from liqwatch.store.base import Store, StoreError
from liqwatch.venues.base import MAX_AHEAD_MS

BATCH = 150_000  # events per store write: more than a DuckDB row group (122,880 rows), which then goes
# straight to the database file instead of through its write-ahead log first (a sixth of the bytes written)
KEEP_PROBLEMS = 1000


_encode = msgspec.json.Encoder().encode


class DeadLetterFile:
    """The import's dead letters, appended to a JSON Lines file (created on the first one)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.count = 0
        self._file: BinaryIO | None = None

    def write(self, letter: DeadLine) -> None:
        self.count += 1
        if self.path is None:
            return
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
        self._file.write(_encode(letter) + b"\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None


@dataclass
class ImportReport:
    files: int = 0
    lines: int = 0
    frames: int = 0
    events: int = 0  # parsed from the frames
    stored: int = 0  # new in the store
    repriced: int = 0  # stored before without a USD value, given one now
    unpriced: int = 0  # events whose contract size is unknown (usd null)
    bad_lines: int = 0  # lines that could not be read
    bad_frames: int = 0  # frames that failed to parse, events no store can hold, rows of unread exchanges
    unreadable: list[str] = field(default_factory=list)  # files of which nothing could be read
    problems: list[str] = field(default_factory=list)  # the first KEEP_PROBLEMS, one line each
    problem_count: int = 0  # all of them
    dead_letters: Path | None = None
    dead_letter_count: int = 0
    aggregates: int = 0  # provider buckets (aggregate history), kept apart from events
    candles: int = 0

    @property
    def duplicates(self) -> int:
        return self.events - self.stored

    def more(self, shown: int) -> int:
        """How many problems were not shown when the first `shown` were."""
        return max(0, self.problem_count - min(shown, len(self.problems)))

    def describe(self) -> str:
        if not self.frames and (self.aggregates or self.candles):
            what = [
                f"{n:,} {noun}"
                for n, noun in (
                    (self.aggregates, "aggregate-history buckets (kept apart from events)"),
                    (self.candles, "candles"),
                )
                if n
            ]
            text = f"imported {self.files} file{'s' * (self.files != 1)}: {' and '.join(what)}"
            return text + (f"; skipped {self.bad_lines:,} unreadable files" if self.bad_lines else "")
        parts = [
            f"imported {self.files} file{'s' * (self.files != 1)}: {self.frames:,} frames → {self.events:,} events,",
            f"{self.stored:,} new, {self.duplicates:,} already stored",
        ]
        if self.repriced:
            parts.append(f"({self.repriced:,} of them given the USD value they lacked)")
        if self.unpriced:
            parts.append(f"({self.unpriced:,} without a USD value: unknown contract size)")
        if self.bad_lines or self.bad_frames:
            parts[-1] += ";"
            parts.append(f"skipped {self.bad_lines:,} unreadable lines and {self.bad_frames:,} bad frames")
            if self.dead_letters is not None and self.dead_letter_count:
                parts.append(f"(kept in {self.dead_letters})")
        if self.aggregates:
            parts.append(f"; {self.aggregates:,} aggregate-history buckets (kept apart from events)")
        if self.candles:
            parts.append(f"; {self.candles:,} candles")
        return " ".join(parts)


def _problem(report: ImportReport, text: str) -> None:
    report.problem_count += 1
    if len(report.problems) < KEEP_PROBLEMS:
        report.problems.append(text)


class _Writer:
    """Writes batches to the store on a thread of its own, so the store's work (mostly outside
    Python's lock) overlaps the parsing of the next batch. One batch waits at most."""

    def __init__(self, store: Store, also: Callable[[list[Liquidation]], object] | None = None) -> None:
        self.store = store
        self.also = also  # given every batch once the store took it
        self.rejected: list[tuple[str, Liquidation, str]] = []  # (file, event, reason): read after close
        self.stored = 0
        self.repriced = 0
        self._queue: Queue[tuple[str, list[Liquidation]] | None] = Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="liqwatch-import-writer", daemon=True)
        self._thread.start()

    def put(self, file: str, events: list[Liquidation]) -> None:
        self._raise()
        self._queue.put((file, events))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain: the error is raised in the importing thread
            try:
                self._write(*item)
            except BaseException as exc:
                self._error = exc

    def _write(self, file: str, events: list[Liquidation]) -> None:
        before = getattr(self.store, "repriced", 0)
        try:
            self.stored += self.store.write_events(events)
        except (ValueError, OverflowError, StoreError):
            # An event no store can hold (a time beyond int64, an absurd USD value) fails its whole
            # batch, which is rolled back: write the others, dead-letter exactly the ones refused.
            good = [event for event in events if _unstorable(event) is None]
            if len(good) == len(events):
                raise  # not the events' fault (the store's own error): the import stops and says so
            for event in events:
                problem = _unstorable(event)
                if problem is not None:
                    self.rejected.append((file, event, problem))
            self.stored += self.store.write_events(good)
            events = good
        self.repriced += getattr(self.store, "repriced", 0) - before
        if self.also is not None:
            self.also(events)


def _unstorable(event: Liquidation) -> str | None:
    from liqwatch.analytics.summary import MAX_UNITS, UNITS_PER_USD

    if not 0 < event.ts <= MAX_TS or not 0 <= event.recv_ts <= MAX_TS:
        return f"event time {event.ts} / receive time {event.recv_ts} outside what a store holds"
    if event.usd is not None and not abs(event.usd) * UNITS_PER_USD <= MAX_UNITS:
        return f"usd {event.usd!r} is not a value a store holds (at most 9.2e10 per event)"
    return None


def import_files(
    files: Iterable[Path],
    store: Store,
    *,
    catalogue: Catalogue,
    dead_letters: Path | None = None,
    progress: bool = False,
    coin: str | None = None,
    max_ahead_ms: int = MAX_AHEAD_MS,
) -> ImportReport:
    """Import the files (their kinds decided by import_kinds; a file of no kind is reported
    unreadable and skipped here: the CLI refuses it before calling this). An event stamped more
    than `max_ahead_ms` after its receive time (or before 2017) is refused as implausible
    (venues.base.implausible_time)."""
    paths = list(files)
    report = ImportReport(dead_letters=dead_letters)
    letters = DeadLetterFile(dead_letters)
    timeline = CatalogueTimeline(catalogue, store.instrument_versions())
    total = sum(p.stat().st_size for p in paths)
    plans = _plan(paths, timeline, report, letters)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        disable=not progress,
        transient=True,
    )
    writer = _Writer(store)
    brought: dict[tuple[str, str], Instrument] = {}
    try:
        with bar:
            task = bar.add_task("importing", total=total)
            for path in paths:
                plan = plans.get(str(path))
                if plan is None:
                    continue  # unreadable: reported by _plan
                kind, beside, file_timeline = plan
                if beside is not None:
                    brought.update(((i.venue, i.symbol), i) for i in beside.instruments())
                bar.update(task, description=path.name)
                if kind in import_kinds.NOT_EVENTS:
                    _import_other(path, kind, store, report, coin)
                else:
                    _import_one(path, kind, file_timeline, writer, letters, report, max_ahead_ms)
                bar.advance(task, path.stat().st_size)
    finally:
        try:
            writer.close()
        finally:
            for file, event, reason in writer.rejected:
                report.bad_frames += 1
                report.events -= 1
                _problem(report, f"{file}: event {event.id}: {reason}")
                letters.write(DeadLine(file, 0, reason, _encode(event).decode(), event.venue, event.recv_ts, False))
            letters.close()
    report.stored = writer.stored
    report.repriced = writer.repriced
    report.dead_letter_count = letters.count
    if brought:
        store.adopt_instruments(list(brought.values()))  # only where the store knew none
    return report


CHUNK_BYTES = 1 << 20  # decompressed bytes of lines decoded and parsed as one chunk

Plan = tuple[str, Catalogue | None, CatalogueTimeline]  # kind, the catalogue beside it, its timeline


def _plan(
    paths: list[Path], timeline: CatalogueTimeline, report: ImportReport, letters: DeadLetterFile
) -> dict[str, Plan]:
    """Each readable file's kind and the catalogue timeline it is priced with."""
    plans: dict[str, Plan] = {}
    for path in paths:
        try:
            kind = import_kinds.kind_of(path)
        except (OSError, import_kinds.Unreadable) as exc:
            report.unreadable.append(f"{path}: {exc}")
            _problem(report, f"{path}: {exc}")
            letters.write(DeadLine(str(path), 0, str(exc), ""))
            continue
        beside = beside_catalogue(path) if kind == import_kinds.JOURNAL else None
        plans[str(path)] = (kind, beside, timeline.under(beside) if beside is not None else timeline)
    return plans


def _import_other(path: Path, kind: str, store: Store, report: ImportReport, coin: str | None) -> None:
    """Aggregate history or candles: read whole (these files are small), written by key (idempotent)."""
    from liqwatch import file_kinds
    from liqwatch.aggregates import BadAggregate
    from liqwatch.klines import BadKlines

    try:
        if kind in file_kinds.AGGREGATE_KINDS:
            rows = file_kinds.read_aggregates(path, kind, coin)
            report.aggregates += store.write_aggregates(rows)
        else:
            report.candles += store.write_candles(file_kinds.read_klines(path))
    except (BadAggregate, BadKlines, OSError, UnicodeDecodeError) as exc:
        report.bad_lines += 1
        report.unreadable.append(str(exc) if isinstance(exc, ValueError) else f"{path}: {exc}")
        _problem(report, str(exc) if isinstance(exc, ValueError) else f"{path}: unreadable ({exc})")
        return
    report.files += 1


def is_tardis_csv(path: Path) -> bool:
    """A Tardis liquidations CSV (see import_kinds.sniff)."""
    try:
        return import_kinds.kind_of(path) == import_kinds.TARDIS_CSV
    except (OSError, import_kinds.Unreadable):
        return False


def _chunks(path: Path, tail: list[DeadLine]) -> Iterator[tuple[int, bytes, int]]:
    """(first line number, whole lines as read, how many) of a file in chunks of about CHUNK_BYTES;
    a damaged gzip stream ends it, and its dead letter is appended to `tail`."""
    first = 1
    blocks: list[bytes] = []
    size = 0
    try:
        for data in newline_blocks(path):
            blocks.append(data)
            size += len(data)
            if size >= CHUNK_BYTES:
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


def _import_one(
    path: Path,
    kind: str,
    timeline: CatalogueTimeline,
    writer: _Writer,
    letters: DeadLetterFile,
    report: ImportReport,
    max_ahead_ms: int = MAX_AHEAD_MS,
) -> None:
    name = str(path)
    tail: list[DeadLine] = []
    # reading and inflating the file (mostly outside Python's lock) runs a chunk or two ahead
    chunks = read_ahead(_chunks(path, tail), name="liqwatch-import-reader")
    _import_chunks(name, kind, chunks, tail, timeline, writer, letters, report, max_ahead_ms)


def _import_chunks(
    name: str,
    kind: str,
    chunks: Iterable[tuple[int, bytes, int]],
    tail: list[DeadLine],
    timeline: CatalogueTimeline,
    writer: _Writer,
    letters: DeadLetterFile,
    report: ImportReport,
    max_ahead_ms: int = MAX_AHEAD_MS,
    batch_size: int = BATCH,
) -> None:
    """The chunks of one source `name` (a file): (first line number, whole lines as bytes, how many
    lines) → events to the store, counted in `report`."""
    outcomes = (
        (read_chunk(kind, name, first, data, timeline, max_ahead_ms, count), count) for first, data, count in chunks
    )
    batch: list[Liquidation] = []
    frames = bad = lines = 0
    skipped: dict[str, int] = {}
    for outcome, count in outcomes:
        lines += count
        frames += outcome.frames
        report.unpriced += outcome.unpriced
        for letter in outcome.letters:
            bad += 1
            _letter(report, letters, letter)
        for exchange, n in outcome.skipped.items():
            skipped[exchange] = skipped.get(exchange, 0) + n
        batch += outcome.events
        if len(batch) >= batch_size:
            _flush(name, batch, writer, report)
            batch = []
    _flush(name, batch, writer, report)
    for letter in tail:
        bad += 1
        _letter(report, letters, letter)
    for exchange, n in sorted(skipped.items()):
        report.bad_frames += n
        _problem(report, f"{name}: {n:,} rows of exchange {exchange!r}, which liqwatch does not read")
    report.files += 1
    report.frames += frames
    report.lines += lines
    if frames == 0 and bad:
        report.unreadable.append(f"{name}: none of its {lines:,} lines could be read")


def import_records(
    name: str,
    records: Iterable[JournalRecord],
    store: Store,
    *,
    catalogue: Catalogue,
    chunk: int = 5_000,
    also: Callable[[list[Liquidation]], object] | None = None,
) -> ImportReport:
    """Import capture-journal records held in memory or generated as they are read (the simulator's
    past, for the demo) exactly as a journal file of those lines: the same decoding, parsers,
    catalogue timeline, dead letters (counted, not written) and store writes; `name` stands for the
    file in problems. Batches are smaller than a file's, so the store writes (on their own thread)
    overlap the making of the next records. `also` gets each batch the store took, on the store's
    thread (the demo's live windows: no second read of what was just written)."""
    report = ImportReport()
    letters = DeadLetterFile(None)
    timeline = CatalogueTimeline(catalogue, store.instrument_versions())
    writer = _Writer(store, also)

    def chunks() -> Iterator[tuple[int, bytes, int]]:
        lines: list[bytes] = []
        first = 1
        for record in records:
            lines.append(_encode(record))
            if len(lines) >= chunk:
                yield first, b"\n".join(lines) + b"\n", len(lines)
                first += len(lines)
                lines = []
        if lines:
            yield first, b"\n".join(lines) + b"\n", len(lines)

    try:
        _import_chunks(
            name, import_kinds.JOURNAL, chunks(), [], timeline, writer, letters, report, batch_size=4 * chunk
        )
    finally:
        writer.close()
    report.stored = writer.stored
    report.repriced = writer.repriced
    report.dead_letter_count = letters.count
    return report


def _letter(report: ImportReport, letters: DeadLetterFile, letter: DeadLine) -> None:
    if letter.unreadable:
        report.bad_lines += 1
        what = "unreadable line" if letter.venue is None and letter.text != "" else "unreadable"
        _problem(report, f"{letter.file}:{letter.line}: {what} ({letter.reason})")
    else:
        report.bad_frames += 1
        _problem(report, f"{letter.file}:{letter.line}: {letter.reason}")
    letters.write(letter)


def _flush(file: str, batch: list[Liquidation], writer: _Writer, report: ImportReport) -> None:
    """Queue a batch for the store and count its events."""
    if batch:
        report.events += len(batch)
        writer.put(file, batch)
