"""The simulator's Gate futures v4 WebSocket protocol: envelopes, futures.ping, decimal sizes."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.encode import dumps
from liqwatch.sim.model import Push
from liqwatch.sim.protocol.base import Out, Route, Session, _json, _matches

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
