"""Squeeze / cascade rules: one-sided bursts of liquidations, found by `analytics.squeeze.cascades`.

Pure. The rule holds the matching events of its trailing window (at most `max_events`, oldest
dropped first and counted) and, on every tick, segments each side's events into bursts with the
report's own detector: at least `min_count` events no more than `gap_ms` apart, at least
`min_usd`, and a USD rate at least `rate_multiple` times the side's average over the window.
A burst is announced once, when it first qualifies (key: rule, side and the burst's first event),
while it may still be growing: that is the moment a desk wants to know.

The full squeeze verdict (`analytics.squeeze.detect`: share, z against previous periods, price
move, open interest) needs price data and days of baseline that a live process does not hold;
the report applies it afterwards.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from liqwatch.alerts.model import Alert, SqueezeRule, duration_words, iso, matches, money, scope_words
from liqwatch.alerts.rules import RuleState, VenueHealth, largest
from liqwatch.analytics.squeeze import Cascade, Params, cascades
from liqwatch.model import Liquidation, Side


class SqueezeState(RuleState):
    rule: SqueezeRule

    def __init__(self, rule: SqueezeRule) -> None:
        self.rule = rule
        self.events: deque[Liquidation] = deque()
        self.dropped = 0  # events let go to stay within max_events
        self.announced: dict[tuple[Side, int], int] = {}  # (side, burst start) → when announced
        self.params = Params(
            gap_ms=rule.gap_ms,
            cascade_min_count=rule.min_count,
            cascade_min_usd=rule.min_usd,
            cascade_min_share=0.0,
            rate_multiple=rule.rate_multiple,
        )

    def on_events(self, events: Sequence[Liquidation], now: int) -> list[Alert]:
        rule = self.rule
        floor = now - rule.window_ms
        held = self.events
        for event in events:
            if event.usd is not None and event.ts > floor and matches(event, rule.coin, rule.side, rule.venue):
                held.append(event)
        overflow = len(held) - rule.max_events
        for _ in range(max(overflow, 0)):
            held.popleft()
        self.dropped += max(overflow, 0)
        return []

    def seed(self, events: Iterable[Liquidation], now: int) -> None:
        self.on_events(list(events), now)
        for cascade in self._bursts(now):  # bursts before the restart were announced then
            self.announced[(cascade.side, cascade.start)] = now

    def on_tick(self, now: int, venues: Mapping[str, VenueHealth] | None = None) -> list[Alert]:
        floor = now - self.rule.window_ms
        held = self.events
        while held and held[0].ts <= floor:
            held.popleft()
        self.announced = {key: at for key, at in self.announced.items() if key[1] > floor}
        out = []
        for cascade in self._bursts(now):
            key = (cascade.side, cascade.start)
            if key not in self.announced:
                self.announced[key] = now
                out.append(self._alert(cascade, now))
        return out

    def _bursts(self, now: int) -> list[Cascade]:
        sides: tuple[Side, ...] = (self.rule.side,) if self.rule.side else ("long", "short")
        found: list[Cascade] = []
        for side in sides:
            found.extend(cascades(self.events, side, now - self.rule.window_ms, now, self.params))
        return sorted(found, key=lambda c: (c.start, c.side))

    def _alert(self, cascade: Cascade, now: int) -> Alert:
        rule = self.rule
        what = "Short squeeze" if cascade.side == "short" else "Long cascade"
        coins = ", ".join(f"{coin} {money(usd)}" for coin, usd in list(cascade.coins.items())[:3])
        venues = ", ".join(f"{venue} {money(usd)}" for venue, usd in list(cascade.venues.items())[:3])
        span = duration_words(cascade.duration_ms) if cascade.duration_ms else "an instant"
        behind = largest(e for e in self.events if e.side == cascade.side and cascade.start <= e.ts <= cascade.end)
        return Alert(
            kind="squeeze",
            rule=rule.name,
            key=f"squeeze:{rule.name}:{cascade.side}:{cascade.start}",
            ts=now,
            title=f"{what}: {money(cascade.usd)} of {cascade.side}s liquidated in {span}",
            text=(
                f"{cascade.count:,} {cascade.side} liquidations worth {money(cascade.usd)} since {iso(cascade.start)} "
                f"({scope_words(rule.coin, None, rule.venue)}), {cascade.rate_multiple:,.0f}× the {rule.window} "
                f"average rate. Coins: {coins}. Venues: {venues}."
            ),
            fields={
                "side": cascade.side,
                "usd": cascade.usd,
                "count": cascade.count,
                "start": cascade.start,
                "end": cascade.end,
                "rate_multiple": round(cascade.rate_multiple, 2),
                "peak_minute_usd": cascade.peak_minute_usd,
                "window": rule.window,
                "coin": rule.coin,
            },
            events=behind,
        )
