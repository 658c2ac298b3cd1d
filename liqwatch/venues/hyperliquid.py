"""Hyperliquid (`hyperliquid`): market-wide liquidations from a node's fill files.

Docs: https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/nodes (hl-visor run-non-validator
        --write-fills; output under ~/hl/data)
      https://hyperliquid.gitbook.io/hyperliquid-docs/historical-data (s3://hl-mainnet-node-data,
        node_fills 2025-05-25 → 2025-07-27, node_fills_by_block from 2025-07-27, requester pays, .lz4)
      https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/info-endpoint (the fills format:
        coin, px, sz, side, time, startPosition, dir, closedPnl, hash, oid, crossed, fee, tid,
        liquidation?: {liquidatedUser, markPx, method})
      research/venues-2.md (Hyperliquid row); nktkas/hyperliquid issue #17 ("no API to get liquidation
        data for all users").

Hyperliquid publishes no market-wide liquidation stream (the public `trades` stream carries no
liquidation flag). A non-validator node started with `--write-fills` writes every fill on the chain:

- `node_fills/hourly/{YYYYMMDD}/{H}`: one `[user, fill]` JSON array per line;
- `node_fills_by_block/hourly/{YYYYMMDD}/{H}` (newer nodes, the public archive): one JSON object per
  block per line, `{"local_time", "block_time", "block_number", "events": [[user, fill], …]}`.

A frame is ONE such line (the capture journal keeps it verbatim); `parse` reads both shapes.

Event: a liquidation trade has two legs and the `liquidation` object rides on BOTH; the event is
the LIQUIDATED user's own fill (`user == liquidation.liquidatedUser`, case-insensitive), so the
liquidator's leg (HLP vault, a backstop liquidator or a book maker) is never counted twice.
If `liquidatedUser` is absent or null (optional in some SDKs' types), the liquidated leg is the one
whose `dir` starts with "Liquidated" (UNCONFIRMED: LIQUIDATED_DIR); the other leg is skipped.
Auto-deleveraging (`dir` "Auto-Deleveraging") is not a liquidation: no event, whatever it carries.
Side: `side` is the liquidated user's order side: "A" (ask, sell) closes a LONG, "B" (bid, buy)
  closes a SHORT. Checked against `startPosition` (the position before the fill): a sell must start
  from a long (> 0), a buy from a short (< 0); a contradiction is a BadFrame (never a guessed side).
Size: `sz` is in coins, `px` in USDC per coin: qty = sz, usd = sz × px exactly (USDC at par).
  `k`-prefixed perps (kPEPE, kSHIB …) trade 1000 coins per unit: coin PEPE, qty = sz × 1000,
  price = px / 1000 (`instruments.normalize_coin`).
Spot fills (coin "@107" or "PURR/USDC") are not derivative positions: skipped, even if flagged
  (UNCONFIRMED whether portfolio-margin borrow liquidations ever flag a spot fill).
HIP-3 builder-deployed perps (coin "dex:ASSET", e.g. "xyz:TSLA"): counted, symbol as written, coin
  the normalized ASSET; their collateral token is not in the fill, so usd is null (unpriced) unless
  HIP3_USD_AT_PAR says every dex settles in a USD stablecoin (UNCONFIRMED: False).
Time: `time` (ms, the block time). Id: `hyperliquid:{tid}:{user}` (`tid` is the trade id both legs
  share; the user makes it this leg's); fills without `tid` (2023 API captures) use
  `hyperliquid:{hash}:{oid}:{user}:{startPosition}:{sz}:{px}`.
Coverage: complete (every fill on chain is in the files).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from liqwatch.instruments import Catalogue, normalize_coin
from liqwatch.model import COMPLETE, LONG, SHORT, Liquidation
from liqwatch.numbers import BadNumber, exact_product2, positive
from liqwatch.venues.base import BadFrame, Frame, Heartbeat, VenueSpec

VENUE = "hyperliquid"
REST = "https://api.hyperliquid.xyz"
ADL_DIR = "Auto-Deleveraging"
# UNCONFIRMED: liquidated legs' `dir` reads "Liquidated Cross Long" / "Liquidated Isolated Short" (peers'
# fixtures); used only when a fill's liquidation object lacks `liquidatedUser`.
LIQUIDATED_DIR = "Liquidated"
# UNCONFIRMED: whether every HIP-3 dex's collateral is a USD stablecoin; until then no USD value.
HIP3_USD_AT_PAR = False
# A node writes fills continuously (blocks every ~0.1 s); this long without a new line is silence.
SILENCE_S = 60.0
NOT_COVERED = (
    "not covered: Hyperliquid publishes no market-wide liquidation feed; run a non-validator node with "
    "--write-fills and pass its data directory with --hyperliquid-node-dir (see README)"
)


class _Liquidation(msgspec.Struct):
    liquidatedUser: str | None = None
    markPx: str | None = None
    method: str | None = None


class _Fill(msgspec.Struct):
    coin: str
    px: str
    sz: str
    side: str
    time: int
    startPosition: str | None = None
    dir: str = ""
    hash: str = ""
    oid: int | None = None
    tid: int | None = None
    liquidation: _Liquidation | None = None


UserFill = tuple[str, _Fill]


class _Block(msgspec.Struct):
    events: list[UserFill]
    local_time: str | None = None
    block_time: str | None = None
    block_number: int | None = None


_decode_line = msgspec.json.Decoder(UserFill | _Block).decode


def user_fills(frame: Frame) -> list[UserFill]:
    """The (user, fill) pairs of one node-file line of either shape; BadFrame when it is neither."""
    try:
        decoded = _decode_line(frame)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadFrame(f"hyperliquid: not a node fills line ({str(exc).splitlines()[0]})") from None
    return decoded.events if isinstance(decoded, _Block) else [decoded]


def parse(frame: Frame, recv_ts: int, catalogue: Catalogue) -> list[Liquidation]:
    """The liquidations in one node-file line (most lines hold none)."""
    out: list[Liquidation] = []
    for user, fill in user_fills(frame):
        liquidation = fill.liquidation
        if liquidation is None or fill.dir == ADL_DIR:
            continue
        if liquidation.liquidatedUser:
            if user.lower() != liquidation.liquidatedUser.lower():
                continue  # the liquidator's leg of the same trade
        elif not fill.dir.startswith(LIQUIDATED_DIR):
            continue  # no liquidatedUser: only the leg whose dir says it was liquidated
        if fill.coin.startswith("@") or "/" in fill.coin:
            continue  # spot: not a derivative position
        out.append(_event(user.lower(), fill, recv_ts))
    return out


def _event(user: str, fill: _Fill, recv_ts: int) -> Liquidation:
    coin = fill.coin
    if fill.side == "A":
        side = LONG
    elif fill.side == "B":
        side = SHORT
    else:
        raise BadFrame(f"hyperliquid {coin}: unknown side {fill.side!r} (expected A or B)")
    try:
        price = positive(fill.px, f"{coin} px")
        size = positive(fill.sz, f"{coin} sz")
        start = float(fill.startPosition) if fill.startPosition is not None else None
    except (BadNumber, ValueError) as exc:
        raise BadFrame(f"hyperliquid {coin}: {exc}") from None
    if start is not None and (start <= 0 if side == LONG else start >= 0):
        raise BadFrame(
            f"hyperliquid {coin}: liquidated side {fill.side} contradicts startPosition {fill.startPosition} "
            f"(tid {fill.tid})"
        )
    dex, base, units = _coin(coin)
    qty = size * units
    usd: float | None = exact_product2(fill.sz, fill.px)
    if dex and not HIP3_USD_AT_PAR:
        usd = None
    if fill.tid is not None:
        event_id = f"{VENUE}:{fill.tid}:{user}"
    else:
        event_id = f"{VENUE}:{fill.hash}:{fill.oid}:{user}:{fill.startPosition}:{fill.sz}:{fill.px}"
    return Liquidation(
        venue=VENUE,
        symbol=coin,
        coin=base,
        side=side,
        price=price if units == 1 else float(Decimal(fill.px) / Decimal(int(units))),
        qty=qty,
        usd=usd,
        ts=fill.time,
        recv_ts=recv_ts,
        coverage=COMPLETE,
        id=event_id,
    )


_COINS: dict[str, tuple[str, str, float]] = {}  # coin → (HIP-3 dex, base coin, coins per unit); a few hundred


def _coin(coin: str) -> tuple[str, str, float]:
    found = _COINS.get(coin)
    if found is None:
        dex, _, asset = coin.rpartition(":")
        found = (dex, *normalize_coin(asset))
        if len(_COINS) < 100_000:
            _COINS[coin] = found
    return found


def is_data(frame: Frame) -> bool:
    """Every non-empty node-file line is data: the node writes nothing else."""
    return bool(frame.strip())


HYPERLIQUID_SPEC = VenueSpec(
    id=VENUE,
    coverage=COMPLETE,
    urls={},  # no WebSocket: feed/node_fills.py follows a node's files
    rest_base=REST,
    connections=lambda _urls, _catalogue: [],
    parse=parse,
    is_data=is_data,
    heartbeat=Heartbeat(interval_s=0.0),
    silence_s=SILENCE_S,
    notes="Market-wide from a non-validator node's fill files (--hyperliquid-node-dir); HIP-3 dex perps unpriced.",
)
