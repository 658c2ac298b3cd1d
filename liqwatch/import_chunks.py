"""One chunk of an importable file → its events, counts and dead letters: the importer's pure core.

A chunk is a run of consecutive whole lines of one file (the bytes as read, newline-separated) and
the number of its first line. `read_chunk` decodes and parses every line of it with the catalogue
in force at each line's receive time and never raises for content: a line that cannot be read and
a frame that fails to parse come back as dead letters (file, line, reason, text). `read_chunk_table`
gives the events as an Arrow table instead; a Tardis chunk's rows are then read as columns where
they plainly can be (tardis_columns.py), the others row by row, in line order either way.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from operator import attrgetter, sub
from typing import TYPE_CHECKING, Any

import msgspec

from liqwatch import import_kinds, tardis, tardis_columns
from liqwatch.analytics.summary import MAX_UNITS, UNITS_PER_USD
from liqwatch.feed.journal import MAX_TS, JournalRecord, decode_block
from liqwatch.model import Liquidation
from liqwatch.store import schema
from liqwatch.store.event_arrow import event_table
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import MAX_AHEAD_MS, PLAUSIBLE_SINCE_TS, BadFrame, Parse, refuse_implausible_time

if TYPE_CHECKING:
    from liqwatch.catalogue_history import CatalogueTimeline


_ts = attrgetter("ts")
_recv_ts = attrgetter("recv_ts")
_usd = attrgetter("usd")
_line = attrgetter("line")


class DeadLine(msgspec.Struct, omit_defaults=True):
    """One dead letter of an import: the line (or frame) that could not be used, and why."""

    file: str
    line: int  # 1-based line number in the file (decompressed), 0 for the file as a whole
    reason: str
    text: str  # the line as read (bytes that are not UTF-8 shown as \\xNN escapes)
    venue: str | None = None
    ts: int | None = None
    unreadable: bool = True  # False: a readable frame its parser refused (a bad frame)


class Outcome(msgspec.Struct):
    events: list[Liquidation]
    frames: int = 0  # lines that held a frame (journal) or a row (Tardis CSV)
    unpriced: int = 0
    letters: list[DeadLine] = msgspec.field(default_factory=list)
    skipped: dict[str, int] = msgspec.field(default_factory=dict)  # Tardis rows of exchanges not read


def unstorable(event: Liquidation) -> str | None:
    """Why no store can hold the event (a time beyond int64, an absurd USD value), or None."""
    if not 0 < event.ts <= MAX_TS or not 0 <= event.recv_ts <= MAX_TS:
        return f"event time {event.ts} / receive time {event.recv_ts} is not epoch ms a store can hold"
    if event.usd is not None and not _usd_storable(event.usd):
        return f"usd {event.usd!r} is not a value a store holds (at most 9.2e10 per event)"
    return None


def _usd_storable(usd: float) -> bool:
    """The stores' test (store.event_arrow.usd_units): finite, and at most MAX_UNITS once in units."""
    try:
        return abs(round(usd * UNITS_PER_USD)) <= MAX_UNITS
    except (ValueError, OverflowError):
        return False


