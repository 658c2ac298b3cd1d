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
- Hyperliquid (`/ws`, no liquidation feed): `subscriptionResponse`, `{"method":"ping"}` →
  `{"channel":"pong"}`, idle cut after 60 s.
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qs, urlsplit

import msgspec

from liqwatch.sim import encode, rest
from liqwatch.sim import markets as mk
from liqwatch.sim.encode import dumps
from liqwatch.sim.model import Liq, Push
from liqwatch.sim.tape import PriceBook

Kind = Literal["control", "pong", "data"]


class Out(NamedTuple):
    kind: Kind  # control: acks, errors, heartbeats; pong: answers to pings; data: pushes
    text: str


class Close(NamedTuple):
    code: int
    reason: str


class Route(NamedTuple):
    conn: str  # connection name (the venue's URL key)
    combined: bool = False  # Binance: {"stream","data"} wrapper
    streams: tuple[str, ...] = ()  # Binance: streams named in the URL
    silent: bool = False  # acks but never sends data (legacy URL)


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
    "hyperliquid": {"ws": "/ws"},
}

# Server-initiated WebSocket ping frames (interval, timeout) in seconds; None: the venue sends none.
SERVER_PINGS: dict[str, tuple[float, float] | None] = {
    "binance_usdm": (180.0, 600.0),
    "binance_coinm": (180.0, 600.0),
    "gate": (30.0, 60.0),
}
# Connection lifetime in TAPE seconds (compressed by --speed): Binance drops connections after 24 h.
LIFETIME_TAPE_S: dict[str, float] = {"binance_usdm": 86_400.0, "binance_coinm": 86_400.0}


class VenueState:
    """What a venue's sessions, ticks and REST answers share; the server updates it as it publishes."""

    def __init__(self, venue: str, book: PriceBook, clock: Callable[[], int], seed: int = 1) -> None:
        self.venue = venue
        self.book = book
        self.clock = clock  # tape time, ms
        self.rng = random.Random(f"liqwatch-sim/state/{seed}/{venue}")
        self.active: dict[str, Liq] = {}  # BitMEX: liquidation orders on the book (orderID → truth)
        self.recent: deque[Liq] = deque(maxlen=5_000)  # for the REST backfill endpoints
        self.last: dict[str, Push] = {}  # OKX: the latest liquidation push per topic
        self.sequence = itertools.count(1)
        self.trade_ids = itertools.count(900_000_000)

    def published(self, push: Push) -> None:
        if push.op == "insert" and push.truths:
            self.active[push.key] = push.truths[0]
        elif push.op == "delete":
            self.active.pop(push.key, None)
        if push.truths:
            self.recent.extend(push.truths)
            if self.venue == "okx":
                self.last[push.topic] = push

    def conn_id(self) -> str:
        a, b, c, d, e = (self.rng.getrandbits(bits) for bits in (32, 16, 16, 16, 48))
        return f"{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}"

    def price(self, coin: str) -> float:
        return self.book.last(coin)


_decode_any = msgspec.json.Decoder().decode


def _json(text: str | bytes) -> Any:
    try:
        return _decode_any(text)
    except msgspec.DecodeError:
        return None


def _matches(subs: set[str], topic: str) -> bool:
    if topic == "*":
        return bool(subs)
    if topic in subs:
        return True
    head = topic
    while ":" in head:
        head = head.rpartition(":")[0]
        if head in subs:
            return True
    return False


class Session:
    """One client connection's protocol state. Subclasses speak one venue."""

    venue = ""
    idle_s: float | None = None  # close when the client sent nothing this long
    idle_close = Close(1000, "idle timeout")

    def __init__(self, state: VenueState, route: Route, query: Mapping[str, str], headers: Mapping[str, str]):
        self.state = state
        self.route = route
        self.conn = route.conn
        self.query = query
        self.headers = headers
        self.subs: set[str] = set()
        self.conn_id = state.conn_id()

    # what the server calls
    def opened(self) -> list[Out]:
        return []

    def receive(self, text: str) -> list[Out]:
        return []

    def heartbeat(self) -> list[Out] | Close:
        """Called every `heartbeat_s` seconds when that is set (Deribit)."""
        return []

    heartbeat_s: float | None = None

    def wants(self, push: Push) -> bool:
        if self.route.silent or (push.conn and push.conn != self.conn):
            return False
        return _matches(self.subs, push.topic)

    def render(self, push: Push) -> list[str]:
        return [push.text]

    @property
    def now(self) -> int:
        return self.state.clock()


