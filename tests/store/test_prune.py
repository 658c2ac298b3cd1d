"""Retention on both stores: after `prune`, the kept period answers as before and nothing at or
before the cutoff remains; both stores remove the same rows (PostgreSQL by dropping months)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from liqwatch.analytics.summary import summarize
from liqwatch.cli import app
from liqwatch.model import Candle, Gap, MarketStat
from liqwatch.store.base import EventFilter, Store
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.store.postgres import PostgresStore
from liqwatch.store.retention import check_cutoff
from liqwatch.wallets.model import WalletPoll
from tests.analytics.factories import AT, WINDOW_SETS, H, ev
from tests.store.test_contract import DAY, tape
from tests.store.test_wallet_contract import SET, fills, polls

CUTOFF = AT - 10 * DAY  # 2025-11-11T08:00Z: October's partition goes whole, November's in part
LONG_WINDOWS = [("24h", DAY), ("30d", 30 * DAY), ("60d", 60 * DAY)]


def side_rows() -> tuple[list[Gap], list[Candle], list[MarketStat]]:
    gaps = [Gap("okx", CUTOFF - H, CUTOFF, "a"), Gap("okx", CUTOFF - H, CUTOFF + 1, "b"), Gap("bybit", AT - H, AT, "c")]
    candles = [Candle("bybit", "BTCUSDT", "BTC", H, CUTOFF - k * H, 1.0, 2.0, 0.5, 1.5) for k in range(-2, 3)]
    stats = [MarketStat("bybit", "BTCUSDT", "BTC", "funding_rate", CUTOFF + k, 0.1) for k in (-1, 0, 1)]
    return gaps, candles, stats


def filled(s: Store) -> Store:
    s.write_events(tape())
    gaps, candles, stats = side_rows()
    s.write_gaps(gaps)
    s.write_candles(candles)
    s.write_stats(stats)
    s.write_wallet_set(SET, AT - 3 * H)
    s.write_positions([*polls(), *(polled_at(p, CUTOFF) for p in polls()[:3])])
    s.write_wallet_fills(fills())
    return s


def polled_at(poll: WalletPoll, ts: int) -> WalletPoll:
    """The same poll, taken at `ts`."""
    positions = tuple(msgspec.structs.replace(p, ts=ts) for p in poll.positions)
    return msgspec.structs.replace(poll, ts=ts, positions=positions)


@pytest.fixture
def stores(tmp_path: Path, pg_dsn: str) -> Iterator[tuple[Store, Store]]:
    duck, pg = filled(DuckDBStore(tmp_path / "p.duckdb")), filled(PostgresStore(pg_dsn))
    try:
        yield duck, pg
    finally:
        duck.close()
        pg.close()


def test_prune_keeps_the_kept_period_exact_on_both_stores(stores: tuple[Store, Store]) -> None:
    duck, pg = stores
    events = tape()
    kept = sorted((e for e in events if e.ts > CUTOFF), key=lambda e: (e.ts, e.id))
    assert 0 < len(kept) < len(events)
    before = {id(s): [s.summary(AT, w) for w in WINDOW_SETS] for s in stores}
    dry = [s.prune(CUTOFF, dry_run=True) for s in stores]
    assert duck.count() == pg.count() == len(events)  # a dry run changes nothing
    done = [s.prune(CUTOFF) for s in stores]
    assert dry[0].removed == dry[1].removed == done[0].removed == done[1].removed
    assert done[0].removed["events"] == len(events) - len(kept)
    assert done[0].removed["gaps"] == 1 and done[0].removed["candles"] == 2 and done[0].removed["market_stats"] == 2
    assert done[1].partitions == ("events_2025_10",) and done[0].partitions == ()
    for s in stores:
        assert list(s.events(EventFilter())) == kept
        assert s.count() == len(kept)
        assert [s.summary(AT, w) for w in WINDOW_SETS] == before[id(s)]  # windows within the kept period
        assert s.summary(AT, LONG_WINDOWS) == summarize(kept, AT, LONG_WINDOWS)  # windows reaching past it
        assert all(g.end > CUTOFF for g in s.gaps())
        assert all(c.open_ts + c.interval_ms > CUTOFF for c in s.candles("BTC", H))
        assert all(m.ts > CUTOFF for m in s.stats("BTC", "funding_rate"))
        assert all(t > CUTOFF for t in s.poll_times()) and s.position_history(until=CUTOFF) == []
        assert s.wallet_fills(until=CUTOFF) == []
    assert pg.venue_spans() == duck.venue_spans()
    assert pg.series(CUTOFF - DAY, AT, DAY) == duck.series(CUTOFF - DAY, AT, DAY)
    assert [s.prune(CUTOFF).removed["events"] for s in stores] == [0, 0]  # again: nothing left
    # a late back-fill into the dropped month is stored again (its partition is made anew)
    for s in stores:
        assert s.write_events([ev(CUTOFF - 20 * DAY, 5.0, id="late")]) == 1


def test_the_cutoff_is_a_whole_hour_in_the_past() -> None:
    now = AT + 5 * DAY + 123
    assert check_cutoff(AT + 17, now) == AT
    assert check_cutoff(now + 1, now, force=True) == AT + 5 * DAY
    with pytest.raises(ValueError, match="future"):
        check_cutoff(now + 2 * H, now)
    with pytest.raises(ValueError, match="last 24 h"):
        check_cutoff(now - 2 * H, now)
    with pytest.raises(ValueError, match="not a whole hour"):
        DuckDBStore.prune(None, AT + 1)  # type: ignore[arg-type]


def test_prune_command(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "c.duckdb"
    with DuckDBStore(db) as s:
        s.write_events(tape(n=500))
    result = runner.invoke(app, ["prune", "--db", str(db), "--before", "2025-11-11T08:30:00Z", "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert "would remove everything at or before 2025-11-11T08:00:00Z" in result.stdout
    with DuckDBStore(db) as s:
        assert s.count() == 500
    result = runner.invoke(app, ["prune", "--db", str(db), "--keep", "3650d"])
    assert result.exit_code == 0 and "removed" in result.stdout and "nothing" in result.stdout
    result = runner.invoke(app, ["prune", "--db", str(db), "--keep", "1h"])
    assert result.exit_code == 2 and "last 24 h" in result.stderr and "\n" not in result.stderr.strip()
    result = runner.invoke(app, ["prune", "--db", str(db), "--before", "2025-11-11T08:30:00Z"])
    with DuckDBStore(db, read_only=True) as s:
        assert s.count() == len([e for e in tape(n=500) if e.ts > CUTOFF]) and result.exit_code == 0
