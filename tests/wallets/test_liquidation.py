"""Hyperliquid's liquidation price: the documented formula and the worked examples (analytics.md §4.3)."""

from __future__ import annotations

import pytest

from liqwatch.wallets.liquidation import (
    Tier,
    isolated_liquidation_price,
    liquidation_price,
    maintenance_margin,
    maintenance_rate,
    maintenance_tiers,
    tiered_liquidation_price,
)


def test_doc_sample_reproduces_the_venue_figure() -> None:
    # ETH isolated, maxLeverage 50 (l = 1/100), isolated margin 4.967826, position value 100.02765
    mark = 100.02765 / 0.0335
    required = 0.01 * 100.02765
    assert liquidation_price(mark, 0.0335, 4.967826, required, 50) == pytest.approx(2866.26936529, abs=1e-4)


@pytest.mark.parametrize(("szi", "expected"), [(1.0, 91_139.24), (-1.0, 108_641.98)])
def test_worked_example_btc_10x(szi: float, expected: float) -> None:
    # BTC max 40x → m = 1.25 %; 10x isolated at 100,000
    assert maintenance_rate(40) == 0.0125
    assert isolated_liquidation_price(100_000, szi, 10, 40) == pytest.approx(expected, abs=0.01)


def test_closed_forms() -> None:
    for lev, max_lev in [(3, 3), (5, 20), (20, 25), (40, 40)]:
        m = 1 / (2 * max_lev)
        assert isolated_liquidation_price(50.0, 3.0, lev, max_lev) == pytest.approx(50 * (1 - 1 / lev) / (1 - m))
        assert isolated_liquidation_price(50.0, -3.0, lev, max_lev) == pytest.approx(50 * (1 + 1 / lev) / (1 + m))


def test_liquidation_price_is_where_equity_meets_maintenance() -> None:
    mark, szi, margin, max_lev = 2_000.0, -4.0, 1_500.0, 25
    price = liquidation_price(mark, szi, margin, abs(szi) * mark / (2 * max_lev), max_lev)
    equity = margin + szi * (price - mark)
    assert equity == pytest.approx(abs(szi) * price / (2 * max_lev))


def test_tiers_and_deductions() -> None:
    tiers = maintenance_tiers([Tier(0, 40), Tier(150_000_000, 20)])
    assert tiers[1].rate == 0.025 and tiers[1].deduction == pytest.approx(150_000_000 * (0.025 - 0.0125))
    # continuous at the boundary
    assert maintenance_margin(150_000_000, tiers) == pytest.approx(150_000_000 * 0.0125)
    # one tier: the tiered solver is the documented formula
    single = tiered_liquidation_price(100_000, 1.0, 10_000, 0.0, [Tier(0, 40)])
    assert single == pytest.approx(isolated_liquidation_price(100_000, 1.0, 10, 40))
    # a huge position: its value at the liquidation price lies in the second tier, equity meets maintenance there
    szi, mark, margin = 2_000.0, 100_000.0, 30_000_000.0
    price = tiered_liquidation_price(mark, szi, margin, 0.0, [Tier(0, 40), Tier(150_000_000, 20)])
    assert szi * price >= 150_000_000
    assert margin + szi * (price - mark) == pytest.approx(maintenance_margin(szi * price, tiers))
