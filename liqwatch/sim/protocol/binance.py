"""The simulator's Binance USD-M / COIN-M WebSocket protocol: paths, SUBSCRIBE acks, combined streams."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from liqwatch.sim import encode
from liqwatch.sim.encode import dumps
from liqwatch.sim.model import Push
from liqwatch.sim.protocol.base import Out, Route, Session, _json


class _BinanceRequest(msgspec.Struct):
    method: str = ""
    params: list[Any] = []
    id: int | str | None = None


_decode_binance = msgspec.json.Decoder(_BinanceRequest).decode


def binance_route(venue: str, path: str, query: Mapping[str, str]) -> Route | None:
    market_path = path.startswith("/market/")
    bare = path[len("/market") :] if market_path else path
    # USD-M legacy (and /public) paths ack, then stay silent; dstream: UNCONFIRMED whether /market
    # exists, so both are served.
    silent = venue == "binance_usdm" and not market_path
    if path.startswith("/public/"):
        silent, bare = True, path[len("/public") :]
    if bare == "/stream":
        streams = tuple(s for s in query.get("streams", "").split("/") if s)
        return Route("market", True, streams, silent)
    if bare == "/ws" or bare.startswith("/ws/"):
        streams = tuple(s for s in bare[len("/ws/") :].split("/") if s) if bare.startswith("/ws/") else ()
        return Route("market", False, streams, silent)
    return None


def binance_stream_of(payload: str) -> str:
    """The stream name of a raw payload (for combined-stream clients of a raw-recorded replay)."""
    if '"forceOrder"' in payload:
        return "!forceOrder@arr"
    data = _json(payload)
    if isinstance(data, dict) and data.get("e") == "markPriceUpdate":
        return f"{str(data.get('s', '')).lower()}@markPrice@1s"
    return "unknown"


class BinanceSession(Session):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subs = {s.lower() for s in self.route.streams}
        self.names = {s.lower(): s for s in self.route.streams}

    def receive(self, text: str) -> list[Out]:
        try:
            request = _decode_binance(text)
        except msgspec.DecodeError:
            return [Out("control", dumps({"error": {"code": 3, "msg": "Invalid JSON: expected value"}, "id": None}))]
        except msgspec.ValidationError as exc:
            return [Out("control", dumps({"error": {"code": 2, "msg": f"Invalid request: {exc}"}, "id": None}))]
        rid = request.id
        if not isinstance(rid, int) or rid < 0:
            error = {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}
            return [Out("control", dumps({"error": error, "id": None}))]
        method = request.method.upper()
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not all(isinstance(p, str) for p in request.params):
                error = {"code": 2, "msg": "Invalid request: stream names must be strings"}
                return [Out("control", dumps({"error": error, "id": rid}))]
            for stream in request.params:
                if method == "SUBSCRIBE":
                    self.subs.add(stream.lower())
                    self.names[stream.lower()] = stream
                else:
                    self.subs.discard(stream.lower())
            return [Out("control", dumps({"result": None, "id": rid}))]
        if method == "LIST_SUBSCRIPTIONS":
            return [Out("control", dumps({"result": sorted(self.names[s] for s in self.subs), "id": rid}))]
        if method == "SET_PROPERTY":
            return [Out("control", dumps({"result": None, "id": rid}))]
        if method == "GET_PROPERTY":
            return [Out("control", dumps({"result": self.route.combined, "id": rid}))]
        return [
            Out("control", dumps({"error": {"code": 2, "msg": f"Invalid request: unknown method {method}"}, "id": rid}))
        ]

    def wants(self, push: Push) -> bool:
        if self.route.silent:
            return False
        topic = push.topic.lower()
        if topic == "*":
            return bool(self.subs)
        if topic in self.subs:
            return True
        return topic.endswith("@1s") and topic[: -len("@1s")] in self.subs  # <symbol>@markPrice (3 s)

    def render(self, push: Push) -> list[str]:
        if not self.route.combined:
            return [push.text]
        topic = push.topic if push.topic != "*" else binance_stream_of(push.text)
        name = self.names.get(topic.lower(), topic)
        if topic.lower() not in self.subs and topic.lower().endswith("@1s"):
            name = self.names.get(topic.lower()[: -len("@1s")], topic)
        return [encode.binance_combined(name, push.text)]