# ── Binance ────────────────────────────────────────────────────────────────────────────────────


class _BinanceRequest(msgspec.Struct):
    method: str = ""
    params: list[Any] = []
    id: int | str | None = None


_decode_binance = msgspec.json.Decoder(_BinanceRequest).decode


def binance_route(venue: str, path: str, query: Mapping[str, str]) -> Route | None:
    market_path = path.startswith("/market/")
    bare = path[len("/market") :] if market_path else path
    # USD-M legacy (and /public) paths ack, then stay silent; dstream: UNCONFIRMED whether /market
    # exists, so both are served.
    silent = venue == "binance_usdm" and not market_path
    if path.startswith("/public/"):
        silent, bare = True, path[len("/public") :]
    if bare == "/stream":
        streams = tuple(s for s in query.get("streams", "").split("/") if s)
        return Route("market", True, streams, silent)
    if bare == "/ws" or bare.startswith("/ws/"):
        streams = tuple(s for s in bare[len("/ws/") :].split("/") if s) if bare.startswith("/ws/") else ()
        return Route("market", False, streams, silent)
    return None


def binance_stream_of(payload: str) -> str:
    """The stream name of a raw payload (for combined-stream clients of a raw-recorded replay)."""
    if '"forceOrder"' in payload:
        return "!forceOrder@arr"
    data = _json(payload)
    if isinstance(data, dict) and data.get("e") == "markPriceUpdate":
        return f"{str(data.get('s', '')).lower()}@markPrice@1s"
    return "unknown"


class BinanceSession(Session):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subs = {s.lower() for s in self.route.streams}
        self.names = {s.lower(): s for s in self.route.streams}

    def receive(self, text: str) -> list[Out]:
        try:
            request = _decode_binance(text)
        except msgspec.DecodeError:
            return [Out("control", dumps({"error": {"code": 3, "msg": "Invalid JSON: expected value"}, "id": None}))]
        except msgspec.ValidationError as exc:
            return [Out("control", dumps({"error": {"code": 2, "msg": f"Invalid request: {exc}"}, "id": None}))]
        rid = request.id
        if not isinstance(rid, int) or rid < 0:
            error = {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}
            return [Out("control", dumps({"error": error, "id": None}))]
        method = request.method.upper()
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not all(isinstance(p, str) for p in request.params):
                error = {"code": 2, "msg": "Invalid request: stream names must be strings"}
                return [Out("control", dumps({"error": error, "id": rid}))]
            for stream in request.params:
                if method == "SUBSCRIBE":
                    self.subs.add(stream.lower())
                    self.names[stream.lower()] = stream
                else:
                    self.subs.discard(stream.lower())
            return [Out("control", dumps({"result": None, "id": rid}))]
        if method == "LIST_SUBSCRIPTIONS":
            return [Out("control", dumps({"result": sorted(self.names[s] for s in self.subs), "id": rid}))]
        if method == "SET_PROPERTY":
            return [Out("control", dumps({"result": None, "id": rid}))]
        if method == "GET_PROPERTY":
            return [Out("control", dumps({"result": self.route.combined, "id": rid}))]
        return [
            Out("control", dumps({"error": {"code": 2, "msg": f"Invalid request: unknown method {method}"}, "id": rid}))
        ]

    def wants(self, push: Push) -> bool:
        if self.route.silent:
            return False
        topic = push.topic.lower()
        if topic == "*":
            return bool(self.subs)
        if topic in self.subs:
            return True
        return topic.endswith("@1s") and topic[: -len("@1s")] in self.subs  # <symbol>@markPrice (3 s)

    def render(self, push: Push) -> list[str]:
        if not self.route.combined:
            return [push.text]
        topic = push.topic if push.topic != "*" else binance_stream_of(push.text)
        name = self.names.get(topic.lower(), topic)
        if topic.lower() not in self.subs and topic.lower().endswith("@1s"):
            name = self.names.get(topic.lower()[: -len("@1s")], topic)
        return [encode.binance_combined(name, push.text)]


