"""The `[alerts]` part of the TOML config file: rules and sinks, validated with one-line errors.

```toml
[alerts]
tick = "1s"                              # how often time-based rules are evaluated (default 1s)

[alerts.sinks.ops]                       # a sink: any name; `type` says what it is
type = "webhook"                         # POST JSON, signed: X-Liqwatch-Signature: sha256=<hex HMAC>
url = "https://ops.example.com/liqwatch"
secret_env = "LIQWATCH_WEBHOOK_SECRET"   # any value may come from the environment: KEY_env = "VAR"

[alerts.sinks.desk]
type = "discord"                         # also "slack" (incoming webhook url), "stdout"
url_env = "LIQWATCH_DISCORD_WEBHOOK"

[alerts.sinks.phone]
type = "telegram"
bot_token_env = "LIQWATCH_TELEGRAM_TOKEN"
chat_id = "-1001234567890"
# api_url = "https://api.telegram.org"   # every sink's URL can point elsewhere (a proxy, a test server)

[[alerts.rules]]
name = "btc-shorts-1h"                   # optional; used in alerts and errors
kind = "window"                          # USD liquidated in a trailing window
window = "1h"                            # s, m, h, d, w
coin = "BTC"                             # omit: all coins together
side = "short"                           # omit: longs + shorts
above_usd = 50_000_000
cooldown = "30m"                         # default 15m; re-arms below rearm_below_usd (default 90 %)
sinks = ["ops", "desk"]                  # omit: every sink

[[alerts.rules]]
kind = "order"                           # a single liquidation at or above above_usd, sent at once
above_usd = 5_000_000

[[alerts.rules]]
kind = "squeeze"                         # a one-sided burst (short squeeze / long cascade)
window = "1h"
min_usd = 20_000_000

[[alerts.rules]]
kind = "venue"                           # a venue silent for silent_after, or a feed gap
silent_after = "10m"                     # "off" for gaps only
min_gap = "30s"

[[alerts.rules]]
kind = "level"                           # price broke through a major modelled liquidation level
coins = ["BTC", "ETH"]                   # or coin = "BTC"; default BTC and ETH
min_fuel_usd = 5_000_000                 # modelled fuel the bar cleared

[[alerts.rules]]
kind = "wallets"                         # watched wallets' unrealized loss on one side crossed X
side = "short"                           # omit: each side on its own
group = "altcoins"                       # BTC, ETH or altcoins; omit: all coins
above_usd = 10_000_000                   # re-arms below rearm_below_usd (default 90 %)
```

Per kind (besides name, kind, sinks): window — window, above_usd, rearm_below_usd, cooldown, coin,
side, venue; order — above_usd, cooldown (default 0: every order), max_age (default 5m: older
events, e.g. a journal replay at start-up, raise nothing), coin, side, venue; squeeze — window
(default 1h), min_usd (default 1M), min_count (5), gap (30s), rate_multiple (10), coin, side,
venue; venue — venue (omit: all), silent_after (default 10m), gaps (true), min_gap (0s),
notify_recovery (true); level — coin or coins (default BTC, ETH), side, min_fuel_usd (0),
min_realized_usd (0), cooldown (1h per coin and side), max_age (2h: older bars, e.g. at start-up,
raise nothing); wallets — above_usd, rearm_below_usd (90 %), side, group, cooldown (1h); writes
(the collector could not write to its journal, store or gap log: a full disk) — cooldown (15m),
notify_recovery (true).
Sinks (every type): timeout (5s), attempts (5), retry_initial (0.5s),
retry_cap (30s), queue (1000 alerts waiting, oldest dropped beyond), parallel (4 alerts in flight at
once, so a burst of alerts is not sent one round trip at a time; stdout: 1).

Errors name the file and the entry: `config.toml: alerts.rules[2] (btc-shorts-1h): unknown window
'2x' …` (rules are counted from 0, in file order). Only the environment given is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast

import msgspec

from liqwatch.alerts.model import (
    OrderRule,
    Rule,
    SqueezeRule,
    VenueRule,
    WindowRule,
    WritesRule,
    money,
    parse_duration_ms,
)
from liqwatch.analytics.summary import parse_window
from liqwatch.config import ConfigError, read_toml, section_of
from liqwatch.model import Side
from liqwatch.venues import VENUE_IDS

SinkType = Literal["stdout", "webhook", "discord", "slack", "telegram"]
SINK_TYPES: tuple[str, ...] = ("stdout", "webhook", "discord", "slack", "telegram")
TELEGRAM_API = "https://api.telegram.org"


class SinkConfig(msgspec.Struct, frozen=True):
    name: str
    type: SinkType
    url: str | None = None  # webhook / discord / slack: the URL; telegram: the Bot API base
    secret: str | None = None  # webhook: the HMAC key
    bot_token: str | None = None  # telegram
    chat_id: str | None = None  # telegram
    timeout_s: float = 5.0
    attempts: int = 5
    retry_initial_s: float = 0.5
    retry_cap_s: float = 30.0
    queue: int = 1000
    parallel: int = 4  # alerts in flight at once (stdout: 1, in order)


class AlertsConfig(msgspec.Struct, frozen=True):
    rules: list[Rule]
    sinks: dict[str, SinkConfig]
    tick_s: float = 1.0

    def targets(self, rule: Rule) -> tuple[str, ...]:
        """The sinks a rule's alerts go to: its own list, or every sink."""
        return rule.sinks or tuple(self.sinks)


