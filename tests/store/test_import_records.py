"""Journal records held in memory (the demo's simulated past) import exactly like the same lines in a
journal file: the same events, counts and refusals."""

from __future__ import annotations

import itertools
from pathlib import Path

import msgspec

from liqwatch.feed.journal import JournalRecord
from liqwatch.importer import import_files, import_records
from liqwatch.sim.tape import scenario_tape
from liqwatch.store.base import EventFilter
from liqwatch.store.duckdb import DuckDBStore
from tests.sim.helpers import NOW, sim_catalogue


def test_records_in_memory_import_like_the_same_journal_file(tmp_path: Path) -> None:
    tape = scenario_tape("crash", 4, ("binance_usdm", "okx", "bybit"), NOW)
    records = [JournalRecord(p.at, p.venue, p.text) for p in itertools.takewhile(lambda p: p.at < NOW + 900_000, tape)]
    records = [r for r in records if r.venue]
    records.insert(5, JournalRecord(NOW + 1, "okx", '{"arg":{"channel":"liquidation-orders"},"data":[{"details":1}]}'))
    journal = tmp_path / "history.jsonl"
    journal.write_bytes(b"".join(msgspec.json.encode(r) + b"\n" for r in records))
    catalogue = sim_catalogue()

    from_file = DuckDBStore(str(tmp_path / "file.duckdb"))
    in_memory = DuckDBStore(str(tmp_path / "memory.duckdb"))
    try:
        by_file = import_files([journal], from_file, catalogue=catalogue)
        taken: list[str] = []
        by_records = import_records(
            "history",
            records,
            in_memory,
            catalogue=catalogue,
            chunk=700,
            also=lambda batch: taken.extend(e.id for e in batch),
        )
        assert by_records.frames == by_file.frames == len(records)
        assert by_records.stored == by_file.stored > 1000
        assert by_records.bad_frames == by_file.bad_frames == 1
        assert by_records.events == by_file.events
        assert list(in_memory.events(EventFilter())) == list(from_file.events(EventFilter()))
        assert sorted(set(taken)) == sorted(e.id for e in in_memory.events(EventFilter()))  # `also` saw them all
        again = import_records("history", records, in_memory, catalogue=catalogue)
        assert again.stored == 0  # idempotent
    finally:
        from_file.close()
        in_memory.close()
