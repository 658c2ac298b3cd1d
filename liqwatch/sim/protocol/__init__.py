"""Each venue's WebSocket protocol as a server speaks it: URL paths, subscribe requests and acks,
envelopes, keep-alives, snapshots on subscribe, idle rules. Pure state machines (no sockets):
the server feeds them what a client sent and sends what they return.

Per venue (research/venues.md §12):

- Binance USD-M (`/market/stream`, `/market/ws[/streams]`, `/market/stream?streams=`) and COIN-M
  (`/stream`, `/ws[/streams]`): `{"method":"SUBSCRIBE","params":[…],"id":n}` → `{"result":null,"id":n}`;
  combined-stream paths wrap payloads in `{"stream","data"}`; the server sends WebSocket ping frames
  every 3 min and drops a connection after 24 h (of tape time). The legacy USD-M paths (`/ws`,
  `/stream` without `/market`) ack and then stay silent, as the real ones do since the 2026 split.
  Both hosts push the merged UM + CM `!forceOrder@arr` universe with `st`.
- Bybit (`/v5/public/linear|inverse`): `{"op":"subscribe","args":[…]}` → one ack per request;
  `{"op":"ping"}` → JSON pong; `tickers.*` sends a snapshot, then deltas; idle cut after 10 min.
- OKX (`/ws/v5/public`): one ack per arg; text `ping` → `pong`; the first push after subscribing to
  liquidation-orders replays the latest one (the quirk tardis-node works around); cut after 30 s
  without a message from the client.
- BitMEX (`/realtime[?subscribe=…]`): welcome frame, `{"success":true,"subscribe":…}` then a
  `partial` (the liquidation orders active now); text `ping` → `pong`.
- Deribit (`/ws/api/v2`): JSON-RPC; `public/set_heartbeat` makes the server send `test_request`s
  and close the connection when one goes unanswered by `public/test`.
- Bitget (`/v3/ws/public`): one ack per arg; text `ping` → `pong`; idle cut after 2 min.
- Gate (`/v4/ws/usdt|btc`): `{"time","channel","event":"subscribe","payload"}` → ack with
  `result.status`; `futures.ping` → `futures.pong`; the `X-Gate-Size-Decimal: 1` header switches
  sizes to decimal strings; `futures.contract_info` pushes the contracts on subscribe.
- Aster (`/stream`, `/ws[/streams]`): Binance's protocol (SUBSCRIBE acks, combined streams) and
  `!forceOrder@arr` payloads without `st`; server pings every 5 min, pong due within 15 min.
- dYdX v4 indexer (`/v4/ws`): `connected`, `{"type":"subscribe","channel":"v4_trades","id":…}` →
  `subscribed` with the market's recent trades (history), then `channel_batch_data`;
  `v4_block_height` ticks; errors as `{"type":"error","message"}`; at most 32 markets a channel;
  WebSocket ping frames every 30 s.
- Lighter (`/stream`): `connected`, `{"type":"subscribe","channel":"trade/{id}"}` →
  `subscribed/trade` with recent trades and liquidations (history), then `update/trade`;
  `{"type":"ping"}` → `{"type":"pong"}`; idle cut after 2 min.
- Kraken Futures (`/ws/v1`): info on connect, `{"event":"subscribe","feed":"trade","product_ids"}` →
  `subscribed` then a `trade_snapshot` per product replaying its latest liquidation trades; the
  `heartbeat` feed every 5 s once subscribed; the PF_XBTUSD `ticker_lite` and plain fills on
  PF_XBTUSD/PF_ETHUSD as companion data.
- Bitfinex (`/ws/2`): info event; `subscribe` acks assign channel ids, data frames carry this
  connection's ids; `hb` every 15 s per channel; `{"event":"ping"}` → `pong`; the tBTCUSD ticker.
- HTX (`/linear-swap-notification`, `/swap-notification`, `/notification`): every frame gzipped;
  `{"op":"ping","ts":"…"}` every 5 s, closed ("Bye") after 6 unanswered; `op: sub` acks with
  `err-code` (2014 for a topic the wildcard already covers).
- Hyperliquid (`/ws`, no liquidation feed): `subscriptionResponse`, `{"method":"ping"}` →
  `{"channel":"pong"}`, idle cut after 60 s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from liqwatch.model import LONG
from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.model import Push, truth
from liqwatch.sim.protocol.base import Close, Kind, Out, Route, Session, VenueState
from liqwatch.sim.protocol.binance import BinanceSession, binance_route, binance_stream_of
from liqwatch.sim.protocol.bitfinex import BitfinexSession, bitfinex_route
from liqwatch.sim.protocol.bitget import BITGET_INST_TYPES, BitgetSession, bitget_route
from liqwatch.sim.protocol.bitmex import BITMEX_TABLES, BitmexSession, bitmex_route
from liqwatch.sim.protocol.bybit import BYBIT_MAX_ARGS, BYBIT_TOPICS, BybitSession, bybit_route
from liqwatch.sim.protocol.deribit import (
    DERIBIT_INTERVALS,
    DERIBIT_MIN_HEARTBEAT,
    DeribitSession,
    deribit_channel_ok,
    deribit_route,
)
from liqwatch.sim.protocol.dydx import DydxSession, dydx_route
from liqwatch.sim.protocol.gate import GATE_CHANNELS, GateSession, gate_route
from liqwatch.sim.protocol.htx import HTX_PATHS, HtxSession, htx_route
from liqwatch.sim.protocol.hyperliquid import HyperliquidSession, hyperliquid_route
from liqwatch.sim.protocol.kraken_futures import KrakenFuturesSession, kraken_futures_route
from liqwatch.sim.protocol.lighter import LighterSession, lighter_route
from liqwatch.sim.protocol.okx import OKX_CHANNELS, OKX_INST_TYPES, OkxSession, okx_route

__all__ = [
    "BITGET_INST_TYPES",
    "BITMEX_TABLES",
    "BYBIT_MAX_ARGS",
    "BYBIT_TOPICS",
    "DERIBIT_INTERVALS",
    "DERIBIT_MIN_HEARTBEAT",
    "GATE_CHANNELS",
    "LIFETIME_TAPE_S",
    "OKX_CHANNELS",
    "OKX_INST_TYPES",
    "PATHS",
    "PROTOCOLS",
    "SERVER_PINGS",
    "SIM_VENUES",
    "BinanceSession",
    "BitfinexSession",
    "BitgetSession",
    "BitmexSession",
    "BybitSession",
    "Close",
    "DeribitSession",
    "DydxSession",
    "GateSession",
    "HtxSession",
    "HyperliquidSession",
    "Kind",
    "KrakenFuturesSession",
    "LighterSession",
    "OkxSession",
    "Out",
    "Route",
    "Session",
    "VenueProtocol",
    "VenueState",
    "binance_route",
    "binance_stream_of",
    "bitfinex_route",
    "bitget_route",
    "bitmex_route",
    "bybit_route",
    "deribit_channel_ok",
    "deribit_route",
    "dydx_route",
    "gate_route",
    "htx_route",
    "hyperliquid_route",
    "kraken_futures_route",
    "lighter_route",
    "okx_route",
    "open_session",
    "split_target",
    "ticks",
]

SIM_VENUES = ("hyperliquid",)  # endpoints the simulator serves that liqwatch has no parser for

# WebSocket paths per venue and connection (the collector's URL overrides point here).
PATHS: dict[str, dict[str, str]] = {
    "binance_usdm": {"market": "/market/stream"},
    "binance_coinm": {"market": "/stream"},
    "bybit": {"linear": "/v5/public/linear", "inverse": "/v5/public/inverse"},
    "okx": {"public": "/ws/v5/public"},
    "bitmex": {"realtime": "/realtime"},
    "deribit": {"ws": "/ws/api/v2"},
    "bitget": {"public": "/v3/ws/public"},
    "gate": {"usdt": "/v4/ws/usdt", "btc": "/v4/ws/btc"},
    "dydx": {"ws": "/v4/ws"},
    "lighter": {"stream": "/stream"},
    "kraken_futures": {"ws": "/ws/v1"},
    "bitfinex": {"public": "/ws/2"},
    "htx": {conn: path for path, conn in HTX_PATHS.items()},
    "hyperliquid": {"ws": "/ws"},
    "aster": {"market": "/stream"},
}

# Server-initiated WebSocket ping frames (interval, timeout) in seconds; None: the venue sends none.
SERVER_PINGS: dict[str, tuple[float, float] | None] = {
    "binance_usdm": (180.0, 600.0),
    "binance_coinm": (180.0, 600.0),
    "gate": (30.0, 60.0),
    "aster": (300.0, 900.0),  # docs: a ping every 5 min, a pong due within 15 min
    "dydx": (30.0, 10.0),
}
# Connection lifetime in TAPE seconds (compressed by --speed): Binance drops connections after 24 h.
LIFETIME_TAPE_S: dict[str, float] = {"binance_usdm": 86_400.0, "binance_coinm": 86_400.0, "aster": 86_400.0}


# ── registry ───────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class VenueProtocol:
    venue: str
    route: Callable[[str, Mapping[str, str]], Route | None]
    session: type[Session]


def _binance(venue: str) -> VenueProtocol:
    class _Session(BinanceSession):
        pass

    _Session.venue = venue
    return VenueProtocol(venue, lambda path, query: binance_route(venue, path, query), _Session)


PROTOCOLS: dict[str, VenueProtocol] = {
    "binance_usdm": _binance("binance_usdm"),
    "binance_coinm": _binance("binance_coinm"),
    "bybit": VenueProtocol("bybit", lambda p, q: bybit_route(p), BybitSession),
    "okx": VenueProtocol("okx", lambda p, q: okx_route(p), OkxSession),
    "bitmex": VenueProtocol("bitmex", lambda p, q: bitmex_route(p), BitmexSession),
    "deribit": VenueProtocol("deribit", lambda p, q: deribit_route(p), DeribitSession),
    "bitget": VenueProtocol("bitget", lambda p, q: bitget_route(p), BitgetSession),
    "gate": VenueProtocol("gate", lambda p, q: gate_route(p), GateSession),
    "dydx": VenueProtocol("dydx", lambda p, q: dydx_route(p), DydxSession),
    "lighter": VenueProtocol("lighter", lambda p, q: lighter_route(p), LighterSession),
    "kraken_futures": VenueProtocol("kraken_futures", lambda p, q: kraken_futures_route(p), KrakenFuturesSession),
    "bitfinex": VenueProtocol("bitfinex", lambda p, q: bitfinex_route(p), BitfinexSession),
    "htx": VenueProtocol("htx", lambda p, q: htx_route(p), HtxSession),
    "hyperliquid": VenueProtocol("hyperliquid", lambda p, q: hyperliquid_route(p), HyperliquidSession),
    "aster": _binance("aster"),  # Binance's protocol on Aster's host (`/ws/<stream>`, `/stream?streams=`)
}


def split_target(target: str) -> tuple[str, dict[str, str]]:
    """("/market/stream", {"streams": "a/b"}) from a request target "/market/stream?streams=a/b"."""
    parts = urlsplit(target)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return parts.path or "/", query


def open_session(venue: str, state: VenueState, target: str, headers: Mapping[str, str]) -> Session | None:
    """The session for a WebSocket request to `target` on `venue`'s server, or None (HTTP 404)."""
    protocol = PROTOCOLS[venue]
    path, query = split_target(target)
    route = protocol.route(path, query)
    if route is None:
        return None
    return protocol.session(state, route, query, {k.lower(): v for k, v in headers.items()})


