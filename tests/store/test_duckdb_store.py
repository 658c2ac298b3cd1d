"""DuckDBStore on real files: idempotent writes, reads, summary == reference, errors that keep data."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch import queries
from liqwatch.analytics.summary import parse_windows, summarize, summary_to_json
from liqwatch.instruments import Instrument
from liqwatch.model import Gap, Liquidation
from liqwatch.store import schema
from liqwatch.store.base import EventFilter, Store, StoreError, VenueActivity
from liqwatch.store.duckdb import DuckDBStore
from tests.analytics.factories import AT, WINDOW_SETS, H, ats, ev, events_around

W4 = parse_windows("1h,4h,12h,24h")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    with DuckDBStore(tmp_path / "store.duckdb") as s:
        yield s


def sample() -> list[Liquidation]:
    return [
        ev(AT - 3 * H, 5_000.0, venue="binance_usdm", coin="BTC", side="long"),
        ev(AT - 2 * H, 20_000.0, venue="bybit", coin="ETH", side="short"),
        ev(AT - H, None, venue="okx", coin="SOL", side="long"),
        ev(AT - 10, 750.5, venue="bybit", coin="BTC", side="short"),
        ev(AT, 20_000.0, venue="okx", coin="BTC", side="long"),
        ev(AT + 5, 1.25, venue="gate", coin="DOGE", side="short"),
    ]


def unique_first(events: list[Liquidation]) -> list[Liquidation]:
    seen: dict[str, Liquidation] = {}
    for e in events:
        seen.setdefault(e.id, e)
    return list(seen.values())


def test_is_a_store(store: DuckDBStore) -> None:
    def takes(s: Store) -> Store:
        return s

    assert takes(store) is store


# --- writes ----------------------------------------------------------------------------------


def test_writing_twice_stores_once(store: DuckDBStore) -> None:
    events = sample()
    assert store.write_events(events) == len(events)
    before = list(store.events(EventFilter()))
    assert store.write_events(events) == 0
    assert store.write_events(events[::-1]) == 0
    assert store.count() == len(events)
    assert list(store.events(EventFilter())) == before
    assert store.summary(AT, W4) == summarize(events, AT, W4)


def test_repeats_inside_one_batch_and_partial_overlap(store: DuckDBStore) -> None:
    a, b, c, d, e, f = sample()
    assert store.write_events([a, b, a, b, a]) == 2
    assert store.write_events([b, c, d, c]) == 2  # b is stored already
    assert store.write_events([]) == 0
    assert store.write_events([e, f, a, d]) == 2
    assert store.count() == 6
    assert store.summary(AT, W4) == summarize([a, b, c, d, e, f], AT, W4)


def test_first_copy_of_an_id_wins(store: DuckDBStore) -> None:
    first = ev(AT - 5, 100.0, id="same")
    other = ev(AT - 5, 999.0, id="same", venue="okx")
    assert store.write_events([first, other]) == 1
    assert store.write_events([other]) == 0
    assert list(store.events(EventFilter())) == [first]


def test_an_id_seen_with_a_slightly_different_ts_is_still_a_duplicate(store: DuckDBStore) -> None:
    store.write_events([ev(AT, 100.0, id="wobbly")])
    assert store.write_events([ev(AT + H, 100.0, id="wobbly")]) == 0
    assert store.write_events([ev(AT - 20 * H, 100.0, id="wobbly")]) == 0
    assert store.count() == 1


def test_without_a_margin_an_id_is_a_duplicate_at_any_ts(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "exact.duckdb", dedup_margin_ms=None) as s:
        s.write_events([ev(AT, 100.0, id="far")])
        assert s.write_events([ev(AT - 400 * 24 * H, 100.0, id="far"), ev(AT + 1, 1.0, id="near")]) == 1
        assert s.count() == 2


def test_events_round_trip_exactly(store: DuckDBStore) -> None:
    events = [*sample(), ev(AT - 7, 0.1, qty=None, price=1e-8, id="tiny"), ev(AT - 8, 1e9 / 3, id="third")]
    store.write_events(events)
    assert list(store.events(EventFilter())) == sorted(events, key=lambda e: (e.ts, e.id))


def test_bad_events_are_refused_and_nothing_is_written(store: DuckDBStore) -> None:
    good = ev(AT - 1, 10.0)
    with pytest.raises(ValueError, match="not finite"):
        store.write_events([good, ev(AT - 2, float("inf"), id="inf")])
    with pytest.raises(ValueError, match="out of range"):
        store.write_events([good, ev(AT - 2, 1e12, id="huge")])
    with pytest.raises(ValueError, match="ts must be epoch ms"):
        store.write_events([good, ev(0, 1.0, id="zero")])
    assert store.count() == 0


def test_large_writes_are_split_into_batches(tmp_path: Path) -> None:
    events = [ev(AT - i * 7_001, float(i % 97) + 0.01, id=f"n{i}") for i in range(2_500)]
    with DuckDBStore(tmp_path / "small-batches.duckdb", batch_size=300) as s:
        assert s.write_events(events + events[:700]) == 2_500
        assert s.count() == 2_500
        assert s.summary(AT, W4) == summarize(events, AT, W4)


def test_small_batches_as_parameters_and_big_ones_as_arrow_store_the_same(tmp_path: Path) -> None:
    """Up to SMALL_BATCH_ROWS rows go in as SQL parameters, more as an Arrow table: same rows, same
    rollup, same answers, including None quantities and USD values and repeated ids across writes."""
    events = [
        ev(AT - i * 3_001, None if i % 11 == 0 else float(i % 97) + 0.01, qty=None if i % 7 == 0 else 1.5, id=f"e{i}")
        for i in range(1_500)
    ]
    gaps = [Gap("okx", AT - 5 * H, AT - 4 * H, "silent"), Gap("bybit", AT - 3 * H, AT - 2 * H, "closed")]
    with DuckDBStore(tmp_path / "arrow.duckdb") as big, DuckDBStore(tmp_path / "params.duckdb") as small:
        assert big.write_events(events) == 1_500
        for start in range(0, 1_500, 100):
            small.write_events(events[start : start + 150])  # overlapping writes: repeats are dropped
        big.write_gaps(gaps)
        small.write_gaps(gaps)
        assert small.count() == big.count() == 1_500
        assert list(small.events(EventFilter())) == list(big.events(EventFilter()))
        assert small.summary(AT, W4) == big.summary(AT, W4) == summarize(events, AT, W4)
        assert small.series(AT - 24 * H, AT, H) == big.series(AT - 24 * H, AT, H)
        assert small.gaps() == big.gaps()


def test_a_collector_at_real_world_rates_never_loads_pyarrow(tmp_path: Path) -> None:
    """Small writes (events, gaps, instruments, status) stay off Arrow: ~25 MB less resident memory."""
    script = f"""
