"""What the watched-wallets feature speaks: wallets, the set they form, and their positions over time.

A position's direction is the sign of `szi` (coins; > 0 long, < 0 short). `unrealized_pnl` is
recomputed as szi × (mark − entry) from ONE mark snapshot per poll (metaAndAssetCtxs), so a sum over
wallets is consistent; the venue's own figure is kept as `venue_pnl` for comparison.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import msgspec

Direction = Literal["long", "short"]
LONG: Direction = "long"
SHORT: Direction = "short"


class WalletError(ValueError):
    """A response or setting that cannot be used; str() is one line naming the wallet and request."""


class WalletSpec(msgspec.Struct, frozen=True):
    address: str  # 0x… lower-case
    label: str = ""
    cohort: str = ""


class WalletSet(msgspec.Struct, frozen=True):
    """The watched wallets, the rule that chose them (text), and a hash that identifies the set."""

    wallets: tuple[WalletSpec, ...]
    rule: str  # e.g. "config" or "leaderboard: allTime pnl >= 1000000, …"

    @property
    def hash(self) -> str:
        return set_hash(self.wallets, self.rule)

    def by_address(self) -> dict[str, WalletSpec]:
        return {w.address: w for w in self.wallets}


def set_hash(wallets: tuple[WalletSpec, ...] | list[WalletSpec], rule: str) -> str:
    """sha256 (hex) over the rule and the sorted addresses with their label and cohort.

    The order wallets were listed or ranked in does not change it; any member, label, cohort or rule
    parameter does.
    """
    lines = [rule, *sorted(f"{w.address}\t{w.label}\t{w.cohort}" for w in wallets)]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def normalize_address(address: str) -> str:
    """'0xABC…' → '0xabc…'; WalletError unless 0x + 40 hex digits."""
    text = address.strip().lower()
    if len(text) != 42 or not text.startswith("0x") or any(c not in "0123456789abcdef" for c in text[2:]):
        raise WalletError(f"wallet address {address!r}: expected 0x followed by 40 hex digits")
    return text


class AssetCtx(msgspec.Struct, frozen=True):
    """One perp market's context from metaAndAssetCtxs."""

    coin: str
    mark_px: float
    oracle_px: float | None = None
    funding: float | None = None  # hourly rate
    open_interest: float | None = None  # coins
    max_leverage: int | None = None


class PositionSnapshot(msgspec.Struct, frozen=True):
    """One wallet's position in one coin at one poll."""

    ts: int  # poll time, ms
    wallet: str
    coin: str
    szi: float  # signed size, coins
    entry_px: float
    mark_px: float  # the poll's mark (metaAndAssetCtxs), else implied by positionValue / |szi|
    position_value: float  # |szi| × mark, USD
    unrealized_pnl: float  # szi × (mark − entry), recomputed
    venue_pnl: float | None = None  # the venue's unrealizedPnl, as reported
    liquidation_px: float | None = None
    leverage_type: str | None = None  # "cross" | "isolated"
    leverage: float | None = None
    margin_used: float | None = None
    funding_since_open: float | None = None  # cumFunding.sinceOpen (positive = paid)
    cohort: str = ""
    label: str = ""
    set_hash: str = ""

    @property
    def direction(self) -> Direction:
        return LONG if self.szi > 0 else SHORT


class WalletPoll(msgspec.Struct, frozen=True):
    """One wallet polled once: its account value and every open position (none: flat)."""

    ts: int
    wallet: str
    account_value: float | None
    positions: tuple[PositionSnapshot, ...]
    set_hash: str = ""


class WalletFill(msgspec.Struct, frozen=True):
    """One fill of a watched wallet; `liquidation` when the wallet itself was liquidated by it."""

    wallet: str
    coin: str
    ts: int
    px: float
    sz: float  # coins
    side: str  # "B" buy | "A" sell
    direction: str  # the venue's "dir", e.g. "Close Long"
    closed_pnl: float | None
    tid: int
    liquidation: bool = False
    liquidation_method: str | None = None  # "market" | "backstop"
    liquidation_mark_px: float | None = None

    @property
    def usd(self) -> float:
        return self.sz * self.px

    @property
    def position_side(self) -> Direction:
        """The side of the position the fill reduced (a sell closes a long)."""
        return LONG if self.side == "A" else SHORT
