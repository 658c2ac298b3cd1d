"""The leaderboard selection rule: which Hyperliquid wallets count as "smart money". Pure.

Rule (research/analytics.md §3.1, HyperTracker's PnL bands), applied to the public leaderboard
(GET https://stats-data.hyperliquid.xyz/Mainnet/leaderboard):

1. all-time PnL >= `min_all_time_pnl` (default $1M);
2. 30-day ("month") PnL > `min_month_pnl` (default 0: still making money);
3. 30-day volume >= `min_month_volume` (default $1M: still active);
4. account value >= `min_account_value` (default $100k);
5. all-time volume / all-time PnL <= `max_volume_to_pnl` when set (drops market makers);
6. not in `exclude` (vaults and known market makers, by address);
7. ranked by all-time PnL (ties: address), the first `max_wallets` kept.

Cohort = the wallet's all-time PnL band: "money_printer" (>= $1M), "smart_money" ($100k–$1M),
"other". The rule's text (every parameter) and the hash of the resulting set are recorded with
every figure, so a number can always be traced to exactly which wallets made it.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from liqwatch.wallets.model import WalletSet, WalletSpec
from liqwatch.wallets.parse import LeaderboardRow

RULE_VERSION = "leaderboard v1"


class LeaderboardRule(msgspec.Struct, frozen=True):
    min_all_time_pnl: float = 1_000_000.0
    min_month_pnl: float = 0.0
    min_month_volume: float = 1_000_000.0
    min_account_value: float = 100_000.0
    max_volume_to_pnl: float | None = None
    max_wallets: int = 200
    exclude: tuple[str, ...] = ()

    def text(self) -> str:
        """Every parameter, in a fixed order: part of the set's hash."""
        ratio = "any" if self.max_volume_to_pnl is None else f"{self.max_volume_to_pnl:g}"
        excluded = ",".join(sorted(a.lower() for a in self.exclude)) or "none"
        return (
            f"{RULE_VERSION}: allTime.pnl >= {self.min_all_time_pnl:g}; month.pnl > {self.min_month_pnl:g}; "
            f"month.vlm >= {self.min_month_volume:g}; accountValue >= {self.min_account_value:g}; "
            f"allTime.vlm/pnl <= {ratio}; exclude {excluded}; top {self.max_wallets} by allTime.pnl"
        )


def cohort_of(all_time_pnl: float) -> str:
    if all_time_pnl >= 1_000_000:
        return "money_printer"
    if all_time_pnl >= 100_000:
        return "smart_money"
    return "other"


def qualifies(row: LeaderboardRow, rule: LeaderboardRule) -> bool:
    pnl, month_pnl, month_vlm = row.pnl("allTime"), row.pnl("month"), row.volume("month")
    if pnl is None or month_pnl is None or month_vlm is None or row.account_value is None:
        return False
    if pnl < rule.min_all_time_pnl or month_pnl <= rule.min_month_pnl or month_vlm < rule.min_month_volume:
        return False
    if row.account_value < rule.min_account_value:
        return False
    if rule.max_volume_to_pnl is not None:
        volume = row.volume("allTime")
        if volume is None or pnl <= 0 or volume / pnl > rule.max_volume_to_pnl:
            return False
    return row.address not in {a.lower() for a in rule.exclude}


def select(rows: Sequence[LeaderboardRow], rule: LeaderboardRule) -> list[WalletSpec]:
    """The wallets the rule picks from leaderboard rows, best all-time PnL first."""
    chosen = [r for r in rows if qualifies(r, rule)]
    chosen.sort(key=lambda r: (-(r.pnl("allTime") or 0.0), r.address))
    seen: set[str] = set()
    out: list[WalletSpec] = []
    for row in chosen:
        if row.address in seen:
            continue
        seen.add(row.address)
        out.append(WalletSpec(row.address, row.display_name or "", cohort_of(row.pnl("allTime") or 0.0)))
        if len(out) >= rule.max_wallets:
            break
    return out


def build_set(
    configured: Sequence[WalletSpec],
    rows: Sequence[LeaderboardRow] | None = None,
    rule: LeaderboardRule | None = None,
) -> WalletSet:
    """The configured wallets plus (when a rule and rows are given) the leaderboard's picks.

    A configured wallet keeps its own label and cohort when the leaderboard picks it too.
    """
    members = {w.address: w for w in configured}
    parts = [f"config ({len(configured)} wallets)"] if configured else []
    if rule is not None and rows is not None:
        for spec in select(rows, rule):
            members.setdefault(spec.address, spec)
        parts.append(rule.text())
    wallets = tuple(sorted(members.values(), key=lambda w: w.address))
    return WalletSet(wallets, " + ".join(parts) or "empty")
