"""Tardis CSVs read whole, ahead, on threads (import_columns.FilesAhead) import exactly as the same
files read chunk by chunk as their turn comes: the same events, counts, problems and dead letters,
in the same order, whatever the files (damaged, a journal between them, too big to read whole)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from liqwatch import import_columns
from liqwatch.importer import ImportReport, import_files
from liqwatch.instruments import bundled
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from tests.store.test_tardis_import import ROWS, write_csv

T0 = 1_763_712_000_000_000  # µs, 2025-11-21


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


def test_files_read_ahead_import_as_files_read_as_they_come(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = files(tmp_path)
    read_whole = import_columns._read_whole
    whole: list[str] = []  # the files read ahead, on the threads
    monkeypatch.setattr(
        import_columns, "_read_whole", lambda path, *rest: whole.append(path.name) or read_whole(path, *rest)
    )
    ahead = run(tmp_path, "ahead", paths)
    assert sorted(whole) == sorted(path.name for path in paths)
    monkeypatch.setattr(import_columns, "WHOLE_FILE_BYTES", 0)  # no file read ahead: each as it comes
    streamed = run(tmp_path, "streamed", paths)
    assert ahead == streamed
    report, _, letters = ahead
    assert report.files == len(paths) and report.duplicates == 2 * 3_000  # the first day again; bad.csv.gz's
    assert (
        report.stored > 4 * 3_000 + len(ROWS) - 1
    )  # every day, every exchange liqwatch reads, cut.csv.gz's first part
    read = [str(path) for path in paths]
    files_of_letters = [str(letter["file"]) for letter in letters]
    assert {"cut.csv.gz", "bad.csv.gz"} <= {Path(f).name for f in files_of_letters}
    assert files_of_letters == sorted(files_of_letters, key=read.index)  # in file order, as read


def test_a_file_too_big_to_read_whole_is_read_as_it_comes_between_files_read_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = files(tmp_path)
    biggest = max(paths, key=lambda path: path.stat().st_size)
    assert biggest.name == "d2.csv.gz"
    monkeypatch.setattr(import_columns, "WHOLE_FILE_BYTES", biggest.stat().st_size - 1)
    read_whole = import_columns._read_whole
    whole: list[str] = []
    monkeypatch.setattr(
        import_columns, "_read_whole", lambda path, *rest: whole.append(path.name) or read_whole(path, *rest)
    )
    mixed = run(tmp_path, "mixed", paths)
    assert sorted(whole) == sorted(path.name for path in paths if path != biggest)
    monkeypatch.setattr(import_columns, "WHOLE_FILE_BYTES", 0)
    assert mixed == run(tmp_path, "streamed", paths)
