"""The poller against the real simulator over HTTP on 127.0.0.1, writing to a real DuckDB file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from liqwatch import queries
from liqwatch.sim.info_server import InfoServer
from liqwatch.sim.rest import hyperliquid as hl
from liqwatch.sim.server import SimConfig, Simulator
from liqwatch.sim.tape import PriceBook
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.wallets.liquidation import liquidation_price
from liqwatch.wallets.model import WalletSet, WalletSpec
from liqwatch.wallets.poller import CycleReport, InfoClient, WalletPoller, fetch_leaderboard
from liqwatch.wallets.rule import LeaderboardRule, build_set

BROAD = LeaderboardRule(min_all_time_pnl=100_000, min_month_pnl=-1e12, min_month_volume=0, min_account_value=0)


def test_poll_simulator_into_duckdb(tmp_path: Path) -> None:
    async def main() -> tuple[list[CycleReport], InfoServer, WalletSet]:
        # speed 1e-3: the tape (and so the marks) stands still while the test polls
        async with Simulator(
            SimConfig(venues=("hyperliquid",), seed=7, speed=0.001, start_ms=1_750_000_000_000)
        ) as sim:
            assert sim.info is not None
            client = InfoClient(sim.info.url)
            try:
                rows = await fetch_leaderboard(client, sim.info.url + "/Mainnet/leaderboard")
                wallet_set = build_set([WalletSpec("0x" + "0" * 40, "unknown to the venue", "test")], rows, BROAD)
                reports: list[CycleReport] = []
                with DuckDBStore(tmp_path / "w.duckdb") as store:
                    ticks = iter(range(1_000, 10_000, 1_000))
                    poller = WalletPoller(store, wallet_set, client, fills=True, now_ms=lambda: next(ticks))
                    await poller.run(0.0, cycles=2, on_cycle=reports.append)
            finally:
                await client.aclose()
            return reports, sim.info, wallet_set

    reports, info, wallet_set = asyncio.run(main())
    assert [r.errors for r in reports] == [[], []]
    truth = {w.address: w for w in info.state.wallets}
    picked = [w for w in wallet_set.wallets if w.address in truth]
    assert len(picked) == sum(1 for w in info.state.wallets if w.all_time_pnl >= 100_000) > 3

    with DuckDBStore(tmp_path / "w.duckdb", read_only=True) as store:
        positions = queries.wallet_positions(store, 2_000)
        assert {p.ts for p in positions} == {2_000}
        # the stored positions are exactly the scenario's
        expected = {
            (w.address, p.coin): (p.szi, p.entry_px)
            for w in info.state.wallets
            if w.address in {x.address for x in picked}
            for p in w.positions
        }
        assert {(p.wallet, p.coin): (p.szi, p.entry_px) for p in positions} == expected
        marks = hl.marks(info.book)
        assert all(p.mark_px == marks[p.coin] for p in positions)  # one mark snapshot per cycle
        known = sum(
            p.szi * (marks[p.coin] - p.entry_px)
            for w in info.state.wallets
            if w.address in {x.address for x in picked}
            for p in w.positions
        )
        doc = queries.wallet_pnl_json(store, 2_000)
        assert doc["long_pnl"] + doc["short_pnl"] == pytest.approx(known)
        assert doc["sets"] == [{"hash": wallet_set.hash, "rule": wallet_set.rule}]
        for p in positions:  # the venue's figure agrees with szi × (mark − entry)
            assert p.venue_pnl == pytest.approx(p.unrealized_pnl, rel=1e-9, abs=1e-6)
            assert p.set_hash == wallet_set.hash
        for p in positions:  # the simulator's liquidation prices follow the documented formula
            if p.leverage_type == "isolated" and p.liquidation_px is not None:
                max_lev = hl.BY_NAME[p.coin].max_leverage
                required = abs(p.szi) * p.mark_px / (2 * max_lev)
                assert p.margin_used is not None
                assert liquidation_price(p.mark_px, p.szi, p.margin_used, required, max_lev) == pytest.approx(
                    p.liquidation_px
                )
        by_group = {r.key: r for r in queries.wallet_pnl(store, 2_000, "group")}
        assert sum(r.pnl for r in by_group.values()) == pytest.approx(known)
        worst = queries.wallet_worst(store, 2_000, 3)
        assert worst == sorted(worst, key=lambda p: p.unrealized_pnl) and all(p.unrealized_pnl < 0 for p in worst)
        assert queries.wallet_exposure_changes(store, 1_000, 2_000) == []
        liquidated = {
            w.address
            for w in info.state.wallets
            if w.liquidated_coin and w.address in truth and w in [truth[x.address] for x in picked]
        }
        assert {f.wallet for f in queries.wallet_liquidations(store)} == liquidated
        assert all(level.liquidation_px > 0 for level in queries.wallet_levels(store, 2_000))
        assert queries.wallet_positions(store, 500) == []  # nothing polled yet then
    weights = [r.weight for r in reports]
    assert weights[0] == 20 + 2 * len(wallet_set.wallets) + 20 * len(wallet_set.wallets)


def _virtual_clock() -> tuple[list[float], object, object]:
    now = [0.0]

    def clock() -> float:
        return now[0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    return now, clock, sleep


@pytest.mark.parametrize(("client_budget", "server_budget"), [(1000, 1200), (1200, 300)])
def test_weight_per_minute_stays_within_budget(tmp_path: Path, client_budget: int, server_budget: int) -> None:
    """Counted from the server's request log on a virtual clock shared by client and server."""
    _, clock, sleep = _virtual_clock()

    async def main() -> tuple[InfoServer, list[CycleReport], int]:
        server = InfoServer(PriceBook(0, 3), lambda: 1, seed=3, wallets=250, clock=clock, weight_per_min=server_budget)  # type: ignore[arg-type]
        await server.start()
        client = InfoClient(server.url, weight_per_min=client_budget, clock=clock, sleep=sleep, retries=3)  # type: ignore[arg-type]
        wallet_set = WalletSet(tuple(WalletSpec(w.address) for w in server.state.wallets), "all simulated")
        reports: list[CycleReport] = []
        try:
            with DuckDBStore(tmp_path / "p.duckdb") as store:
                await WalletPoller(store, wallet_set, client).run(10.0, cycles=3, on_cycle=reports.append)
        finally:
            await client.aclose()
            await server.stop()
        return server, reports, client.rate_limited

    server, reports, rate_limited = asyncio.run(main())
    assert all(r.errors == [] and r.wallets == 250 for r in reports)
    served = [r for r in server.log if r.status == 200]
    assert len(served) == 3 * 251
    assert sum(r.weight for r in served) == 3 * (20 + 250 * 2)
    for entry in served:
        in_minute = sum(r.weight for r in served if entry.t - 60 < r.t <= entry.t)
        assert in_minute <= min(client_budget, server_budget)
    if server_budget < client_budget:
        assert rate_limited > 0  # the server was stricter: 429, Retry-After honoured, nothing lost
    else:
        assert rate_limited == 0 and not [r for r in server.log if r.status == 429]
