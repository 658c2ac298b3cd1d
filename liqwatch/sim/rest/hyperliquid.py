"""Hyperliquid's POST /info (clearinghouseState, metaAndAssetCtxs, userFills) and the stats leaderboard
(GET /Mainnet/leaderboard), answered from scenario state. Pure.

The scenario holds `WALLETS` generated wallets (deterministic from the seed) with known positions:
entry prices near the marks when they open, marks that follow the simulator's PriceBook. So a
client's unrealized PnL is known exactly: Σ szi × (mark − entry). Liquidation prices follow the
documented formula (research/analytics.md §4.3), written here independently of liqwatch.wallets.

The positions obey the margin rules, for as long as the tape runs: each opens with margin above
its maintenance requirement and its liquidation price at least `LIQ_BUFFER` beyond the mark (the
leverage is lowered until it is); a wallet holds at most one cross position (the others are
isolated), so every liquidation price is fixed for the position's life — a long's below its entry,
a short's above. When the price path (the book's 1-minute bars) reaches a position's liquidation
price, `HyperliquidState.advance` liquidates it: it leaves the account, its margin is lost, and a
fill with Hyperliquid's `liquidation` field appears in the wallet's userFills. So no answer ever
shows a live position whose mark is beyond its liquidation price.
Weights are Hyperliquid's documented ones (1200 per minute per IP): clearinghouseState 2,
metaAndAssetCtxs 20, userFills 20 + 1 per 20 fills returned.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import msgspec

from liqwatch.sim import markets as mk
from liqwatch.sim.rest.common import Reply, json_reply
from liqwatch.sim.tape import PriceBook

WALLETS = 24
LIQ_BUFFER = 0.01  # a new position's liquidation price lies at least 1% beyond its mark
WEIGHT_PER_MIN = 1200
WEIGHTS = {"clearinghouseState": 2, "l2Book": 2, "allMids": 2, "userRole": 60}
DEFAULT_WEIGHT = 20


@dataclass(frozen=True)
class HlMarket:
    name: str  # Hyperliquid's coin name (kPEPE: 1000 PEPE)
    coin: str  # the simulator's coin
    bundle: int
    max_leverage: int
    sz_decimals: int


HL_MARKETS = (
    HlMarket("BTC", "BTC", 1, 40, 5),
    HlMarket("ETH", "ETH", 1, 25, 4),
    HlMarket("SOL", "SOL", 1, 20, 2),
    HlMarket("XRP", "XRP", 1, 20, 0),
    HlMarket("DOGE", "DOGE", 1, 10, 0),
    HlMarket("kPEPE", "PEPE", 1000, 10, 0),
    HlMarket("BNB", "BNB", 1, 10, 3),
    HlMarket("SUI", "SUI", 1, 10, 1),
    HlMarket("LINK", "LINK", 1, 10, 1),
)
BY_NAME = {m.name: m for m in HL_MARKETS}
_OI_USD = {"BTC": 6e9, "ETH": 3e9, "SOL": 8e8, "XRP": 6e8, "DOGE": 4e8, "BNB": 2e8}


def sig(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}")


def text(value: float) -> str:
    return repr(float(value))


@dataclass(frozen=True)
class SimPosition:
    coin: str  # Hyperliquid name
    szi: float
    entry_px: float
    leverage: int
    isolated: bool

    @property
    def isolated_margin(self) -> float:
        return abs(self.szi) * self.entry_px / self.leverage


@dataclass(frozen=True)
class SimWallet:
    address: str
    name: str
    deposit: float  # account value before unrealized PnL
    positions: tuple[SimPosition, ...]
    all_time_pnl: float
    month_pnl: float
    month_volume: float
    liquidated_coin: str | None  # a past liquidation in its fills


@dataclass(frozen=True)
class Liquidated:
    """A position the price path liquidated (HyperliquidState.advance)."""

    position: SimPosition
    px: float  # its liquidation price
    time: int  # ms: the minute the path reached it
    margin: float  # what it lost


def liquidation_px(p: SimPosition, margin: float) -> float:
    """The fixed liquidation price of a position backed by `margin` (its isolated margin, or the
    account's cross value at entry): the documented formula, in which the mark cancels out."""
    lev = 1 / (2 * BY_NAME[p.coin].max_leverage)
    per_coin = margin / abs(p.szi)
    return (p.entry_px - per_coin) / (1 - lev) if p.szi > 0 else (p.entry_px + per_coin) / (1 + lev)


def crossed(p: SimPosition, liq: float, mark: float) -> bool:
    """Has the mark reached the liquidation price (a long's from above, a short's from below)?"""
    return mark <= liq if p.szi > 0 else mark >= liq


def _clear_of_mark(p: SimPosition, liq: float, mark: float) -> bool:
    return liq < mark * (1 - LIQ_BUFFER) if p.szi > 0 else liq > mark * (1 + LIQ_BUFFER)


def _open_position(rng: random.Random, market: HlMarket, mark: float, isolated: bool) -> SimPosition:
    """A position near `mark` whose isolated liquidation price is clear of it (leverage lowered until it is)."""
    entry = sig(mark * (1 + rng.uniform(-0.04, 0.04)))
    usd = rng.choice((20_000.0, 100_000.0, 500_000.0, 2_000_000.0)) * rng.uniform(0.5, 1.5)
    size = round(usd / entry, market.sz_decimals) or 10.0**-market.sz_decimals
    side = 1 if rng.random() < 0.5 else -1
    leverage = rng.randint(2, market.max_leverage)
    while True:
        p = SimPosition(market.name, side * size, entry, leverage, isolated)
        if leverage <= 2 or _clear_of_mark(p, liquidation_px(p, p.isolated_margin), mark):
            return p
        leverage -= 1


def generate_wallets(seed: int, count: int = WALLETS, marks: dict[str, float] | None = None) -> list[SimWallet]:
    """`count` wallets, the same for the same seed and marks (default: the coins' starting prices):
    addresses, deposits, positions, leaderboard figures."""
    rng = random.Random(f"liqwatch-sim/hyperliquid/wallets/{seed}")
    out: list[SimWallet] = []
    for i in range(count):
        address = "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40))
        positions: list[SimPosition] = []
        cross_taken = False
        for market in rng.sample(HL_MARKETS, rng.randint(0 if i % 7 == 6 else 1, 4)):
            mark = marks[market.name] if marks else sig(mk.COINS[market.coin][0] * market.bundle)
            isolated = cross_taken or rng.random() < 0.4
            cross_taken = cross_taken or not isolated
            positions.append(_open_position(rng, market, mark, isolated))
        isolated_margin = sum(p.isolated_margin for p in positions if p.isolated)
        cross = [p for p in positions if not p.isolated]
        # the cross position's equity: its initial margin and a cushion (an account leverage of 1.5–10×)
        equity = sum(abs(p.szi) * p.entry_px / rng.uniform(1.5, min(10.0, p.leverage)) for p in cross)
        deposit = round(isolated_margin + equity + rng.uniform(50_000, 500_000), 2)
        for p in cross:  # clear of the mark at open, as the isolated ones are
            mark = marks[p.coin] if marks else sig(mk.COINS[BY_NAME[p.coin].coin][0] * BY_NAME[p.coin].bundle)
            while not _clear_of_mark(p, liquidation_px(p, deposit - isolated_margin), mark):
                deposit = round(deposit + abs(p.szi) * p.entry_px * 0.05, 2)
        all_time = round(rng.choice((-1.0, 0.2, 1.0, 3.0)) * rng.uniform(80_000, 4_000_000), 2)
        out.append(
            SimWallet(
                address,
                f"sim-whale-{i + 1}" if i % 3 == 0 else "",
                deposit,
                tuple(positions),
                all_time,
                round(rng.uniform(-200_000, 600_000), 2),
                round(rng.uniform(100_000, 50_000_000), 2),
                rng.choice(tuple(BY_NAME)) if i % 5 == 1 else None,
            )
        )
    return out


class HyperliquidState:
    """The scenario's wallets, addressable by address, opened at `opened_ms` at `marks`; `advance`
    liquidates the positions the price path has reached since."""

    def __init__(
        self, seed: int, count: int = WALLETS, marks: dict[str, float] | None = None, opened_ms: int = 0
    ) -> None:
        self.wallets = generate_wallets(seed, count, marks)
        self.by_address = {w.address: w for w in self.wallets}
        self.checked_ms = opened_ms  # the price path is checked up to this minute (exclusive)
        self.liquidated: dict[str, list[Liquidated]] = {}

    def advance(self, book: PriceBook, now_ms: int) -> list[Liquidated]:
        """Liquidate every position whose coin's 1-minute range (its mark, 6 significant digits) reached
        its liquidation price between the last check and `now_ms`; returns them."""
        start = self.checked_ms - self.checked_ms % 60_000
        if now_ms < start:
            return []
        ranges: dict[str, list[tuple[int, float, float]]] = {}
        for m in HL_MARKETS:
            bars = book.bars(m.coin, start, now_ms)
            ranges[m.name] = [(t, sig(low * m.bundle), sig(high * m.bundle)) for t, _, high, low, _ in bars]
        found: list[Liquidated] = []
        for index, wallet in enumerate(self.wallets):
            kept: list[SimPosition] = []
            deposit = wallet.deposit
            isolated_margin = sum(p.isolated_margin for p in wallet.positions if p.isolated)
            for p in wallet.positions:
                margin = p.isolated_margin if p.isolated else wallet.deposit - isolated_margin
                liq = liquidation_px(p, margin)
                hit = next((t for t, low, high in ranges[p.coin] if crossed(p, liq, low if p.szi > 0 else high)), None)
                if hit is None:
                    kept.append(p)
                    continue
                gone = Liquidated(p, sig(liq), max(hit, self.checked_ms), margin)
                found.append(gone)
                self.liquidated.setdefault(wallet.address, []).append(gone)
                deposit -= margin
            if len(kept) != len(wallet.positions):
                changed = replace(wallet, positions=tuple(kept), deposit=round(max(deposit, 0.0), 2))
                self.wallets[index] = changed
                self.by_address[wallet.address] = changed
        self.checked_ms = now_ms // 60_000 * 60_000  # the current minute is checked again next time
        return found


def marks(book: PriceBook) -> dict[str, float]:
    """Hyperliquid's mark per market now (6 significant digits, like its wire prices)."""
    return {m.name: sig(book.last(m.coin) * m.bundle) for m in HL_MARKETS}


def meta_and_asset_ctxs(book: PriceBook, now_ms: int) -> list[Any]:
    prices = marks(book)
    universe = [{"name": m.name, "szDecimals": m.sz_decimals, "maxLeverage": m.max_leverage} for m in HL_MARKETS]
    ctxs = []
    for m in HL_MARKETS:
        mark = prices[m.name]
        ctxs.append(
            {
                "dayNtlVlm": text(sig(_OI_USD.get(m.coin, 1.2e8) * 2)),
                "funding": f"{0.0000125 * (1 + (now_ms // 3_600_000) % 3):.7f}",
                "impactPxs": [text(sig(mark * 0.9999)), text(sig(mark * 1.0001))],
                "markPx": text(mark),
                "midPx": text(mark),
                "openInterest": text(sig(_OI_USD.get(m.coin, 1.2e8) / mark)),
                "oraclePx": text(sig(mark * 1.0002)),
                "premium": "0.0001",
                "prevDayPx": text(sig(mark * 0.98)),
            }
        )
    return [{"universe": universe, "marginTables": [], "collateralToken": 0}, ctxs]


def _maintenance(p: SimPosition, mark: float) -> float:
    return abs(p.szi) * mark / (2 * BY_NAME[p.coin].max_leverage)


def clearinghouse_state(wallet: SimWallet | None, book: PriceBook, now_ms: int) -> dict[str, Any]:
    """Today's schema; a wallet the scenario does not know is an empty account (like the real API)."""
    prices = marks(book)
    positions = wallet.positions if wallet else ()
    upnl = {p.coin: p.szi * (prices[p.coin] - p.entry_px) for p in positions}
    cross = [p for p in positions if not p.isolated]
    isolated_margin = sum(p.isolated_margin + upnl[p.coin] for p in positions if p.isolated)
    cross_value = (wallet.deposit if wallet else 0.0) - sum(p.isolated_margin for p in positions if p.isolated)
    cross_value += sum(upnl[p.coin] for p in cross)
    cross_mm = sum(_maintenance(p, prices[p.coin]) for p in cross)
    cross_margin = (wallet.deposit if wallet else 0.0) - sum(p.isolated_margin for p in positions if p.isolated)
    rows = []
    for p in positions:
        mark = prices[p.coin]
        if p.isolated:
            margin = p.isolated_margin + upnl[p.coin]
            liq = liquidation_px(p, p.isolated_margin)  # = mark − side × available / |szi| / (1 − l × side)
        else:
            margin = abs(p.szi) * mark / p.leverage
            liq = liquidation_px(p, cross_margin)  # available = cross value − cross maintenance
        leverage: dict[str, Any] = {"type": "isolated" if p.isolated else "cross", "value": p.leverage}
        if p.isolated:
            leverage["rawUsd"] = text(margin - p.szi * mark)
        rows.append(
            {
                "position": {
                    "coin": p.coin,
                    "cumFunding": {"allTime": "12.5", "sinceChange": "1.25", "sinceOpen": "2.5"},
                    "entryPx": text(p.entry_px),
                    "leverage": leverage,
                    "liquidationPx": text(liq) if liq > 0 else None,
                    "marginUsed": text(margin),
                    "maxLeverage": BY_NAME[p.coin].max_leverage,
                    "positionValue": text(abs(p.szi) * mark),
                    "returnOnEquity": text(upnl[p.coin] / (abs(p.szi) * p.entry_px / p.leverage)),
                    "szi": text(p.szi),
                    "unrealizedPnl": text(upnl[p.coin]),
                },
                "type": "oneWay",
            }
        )
    account = cross_value + isolated_margin
    total_ntl = sum(abs(p.szi) * prices[p.coin] for p in positions)
    summary = {
        "accountValue": text(account),
        "totalMarginUsed": "0.0",
        "totalNtlPos": text(total_ntl),
        "totalRawUsd": "0.0",
    }
    return {
        "assetPositions": rows,
        "crossMaintenanceMarginUsed": text(cross_mm),
        "crossMarginSummary": summary | {"accountValue": text(cross_value)},
        "marginSummary": summary,
        "time": now_ms,
        "withdrawable": text(max(0.0, cross_value - cross_mm * 2)),
    }


def user_fills(wallet: SimWallet | None, now_ms: int, liquidated: Sequence[Liquidated] = ()) -> list[dict[str, Any]]:
    """The fills that opened each position (an hour ago), for some wallets a past liquidation, and
    the liquidations of positions the price path reached (HyperliquidState.advance)."""
    if wallet is None:
        return []
    fills = []
    for i, p in enumerate(wallet.positions):
        fills.append(_fill(wallet, p.coin, p.entry_px, p.szi, now_ms - 3_600_000 - i * 1000, i + 1))
    for i, gone in enumerate(liquidated):
        p = gone.position
        fill = _fill(wallet, p.coin, gone.px, -p.szi, gone.time, 50 + i % 40, closing=True)
        fill["closedPnl"] = text(-gone.margin)
        fill["liquidation"] = {"liquidatedUser": wallet.address, "markPx": text(gone.px), "method": "market"}
        fills.append(fill)
    if wallet.liquidated_coin:
        coin = wallet.liquidated_coin
        px = sig(mk.COINS[BY_NAME[coin].coin][0] * BY_NAME[coin].bundle * 0.9)
        size = round(50_000 / px, BY_NAME[coin].sz_decimals) or 1.0
        liq = _fill(wallet, coin, px, -size, now_ms - 7_200_000, 99, closing=True)
        liq["liquidation"] = {"liquidatedUser": wallet.address, "markPx": text(px), "method": "market"}
        fills.append(liq)
    return sorted(fills, key=lambda f: -int(f["time"]))


def _fill(
    wallet: SimWallet, coin: str, px: float, signed: float, t: int, n: int, *, closing: bool = False
) -> dict[str, Any]:
    buy = signed > 0
    verb = ("Close Short" if buy else "Close Long") if closing else ("Open Long" if buy else "Open Short")
    return {
        "closedPnl": "-5000.0" if closing else "0.0",
        "coin": coin,
        "crossed": True,
        "dir": verb,
        "fee": "1.0",
        "feeToken": "USDC",
        "hash": "0x" + wallet.address[2:].ljust(64, "0"),
        "oid": int(wallet.address[2:10], 16) + n,
        "px": text(px),
        "side": "B" if buy else "A",
        "startPosition": text(-signed if closing else 0.0),
        "sz": text(abs(signed)),
        "time": t,
        "tid": int(wallet.address[2:12], 16) * 100 + n,
    }


def leaderboard(state: HyperliquidState) -> dict[str, Any]:
    """The stats leaderboard's shape: every scenario wallet with its windows' pnl/roi/volume."""
    rows = []
    for w in state.wallets:
        rows.append(
            {
                "ethAddress": w.address,
                "accountValue": text(w.deposit),
                "displayName": w.name or None,
                "windowPerformances": [
                    ["day", {"pnl": text(w.month_pnl / 30), "roi": "0.001", "vlm": text(w.month_volume / 30)}],
                    ["week", {"pnl": text(w.month_pnl / 4), "roi": "0.005", "vlm": text(w.month_volume / 4)}],
                    ["month", {"pnl": text(w.month_pnl), "roi": "0.02", "vlm": text(w.month_volume)}],
                    ["allTime", {"pnl": text(w.all_time_pnl), "roi": "0.4", "vlm": text(w.month_volume * 12)}],
                ],
            }
        )
    return {"leaderboardRows": rows}


class _InfoRequest(msgspec.Struct):
    type: str
    user: str | None = None


_request = msgspec.json.Decoder(_InfoRequest)


def request_type(body: bytes) -> str | None:
    try:
        return _request.decode(body).type
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def weight(kind: str | None, items: int = 0) -> int:
    """Hyperliquid's documented weight of an /info request (+1 per 20 items for userFills)."""
    base = WEIGHTS.get(kind or "", DEFAULT_WEIGHT)
    return base + (items // 20 if kind in ("userFills", "userFillsByTime") else 0)


def info(body: bytes, state: HyperliquidState, book: PriceBook, now_ms: int) -> tuple[Reply, int]:
    """Answer one POST /info body; the reply and the number of items it returned."""
    try:
        request = _request.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return Reply(422, b"Failed to deserialize the JSON body into the target type"), 0
    user = (request.user or "").lower()
    if request.type == "metaAndAssetCtxs":
        return json_reply(meta_and_asset_ctxs(book, now_ms)), 0
    if request.type in ("clearinghouseState", "userFills") and not user:
        return Reply(422, b"Failed to deserialize the JSON body into the target type"), 0
    state.advance(book, now_ms)
    if request.type == "clearinghouseState":
        return json_reply(clearinghouse_state(state.by_address.get(user), book, now_ms)), 0
    if request.type == "userFills":
        fills = user_fills(state.by_address.get(user), now_ms, state.liquidated.get(user, ()))
        return json_reply(fills), len(fills)
    return Reply(422, b"Failed to deserialize the JSON body into the target type"), 0