# ── companion streams ──────────────────────────────────────────────────────────────────────────


def ticks(venue: str, state: VenueState) -> list[Push]:
    """One tick of every companion stream of `venue` (mark prices, tickers, plain trades)."""
    now = state.clock()
    btc, eth = state.price("BTC"), state.price("ETH")
    if venue == "binance_usdm":
        return [
            Push(now, venue, "market", "btcusdt@markPrice@1s", encode.binance_mark("BTCUSDT", btc, now)),
            Push(now, venue, "market", "ethusdt@markPrice@1s", encode.binance_mark("ETHUSDT", eth, now)),
        ]
    if venue == "binance_coinm":
        return [
            Push(now, venue, "market", "btcusd_perp@markPrice@1s", encode.binance_mark("BTCUSD_PERP", btc, now)),
            Push(now, venue, "market", "ethusd_perp@markPrice@1s", encode.binance_mark("ETHUSD_PERP", eth, now)),
        ]
    if venue == "aster":
        return [Push(now, venue, "market", "btcusdt@markPrice@1s", encode.binance_mark("BTCUSDT", btc, now))]
    if venue == "bybit":
        out = []
        for conn, symbol, price in (
            ("linear", "BTCUSDT", btc),
            ("linear", "ETHUSDT", eth),
            ("inverse", "BTCUSD", btc),
            ("inverse", "ETHUSD", eth),
        ):
            text = encode.bybit_ticker(symbol, price, now, next(state.sequence), False)
            out.append(Push(now, venue, conn, f"tickers.{symbol}", text))
        return out
    if venue == "okx":
        return [
            Push(now, venue, "public", f"mark-price:{inst}", encode.okx_mark(inst, price, now))
            for inst, price in (("BTC-USDT-SWAP", btc), ("ETH-USDT-SWAP", eth), ("BTC-USD-SWAP", btc))
        ]
    if venue == "bitmex":
        return [Push(now, venue, "realtime", "instrument:XBTUSD", encode.bitmex_instrument("XBTUSD", btc, now))]
    if venue == "deribit":
        out = []
        for currency, instrument, price in (
            ("BTC", "BTC-PERPETUAL", btc),
            ("ETH", "ETH-PERPETUAL", eth),
            ("USDC", "BTC_USDC-PERPETUAL", btc),
        ):
            trade_id = next(state.trade_ids)
            trade = encode.deribit_plain_trade(instrument, price, now, trade_id, bool(trade_id % 2))
            topic = f"trades.future.{currency}"
            out.append(Push(now, venue, "ws", topic, encode.deribit_notification(f"{topic}.100ms", [trade])))
        return out
    if venue == "bitget":
        return [
            Push(
                now,
                venue,
                "public",
                f"ticker:usdt-futures:{symbol}",
                encode.bitget_ticker("usdt-futures", symbol, p, now),
            )
            for symbol, p in (("BTCUSDT", btc), ("ETHUSDT", eth))
        ]
    if venue == "gate":
        return [
            Push(now, venue, conn, f"futures.tickers:{contract}", encode.gate_ticker(contract, price, now))
            for conn, contract, price in (("usdt", "BTC_USDT", btc), ("usdt", "ETH_USDT", eth), ("btc", "BTC_USD", btc))
        ]
    if venue == "dydx":
        height = now // 1000 - 1_700_000_000
        text = encode.dydx_block_height(height, now, encode.DYDX_CONNECTION, 0)
        return [Push(now, venue, "ws", "v4_block_height", text)]
    if venue == "lighter":
        m = mk.market("lighter", "1")
        if m is None:
            return []
        plain = truth(m, LONG, mk.price_text(m, btc), m.lot, now, str(next(state.trade_ids)))
        text = encode.lighter_update("1", [encode.lighter_trade(plain, "trade")], [], now)
        return [Push(now, venue, "stream", "trade/1", text)]
    if venue == "kraken_futures":
        ticker = Push(now, venue, "ws", "ticker_lite:PF_XBTUSD", encode.kraken_ticker_lite("PF_XBTUSD", btc, now))
        fills = [
            Push(now, venue, "ws", f"trade:{product}", encode.dumps(encode.kraken_fill(product, p, now, seq)))
            for seq in (next(state.sequence),)
            for product, p in (("PF_XBTUSD", btc), ("PF_ETHUSD", eth))
        ]
        return [ticker, *fills]
    if venue == "bitfinex":
        return [Push(now, venue, "public", "ticker:tBTCUSD", encode.bitfinex_ticker(0, btc))]
    if venue == "hyperliquid":
        return [
            Push(now, venue, "ws", f"trades:{coin}", encode.hyperliquid_trades(coin, price, now, next(state.trade_ids)))
            for coin, price in (("BTC", btc), ("ETH", eth))
        ]
    return []