import sys
from liqwatch.instruments import bundled
from liqwatch.model import Gap
from liqwatch.store.duckdb import DuckDBStore
from tests.analytics.factories import AT, ev
store = DuckDBStore({str(tmp_path / "live.duckdb")!r})
for i in range(20):
    store.write_events([ev(AT + i * 250 + k, 10.0 + k, id=f"{{i}}-{{k}}") for k in range(5)])
store.write_gaps([Gap("okx", AT, AT + 1_000, "silent")])
store.write_status("host:1", b"{{}}", AT)
store.write_instruments(bundled().instruments())
store.close()
print("pyarrow" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr


@pytest.mark.parametrize(
    ("count", "step", "overlap"),
    [(800, 150, 40), (4_000, 900, 200)],  # batches of SQL parameters; batches of Arrow tables (> 512)
)
def test_rollup_matches_the_events(store: DuckDBStore, count: int, step: int, overlap: int) -> None:
    events = [
        ev(
            AT - i * 61_111 * 800 // count,
            float(i % 13) if i % 5 else None,
            coin=f"C{i % 7}",
            venue=("okx", "bybit")[i % 2],
            id=f"r{i}",
        )
        for i in range(count)
    ]
    for start in range(0, count, step):  # overlapping batches, in the same hours: partial duplicates
        store.write_events(events[max(0, start - overlap) : start + step])
    store.write_events(events[::-3])  # then every third again, newest first: nothing new
    con = store._con
    rollup = con.execute("SELECT * FROM rollup_hour ORDER BY ALL").fetchall()
    recomputed = con.execute(
        "SELECT * FROM (" + schema.ROLLUP_FROM.format(bucket_ms=H, source="events") + ") ORDER BY ALL"
    ).fetchall()
    assert rollup == recomputed  # one row a key (no index keeps it so: store/duckdb_rollup.py), right sums


def test_priced_copies_fill_the_rollup_of_the_hours_they_share(store: DuckDBStore) -> None:
    unpriced = [ev(AT - i * 600_000, None, coin="BTC", id=f"u{i}") for i in range(1_000)]
    store.write_events(unpriced[::2])
    store.write_events(unpriced)  # Arrow: half new, in hours that have rows
    assert store.write_events([msgspec.structs.replace(e, usd=100.0 + i) for i, e in enumerate(unpriced)]) == 0
    assert store.repriced == 1_000
    con = store._con
    rollup = con.execute("SELECT * FROM rollup_hour ORDER BY ALL").fetchall()
    recomputed = con.execute(
        "SELECT * FROM (" + schema.ROLLUP_FROM.format(bucket_ms=H, source="events") + ") ORDER BY ALL"
    ).fetchall()
    assert rollup == recomputed and sum(row[6] for row in rollup) == 1_000


# --- summary == reference --------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_sql_summary_equals_reference(data: st.DataObject) -> None:
    at = data.draw(ats, label="at")
    windows = data.draw(st.sampled_from(WINDOW_SETS), label="windows")
    events = data.draw(events_around(at, windows), label="events")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=3), label="cuts"))
    with tempfile.TemporaryDirectory() as folder, DuckDBStore(Path(folder) / "p.duckdb") as s:
        written = 0
        for lo, hi in zip([0, *cuts], [*cuts, len(events)], strict=True):
            written += s.write_events(events[lo:hi])
        written += s.write_events(events[: len(events) // 2])  # replay: all duplicates
        expected = summarize(unique_first(events), at, windows)
        assert written == len(unique_first(events))
        got = s.summary(at, windows)
        assert got == expected
        assert summary_to_json(got) == summary_to_json(expected)


def test_summary_over_a_month_of_events_equals_reference(store: DuckDBStore) -> None:
    import random

    rng = random.Random(5)
    coins = [f"C{i}" for i in range(40)]
    venues = ["binance_usdm", "bybit", "okx", "bitmex", "deribit", "bitget", "gate", "hyperliquid"]
    events = []
    for i in range(20_000):
        ts = AT - rng.randrange(0, 30 * 24 * H)
        usd = None if rng.random() < 0.02 else round(rng.paretovariate(1.2) * 50, rng.choice([2, 6, 8]))
        if rng.random() < 0.01:
            usd = 77_777.77  # ties for largest
        events.append(
            ev(
                ts,
                usd,
                venue=rng.choice(venues),
                coin=rng.choice(coins),
                side=rng.choice(["long", "short"]),
                id=f"m{i}",
            )
        )
    for start in range(0, len(events), 4_000):
        store.write_events(events[start : start + 4_000])
    windows = parse_windows("1h,4h,12h,24h,7d,30d,90m,3650d")
    for at in (AT, AT - 1, AT - 12 * H + 1_234, AT - 29 * 24 * H):
        assert store.summary(at, windows) == summarize(events, at, windows)


def test_summary_of_an_empty_store(store: DuckDBStore) -> None:
    assert store.summary(AT, W4) == summarize([], AT, W4)


def test_summary_rejects_bad_windows(store: DuckDBStore) -> None:
    with pytest.raises(ValueError, match="duplicate"):
        store.summary(AT, [("1h", H), ("1h", H)])


# --- reads -----------------------------------------------------------------------------------


def test_event_filters(store: DuckDBStore) -> None:
    events = sample()
    store.write_events(events)

    def ids(where: EventFilter, limit: int | None = None) -> list[str]:
        return [e.id for e in store.events(where, limit)]

    def expect(pred: object) -> list[str]:
        return [e.id for e in sorted(events, key=lambda e: (e.ts, e.id)) if pred(e)]  # type: ignore[operator]

    assert ids(EventFilter()) == expect(lambda e: True)
    assert ids(EventFilter(since=AT - H)) == expect(lambda e: e.ts > AT - H)
    assert ids(EventFilter(until=AT - H)) == expect(lambda e: e.ts <= AT - H)
    assert ids(EventFilter(since=AT - 2 * H, until=AT)) == expect(lambda e: AT - 2 * H < e.ts <= AT)
    assert ids(EventFilter(venues=("okx", "gate"))) == expect(lambda e: e.venue in ("okx", "gate"))
    assert ids(EventFilter(coins=("BTC",))) == expect(lambda e: e.coin == "BTC")
    assert ids(EventFilter(side="short")) == expect(lambda e: e.side == "short")
    assert ids(EventFilter(min_usd=750.5)) == expect(lambda e: e.usd is not None and e.usd >= 750.5)
    assert ids(EventFilter(coins=("BTC",), side="long", venues=("okx",))) == expect(
        lambda e: e.coin == "BTC" and e.side == "long" and e.venue == "okx"
    )
    assert ids(EventFilter(), limit=2) == expect(lambda e: True)[:2]
    assert ids(EventFilter(), limit=0) == []
    assert ids(EventFilter(coins=("NOPE",))) == []


def test_events_ties_on_ts_are_ordered_by_id(store: DuckDBStore) -> None:
    store.write_events([ev(AT, 1.0, id="b"), ev(AT, 1.0, id="c"), ev(AT, 1.0, id="a"), ev(AT - 1, 1.0, id="z")])
    assert [e.id for e in store.events(EventFilter())] == ["z", "a", "b", "c"]


def test_events_stream_many(store: DuckDBStore) -> None:
    events = [ev(AT - i, 1.0, id=f"s{i:06d}") for i in range(25_000)]
    store.write_events(events)
    got = store.events(EventFilter())
    assert sum(1 for _ in got) == 25_000


def test_largest(store: DuckDBStore) -> None:
    events = sample()
    store.write_events(events)
    top = queries.largest(store, None, None, n=3)
    assert [(e.usd, e.ts) for e in top] == [(20_000.0, AT - 2 * H), (20_000.0, AT), (5_000.0, AT - 3 * H)]
    assert [e.id for e in queries.largest(store, AT - H, AT, n=5)] == [events[4].id, events[3].id]
    assert queries.largest(store, AT - H, AT, n=1, where=EventFilter(coins=("BTC",), side="short")) == [events[3]]
    assert queries.largest(store, None, None, n=0) == []


def test_gaps(store: DuckDBStore) -> None:
    gaps = [
        Gap("bybit", AT - 3 * H, AT - 2 * H, "reconnect"),
        Gap("okx", AT - 90_000, AT - 30_000, "silent 60 s"),
        Gap("bybit", AT - 10_000, AT + 5_000, "pong timeout"),
    ]
    store.write_gaps(gaps)
    store.write_gaps(gaps[:2])  # idempotent
    store.write_gaps([])
    assert store.gaps() == sorted(gaps, key=lambda g: g.start)
    assert store.gaps("bybit") == [gaps[0], gaps[2]]
    assert store.gaps(since=AT - 2 * H) == [gaps[1], gaps[2]]  # ends at since: no overlap
    assert store.gaps(since=AT - 2 * H - 1, until=AT - 3 * H + 1) == [gaps[0]]
    assert store.gaps(until=AT - 3 * H) == []  # starts at until: no overlap
    assert queries.gaps(store, "okx", AT - H, AT) == [gaps[1]]


def test_instruments_round_trip_and_replace(store: DuckDBStore) -> None:
    a = Instrument("binance_usdm", "1000PEPEUSDT", "PEPE", "linear", 1000.0, "USDT", 1000.0, "rest")
    b = Instrument("binance_coinm", "BTCUSD_PERP", "BTC", "inverse", 100.0, "USD")
    store.write_instruments([a, b])
    assert store.instruments() == [b, a]
    a2 = Instrument("binance_usdm", "1000PEPEUSDT", "PEPE", "linear", 1000.0, "USDC", 1000.0, "snapshot")
    store.write_instruments([a2])
    assert store.instruments() == [b, a2]


def test_activity(store: DuckDBStore) -> None:
    events = [
        ev(AT - 30 * H, 1.0, venue="okx", recv_ts=AT - 30 * H + 9, id="old-okx"),
        ev(AT - 2 * H - 1, 1.0, venue="bybit", id="b1"),
        ev(AT - 2 * H + 1, 1.0, venue="bybit", id="b2"),
        ev(AT - 5, None, venue="bybit", recv_ts=AT + 100, id="b3"),
        ev(AT - 7, 2.0, venue="gate", id="g1"),
        ev(AT + 3 * H + 5, 2.0, venue="gate", id="g-future"),  # stamped after `now`
        ev(AT + 1, 2.0, venue="gate", id="g-just-after"),
    ]
    store.write_events(events)
    sinces = (AT - 2 * H, AT - 2 * H - 1, AT - 3 * H + 17, AT - 40 * H, AT - 5)
    for since in sinces:
        for until in (None, AT, AT + 1, AT - H + 3, AT + 4 * H, since + 1, since + H):
            got = store.activity(since, until)
            want = []
            for venue in sorted({e.venue for e in events}):
                mine = [e for e in events if e.venue == venue]
                n = sum(1 for e in mine if e.ts > since and (until is None or e.ts <= until))
                want.append(VenueActivity(venue, n, max(e.ts for e in mine), max(e.recv_ts for e in mine)))
            assert got == want, (since, until)
    assert queries.activity(store, AT, 2 * H) == store.activity(AT - 2 * H, AT)
    assert {a.venue: a.events for a in queries.activity(store, AT)}["gate"] == 1  # the future ones are not counted


def test_queries_summary(store: DuckDBStore) -> None:
    store.write_events(sample())
    assert queries.summary(store, AT) == summarize(sample(), AT, W4)
    assert queries.summary(store, AT, "1h,24h") == summarize(sample(), AT, parse_windows("1h,24h"))
    doc = queries.summary_json(store, AT, [("2h", 2 * H)])
    assert doc.pop("covers")["line"]  # what the figures cover (analytics.covers), beside the summary
    assert doc == summary_to_json(summarize(sample(), AT, [("2h", 2 * H)]))
    with pytest.raises(ValueError):
        queries.summary(store, AT, "1x")
    assert queries.count(store) == len(sample())
    assert [e.id for e in queries.events(store, EventFilter(venues=("gate",)))] == [sample()[-1].id]


def test_reads_from_another_thread_while_writing(store: DuckDBStore) -> None:
    import threading

    store.write_events(sample())
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(30):
                assert store.summary(AT, W4).windows[-1].count >= 4
                assert store.count() >= len(sample())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(30):
        store.write_events([ev(AT - 100 - i, 1.0, id=f"t{i}")])
    thread.join()
    assert errors == []


# --- files: reopen, locks, garbage -----------------------------------------------------------


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "keep.duckdb"
    with DuckDBStore(path) as s:
        s.write_events(sample())
        s.write_gaps([Gap("okx", 1, 2, "x")])
    with DuckDBStore(path) as s:
        assert s.count() == len(sample())
        assert s.write_events(sample()) == 0
        assert s.gaps() == [Gap("okx", 1, 2, "x")]
        assert s.summary(AT, W4) == summarize(sample(), AT, W4)
    with DuckDBStore(path, read_only=True) as s:
        assert s.count() == len(sample())
        assert s.summary(AT, W4) == summarize(sample(), AT, W4)
        with pytest.raises(StoreError, match="read-only"):
            s.write_events([ev(AT - 1, 3.0, id="new")])
        with pytest.raises(StoreError, match="read-only"):
            s.write_gaps([Gap("okx", 5, 6, "y")])


def test_a_killed_writer_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "killed.duckdb"
    code = (
        "import os, sys; sys.path.insert(0, sys.argv[2]);"
        "from liqwatch.store.duckdb import DuckDBStore; from tests.analytics.factories import ev;"
        "s = DuckDBStore(sys.argv[1]); s.write_events([ev(1_763_712_000_000 - i, 1.0, id=str(i)) for i in range(500)]);"
        "os._exit(9)"
    )
    subprocess.run([sys.executable, "-c", code, str(path), str(Path(__file__).resolve().parents[2])], check=False)
    with DuckDBStore(path) as s:
        assert s.count() == 500


def test_a_store_locked_by_another_process_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    with DuckDBStore(path) as s:
        s.write_events(sample())
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        for read_only in (False, True):
            with pytest.raises(StoreError) as info:
                DuckDBStore(path, read_only=read_only)
            message = str(info.value)
            assert str(path) in message and "in use by another process" in message
            assert "\n" not in message
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    with DuckDBStore(path) as s:  # released: everything is still there
        assert s.count() == len(sample())


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, I am a text file\n", bytes(range(256)) * 64, b"DUCK" * 5000],
    ids=["empty", "text", "binary", "duck"],
)
def test_a_file_that_is_not_duckdb_is_left_alone(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_bytes(content)
    with pytest.raises(StoreError) as info:
        DuckDBStore(path)
    message = str(info.value)
    assert str(path) in message and "not a DuckDB database file" in message and "\n" not in message
    assert "nothing was changed" in message
    assert path.read_bytes() == content


def test_a_duckdb_file_of_another_application_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE prices (t BIGINT, p DOUBLE)")
    con.execute("INSERT INTO prices VALUES (1, 2.5)")
    con.close()
    with pytest.raises(StoreError, match="not a liqwatch store"):
        DuckDBStore(path)
    con = duckdb.connect(str(path))
    assert con.execute("SELECT * FROM prices").fetchall() == [(1, 2.5)]
    assert [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()] == ["prices"]
    con.close()


def test_a_store_from_a_newer_liqwatch_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.duckdb"
    DuckDBStore(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreError, match="newer liqwatch"):
        DuckDBStore(path)


def test_a_missing_store_cannot_be_created_read_only(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        DuckDBStore(tmp_path / "absent.duckdb", read_only=True)
    assert not (tmp_path / "absent.duckdb").exists()


def test_a_store_in_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open"):
        DuckDBStore(tmp_path / "no" / "such" / "dir" / "x.duckdb")


def test_using_a_closed_store_is_a_store_error(tmp_path: Path) -> None:
    s = DuckDBStore(tmp_path / "closed.duckdb")
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.count()
    with pytest.raises(StoreError, match=str(tmp_path)):
        s.write_events([ev(AT, 1.0)])


def test_schema_version_is_recorded(store: DuckDBStore) -> None:
    meta = dict(store._con.execute("SELECT key, value FROM meta").fetchall())
    assert meta == {"application": "liqwatch", "schema_version": str(schema.SCHEMA_VERSION)}


def test_close_waits_for_a_write_running_on_another_thread(tmp_path: Path) -> None:
    """A cancelled task's `asyncio.to_thread` write goes on after shutdown begins: close() lets it
    finish instead of failing with "connection is busy" (and the write is kept)."""
    path = tmp_path / "busy.duckdb"
    store = DuckDBStore(path)
    events = [ev(AT - k, 10.0 + k % 7, id=f"busy-{k}") for k in range(200_000)]
    writer = threading.Thread(target=store.write_events, args=(events,))
    writer.start()
    while not store._write_lock.locked() and writer.is_alive():
        pass  # the write has begun when it holds the lock
    store.close()
    writer.join()
    with DuckDBStore(path, read_only=True) as again:
        assert again.count() == len(events)