# ── Bybit ──────────────────────────────────────────────────────────────────────────────────────

BYBIT_TOPICS = ("allLiquidation.", "liquidation.", "tickers.", "publicTrade.", "orderbook.", "kline.")
BYBIT_MAX_ARGS = 21_000


def bybit_route(path: str) -> Route | None:
    for name in ("linear", "inverse", "spot", "option"):
        if path == f"/v5/public/{name}":
            return Route(name)
    return None


class BybitSession(Session):
    venue = "bybit"
    idle_s = 600.0
    idle_close = Close(1000, "idle: no ping for 10 minutes")

    def _ack(self, op: str, success: bool, message: str = "", req_id: str = "") -> str:
        return dumps({"success": success, "ret_msg": message, "conn_id": self.conn_id, "req_id": req_id, "op": op})

    def _valid(self, topic: str) -> bool:
        if not topic.startswith(BYBIT_TOPICS):
            return False
        symbol = topic.rpartition(".")[2]
        if topic.startswith(("allLiquidation.", "liquidation.", "tickers.")):
            m = mk.market("bybit", symbol)
            return m is not None and m.conn == self.conn
        return True

    def receive(self, text: str) -> list[Out]:
        request = _json(text)
        if not isinstance(request, dict):
            return [Out("control", self._ack("", False, "error:request not json"))]
        op = str(request.get("op", ""))
        req_id = str(request.get("req_id", ""))
        if op == "ping":
            return [Out("pong", self._ack("ping", True, "pong", req_id))]
        if op not in ("subscribe", "unsubscribe"):
            return [Out("control", self._ack(op, False, f"error:unsupported op {op}", req_id))]
        args = request.get("args")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            return [Out("control", self._ack(op, False, "error:args must be a list of topics", req_id))]
        if len(dumps(args)) > BYBIT_MAX_ARGS:
            return [Out("control", self._ack(op, False, f"error:args size >{BYBIT_MAX_ARGS}", req_id))]
        if op == "unsubscribe":
            self.subs.difference_update(args)
            return [Out("control", self._ack(op, True, "", req_id))]
        bad = [topic for topic in args if not self._valid(topic)]
        fresh = [topic for topic in args if topic not in bad and topic not in self.subs]
        self.subs.update(fresh)
        out = [Out("control", self._ack(op, not bad, f"error:handler not found,topic:{bad[0]}" if bad else "", req_id))]
        for topic in fresh:
            if topic.startswith("tickers."):
                symbol = topic.partition(".")[2]
                m = mk.market("bybit", symbol)
                if m is not None:
                    price = self.state.price(m.coin) * m.bundle
                    out.append(
                        Out("data", encode.bybit_ticker(symbol, price, self.now, next(self.state.sequence), True))
                    )
        return out


# ── OKX ────────────────────────────────────────────────────────────────────────────────────────

OKX_CHANNELS = {
    "liquidation-orders": "instType",
    "mark-price": "instId",
    "tickers": "instId",
    "open-interest": "instId",
}
OKX_INST_TYPES = ("SWAP", "FUTURES", "MARGIN", "OPTION")


def okx_route(path: str) -> Route | None:
    if path in ("/ws/v5/public", "/ws/v5/business"):
        return Route(path.rpartition("/")[2])
    return None


