"""The §4.4 model on tiny hand-built inputs: where fuel lands, what removes it, the outputs' shapes."""

from __future__ import annotations

import msgspec
import pytest

from liqwatch.analytics.levels import DEFAULT, LevelsModel, Params, bin_of, isolated_liq_price
from liqwatch.analytics.levels_grid import MEASURED_LABEL, MeasuredRow, current_map, heatmap
from tests.levels.build import ONE_TIER, T0, H, bar, oi


def test_oi_increase_puts_fuel_at_each_tiers_liquidation_bin() -> None:
    model = LevelsModel([bar(0), bar(1)], oi([1_000, 2_000]), ONE_TIER)
    model.run()
    long, short = model.live()
    assert model.bin_size == 100
    assert long == {bin_of(isolated_liq_price(100_000, 10, "long", 0.004), 100): pytest.approx(500)}
    assert short == {bin_of(isolated_liq_price(100_000, 10, "short", 0.004), 100): pytest.approx(500)}
    assert list(long) == [903] and list(short) == [1095]  # 90,361 and 109,562


def test_every_tier_gets_its_weight() -> None:
    params = Params(leverages=(5.0, 25.0, 100.0), weights=(0.5, 0.3, 0.2), tilt=0.0, bin_pct=0.001)
    model = LevelsModel([bar(0), bar(1)], oi([1_000, 2_000]), params)
    model.run()
    long, _ = model.live()
    for leverage, weight in zip(params.leverages, params.weights, strict=True):
        assert long[bin_of(isolated_liq_price(100_000, leverage, "long", 0.004), 100)] == pytest.approx(500 * weight)


def test_candle_body_tilts_the_split_toward_the_aggressor() -> None:
    params = msgspec.structs.replace(ONE_TIER, tilt=0.25)
    up = bar(1, 100_000, open_=99_900, low=99_900, high=100_000)  # closed on its high: a = 0.75
    model = LevelsModel([bar(0), up], oi([1_000, 2_000]), params)
    model.run()
    long, short = model.live()
    assert sum(long.values()) == pytest.approx(750) and sum(short.values()) == pytest.approx(250)


def test_price_reaching_a_level_removes_it_and_only_it() -> None:
    bars = [bar(0), bar(1), bar(2, low=90_400), bar(3, low=90_300)]  # bin 903's centre is 90,350
    model = LevelsModel(bars, oi([1_000, 2_000, 2_000, 2_000]), ONE_TIER)
    model.run(T0 + 3 * H)
    assert model.live()[0] == {903: pytest.approx(500)}
    consumed = model.cross(3)
    assert consumed.long == {903: pytest.approx(500)} and consumed.short == {}
    assert model.live()[0] == {} and model.live()[1] == {1095: pytest.approx(500)}


def test_oi_decrease_removes_pro_rata() -> None:
    model = LevelsModel([bar(0), bar(1), bar(2)], oi([1_000, 2_000, 1_500]), ONE_TIER)
    model.run()
    long, short = model.live()
    assert long[903] == pytest.approx(375) and short[1095] == pytest.approx(375)  # a quarter of OI closed


def test_venues_are_modelled_apart_and_summed() -> None:
    hl = oi([1_000, 3_000], venue="hyperliquid")  # BTC on Hyperliquid: 1.25 % maintenance
    model = LevelsModel([bar(0), bar(1)], oi([1_000, 2_000]) + hl, ONE_TIER)
    model.run()
    long, _ = model.live()
    assert model.venues == ["binance_usdm", "hyperliquid"]
    assert long[903] == pytest.approx(500)
    assert long[bin_of(isolated_liq_price(100_000, 10, "long", 0.0125), 100)] == pytest.approx(1_000)  # 91,139


def test_current_map_sides_cumulative_and_measured_layer() -> None:
    params = Params(leverages=(10.0, 50.0), weights=(0.5, 0.5), tilt=0.0, bin_pct=0.001)
    measured = [
        MeasuredRow("BTC", "long", 95_010.0, 2_000.0),
        MeasuredRow("BTC", "short", 104_990.0, 1_000.0),
        MeasuredRow("ETH", "short", 3_000.0, 9_999.0),
        MeasuredRow("BTC", "long", None, 5_000.0),
    ]
    levels = current_map([bar(0), bar(1)], oi([1_000, 2_000]), params, measured=measured)
    assert levels is not None
    assert levels.price == 100_000 and levels.at == T0 + 2 * H
    assert levels.longs.total_usd == pytest.approx(500) and levels.shorts.total_usd == pytest.approx(500)
    below = [b for b in levels.bins if b.long_usd]
    above = [b for b in levels.bins if b.short_usd]
    assert all(b.price < levels.price for b in below) and all(b.price > levels.price for b in above)
    # cumulative from the price outward: the nearer (50x) level first
    assert [b.cum_usd for b in sorted(below, key=lambda b: -b.price)] == pytest.approx([250, 500])
    assert [b.cum_usd for b in sorted(above, key=lambda b: b.price)] == pytest.approx([250, 500])
    assert levels.liq_ratio == pytest.approx(0.5)
    assert levels.measured is not None and levels.measured.label == MEASURED_LABEL
    assert (levels.measured.positions, levels.measured.long_usd, levels.measured.short_usd) == (2, 2_000, 1_000)
    assert {b.price for b in levels.measured.bins} == {95_000, 104_900}
    assert msgspec.json.decode(msgspec.json.encode(levels))["model_version"] == levels.model_version


def test_heatmap_grid_shape() -> None:
    bars = [bar(i, 100_000 + 50 * i) for i in range(6)]
    grid = heatmap(bars, oi([1_000 * (i + 1) for i in range(6)]), ONE_TIER, every_bars=2)
    assert grid is not None
    assert grid.times == [T0 + 2 * H, T0 + 4 * H, T0 + 6 * H]
    assert len(grid.long_usd) == len(grid.short_usd) == len(grid.times) == len(grid.closes)
    assert all(len(row) == len(grid.prices) for row in grid.long_usd + grid.short_usd)
    assert grid.prices == sorted(grid.prices) and grid.prices[1] - grid.prices[0] == grid.bin_size
    assert sum(grid.long_usd[0]) < sum(grid.long_usd[-1])  # fuel builds up as OI grows


def test_no_bars_no_map_and_bad_params_refused() -> None:
    assert current_map([], [], DEFAULT) is None
    with pytest.raises(ValueError, match="weights must sum to 1"):
        Params(weights=(0.5,) * 6).check()
