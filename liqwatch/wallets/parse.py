"""Pure, tolerant parsers of Hyperliquid's POST /info answers and the stats leaderboard.

The schema has gained and lost fields over time (2023 captures carry `maxTradeSzs` and lack
`maxLeverage`, `cumFunding`, `time`; today's carry them): unknown fields are ignored, missing
optional ones become None, numbers are accepted as decimal strings or JSON numbers. Anything that
cannot be read raises WalletError with one line naming the request and the wallet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import msgspec

from liqwatch.wallets.model import AssetCtx, PositionSnapshot, WalletError, WalletFill, WalletPoll, WalletSpec

Num = str | float | int | None


class _Leverage(msgspec.Struct):
    type: str | None = None
    value: Num = None


class _CumFunding(msgspec.Struct):
    sinceOpen: Num = None


class _Position(msgspec.Struct):
    coin: str
    szi: Num
    entryPx: Num = None
    positionValue: Num = None
    unrealizedPnl: Num = None
    liquidationPx: Num = None
    marginUsed: Num = None
    leverage: _Leverage | None = None
    cumFunding: _CumFunding | None = None


class _AssetPosition(msgspec.Struct):
    position: _Position


class _MarginSummary(msgspec.Struct):
    accountValue: Num = None


class _Clearinghouse(msgspec.Struct):
    assetPositions: list[_AssetPosition] = []
    marginSummary: _MarginSummary | None = None


class _Universe(msgspec.Struct):
    name: str
    maxLeverage: int | None = None


class _Meta(msgspec.Struct):
    universe: list[_Universe]


class _Ctx(msgspec.Struct):
    markPx: Num = None
    oraclePx: Num = None
    funding: Num = None
    openInterest: Num = None


class _FillLiquidation(msgspec.Struct):
    liquidatedUser: str | None = None
    markPx: Num = None
    method: str | None = None


class _Fill(msgspec.Struct):
    coin: str
    px: Num
    sz: Num
    side: str
    time: int
    tid: int = 0
    dir: str = ""
    closedPnl: Num = None
    liquidation: _FillLiquidation | None = None


class _Perf(msgspec.Struct):
    pnl: Num = None
    roi: Num = None
    vlm: Num = None


class _Row(msgspec.Struct):
    ethAddress: str
    accountValue: Num = None
    displayName: str | None = None
    windowPerformances: list[tuple[str, _Perf]] = []


class _Leaderboard(msgspec.Struct):
    leaderboardRows: list[_Row]


class LeaderboardRow(msgspec.Struct, frozen=True):
    address: str
    account_value: float | None
    display_name: str | None
    # window ("day" | "week" | "month" | "allTime") → (pnl, roi, volume)
    windows: dict[str, tuple[float | None, float | None, float | None]]

    def pnl(self, window: str) -> float | None:
        return self.windows.get(window, (None, None, None))[0]

    def volume(self, window: str) -> float | None:
        return self.windows.get(window, (None, None, None))[2]


_clearinghouse = msgspec.json.Decoder(_Clearinghouse)
_meta_and_ctxs = msgspec.json.Decoder(tuple[_Meta, list[_Ctx]])
_fills = msgspec.json.Decoder(list[_Fill])
_leaderboard = msgspec.json.Decoder(_Leaderboard)


def number(value: Num, what: str) -> float | None:
    """A finite float from "123.4" / 123.4; None for null or ""; ValueError naming `what` otherwise."""
    if value is None or value == "":
        return None
    try:
        out = float(value)
    except ValueError:
        raise ValueError(f"{what} is not a number: {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{what} is not finite: {value!r}")
    return out


def _required(value: Num, what: str) -> float:
    out = number(value, what)
    if out is None:
        raise ValueError(f"{what} is missing")
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parse_clearinghouse(
    body: bytes,
    wallet: WalletSpec,
    ts: int,
    marks: Mapping[str, float] | None = None,
    set_hash: str = "",
) -> WalletPoll:
    """One wallet's clearinghouseState → its WalletPoll at `ts`.

    `marks` (coin → mark price, from the same poll's metaAndAssetCtxs) is the mark every PnL is
    recomputed with; a coin without a mark falls back to the implied mark positionValue / |szi|.
    Zero-size rows are dropped.
    """
    where = f"clearinghouseState for {wallet.address}"
    try:
        state = _clearinghouse.decode(body)
        positions = tuple(
            p
            for item in state.assetPositions
            if (p := _position(item.position, wallet, ts, marks or {}, set_hash)) is not None
        )
        account = number(state.marginSummary.accountValue, "accountValue") if state.marginSummary else None
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
        raise WalletError(f"{where}: {_first_line(exc)}") from None
    return WalletPoll(ts, wallet.address, account, positions, set_hash)


def _position(
    p: _Position, wallet: WalletSpec, ts: int, marks: Mapping[str, float], set_hash: str
) -> PositionSnapshot | None:
    szi = _required(p.szi, f"{p.coin} szi")
    if szi == 0:
        return None
    entry = _required(p.entryPx, f"{p.coin} entryPx")
    value = number(p.positionValue, f"{p.coin} positionValue")
    mark = marks.get(p.coin)
    if mark is None:
        if value is None:
            raise ValueError(f"{p.coin}: no mark price (not in metaAndAssetCtxs, no positionValue)")
        mark = value / abs(szi)
    lev = p.leverage
    return PositionSnapshot(
        ts=ts,
        wallet=wallet.address,
        coin=p.coin,
        szi=szi,
        entry_px=entry,
        mark_px=mark,
        position_value=abs(szi) * mark,
        unrealized_pnl=szi * (mark - entry),
        venue_pnl=number(p.unrealizedPnl, f"{p.coin} unrealizedPnl"),
        liquidation_px=number(p.liquidationPx, f"{p.coin} liquidationPx"),
        leverage_type=lev.type if lev else None,
        leverage=number(lev.value, f"{p.coin} leverage") if lev else None,
        margin_used=number(p.marginUsed, f"{p.coin} marginUsed"),
        funding_since_open=number(p.cumFunding.sinceOpen, f"{p.coin} cumFunding") if p.cumFunding else None,
        cohort=wallet.cohort,
        label=wallet.label,
        set_hash=set_hash,
    )


def parse_meta_and_ctxs(body: bytes) -> dict[str, AssetCtx]:
    """metaAndAssetCtxs → coin → AssetCtx (contexts are aligned by index with meta.universe)."""
    try:
        meta, ctxs = _meta_and_ctxs.decode(body)
        if len(ctxs) != len(meta.universe):
            raise ValueError(f"{len(meta.universe)} markets but {len(ctxs)} contexts")
        out: dict[str, AssetCtx] = {}
        for asset, ctx in zip(meta.universe, ctxs, strict=True):
            mark = number(ctx.markPx, f"{asset.name} markPx")
            if mark is None:
                continue  # a market without a mark (delisted) prices nothing
            out[asset.name] = AssetCtx(
                coin=asset.name,
                mark_px=mark,
                oracle_px=number(ctx.oraclePx, f"{asset.name} oraclePx"),
                funding=number(ctx.funding, f"{asset.name} funding"),
                open_interest=number(ctx.openInterest, f"{asset.name} openInterest"),
                max_leverage=asset.maxLeverage,
            )
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
        raise WalletError(f"metaAndAssetCtxs: {_first_line(exc)}") from None
    return out


def parse_user_fills(body: bytes, wallet: str) -> list[WalletFill]:
    """userFills → the wallet's fills; a fill carrying a `liquidation` block whose liquidatedUser is the
    wallet (or absent) is the wallet's liquidation (the block is attached to both counterparties)."""
    try:
        fills = _fills.decode(body)
        return [_fill(f, wallet) for f in fills]
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
        raise WalletError(f"userFills for {wallet}: {_first_line(exc)}") from None


def _fill(f: _Fill, wallet: str) -> WalletFill:
    liq = f.liquidation
    liquidated = liq is not None and (liq.liquidatedUser is None or liq.liquidatedUser.lower() == wallet)
    return WalletFill(
        wallet=wallet,
        coin=f.coin,
        ts=f.time,
        px=_required(f.px, f"{f.coin} px"),
        sz=_required(f.sz, f"{f.coin} sz"),
        side=f.side,
        direction=f.dir,
        closed_pnl=number(f.closedPnl, f"{f.coin} closedPnl"),
        tid=f.tid,
        liquidation=liquidated,
        liquidation_method=liq.method if liq and liquidated else None,
        liquidation_mark_px=number(liq.markPx, "liquidation markPx") if liq and liquidated else None,
    )


def parse_leaderboard(body: bytes) -> list[LeaderboardRow]:
    """The stats leaderboard → rows (a row whose numbers cannot be read is skipped, not fatal)."""
    try:
        board = _leaderboard.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise WalletError(f"leaderboard: {_first_line(exc)}") from None
    rows: list[LeaderboardRow] = []
    for row in board.leaderboardRows:
        try:
            windows = {
                name: (number(p.pnl, "pnl"), number(p.roi, "roi"), number(p.vlm, "vlm"))
                for name, p in row.windowPerformances
            }
            rows.append(
                LeaderboardRow(
                    row.ethAddress.lower(), number(row.accountValue, "accountValue"), row.displayName, windows
                )
            )
        except ValueError:
            continue
    return rows
