"""The simulator's OKX v5 public WebSocket protocol: per-arg acks, text pings, liquidation replay."""

from __future__ import annotations

from typing import Any

from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.encode import dumps
from liqwatch.sim.protocol.base import Close, Out, Route, Session, _json

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
