"""The simulator's Hyperliquid wallets obey the margin rules for as long as the tape runs: a live long's
liquidation price lies below its entry and its mark, a short's above both, and a position whose mark
reaches its liquidation price is liquidated (gone from clearinghouseState, a liquidation in userFills)."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from liqwatch.sim.regimes import SCENARIOS
from liqwatch.sim.rest import hyperliquid as hl
from liqwatch.sim.tape import PriceBook, scenario_tape

START = 1_795_000_000_000
MINUTE = 60_000


def check_consistent(state: hl.HyperliquidState, book: PriceBook, now: int) -> int:
    """Every answer at `now` is a state the margin rules allow; returns the live positions seen."""
    seen = 0
    for wallet in state.wallets:
        doc: dict[str, Any] = hl.clearinghouse_state(wallet, book, now)
        cross_value = float(doc["crossMarginSummary"]["accountValue"])
        if any(row["position"]["leverage"]["type"] == "cross" for row in doc["assetPositions"]):
            assert cross_value > float(doc["crossMaintenanceMarginUsed"]), wallet.address
        for row in doc["assetPositions"]:
            p = row["position"]
            szi, entry, liq = float(p["szi"]), float(p["entryPx"]), p["liquidationPx"]
            mark = float(p["positionValue"]) / abs(szi)
            seen += 1
            if liq is None:  # a long whose account could lose everything: Hyperliquid says null too
                assert szi > 0, p
                continue
            liq = float(liq)
            if szi > 0:
                assert liq < entry and liq < mark, (wallet.address, p, mark)
            else:
                assert liq > entry and liq > mark, (wallet.address, p, mark)
        fills = hl.user_fills(wallet, now, state.liquidated.get(wallet.address, ()))
        path = [f for f in fills if "liquidation" in f and 50 <= f["tid"] % 100 < 90]  # not the older one
        forced = {(f["coin"], float(f["startPosition"])) for f in path}
        assert forced == {(g.position.coin, g.position.szi) for g in state.liquidated.get(wallet.address, ())}
        assert not {(p.coin, p.szi) for p in wallet.positions} & forced  # a liquidated position is gone
    return seen


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(1, 10**6), scenario=st.sampled_from(SCENARIOS))
def test_every_state_of_a_long_run_is_consistent(seed: int, scenario: str) -> None:
    """Eight simulated hours of the scenario's prices, every wallet's answer checked every 10 minutes."""
    book = PriceBook(START, seed)
    state = hl.HyperliquidState(seed, 24, hl.marks(book), START)
    opened = sum(len(w.positions) for w in state.wallets)
    tape = scenario_tape(scenario, seed, (), START, book)  # no venue: the prices only
    for now in range(START, START + 8 * 60 * MINUTE, 10 * MINUTE):
        for _ in itertools.takewhile(lambda push, end=now: push.at < end, tape):
            pass
        state.advance(book, now)
        live = check_consistent(state, book, now)
        assert live + sum(len(gone) for gone in state.liquidated.values()) == opened


def test_a_crash_liquidates_the_longs_it_reaches_and_they_show_as_liquidations() -> None:
    book = PriceBook(START, 4)
    state = hl.HyperliquidState(4, 40, hl.marks(book), START)
    longs = [(w.address, p) for w in state.wallets for p in w.positions if p.coin == "BTC" and p.szi > 0]
    shorts = [(w.address, p) for w in state.wallets for p in w.positions if p.coin == "BTC" and p.szi < 0]
    assert longs and shorts
    start_price = book.last("BTC")
    for minute in range(30):  # BTC falls 40% in half an hour, then comes back a little
        book.record("BTC", START + minute * MINUTE, start_price * (1 - 0.4 * minute / 29))
    book.record("BTC", START + 30 * MINUTE, start_price * 0.7)
    now = START + 31 * MINUTE
    gone = state.advance(book, now)
    assert {(g.position.coin, g.position.szi) for g in gone} >= {(p.coin, p.szi) for _, p in longs}
    assert not any(g.position.szi < 0 and g.position.coin == "BTC" for g in gone)
    assert all(START <= g.time <= now and g.px < g.position.entry_px for g in gone if g.position.szi > 0)
    check_consistent(state, book, now)
    address, position = longs[0]
    body = msgspec.json.encode({"type": "userFills", "user": address})
    reply, _ = hl.info(body, state, book, now)
    fills = msgspec.json.decode(reply.body)
    liquidation = [f for f in fills if "liquidation" in f and f["coin"] == "BTC" and f["dir"] == "Close Long"]
    assert liquidation and float(liquidation[0]["sz"]) == position.szi
    assert state.advance(book, now) == []  # once
