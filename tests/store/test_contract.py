"""The store contract: DuckDB and PostgreSQL give EQUAL answers (==) to the same writes and queries.

Every PostgreSQL test runs against a real server (tests/store/pgserver.py) in a fresh database.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import msgspec
import psycopg
import pytest
from typer.testing import CliRunner

from liqwatch.analytics.summary import summarize
from liqwatch.cli import app
from liqwatch.instruments import Instrument
from liqwatch.model import Candle, Gap, Liquidation, MarketStat
from liqwatch.store import migrations, pg_live
from liqwatch.store.base import EventFilter, Store, StoreError, StoreNeedsUpgrade
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.store.open import open_store
from liqwatch.store.postgres import PostgresStore, month_partitions
from tests.analytics.factories import AT, COINS, VENUES, WINDOW_SETS, H, ev

REPO = Path(__file__).resolve().parents[2]
DAY = 24 * H


def tape(seed: int = 7, n: int = 3_000) -> list[Liquidation]:
    """Events over ~40 days (three monthly partitions), dense near AT, with ties, unpriced events
    and edge timestamps (hour and month boundaries ±1 ms)."""
    rng = random.Random(seed)
    edges = [AT, AT + 1, AT - 1, AT - H, AT - H + 1, AT - 4 * H, AT - 12 * H - 1, AT - DAY, AT - DAY + 1]
    month = 1_761_955_200_000  # 2025-11-01T00:00Z
    edges += [month, month + 1, month - 1]
    out = []
    for i in range(n):
        if i < len(edges) * 3:
            ts = edges[i % len(edges)]
        elif rng.random() < 0.8:
            ts = AT - rng.randrange(2 * DAY) + rng.randrange(H)
        else:
            ts = AT - rng.randrange(40 * DAY)
        venue = rng.choice(VENUES)
        usd = rng.choice([None, 1_000.0, 250_000.5, 12.345678915, 1e-9, rng.uniform(1, 5e6)])
        out.append(
            ev(ts, usd, venue=venue, coin=rng.choice(COINS), side=rng.choice(["long", "short"]), id=f"{venue}:{i}")
        )
    return out


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[DuckDBStore]:
    with DuckDBStore(tmp_path / "contract.duckdb") as s:
        yield s


@pytest.fixture
def pg(pg_dsn: str) -> Iterator[PostgresStore]:
    with PostgresStore(pg_dsn) as s:
        yield s


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "duckdb":
        s: Store = DuckDBStore(tmp_path / "one.duckdb")
    else:
        s = PostgresStore(request.getfixturevalue("pg_dsn"))
    try:
        yield s
    finally:
        s.close()


def fill(s: Store, events: list[Liquidation]) -> int:
    """Write in overlapping batches of different sizes (each event at least twice)."""
    new = 0
    for start in range(0, len(events), 700):
        new += s.write_events(events[max(0, start - 300) : start + 700])
    assert s.write_events(events) == 0
    return new


# --- the contract: equal answers -------------------------------------------------------------


def test_both_stores_answer_every_query_equally(duck: DuckDBStore, pg: PostgresStore) -> None:
    events = tape()
    assert fill(duck, events) == fill(pg, events) == len(events)
    assert duck.count() == pg.count() == len(events)
    everything = list(duck.events(EventFilter()))
    assert list(pg.events(EventFilter())) == everything
    assert everything == sorted(events, key=lambda e: (e.ts, e.id))
    filters = [
        EventFilter(since=AT - DAY, until=AT),
        EventFilter(venues=("bybit", "okx"), coins=("BTC", "PEPE"), side="short"),
        EventFilter(min_usd=1_000.0, until=AT - H),
        EventFilter(since=AT + 10 * DAY),
    ]
    for where in filters:
        for limit in (None, 0, 1, 17, 10_001):
            assert list(pg.events(where, limit)) == list(duck.events(where, limit)), (where, limit)
        assert pg.largest(where, 7) == duck.largest(where, 7), where
    for since in (AT - 5 * DAY, AT - H, AT - H + 1, AT + 5):
        assert pg.activity(since) == duck.activity(since)
        for until in (AT, AT - H // 2, since + 1, AT + 2 * DAY + 7):
            assert pg.activity(since, until) == duck.activity(since, until), (since, until)
    for windows in WINDOW_SETS:
        for at in (AT, AT + 1, AT - 1, AT + H // 2, AT - DAY, AT - 3 * DAY + 17, AT + 50 * DAY):
            expected = duck.summary(at, windows)
            assert pg.summary(at, windows) == expected, (at, windows)
    assert pg.summary(AT, WINDOW_SETS[0]) == summarize(events, AT, WINDOW_SETS[0])
    for step, origin in ((H, 0), (DAY, 0), (7 * 60_000, 13), (4 * H, H)):
        for coins, venues in (((), ()), (("BTC", "ETH"), ("bybit",))):
            args = (AT - 3 * DAY - 5, AT + 7, step)
            kwargs = {"origin": origin, "coins": coins, "venues": venues}
            assert pg.series(*args, **kwargs) == duck.series(*args, **kwargs)  # type: ignore[arg-type]
    assert pg.venue_spans() == duck.venue_spans()


def test_side_tables_answer_equally(duck: DuckDBStore, pg: PostgresStore) -> None:
    gaps = [Gap("okx", AT - H, AT - 10, "silent"), Gap("bybit", AT - 2 * H, AT + H, "reconnect"), Gap("okx", 5, 9, "x")]
    instruments = [
        Instrument("okx", "BTC-USDT-SWAP", "BTC", "linear", 0.01, "USDT", 1.0, "rest"),
        Instrument("bitmex", "XBTUSD", "BTC", "inverse", 1.0, "USD", 1.0, "bundled"),
        Instrument("okx", "BTC-USDT-SWAP", "BTC", "linear", 0.02, "USDT", 1.0, "rest"),  # replaces the first
    ]
    candles = [
        Candle(v, f"{c}USDT", c, H, AT - k * H, 1.0, 2.0, 0.5, 1.5)
        for v in VENUES[:3]
        for c in COINS[:2]
        for k in range(3)
    ]
    stats = [MarketStat("bybit", "BTCUSDT", "BTC", "funding_rate", AT - k, 0.0001 * k) for k in range(5)]
    for s in (duck, pg):
        for _ in range(2):  # idempotent
            s.write_gaps(gaps)
            s.write_instruments(instruments)
            s.write_candles(candles)
            s.write_stats(stats)
        s.write_status("host-a:1", b'{"venues": {}}', AT)
        s.write_status("host-a:1", b'{"venues": {"okx": 1}}', AT + 1)
        s.write_status("host-b:2", b"{}", AT)
    assert pg.gaps() == duck.gaps() and len(duck.gaps()) == 3
    for args in (("okx", None, None), (None, AT - H, AT), (None, AT, None), ("bybit", None, AT - 3 * H)):
        assert pg.gaps(*args) == duck.gaps(*args), args
    assert pg.instruments() == duck.instruments() and len(duck.instruments()) == 2
    for since, until, venue in ((None, None, None), (AT - H, AT, None), (None, None, "okx")):
        assert pg.candles("BTC", H, since, until, venue) == duck.candles("BTC", H, since, until, venue)
    assert pg.stats("BTC", "funding_rate", AT - 3, AT - 1) == duck.stats("BTC", "funding_rate", AT - 3, AT - 1)
    assert pg.statuses() == duck.statuses()
    assert [(s.source, s.updated, s.doc) for s in pg.statuses()] == [
        ("host-a:1", AT + 1, b'{"venues": {"okx": 1}}'),
        ("host-b:2", AT, b"{}"),
    ]


# --- writes: idempotent, validated, concurrent -------------------------------------------------


def test_writes_are_idempotent_and_first_copy_wins(store: Store) -> None:
    first = ev(AT, 10.0, id="same")
    assert store.write_events([first, ev(AT, 99.0, id="same"), ev(AT - 1, 5.0, id="other")]) == 2
    assert store.write_events([ev(AT, 50.0, id="same")]) == 0
    assert store.count() == 2
    assert list(store.events(EventFilter(since=AT - 1))) == [first]


def test_one_liquidation_with_two_receive_times_is_stored_once(store: Store) -> None:
    # BitMEX publishes no time: its events carry the receive time, and a reconnect's snapshot
    # re-sends an order with a later one. The id alone decides.
    assert store.write_events([ev(AT, 10.0, venue="bitmex", id="bitmex:XBTUSD:order-1")]) == 1
    assert store.write_events([ev(AT + 5_000, 10.0, venue="bitmex", id="bitmex:XBTUSD:order-1")]) == 0
    assert store.count() == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [(ev(0, 1.0, id="zero"), "ts"), (ev(AT, float("inf"), id="inf"), "finite"), (ev(AT, 1e12, id="big"), "range")],
)
def test_an_impossible_event_rejects_its_batch(store: Store, bad: Liquidation, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        store.write_events([ev(AT - 5, 1.0, id="fine"), bad])
    assert store.count() == 0


def test_two_concurrent_writers_with_overlapping_batches_count_nothing_twice(
    duck: DuckDBStore, pg: PostgresStore, pg_dsn: str
) -> None:
    events = tape(seed=11, n=6_000)
    duck.write_events(events)
    others = [PostgresStore(pg_dsn, batch_size=500) for _ in range(2)]
    new: list[int] = []
    try:
        # Writer 0 goes forwards, writer 1 backwards: they meet in the middle and overlap everywhere.
        plans = [events[:4_000], list(reversed(events[2_000:]))]
        threads = [
            threading.Thread(target=lambda s=s, p=p: new.append(s.write_events(p)))
            for s, p in zip(others, plans, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for s in others:
            s.close()
    assert sum(new) == len(events) == pg.count()
    assert pg.summary(AT, WINDOW_SETS[0]) == duck.summary(AT, WINDOW_SETS[0])
    assert pg.venue_spans() == duck.venue_spans()


WRITER = """
import sys
from liqwatch.store.postgres import PostgresStore
from tests.store.test_contract import tape
dsn, start, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with PostgresStore(dsn, batch_size=400) as s:
    print(s.write_events(tape(seed=5, n=5_000)[start:stop]))