COMMON_RULE_KEYS = {"name", "kind", "sinks"}
RULE_KEYS = {
    "window": {"window", "above_usd", "rearm_below_usd", "cooldown", "coin", "side", "venue"},
    "order": {"above_usd", "cooldown", "max_age", "coin", "side", "venue"},
    "squeeze": {"window", "min_usd", "min_count", "gap", "rate_multiple", "max_events", "coin", "side", "venue"},
    "venue": {"venue", "silent_after", "gaps", "min_gap", "notify_recovery"},
    "level": {"coin", "coins", "side", "min_fuel_usd", "min_realized_usd", "cooldown", "max_age"},
    "wallets": {"side", "group", "above_usd", "rearm_below_usd", "cooldown"},
    "writes": {"cooldown", "notify_recovery"},
}
COMMON_SINK_KEYS = {"type", "timeout", "attempts", "retry_initial", "retry_cap", "queue", "parallel"}
SINK_KEYS = {
    "stdout": set(),
    "webhook": {"url", "secret"},
    "discord": {"url"},
    "slack": {"url"},
    "telegram": {"bot_token", "chat_id", "api_url"},
}
REQUIRED_SINK_KEYS = {
    "stdout": (),
    "webhook": ("url",),
    "discord": ("url",),
    "slack": ("url",),
    "telegram": ("bot_token", "chat_id"),
}


def load_alerts(path: str | Path, environ: Mapping[str, str]) -> AlertsConfig | None:
    """The alerts of a TOML config file (top level `[alerts]` or `[liqwatch.alerts]`); None if none."""
    path = Path(path)
    alerts = section_of(read_toml(path), "alerts")
    if alerts is None:
        return None
    return parse_alerts(alerts, source=str(path), environ=environ)


