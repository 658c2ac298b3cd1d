"""The simulator's Bitget v3 public WebSocket protocol: per-arg acks, text pings, ticker snapshots."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.encode import dumps
from liqwatch.sim.protocol.base import Close, Out, Route, Session, _json

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
