"""Liquidation-price formulas against the documented ones, with the worked numbers of analytics.md §4."""

from __future__ import annotations

import pytest

from liqwatch.analytics.levels import (
    BINANCE_BTCUSDT_2021,
    binance_isolated_liq_price,
    bracket_for,
    hyperliquid_liq_price,
    isolated_liq_price,
    maintenance_rate,
    nice_step,
    tiered_liq_price,
)


def test_generic_isolated_worked_examples() -> None:
    # §4.2: 10x isolated BTC at 100,000 with MMR 0.4 %: 90,361 long, 109,562 short.
    assert isolated_liq_price(100_000, 10, "long", 0.004) == pytest.approx(90_361.45, abs=0.01)
    assert isolated_liq_price(100_000, 10, "short", 0.004) == pytest.approx(109_561.75, abs=0.01)
    # m → 0: the naive bands, 100x ±1 %.
    assert isolated_liq_price(100_000, 100, "long", 0.0) == pytest.approx(99_000)
    assert isolated_liq_price(100_000, 100, "short", 0.0) == pytest.approx(101_000)


def test_binance_first_bracket_matches_the_worked_example() -> None:
    # 0.3 BTC at 100,000 = 30,000 USDT notional: bracket 1 (MMR 0.4 %, cum 0), liquidation notional stays in it.
    assert binance_isolated_liq_price(100_000, 0.3, "long", 10) == pytest.approx(90_361.45, abs=0.01)
    assert binance_isolated_liq_price(100_000, 0.3, "short", 10) == pytest.approx(109_561.75, abs=0.01)


def test_binance_higher_bracket_uses_its_rate_and_maintenance_amount() -> None:
    # 5 BTC at 100,000 = 500,000 notional → bracket 3 (1.0 %, cum 1,300); WB = 50,000.
    # Long: P = (50,000 + 1,300 − 500,000) / (5·0.01 − 5) = 90,646.46…; notional at P 453k: same bracket.
    expected = (50_000 + 1_300 - 5 * 100_000) / (5 * 0.01 - 5)
    assert binance_isolated_liq_price(100_000, 5, "long", 10) == pytest.approx(expected)
    assert expected == pytest.approx(90_646.46, abs=0.01)


def test_binance_recomputes_in_the_bracket_of_the_liquidation_notional() -> None:
    # 0.52 BTC at 100,000 = 52,000 (bracket 2), but a 10x long liquidates near 90,400: 47k, bracket 1.
    price = binance_isolated_liq_price(100_000, 0.52, "long", 10)
    first = BINANCE_BTCUSDT_2021[0]
    assert price == pytest.approx(tiered_liq_price(100_000, 0.52, "long", 5_200, first.mmr, first.cum))
    assert bracket_for(BINANCE_BTCUSDT_2021, 0.52 * price) == first


def test_tiered_formula_reduces_to_generic_without_maintenance_amount() -> None:
    for side in ("long", "short"):
        assert tiered_liq_price(100_000, 2, side, 2 * 100_000 / 20, 0.005, 0) == pytest.approx(
            isolated_liq_price(100_000, 20, side, 0.005)
        )


def test_hyperliquid_documented_sample() -> None:
    # §4.3: M = 2985.90, max leverage 50 (l = 1/100), size 0.0335, isolated margin 4.967826 → 2866.26936529.
    assert hyperliquid_liq_price(2985.90, 0.0335, "long", 4.967826, 50) == pytest.approx(2866.26936529, abs=0.001)


def test_hyperliquid_worked_example_and_model_rate() -> None:
    # §4.3: BTC (max 40x → m = 1.25 %), 10x isolated at 100,000: 91,139 long, 108,642 short.
    assert maintenance_rate("hyperliquid", "BTC") == 0.0125
    assert isolated_liq_price(100_000, 10, "long", 0.0125) == pytest.approx(91_139.24, abs=0.01)
    assert isolated_liq_price(100_000, 10, "short", 0.0125) == pytest.approx(108_641.98, abs=0.01)
    # The documented formula with isolated margin = Q·E/L agrees with it.
    assert hyperliquid_liq_price(100_000, 1, "long", 10_000, 40) == pytest.approx(91_139.24, abs=0.01)
    assert hyperliquid_liq_price(100_000, 1, "short", 10_000, 40) == pytest.approx(108_641.98, abs=0.01)


def test_rates_and_steps() -> None:
    assert maintenance_rate("binance_usdm", "BTC") == 0.004
    assert maintenance_rate("hyperliquid", "DOGE") == 0.05
    assert [nice_step(x) for x in (237.5, 100, 0.00031, 4.2)] == [250, 100, 0.0005, 5]
    with pytest.raises(ValueError):
        isolated_liq_price(100_000, 0, "long", 0.004)
