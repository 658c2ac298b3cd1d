"""Rule evaluation: events, gaps and venue health in, `Alert` records out. Pure: no I/O, no clock.

Every rule gets a state object (`state_for(rule)`) with three entry points, each given the
time `now` (ms) by the caller, so the same inputs always give the same alerts:
- `on_events(events, now)`: called inline by the engine for every published batch (order and
  window rules answer here, so a single big order goes out at once, not on a timer);
- `on_gap(gap, now)`: a feed gap recorded by the collector;
- `on_tick(now, venues)`: periodic, for what changes with time alone (windows emptying, cooldowns
  ending, silence, bursts), with the collector's per-venue status when there is one.
- `on_levels(coin, break_throughs, now)` / `on_wallets(positions, now)`: what the engine's sources
  read from the store (alerts.market: level and wallets rules).

Window rules keep their own rolling sums (not `LiveWindows`): any window length, one coin or all,
one side or both, evaluated per batch without a summary call. The sums live in buckets of
1/3600 of the window (at least 1 s): an event leaves the sum at most one bucket late, so a
threshold is never missed, and memory is bounded by the bucket count, not the event rate.

Crossing semantics (window rules): the rule fires when the value reaches `above_usd` while
armed and out of its cooldown, then disarms; it re-arms when the value falls below
`rearm_below_usd` (hysteresis, so a value hovering at the threshold does not spam). A crossing
during the cooldown is reported when the cooldown ends, if the value is still at or above.
Order rules fire per order at or above `above_usd` (at most one per cooldown when one is set);
the alert key is the event id, so a replayed order is never announced twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from liqwatch.alerts.model import (
    Alert,
    LevelRule,
    OrderRule,
    Rule,
    SqueezeRule,
    VenueRule,
    WalletsRule,
    WindowRule,
    WritesRule,
    duration_words,
    iso,
    matches,
    money,
    scope_words,
)
from liqwatch.analytics.levels_events import BreakThrough
from liqwatch.analytics.summary import UNITS_PER_USD, usd_units
from liqwatch.model import Gap, Liquidation
from liqwatch.wallets.model import PositionSnapshot

MAX_EVENTS_PER_ALERT = 5


class VenueHealth(Protocol):
    """What a venue rule reads from the collector's `VenueStatus` (it matches structurally)."""

    @property
    def venue(self) -> str: ...
    @property
    def connected(self) -> bool: ...
    @property
    def connected_since(self) -> int | None: ...
    @property
    def last_data_ts(self) -> int | None: ...
    @property
    def outage_since(self) -> int | None: ...


class RuleState:
    """Base: a rule that answers nothing. Subclasses override what they react to."""

    rule: Rule

    def on_events(self, events: Sequence[Liquidation], now: int) -> list[Alert]:
        return []

    def on_gap(self, gap: Gap, now: int) -> list[Alert]:
        return []

    def on_tick(self, now: int, venues: Mapping[str, VenueHealth] | None = None) -> list[Alert]:
        return []

    def seed(self, events: Iterable[Liquidation], now: int) -> None:
        """Take history (from the store at start-up) without raising alerts."""

    def on_levels(self, coin: str, found: Sequence[BreakThrough], now: int) -> list[Alert]:
        """Break-throughs of a coin's major modelled levels, as the engine's levels source read them."""
        return []

    def on_wallets(self, positions: Sequence[PositionSnapshot], now: int) -> list[Alert]:
        """The watched wallets' latest positions, as the engine's wallets source read them."""
        return []


def state_for(rule: Rule) -> RuleState:
    if isinstance(rule, WindowRule):
        return WindowState(rule)
    if isinstance(rule, OrderRule):
        return OrderState(rule)
    if isinstance(rule, VenueRule):
        return VenueState(rule)
    if isinstance(rule, WritesRule):
        from liqwatch.alerts.writes import WritesState  # writes imports this module

        return WritesState(rule)
    if isinstance(rule, LevelRule | WalletsRule):
        from liqwatch.alerts.market import LevelState, WalletsState  # market imports this module

        return LevelState(rule) if isinstance(rule, LevelRule) else WalletsState(rule)
    from liqwatch.alerts.bursts import SqueezeState  # bursts imports this module

    assert isinstance(rule, SqueezeRule)
    return SqueezeState(rule)


def largest(events: Iterable[Liquidation], limit: int = MAX_EVENTS_PER_ALERT) -> list[Liquidation]:
    """The `limit` largest events by USD (unpriced last), ties by time then id."""
    return sorted(events, key=lambda e: (-(e.usd or 0.0), e.ts, e.id))[:limit]


# --- window rules ---------------------------------------------------------------------------------


