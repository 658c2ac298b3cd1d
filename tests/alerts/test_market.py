"""Level and wallets rules: pure states, config, and the engine delivering them to a real HTTP server."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from liqwatch.alerts.config import parse_alerts
from liqwatch.alerts.engine import AlertEngine
from liqwatch.alerts.market import LevelState, WalletsState
from liqwatch.alerts.model import LevelRule, WalletsRule
from liqwatch.alerts.wiring import wire_sources
from liqwatch.analytics.levels_events import BreakThrough
from liqwatch.config import ConfigError
from liqwatch.store.duckdb import DuckDBStore
from liqwatch.wallets.model import PositionSnapshot, WalletPoll
from tests.alerts.servers import Recorder, Request
from tests.alerts.test_engine import Clock, running
from tests.analytics.factories import AT

M = 60_000
H = 3_600_000
W1, W2 = "0x" + "a" * 40, "0x" + "b" * 40


def break_through(ts: int, side: str = "short", coin: str = "BTC", fuel: float = 8e6) -> BreakThrough:
    return BreakThrough(
        model_version="levels-1",
        coin=coin,
        side=side,  # type: ignore[arg-type]
        ts=ts,
        bar_end=ts + H,
        level_price=118_000.0,
        level_fuel_usd=fuel / 2,
        fuel_cleared_usd=fuel,
        majors_cleared=2,
        realized_usd=3e6,
        realized_count=40,
        next_level_price=121_000.0,
        fuel_to_next_usd=5e6,
    )


def position(ts: int, wallet: str, coin: str, szi: float, entry: float, mark: float) -> PositionSnapshot:
    return PositionSnapshot(ts, wallet, coin, szi, entry, mark, abs(szi) * mark, szi * (mark - entry), set_hash="h1")


def alt_shorts(ts: int, mark: float) -> list[PositionSnapshot]:
    """Two altcoin shorts (SOL entry 100: 10,000 + 20,000 coins) and a BTC long in profit."""
    return [
        position(ts, W1, "SOL", -10_000.0, 100.0, mark),
        position(ts, W2, "SOL", -20_000.0, 100.0, mark),
        position(ts, W2, "BTC", 10.0, 90_000.0, 100_000.0),
    ]


# --- pure -----------------------------------------------------------------------------------------


def test_level_rule_announces_each_bar_once_within_cooldown_and_age() -> None:
    state = LevelState(LevelRule(name="lv", coins=("BTC",), min_fuel_usd=5e6, cooldown_ms=2 * H))
    now = AT
    bar = now - 2 * H  # ended an hour ago
    [alert] = state.on_levels("BTC", [break_through(bar)], now)
    assert alert.kind == "level" and alert.key == f"level:lv:BTC:short:{bar}"
    assert alert.fields["fuel_cleared_usd"] == 8e6 and "levels-1" in alert.text and "118,000" in alert.title
    assert state.on_levels("BTC", [break_through(bar)], now + M) == []  # the same bar read again
    assert state.on_levels("BTC", [break_through(bar + H)], now + H) == []  # a new bar inside the cooldown
    assert len(state.on_levels("BTC", [break_through(bar + 2 * H)], now + 2 * H)) == 1  # after it
    assert state.on_levels("BTC", [break_through(bar + 2 * H, side="long")], now + 2 * H)[0].fields["side"] == "long"
    assert state.on_levels("BTC", [break_through(bar + 3 * H, fuel=1e6)], now + 5 * H) == []  # below min_fuel
    assert state.on_levels("ETH", [break_through(bar + 4 * H, coin="ETH")], now + 5 * H) == []  # not watched
    old = LevelState(LevelRule(name="old"))
    assert old.on_levels("BTC", [break_through(AT - 10 * H)], AT) == []  # a start-up read of an old bar


def test_wallets_rule_fires_on_crossing_and_rearms_below() -> None:
    rule = WalletsRule(name="alts", above_usd=1e6, rearm_below_usd=0.9e6, side="short", group="altcoins", cooldown_ms=0)
    state = WalletsState(rule)
    assert state.on_wallets(alt_shorts(AT, 130.0), AT) == []  # loss 30,000 × 30 = 900,000
    [alert] = state.on_wallets(alt_shorts(AT + M, 140.0), AT + M)  # 1,200,000: Σ szi × (mark − entry)
    assert alert.kind == "wallets" and alert.fields["loss_usd"] == 1_200_000.0
    assert alert.fields["previous_loss_usd"] == 900_000.0 and alert.fields["positions"] == 2
    assert "altcoins shorts crossed $1,000,000" in alert.text
    assert state.on_wallets(alt_shorts(AT + 2 * M, 150.0), AT + 2 * M) == []  # still above: disarmed
    assert state.on_wallets(alt_shorts(AT + 3 * M, 129.0), AT + 3 * M) == []  # 870,000 < 900,000: re-armed
    assert len(state.on_wallets(alt_shorts(AT + 4 * M, 140.0), AT + 4 * M)) == 1
    longs = WalletsState(WalletsRule(name="longs", above_usd=1e5, rearm_below_usd=9e4, side="long"))
    assert longs.on_wallets(alt_shorts(AT, 200.0), AT) == []  # the long is in profit


def test_config_parses_level_and_wallets_rules_with_one_line_errors() -> None:
    table = {
        "sinks": {"out": {"type": "stdout"}},
        "rules": [
            {"kind": "level", "coin": "btc", "min_fuel_usd": 5e6, "cooldown": "30m"},
            {"kind": "level"},
            {"kind": "wallets", "side": "short", "group": "altcoins", "above_usd": 1e7},
        ],
    }
    config = parse_alerts(table)
    assert config is not None
    one, both, wallets = config.rules
    assert isinstance(one, LevelRule) and one.coins == ("BTC",) and one.cooldown_ms == 30 * M
    assert isinstance(both, LevelRule) and both.coins == ("BTC", "ETH")
    assert isinstance(wallets, WalletsRule) and wallets.rearm_below_usd == pytest.approx(9e6)
    bad = {"sinks": table["sinks"], "rules": [{"kind": "wallets", "group": "memes", "above_usd": 1}]}
    with pytest.raises(ConfigError, match=r"^config: alerts.rules\[0\]: group must be one of BTC, ETH, altcoins"):
        parse_alerts(bad)
    bad = {"sinks": table["sinks"], "rules": [{"kind": "level", "coin": "BTC", "coins": ["ETH"]}]}
    with pytest.raises(ConfigError, match="give coin or coins, not both"):
        parse_alerts(bad)


# --- the engine, to a real HTTP server ------------------------------------------------------------


def engine_for(url: str, clock: Clock) -> AlertEngine:
    table = {
        "tick": "10ms",
        "sinks": {"ops": {"type": "webhook", "url": f"{url}/hook"}},
        "rules": [
            {"name": "btc-levels", "kind": "level", "coin": "BTC", "min_fuel_usd": 5e6},
            {"name": "alt-shorts", "kind": "wallets", "side": "short", "group": "altcoins", "above_usd": 1e6},
        ],
    }
    engine = AlertEngine.from_config(table, clock=clock, environ={})
    assert engine is not None
    return engine


def test_engine_delivers_a_break_through_and_a_loss_crossing_once_each() -> None:
    clock = Clock(AT)
    marks = [130.0]
    reads: list[tuple[str, int, int]] = []

    def levels(coin: str, since: int, until: int) -> Sequence[BreakThrough]:
        reads.append((coin, since, until))
        return [break_through(AT - 2 * H)]

    async def main(server: Recorder) -> None:
        engine = engine_for(server.url, clock)
        engine.levels_source = levels
        engine.wallets_source = lambda: alt_shorts(clock.now, marks[0])
        engine.sources_s = 0.0  # every tick: the run loop reads in a worker thread
        async with running(engine):
            [level] = await server.wait_for(1)  # loss 900,000: no wallets alert yet
            marks[0] = 140.0
            requests = await server.wait_for(2)
            while len(reads) < 5:  # several more reads: nothing new to say
                await asyncio.sleep(0.005)
            marks[0] = 120.0  # 600,000: re-armed
            while engine.stats().sinks["ops"].sent < 2:
                await asyncio.sleep(0.005)
            settled = len(reads)
            while len(reads) < settled + 3:
                await asyncio.sleep(0.005)
            clock.now += 2 * H  # past the cooldown
            marks[0] = 145.0
            requests = await server.wait_for(3)
            stats = engine.stats()
        assert reads[0] == ("BTC", AT - engine.levels_lookback_ms, AT)
        bodies = [r.json() for r in requests]
        assert [(b["kind"], b["rule"]) for b in bodies] == [
            ("level", "btc-levels"),
            ("wallets", "alt-shorts"),
            ("wallets", "alt-shorts"),
        ]
        assert level.json()["fields"]["level_price"] == 118_000.0
        assert bodies[1]["fields"]["loss_usd"] == 1_200_000.0 and bodies[2]["fields"]["loss_usd"] == 1_350_000.0
        assert stats.raised == 3 and stats.rule_errors == 0 and engine.source_errors == 0

    with Recorder() as server:
        asyncio.run(main(server))


def test_wired_to_a_store_the_wallets_rule_reads_the_latest_poll(tmp_path: Path) -> None:
    clock = Clock(AT)
    with Recorder() as server, DuckDBStore(tmp_path / "s.duckdb") as store:
        engine = engine_for(server.url, clock)
        wire_sources(engine, store)
        store.write_positions([WalletPoll(AT - M, W1, 1e6, tuple(alt_shorts(AT - M, 150.0)[:1]), "h1")])
        engine.poll_sources()  # 10,000 × 50 = 500,000: below
        store.write_positions([WalletPoll(AT, W2, 1e6, tuple(alt_shorts(AT, 150.0)[1:]), "h1")])
        engine.poll_sources()  # + 20,000 × 50 = 1,500,000
        engine.poll_sources()  # the same poll again
        [request] = asyncio.run(_send(engine, server))
    assert request.json()["fields"]["loss_usd"] == 1_500_000.0 and request.json()["fields"]["wallets"] == 2
    assert engine.stats().raised == 1


async def _send(engine: AlertEngine, server: Recorder) -> list[Request]:
    async with running(engine):
        return await server.wait_for(1)