def parse_alerts(
    alerts: Any, *, source: str = "config", environ: Mapping[str, str] | None = None
) -> AlertsConfig | None:
    """Validate the `[alerts]` table (already decoded); None when it has no rules."""
    environ = environ or {}
    if not isinstance(alerts, Mapping):
        raise ConfigError(f"{source}: alerts: expected a table ([alerts])")
    _unknown(source, "alerts", alerts, {"rules", "sinks", "tick"})
    tick_s = _duration(source, "alerts", alerts, "tick", 1_000) / 1000
    if tick_s <= 0:
        raise ConfigError(f"{source}: alerts: tick must be positive")
    raw_sinks = alerts.get("sinks", {})
    if not isinstance(raw_sinks, Mapping):
        raise ConfigError(f"{source}: alerts.sinks: expected tables ([alerts.sinks.NAME])")
    sinks = {name: _sink(source, str(name), raw, environ) for name, raw in raw_sinks.items()}
    raw_rules = alerts.get("rules", [])
    if not isinstance(raw_rules, list):
        raise ConfigError(f"{source}: alerts.rules: expected an array of tables ([[alerts.rules]])")
    rules: list[Rule] = []
    names: set[str] = set()
    for index, raw in enumerate(raw_rules):
        rule = _rule(source, index, raw, sinks)
        if rule.name in names:
            raise ConfigError(f"{source}: alerts.rules[{index}]: duplicate rule name '{rule.name}'")
        names.add(rule.name)
        rules.append(rule)
    if not rules:
        return None
    if not sinks:
        raise ConfigError(f'{source}: alerts: rules but no sinks; add e.g. [alerts.sinks.console] type = "stdout"')
    return AlertsConfig(rules=rules, sinks=sinks, tick_s=tick_s)


# --- sinks ----------------------------------------------------------------------------------------


def _sink(source: str, name: str, raw: Any, environ: Mapping[str, str]) -> SinkConfig:
    where = f"alerts.sinks.{name}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: {where}: expected a table")
    kind = raw.get("type")
    if kind not in SINK_TYPES:
        shown = "missing" if kind is None else f"unknown type '{kind}'"
        raise ConfigError(f"{source}: {where}: {shown}; use one of {', '.join(SINK_TYPES)}")
    allowed = COMMON_SINK_KEYS | SINK_KEYS[kind]
    secrets = SINK_KEYS[kind]
    _unknown(source, where, raw, allowed | {f"{key}_env" for key in secrets})
    values: dict[str, str] = {}
    for key in sorted(secrets):
        value = _secret(source, where, raw, key, environ)
        if value is not None:
            values[key] = value
    for key in REQUIRED_SINK_KEYS[kind]:
        if key not in values:
            raise ConfigError(f'{source}: {where}: {kind} needs {key} (or {key}_env = "ENV_VAR")')
    url = values.get("url") or values.get("api_url") or (TELEGRAM_API if kind == "telegram" else None)
    if url is not None and not url.startswith(("http://", "https://")):
        raise ConfigError(f"{source}: {where}: url must start with http:// or https://")
    sink = SinkConfig(
        name=name,
        type=cast(SinkType, kind),
        url=url.rstrip("/") if kind == "telegram" and url else url,
        secret=values.get("secret"),
        bot_token=values.get("bot_token"),
        chat_id=values.get("chat_id"),
        timeout_s=_duration(source, where, raw, "timeout", 5_000) / 1000,
        attempts=_integer(source, where, raw, "attempts", 5),
        retry_initial_s=_duration(source, where, raw, "retry_initial", 500) / 1000,
        retry_cap_s=_duration(source, where, raw, "retry_cap", 30_000) / 1000,
        queue=_integer(source, where, raw, "queue", 1000),
        parallel=_integer(source, where, raw, "parallel", 1 if kind == "stdout" else 4),
    )
    if not 1 <= sink.parallel <= 32:
        raise ConfigError(f"{source}: {where}: parallel must be between 1 and 32, not {sink.parallel}")
    if sink.timeout_s <= 0 or sink.retry_initial_s <= 0 or sink.retry_cap_s < sink.retry_initial_s:
        raise ConfigError(f"{source}: {where}: timeout and retry_initial must be positive, retry_cap >= retry_initial")
    return sink


