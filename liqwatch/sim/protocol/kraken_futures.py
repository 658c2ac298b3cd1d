"""The simulator's Kraken Futures v1 WebSocket: info on connect, subscribe acks, a `trade_snapshot`
per product on every subscribe (the latest liquidation trades of it replayed), the heartbeat feed."""

from __future__ import annotations

from liqwatch.sim import encode
from liqwatch.sim import markets as mk
from liqwatch.sim.encode import dumps
from liqwatch.sim.model import Push
from liqwatch.sim.protocol.base import Out, Route, Session, _json

KRAKEN_FEEDS = ("trade", "heartbeat", "ticker", "ticker_lite", "book")
SNAPSHOT_TRADES = 100  # the latest trades a snapshot replays


def kraken_futures_route(path: str) -> Route | None:
    return Route("ws") if path == "/ws/v1" else None


class KrakenFuturesSession(Session):
    venue = "kraken_futures"
    heartbeat_s = 5.0  # the heartbeat feed ticks only once subscribed

    def opened(self) -> list[Out]:
        return [Out("control", dumps({"event": "info", "version": 1}))]

    def _error(self, message: str) -> list[Out]:
        return [Out("control", dumps({"event": "error", "message": message}))]

    def receive(self, text: str) -> list[Out]:
        request = _json(text)
        if not isinstance(request, dict):
            return self._error("Json Error")
        event = request.get("event")
        feed = request.get("feed")
        if event not in ("subscribe", "unsubscribe") or feed not in KRAKEN_FEEDS:
            return self._error("Invalid feed" if event in ("subscribe", "unsubscribe") else "Unknown event")
        if feed == "heartbeat":
            (self.subs.add if event == "subscribe" else self.subs.discard)("heartbeat")
            return [Out("control", dumps({"event": f"{event}d", "feed": feed}))]
        products = request.get("product_ids")
        if not isinstance(products, list) or not products or not all(isinstance(p, str) for p in products):
            return self._error("Invalid product id")
        known = {m.symbol for m in mk.markets("kraken_futures")}
        if any(p not in known for p in products):
            return self._error("Invalid product id")
        keys = {f"{feed}:{p}" for p in products}
        if event == "unsubscribe":
            self.subs.difference_update(keys)
            return [Out("control", dumps({"event": "unsubscribed", "feed": feed, "product_ids": products}))]
        fresh = sorted(keys - self.subs)
        self.subs.update(fresh)
        out = [Out("control", dumps({"event": "subscribed", "feed": feed, "product_ids": products}))]
        if feed == "trade":
            for key in fresh:
                out.append(Out("control", self._snapshot(key.partition(":")[2])))
        return out

    def _snapshot(self, product: str) -> str:
        """The product's latest liquidation trades (the simulator keeps no plain fills), newest first."""
        recent = [liq for liq in self.state.recent if liq.symbol == product][-SNAPSHOT_TRADES:]
        trades = [encode.kraken_trade(liq, 1_000 + i) for i, liq in enumerate(recent)]
        return encode.kraken_snapshot(product, trades[::-1])

    def heartbeat(self) -> list[Out]:
        if "heartbeat" not in self.subs:
            return []
        return [Out("control", dumps({"feed": "heartbeat", "time": self.now}))]

    def wants(self, push: Push) -> bool:
        return push.topic in self.subs or (push.topic == "*" and bool(self.subs))