class OkxSession(Session):
    venue = "okx"
    idle_s = 30.0
    idle_close = Close(4004, "No data received in 30s.")

    def _error(self, code: str, msg: str, rid: str | None) -> Out:
        body: dict[str, Any] = {"id": rid} if rid is not None else {}
        body.update(event="error", code=code, msg=msg, connId=self.conn_id)
        return Out("control", dumps(body))

    def _key(self, arg: dict[str, Any]) -> str | None:
        channel = str(arg.get("channel", ""))
        field = OKX_CHANNELS.get(channel)
        if field is None or self.conn != "public":
            return None
        value = str(arg.get(field, ""))
        if channel == "liquidation-orders":
            return f"{channel}:{value}" if value in OKX_INST_TYPES else None
        return f"{channel}:{value}" if mk.market("okx", value) is not None else None

    def receive(self, text: str) -> list[Out]:
        if text == "ping":
            return [Out("pong", "pong")]
        request = _json(text)
        if not isinstance(request, dict):
            return [self._error("60012", f"Invalid request: {text[:60]}", None)]
        rid = request.get("id")
        rid = str(rid) if rid is not None else None
        op = request.get("op")
        args = request.get("args")
        if op not in ("subscribe", "unsubscribe") or not isinstance(args, list):
            return [self._error("60012", f"Invalid request: {text[:60]}", rid)]
        out: list[Out] = []
        for arg in args:
            if not isinstance(arg, dict):
                out.append(self._error("60012", f"Invalid request: {text[:60]}", rid))
                continue
            key = self._key(arg)
            if key is None:
                detail = ", ".join(f"{k}:{v}" for k, v in arg.items())
                out.append(
                    self._error(
                        "60018",
                        f"Wrong URL or channel:{detail} doesn't exist. Please use the correct URL, "
                        "channel and parameters referring to API document.",
                        rid,
                    )
                )
                continue
            body: dict[str, Any] = {"id": rid} if rid is not None else {}
            body.update(event=op, arg=arg, connId=self.conn_id)
            out.append(Out("control", dumps(body)))
            if op == "unsubscribe":
                self.subs.discard(key)
                continue
            fresh = key not in self.subs
            self.subs.add(key)
            if not fresh:
                continue
            if key.startswith("liquidation-orders:"):
                latest = self.state.last.get(key)
                if latest is not None:  # the first push replays the latest liquidation (dedup it)
                    out.append(Out("data", latest.text))
            elif key.startswith("mark-price:"):
                inst = key.partition(":")[2]
                m = mk.market("okx", inst)
                if m is not None:
                    out.append(Out("data", encode.okx_mark(inst, self.state.price(m.coin) * m.bundle, self.now)))
        return out


# ── BitMEX ─────────────────────────────────────────────────────────────────────────────────────

BITMEX_TABLES = ("liquidation", "instrument", "trade", "quote", "orderBookL2_25", "funding", "settlement")


def bitmex_route(path: str) -> Route | None:
    return Route("realtime") if path == "/realtime" else None


class BitmexSession(Session):
    venue = "bitmex"

    def opened(self) -> list[Out]:
        welcome = {
            "info": "Welcome to the BitMEX Realtime API.",
            "version": "2.0.0",
            "timestamp": encode.iso_ms(self.now),
            "docs": "https://www.bitmex.com/app/wsAPI",
            "heartbeatEnabled": False,
            "limit": {"remaining": 39},
        }
        out = [Out("control", dumps(welcome))]
        topics = [t for t in self.query.get("subscribe", "").split(",") if t]
        if topics:
            out += self._subscribe(topics, {"op": "subscribe", "args": topics})
        return out

    def _subscribe(self, args: list[Any], request: dict[str, Any]) -> list[Out]:
        out: list[Out] = []
        for arg in args:
            table, _, symbol = str(arg).partition(":")
            if table not in BITMEX_TABLES:
                error = {"status": 400, "error": f"Unknown table: {table}", "meta": {}, "request": request}
                out.append(Out("control", dumps(error)))
                continue
            out.append(Out("control", dumps({"success": True, "subscribe": arg, "request": request})))
            if str(arg) in self.subs:
                continue
            self.subs.add(str(arg))
            if table == "liquidation":
                out.append(Out("data", encode.bitmex_partial(list(self.state.active.values()), symbol)))
            elif table == "instrument":
                ctx = rest.Context(self.now, self.state.book)
                rows = [
                    rest.bitmex_instrument(m, ctx) for m in mk.markets("bitmex") if m.symbol == symbol or not symbol
                ]
                out.append(Out("data", encode.bitmex_table_partial("instrument", ["symbol"], rows, symbol)))
        return out

    def receive(self, text: str) -> list[Out]:
        if text == "ping":
            return [Out("pong", "pong")]
        request = _json(text)
        if not isinstance(request, dict) or not isinstance(request.get("args", []), list):
            error = {"status": 400, "error": "Unable to parse request.", "meta": {}, "request": text[:200]}
            return [Out("control", dumps(error))]
        op = request.get("op")
        args = request.get("args", [])
        if op == "subscribe":
            return self._subscribe(args, request)
        if op == "unsubscribe":
            out = []
            for arg in args:
                self.subs.discard(str(arg))
                out.append(Out("control", dumps({"success": True, "unsubscribe": arg, "request": request})))
            return out
        error = {"status": 400, "error": f"Unknown or unsupported op: {op}", "meta": {}, "request": request}
        return [Out("control", dumps(error))]