class RollingSum:
    """USD units and counts of the events in a trailing window, in time buckets."""

    def __init__(self, window_ms: int) -> None:
        self.window_ms = window_ms
        self.resolution = max(1_000, window_ms // 3600)
        self.buckets: deque[list[int]] = deque()  # [bucket start, units, count], oldest first
        self.units = 0
        self.count = 0

    def add(self, ts: int, units: int, now: int) -> None:
        if ts <= now - self.window_ms:
            return
        start = ts - ts % self.resolution
        buckets = self.buckets
        if buckets and start <= buckets[-1][0]:  # late events count in the newest bucket
            bucket = buckets[-1]
        else:
            bucket = [start, 0, 0]
            buckets.append(bucket)
        bucket[1] += units
        bucket[2] += 1
        self.units += units
        self.count += 1

    def expire(self, now: int) -> None:
        threshold = now - self.window_ms
        buckets = self.buckets
        while buckets and buckets[0][0] + self.resolution - 1 <= threshold:
            _, units, count = buckets.popleft()
            self.units -= units
            self.count -= count

    @property
    def usd(self) -> float:
        return self.units / UNITS_PER_USD


class WindowState(RuleState):
    rule: WindowRule

    def __init__(self, rule: WindowRule) -> None:
        self.rule = rule
        self.sum = RollingSum(rule.window_ms)
        self.armed = True
        self.crossed_at: int | None = None  # when the value reached the threshold while armed
        self.last_fired: int | None = None

    def _add(self, events: Iterable[Liquidation], now: int) -> list[Liquidation]:
        rule = self.rule
        picked = []
        for event in events:
            if event.usd is None or not matches(event, rule.coin, rule.side, rule.venue):
                continue
            units = usd_units(event.usd)
            if units is not None:
                self.sum.add(event.ts, units, now)
                picked.append(event)
        return picked

    def seed(self, events: Iterable[Liquidation], now: int) -> None:
        self.sum.expire(now)
        self._add(events, now)
        self.sum.expire(now)
        if self.sum.usd >= self.rule.above_usd:
            self.armed = False  # already breached before the restart: wait for it to fall back

    def on_events(self, events: Sequence[Liquidation], now: int) -> list[Alert]:
        self.sum.expire(now)
        picked = self._add(events, now)
        return self._evaluate(now, picked)

    def on_tick(self, now: int, venues: Mapping[str, VenueHealth] | None = None) -> list[Alert]:
        self.sum.expire(now)
        return self._evaluate(now, [])

    def _evaluate(self, now: int, trigger: list[Liquidation]) -> list[Alert]:
        rule = self.rule
        value = self.sum.usd
        if value < rule.rearm_below_usd:
            self.armed = True
            self.crossed_at = None
            return []
        if value < rule.above_usd or not self.armed:
            return []
        if self.crossed_at is None:
            self.crossed_at = now
        if self.last_fired is not None and now - self.last_fired < rule.cooldown_ms:
            return []
        self.armed = False
        self.last_fired = now
        return [self._alert(now, value, self.crossed_at, trigger)]

    def _alert(self, now: int, value: float, crossed_at: int, trigger: list[Liquidation]) -> Alert:
        rule = self.rule
        scope = scope_words(rule.coin, rule.side, rule.venue)
        what = f"{rule.coin or 'All'} {rule.side + 's' if rule.side else 'liquidations'}"
        if rule.venue:
            what += f" on {rule.venue}"
        title = f"{what}: {money(value)} liquidated in {rule.window}"
        text = (
            f"{money(value)} of {scope} liquidations in the last {rule.window} "
            f"({self.sum.count:,} orders), at or above the {money(rule.above_usd)} threshold of rule '{rule.name}'."
        )
        return Alert(
            kind="window",
            rule=rule.name,
            key=f"window:{rule.name}:{crossed_at}",
            ts=now,
            title=title,
            text=text,
            fields={
                "window": rule.window,
                "coin": rule.coin,
                "side": rule.side,
                "venue": rule.venue,
                "value_usd": round(value, 2),
                "threshold_usd": rule.above_usd,
                "count": self.sum.count,
                "window_start": now - rule.window_ms,
                "window_end": now,
            },
            events=largest(trigger),
        )


# --- order rules ----------------------------------------------------------------------------------


class OrderState(RuleState):
    rule: OrderRule

    def __init__(self, rule: OrderRule) -> None:
        self.rule = rule
        self.last_fired: int | None = None
        self.suppressed = 0  # qualifying orders not announced: inside the cooldown
        self.too_old = 0  # qualifying orders not announced: older than max_age (replays)

    def on_events(self, events: Sequence[Liquidation], now: int) -> list[Alert]:
        rule = self.rule
        out = []
        for event in events:
            usd = event.usd
            if usd is None or usd < rule.above_usd or not matches(event, rule.coin, rule.side, rule.venue):
                continue
            if event.ts < now - rule.max_age_ms:
                self.too_old += 1
                continue
            if rule.cooldown_ms and self.last_fired is not None and now - self.last_fired < rule.cooldown_ms:
                self.suppressed += 1
                continue
            self.last_fired = now
            out.append(order_alert(rule, event, now))
        return out


def order_alert(rule: OrderRule, event: Liquidation, now: int) -> Alert:
    usd = event.usd or 0.0
    size = f"{event.qty:,.6g} {event.coin} at {event.price:,.8g}" if event.qty is not None else f"at {event.price:,.8g}"
    return Alert(
        kind="order",
        rule=rule.name,
        key=f"order:{rule.name}:{event.id}",
        ts=now,
        title=f"{money(usd)} {event.coin} {event.side} liquidated on {event.venue}",
        text=(
            f"{event.symbol} {event.side} position liquidated on {event.venue}: {size} = {money(usd)} "
            f"at {iso(event.ts)} ({event.coverage} feed)."
        ),
        fields={
            "venue": event.venue,
            "symbol": event.symbol,
            "coin": event.coin,
            "side": event.side,
            "price": event.price,
            "qty": event.qty,
            "usd": usd,
            "ts": event.ts,
            "id": event.id,
            "threshold_usd": rule.above_usd,
        },
        events=[event],
    )


# --- venue rules ----------------------------------------------------------------------------------


def silent_since(health: VenueHealth) -> int | None:
    """Since when the venue has sent no data frame: an open outage, else its last data frame,
    else its connection (connected but never sent data). None when it never started."""
    if health.outage_since is not None:
        return health.outage_since
    if health.last_data_ts is not None:
        return health.last_data_ts
    return health.connected_since


class VenueState(RuleState):
    rule: VenueRule

    def __init__(self, rule: VenueRule) -> None:
        self.rule = rule
        self.silent: dict[str, int] = {}  # venue → silent since, for venues announced as silent

    def on_gap(self, gap: Gap, now: int) -> list[Alert]:
        rule = self.rule
        length = gap.end - gap.start
        if not rule.gaps or (rule.venue is not None and gap.venue != rule.venue) or length < rule.min_gap_ms:
            return []
        return [
            Alert(
                kind="venue",
                rule=rule.name,
                key=f"venue:{rule.name}:{gap.venue}:gap:{gap.start}-{gap.end}",
                ts=now,
                title=f"{gap.venue}: feed gap of {duration_words(length)}",
                text=(
                    f"{gap.venue} was not received from {iso(gap.start)} to {iso(gap.end)} "
                    f"({duration_words(length)}): {gap.reason}. Totals over that span are missing its liquidations."
                ),
                fields={"venue": gap.venue, "start": gap.start, "end": gap.end, "ms": length, "reason": gap.reason},
            )
        ]

    def on_tick(self, now: int, venues: Mapping[str, VenueHealth] | None = None) -> list[Alert]:
        rule = self.rule
        if rule.silent_after_ms is None or venues is None:
            return []
        out = []
        for name, health in venues.items():
            if rule.venue is not None and name != rule.venue:
                continue
            since = silent_since(health)
            quiet = since is not None and now - since >= rule.silent_after_ms
            announced = self.silent.get(name)
            if quiet and since is not None and announced != since:
                if announced is None:  # a new silence (not the same one with a moved start)
                    out.append(self._silent_alert(name, health, since, now))
                self.silent[name] = since
            elif not quiet and announced is not None:
                del self.silent[name]
                if rule.notify_recovery:
                    out.append(self._recovered_alert(name, announced, now))
        return out

    def _silent_alert(self, venue: str, health: VenueHealth, since: int, now: int) -> Alert:
        state = "connected but sending no data" if health.connected else "disconnected"
        return Alert(
            kind="venue",
            rule=self.rule.name,
            key=f"venue:{self.rule.name}:{venue}:silent:{since}",
            ts=now,
            title=f"{venue}: silent for {duration_words(now - since)}",
            text=f"No data from {venue} since {iso(since)} ({state}); its liquidations are not being counted.",
            fields={"venue": venue, "silent_since": since, "silent_ms": now - since, "connected": health.connected},
        )

    def _recovered_alert(self, venue: str, since: int, now: int) -> Alert:
        return Alert(
            kind="venue",
            rule=self.rule.name,
            key=f"venue:{self.rule.name}:{venue}:silent:{since}:recovered",
            ts=now,
            title=f"{venue}: sending again",
            text=f"{venue} is sending data again after a silence that began {iso(since)}.",
            fields={"venue": venue, "silent_since": since, "silent_ms": now - since},
            resolved=True,
        )
