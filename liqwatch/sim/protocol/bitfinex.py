"""The simulator's Bitfinex v2 public WebSocket: the info event, subscribe acks that assign channel
ids, `[CHAN_ID, …]` data frames written with this connection's own ids, `hb`, ping/pong."""

from __future__ import annotations

import itertools

from liqwatch.sim import encode
from liqwatch.sim.encode import dumps
from liqwatch.sim.model import Push
from liqwatch.sim.protocol.base import Out, Route, Session, _json

BITFINEX_MAX_CHANNELS = 25
_CHANNEL_IDS = itertools.count(17_000)  # ids are unique per server, not per connection


def bitfinex_route(path: str) -> Route | None:
    return Route("public") if path == "/ws/2" else None


class BitfinexSession(Session):
    venue = "bitfinex"
    heartbeat_s = 15.0

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.channels: dict[str, int] = {}  # subscription key (status:liq:global, ticker:tBTCUSD) → id

    def opened(self) -> list[Out]:
        info = {"event": "info", "version": 2, "serverId": self.conn_id, "platform": {"status": 1}}
        return [Out("control", dumps(info))]

    def _error(self, code: int, message: str, request: dict[str, object]) -> list[Out]:
        return [Out("control", dumps({"event": "error", "msg": message, "code": code, **request}))]

    def receive(self, text: str) -> list[Out]:
        request = _json(text)
        if not isinstance(request, dict):
            return self._error(10000, "Unknown event", {})
        event = request.get("event")
        if event == "ping":
            return [Out("pong", dumps({"event": "pong", "ts": self.now, "cid": request.get("cid")}))]
        if event != "subscribe":
            return self._error(10000, "Unknown event", {"event": event})
        channel = request.get("channel")
        if channel == "status" and request.get("key") == "liq:global":
            key, ack = "status:liq:global", {"channel": "status", "key": "liq:global"}
        elif channel == "ticker" and request.get("symbol") == "tBTCUSD":
            key, ack = "ticker:tBTCUSD", {"channel": "ticker", "symbol": "tBTCUSD", "pair": "BTCUSD"}
        else:
            return self._error(10300, "Subscription failed (generic)", request)
        if key in self.channels:
            return self._error(10301, "subscribe: dup", request)
        if len(self.channels) >= BITFINEX_MAX_CHANNELS:
            return self._error(10305, "Reached limit of open channels", request)
        chan_id = self.channels[key] = next(_CHANNEL_IDS)
        self.subs.add(key)
        out = [Out("control", dumps({"event": "subscribed", **ack, "chanId": chan_id}))]
        if channel == "ticker":
            out.append(Out("data", encode.bitfinex_ticker(chan_id, self.state.price("BTC"))))
        return out

    def heartbeat(self) -> list[Out]:
        return [Out("control", dumps([chan_id, "hb"])) for chan_id in self.channels.values()]

    def wants(self, push: Push) -> bool:
        return push.topic in self.subs or (push.topic == "*" and "status:liq:global" in self.subs)

    def render(self, push: Push) -> list[str]:
        """The tape's frame with this connection's channel id in front (`[0, …]` on the tape)."""
        key = push.topic if push.topic in self.channels else "status:liq:global"
        text = push.text
        if not text.startswith("["):
            return [text]
        _, comma, rest = text[1:].partition(",")
        return [f"[{self.channels.get(key, 0)}{comma}{rest}"]
