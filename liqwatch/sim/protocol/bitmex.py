"""The simulator's BitMEX realtime WebSocket protocol: welcome frame, subscribe acks, partials."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import encode, rest
from liqwatch.sim import markets as mk
from liqwatch.sim.encode import dumps
from liqwatch.sim.protocol.base import Out, Route, Session, _json

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
