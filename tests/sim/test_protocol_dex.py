"""The simulator's dYdX indexer and Lighter sessions, without sockets: acks, snapshots (history the
parsers must not count), errors, limits, pings."""

from __future__ import annotations

import json
from typing import Any

from liqwatch.instruments import bundled
from liqwatch.model import LONG
from liqwatch.sim import markets as mk
from liqwatch.sim.model import truth
from liqwatch.sim.protocol import Session, VenueState, open_session
from liqwatch.sim.protocol.dydx import DYDX_MAX_PER_CHANNEL
from liqwatch.sim.tape import PriceBook
from liqwatch.venues import dydx, lighter
from tests.sim.helpers import NOW


def session(venue: str, path: str) -> Session:
    state = VenueState(venue, PriceBook(NOW), lambda: NOW)
    opened = open_session(venue, state, path, {})
    assert opened is not None
    return opened


def docs(s: Session, request: dict[str, Any] | str) -> list[Any]:
    text = request if isinstance(request, str) else json.dumps(request)
    return [json.loads(out.text) for out in s.receive(text)]


def test_dydx_subscribe_answers_with_recent_trades_that_are_not_counted_again() -> None:
    s = session("dydx", "/v4/ws")
    assert json.loads(s.opened()[0].text)["type"] == "connected"
    m = mk.market("dydx", "BTC-USD")
    assert m is not None
    s.state.recent.append(truth(m, LONG, "90000", "0.5", NOW - 60_000, "0a" * 12))
    [ack] = docs(s, dydx.subscribe_frame("v4_trades", "BTC-USD"))
    assert ack["type"] == "subscribed" and ack["contents"]["trades"][0]["type"] == "LIQUIDATED"
    assert dydx.parse(json.dumps(ack), NOW, bundled()) == []
    [again] = docs(s, dydx.subscribe_frame("v4_trades", "BTC-USD"))
    assert again["type"] == "error"


def test_dydx_errors_and_the_per_channel_cap() -> None:
    s = session("dydx", "/v4/ws")
    assert docs(s, dydx.subscribe_frame("v4_trades", "NOPE-USD"))[0]["type"] == "error"
    assert docs(s, "hello")[0]["type"] == "error"
    assert docs(s, dydx.subscribe_frame("v4_block_height"))[0]["type"] == "subscribed"
    s.subs.update(f"v4_trades:M{i}-USD" for i in range(DYDX_MAX_PER_CHANNEL))
    assert docs(s, dydx.subscribe_frame("v4_trades", "ETH-USD"))[0]["message"].startswith("Too many")


def test_lighter_subscribe_ping_and_errors() -> None:
    s = session("lighter", "/stream")
    assert json.loads(s.opened()[0].text)["type"] == "connected"
    m = mk.market("lighter", "1")
    assert m is not None
    s.state.recent.append(truth(m, LONG, "90000.0", "0.50000", NOW - 60_000, "123"))
    [ack] = docs(s, lighter.subscribe_frame("1"))
    assert ack["type"] == "subscribed/trade" and ack["liquidation_trades"][0]["is_maker_ask"] is False
    assert lighter.parse(json.dumps(ack), NOW, bundled()) == []
    [pong] = s.receive(lighter.PING)
    assert pong.kind == "pong" and not lighter.is_data(pong.text)
    assert "error" in docs(s, {"type": "subscribe", "channel": "trade/999"})[0]
    assert "error" in docs(s, {"type": "subscribe", "channel": "order_book/1"})[0]
    assert s.idle_s is not None
