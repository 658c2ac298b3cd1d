"""`liqwatch import`: replay capture journals and Tardis liquidation CSV files through the same
parsers into the store.

A file is a Tardis CSV (`liqwatch.tardis`) when its name ends in .csv or .csv.gz, or when its first
line is the Tardis liquidations header; anything else is read as a capture journal.
Idempotent: events are written on their ids, so importing a file twice changes nothing.
Unreadable lines and frames that fail to parse are skipped, counted and reported (bad
frames also go to the dead-letter file); they never stop the import.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from liqwatch import tardis
from liqwatch.feed.journal import DeadLetters, read_journal
from liqwatch.instruments import Catalogue
from liqwatch.model import Liquidation
from liqwatch.store.base import Store
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import MAX_AHEAD_MS, BadFrame, refuse_implausible_time

BATCH = 50_000


@dataclass
class ImportReport:
    files: int = 0
    lines: int = 0
    frames: int = 0
    events: int = 0  # parsed from the frames
    stored: int = 0  # new in the store
    unpriced: int = 0  # events whose contract size is unknown (usd null)
    bad_lines: int = 0
    bad_frames: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.events - self.stored

    def describe(self) -> str:
        parts = [
            f"imported {self.files} file{'s' * (self.files != 1)}: {self.frames:,} frames → {self.events:,} events,",
            f"{self.stored:,} new, {self.duplicates:,} already stored",
        ]
        if self.unpriced:
            parts.append(f"({self.unpriced:,} without a USD value: unknown contract size)")
        if self.bad_lines or self.bad_frames:
            parts.append(f"; skipped {self.bad_lines:,} unreadable lines and {self.bad_frames:,} bad frames")
        return " ".join(parts)


def _problem(report: ImportReport, text: str) -> None:
    if len(report.problems) < 1000:
        report.problems.append(text)


def import_files(
    files: Iterable[Path],
    store: Store,
    *,
    catalogue: Catalogue,
    dead_letters: Path | None = None,
    progress: bool = False,
    max_ahead_ms: int = MAX_AHEAD_MS,
) -> ImportReport:
    """Import journals and Tardis CSVs; an event stamped more than `max_ahead_ms` after its receive
    time (or before 2017) is refused as implausible (venues.base.implausible_time)."""
    paths = list(files)
    report = ImportReport()
    letters = DeadLetters(dead_letters) if dead_letters else None
    total = sum(p.stat().st_size for p in paths)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        disable=not progress,
        transient=True,
    )
    try:
        with bar:
            task = bar.add_task("importing", total=total)
            for path in paths:
                bar.update(task, description=path.name)
                _import_one(path, store, catalogue, letters, report, max_ahead_ms)
                bar.advance(task, path.stat().st_size)
    finally:
        if letters is not None:
            letters.close()
    return report


def is_tardis_csv(path: Path) -> bool:
    """A Tardis liquidations CSV: by its name (.csv, .csv.gz), else by its header line."""
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return True
    if name.endswith((".jsonl", ".jsonl.gz", ".json", ".json.gz")):
        return False
    try:
        with _open_text(path) as stream:
            return tardis.is_header(stream.readline())
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile):
        return False


def _open_text(path: Path) -> io.TextIOWrapper:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return io.TextIOWrapper(path.open("rb"), encoding="utf-8", newline="")


def _import_one(
    path: Path,
    store: Store,
    catalogue: Catalogue,
    letters: DeadLetters | None,
    report: ImportReport,
    max_ahead_ms: int = MAX_AHEAD_MS,
) -> None:
    if is_tardis_csv(path):
        _import_tardis(path, store, catalogue, report, max_ahead_ms)
        return
    reader = read_journal(path)
    batch: dict[str, Liquidation] = {}  # by id: a file may carry one liquidation twice (two hosts)

    def flush() -> None:
        if batch:
            report.stored += store.write_events(list(batch.values()))
            batch.clear()

    for record in reader:
        report.frames += 1
        spec = REGISTRY.get(record.venue)
        if spec is None:
            report.bad_frames += 1
            _problem(report, f"{path}: frame of unknown venue {record.venue!r}")
            continue
        try:
            events = refuse_implausible_time(spec.parse(record.frame, record.ts, catalogue), record.ts, max_ahead_ms)
        except BadFrame as exc:
            report.bad_frames += 1
            _problem(report, f"{path}: {exc}")
            if letters is not None:
                letters.write(record.venue, record.ts, record.frame, str(exc))
            continue
        _take(events, batch, report)
        if len(batch) >= BATCH:
            flush()
    flush()
    report.files += 1
    report.lines += reader.lines
    report.bad_lines += reader.bad
    for lineno, reason in reader.bad_lines:
        _problem(report, f"{path}:{lineno}: unreadable line ({reason})")


def _tardis_rows(path: Path, report: ImportReport) -> Iterator[tuple[int, tardis.Row]]:
    """(line number, row) of a Tardis CSV; unreadable lines are counted and reported."""
    try:
        with _open_text(path) as stream:
            reader = csv.reader(stream)
            for cells in reader:
                lineno = reader.line_num
                report.lines += 1
                if lineno == 1 and tardis.is_header(",".join(cells)):
                    continue
                if not cells:
                    continue
                try:
                    yield lineno, tardis.row_of(cells)
                except tardis.BadRow as exc:
                    report.bad_lines += 1
                    _problem(report, f"{path}:{lineno}: {exc}")
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile, csv.Error) as exc:
        report.bad_lines += 1
        _problem(report, f"{path}: unreadable ({exc})")


def _import_tardis(
    path: Path, store: Store, catalogue: Catalogue, report: ImportReport, max_ahead_ms: int = MAX_AHEAD_MS
) -> None:
    """Each row, written back as its venue's frame, through that venue's parser (see liqwatch.tardis)."""
    batch: dict[str, Liquidation] = {}
    skipped: dict[str, int] = {}

    def flush() -> None:
        if batch:
            report.stored += store.write_events(list(batch.values()))
            batch.clear()

    for lineno, row in _tardis_rows(path, report):
        report.frames += 1
        venue = tardis.venue_of(row)
        if venue is None:
            skipped[row.exchange] = skipped.get(row.exchange, 0) + 1
            report.bad_frames += 1
            continue
        try:
            venue, frame, recv_ts = tardis.frame_of(row)
            events = refuse_implausible_time(REGISTRY[venue].parse(frame, recv_ts, catalogue), recv_ts, max_ahead_ms)
        except (BadFrame, tardis.BadRow) as exc:
            report.bad_frames += 1
            _problem(report, f"{path}:{lineno}: {exc}")
            continue
        _take(events, batch, report)
        if len(batch) >= BATCH:
            flush()
    flush()
    for exchange, n in sorted(skipped.items()):
        _problem(report, f"{path}: {n:,} rows of exchange {exchange!r}, which liqwatch does not read")
    report.files += 1


def _take(events: list[Liquidation], batch: dict[str, Liquidation], report: ImportReport) -> None:
    """Count parsed events and queue them for the store, one per id."""
    for event in events:
        report.events += 1
        if event.usd is None:
            report.unpriced += 1
        batch[event.id] = event
