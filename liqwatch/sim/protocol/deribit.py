"""The simulator's Deribit JSON-RPC WebSocket protocol: subscriptions, heartbeats, test requests."""

from __future__ import annotations

from typing import Any

from liqwatch.sim.encode import dumps
from liqwatch.sim.model import Push
from liqwatch.sim.protocol.base import Close, Out, Route, Session, _json

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