"""


def test_two_writer_processes_importing_the_same_tape_store_it_once(duck: DuckDBStore, pg_dsn: str) -> None:
    duck.write_events(tape(seed=5, n=5_000))
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, pg_dsn, lo, hi], cwd=REPO, stdout=subprocess.PIPE, text=True)
        for lo, hi in (("0", "5000"), ("1000", "5000"))
    ]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sum(int(out) for out in outputs) == 5_000
    with PostgresStore(pg_dsn, read_only=True) as pg:
        assert pg.count() == 5_000
        for windows in WINDOW_SETS:
            assert pg.summary(AT, windows) == duck.summary(AT, windows)
        assert list(pg.events(EventFilter())) == list(duck.events(EventFilter()))


# --- the live stream across processes ----------------------------------------------------------


def test_listeners_hear_each_new_event_once(pg: PostgresStore, pg_dsn: str) -> None:
    async def scenario() -> list[list[Liquidation]]:
        heard: asyncio.Queue[list[Liquidation]] = asyncio.Queue()

        async def listen() -> None:
            async for batch in pg_live.listen_events(pg_dsn):
                await heard.put(batch)

        task = asyncio.create_task(listen())
        try:
            probe = 0
            while heard.empty():  # until the listener is subscribed: a probe gets through
                probe += 1
                await asyncio.to_thread(pg.write_events, [ev(AT - probe, 1.0, id=f"probe-{probe}")])
                await asyncio.sleep(0.05)
            while not heard.empty():
                heard.get_nowait()
            many = [ev(AT + k, 1_000.0 + k, id=f"many-{k}") for k in range(100)]  # > 8000 bytes: several
            await asyncio.to_thread(pg.write_events, [ev(AT - 1, 1.0, id="probe-1"), *many])
            await asyncio.to_thread(pg.write_events, many)  # all duplicates: nothing announced
            await asyncio.to_thread(pg.write_events, [ev(AT + 500, 2.0, id="last")])
            got = []
            while not got or got[-1][-1].id != "last":
                got.append(await asyncio.wait_for(heard.get(), 30))
            return got
        finally:
            task.cancel()

    got = asyncio.run(scenario())
    assert len(got) >= 3
    assert [e.id for batch in got for e in batch] == [*(f"many-{k}" for k in range(100)), "last"]


def test_payloads_stay_under_the_notify_limit() -> None:
    events = [ev(AT + k, 1.0, id=f"x-{k}" * 5) for k in range(500)]
    chunks = pg_live.payloads(events)
    assert all(len(c.encode()) < 8_000 for c in chunks)
    assert [e for c in chunks for e in pg_live.decode(c)] == events


# --- opening, migrations, errors -----------------------------------------------------------------


def test_month_partitions_hold_start_exclusive_end_inclusive_months() -> None:
    nov, dec = 1_761_955_200_000, 1_764_547_200_000  # 2025-11-01, 2025-12-01 (UTC)
    assert month_partitions([nov, nov + 1, dec, dec + 1]) == [
        ("events_2025_10", 1_759_276_800_000, nov),
        ("events_2025_11", nov, dec),
        ("events_2025_12", dec, 1_767_225_600_000),
    ]


def test_a_version_2_duckdb_store_is_migrated_without_loss(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "source.duckdb") as source:
        source.write_events(tape(n=200))
        before = source.summary(AT, WINDOW_SETS[0])
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))  # the tables and rows liqwatch wrote at schema version 2
    for step in migrations.STEPS[:2]:
        con.execute(step.duckdb)
    con.execute("INSERT INTO meta VALUES ('application', 'liqwatch'), ('schema_version', '2')")
    con.execute(f"ATTACH '{tmp_path / 'source.duckdb'}' AS source (READ_ONLY)")
    con.execute("INSERT INTO events SELECT * FROM source.events")
    con.execute("INSERT INTO rollup_hour SELECT * FROM source.rollup_hour")
    con.close()
    with pytest.raises(StoreNeedsUpgrade, match="open it once for writing"):
        DuckDBStore(path, read_only=True)
    # a read command upgrades it (once, for writing) and answers
    read = CliRunner().invoke(app, ["summary", "--db", str(path), "--json", "--at", str(AT)])
    assert read.exit_code == 0, read.output
    with DuckDBStore(path) as s:
        assert s.count() == 200 and s.summary(AT, WINDOW_SETS[0]) == before
        version = s._con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        assert version == [(str(migrations.LATEST),)]
        rollup_keys = "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'rollup_hour' AND constraint_type = 'PRIMARY KEY'"
        assert s._con.execute(rollup_keys).fetchone() == (0,)  # rebuilt without its index, rows kept (version 8)
        s.write_events(tape(n=200))  # the same again: nothing new, the rollup unchanged
        assert s.summary(AT, WINDOW_SETS[0]) == before
        s.write_status("me", b"{}", 1)
        assert len(s.statuses()) == 1


def test_an_older_postgres_store_is_migrated_and_a_newer_one_refused(pg_dsn: str) -> None:
    with PostgresStore(pg_dsn) as s:
        s.write_events(tape(n=100))
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        con.execute("DROP TABLE collector_status")
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with PostgresStore(pg_dsn) as s:
        assert s.count() == 100
        s.write_status("me", b"{}", 1)
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer liqwatch"):
        PostgresStore(pg_dsn)


def test_open_store_picks_the_store_by_its_name(tmp_path: Path, pg_dsn: str) -> None:
    with pytest.raises(StoreError, match="no liqwatch store"):
        open_store(pg_dsn)
    created = open_store(pg_dsn, must_exist=False)
    assert isinstance(created, PostgresStore) and created.shared  # other processes use it too
    created.close()
    reader = open_store(pg_dsn.replace("postgresql://", "postgres://"), read_only=True)
    with pytest.raises(StoreError, match="read-only"):
        reader.write_events([ev(AT)])
    reader.close()
    with pytest.raises(StoreError, match="no store at"):
        open_store(str(tmp_path / "missing.duckdb"))
    duck = open_store(str(tmp_path / "new.duckdb"), must_exist=False)
    assert isinstance(duck, DuckDBStore) and not duck.shared  # one process holds the file
    duck.close()


def test_connection_errors_are_one_line_without_the_password(pg_server: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(pg_server)
    dsn = f"postgresql://someone:s3cret-pw@{info['host']}:1/nowhere?connect_timeout=2"
    with pytest.raises(StoreError) as caught:
        open_store(dsn)
    text = str(caught.value)
    assert "\n" not in text and "s3cret" not in text and "postgresql://someone@" in text


def test_a_database_of_another_application_is_left_alone(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        con.execute("CREATE TABLE events (x int)")
    with pytest.raises(StoreError, match="not a liqwatch store"):
        PostgresStore(pg_dsn)
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM pg_class WHERE relname = 'meta'").fetchone() == (0,)


def test_statuses_are_shared_json_documents(store: Store) -> None:
    doc = msgspec.json.encode({"pid": 1, "venues": {"okx": {"connected": True}}})
    store.write_status("collector-1", doc, AT)
    assert [(s.source, msgspec.json.decode(s.doc)) for s in store.statuses()] == [
        ("collector-1", {"pid": 1, "venues": {"okx": {"connected": True}}})
    ]
