"""Parsing `kind = "level"` and `kind = "wallets"` rules (see alerts.config for the file format)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liqwatch.alerts.config import _coin, _duration, _number, _side, _usd
from liqwatch.alerts.model import LevelRule, Rule, WalletsRule, money
from liqwatch.config import ConfigError
from liqwatch.wallets.aggregate import ALTCOINS, MAJORS

DEFAULT_LEVEL_COINS = ("BTC", "ETH")
GROUPS = (*MAJORS, ALTCOINS)


def market_rule(source: str, where: str, raw: Mapping[str, Any], kind: str, targets: tuple[str, ...]) -> Rule:
    side = _side(source, where, raw)
    if kind == "level":
        coins = _coins(source, where, raw)
        min_fuel = _number(source, where, raw, "min_fuel_usd", 0.0)
        scope = " ".join(part for part in ("/".join(coins), side) if part)
        return LevelRule(
            name=raw.get("name") or f"{scope} level break-through above {money(min_fuel)}",
            coins=coins,
            side=side,
            min_fuel_usd=min_fuel,
            min_realized_usd=_number(source, where, raw, "min_realized_usd", 0.0),
            cooldown_ms=_duration(source, where, raw, "cooldown", 60 * 60_000),
            max_age_ms=_duration(source, where, raw, "max_age", 2 * 60 * 60_000),
            sinks=targets,
        )
    group = raw.get("group")
    if group is not None and group not in GROUPS:
        raise ConfigError(f"{source}: {where}: group must be one of {', '.join(GROUPS)} (omit it for all coins)")
    above = _usd(source, where, raw, "above_usd", None)
    rearm = _usd(source, where, raw, "rearm_below_usd", 0.9 * above)
    if rearm > above:
        raise ConfigError(f"{source}: {where}: rearm_below_usd must not exceed above_usd")
    scope = " ".join(part for part in (group, f"{side}s" if side else "either side") if part)
    return WalletsRule(
        name=raw.get("name") or f"wallets {scope} loss above {money(above)}",
        above_usd=above,
        rearm_below_usd=rearm,
        side=side,
        group=group,
        cooldown_ms=_duration(source, where, raw, "cooldown", 60 * 60_000),
        sinks=targets,
    )


def _coins(source: str, where: str, raw: Mapping[str, Any]) -> tuple[str, ...]:
    if "coin" in raw and "coins" in raw:
        raise ConfigError(f"{source}: {where}: give coin or coins, not both")
    if "coins" not in raw:
        coin = _coin(source, where, raw)
        return (coin,) if coin else DEFAULT_LEVEL_COINS
    coins = raw["coins"]
    if not isinstance(coins, list) or not coins or not all(isinstance(c, str) and c.strip() for c in coins):
        raise ConfigError(f'{source}: {where}: coins must be a list of coin names, e.g. ["BTC", "ETH"]')
    return tuple(dict.fromkeys(c.strip().upper() for c in coins))