def _secret(source: str, where: str, raw: Mapping[str, Any], key: str, environ: Mapping[str, str]) -> str | None:
    env_key = f"{key}_env"
    if key in raw and env_key in raw:
        raise ConfigError(f"{source}: {where}: give {key} or {env_key}, not both")
    if env_key in raw:
        variable = raw[env_key]
        if not isinstance(variable, str) or variable not in environ or not environ[variable]:
            raise ConfigError(f"{source}: {where}: {env_key}: environment variable {variable} is not set")
        return environ[variable]
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, int) and not isinstance(value, bool) and key == "chat_id":
        return str(value)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{source}: {where}: {key} must be a non-empty string")
    return value


# --- rules ----------------------------------------------------------------------------------------


def _rule(source: str, index: int, raw: Any, sinks: Mapping[str, SinkConfig]) -> Rule:
    where = f"alerts.rules[{index}]"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: {where}: expected a table ([[alerts.rules]])")
    if "name" in raw:
        if not isinstance(raw["name"], str) or not raw["name"].strip():
            raise ConfigError(f"{source}: {where}: name must be a non-empty string")
        where += f" ({raw['name']})"
    kind = raw.get("kind")
    if kind not in RULE_KEYS:
        shown = "missing kind" if kind is None else f"unknown kind '{kind}'"
        raise ConfigError(f"{source}: {where}: {shown}; use one of {', '.join(RULE_KEYS)}")
    _unknown(source, where, raw, COMMON_RULE_KEYS | RULE_KEYS[kind])
    targets = _sink_names(source, where, raw, sinks)
    coin = _coin(source, where, raw)
    side = _side(source, where, raw)
    venue = _venue(source, where, raw)
    scope = " ".join(part for part in (coin, side, venue) if part) or "all"
    rule: Rule
    if kind == "window":
        label, length = _window(source, where, raw, None)
        above = _usd(source, where, raw, "above_usd", None)
        rearm = _usd(source, where, raw, "rearm_below_usd", 0.9 * above)
        if rearm > above:
            raise ConfigError(f"{source}: {where}: rearm_below_usd must not exceed above_usd")
        name = raw.get("name") or f"{scope} {label} above {money(above)}"
        rule = WindowRule(
            name=name,
            window=label,
            window_ms=length,
            above_usd=above,
            rearm_below_usd=rearm,
            coin=coin,
            side=side,
            venue=venue,
            cooldown_ms=_duration(source, where, raw, "cooldown", 15 * 60_000),
            sinks=targets,
        )
    elif kind == "order":
        above = _usd(source, where, raw, "above_usd", None)
        rule = OrderRule(
            name=raw.get("name") or f"{scope} order above {money(above)}",
            above_usd=above,
            coin=coin,
            side=side,
            venue=venue,
            cooldown_ms=_duration(source, where, raw, "cooldown", 0),
            max_age_ms=_duration(source, where, raw, "max_age", 5 * 60_000),
            sinks=targets,
        )
    elif kind == "squeeze":
        label, length = _window(source, where, raw, "1h")
        min_usd = _usd(source, where, raw, "min_usd", 1_000_000.0)
        rule = SqueezeRule(
            name=raw.get("name") or f"{scope} burst in {label} above {money(min_usd)}",
            window=label,
            window_ms=length,
            min_usd=min_usd,
            min_count=_integer(source, where, raw, "min_count", 5),
            gap_ms=_duration(source, where, raw, "gap", 30_000),
            rate_multiple=_number(source, where, raw, "rate_multiple", 10.0),
            coin=coin,
            side=side,
            venue=venue,
            max_events=_integer(source, where, raw, "max_events", 200_000),
            sinks=targets,
        )
    elif kind == "writes":
        rule = WritesRule(
            name=raw.get("name") or "write failures",
            cooldown_ms=_duration(source, where, raw, "cooldown", 15 * 60_000),
            notify_recovery=_boolean(source, where, raw, "notify_recovery", True),
            sinks=targets,
        )
    elif kind in ("level", "wallets"):
        from liqwatch.alerts.config_market import market_rule  # it uses this module's helpers

        rule = market_rule(source, where, raw, kind, targets)
    else:
        silent: int | None = None
        if raw.get("silent_after") not in ("off", False):
            silent = _duration(source, where, raw, "silent_after", 10 * 60_000)
        rule = VenueRule(
            name=raw.get("name") or f"venue {venue or 'all'}",
            venue=venue,
            silent_after_ms=silent,
            gaps=_boolean(source, where, raw, "gaps", True),
            min_gap_ms=_duration(source, where, raw, "min_gap", 0),
            notify_recovery=_boolean(source, where, raw, "notify_recovery", True),
            sinks=targets,
        )
    return rule


