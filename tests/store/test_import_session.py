"""An import session across adds (importer.ImportSession): a real DuckDB file, Tardis CSV files and
store batches of a few events, so that adds end inside batches, on their edges, or add nothing.
Each add's callback must come after its events are committed, in the order of the adds, and never
for events that were not written."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from liqwatch import import_writer
from liqwatch.importer import ImportSession
from liqwatch.instruments import bundled
from liqwatch.store.base import EventFilter, StoreError
from liqwatch.store.duckdb import DuckDBStore

T = 1_704_067_200_000  # 2024-01-01, ms
HEADER = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_writer, "BATCH", 4)


def tardis_csv(path: Path, first_ms: int, rows: int) -> Path:
    """`rows` Binance liquidations a second apart from `first_ms` (ids made by the venue's rules)."""
    lines = [HEADER] + [
        f"binance-futures,BTCUSDT,{(first_ms + 1000 * k) * 1000},{(first_ms + 1000 * k) * 1000 + 5},,sell,40000,0.5"
        for k in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def stored(store: DuckDBStore) -> int:
    return len(list(store.events(EventFilter())))


def wait_for(done: Callable[[], bool]) -> bool:
    """Whether `done()` came true (checked every 10 ms, for up to 10 s)."""
    for _ in range(1000):
        if done():
            return True
        time.sleep(0.01)
    return done()


def test_each_add_is_called_back_once_its_events_are_committed_in_add_order(tmp_path: Path) -> None:
    sizes = [3, 5, 2, 0, 6, 3]  # events of each add: 3, 8, 10, 10, 16, 19 in all (batches of 4)
    seen: list[tuple[int, int]] = []  # (add, events in the store when its callback ran)
    with DuckDBStore(tmp_path / "t.duckdb") as store:
        with ImportSession(store, catalogue=bundled()) as session:
            first = T
            for n, size in enumerate(sizes):
                files = [tardis_csv(tmp_path / f"{n}.csv", first, size)] if size else []
                session.add(files, on_stored=lambda n=n: seen.append((n, stored(store))))
                first += 1000 * size
            # four whole batches (16 events) are written without the close: every event of the
            # first five adds (the second and the fifth end on a batch's edge, the fourth adds none)
            assert wait_for(lambda: len(seen) == 5)
            assert [n for n, _ in seen] == [0, 1, 2, 3, 4]
        assert [n for n, _ in seen] == [0, 1, 2, 3, 4, 5]
        handed = [sum(sizes[: n + 1]) for n in range(len(sizes))]
        assert all(count >= handed[n] for n, count in seen)
        assert stored(store) == sum(sizes) == session.report.stored == session.report.events
        assert session.report.files == sum(1 for size in sizes if size)


def test_no_callback_once_the_store_failed_and_the_earlier_ones_stand(tmp_path: Path) -> None:
    fired: list[str] = []
    first_is_stored = threading.Event()
    path = tmp_path / "t.duckdb"
    store = DuckDBStore(path)
    with pytest.raises(StoreError, match="closed"), ImportSession(store, catalogue=bundled()) as session:
        session.add(
            [tardis_csv(tmp_path / "a.csv", T, 8)],  # two whole batches: written without waiting for the close
            on_stored=lambda: (fired.append("a"), first_is_stored.set()),
        )
        assert first_is_stored.wait(10)
        store.close()  # under the session: its next write fails
        # less than a batch: written by the session's close, its callback queued behind that write
        session.add([tardis_csv(tmp_path / "b.csv", T + 10_000, 2)], on_stored=lambda: fired.append("b"))
    assert fired == ["a"]
    with DuckDBStore(path) as again:
        assert stored(again) == 8


def test_leaving_on_an_error_drops_the_partial_batch_and_its_callback(tmp_path: Path) -> None:
    fired: list[str] = []
    with DuckDBStore(tmp_path / "t.duckdb") as store:
        with pytest.raises(KeyboardInterrupt), ImportSession(store, catalogue=bundled()) as session:
            session.add([tardis_csv(tmp_path / "a.csv", T, 6)], on_stored=lambda: fired.append("a"))
            raise KeyboardInterrupt  # Ctrl-C in the importing thread
        assert fired == []
        assert stored(store) == 4  # the whole batch handed to the writer before; not the 2 after it
