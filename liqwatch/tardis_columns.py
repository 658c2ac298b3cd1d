"""Tardis CSV chunks read as columns: the events of tardis.py's row path, at C speed.

A backfill reads millions of rows. Through `tardis.frame_of` and the venue's parser a row costs ~5 µs
of CPU, which keeps up with ~4 MB/s of download. Here a chunk is read by Arrow's CSV reader, its
cells checked column by column as `tardis.row_of` checks them, and the events of the exchanges that
have column rules (tardis_rules.RULES) are computed as columns, with the same arithmetic in
the same order as the venue's parser: the same doubles, the same ids.

Every row the columns do not plainly cover is left to the row path (`Split.rest`), so its events and
dead letters are what they always were: a chunk that is not plain printable ASCII, a cell that is not
a plain decimal, an exchange without column rules, a symbol the catalogue cannot size, a product not
exact in a double, an event the parser would refuse (above venues.base.MAX_USD, before MIN_TS) or
the import would (an implausible time: import_chunks._plausible). tests/store/test_tardis_columns.py
holds the two paths to each other, row for row and bit for bit.

Pure: pyarrow is imported by the functions that need it, as in store/event_arrow.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from liqwatch import tardis
from liqwatch.feed.journal import MAX_TS
from liqwatch.store import schema
from liqwatch.store.event_arrow import ARROW_TYPES, EVENT_COLUMNS, units_column
from liqwatch.tardis_rules import RECEIVED_AT_TIMESTAMP, RULES
from liqwatch.tardis_rules.columns import Rows, all_of, decimals, lit
from liqwatch.venues.base import MAX_USD, MIN_TS, PLAUSIBLE_SINCE_TS

if TYPE_CHECKING:
    from liqwatch.catalogue_history import CatalogueTimeline

# A chunk the columns read: printable ASCII but the double quote (no cell is quoted, stripped or
# escaped: tardis.row_of's plain case), lines separated by single newlines (no blank line)
_PLAIN_BYTES = bytes(range(0x21, 0x7F)).replace(b'"', b"") + b"\n"
MAX_TIME_DIGITS = 18
MAX_DIGITS = 15  # digits of a price or amount the columns read: below 2**53, exact as a double


class Split(NamedTuple):
    """A chunk's rows read as columns: their events (event_arrow.EVENT_COLUMNS and `line`, in line
    order), the rows left to the row path as (line number, line), and how many rows the columns read."""

    events: Any
    rest: list[tuple[int, bytes]]
    frames: int


def split(first: int, data: bytes, timeline: CatalogueTimeline, max_ahead_ms: int) -> Split | None:
    """The chunk of lines `first`, `first` + 1, … read as columns; None when it is not plain (the
    row path reads all of it)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if not data or data[:1] == b"\n" or b"\n\n" in data or data.translate(None, _PLAIN_BYTES):
        return None
    start = first
    if first == 1:
        head, _, after = data.partition(b"\n")
        if tardis.is_header(head.decode("ascii")):
            data, start = after, 2
            if not data:
                return Split(_empty(), [], 0)
    miscounted: list[int] = []  # lines of more or fewer cells than eight: the row path words them

    def set_aside(row: Any) -> str:
        miscounted.append(start + row.number - 1)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=tardis.COLUMNS, use_threads=False, block_size=len(data) + 1),
            parse_options=pacsv.ParseOptions(
                quote_char=False, double_quote=False, ignore_empty_lines=False, invalid_row_handler=set_aside
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(tardis.COLUMNS, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        return None
    lines_read = data.count(b"\n") + (not data.endswith(b"\n"))
    if table.num_rows + len(miscounted) != lines_read:
        return None
    table = pa.RecordBatch.from_struct_array(table.to_struct_array().combine_chunks())  # one Array a column
    numbers = {name: _decimal_parts(table.column(name)) for name in ("amount", "price")}
    plain = all_of(
        pc.is_in(table.column("exchange"), value_set=pa.array(sorted(RULES))),
        pc.greater(pc.binary_length(table.column("symbol")), lit(0)),
        pc.is_in(table.column("side"), value_set=pa.array(["buy", "sell"])),
        _microseconds(table.column("timestamp")),
        _microseconds(table.column("local_timestamp")),
        _plain_decimal(*numbers["amount"]),
        _plain_decimal(*numbers["price"]),
    )
    if miscounted:
        set_aside_lines = set(miscounted)
        line = pa.array([n for n in range(start, start + lines_read) if n not in set_aside_lines], pa.int64())
    else:
        line = pc.add(pc.cumulative_sum(pa.repeat(lit(1), table.num_rows)), lit(start - 1))
    for name, (digits, point, length) in numbers.items():
        table = table.append_column(f"{name}_digits", digits).append_column(f"{name}_point", point)
        table = table.append_column(f"{name}_length", length)
    read = _where(table.append_column("line", line), plain)
    parts = []
    exchanges = pc.unique(read.column("exchange")).to_pylist()
    for exchange in exchanges:
        of = read if len(exchanges) == 1 else read.filter(pc.equal(read.column("exchange"), lit(exchange)))
        parts.append(_exchange(exchange, of, timeline, max_ahead_ms))
    events = pa.concat_tables(parts) if parts else _empty()
    order = events.column("line")
    if events.num_rows > 1 and not pc.all(pc.less(order.slice(0, events.num_rows - 1), order.slice(1))).as_py():
        events = events.take(pc.sort_indices(order))  # exchanges or catalogue spans interleaved
    if events.num_rows == lines_read:
        return Split(events, [], lines_read)
    rest_lines = line.filter(pc.invert(pc.is_in(line, value_set=events.column("line")))).to_pylist()
    rest_lines = sorted(rest_lines + miscounted) if miscounted else rest_lines
    lines = data.split(b"\n")
    return Split(events, [(n, lines[n - start]) for n in rest_lines], lines_read - len(rest_lines))


def _exchange(exchange: str, rows: Any, timeline: CatalogueTimeline, max_ahead_ms: int) -> Any:
    """The events of one exchange's plain rows (each with its line, in line order), each priced with
    the catalogue in force at its receive time; the rows not among them go to the row path."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ts = pc.divide(pc.cast(rows.column("timestamp"), pa.int64()), lit(1000))  # µs → ms, as Row.ts_ms
    received = "timestamp" if exchange in RECEIVED_AT_TIMESTAMP else "local_timestamp"  # as tardis.frame_of
    recv = pc.divide(pc.cast(rows.column(received), pa.int64()), lit(1000))
    rows = rows.append_column("ts", ts).append_column("recv", recv)
    rule = RULES[exchange]
    parts = []
    while rows.num_rows:
        # the rows whose receive time falls in one span of the timeline (usually all of them)
        catalogue, _, hi = timeline.at(pc.min(rows.column("recv")).as_py())
        in_span = pc.less(rows.column("recv"), lit(hi))
        group = _where(rows, in_span)
        rows = rows.filter(pc.invert(in_span)) if group is not rows else rows.slice(0, 0)
        events, covered = rule(_rows(group), catalogue)
        kept = all_of(covered, _storable(events, max_ahead_ms))
        parts.append(_where(events.append_column("line", group.column("line")), kept))
    found = pa.Table.from_batches(parts)
    # every usd is at most MAX_USD (_storable): its units fit
    return found.add_column(len(schema.EVENT_COLUMNS), "usd_units", units_column(found.column("usd")))


def _rows(batch: Any) -> Rows:
    import pyarrow.compute as pc

    return Rows(
        symbol=batch.column("symbol"),
        buy=pc.equal(batch.column("side"), lit("buy")),
        ts=batch.column("ts"),
        recv=batch.column("recv"),
        amount=decimals(*(batch.column(f"amount{part}") for part in ("", "_digits", "_point", "_length"))),
        price=decimals(*(batch.column(f"price{part}") for part in ("", "_digits", "_point", "_length"))),
        row_id=batch.column("id"),
        timestamp=batch.column("timestamp"),
    )


def _where(batch: Any, mask: Any) -> Any:
    """The rows of `batch` where `mask` holds (the batch itself where it holds for all)."""
    import pyarrow.compute as pc

    return batch if pc.all(mask).as_py() else batch.filter(mask)


def _storable(events: Any, max_ahead_ms: int) -> Any:
    """Events neither the venue's parser (venues.base.refuse_impossible with MAX_USD, MIN_TS) nor
    the import (refuse_implausible_time, import_chunks.unstorable) would refuse."""
    import pyarrow.compute as pc

    ts, recv, usd = events.column("ts"), events.column("recv_ts"), events.column("usd")
    return all_of(
        pc.greater_equal(ts, lit(max(PLAUSIBLE_SINCE_TS, MIN_TS))),
        pc.less_equal(ts, lit(MAX_TS)),
        pc.less_equal(pc.subtract(ts, recv), lit(max_ahead_ms)),
        pc.less_equal(recv, lit(MAX_TS)),
        pc.fill_null(pc.less_equal(usd, lit(MAX_USD)), lit(True)),
    )


def _microseconds(text: Any) -> Any:
    """tardis.row_of's test of a time (ASCII digits), to a length whose ms fit int64 with room."""
    import pyarrow.compute as pc

    return pc.and_(pc.ascii_is_decimal(text), pc.less_equal(pc.binary_length(text), lit(MAX_TIME_DIGITS)))


def _decimal_parts(text: Any) -> tuple[Any, Any, Any]:
    """A column of number cells as (the text without its first point, where that point is or -1,
    the text's length): what _plain_decimal tests and decimals() reads."""
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = pc.replace_substring(text, ".", "", max_replacements=1)
    point = pc.cast(pc.find_substring(text, "."), pa.int64())
    return digits, point, pc.cast(pc.binary_length(text), pa.int64())


def _plain_decimal(digits: Any, point: Any, length: Any) -> Any:
    """tardis._is_number's plain case (digits, at most one point with digits on both sides), of at
    most MAX_DIGITS digits (_decimal_parts' columns: a second point is left in `digits`)."""
    import pyarrow.compute as pc

    return all_of(
        pc.ascii_is_decimal(digits),  # not empty, and nothing but digits beside the first point
        pc.less_equal(pc.binary_length(digits), lit(MAX_DIGITS)),
        pc.or_(
            pc.less(point, lit(0)),
            pc.and_(pc.greater(point, lit(0)), pc.less(point, pc.subtract(length, lit(1)))),
        ),
    )


def _empty() -> Any:
    import pyarrow as pa

    fields = [pa.field(name, getattr(pa, ARROW_TYPES[name])()) for name in EVENT_COLUMNS]
    return pa.schema([*fields, pa.field("line", pa.int64())]).empty_table()