def _unknown(source: str, where: str, raw: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        known = ", ".join(sorted(allowed))
        raise ConfigError(f"{source}: {where}: unknown key '{unknown[0]}'; known: {known}")


def _sink_names(source: str, where: str, raw: Mapping[str, Any], sinks: Mapping[str, SinkConfig]) -> tuple[str, ...]:
    names = raw.get("sinks", [])
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f'{source}: {where}: sinks must be a list of sink names, e.g. ["ops"]')
    for name in names:
        if name not in sinks:
            known = ", ".join(sinks) or "none defined"
            raise ConfigError(f"{source}: {where}: unknown sink '{name}' (sinks: {known})")
    return tuple(names)


def _window(source: str, where: str, raw: Mapping[str, Any], default: str | None) -> tuple[str, int]:
    text = raw.get("window", default)
    if text is None:
        raise ConfigError(f'{source}: {where}: needs window, e.g. window = "1h"')
    try:
        return parse_window(str(text))
    except ValueError:
        hint = "use a whole number and s, m, h, d or w, e.g. 1h"
        raise ConfigError(f"{source}: {where}: unknown window '{text}'; {hint}") from None


def _duration(source: str, where: str, raw: Mapping[str, Any], key: str, default: int) -> int:
    if key not in raw:
        return default
    try:
        return parse_duration_ms(str(raw[key]))
    except ValueError as exc:
        raise ConfigError(f"{source}: {where}: {key}: {exc}") from None


def _number(source: str, where: str, raw: Mapping[str, Any], key: str, default: float | None) -> float:
    value = raw.get(key, default)
    if value is None:
        raise ConfigError(f"{source}: {where}: needs {key}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConfigError(f"{source}: {where}: {key} must be a number >= 0, not {value!r}")
    return float(value)


def _usd(source: str, where: str, raw: Mapping[str, Any], key: str, default: float | None) -> float:
    value = _number(source, where, raw, key, default)
    if value <= 0 and key != "rearm_below_usd":
        raise ConfigError(f"{source}: {where}: {key} must be positive")
    return value


def _integer(source: str, where: str, raw: Mapping[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{source}: {where}: {key} must be a whole number >= 1, not {value!r}")
    return value


def _boolean(source: str, where: str, raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{source}: {where}: {key} must be true or false")
    return value


def _coin(source: str, where: str, raw: Mapping[str, Any]) -> str | None:
    coin = raw.get("coin")
    if coin is None:
        return None
    if not isinstance(coin, str) or not coin.strip():
        raise ConfigError(f'{source}: {where}: coin must be a coin name like "BTC" (omit it for all coins)')
    return coin.strip().upper()


def _side(source: str, where: str, raw: Mapping[str, Any]) -> Side | None:
    side = raw.get("side")
    if side is None:
        return None
    if side not in ("long", "short"):
        raise ConfigError(f'{source}: {where}: side must be "long" or "short" (omit it for both), not {side!r}')
    return cast(Side, side)


def _venue(source: str, where: str, raw: Mapping[str, Any]) -> str | None:
    venue = raw.get("venue")
    if venue is None:
        return None
    if venue not in VENUE_IDS:
        raise ConfigError(f"{source}: {where}: unknown venue {venue!r}; known: {', '.join(VENUE_IDS)}")
    return str(venue)
