from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liqwatch.model import Gap, Liquidation
from liqwatch.pipeline import Pipeline, RecentIds, Sink, StoreSink, StoreWriter
from tests.feed.helpers import MemoryStore, event


class ListSink:
    def __init__(self) -> None:
        self.events: list[Liquidation] = []
        self.gaps: list[Gap] = []
        self.closed = False

    def write(self, events: Sequence[Liquidation]) -> None:
        self.events.extend(events)

    def write_gap(self, gap: Gap) -> None:
        self.gaps.append(gap)

    def close(self) -> None:
        self.closed = True


class BrokenSink(ListSink):
    def write(self, events: Sequence[Liquidation]) -> None:
        raise RuntimeError("boom")


def test_publish_drops_ids_already_seen_in_and_across_batches() -> None:
    sink = ListSink()
    pipeline = Pipeline([sink])
    assert [e.id for e in pipeline.publish([event("a"), event("b"), event("a")])] == ["a", "b"]
    assert pipeline.publish([event("b")]) == []
    assert [e.id for e in pipeline.publish([event("c"), event("a")])] == ["c"]
    assert [e.id for e in sink.events] == ["a", "b", "c"]
    assert (pipeline.published, pipeline.duplicates) == (3, 3)


def test_a_failing_sink_does_not_starve_the_others() -> None:
    good = ListSink()
    pipeline = Pipeline([BrokenSink(), good])
    pipeline.publish([event("a")])
    pipeline.publish_gap(Gap("v", 1, 2, "r"))
    assert [e.id for e in good.events] == ["a"]
    assert good.gaps == [Gap("v", 1, 2, "r")]
    assert pipeline.sink_errors == 1
    pipeline.close()
    assert good.closed
    assert isinstance(good, Sink)


def test_recent_ids_window_is_bounded() -> None:
    ids = RecentIds(capacity=10)
    assert all(ids.add(f"id{i}") for i in range(100))
    assert all(f"id{i}" in ids for i in range(95, 100))  # at least the last capacity/2
    assert "id0" not in ids  # forgotten: the store is the final guard
    assert not ids.add("id99")


@given(st.lists(st.text(min_size=1, max_size=12), max_size=300))
def test_recent_ids_matches_a_set_within_the_window(values: list[str]) -> None:
    ids = RecentIds(capacity=1_000)  # larger than any example: behaves as a set
    seen: set[str] = set()
    for value in values:
        assert ids.add(value) == (value not in seen)
        seen.add(value)


class WrittenStore(StoreWriter, Protocol):
    def count(self) -> int: ...

    def gaps(self) -> list[Gap]: ...

    def close(self) -> None: ...


@pytest.fixture(params=["memory", "duckdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WrittenStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    duckdb_store = pytest.importorskip("liqwatch.store.duckdb")  # written in parallel
    opened: WrittenStore = duckdb_store.DuckDBStore(str(tmp_path / "test.duckdb"))
    yield opened
    opened.close()


def test_store_sink_batches_into_the_store_and_the_store_stays_idempotent(store: WrittenStore) -> None:
    sink = StoreSink(store, interval=0.01, max_batch=3)
    pipeline = Pipeline([sink])
    pipeline.publish([event(f"e{i}", ts=1_000 + i) for i in range(10)])
    pipeline.publish_gap(Gap("testvenue", 1_000, 2_000, "connection closed: code 1006"))
    pipeline.flush()
    assert store.count() == 10
    assert sink.written == 10 and sink.stored == 10 and sink.pending == 0
    # A fresh pipeline (a restart) replays the same events: the store keeps one of each.
    again = StoreSink(store)
    again.write([event(f"e{i}", ts=1_000 + i) for i in range(10)])
    assert again.flush(timeout=10)
    assert store.count() == 10 and again.stored == 0
    assert [g.reason for g in store.gaps()] == ["connection closed: code 1006"]
    sink.close()
    again.close()


def test_store_sink_retries_a_failing_store_without_losing_events() -> None:
    store = MemoryStore()
    store.fail_next = 2
    sink = StoreSink(store, interval=0.01, retry_delay=0.01)
    sink.write([event("a"), event("b")])
    assert sink.flush(timeout=10)
    assert sorted(store.by_id) == ["a", "b"]
    assert sink.errors == 2 and sink.last_error == "OSError: database is locked"
    sink.close()


def test_store_sink_bounds_what_waits_for_a_dead_store() -> None:
    store = MemoryStore()
    store.fail_next = 10**9
    sink = StoreSink(store, interval=0.01, retry_delay=0.01, max_pending=5)
    for i in range(20):
        sink.write([event(f"e{i}")])
    assert sink.pending <= 10  # max_pending waiting + at most one batch being retried
    assert sink.dropped >= 10
    sink.close()  # gives up after a few attempts at shutdown instead of hanging
    with pytest.raises(RuntimeError):
        sink.write([event("late")])
