"""The import's fast paths say exactly what the line-by-line and frame-by-frame paths say.

A journal chunk is decoded as one JSON array made from the bytes read (journal.decode_block), its
events' times are checked all at once (import_chunks._plausible), a Tardis chunk is decoded as
UTF-8 at once, and the file is read on a thread ahead of the parser (read_ahead). Each is compared
here with the plain way of doing the same thing, on chunks built to break the fast path."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch import import_kinds, tardis
from liqwatch.catalogue_history import CatalogueTimeline
from liqwatch.feed.journal import decode_block, decode_lines, line_count
from liqwatch.import_chunks import DeadLine, read_chunk
from liqwatch.instruments import bundled
from liqwatch.model import Liquidation
from liqwatch.read_ahead import read_ahead
from liqwatch.tardis import HEADER
from liqwatch.venues import REGISTRY
from liqwatch.venues.base import MAX_AHEAD_MS, BadFrame, refuse_implausible_time

RECV = 1_767_225_600_000  # 2026-01-01T00:00Z
TIMELINE = CatalogueTimeline(bundled(), [])


def frame(i: int, ts: int) -> str:
    order = {"s": "ETHUSDT", "S": "SELL" if i % 2 else "BUY", "o": "LIMIT", "f": "IOC", "q": f"1.{i % 900 + 100}"}
    order |= {"p": "3000.5", "ap": "3001.25", "X": "FILLED", "l": "0.1", "z": f"1.{i % 900 + 100}", "T": ts}
    return json.dumps({"e": "forceOrder", "E": ts, "o": order}, separators=(",", ":"))


def good(i: int) -> bytes:
    return json.dumps({"ts": RECV + i, "venue": "binance_usdm", "frame": frame(i, RECV + i - 5)}).encode()


# Lines of every kind a journal may hold, each built from its index (so no two are alike)
LINES = {
    "good": good,
    "embedded": lambda i: b'{"ts":%d,"venue":"binance_usdm","frame":%s}' % (RECV + i, frame(i, RECV + i).encode()),
    "ahead": lambda i: json.dumps(
        {"ts": RECV + i, "venue": "binance_usdm", "frame": frame(i, RECV + i + MAX_AHEAD_MS + 1)}
    ).encode(),
    "ancient": lambda i: json.dumps({"ts": RECV + i, "venue": "binance_usdm", "frame": frame(i, 1_000 + i)}).encode(),
    "unknown venue": lambda i: json.dumps({"ts": RECV + i, "venue": "nowhere", "frame": "{}"}).encode(),
    "bad frame": lambda i: json.dumps({"ts": RECV + i, "venue": "binance_usdm", "frame": "{not json"}).encode(),
    "bad json": lambda i: b'{"ts": %d, "venue": ' % i,
    "bad utf-8": lambda i: good(i).replace(b"ETHUSDT", b"ETH\xffUSDT"),
    "blank": lambda i: b"",
    "spaces": lambda i: b"   ",
    "crlf": lambda i: good(i) + b"\r",
    "two on one line": lambda i: good(i) + b"," + good(i + 1),
    "ts beyond int64": lambda i: b'{"ts":%d,"venue":"binance_usdm","frame":"{}"}' % (2**64 + i),
}

kinds = st.lists(st.sampled_from(sorted(LINES)), min_size=0, max_size=40)


def block_of(names: list[str], newline_at_end: bool) -> tuple[list[bytes], bytes]:
    lines = [LINES[name](i) for i, name in enumerate(names)]
    data = b"\n".join(lines) + (b"\n" if newline_at_end and lines else b"")
    return lines, data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds, st.booleans(), st.integers(1, 10_000))
def test_a_block_decodes_as_its_lines_do_one_by_one(names: list[str], newline_at_end: bool, first: int) -> None:
    lines, data = block_of(names, newline_at_end)
    bad_fast: list[tuple[int, str, bytes]] = []
    bad_each: list[tuple[int, str, bytes]] = []
    fast = decode_block(data, first, lambda n, reason, text: bad_fast.append((n, reason, text)))
    each = decode_lines(lines, first, lambda n, reason, text: bad_each.append((n, reason, text)))
    assert (fast[0], list(fast[1])) == (each[0], list(each[1]))
    assert bad_fast == bad_each
    counted = decode_block(data, first, lambda *_: None, line_count(data))  # as the importer calls it
    assert (counted[0], list(counted[1])) == (fast[0], list(fast[1]))
    unterminated_blank = not newline_at_end and lines and not lines[-1]  # no byte says it is there
    assert line_count(data) == len(lines) - bool(unterminated_blank)


def reference(lines: list[bytes], first: int) -> tuple[list[Liquidation], list[tuple[int, str]]]:
    """A chunk's events and dead letters (line, reason) read the plain way: frame by frame."""
    letters: list[tuple[int, str]] = []
    records, numbers = decode_lines(lines, first, lambda n, reason, text: letters.append((n, reason)))
    events: list[Liquidation] = []
    for record, lineno in zip(records, numbers, strict=True):
        spec = REGISTRY.get(record.venue)
        if spec is None:
            letters.append((lineno, f"frame of unknown venue {record.venue!r}"))
            continue
        try:
            events += refuse_implausible_time(spec.parse(record.frame, record.ts, TIMELINE.base), record.ts)
        except BadFrame as exc:
            letters.append((lineno, str(exc)))
    return events, sorted(letters, key=lambda letter: letter[0])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds, st.booleans())
