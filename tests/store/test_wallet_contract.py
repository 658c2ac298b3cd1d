"""The watched-wallets part of the store contract: DuckDB and PostgreSQL give EQUAL answers (==)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from liqwatch.store.base import Store
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.store.postgres import PostgresStore
from liqwatch.wallets.model import PositionSnapshot, WalletFill, WalletPoll, WalletSet, WalletSpec
from tests.analytics.factories import AT, H

WALLETS = [f"0x{n:040x}" for n in (0xA1, 0xB2, 0xC3)]
SET = WalletSet(
    tuple(WalletSpec(w, label=f"whale {i}", cohort=("fund", "", "degen")[i]) for i, w in enumerate(WALLETS)),
    "config",
)


def snapshot(ts: int, wallet: str, coin: str, szi: float, **extra: object) -> PositionSnapshot:
    entry, mark = 100.0, 90.0 + ts % 7
    return PositionSnapshot(
        ts, wallet, coin, szi, entry, mark, abs(szi) * mark, szi * (mark - entry), set_hash=SET.hash, **extra
    )  # type: ignore[arg-type]


def polls() -> list[WalletPoll]:
    """Three polls an hour apart: positions open, change, close (the last poll of wallet 2 is flat)."""
    out = []
    for k in range(3):
        ts = AT - (2 - k) * H
        for i, wallet in enumerate(WALLETS):
            held = []
            if not (i == 2 and k == 2):
                held.append(snapshot(ts, wallet, "BTC", (1.5 - k) * (1 if i else -1), liquidation_px=80.0 + k))
                held.append(snapshot(ts, wallet, "ETH", 10.0 + i, venue_pnl=-3.5, leverage_type="cross", leverage=5.0))
            out.append(WalletPoll(ts, wallet, 1e6 + i, tuple(held), SET.hash))
    return out


def fills() -> list[WalletFill]:
    return [
        WalletFill(WALLETS[0], "BTC", AT - 90 * 60_000, 101.0, 0.5, "A", "Close Long", 12.5, 7),
        WalletFill(WALLETS[1], "ETH", AT - 30 * 60_000, 99.0, 2.0, "B", "Close Short", None, 8),
        WalletFill(WALLETS[2], "BTC", AT - H, 80.0, 1.0, "A", "Close Long", -400.0, 9, True, "market", 79.5),
    ]


@pytest.fixture
def both(tmp_path: Path, pg_dsn: str) -> Iterator[tuple[Store, Store]]:
    duck, pg = DuckDBStore(tmp_path / "w.duckdb"), PostgresStore(pg_dsn)
    try:
        yield duck, pg
    finally:
        duck.close()
        pg.close()


def test_both_stores_keep_watched_wallets_equally(both: tuple[Store, Store]) -> None:
    duck, pg = both
    written = []
    for s in (duck, pg):
        for _ in range(2):  # idempotent
            s.write_wallet_set(SET, AT - 3 * H)
            written.append(s.write_positions(polls()))
            assert s.write_wallet_fills(fills()) == 3
        s.write_wallet_set(SET, AT)  # a set is recorded the first time only
    assert written == [16] * 4  # 3 polls × 3 wallets × 2 coins, but wallet 2 went flat
    assert pg.wallet_sets() == duck.wallet_sets() == [(SET.hash, "config", duck.wallet_sets()[0][2], AT - 3 * H)]
    for at in (None, AT, AT - H, AT - 2 * H, AT - 3 * H):
        for wallets, coins in (((), ()), ((WALLETS[2],), ()), ((), ("ETH",))):
            assert pg.positions(at, wallets, coins) == duck.positions(at, wallets, coins), (at, wallets, coins)
    assert pg.positions(AT, since=AT - H) == duck.positions(AT, since=AT - H)
    assert [p.wallet for p in duck.positions(AT) if p.coin == "BTC"] == WALLETS[:2]  # wallet 2 went flat
    for since, until in ((None, None), (AT - 2 * H, AT), (AT - H, None)):
        assert pg.position_history(since, until) == duck.position_history(since, until)
        assert pg.poll_times(since, until) == duck.poll_times(since, until)
        assert pg.wallet_fills(since, until) == duck.wallet_fills(since, until)
    assert pg.position_history(wallets=WALLETS[:1], coins=["BTC"]) == duck.position_history(
        None, None, WALLETS[:1], ["BTC"]
    )
    assert pg.poll_times() == [AT - 2 * H, AT - H, AT]
    assert pg.wallet_liquidations() == duck.wallet_liquidations() == [fills()[2]]
    assert pg.wallet_fills(wallets=WALLETS[:1]) == [fills()[0]]


def test_two_pollers_writing_the_same_polls_at_once_leave_one_copy(pg_dsn: str, tmp_path: Path) -> None:
    stores = [PostgresStore(pg_dsn) for _ in range(2)]
    try:
        threads = [threading.Thread(target=s.write_positions, args=(polls(),)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with DuckDBStore(tmp_path / "ref.duckdb") as duck:
            duck.write_positions(polls())
            assert stores[0].position_history() == duck.position_history()
    finally:
        for s in stores:
            s.close()
