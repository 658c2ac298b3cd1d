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
dead letters). The work is shared so that each part runs beside the others, not between them:
one thread reads and inflates the file a chunk or two ahead (read_ahead); worker processes, one a
core, decode and parse the chunks (import_pool: that work holds Python's lock, so threads could
not share it), or this thread does on one core or for a few megabytes; and one thread writes
batches of events to the store (StoreWriter), whose work is mostly DuckDB's. A Tardis CSV for a
store that takes Arrow tables is read as columns on two threads of this process instead
(import_columns: that work mostly lets go of Python's lock).

An import is a session (ImportSession) to which files are added as they come (a backfill adds each
group of days as it downloads; import_files adds all its files at once): its writer and dead-letter
file last the whole session, so the events of consecutive adds fill the same store batches, and an
add's callback (`on_stored`) says when every event of its files is committed.

Never loses a line, never lies: every line that cannot be read, every frame that fails to parse
and every event no store can hold (import_chunks.unstorable) is written to the dead-letter file
with its file, line number and reason, and counted; it costs only itself (a block of journal
lines is decoded again line by line). A file that is no known kind is refused before anything is
imported (import_kinds.Unreadable); a file of which no line could be read is reported unreadable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from liqwatch import import_columns, import_kinds, import_pool
from liqwatch.catalogue_history import CatalogueTimeline, beside_catalogue
from liqwatch.feed.journal import JournalRecord
from liqwatch.import_chunks import DeadLine, Outcome, read_chunk
from liqwatch.import_pool import MIN_PARALLEL_BYTES, ChunkPool, default_workers
from liqwatch.import_report import DeadLetterFile, note_dead_letter, note_problem
from liqwatch.import_report import ImportReport as ImportReport  # what import_files answers, named here too
from liqwatch.import_writer import StoreWriter
from liqwatch.instruments import Catalogue, Instrument
from liqwatch.model import Liquidation
from liqwatch.read_ahead import read_ahead
from liqwatch.store.base import Store
from liqwatch.venues.base import MAX_AHEAD_MS

_encode = msgspec.json.Encoder().encode  # a journal line of a record (import_records)


def import_files(
    files: Iterable[Path],
    store: Store,
    *,
    catalogue: Catalogue,
    dead_letters: Path | None = None,
    progress: bool = False,
    coin: str | None = None,
    max_ahead_ms: int = MAX_AHEAD_MS,
    workers: int | None = None,
) -> ImportReport:
    """Import the files (their kinds decided by import_kinds; a file of no kind is reported
    unreadable and skipped here: the CLI refuses it before calling this). An event stamped more
    than `max_ahead_ms` after its receive time (or before 2017) is refused as implausible
    (venues.base.implausible_time). `workers`: processes that read the chunks (0: this one does;
    default: one a core, when there is enough to read to make up for starting them)."""
    with ImportSession(
        store,
        catalogue=catalogue,
        dead_letters=dead_letters,
        progress=progress,
        coin=coin,
        max_ahead_ms=max_ahead_ms,
        workers=workers,
    ) as session:
        session.add(files)
    return session.report


class ImportSession:
    """An import that stays open while its files come: `add` imports some (as import_files does,
    whose arguments the session takes), and the next add's events fill the same store batches, so
    only the session's last batch is partial (a part of a DuckDB row group costs ~60 % more to
    write, import_writer.BATCH) and the writer never waits for a pipeline to fill between adds.
    `report` counts every add; its `stored` and `repriced` once the session is closed.

        with ImportSession(store, catalogue=catalogue) as session:
            session.add(files, on_stored=lambda: ...)  # once those files' events are committed

    Leaving the block on an error closes the session without writing the events of a batch not
    full yet: callbacks of adds whose events were not all committed are then never called."""

    def __init__(
        self,
        store: Store,
        *,
        catalogue: Catalogue,
        dead_letters: Path | None = None,
        progress: bool = False,
        coin: str | None = None,
        max_ahead_ms: int = MAX_AHEAD_MS,
        workers: int | None = None,
    ) -> None:
        self.store = store
        self.report = ImportReport(dead_letters=dead_letters)
        self._timeline = CatalogueTimeline(catalogue, store.instrument_versions())
        self._progress, self._coin, self._max_ahead_ms, self._workers = progress, coin, max_ahead_ms, workers
        self._letters = DeadLetterFile(dead_letters)
        self._writer: StoreWriter | None = None  # made by the first add, after its pool's workers are forked
        self._brought: dict[tuple[str, str], Instrument] = {}  # instruments the catalogues beside files brought
        self._closed = False
        self._open = contextlib.ExitStack()
        self._open.enter_context(getattr(store, "one_thread", contextlib.nullcontext)())

    def __enter__(self) -> ImportSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.close(write_rest=kind is None)

    def add(self, files: Iterable[Path], on_stored: Callable[[], object] | None = None) -> None:
        """Import the files, in turn; `on_stored` is called (on the writer's thread) once their
        events and every event added before them are committed, or never if the store fails or the
        session closes without writing the rest."""
        if self._closed:
            raise RuntimeError("files added to an import session already closed")
        paths = list(files)
        plans = _plan(paths, self._timeline, self.report, self._letters)
        tables = hasattr(self.store, "write_event_table")
        size = sum(p.stat().st_size for p in paths if str(p) in plans and _pooled(plans[str(p)][0], tables))
        # the workers are forked for each add (they inherit its files' timelines); the first add's
        # before the writer's thread starts
        pool = _pool(plans, self._workers, size, tables)
        try:
            if self._writer is None:
                self._writer = StoreWriter(self.store)
            self._import_events(paths, plans, pool, self._writer)
        finally:
            if pool is not None:
                pool.close()
        if on_stored is not None:
            self._writer.on_written(on_stored)

    def close(self, write_rest: bool = True) -> None:
        """Write the events of the last batch (unless `write_rest` is false: the import failed or was
        stopped), let the callbacks waiting for them run, and finish the report; raises the store's
        error, if any. Closing again does nothing."""
        if self._closed:
            return
        self._closed = True
        writer, self._writer = self._writer, None
        try:
            if writer is not None:
                writer.close(write_rest)
        finally:
            self._letters.close()
            self._open.close()
        if writer is not None:
            self.report.stored = writer.stored
            self.report.repriced = writer.repriced
        self.report.dead_letter_count = self._letters.count
        if self._brought and write_rest:
            self.store.adopt_instruments(list(self._brought.values()))  # only where the store knew none

    def _import_events(
        self, paths: list[Path], plans: dict[str, Plan], pool: ChunkPool | None, writer: StoreWriter
    ) -> None:
        """The files of one add, in turn, with a progress bar over their bytes."""
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            disable=not self._progress,
            transient=True,
        )
        report, letters = self.report, self._letters
        planned = [(path, plans[str(path)]) for path in paths if str(path) in plans]
        columns = [(path, kind, timeline) for path, (kind, _, timeline) in planned if _as_columns(kind, writer)]
        # their chunks read on threads, ahead, while the chunks before go to the store
        ahead = import_columns.ChunksAhead(columns if import_columns.AHEAD else [], self._max_ahead_ms)
        with bar, contextlib.closing(ahead):
            task = bar.add_task("importing", total=sum(p.stat().st_size for p in paths))
            for path in paths:
                plan = plans.get(str(path))
                if plan is None:
                    continue  # unreadable: reported by _plan
                kind, beside, file_timeline = plan
                if beside is not None:
                    self._brought.update(((i.venue, i.symbol), i) for i in beside.instruments())
                bar.update(task, description=path.name)
                if kind in import_kinds.NOT_EVENTS:
                    _import_other(path, kind, self.store, report, self._coin)
                elif (read := ahead.take(path)) is not None:
                    outcomes, tail = read
                    _take_outcomes(str(path), outcomes, tail, writer, letters, report)
                else:
                    _import_one(path, kind, file_timeline, writer, letters, report, self._max_ahead_ms, pool)
                bar.advance(task, path.stat().st_size)


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
            note_problem(report, f"{path}: {exc}")
            letters.write(DeadLine(str(path), 0, str(exc), ""))
            continue
        beside = beside_catalogue(path) if kind == import_kinds.JOURNAL else None
        plans[str(path)] = (kind, beside, timeline.under(beside) if beside is not None else timeline)
    return plans


