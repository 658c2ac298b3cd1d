"""Pure aggregation of watched positions (research/analytics.md §3.4).

uPnL_i = szi_i × (mark − entry_i); U_dir(S) = Σ uPnL_i over positions of direction dir in coin set S.
Coin groups: "BTC", "ETH", "altcoins" (everything else: the universe minus BTC and ETH).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, NamedTuple

import msgspec

from liqwatch.wallets.model import PositionSnapshot

GroupBy = Literal["direction", "coin", "group", "cohort"]
GROUP_BYS: tuple[GroupBy, ...] = ("direction", "coin", "group", "cohort")
MAJORS = ("BTC", "ETH")
ALTCOINS = "altcoins"


def coin_group(coin: str) -> str:
    return coin if coin in MAJORS else ALTCOINS


def recomputed_pnl(p: PositionSnapshot) -> float:
    return p.szi * (p.mark_px - p.entry_px)


class PnlRow(msgspec.Struct, frozen=True):
    """One bucket: long/short unrealized PnL, notional and counts (wallets with a position, positions)."""

    key: str
    long_pnl: float = 0.0
    short_pnl: float = 0.0
    long_usd: float = 0.0
    short_usd: float = 0.0
    long_positions: int = 0
    short_positions: int = 0
    wallets: int = 0
    venue_pnl: float | None = None  # Σ the venue's own unrealizedPnl where every position reported one

    @property
    def pnl(self) -> float:
        return self.long_pnl + self.short_pnl


_KEYS: dict[str, Callable[[PositionSnapshot], str]] = {
    "direction": lambda p: p.direction,
    "coin": lambda p: p.coin,
    "group": lambda p: coin_group(p.coin),
    "cohort": lambda p: p.cohort or "(none)",
}


def pnl_by(positions: Iterable[PositionSnapshot], by: GroupBy = "direction") -> list[PnlRow]:
    """Unrealized PnL per bucket, ordered by bucket key (directions: long, short)."""
    if by not in _KEYS:
        raise ValueError(f"cannot group by {by!r} (choose one of {', '.join(GROUP_BYS)})")
    key_of = _KEYS[by]
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0] * 6)
    venue: dict[str, float | None] = {}
    wallets: dict[str, set[str]] = defaultdict(set)
    for p in positions:
        key = key_of(p)
        s = sums[key]
        i = 0 if p.szi > 0 else 1
        s[i] += recomputed_pnl(p)
        s[2 + i] += abs(p.szi) * p.mark_px
        s[4 + i] += 1
        wallets[key].add(p.wallet)
        before = venue.get(key, 0.0)
        venue[key] = None if before is None or p.venue_pnl is None else before + p.venue_pnl
    return [
        PnlRow(key, s[0], s[1], s[2], s[3], int(s[4]), int(s[5]), len(wallets[key]), venue[key])
        for key, s in sorted(sums.items())
    ]


def total_pnl(positions: Iterable[PositionSnapshot], direction: str | None = None, group: str | None = None) -> float:
    """Σ szi × (mark − entry) over the positions of a direction ("long"/"short") and coin group."""
    return sum(
        recomputed_pnl(p)
        for p in positions
        if (direction is None or p.direction == direction) and (group is None or coin_group(p.coin) == group)
    )


def worst(positions: Iterable[PositionSnapshot], n: int = 10) -> list[PositionSnapshot]:
    """The n positions with the largest unrealized loss (most negative PnL; ties: wallet, coin)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, not {n}")
    ranked = sorted(positions, key=lambda p: (recomputed_pnl(p), p.wallet, p.coin))
    return [p for p in ranked[:n] if recomputed_pnl(p) < 0]


def distance_to_liquidation(p: PositionSnapshot) -> float | None:
    """(mark − liqPx) / mark × direction: the fraction the mark may still move against the position."""
    if p.liquidation_px is None or p.mark_px <= 0:
        return None
    sign = 1.0 if p.szi > 0 else -1.0
    return (p.mark_px - p.liquidation_px) / p.mark_px * sign


class ExposureChange(msgspec.Struct, frozen=True):
    wallet: str
    coin: str
    before_szi: float
    after_szi: float
    before_usd: float
    after_usd: float

    @property
    def change(self) -> str:
        """ "opened", "closed", "flipped", "increased", "reduced" or "unchanged"."""
        b, a = self.before_szi, self.after_szi
        if b == 0:
            return "opened"
        if a == 0:
            return "closed"
        if (a > 0) != (b > 0):
            return "flipped"
        if abs(a) > abs(b):
            return "increased"
        return "reduced" if abs(a) < abs(b) else "unchanged"


def exposure_changes(
    before: Sequence[PositionSnapshot], after: Sequence[PositionSnapshot], *, include_unchanged: bool = False
) -> list[ExposureChange]:
    """Per wallet × coin: size and USD notional (at each snapshot's own mark) before and after."""
    old = {(p.wallet, p.coin): p for p in before}
    new = {(p.wallet, p.coin): p for p in after}
    out: list[ExposureChange] = []
    for key in sorted(old.keys() | new.keys()):
        b, a = old.get(key), new.get(key)
        change = ExposureChange(
            key[0],
            key[1],
            b.szi if b else 0.0,
            a.szi if a else 0.0,
            b.position_value if b else 0.0,
            a.position_value if a else 0.0,
        )
        if include_unchanged or change.before_szi != change.after_szi:
            out.append(change)
    return out


class LevelRow(NamedTuple):
    """A measured liquidation level: where a watched position is liquidated, and how big it is."""

    coin: str
    side: str  # side of the POSITION: "long" | "short"
    liquidation_px: float
    position_usd: float


def liquidation_levels(positions: Iterable[PositionSnapshot]) -> list[LevelRow]:
    """(coin, side, liquidation_px, position_usd) for every position with a liquidation price, ordered
    by (coin, side, price). For the liquidation-levels model's "measured" layer."""
    rows = [
        LevelRow(p.coin, p.direction, p.liquidation_px, abs(p.szi) * p.mark_px)
        for p in positions
        if p.liquidation_px is not None and p.liquidation_px > 0
    ]
    return sorted(rows)
