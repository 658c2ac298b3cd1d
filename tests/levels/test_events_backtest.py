"""Break-through events on a constructed path; the backtest on generated tapes and on real data."""

from __future__ import annotations

import msgspec
import pytest

from liqwatch.analytics.levels import Params, isolated_liq_price
from liqwatch.analytics.levels_backtest import BacktestParams, backtest
from liqwatch.analytics.levels_events import EventParams, break_throughs, percentile
from liqwatch.model import COMPLETE, Liquidation
from liqwatch.sim.levels_tape import BAR_MS, generate
from tests.levels import real_data
from tests.levels.build import T0, H, bar, oi

TIERS = Params(leverages=(10.0, 50.0, 100.0), weights=(0.6, 0.3, 0.1), tilt=0.0, bin_pct=0.001)


def liq(ts: int, side: str, usd: float, price: float) -> Liquidation:
    return Liquidation("bybit", "BTCUSDT", "BTC", side, price, usd / price, usd, ts, ts, COMPLETE, f"x{ts}{side}")  # type: ignore[arg-type]


def test_percentile_is_linear_interpolation() -> None:
    assert percentile([1, 2, 3, 4, 5], 0.9) == pytest.approx(4.6)
    assert percentile([7], 0.9) == 7


def test_break_through_a_major_short_level() -> None:
    # Positions pile up at 100,000 (three OI increases), then the price rips to 102,500: it reaches the
    # 50x short level (~101,594, the biggest bin within ±10 %) and the 100x one (~100,600).
    bars = [bar(0), bar(1), bar(2), bar(3), bar(4, 102_500, open_=100_000), bar(5, 102_400)]
    stats = oi([1_000, 2_000, 3_000, 4_000, 4_000, 4_000])
    liqs = [liq(T0 + 4 * H + 60_000, "short", 5_000, 101_700), liq(T0 + 4 * H + 90_000, "long", 700, 99_000)]
    events = break_throughs(bars, stats, liqs, TIERS, EventParams(percentile=0.5))
    assert len(events) == 1
    event = events[0]
    assert (event.side, event.ts, event.bar_end) == ("short", T0 + 4 * H, T0 + 5 * H)
    assert event.level_price == 101_500  # 100,000 × 1.02 / 1.004 = 101,593.6 → bin [101,500, 101,600)
    assert event.level_fuel_usd == pytest.approx(3 * 500 * 0.3)
    assert event.fuel_cleared_usd == pytest.approx(3 * 500 * 0.4)  # the 50x and 100x levels
    assert (event.realized_usd, event.realized_count) == (5_000, 1)
    assert event.next_level_price == 109_500 and event.fuel_to_next_usd == pytest.approx(3 * 500 * 0.6)
    # no liquidations given: the check is unavailable, the event stays; a threshold above realized drops it
    assert break_throughs(bars, stats, None, TIERS, EventParams(percentile=0.5))[0].realized_usd is None
    assert break_throughs(bars, stats, liqs, TIERS, EventParams(percentile=0.5, min_realized_usd=10_000)) == []
    # a bar that opened before the record began has nothing to count: None ("not recorded"), never $0
    late = break_throughs(bars, stats, liqs, TIERS, EventParams(percentile=0.5), recorded_since=T0 + 4 * H + 1)
    assert (late[0].realized_usd, late[0].realized_count) == (None, None)
    on_time = break_throughs(bars, stats, liqs, TIERS, EventParams(percentile=0.5), recorded_since=T0 + 4 * H)
    assert on_time[0].realized_usd == 5_000


def test_minor_levels_are_not_events() -> None:
    bars = [bar(0), bar(1), bar(2), bar(3), bar(4, 100_700, open_=100_000)]  # reaches only the 100x level
    events = break_throughs(bars, oi([1_000, 2_000, 3_000, 4_000, 4_000]), None, TIERS, EventParams(percentile=0.9))
    assert events == []


def test_backtest_is_reproducible_and_beats_the_uniform_baseline() -> None:
    tape = generate(3, days=6)
    first = backtest(tape.candles, tape.open_interest, tape.liquidations, source="seed 3")
    again = generate(3, days=6)
    second = backtest(again.candles, again.open_interest, again.liquidations, source="seed 3")
    assert msgspec.json.encode(first) == msgspec.json.encode(second)  # to the last digit
    assert first.evaluations > 10 and first.realized_usd > 0
    assert first.capture_share is not None and first.coverage_share is not None
    assert first.capture_share > first.coverage_share
    other = generate(4, days=6)
    assert backtest(other.candles, other.open_interest, other.liquidations).realized_usd != first.realized_usd


