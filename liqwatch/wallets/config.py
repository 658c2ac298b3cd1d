"""The `[wallets]` section of the TOML config (a top-level key reserved by liqwatch.config).

    [wallets]
    url = "https://api.hyperliquid.xyz/info"          # POST endpoint (the simulator's for offline runs)
    leaderboard_url = "https://stats-data.hyperliquid.xyz/Mainnet/leaderboard"
    interval_s = 60                                   # one poll cycle per minute
    weight_per_min = 1000                             # of Hyperliquid's 1200 per IP: leave headroom
    fills = false                                     # also poll userFills (weight 20 + 1 per 20 fills each)
    loss_thresholds = [1_000_000, 5_000_000]          # "unrealized loss on one side crossed X" events

    [[wallets.watch]]
    address = "0x…"
    label = "whale 1"
    cohort = "fund"

    [wallets.leaderboard]                             # present: add the leaderboard rule's picks
    min_all_time_pnl = 1_000_000
    min_month_pnl = 0
    min_month_volume = 1_000_000
    min_account_value = 100_000
    max_volume_to_pnl = 2000                          # optional
    max_wallets = 200
    exclude = ["0x…"]                                 # vaults, market makers

Parsing is pure (`wallets_config(data, source)`); every mistake is one WalletError line naming the file
and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from liqwatch.config import ConfigError, read_toml, section_of
from liqwatch.wallets.model import WalletError, WalletSpec, normalize_address
from liqwatch.wallets.rule import LeaderboardRule

INFO_URL = "https://api.hyperliquid.xyz/info"
LEADERBOARD_URL = "https://stats-data.hyperliquid.xyz/Mainnet/leaderboard"


class WalletsConfig(msgspec.Struct, frozen=True):
    watch: tuple[WalletSpec, ...] = ()
    leaderboard: LeaderboardRule | None = None
    url: str = INFO_URL
    leaderboard_url: str = LEADERBOARD_URL
    interval_s: float = 60.0
    weight_per_min: int = 1000
    fills: bool = False
    loss_thresholds: tuple[float, ...] = (1_000_000.0, 5_000_000.0, 10_000_000.0)


_KEYS = {"url", "leaderboard_url", "interval_s", "weight_per_min", "fills", "loss_thresholds", "watch", "leaderboard"}
_RULE_KEYS = set(LeaderboardRule.__struct_fields__)


def wallets_config(data: dict[str, Any], source: str = "config") -> WalletsConfig:
    """The `[wallets]` table (already decoded) → WalletsConfig."""
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise WalletError(
            f"{source}: [wallets]: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})"
        )
    watch: list[WalletSpec] = []
    for i, item in enumerate(data.get("watch", [])):
        where = f"{source}: [[wallets.watch]] #{i + 1}"
        if not isinstance(item, dict) or "address" not in item:
            raise WalletError(f"{where}: needs an address")
        extra = sorted(set(item) - {"address", "label", "cohort"})
        if extra:
            raise WalletError(f"{where}: unknown key(s) {', '.join(extra)} (known: address, label, cohort)")
        try:
            watch.append(
                WalletSpec(
                    normalize_address(str(item["address"])), str(item.get("label", "")), str(item.get("cohort", ""))
                )
            )
        except WalletError as exc:
            raise WalletError(f"{where}: {exc}") from None
    rule = None
    if "leaderboard" in data:
        table = data["leaderboard"]
        bad = sorted(set(table) - _RULE_KEYS) if isinstance(table, dict) else ["(not a table)"]
        if bad:
            raise WalletError(
                f"{source}: [wallets.leaderboard]: unknown key(s) {', '.join(bad)} "
                f"(known: {', '.join(sorted(_RULE_KEYS))})"
            )
        try:
            rule = msgspec.convert(table, LeaderboardRule)
        except msgspec.ValidationError as exc:
            raise WalletError(f"{source}: [wallets.leaderboard]: {exc}") from None
    rest = {k: v for k, v in data.items() if k not in ("watch", "leaderboard")}
    try:
        config = msgspec.convert(rest, WalletsConfig)
    except msgspec.ValidationError as exc:
        raise WalletError(f"{source}: [wallets]: {exc}") from None
    if config.interval_s <= 0 or config.weight_per_min <= 0:
        raise WalletError(f"{source}: [wallets]: interval_s and weight_per_min must be positive")
    return msgspec.structs.replace(config, watch=tuple(watch), leaderboard=rule)


def load_wallets_config(path: str | Path | None) -> WalletsConfig:
    """The `[wallets]` section of a TOML file (defaults when no file, or no section)."""
    if path is None:
        return WalletsConfig()
    path = Path(path)
    try:
        section = section_of(read_toml(path), "wallets") or {}
    except ConfigError as exc:
        raise WalletError(str(exc)) from None
    if not isinstance(section, dict):
        raise WalletError(f"config file {path}: wallets must be a table ([wallets])")
    return wallets_config(section, f"config file {path}")
