"""The simulator's Hyperliquid WebSocket protocol: subscriptionResponse acks and pings."""

from __future__ import annotations

from liqwatch.sim.encode import dumps
from liqwatch.sim.protocol.base import Close, Out, Route, Session, _json


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