def test_generated_tape_liquidates_at_the_formula_price() -> None:
    tape = generate(5, days=1)
    liquidated = [p for p in tape.positions if p.liquidated_ts is not None]
    assert liquidated and len(tape.liquidations) == len(liquidated)
    start = tape.candles[0].open_ts
    for p in liquidated:
        assert p.liq_price == isolated_liq_price(p.entry, p.leverage, p.side, 0.004)
        assert p.liquidated_ts is not None
        candle = tape.candles[(p.liquidated_ts - start - 1) // BAR_MS]
        assert candle.low <= p.liq_price <= candle.high  # the bar's range reached it


def test_backtest_refuses_bad_parameters() -> None:
    with pytest.raises(ValueError, match="horizon_ms"):
        backtest([], [], [], bt=BacktestParams(horizon_ms=0))


@pytest.mark.skipif(not real_data.available(), reason="../shared/data is not beside the checkout")
def test_real_data_backtest_is_scored_and_reproducible() -> None:
    first = real_data.score("SOL")
    assert first.bars > 1_000 and first.evaluations > 0 and first.realized_usd > 0
    assert first.capture_share is not None and 0 <= first.capture_share <= 1
    assert msgspec.json.encode(real_data.score("SOL")) == msgspec.json.encode(first)


def test_the_next_level_is_found_beyond_the_window_in_the_map_the_bar_left() -> None:
    # 5x shorts sit ~19.5 % above the 100,000 entries (119,521.9): outside the ±10 % window around
    # the price before the bar, where the level is judged; the next level is searched to the map's edge.
    tiers = Params(leverages=(5.0, 50.0, 100.0), weights=(0.3, 0.5, 0.2), tilt=0.0, bin_pct=0.001)
    bars = [bar(0), bar(1), bar(2), bar(3), bar(4, 102_500, open_=100_000), bar(5, 102_400)]
    [event] = break_throughs(bars, oi([1_000, 2_000, 3_000, 4_000, 4_000, 4_000]), None, tiers, EventParams(0.5))
    assert event.level_price == 101_500  # the 50x level
    assert event.next_level_price == 119_500  # 100,000 × 1.2 / 1.004 = 119,521.9
    assert event.fuel_to_next_usd == pytest.approx(3 * 500 * 0.3)
    assert event.extreme_price == 102_500


def test_the_next_level_is_major_among_the_bins_left_not_those_the_bar_cleared() -> None:
    # Judged before the bar, the 90th percentile is set by the big 25x and 50x bins the bar clears,
    # and the 10x bin (~109,562) beyond is "minor"; after the bar it is the biggest bin left.
    tiers = Params(leverages=(10.0, 25.0, 50.0), weights=(0.2, 0.4, 0.4), tilt=0.0, bin_pct=0.001)
    bars = [bar(0), bar(1), bar(2), bar(3), bar(4, 104_000, open_=100_000), bar(5, 103_900)]
    [event] = break_throughs(bars, oi([1_000, 2_000, 3_000, 4_000, 4_000, 4_000]), None, tiers, EventParams(0.9))
    assert event.next_level_price == 109_500


def test_no_next_level_only_when_no_fuel_is_left_beyond() -> None:
    tiers = Params(leverages=(50.0, 100.0), weights=(0.7, 0.3), tilt=0.0, bin_pct=0.001)
    bars = [bar(0), bar(1), bar(2), bar(3), bar(4, 102_500, open_=100_000), bar(5, 102_400)]
    [event] = break_throughs(bars, oi([1_000, 2_000, 3_000, 4_000, 4_000, 4_000]), None, tiers, EventParams(0.5))
    assert event.next_level_price is None and event.fuel_to_next_usd is None
    assert event.extreme_price == 102_500  # "none above $102,500 in the map"


@pytest.mark.skipif(not real_data.available(), reason="../shared/data/finm33150_okx_hyperliquid_2025_2026 absent")
def test_on_real_data_every_break_through_names_its_next_level() -> None:
    candles, stats, _ = real_data.load("ETH")  # before: 20 of 102 events had none, with fuel beyond
    events = break_throughs(candles, stats, None)
    assert len(events) > 50 and all(e.next_level_price is not None for e in events)
