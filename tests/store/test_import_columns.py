"""Tardis CSVs whose chunks are read on threads, ahead (import_columns.ChunksAhead), import exactly
as the same files read chunk by chunk in this thread as their turn comes: the same events, counts,
problems and dead letters, in the same order, whatever the files (damaged, repeated, one that
cannot be read, chunks of several files in flight at once)."""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from liqwatch import import_columns
from liqwatch.catalogue_history import CatalogueTimeline
from liqwatch.importer import ImportReport, import_files
from liqwatch.instruments import bundled
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.venues.base import MAX_AHEAD_MS
from tests.store.test_tardis_import import ROWS, write_csv

T0 = 1_763_712_000_000_000  # µs, 2025-11-21
TIMELINE = CatalogueTimeline(bundled(), [])


def day_rows(day: int, n: int) -> list[tuple[object, ...]]:
    return [
        ("binance-futures", f"{('BTC', 'ETH', 'SOL')[i % 3]}USDT", T0 + day * 86_400_000_000 + i * 997_000,
         T0 + day * 86_400_000_000 + i * 997_000 + 4_000, "", ("buy", "sell")[i % 2], f"{100 + i % 89}.{i % 7}",
         f"{1 + i % 13}.{i % 1000:03d}")
        for i in range(n)
    ]  # fmt: skip


def files(tmp_path: Path) -> list[Path]:
    days = [3_000, 3_000, 12_000, 3_000]  # the third day the biggest file
    made = [write_csv(tmp_path / f"d{day}.csv.gz", day_rows(day, n), gz=True) for day, n in enumerate(days)]
    made.insert(1, write_csv(tmp_path / "every-exchange.csv", ROWS))
    again = made[0].read_bytes()  # the first day again: all of it already stored
    (tmp_path / "again.csv.gz").write_bytes(again)
    cut = gzip.compress("\n".join(",".join(map(str, r)) for r in day_rows(9, 2_000)).encode() + b"\n")
    (tmp_path / "cut.csv.gz").write_bytes(cut[: len(cut) * 2 // 3])  # a damaged stream: what came before it
    bad = (tmp_path / "d3.csv.gz").read_bytes()
    text = gzip.decompress(bad).replace(b"\n", b"\n\xff,broken\n", 1)  # the fourth day with an unreadable line
    (tmp_path / "bad.csv.gz").write_bytes(gzip.compress(text))
    return [*made, tmp_path / "again.csv.gz", tmp_path / "cut.csv.gz", tmp_path / "bad.csv.gz"]


def run(tmp_path: Path, name: str, paths: list[Path]) -> tuple[ImportReport, list[tuple[object, ...]], list[object]]:
    letters = tmp_path / f"{name}.dead-letters.jsonl"
    with DuckDBStore(tmp_path / f"{name}.duckdb") as store:
        report = import_files(paths, store, catalogue=bundled(), dead_letters=letters)
        events: list[tuple[object, ...]] = [(e.id, e.usd, e.qty, e.ts, e.side) for e in store.events(EventFilter())]
        rollup = store._con.execute("SELECT * FROM rollup_hour ORDER BY ALL").fetchall()
    written = [json.loads(line) for line in letters.read_text().splitlines()]
    report.dead_letters = None  # named after the run
    return report, events + rollup, written


@pytest.mark.parametrize("chunk_bytes", [4 << 20, 20_000])  # a chunk a file; many, across files
def test_chunks_read_ahead_import_as_files_read_as_they_come(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_bytes: int
) -> None:
    paths = files(tmp_path)
    monkeypatch.setattr(import_columns, "COLUMN_CHUNK_BYTES", chunk_bytes)
    read = import_columns.ChunksAhead._read
    threads: set[str] = set()  # where the chunks were read

    def observed(self: import_columns.ChunksAhead, *args: Any) -> Any:
        threads.add(threading.current_thread().name)
        return read(self, *args)

    monkeypatch.setattr(import_columns.ChunksAhead, "_read", observed)
    ahead = run(tmp_path, "ahead", paths)
    assert threads and all(name.startswith("liqwatch-import-columns") for name in threads)
    monkeypatch.setattr(import_columns, "AHEAD", 0)  # none read ahead: each file as it comes, in this thread
    assert ahead == run(tmp_path, "streamed", paths)
    report, _, letters = ahead
    assert report.files == len(paths) and report.duplicates == 2 * 3_000  # the first day again; bad.csv.gz's
    assert report.stored > 18_000 + len(ROWS) - 1  # every day, every exchange liqwatch reads, cut.csv.gz's first part
    read_order = [str(path) for path in paths]
    files_of_letters = [str(letter["file"]) for letter in letters]
    assert {"cut.csv.gz", "bad.csv.gz"} <= {Path(f).name for f in files_of_letters}
    assert files_of_letters == sorted(files_of_letters, key=read_order.index)  # in file order, as read


def test_a_file_that_cannot_be_read_fails_in_its_turn_after_the_files_before(tmp_path: Path) -> None:
    paths = files(tmp_path)[:3]
    gone = tmp_path / "gone.csv"
    gone.mkdir()  # planned as a file, then unreadable when its turn comes
    ahead = import_columns.ChunksAhead([(p, "tardis_csv", TIMELINE) for p in [*paths, gone]], MAX_AHEAD_MS)
    with contextlib.closing(ahead):
        for path in paths:  # read whole, though the next file's error is already known
            taken = ahead.take(path)
            assert taken is not None
            data = path.read_bytes()
            lines = (gzip.decompress(data) if path.suffix == ".gz" else data).count(b"\n")
            assert sum(count for _, count, _ in taken[0]) == lines
        assert ahead.take(tmp_path / "other.csv") is None  # not the next file given
        taken = ahead.take(gone)
        assert taken is not None
        with pytest.raises(IsADirectoryError):
            list(taken[0])