# ── Deribit ────────────────────────────────────────────────────────────────────────────────────

DERIBIT_INTERVALS = ("100ms", "raw", "agg2")
DERIBIT_MIN_HEARTBEAT = 10


def deribit_route(path: str) -> Route | None:
    return Route("ws") if path == "/ws/api/v2" else None


def deribit_channel_ok(channel: str) -> bool:
    parts = channel.split(".")
    if len(parts) == 4 and parts[0] == "trades":  # trades.{kind}.{currency}.{interval}
        return parts[1] in ("future", "option", "spot", "any") and parts[3] in DERIBIT_INTERVALS
    if len(parts) == 3 and parts[0] == "trades":  # trades.{instrument}.{interval}
        return parts[2] in DERIBIT_INTERVALS
    return False


class DeribitSession(Session):
    venue = "deribit"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.awaiting_test = False

    def _reply(self, rid: Any, result: Any = None, error: dict[str, Any] | None = None) -> str:
        us = self.now * 1000
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": rid}
        if error is not None:
            body["error"] = error
        else:
            body["result"] = result
        body.update(usIn=us, usOut=us + 120, usDiff=120, testnet=False)
        return dumps(body)

    def receive(self, text: str) -> list[Out]:
        request = _json(text)
        if not isinstance(request, dict):
            return [Out("control", self._reply(None, error={"code": -32700, "message": "parse_error"}))]
        rid = request.get("id")
        method = str(request.get("method", ""))
        params = request.get("params") or {}
        if not isinstance(params, dict):
            return [Out("control", self._reply(rid, error={"code": -32602, "message": "invalid_params"}))]
        if method == "public/test":
            self.awaiting_test = False
            return [Out("pong", self._reply(rid, {"version": "1.2.26"}))]
        if method == "public/set_heartbeat":
            interval = params.get("interval")
            if not isinstance(interval, int | float) or interval < DERIBIT_MIN_HEARTBEAT:
                error = {"code": 11029, "message": "invalid_arguments", "data": {"param": "interval"}}
                return [Out("control", self._reply(rid, error=error))]
            self.heartbeat_s = float(interval)
            return [Out("control", self._reply(rid, "ok"))]
        if method == "public/disable_heartbeat":
            self.heartbeat_s = None
            return [Out("control", self._reply(rid, "ok"))]
        if method in ("public/subscribe", "public/unsubscribe"):
            channels = params.get("channels")
            if not isinstance(channels, list):
                return [Out("control", self._reply(rid, error={"code": -32602, "message": "invalid_params"}))]
            accepted = [str(c) for c in channels if deribit_channel_ok(str(c))]
            if method == "public/subscribe":
                self.subs.update(accepted)
            else:
                self.subs.difference_update(accepted)
            return [Out("control", self._reply(rid, accepted))]
        if method == "public/get_time":
            return [Out("control", self._reply(rid, self.now))]
        if method == "public/hello":
            return [Out("control", self._reply(rid, {"version": "1.2.26"}))]
        return [Out("control", self._reply(rid, error={"code": -32601, "message": "Method not found"}))]

    def heartbeat(self) -> list[Out] | Close:
        if self.awaiting_test:
            return Close(1000, "heartbeat: test_request not answered")
        self.awaiting_test = True
        return [Out("control", dumps({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}}))]

    def _channels(self, topic: str) -> list[str]:
        """The subscribed channels a push on `topic` ("trades.future.BTC") is delivered on."""
        kind_currency = topic.removeprefix("trades.")
        _, _, currency = kind_currency.partition(".")
        heads = (f"{topic}.", f"trades.any.{currency}.")
        return sorted(s for s in self.subs if s.startswith(heads))

    def wants(self, push: Push) -> bool:
        if push.topic == "*":
            return bool(self.subs)
        return bool(self._channels(push.topic))

    def render(self, push: Push) -> list[str]:
        if push.topic == "*":
            return [push.text]
        default = f'"channel":"{push.topic}.100ms"'
        return [push.text.replace(default, f'"channel":{dumps(ch)}', 1) for ch in self._channels(push.topic)]