def test_a_journal_chunk_gives_the_events_and_dead_letters_of_reading_it_frame_by_frame(
    names: list[str], newline_at_end: bool
) -> None:
    lines, data = block_of(names, newline_at_end)
    outcome = read_chunk(import_kinds.JOURNAL, "j.jsonl", 7, data, TIMELINE)
    events, letters = reference(lines, 7)
    assert outcome.events == events
    assert [(d.line, d.reason) for d in outcome.letters] == letters
    assert outcome.unpriced == sum(1 for e in events if e.usd is None)


def test_one_implausible_frame_among_many_costs_only_itself() -> None:
    names = ["good"] * 500
    names[321] = "ahead"
    _, data = block_of(names, True)
    outcome = read_chunk(import_kinds.JOURNAL, "j.jsonl", 1, data, TIMELINE)
    assert len(outcome.events) == 499 and outcome.frames == 500
    assert [(d.line, "implausible time" in d.reason) for d in outcome.letters] == [(322, True)]


def tardis_row(i: int, ts_ms: int, recv_ms: int) -> str:
    side = "sell" if i % 2 else "buy"
    return f"binance-futures,ETHUSDT,{ts_ms * 1000},{recv_ms * 1000},,{side},3000.{i % 90 + 10},1.{i % 900 + 100}"


def test_a_tardis_chunk_with_a_bad_byte_or_an_implausible_row_costs_only_that_row() -> None:
    rows = [tardis_row(i, RECV + i, RECV + i + 2) for i in range(300)]
    rows[40] = tardis_row(40, RECV + 40 + MAX_AHEAD_MS + 10, RECV + 42)
    lines = [HEADER.encode(), *(r.encode() for r in rows)]
    lines[101] = lines[101].replace(b"ETHUSDT", b"ETH\xffUSDT")
    outcome = read_chunk(import_kinds.TARDIS_CSV, "t.csv", 1, b"\n".join(lines) + b"\n", TIMELINE)
    assert outcome.frames == 299 and len(outcome.events) == 298
    assert [d.line for d in outcome.letters] == [42, 102]  # file lines: the header is line 1
    assert "implausible time" in outcome.letters[0].reason and "UTF-8" in outcome.letters[1].reason
    # the same rows read one chunk per line say the same
    one_by_one = [read_chunk(import_kinds.TARDIS_CSV, "t.csv", n, raw, TIMELINE) for n, raw in enumerate(lines, 1)]
    assert [e for o in one_by_one for e in o.events] == outcome.events
    assert [d for o in one_by_one for d in o.letters] == outcome.letters


def test_read_ahead_hands_over_every_item_in_order_then_the_error_in_its_place() -> None:
    def items() -> Iterator[int]:
        yield from range(50)
        raise ValueError("damaged at 50")

    seen: list[int] = []
    with pytest.raises(ValueError, match="damaged at 50"):
        for item in read_ahead(items(), depth=2):
            seen.append(item)
    assert seen == list(range(50))


def test_read_ahead_stops_its_thread_when_the_reader_stops_early() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    reader = read_ahead(endless(), depth=3, name="test-read-ahead")
    assert [next(reader) for _ in range(5)] == [0, 1, 2, 3, 4]
    reader.close()  # what a `break` or an error in the reader's loop does
    assert closed.is_set()  # the generator was closed on its own thread, and the thread joined
    assert not any(t.name == "test-read-ahead" for t in threading.enumerate())


def test_dead_lines_keep_their_text() -> None:
    _, data = block_of(["good", "bad utf-8", "good"], True)
    (letter,) = read_chunk(import_kinds.JOURNAL, "j.jsonl", 1, data, TIMELINE).letters
    assert letter == DeadLine("j.jsonl", 2, letter.reason, LINES["bad utf-8"](1).decode("utf-8", "backslashreplace"))


@given(st.text(max_size=20))
def test_a_symbol_is_quoted_as_json_would(text: str) -> None:
    assert tardis._quoted(text) == tardis._json(text)


def test_tardis_cells_with_white_space_around_them_read_as_without() -> None:
    rows = [tardis_row(i, RECV + i, RECV + i + 2) for i in range(6)]
    padded = [
        ",".join(f"{pad}{cell}{pad}" for cell in row.split(","))
        for row, pad in zip(rows, [" ", "\t", "\xa0"] * 2, strict=True)
    ]
    plain = read_chunk(import_kinds.TARDIS_CSV, "t.csv", 2, "\n".join(rows).encode(), TIMELINE)
    spaced = read_chunk(import_kinds.TARDIS_CSV, "t.csv", 2, "\r\n".join(padded).encode(), TIMELINE)
    assert len(plain.events) == 6 and not plain.letters
    assert spaced.events == plain.events and not spaced.letters
