"""DuckDBStore history: series == the pure reference, venue spans, candles, market stats, migration."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.analytics.history import DAY_MS, series
from liqwatch.model import Candle, Liquidation, MarketStat
from liqwatch.store import schema
from liqwatch.store.base import VenueSpan
from liqwatch.store.duckdb import DuckDBStore
from tests.analytics.factories import AT, H, ev, events_around

GRIDS = [
    (H, 0),
    (DAY_MS, 0),
    (4 * H, 0),
    (DAY_MS, AT % DAY_MS),  # days ending at 08:00
    (DAY_MS, 12_345),  # a grid off the hour: read from events only
    (90 * 60_000, 0),
    (7 * 60_000, 3),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    with DuckDBStore(tmp_path / "store.duckdb") as s:
        yield s


def unique_first(events: list[Liquidation]) -> list[Liquidation]:
    seen: dict[str, Liquidation] = {}
    for e in events:
        seen.setdefault(e.id, e)
    return list(seen.values())


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_sql_series_equals_reference(data: st.DataObject) -> None:
    at = data.draw(st.sampled_from([AT, AT + 1, AT - 1, AT + H // 2, AT + 17 * 60_000 + 3]), label="at")
    events = data.draw(events_around(at, [("24h", 24 * H), ("3d", 3 * DAY_MS)]), label="events")
    step, origin = data.draw(st.sampled_from(GRIDS), label="grid")
    since = at - data.draw(st.sampled_from([H, 24 * H, 3 * DAY_MS, 5 * DAY_MS - 1]), label="length")
    coins = data.draw(st.sampled_from([(), ("BTC",), ("ETH", "SOL")]), label="coins")
    venues = data.draw(st.sampled_from([(), ("bybit",), ("okx", "binance_usdm")]), label="venues")
    with tempfile.TemporaryDirectory() as folder, DuckDBStore(Path(folder) / "s.duckdb") as s:
        s.write_events(events)
        expected = series(unique_first(events), since, at, step, origin=origin, coins=coins, venues=venues)
        assert s.series(since, at, step, origin=origin, coins=coins, venues=venues) == expected


def test_a_month_of_days_and_hours_equals_reference(store: DuckDBStore) -> None:
    rng = random.Random(7)
    events = []
    for i in range(20_000):
        ts = AT - rng.randrange(30 * DAY_MS)
        events.append(
            ev(
                ts,
                rng.choice([None, round(rng.uniform(1, 2e6), 2), 1e-9]),
                venue=rng.choice(["binance_usdm", "bybit", "okx"]),
                coin=rng.choice(["BTC", "ETH", "SOL"]),
                side=rng.choice(["long", "short"]),
                id=f"m{i}",
            )
        )
    store.write_events(events)
    for step, since in ((DAY_MS, AT - 31 * DAY_MS), (H, AT - 2 * DAY_MS), (DAY_MS, AT - 10 * DAY_MS + 5)):
        got = store.series(since, AT, step)
        assert got == series(events, since, AT, step)
    days = store.series(AT - 31 * DAY_MS, AT, DAY_MS)
    assert sum(r.count for r in days) == len(events)
    assert sum(r.long_units + r.short_units for r in days) == sum(round(e.usd * 1e8) for e in events if e.usd)


def test_series_rows_are_clipped_and_marked_sampled(store: DuckDBStore) -> None:
    store.write_events(
        [
            ev(AT - 30 * 60_000, 100.0, venue="binance_usdm", side="long", id="a"),
            ev(AT - 30 * 60_000, 50.0, venue="bybit", side="short", id="b"),
            ev(AT - 29 * 60_000, None, venue="bybit", side="short", id="c"),
            ev(AT + 1, 7.0, venue="bybit", side="short", id="late"),
        ]
    )
    rows = store.series(AT - 45 * 60_000, AT, H)
    assert [(r.start, r.end, r.venue, r.coverage) for r in rows] == [
        (AT - 45 * 60_000, AT, "binance_usdm", "sampled"),
        (AT - 45 * 60_000, AT, "bybit", "complete"),
    ]
    assert rows[0].long_usd == 100.0 and rows[0].short_usd == 0.0
    assert rows[1].short_usd == 50.0 and rows[1].short_count == 2 and rows[1].unpriced_count == 1


def test_series_refuses_bad_ranges(store: DuckDBStore) -> None:
    with pytest.raises(ValueError, match="before"):
        store.series(AT, AT, H)
    with pytest.raises(ValueError, match="positive"):
        store.series(AT - H, AT, 0)
    with pytest.raises(ValueError, match="too many"):
        store.series(0, AT, 1)


def test_series_of_an_empty_store(store: DuckDBStore) -> None:
    assert store.series(AT - DAY_MS, AT, H) == []
    assert store.venue_spans() == []


def test_venue_spans(store: DuckDBStore) -> None:
    store.write_events(
        [
            ev(AT - 3 * DAY_MS + 17, 1.0, venue="bybit", id="b1"),
            ev(AT - H, 1.0, venue="bybit", id="b2"),
            ev(AT - 5 * H + 1, None, venue="okx", id="o1"),
        ]
    )
    assert store.venue_spans() == [
        VenueSpan("bybit", AT - 3 * DAY_MS + 17, AT - H, 2),
        VenueSpan("okx", AT - 5 * H + 1, AT - 5 * H + 1, 1),
    ]


def test_candles_round_trip_and_replace(store: DuckDBStore) -> None:
    bars = [
        Candle("binance_usdm", "BTCUSDT", "BTC", H, AT - i * H, 100.0 + i, 110.0, 90.0, 101.0 + i) for i in range(3)
    ]
    assert store.write_candles(bars) == 3
    forming = Candle("binance_usdm", "BTCUSDT", "BTC", H, AT, 1.0, 2.0, 0.5, 1.5, "stream")
    store.write_candles([forming])
    store.write_candles([Candle("okx", "ETH-USDT-SWAP", "ETH", H, AT, 3.0, 3.0, 3.0, 3.0)])
    assert store.candles("BTC", H, AT - 2 * H, AT) == sorted(bars[1:], key=lambda c: c.open_ts)
    assert store.candles("BTC", H, AT, AT + 1) == [forming]
    final = Candle("binance_usdm", "BTCUSDT", "BTC", H, AT, 1.0, 2.5, 0.5, 2.0)
    store.write_candles([final])  # the bar closed: replaced, not duplicated
    assert store.candles("BTC", H, AT) == [final]
    assert store.candles("BTC", 60_000) == []
    assert store.candles("ETH", H, venue="binance_usdm") == []


def test_market_stats_round_trip(store: DuckDBStore) -> None:
    stats = [
        MarketStat("binance_usdm", "BTCUSDT", "BTC", "open_interest_usd", AT - H, 9e9),
        MarketStat("binance_usdm", "BTCUSDT", "BTC", "open_interest_usd", AT, 8.5e9),
        MarketStat("bybit", "BTCUSDT", "BTC", "funding_rate", AT, -0.0001),
    ]
    assert store.write_stats(stats) == 3
    assert store.stats("BTC", "open_interest_usd") == stats[:2]
    assert store.stats("BTC", "open_interest_usd", since=AT) == stats[1:2]
    assert store.stats("BTC", "funding_rate", until=AT - 1) == []


def test_a_version_1_store_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute(schema.TABLES.split("CREATE TABLE IF NOT EXISTS candles")[0])
    con.execute("INSERT INTO meta VALUES ('application', 'liqwatch'), ('schema_version', '1')")
    con.close()
    with DuckDBStore(path) as s:
        s.write_events([ev(AT, 5.0, id="x")])
        s.write_candles([Candle("bybit", "BTCUSDT", "BTC", H, AT, 1.0, 1.0, 1.0, 1.0)])
        assert s.count() == 1
    with DuckDBStore(path, read_only=True) as s:
        assert len(s.candles("BTC", H)) == 1
        version = s._con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert version == (str(schema.SCHEMA_VERSION),)
