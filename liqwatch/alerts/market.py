"""Rules over what the store knows beyond the event stream: liquidation levels and watched wallets.
Pure: the engine reads its sources (in a thread, every `sources_s`) and hands the results here.

Level rules: a break-through of a major modelled level (analytics.levels_events, research §4.4) of a
watched coin is announced once per bar and side (key: rule, coin, side, bar open), at most once per
cooldown per coin and side, and only when the bar ended within `max_age_ms` (a start-up poll does
not announce old bars). The realized liquidations are those recorded so far when the alert goes out.

Wallets rules: the unrealized loss of one side of the watched set (wallets.events.side_loss: −Σ
szi × (mark − entry), optionally over one coin group) fires when it reaches `above_usd` while armed
and out of its cooldown, then disarms; it re-arms when the loss falls below `rearm_below_usd`
(hysteresis, like window rules). A side given by the rule is watched alone; without one, each side
is watched on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from liqwatch import money as house
from liqwatch.alerts.model import Alert, LevelRule, WalletsRule, iso, money
from liqwatch.alerts.rules import RuleState
from liqwatch.analytics.levels_events import BreakThrough
from liqwatch.wallets.aggregate import coin_group
from liqwatch.wallets.events import LossCrossing, side_loss
from liqwatch.wallets.model import PositionSnapshot

SIDES = ("long", "short")


class LevelState(RuleState):
    rule: LevelRule

    def __init__(self, rule: LevelRule) -> None:
        self.rule = rule
        self.announced: set[tuple[str, str, int]] = set()  # (coin, side, bar open)
        self.last_fired: dict[tuple[str, str], int] = {}  # (coin, side) → when

    def on_levels(self, coin: str, found: Sequence[BreakThrough], now: int) -> list[Alert]:
        rule = self.rule
        if coin not in rule.coins:
            return []
        out = []
        for bt in sorted(found, key=lambda e: (e.ts, e.side)):
            mark = (coin, bt.side, bt.ts)
            if mark in self.announced or (rule.side is not None and bt.side != rule.side):
                continue
            if bt.fuel_cleared_usd < rule.min_fuel_usd or (bt.realized_usd or 0.0) < rule.min_realized_usd:
                continue  # may still qualify later: realized liquidations keep coming for a while
            self.announced.add(mark)
            if bt.bar_end < now - rule.max_age_ms:
                continue
            last = self.last_fired.get((coin, bt.side))
            if last is not None and now - last < rule.cooldown_ms:
                continue
            self.last_fired[(coin, bt.side)] = now
            out.append(level_alert(rule, bt, now))
        return out


def level_alert(rule: LevelRule, bt: BreakThrough, now: int) -> Alert:
    direction = "up through" if bt.side == "short" else "down through"
    realized = "" if bt.realized_usd is None else f" {money(bt.realized_usd)} of {bt.side} liquidations recorded since."
    upto = ""
    if bt.next_level_price is not None and bt.fuel_to_next_usd is not None:
        fuel = house.estimate_table(bt.fuel_to_next_usd)
        upto = f" Next major {bt.side} level: {bt.next_level_price:,.8g} ({fuel} of modelled fuel up to it)."
    return Alert(
        kind="level",
        rule=rule.name,
        key=f"level:{rule.name}:{bt.coin}:{bt.side}:{bt.ts}",
        ts=now,
        title=f"{bt.coin} broke {direction} the {bt.level_price:,.8g} {bt.side} liquidation cluster",
        text=(
            f"{bt.coin} moved {direction} a major modelled {bt.side} liquidation level at {bt.level_price:,.8g} "
            f"in the bar from {iso(bt.ts)} to {iso(bt.bar_end)}, "
            f"clearing {house.estimate_table(bt.fuel_cleared_usd)} of "
            f"modelled {bt.side} exposure (liqwatch levels model {bt.model_version}).{realized}{upto}"
        ),
        fields={
            "coin": bt.coin,
            "side": bt.side,
            "bar_open": bt.ts,
            "bar_end": bt.bar_end,
            "level_price": bt.level_price,
            "level_fuel_usd": round(bt.level_fuel_usd, 2),
            "fuel_cleared_usd": round(bt.fuel_cleared_usd, 2),
            "majors_cleared": bt.majors_cleared,
            "realized_usd": None if bt.realized_usd is None else round(bt.realized_usd, 2),
            "next_level_price": bt.next_level_price,
            "model_version": bt.model_version,
        },
    )


class WalletsState(RuleState):
    rule: WalletsRule

    def __init__(self, rule: WalletsRule) -> None:
        self.rule = rule
        sides = SIDES if rule.side is None else (rule.side,)
        self.armed = dict.fromkeys(sides, True)
        self.loss = dict.fromkeys(sides, 0.0)  # at the previous poll
        self.last_fired: dict[str, int] = {}

    def on_wallets(self, positions: Sequence[PositionSnapshot], now: int) -> list[Alert]:
        rule = self.rule
        out = []
        polled = max((p.ts for p in positions), default=now)
        hashes = sorted({p.set_hash for p in positions if p.set_hash})
        for side in self.armed:
            was, loss = self.loss[side], side_loss(positions, side, rule.group)
            self.loss[side] = loss
            if loss < rule.rearm_below_usd:
                self.armed[side] = True
                continue
            if loss < rule.above_usd or not self.armed[side]:
                continue
            last = self.last_fired.get(side)
            if last is not None and now - last < rule.cooldown_ms:
                continue
            self.armed[side] = False
            self.last_fired[side] = now
            crossing = LossCrossing(polled, side, rule.above_usd, loss, was, "crossed", rule.group, ",".join(hashes))
            out.append(wallets_alert(rule, crossing, positions, now))
        return out


def wallets_alert(rule: WalletsRule, crossing: LossCrossing, positions: Sequence[PositionSnapshot], now: int) -> Alert:
    side, group = crossing.side, crossing.group
    losing = [p for p in positions if p.direction == side and (group is None or coin_group(p.coin) == group)]
    where = f"{group} " if group else ""
    return Alert(
        kind="wallets",
        rule=rule.name,
        key=f"wallets:{rule.name}:{side}:{crossing.ts}",
        ts=now,
        title=f"Watched wallets' {where}{side}s: {money(crossing.loss_usd)} unrealized loss",
        text=(
            f"The {crossing.text()}, at the poll of {iso(crossing.ts)}: {len(losing)} {side} positions in "
            f"{len({p.wallet for p in losing})} wallets; unrealized PnL = Σ szi × (mark − entry). "
            f"Rule '{rule.name}'."
        ),
        fields={
            "side": side,
            "group": group,
            "loss_usd": round(crossing.loss_usd, 2),
            "previous_loss_usd": round(crossing.previous_loss_usd, 2),
            "threshold_usd": rule.above_usd,
            "positions": len(losing),
            "wallets": len({p.wallet for p in losing}),
            "polled_at": crossing.ts,
            "set_hash": crossing.set_hash,
        },
    )
