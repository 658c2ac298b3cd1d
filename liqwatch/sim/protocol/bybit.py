"""The simulator's Bybit v5 public WebSocket protocol: subscribe acks, JSON pings, ticker snapshots."""

from __future__ import annotations

from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.encode import dumps
from liqwatch.sim.protocol.base import Close, Out, Route, Session, _json

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
