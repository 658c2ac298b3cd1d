"""The event "watched wallets' unrealized loss on one side crossed X". Pure.

Given the per-direction PnL of two consecutive snapshots, a crossing happens when the loss of a side
(−U_side, in USD) goes from below a threshold to at or above it (a "crossed" event) or back below it
("recovered"). Thresholds are USD amounts, e.g. (1e6, 5e6, 10e6).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import msgspec

from liqwatch.wallets.aggregate import total_pnl
from liqwatch.wallets.model import PositionSnapshot

Crossing = Literal["crossed", "recovered"]


class LossCrossing(msgspec.Struct, frozen=True):
    ts: int
    side: str  # "long" | "short": the side whose positions are losing
    threshold_usd: float
    loss_usd: float  # the side's unrealized loss now (positive USD)
    previous_loss_usd: float
    kind: Crossing
    group: str | None = None  # None: all coins; else "BTC", "ETH" or "altcoins"
    set_hash: str = ""

    def text(self) -> str:
        where = f"{self.group} " if self.group else ""
        verb = "crossed" if self.kind == "crossed" else "fell back below"
        return (
            f"watched wallets' unrealized loss on {where}{self.side}s {verb} ${self.threshold_usd:,.0f} "
            f"(now ${self.loss_usd:,.0f}, was ${self.previous_loss_usd:,.0f})"
        )


def side_loss(positions: Iterable[PositionSnapshot], side: str, group: str | None = None) -> float:
    """The unrealized loss of one side as a positive USD amount (0 when the side is in profit)."""
    return max(0.0, -total_pnl(positions, side, group))


def loss_crossings(
    before: Sequence[PositionSnapshot],
    after: Sequence[PositionSnapshot],
    thresholds: Sequence[float],
    *,
    ts: int,
    group: str | None = None,
    set_hash: str = "",
) -> list[LossCrossing]:
    """Every threshold a side's loss crossed (upwards: "crossed"; downwards: "recovered") between two
    snapshots of the watched set."""
    if any(t <= 0 for t in thresholds):
        raise ValueError("loss thresholds must be positive USD amounts")
    out: list[LossCrossing] = []
    for side in ("long", "short"):
        was, now = side_loss(before, side, group), side_loss(after, side, group)
        for threshold in sorted(set(thresholds)):
            if was < threshold <= now:
                out.append(LossCrossing(ts, side, threshold, now, was, "crossed", group, set_hash))
            elif now < threshold <= was:
                out.append(LossCrossing(ts, side, threshold, now, was, "recovered", group, set_hash))
    return out
