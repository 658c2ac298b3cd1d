"""Hyperliquid's request weights and a rolling-minute weight budget. Pure (time is passed in).

Documented limits (research/analytics.md §3.2): 1200 weight per minute per IP; clearinghouseState,
l2Book, allMids weigh 2; most other info requests 20 (metaAndAssetCtxs, userFills); userFills and
friends add 1 per 20 items returned; userRole 60.
"""

from __future__ import annotations

from collections import deque

VENUE_WEIGHT_PER_MIN = 1200
WEIGHTS = {"clearinghouseState": 2, "l2Book": 2, "allMids": 2, "userRole": 60}
DEFAULT_WEIGHT = 20
MINUTE_S = 60.0


def request_weight(kind: str) -> int:
    return WEIGHTS.get(kind, DEFAULT_WEIGHT)


def items_weight(kind: str, items: int) -> int:
    """The extra weight charged after the answer: 1 per 20 items for fill histories."""
    return items // 20 if kind in ("userFills", "userFillsByTime") else 0


class WeightBudget:
    """At most `per_minute` weight in any rolling 60 s: `delay(weight, now)` says how long to wait."""

    def __init__(self, per_minute: int) -> None:
        if per_minute < DEFAULT_WEIGHT * 3:
            raise ValueError(f"a weight budget of {per_minute}/min is too small to poll (need >= 60)")
        self.per_minute = per_minute
        self._spent: deque[tuple[float, int]] = deque()
        self.total = 0

    def _expire(self, now: float) -> None:
        while self._spent and self._spent[0][0] <= now - MINUTE_S:
            self._spent.popleft()

    def used(self, now: float) -> int:
        self._expire(now)
        return sum(w for _, w in self._spent)

    def delay(self, weight: int, now: float) -> float:
        """Seconds until `weight` more fits in the rolling minute (0: now)."""
        self._expire(now)
        used = sum(w for _, w in self._spent)
        if used + weight <= self.per_minute:
            return 0.0
        for t, w in self._spent:  # oldest first: wait until enough has expired
            used -= w
            if used + weight <= self.per_minute:
                return max(0.0, t + MINUTE_S - now) + 1e-3
        return MINUTE_S

    def spend(self, weight: int, now: float) -> None:
        if weight > 0:
            self._spent.append((now, weight))
            self.total += weight