# ── Bitget ─────────────────────────────────────────────────────────────────────────────────────

BITGET_INST_TYPES = ("usdt-futures", "coin-futures", "usdc-futures")


def bitget_route(path: str) -> Route | None:
    return Route("public") if path == "/v3/ws/public" else None


class BitgetSession(Session):
    venue = "bitget"
    idle_s = 120.0
    idle_close = Close(1000, "no ping for 2 minutes")

    def _key(self, arg: dict[str, Any]) -> str | None:
        inst_type = str(arg.get("instType", ""))
        topic = str(arg.get("topic", ""))
        symbol = str(arg.get("symbol", ""))
        if inst_type not in BITGET_INST_TYPES:
            return None
        if topic == "liquidation" and not symbol:
            return f"liquidation:{inst_type}"
        if topic in ("ticker", "publicTrade", "kline") and symbol:
            m = mk.market("bitget", symbol)
            return f"{topic}:{inst_type}:{symbol}" if m is not None and m.group == inst_type else None
        return None

    def receive(self, text: str) -> list[Out]:
        if text == "ping":
            return [Out("pong", "pong")]
        request = _json(text)
        if not isinstance(request, dict) or not isinstance(request.get("args"), list):
            return [Out("control", dumps({"event": "error", "code": 30002, "msg": "illegal request"}))]
        op = request.get("op")
        out: list[Out] = []
        for arg in request["args"]:
            key = self._key(arg) if isinstance(arg, dict) else None
            if key is None or op not in ("subscribe", "unsubscribe"):
                detail = arg if isinstance(arg, dict) else {}
                msg = (
                    f"instType:{detail.get('instType', '')},channel:{detail.get('topic', '')},"
                    f"instId:{detail.get('symbol', '')} doesn't exist"
                )
                out.append(Out("control", dumps({"event": "error", "arg": arg, "code": 30001, "msg": msg, "op": op})))
                continue
            out.append(Out("control", dumps({"event": op, "arg": arg, "connId": self.conn_id})))
            if op == "unsubscribe":
                self.subs.discard(key)
            elif key not in self.subs:
                self.subs.add(key)
                if key.startswith("ticker:"):
                    _, inst_type, symbol = key.split(":")
                    m = mk.market("bitget", symbol)
                    if m is not None:
                        price = self.state.price(m.coin) * m.bundle
                        out.append(Out("data", encode.bitget_ticker(inst_type, symbol, price, self.now)))
        return out


# ── Gate ───────────────────────────────────────────────────────────────────────────────────────

GATE_CHANNELS = ("futures.public_liquidates", "futures.tickers", "futures.contract_info", "futures.trades")


def gate_route(path: str) -> Route | None:
    for settle in ("usdt", "btc"):
        if path == f"/v4/ws/{settle}":
            return Route(settle)
    return None