def _pool(plans: dict[str, Plan], workers: int | None, size: int, tables: bool) -> ChunkPool | None:
    """The worker processes that read the event files' chunks, or None (this process reads them)."""
    if workers is None:
        workers = default_workers() if size >= MIN_PARALLEL_BYTES else 0
    if not import_pool.supported():
        workers = 0
    timelines = {name: timeline for name, (kind, _, timeline) in plans.items() if _pooled(kind, tables)}
    return ChunkPool(timelines, workers, tables) if workers > 0 and timelines else None


def _pooled(kind: str, tables: bool) -> bool:
    """Whether the pool's workers read files of this kind. Not a Tardis CSV for a store that takes
    Arrow tables: its rows become columns in Arrow's kernels, outside Python's lock, so threads of
    this process read them beside the store's writing (import_columns), and handing each chunk's
    table back from a worker costs more than it saves (bench/tardis_backfill_bench.py's files: 325k
    rows/s in this process against 265k on two workers, before the threads)."""
    return kind not in import_kinds.NOT_EVENTS and not (kind == import_kinds.TARDIS_CSV and tables)


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
        note_problem(report, str(exc) if isinstance(exc, ValueError) else f"{path}: unreadable ({exc})")
        return
    report.files += 1


def is_tardis_csv(path: Path) -> bool:
    """A Tardis liquidations CSV (see import_kinds.sniff)."""
    try:
        return import_kinds.kind_of(path) == import_kinds.TARDIS_CSV
    except (OSError, import_kinds.Unreadable):
        return False


