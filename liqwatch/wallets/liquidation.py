"""Hyperliquid's liquidation price (research/analytics.md §4.3, from Hyperliquid's docs). Pure.

    liq_price = price − side · margin_available / position_size / (1 − l · side)

with side = +1 long / −1 short, position_size = |szi|, price = the mark, l = 1 / maintenance
leverage, maintenance leverage = 2 × the max leverage of the margin tier (maintenance margin is half
the initial margin at max leverage), margin_available = isolated margin (isolated) or account value
(cross) − the maintenance margin required. Liquidations trigger on the mark price.

Tiered markets: maintenance_margin = notional · mmr − deduction, mmr(n) = 1 / (2 · max_leverage(n)),
deduction(n) = deduction(n−1) + lower_bound(n) · (mmr(n) − mmr(n−1)); the tier is the one of the
position value AT the liquidation price.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Tier(NamedTuple):
    lower_bound: float  # USD notional where the tier starts
    max_leverage: float


class MaintenanceTier(NamedTuple):
    lower_bound: float
    rate: float  # mmr
    deduction: float


def maintenance_rate(max_leverage: float) -> float:
    """Half the initial margin at max leverage: 40x → 1.25 %, 3x → 16.7 %."""
    if max_leverage <= 0:
        raise ValueError(f"max leverage must be positive, not {max_leverage}")
    return 1.0 / (2.0 * max_leverage)


def maintenance_tiers(tiers: Sequence[Tier]) -> list[MaintenanceTier]:
    """Margin tiers (lower bound, max leverage) → (lower bound, mmr, cumulative deduction)."""
    out: list[MaintenanceTier] = []
    for lower, leverage in sorted(tiers):
        rate = maintenance_rate(leverage)
        deduction = out[-1].deduction + lower * (rate - out[-1].rate) if out else 0.0
        out.append(MaintenanceTier(lower, rate, deduction))
    if not out:
        raise ValueError("no margin tiers")
    return out


def tier_of(notional: float, tiers: Sequence[MaintenanceTier]) -> MaintenanceTier:
    chosen = tiers[0]
    for tier in tiers:
        if notional >= tier.lower_bound:
            chosen = tier
    return chosen


def maintenance_margin(notional: float, tiers: Sequence[MaintenanceTier]) -> float:
    tier = tier_of(notional, tiers)
    return notional * tier.rate - tier.deduction


def liquidation_price(
    mark: float, szi: float, margin: float, maintenance_required: float, max_leverage: float
) -> float:
    """The documented formula. `margin`: isolated margin, or the account value for cross;
    `maintenance_required`: the maintenance margin the margin must cover (cross: of every cross position).
    May be <= 0 for a long that cannot be liquidated (returned as is: the caller decides)."""
    if szi == 0:
        raise ValueError("no position (szi = 0)")
    side = 1.0 if szi > 0 else -1.0
    lev = 1.0 / (2.0 * max_leverage)
    available = margin - maintenance_required
    return mark - side * available / abs(szi) / (1.0 - lev * side)


def isolated_liquidation_price(entry: float, szi: float, leverage: float, max_leverage: float) -> float:
    """A freshly opened isolated position (margin = |szi| × entry / leverage), at its entry mark:
    long E(1 − 1/L)/(1 − m), short E(1 + 1/L)/(1 + m), m = 1/(2 · max leverage)."""
    margin = abs(szi) * entry / leverage
    required = abs(szi) * entry * maintenance_rate(max_leverage)
    return liquidation_price(entry, szi, margin, required, max_leverage)


def tiered_liquidation_price(
    mark: float, szi: float, margin: float, other_maintenance: float, tiers: Sequence[Tier]
) -> float:
    """The formula with the tier of the position value at the liquidation price (tries each tier,
    keeps the one that is self-consistent; falls back to the tier of the current value)."""
    table = maintenance_tiers(tiers)
    side = 1.0 if szi > 0 else -1.0
    size = abs(szi)
    for tier in table:
        # margin + side·size·(P − mark) = other + size·P·rate − deduction, solved for P
        price = (other_maintenance - tier.deduction - margin + side * size * mark) / (side * size - size * tier.rate)
        if tier_of(size * max(price, 0.0), table) == tier:
            return price
    current = tier_of(size * mark, table)
    required = other_maintenance + maintenance_margin(size * mark, table)
    return liquidation_price(mark, szi, margin, required, 1.0 / (2.0 * current.rate))