class GateSession(Session):
    venue = "gate"

    @property
    def decimal(self) -> bool:
        return self.headers.get("x-gate-size-decimal", "") == "1"

    def _envelope(self, channel: str, event: str) -> dict[str, Any]:
        now = self.now
        trace = f"{self.state.rng.getrandbits(64):016x}"
        return {
            "time": now // 1000,
            "time_ms": now,
            "conn_id": self.conn_id,
            "trace_id": trace,
            "channel": channel,
            "event": event,
        }

    def _contracts(self) -> list[mk.Market]:
        return [m for m in mk.markets("gate") if m.conn == self.conn]

    def receive(self, text: str) -> list[Out]:
        request = _json(text)
        if not isinstance(request, dict):
            body = self._envelope("", "") | {"error": {"code": 1, "message": "invalid argument"}, "result": None}
            return [Out("control", dumps(body))]
        channel = str(request.get("channel", ""))
        event = str(request.get("event", ""))
        if channel == "futures.ping":
            return [Out("pong", dumps(self._envelope("futures.pong", "") | {"result": None}))]
        payload = request.get("payload", [])
        if event not in ("subscribe", "unsubscribe") or channel not in GATE_CHANNELS or not isinstance(payload, list):
            body = self._envelope(channel, event) | {
                "error": {"code": 2, "message": f"unknown channel {channel}" if channel else "invalid argument"},
                "result": {"status": "failed"},
            }
            return [Out("control", dumps(body))]
        names = {m.symbol for m in self._contracts()}
        bad = [p for p in payload if not (p in names or (p == "!all" and channel == "futures.public_liquidates"))]
        if bad:
            body = self._envelope(channel, event) | {
                "payload": payload,
                "error": {"code": 2, "message": f"unknown contract {bad[0]}"},
                "result": {"status": "failed"},
            }
            return [Out("control", dumps(body))]
        keys = {f"{channel}:{p}" for p in payload}
        if event == "unsubscribe":
            self.subs.difference_update(keys)
        fresh = sorted(keys - self.subs) if event == "subscribe" else []
        self.subs.update(fresh)
        body = self._envelope(channel, event) | {"payload": payload, "result": {"status": "success"}}
        out = [Out("control", dumps(body))]
        if channel == "futures.contract_info":
            for key in fresh:
                m = mk.market("gate", key.partition(":")[2])
                if m is not None and m.kind == "linear":
                    info = {
                        "contract": m.symbol,
                        "quanto_multiplier": m.unit,
                        "order_price_round": m.tick,
                        "mark_price_round": m.tick,
                    }
                    out.append(Out("data", dumps(self._envelope(channel, "all") | {"result": info})))
        return out

    def wants(self, push: Push) -> bool:
        if push.conn and push.conn != self.conn:
            return False
        if push.topic.startswith("futures.public_liquidates:") and "futures.public_liquidates:!all" in self.subs:
            return True
        return _matches(self.subs, push.topic)

    def render(self, push: Push) -> list[str]:
        if self.decimal and push.truths and push.topic.startswith("futures.public_liquidates:"):
            return [encode.gate_frame(push.truths, push.at, decimal=True)]
        return [push.text]


# ── Hyperliquid ────────────────────────────────────────────────────────────────────────────────


def hyperliquid_route(path: str) -> Route | None:
    return Route("ws") if path == "/ws" else None


class HyperliquidSession(Session):
    venue = "hyperliquid"
    idle_s = 60.0
    idle_close = Close(1000, "no message for 60 s")

    def receive(self, text: str) -> list[Out]:
        request = _json(text)
        if not isinstance(request, dict):
            return [Out("control", dumps({"channel": "error", "data": f"Invalid request: {text[:60]}"}))]
        method = request.get("method")
        if method == "ping":
            return [Out("pong", dumps({"channel": "pong"}))]
        subscription = request.get("subscription")
        if method not in ("subscribe", "unsubscribe") or not isinstance(subscription, dict):
            return [Out("control", dumps({"channel": "error", "data": f"Invalid request: {text[:60]}"}))]
        kind = str(subscription.get("type", ""))
        coin = subscription.get("coin")
        key = f"{kind}:{coin}" if coin else kind
        if method == "subscribe":
            self.subs.add(key)
        else:
            self.subs.discard(key)
        response = {"channel": "subscriptionResponse", "data": {"method": method, "subscription": subscription}}
        return [Out("control", dumps(response))]


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
    "hyperliquid": VenueProtocol("hyperliquid", lambda p, q: hyperliquid_route(p), HyperliquidSession),
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
    if venue == "hyperliquid":
        return [
            Push(now, venue, "ws", f"trades:{coin}", encode.hyperliquid_trades(coin, price, now, next(state.trade_ids)))
            for coin, price in (("BTC", btc), ("ETH", eth))
        ]
    return []