def _import_one(
    path: Path,
    kind: str,
    timeline: CatalogueTimeline,
    writer: StoreWriter,
    letters: DeadLetterFile,
    report: ImportReport,
    max_ahead_ms: int = MAX_AHEAD_MS,
    pool: ChunkPool | None = None,
) -> None:
    name = str(path)
    tail: list[DeadLine] = []
    size = import_columns.COLUMN_CHUNK_BYTES if _as_columns(kind, writer) else CHUNK_BYTES
    # reading and inflating the file (mostly outside Python's lock) runs a chunk or two ahead
    chunks = read_ahead(import_columns.file_chunks(path, tail, size), name="liqwatch-import-reader")
    _import_chunks(name, kind, chunks, tail, timeline, writer, letters, report, max_ahead_ms, pool=pool)


def _import_chunks(
    name: str,
    kind: str,
    chunks: Iterable[tuple[int, bytes, int]],
    tail: list[DeadLine],
    timeline: CatalogueTimeline,
    writer: StoreWriter,
    letters: DeadLetterFile,
    report: ImportReport,
    max_ahead_ms: int = MAX_AHEAD_MS,
    pool: ChunkPool | None = None,
) -> None:
    """The chunks of one source `name` (a file): (first line number, whole lines as bytes, how many
    lines) → events to the store, counted in `report`; read by the pool's workers when given."""
    outcomes: Iterator[tuple[Outcome, int, Any]]
    if _as_columns(kind, writer):
        outcomes = import_columns.read_as_tables(kind, name, chunks, timeline, max_ahead_ms)
    elif pool is not None:
        outcomes = pool.outcomes(kind, name, chunks, max_ahead_ms)
    else:
        outcomes = (
            (read_chunk(kind, name, first, data, timeline, max_ahead_ms, count), count, None)
            for first, data, count in chunks
        )
    _take_outcomes(name, outcomes, tail, writer, letters, report)


def _as_columns(kind: str, writer: StoreWriter) -> bool:
    """Whether a file's rows are made Arrow columns in this process (see _pooled)."""
    return kind == import_kinds.TARDIS_CSV and writer.takes_tables


def _take_outcomes(
    name: str,
    outcomes: Iterable[tuple[Outcome, int, Any]],
    tail: list[DeadLine],
    writer: StoreWriter,
    letters: DeadLetterFile,
    report: ImportReport,
) -> None:
    """A file's outcomes (outcome, its lines, the Arrow table of its events or None: they are in the
    outcome) to the writer, counted in `report`; `tail`: the dead letters after them."""
    frames = bad = lines = 0
    skipped: dict[str, int] = {}
    for outcome, count, table in outcomes:
        lines += count
        frames += outcome.frames
        report.unpriced += outcome.unpriced
        for letter in outcome.letters:
            bad += 1
            note_dead_letter(report, letters, letter)
        for exchange, n in outcome.skipped.items():
            skipped[exchange] = skipped.get(exchange, 0) + n
        # the events, or the Arrow table a pool's worker made of them
        report.events += len(outcome.events) if table is None else table.num_rows
        writer.add(outcome.events if table is None else table)
    for letter in tail:
        bad += 1
        note_dead_letter(report, letters, letter)
    for exchange, n in sorted(skipped.items()):
        report.bad_frames += n
        note_problem(report, f"{name}: {n:,} rows of exchange {exchange!r}, which liqwatch does not read")
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
    writer = StoreWriter(store, also, batch_size=4 * chunk)

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
        _import_chunks(name, import_kinds.JOURNAL, chunks(), [], timeline, writer, letters, report)
    except BaseException:
        writer.close(write_rest=False)
        raise
    writer.close()
    report.stored = writer.stored
    report.repriced = writer.repriced
    report.dead_letter_count = letters.count
    return report
