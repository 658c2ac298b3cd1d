"""The simulator's Lighter WebSocket: `connected`, `trade/{market_id}` with a `subscribed/trade`
snapshot of recent trades and liquidations, `{"type":"ping"}` → `{"type":"pong"}`, idle cut."""

from __future__ import annotations

from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.encode import dumps
from liqwatch.sim.protocol.base import Close, Out, Route, Session, _json

LIGHTER_MAX_SUBSCRIPTIONS = 500
LIGHTER_SNAPSHOT_TRADES = 50


def lighter_route(path: str) -> Route | None:
    return Route("stream") if path == "/stream" else None


class LighterSession(Session):
    venue = "lighter"
    idle_s = 120.0  # UNCONFIRMED cut-off; the official client pings every 30 s
    idle_close = Close(1000, "idle: no message for 2 minutes")

    def _error(self, code: int, message: str) -> Out:
        return Out("control", dumps({"error": {"code": code, "message": message}}))

    def opened(self) -> list[Out]:
        return [Out("control", dumps({"type": "connected", "session_id": self.conn_id}))]

    def receive(self, text: str) -> list[Out]:
        request = _json(text)
        if not isinstance(request, dict):
            return [self._error(30001, "invalid message")]
        kind = request.get("type")
        if kind == "ping":
            return [Out("pong", dumps({"type": "pong"}))]
        if kind == "pong":
            return []
        channel = str(request.get("channel", ""))
        name, _, market = channel.partition("/")
        if kind not in ("subscribe", "unsubscribe") or name != "trade" or mk.market("lighter", market) is None:
            return [self._error(30005, f"Invalid Channel: {channel}")]
        if kind == "unsubscribe":
            self.subs.discard(channel)
            return [Out("control", dumps({"type": "unsubscribed", "channel": f"trade:{market}"}))]
        if channel in self.subs:
            return [self._error(30006, f"Already Subscribed: {channel}")]
        if len(self.subs) >= LIGHTER_MAX_SUBSCRIPTIONS:
            return [self._error(30007, "Too Many Subscriptions")]
        self.subs.add(channel)
        recent = [liq for liq in self.state.recent if liq.symbol == market][-LIGHTER_SNAPSHOT_TRADES:]
        liquidations = [encode.lighter_trade(liq) for liq in reversed(recent)]
        return [Out("control", encode.lighter_subscribed(market, [], liquidations, self.now))]