def shown(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace")


def read_chunk(
    kind: str,
    name: str,
    first: int,
    data: bytes,
    timeline: CatalogueTimeline,
    max_ahead_ms: int = MAX_AHEAD_MS,
    count: int | None = None,
) -> Outcome:
    """The events of a chunk of file `name`: `data` is its lines `first`, `first` + 1, … as read
    (whole lines, newline-separated; `count` of them, when the caller has counted). A frame whose
    event is stamped more than `max_ahead_ms` after its receive time, or before 2017, is a dead
    letter (venues.base.refuse_implausible_time), as in the live path."""
    if kind == import_kinds.TARDIS_CSV:
        out = _tardis_chunk(name, first, data, timeline, max_ahead_ms)
    elif kind == import_kinds.NODE_FILLS:
        out = _node_fills_chunk(name, first, _lines(data), timeline)
    else:
        out = _journal_chunk(name, first, data, timeline, max_ahead_ms, count)
    out.unpriced = list(map(_usd, out.events)).count(None)
    return out


def _lines(data: bytes) -> list[bytes]:
    """The lines of a chunk, without their newlines."""
    if not data:
        return []
    return (data[:-1] if data.endswith(b"\n") else data).split(b"\n")


def _journal_chunk(
    name: str, first: int, data: bytes, timeline: CatalogueTimeline, max_ahead_ms: int, count: int | None
) -> Outcome:
    letters: list[DeadLine] = []

    def bad_line(lineno: int, reason: str, text: bytes) -> None:
        letters.append(DeadLine(name, lineno, reason, shown(text)))

    records, linenos = decode_block(data, first, bad_line, count)
    # Per frame only what must be: the venue's parser (looked up once per venue) and the catalogue
    # (looked up again only when the receive time leaves the span it is in force for). The time
    # bounds are checked over the whole chunk at C speed afterwards; a chunk that breaks one is read
    # again frame by frame (_journal_chunk_checked), so the dead letters are the same either way.
    events: list[Liquidation] = []
    parsers: dict[str, Parse] = {}
    lo, hi = 1, 0  # the receive times the current catalogue is in force for: none yet
    catalogue = timeline.base
    for index, record in enumerate(records):
        parse = parsers.get(record.venue)
        if parse is None:
            spec = REGISTRY.get(record.venue)
            if spec is None:
                reason = f"frame of unknown venue {record.venue!r}"
                letters.append(DeadLine(name, linenos[index], reason, record.frame, record.venue, record.ts, False))
                continue
            parse = parsers[record.venue] = spec.parse
        ts = record.ts
        if not lo <= ts < hi:
            catalogue, lo, hi = timeline.at(ts)
        try:
            events += parse(record.frame, ts, catalogue)
        except BadFrame as exc:
            letters.append(DeadLine(name, linenos[index], str(exc), record.frame, record.venue, ts, False))
    if events and not _plausible(events, max_ahead_ms):
        return _journal_chunk_checked(name, records, linenos, timeline, letters, max_ahead_ms)
    letters.sort(key=_line)
    return Outcome(events, len(records), letters=letters)


def _plausible(events: list[Liquidation], max_ahead_ms: int) -> bool:
    """No event of the chunk would be refused: none before 2017 or beyond what a store holds, none
    stamped more than max_ahead_ms after its receive time (every parser gives its events the
    receive time it was called with, so this is refuse_implausible_time's test). No USD value is
    beyond what a store holds either: every parse refuses one over venues.base.MAX_USD (1e10)."""
    times: list[int] = list(map(_ts, events))
    ahead: int = max(map(sub, times, map(_recv_ts, events)))
    return min(times) >= PLAUSIBLE_SINCE_TS and max(times) <= MAX_TS and ahead <= max_ahead_ms


def _journal_chunk_checked(
    name: str,
    records: list[JournalRecord],
    linenos: Sequence[int],
    timeline: CatalogueTimeline,
    letters: list[DeadLine],
    max_ahead_ms: int,
) -> Outcome:
    """_journal_chunk's events frame by frame, for a chunk where some event is refused: a frame with
    an implausible time (refuse_implausible_time), or an event no store can hold (unstorable: a time
    beyond int64, an absurd USD value), is a dead letter with its line. The letters of unknown venues and frames that
    failed to parse are kept, and those frames not parsed again."""
    failed = {d.line for d in letters}
    events: list[Liquidation] = []
    for record, lineno in zip(records, linenos, strict=True):
        spec = REGISTRY.get(record.venue)
        if spec is None or lineno in failed:
            continue
        ts = record.ts
        try:
            found = refuse_implausible_time(spec.parse(record.frame, ts, timeline.at(ts)[0]), ts, max_ahead_ms)
        except BadFrame as exc:
            letters.append(DeadLine(name, lineno, str(exc), record.frame, record.venue, ts, False))
            continue
        for event in found:
            problem = unstorable(event)
            if problem is None:
                events.append(event)
            else:
                letters.append(DeadLine(name, lineno, problem, record.frame, record.venue, ts, False))
    letters.sort(key=_line)
    return Outcome(events, len(records), letters=letters)


def _node_fills_chunk(name: str, first: int, lines: list[bytes], timeline: CatalogueTimeline) -> Outcome:
    """Every line of a Hyperliquid node's fills file is one `hyperliquid` frame. The files keep no
    receive time, so the events carry their fill time as recv_ts."""
    spec = REGISTRY["hyperliquid"]
    out = Outcome([])
    for offset, raw in enumerate(lines):
        if not raw.strip():
            continue
        out.frames += 1
        try:
            # no receive time in a node's files: the fill time stands in for it (only 2017 bounds it)
            found = spec.parse(raw, 0, timeline.base)
            for event in found:
                refuse_implausible_time([event], event.ts)
                problem = unstorable(event)
                if problem is not None:
                    raise BadFrame(problem)
        except BadFrame as exc:
            out.letters.append(DeadLine(name, first + offset, str(exc), shown(raw), spec.id, None, False))
            continue
        out.events += [msgspec.structs.replace(e, recv_ts=e.ts) for e in found]
    return out


def read_chunk_table(
    kind: str,
    name: str,
    first: int,
    data: bytes,
    timeline: CatalogueTimeline,
    max_ahead_ms: int = MAX_AHEAD_MS,
    count: int | None = None,
) -> tuple[Outcome, Any]:
    """read_chunk's outcome, its events as an Arrow table of event_arrow.EVENT_COLUMNS (in the same
    order) rather than in the outcome: a Tardis chunk's are made as columns (tardis_columns.py)."""
    if kind != import_kinds.TARDIS_CSV:
        out = read_chunk(kind, name, first, data, timeline, max_ahead_ms, count)
        table = event_table(out.events)  # every one storable: read_chunk refuses the others
        out.events = []
        return out, table
    out, split = _tardis_read(name, first, data, timeline, max_ahead_ms)
    table = _tardis_events(out, split)
    out.events = []
    out.unpriced = table.column("usd").null_count
    return out, table


def _tardis_chunk(name: str, first: int, data: bytes, timeline: CatalogueTimeline, max_ahead_ms: int) -> Outcome:
    out, split = _tardis_read(name, first, data, timeline, max_ahead_ms)
    if split is not None and split.events.num_rows:
        out.events = events_of(_tardis_events(out, split))
    return out  # else its events are the row path's, already a list


def events_of(table: Any) -> list[Liquidation]:
    """The events of an Arrow table of them (event_arrow.event_table's columns)."""
    return list(map(Liquidation, *(table.column(name).to_pylist() for name in schema.EVENT_COLUMNS)))


def _tardis_read(
    name: str, first: int, data: bytes, timeline: CatalogueTimeline, max_ahead_ms: int
) -> tuple[_RowsOutcome, tardis_columns.Split | None]:
    """A Tardis chunk's rows read as columns where they plainly can be (tardis_columns.split; None:
    not at all), and the outcome of the others read row by row (their events in the outcome)."""
    split = tardis_columns.split(first, data, timeline, max_ahead_ms)
    if split is None:
        try:
            text = data.decode("utf-8")  # the usual chunk: decoded at once
        except UnicodeDecodeError:
            lines: Sequence[str | bytes] = _lines(data)  # each line decoded on its own: a bad one costs only itself
        else:
            lines = _lines_of(text)
        numbered: list[tuple[int, str | bytes]] = list(enumerate(lines, first))
    else:
        numbered = list(split.rest)
    out = _tardis_rows(name, numbered, timeline, max_ahead_ms)
    if split is not None:
        out.frames += split.frames
    return out, split


def _tardis_events(out: _RowsOutcome, split: tardis_columns.Split | None) -> Any:
    """All the events of a chunk _tardis_read read, as one table in line order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = event_table(out.events)
    if split is None:
        return table
    if not table.num_rows:
        return split.events.drop_columns(["line"])
    lines_of_rest = pa.array(out.event_lines, pa.int64())
    both = pa.concat_tables([split.events, table.append_column("line", lines_of_rest)])
    return both.take(pc.sort_indices(both.column("line"))).drop_columns(["line"])


def _tardis_rows(
    name: str, numbered: list[tuple[int, str | bytes]], timeline: CatalogueTimeline, max_ahead_ms: int
) -> _RowsOutcome:
    out = _tardis_lines(name, numbered, timeline, max_ahead_ms, checked=False)
    if out.events and not _plausible(out.events, max_ahead_ms):
        # an event is refused: the rows again, one by one, so the dead letters say which
        out = _tardis_lines(name, numbered, timeline, max_ahead_ms, checked=True)
    return out


class _RowsOutcome(Outcome):
    event_lines: list[int] = msgspec.field(default_factory=list)  # the line of each event


def _lines_of(text: str) -> list[str]:
    if not text:
        return []
    return (text[:-1] if text.endswith("\n") else text).split("\n")


def _tardis_lines(
    name: str,
    numbered: list[tuple[int, str | bytes]],
    timeline: CatalogueTimeline,
    max_ahead_ms: int,
    checked: bool,
) -> _RowsOutcome:
    """The events of Tardis rows (line number, line); with `checked`, each row's events are refused
    for an implausible time (refuse_implausible_time) one by one, else _tardis_rows checks them all
    at once."""
    out = _RowsOutcome([])
    lo, hi = 1, 0
    catalogue = timeline.base
    parsers: dict[str, Parse] = {}
    for lineno, raw in numbered:
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                out.letters.append(DeadLine(name, lineno, f"not UTF-8 text: {exc}", shown(raw)))
                continue
        else:
            line = raw
        if not line.strip() or (lineno == 1 and tardis.is_header(line)):
            continue
        try:
            # Tardis writes no quotes: a plain split is exact and several times faster than csv;
            # nor white space (none of which is printable but the space): then no cell is stripped
            if '"' in line:
                row = tardis.row_of(next(csv.reader([line])))
            else:
                text = line.rstrip("\r")
                row = tardis.row_of(text.split(","), stripped=" " not in text and text.isprintable())
        except (tardis.BadRow, csv.Error, StopIteration) as exc:
            out.letters.append(DeadLine(name, lineno, str(exc), line))
            continue
        out.frames += 1
        venue = tardis.venue_of(row)
        if venue is None:
            out.skipped[row.exchange] = out.skipped.get(row.exchange, 0) + 1
            continue
        try:
            venue, frame, recv_ts = tardis.frame_of(row)
            if not lo <= recv_ts < hi:
                catalogue, lo, hi = timeline.at(recv_ts)
            parse = parsers.get(venue)
            if parse is None:
                parse = parsers[venue] = REGISTRY[venue].parse
            found = parse(frame, recv_ts, catalogue)
            if checked:
                found = refuse_implausible_time(found, recv_ts, max_ahead_ms)
                problem = next(filter(None, map(unstorable, found)), None)
                if problem is not None:
                    raise BadFrame(problem)
            out.events += found
            out.event_lines += [lineno] * len(found)
        except (BadFrame, tardis.BadRow) as exc:
            out.letters.append(DeadLine(name, lineno, str(exc), line, venue, None, False))
    return out
