"""The simulator's HTX notification WebSockets (`/linear-swap-notification`, `/swap-notification`,
`/notification`): every frame gzip-compressed, `{"op":"ping","ts":"…"}` every 5 s and a close after
unanswered pings, `op: sub` acks with `err-code`, `public.*.liquidation_orders`."""

from __future__ import annotations

import gzip

from liqwatch.sim.encode import dumps
from liqwatch.sim.model import Push
from liqwatch.sim.protocol.base import Close, Out, Route, Session, _json

HTX_PATHS = {"/linear-swap-notification": "linear", "/swap-notification": "swap", "/notification": "futures"}
HTX_MAX_UNANSWERED = 6  # pings 5 s apart: the server says "Bye" after about 30 s without a pong


def htx_route(path: str) -> Route | None:
    conn = HTX_PATHS.get(path)
    return Route(conn) if conn is not None else None


class HtxSession(Session):
    venue = "htx"
    heartbeat_s = 5.0

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.unanswered = 0

    def wire(self, text: str) -> str | bytes:
        return gzip.compress(text.encode(), mtime=0)

    def _ack(self, op: str, cid: object, topic: object, code: int = 0, message: str = "") -> Out:
        body: dict[str, object] = {"op": op, "cid": cid, "topic": topic, "ts": self.now, "err-code": code}
        if code:
            body["err-msg"] = message
        return Out("control", dumps(body))

    def receive(self, text: str) -> list[Out]:
        request = _json(text)
        if not isinstance(request, dict):
            return [Out("control", dumps({"op": "error", "ts": self.now, "err-code": 2001, "err-msg": "invalid json"}))]
        op = request.get("op")
        if op == "pong":
            self.unanswered = 0
            return []
        cid, topic = request.get("cid"), request.get("topic")
        if op not in ("sub", "unsub"):
            return [self._ack(str(op), cid, topic, 2002, "invalid op")]
        if not isinstance(topic, str) or not topic.startswith("public.") or not topic.endswith(".liquidation_orders"):
            return [self._ack(str(op), cid, topic, 2011, f"invalid topic {topic}")]
        if op == "unsub":
            self.subs.discard(topic)
            return [self._ack("unsub", cid, topic)]
        wildcard = "public.*.liquidation_orders"
        if topic in self.subs or (wildcard in self.subs and topic != wildcard):
            return [self._ack("sub", cid, topic, 2014, "Repeated subscription")]
        self.subs.add(topic)
        return [self._ack("sub", cid, topic)]

    def heartbeat(self) -> list[Out] | Close:
        if self.unanswered >= HTX_MAX_UNANSWERED:
            return Close(1000, "Bye")
        self.unanswered += 1
        return [Out("control", dumps({"op": "ping", "ts": str(self.now)}))]

    def wants(self, push: Push) -> bool:
        if push.conn and push.conn != self.conn:
            return False
        return push.topic in self.subs or (bool(self.subs) and "public.*.liquidation_orders" in self.subs)
