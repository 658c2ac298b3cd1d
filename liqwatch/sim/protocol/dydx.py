"""The simulator's dYdX v4 indexer WebSocket: `connected`, per-market `v4_trades` with a snapshot of
recent trades on subscribe, `v4_block_height`, errors in the indexer's shape, 32 markets a channel."""

from __future__ import annotations

from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.encode import dumps
from liqwatch.sim.protocol.base import Out, Route, Session, _json

DYDX_MAX_PER_CHANNEL = 32
DYDX_SNAPSHOT_TRADES = 100


def dydx_route(path: str) -> Route | None:
    return Route("ws") if path == "/v4/ws" else None


class DydxSession(Session):
    venue = "dydx"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.message_id = 0

    def _next_id(self) -> int:
        self.message_id += 1
        return self.message_id

    def _error(self, message: str) -> Out:
        body = {"type": "error", "message": message, "connection_id": self.conn_id, "message_id": self._next_id()}
        return Out("control", dumps(body))

    def opened(self) -> list[Out]:
        return [Out("control", dumps({"type": "connected", "connection_id": self.conn_id, "message_id": 0}))]

    def receive(self, text: str) -> list[Out]:
        request = _json(text)
        if not isinstance(request, dict) or request.get("type") not in ("subscribe", "unsubscribe"):
            return [self._error(f"Invalid message: {text[:100]}")]
        channel = str(request.get("channel", ""))
        market = str(request.get("id", ""))
        if channel == "v4_block_height":
            key = channel
        elif channel == "v4_trades" and mk.market("dydx", market) is not None:
            key = f"v4_trades:{market}"
        else:
            return [self._error(f"Invalid subscription id for channel: ({channel}-{market})")]
        if request["type"] == "unsubscribe":
            self.subs.discard(key)
            return [Out("control", dumps({"type": "unsubscribed", "channel": channel, "id": market}))]
        if key in self.subs:
            return [self._error(f"Already subscribed to ({channel}-{market})")]
        if channel == "v4_trades" and sum(s.startswith("v4_trades:") for s in self.subs) >= DYDX_MAX_PER_CHANNEL:
            return [self._error(f"Too many subscriptions for channel {channel}")]
        self.subs.add(key)
        if key == channel:
            height = self.now // 1000 - 1_700_000_000
            contents = {"height": str(height), "time": encode.iso_ms(self.now)}
            body = {"type": "subscribed", "connection_id": self.conn_id, "message_id": self._next_id()}
            return [Out("control", dumps(body | {"channel": channel, "id": "dydx", "contents": contents}))]
        recent = [liq for liq in self.state.recent if liq.symbol == market][-DYDX_SNAPSHOT_TRADES:]
        trades = [encode.dydx_trade(liq) for liq in reversed(recent)]
        return [Out("control", encode.dydx_subscribed(market, trades, self.conn_id, self._next_id()))]
